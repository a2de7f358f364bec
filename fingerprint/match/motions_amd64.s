//go:build amd64 && !purego

#include "textflag.h"

// Constants, 8 lanes each. The float32 ones are the bits motionsGo's constant expressions
// round to: 2π, 1024/2π (sinCos), houghRot/2π, houghStep, houghT/2, 0.5; houghLast is
// math.Float32bits(houghT−1).
DATA mLow16<>+0(SB)/8, $0x0000ffff0000ffff
DATA mLow16<>+8(SB)/8, $0x0000ffff0000ffff
DATA mLow16<>+16(SB)/8, $0x0000ffff0000ffff
DATA mLow16<>+24(SB)/8, $0x0000ffff0000ffff
GLOBL mLow16<>(SB), RODATA|NOPTR, $32

DATA mTwoPi<>+0(SB)/8, $0x40c90fdb40c90fdb
DATA mTwoPi<>+8(SB)/8, $0x40c90fdb40c90fdb
DATA mTwoPi<>+16(SB)/8, $0x40c90fdb40c90fdb
DATA mTwoPi<>+24(SB)/8, $0x40c90fdb40c90fdb
GLOBL mTwoPi<>(SB), RODATA|NOPTR, $32

DATA mSinScale<>+0(SB)/8, $0x4322f9834322f983
DATA mSinScale<>+8(SB)/8, $0x4322f9834322f983
DATA mSinScale<>+16(SB)/8, $0x4322f9834322f983
DATA mSinScale<>+24(SB)/8, $0x4322f9834322f983
GLOBL mSinScale<>(SB), RODATA|NOPTR, $32

DATA mRotScale<>+0(SB)/8, $0x4074764540747645
DATA mRotScale<>+8(SB)/8, $0x4074764540747645
DATA mRotScale<>+16(SB)/8, $0x4074764540747645
DATA mRotScale<>+24(SB)/8, $0x4074764540747645
GLOBL mRotScale<>(SB), RODATA|NOPTR, $32

DATA mStep<>+0(SB)/8, $0x41c0000041c00000
DATA mStep<>+8(SB)/8, $0x41c0000041c00000
DATA mStep<>+16(SB)/8, $0x41c0000041c00000
DATA mStep<>+24(SB)/8, $0x41c0000041c00000
GLOBL mStep<>(SB), RODATA|NOPTR, $32

DATA mHalfT<>+0(SB)/8, $0x4180000041800000
DATA mHalfT<>+8(SB)/8, $0x4180000041800000
DATA mHalfT<>+16(SB)/8, $0x4180000041800000
DATA mHalfT<>+24(SB)/8, $0x4180000041800000
GLOBL mHalfT<>(SB), RODATA|NOPTR, $32

DATA mHalf<>+0(SB)/8, $0x3f0000003f000000
DATA mHalf<>+8(SB)/8, $0x3f0000003f000000
DATA mHalf<>+16(SB)/8, $0x3f0000003f000000
DATA mHalf<>+24(SB)/8, $0x3f0000003f000000
GLOBL mHalf<>(SB), RODATA|NOPTR, $32

DATA mLast<>+0(SB)/8, $0x41f8000041f80000
DATA mLast<>+8(SB)/8, $0x41f8000041f80000
DATA mLast<>+16(SB)/8, $0x41f8000041f80000
DATA mLast<>+24(SB)/8, $0x41f8000041f80000
GLOBL mLast<>(SB), RODATA|NOPTR, $32

DATA m1023<>+0(SB)/8, $0x000003ff000003ff
DATA m1023<>+8(SB)/8, $0x000003ff000003ff
DATA m1023<>+16(SB)/8, $0x000003ff000003ff
DATA m1023<>+24(SB)/8, $0x000003ff000003ff
GLOBL m1023<>(SB), RODATA|NOPTR, $32

DATA m31<>+0(SB)/8, $0x0000001f0000001f
DATA m31<>+8(SB)/8, $0x0000001f0000001f
DATA m31<>+16(SB)/8, $0x0000001f0000001f
DATA m31<>+24(SB)/8, $0x0000001f0000001f
GLOBL m31<>(SB), RODATA|NOPTR, $32

DATA m24<>+0(SB)/8, $0x0000001800000018
DATA m24<>+8(SB)/8, $0x0000001800000018
DATA m24<>+16(SB)/8, $0x0000001800000018
DATA m24<>+24(SB)/8, $0x0000001800000018
GLOBL m24<>(SB), RODATA|NOPTR, $32

// func motionsAVX2(agree *agreement, n int, cedges *cedge, pmot *pmotion, out *edgeHit)
//
// Eight agreements at a time, each step the float32 operation motionsGo does, in the same
// order and without fused multiply-adds, so the results are the same bits. A cedge is 4
// dwords (v, mx, my, ends), a pmotion 3 (v, mx, my), a sinCosTable entry 2 (sin, cos).
// The caller guarantees every index is in range (agreements name existing edges).
TEXT ·motionsAVX2(SB), NOSPLIT, $0-40
	MOVQ agree+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ cedges+16(FP), DX
	MOVQ pmot+24(FP), BX
	MOVQ out+32(FP), DI
	LEAQ ·sinCosTable(SB), R8
	SHRQ $3, CX
	JZ   done

