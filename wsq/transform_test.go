package wsq

import (
	"fmt"
	"math"
	"testing"
)

// synthesisFilters derives the synthesis filters from the analysis ones the
// way a decoder does from the DTT: each is the other's modulation.
func synthesisFilters() (lo, hi []float32) {
	mod := func(half []float64) []float32 {
		f := fullFilter(half)
		c := len(f) / 2
		for i := range f {
			if (i-c)%2 != 0 {
				f[i] = -f[i]
			}
		}
		return f
	}
	return mod(analysisHigh), mod(analysisLow)
}

// TestPerfectReconstruction checks that synthesis undoes analysis on the
// whole tree, for even, odd and tiny sizes.
func TestPerfectReconstruction(t *testing.T) {
	slo, shi := synthesisFilters()
	alo, ahi := fullFilter(analysisLow), fullFilter(analysisHigh)
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {7, 5}, {33, 17}, {64, 64}, {101, 77}, {256, 364}, {545, 622}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			w, h := sz[0], sz[1]
			orig := make([]float32, w*h)
			seed := uint32(7)
			for i := range orig {
				seed = seed*1664525 + 1013904223
				orig[i] = float32(seed>>24) - 128
			}
			data := append([]float32(nil), orig...)
			tmp := make([]float32, w*h)
			tr := buildTrees(w, h)
			analyze(data, tmp, w, tr, alo, ahi)
			synthesize(data, tmp, w, tr, slo, shi)
			worst := 0.0
			for i := range data {
				worst = math.Max(worst, math.Abs(float64(data[i]-orig[i])))
			}
			if worst > 1e-3 {
				t.Errorf("largest reconstruction error %g", worst)
			}
		})
	}
}

// TestTrees checks that the 64 subbands tile the image exactly once.
func TestTrees(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {5, 3}, {100, 100}, {545, 622}, {804, 752}, {1607, 999}} {
		w, h := sz[0], sz[1]
		cover := make([]int, w*h)
		tr := buildTrees(w, h)
		for _, r := range tr.bands {
			for y := r.y; y < r.y+r.h; y++ {
				for x := r.x; x < r.x+r.w; x++ {
					cover[y*w+x]++
				}
			}
		}
		for i, c := range cover {
			if c != 1 {
				t.Fatalf("%dx%d: pixel (%d,%d) covered %d times", w, h, i%w, i/w, c)
			}
		}
	}
}

// TestLiftingMatchesConvolution checks that the lifting form computes the
// same transform as the direct convolution with the filters (which the
// conformance test ties to the reference decoder), both ways.
func TestLiftingMatchesConvolution(t *testing.T) {
	slo, shi := synthesisFilters()
	alo, ahi := fullFilter(analysisLow), fullFilter(analysisHigh)
	if newLifting(slo, shi) == nil {
		t.Fatal("the standard filters are not recognised as the 9/7 lifting pair")
	}
	for _, sz := range [][2]int{{2, 2}, {3, 2}, {9, 14}, {40, 31}, {101, 77}, {545, 622}} {
		w, h := sz[0], sz[1]
		orig := make([]float32, w*h)
		seed := uint32(3)
		for i := range orig {
			seed = seed*1664525 + 1013904223
			orig[i] = float32(seed>>24) - 128
		}
		tr := buildTrees(w, h)
		run := func(lifting bool, f func(data, tmp []float32)) []float32 {
			liftingEnabled = lifting
			defer func() { liftingEnabled = true }()
			data := append([]float32(nil), orig...)
			f(data, make([]float32, w*h))
			return data
		}
		compare := func(what string, a, b []float32) {
			worst := 0.0
			for i := range a {
				worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
			}
			if worst > 2e-3 {
				t.Errorf("%dx%d %s: lifting and convolution differ by up to %g", w, h, what, worst)
			}
		}
		fwd := func(data, tmp []float32) { analyze(data, tmp, w, tr, alo, ahi) }
		inv := func(data, tmp []float32) { synthesize(data, tmp, w, tr, slo, shi) }
		compare("analysis", run(true, fwd), run(false, fwd))
		compare("synthesis", run(true, inv), run(false, inv))
	}
	// Filters that are not the 9/7 pair fall back to convolution.
	odd := append([]float32(nil), slo...)
	odd[3] *= 1.01
	if newLifting(odd, shi) != nil {
		t.Error("a perturbed low-pass filter was taken for the standard one")
	}
}
