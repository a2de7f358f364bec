package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDot checks Dot against a float64 sum for lengths around the kernel's block of 32.
func TestDot(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 7, 31, 32, 33, 64, 100, 128, 512, 515} {
		a, b := make([]float32, n), make([]float32, n+3)
		var want float64
		for i := range a {
			a[i], b[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			want += float64(a[i]) * float64(b[i])
		}
		if got := Dot(a, b); math.Abs(float64(got)-want) > 1e-4*math.Sqrt(float64(n)) {
			t.Errorf("n=%d: dot %v, want %v", n, got, want)
		}
		if got := dotGo(a, b); math.Abs(float64(got)-want) > 1e-4*math.Sqrt(float64(n)) {
			t.Errorf("n=%d: dotGo %v, want %v", n, got, want)
		}
	}
}

func BenchmarkDot128(b *testing.B) {
	x, y := make([]float32, 128), make([]float32, 128)
	for b.Loop() {
		Dot(x, y)
	}
}
