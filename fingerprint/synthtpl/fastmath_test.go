package synthtpl

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFastMath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	worstA, worstS := 0.0, 0.0
	for range 100000 {
		x, y := r.NormFloat64()*100, r.NormFloat64()*100
		worstA = max(worstA, math.Abs(atan2(y, x)-math.Atan2(y, x)))
		v := (r.Float64()*2 - 1) * 50
		worstS = max(worstS, math.Abs(sin(v)-math.Sin(v)))
	}
	for _, c := range [][2]float64{{0, 1}, {1, 0}, {0, -1}, {-1, 0}, {1, 1}, {-1, -1}, {-1, 1e-300}, {1e-300, -1}} {
		worstA = max(worstA, math.Abs(atan2(c[0], c[1])-math.Atan2(c[0], c[1])))
	}
	if worstA > 2e-5 || worstS > 2e-6 {
		t.Errorf("worst errors: atan2 %g, sin %g", worstA, worstS)
	}
}

func TestNorm(t *testing.T) {
	g := newGen()
	var m, v float64
	const n = 200000
	for range n {
		x := g.norm()
		m += x
		v += x * x
	}
	m /= n
	v = v/n - m*m
	if math.Abs(m) > 0.01 || math.Abs(v-1) > 0.02 {
		t.Errorf("norm: mean %.4f variance %.4f, want 0 and 1", m, v)
	}
}
