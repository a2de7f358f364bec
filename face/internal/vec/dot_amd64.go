//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernel; the CPU must have AVX2 and FMA (and the OS must
// save the AVX registers, which cpu.X86.HasAVX2 includes).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAVX2(a, b *float32, n int) float32

// Dot is the inner product of a and b (len(b) ≥ len(a)). With AVX2 the first multiple of
// 32 components go through the assembly kernel (fused multiply-adds), the rest in Go.
func Dot(a, b []float32) float32 {
	n := len(a) &^ 31
	if !useAVX2 || n == 0 {
		return dotGo(a, b)
	}
	b = b[:len(a)]
	s := dotAVX2(&a[0], &b[0], n)
	if n < len(a) {
		s += dotGo(a[n:], b[n:])
	}
	return s
}