loop:
	VMOVDQU (SI), Y0
	VPSRLD  $16, Y0, Y1
	VPSLLD  $2, Y1, Y1          // candidate edge × 4 dwords
	VPAND   mLow16<>(SB), Y0, Y2 // probe edge
	VPADDD  Y2, Y2, Y3
	VPADDD  Y2, Y3, Y3          // probe edge × 3 dwords

	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, (DX)(Y1*4), Y4   // ce.v
	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, 4(DX)(Y1*4), Y5  // ce.mx
	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, 8(DX)(Y1*4), Y6  // ce.my
	VPCMPEQD   Y15, Y15, Y15
	VPGATHERDD Y15, 12(DX)(Y1*4), Y7 // ce.ends
	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, (BX)(Y3*4), Y8   // pe.v
	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, 4(BX)(Y3*4), Y9  // pe.mx
	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, 8(BX)(Y3*4), Y10 // pe.my

	// rot = addTurnIfNegative(ce.v − pe.v): a turn added where the sign bit is set.
	VSUBPS    Y8, Y4, Y4
	VADDPS    mTwoPi<>(SB), Y4, Y13
	VBLENDVPS Y4, Y13, Y4, Y4

	// sin, cos: entry int(rot·(1024/2π) + 0.5) & 1023.
	VMULPS     mSinScale<>(SB), Y4, Y13
	VADDPS     mHalf<>(SB), Y13, Y13
	VCVTTPS2DQ Y13, Y13
	VPAND      m1023<>(SB), Y13, Y13
	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, (R8)(Y13*8), Y11  // sin
	VPCMPEQD   Y15, Y15, Y15
	VGATHERDPS Y15, 4(R8)(Y13*8), Y12 // cos

	// tx = ce.mx − (pe.mx·cos − pe.my·sin)
	VMULPS Y12, Y9, Y13
	VMULPS Y11, Y10, Y14
	VSUBPS Y14, Y13, Y13
	VSUBPS Y13, Y5, Y5
	// ty = ce.my − (pe.mx·sin + pe.my·cos)
	VMULPS Y11, Y9, Y13
	VMULPS Y12, Y10, Y14
	VADDPS Y14, Y13, Y13
	VSUBPS Y13, Y6, Y6

	// fx = tx/houghStep + houghT/2, fy the same.
	VDIVPS mStep<>(SB), Y5, Y5
	VADDPS mHalfT<>(SB), Y5, Y5
	VDIVPS mStep<>(SB), Y6, Y6
	VADDPS mHalfT<>(SB), Y6, Y6

	// Inside the histogram: the bits of fx−0.5 and of fy−0.5, as unsigned numbers, below
	// houghLast; as signed ones, above −1 and below houghLast.
	VSUBPS   mHalf<>(SB), Y5, Y13
	VSUBPS   mHalf<>(SB), Y6, Y14
	VPCMPEQD Y15, Y15, Y15
	VMOVDQU  mLast<>(SB), Y9
	VPCMPGTD Y15, Y13, Y8
	VPCMPGTD Y13, Y9, Y13
	VPAND    Y8, Y13, Y13
	VPCMPGTD Y15, Y14, Y8
	VPCMPGTD Y14, Y9, Y14
	VPAND    Y8, Y14, Y14
	VPAND    Y14, Y13, Y13 // inside

	// cell = rotCell[int(rot·houghRot/2π) & 31] + int(fx)·houghT + int(fy), where
	// rotCell[r] is r·houghT² below houghRot and 0 from there.
	VMULPS     mRotScale<>(SB), Y4, Y8
	VCVTTPS2DQ Y8, Y8
	VPAND      m31<>(SB), Y8, Y8
	VMOVDQU    m24<>(SB), Y9
	VPCMPGTD   Y8, Y9, Y9
	VPSLLD     $10, Y8, Y8
	VPAND      Y9, Y8, Y8
	VCVTTPS2DQ Y5, Y5
	VPSLLD     $5, Y5, Y5
	VPADDD     Y5, Y8, Y8
	VCVTTPS2DQ Y6, Y6
	VPADDD     Y6, Y8, Y8

	// High dword: the cell, or outsideCell; low dword: probe edge | ends<<16.
	VPAND  Y13, Y8, Y8
	VPANDN mLow16<>(SB), Y13, Y13
	VPOR   Y13, Y8, Y8
	VPSLLD $16, Y7, Y7
	VPOR   Y7, Y2, Y2

	// Interleave into 8 uint64, in order.
	VPUNPCKLDQ Y8, Y2, Y9
	VPUNPCKHDQ Y8, Y2, Y10
	VPERM2I128 $0x20, Y10, Y9, Y11
	VPERM2I128 $0x31, Y10, Y9, Y12
	VMOVDQU    Y11, (DI)
	VMOVDQU    Y12, 32(DI)

	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
