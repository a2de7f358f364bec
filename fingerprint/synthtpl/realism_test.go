package synthtpl

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/biomesh/biomesh/eval"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
)

// realism compares nf synthetic fingers × ni impressions with the project's comparator:
// all genuine pairs, and impostor pairs between the first impressions of different fingers
// (the FVC protocol). It returns the sorted genuine and impostor scores.
func realism(seed uint64, p *Params, nf, ni int) (gen, imp []float64) {
	ts := make([][]*fingerprint.Template, nf)
	for f := range ts {
		m := Finger(seed, f/10, f%10, p)
		for k := range ni {
			ts[f] = append(ts[f], Impression(m, seed, k, p))
		}
	}
	probes := make([][]*match.Probe, nf)
	cands := make([][]*match.Candidate, nf)
	for f := range ts {
		for _, t := range ts[f] {
			probes[f] = append(probes[f], match.Prepare(t))
			cands[f] = append(cands[f], match.NewCandidate(t))
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int, nf)
	for f := range nf {
		next <- f
	}
	close(next)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var g, im []float64
			for f := range next {
				for a := range ni {
					for b := a + 1; b < ni; b++ {
						g = append(g, probes[f][a].Compare(cands[f][b]))
					}
				}
				for h := f + 1; h < nf; h++ {
					im = append(im, probes[f][0].Compare(cands[h][0]))
				}
			}
			mu.Lock()
			gen, imp = append(gen, g...), append(imp, im...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(gen)
	slices.Sort(imp)
	return gen, imp
}

func quantile(s []float64, q float64) float64 {
	return s[min(len(s)-1, int(math.Floor(q*float64(len(s)))))]
}

// TestRealism checks that the comparator finds synthetic data about as hard as FVC's:
// real databases give an EER of 1–4 %, genuine medians of 60–100 and impostor 99th
// percentiles near 20.
func TestRealism(t *testing.T) {
	nf, ni := 200, 4
	if testing.Short() {
		nf = 100
	}
	gen, imp := realism(1, nil, nf, ni)
	v, err := eval.Verify(gen, imp)
	if err != nil {
		t.Fatal(err)
	}
	var counts []float64
	p := DefaultParams()
	for f := range 200 {
		counts = append(counts, float64(len(Impression(Finger(7, f, 0, p), 7, 0, p).Minutiae)))
	}
	slices.Sort(counts)
	t.Logf("impression minutiae: p10 %.0f median %.0f p90 %.0f", quantile(counts, 0.1), quantile(counts, 0.5), quantile(counts, 0.9))
	t.Logf("genuine (%d): p5 %.1f p25 %.1f median %.1f p75 %.1f", len(gen), quantile(gen, 0.05), quantile(gen, 0.25), quantile(gen, 0.5), quantile(gen, 0.75))
	t.Logf("impostor (%d): median %.1f p99 %.1f p99.9 %.1f max %.1f", len(imp), quantile(imp, 0.5), quantile(imp, 0.99), quantile(imp, 0.999), imp[len(imp)-1])
	t.Logf("%v", v)
	// Bounds with margin around the defaults' figures on these 200 fingers (EER 1.7 %,
	// genuine median 64, impostor 99th percentile 19.3).
	if v.EER < 0.007 || v.EER > 0.05 {
		t.Errorf("EER %.2f%%, want 0.7–5 %% (real FVC: 1.1–4.3 %%)", 100*v.EER)
	}
	if g := quantile(gen, 0.5); g < 50 || g > 85 {
		t.Errorf("genuine median %.1f, want 50–85 (real FVC: about 60–100)", g)
	}
	if i := quantile(imp, 0.99); i < 13 || i > 27 {
		t.Errorf("impostor 99th percentile %.1f, want 13–27 (real FVC: 20)", i)
	}
	if m := quantile(counts, 0.5); m < 24 || m > 52 {
		t.Errorf("median impression minutiae %.0f, want 24–52", m)
	}
}
