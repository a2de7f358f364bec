#include "textflag.h"

// func dotsI8AVX2(q *int16, rows *int8, stride, n int, out *int32)
// stride is a positive multiple of 32, n ≥ 1. A row's bytes are sign-extended to 16 bits
// (VPMOVSXBW), multiplied by the probe's int16 components and summed in pairs into 32
// bits (VPMADDWD). Rows go four at a time, sharing each load of the probe, with one
// accumulator per row reduced together by horizontal adds; the last n mod 4 rows go one
// at a time.
TEXT ·dotsI8AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), DX
	MOVQ rows+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ n+24(FP), R8
	MOVQ out+32(FP), R9
	LEAQ (BX)(BX*2), R10 // 3·stride
	LEAQ (BX*4), R11     // 4·stride
	CMPQ R8, $4
	JLT  single

quad:
	// Ask for the rows two quads ahead (the whole quad when stride is 128).
	LEAQ       (SI)(R11*2), R12
	PREFETCHT0 (R12)
	PREFETCHT0 64(R12)
	PREFETCHT0 128(R12)
	PREFETCHT0 192(R12)
	PREFETCHT0 256(R12)
	PREFETCHT0 320(R12)
	PREFETCHT0 384(R12)
	PREFETCHT0 448(R12)
	MOVQ       DX, DI
	MOVQ       SI, AX
	MOVQ  BX, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3

quadcomp:
	VMOVDQU   (DI), Y8
	VPMOVSXBW (AX), Y4
	VPMOVSXBW (AX)(BX*1), Y5
	VPMOVSXBW (AX)(BX*2), Y6
	VPMOVSXBW (AX)(R10*1), Y7
	VPMADDWD  Y8, Y4, Y4
	VPMADDWD  Y8, Y5, Y5
	VPMADDWD  Y8, Y6, Y6
	VPMADDWD  Y8, Y7, Y7
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	VPADDD    Y6, Y2, Y2
	VPADDD    Y7, Y3, Y3
	ADDQ      $16, AX
	ADDQ      $32, DI
	SUBQ      $16, CX
	JNZ       quadcomp

	// Lane k of each half of Y0 now holds [r0 r1 r2 r3] partial sums after the adds.
	VPHADDD      Y1, Y0, Y0
	VPHADDD      Y3, Y2, Y2
	VPHADDD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VMOVDQU      X0, (R9)
	ADDQ         $16, R9
	ADDQ         R11, SI
	SUBQ         $4, R8
	CMPQ         R8, $4
	JGE          quad

single:
	TESTQ R8, R8
	JZ    done

row:
	MOVQ  DX, DI
	MOVQ  BX, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1

comp:
	VPMOVSXBW (SI), Y2
	VPMOVSXBW 16(SI), Y3
	VPMADDWD  (DI), Y2, Y2
	VPMADDWD  32(DI), Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $32, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	JNZ       comp

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4e, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VPADDD       X1, X0, X0
	MOVL         X0, (R9)
	ADDQ         $4, R9
	DECQ         R8
	JNZ          row

done:
	VZEROUPPER
	RET
