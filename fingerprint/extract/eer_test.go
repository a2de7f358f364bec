//go:build matcheval

// This file measures the equal error rate of the extractor with the project's matcher. It
// is behind the matcheval build tag so that the extractor's tests do not depend on the
// matcher package: go test -tags matcheval -run TestEER ./fingerprint/extract/

package extract

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
)

// eer returns the equal error rate of genuine and impostor scores (higher = more similar).
func eer(gen, imp []float64) float64 {
	sort.Float64s(gen)
	sort.Float64s(imp)
	all := append(append([]float64(nil), gen...), imp...)
	sort.Float64s(all)
	// the mean of FRR (genuine < t) and FAR (impostor ≥ t) where they are closest
	var bestE, bestD = 1.0, 2.0
	for _, t := range all {
		frr := float64(sort.SearchFloat64s(gen, t)) / float64(len(gen))
		far := float64(len(imp)-sort.SearchFloat64s(imp, t)) / float64(len(imp))
		d := frr - far
		if d < 0 {
			d = -d
		}
		if d < bestD {
			bestD, bestE = d, (frr+far)/2
		}
	}
	return bestE
}

// TestEER extracts all eight FVC "B" databases and reports the EER per database with the
// FVC protocol (genuine: all pairs of a finger; impostor: first impressions of different
// fingers) and with all impostor pairs.
func TestEER(t *testing.T) {
	root := testData(t)
	var sumFVC, sumAll float64
	for _, db := range fvcDBs {
		// extract in parallel
		var tpl [10][8]*fingerprint.Template
		var wg sync.WaitGroup
		jobs := make(chan [2]int)
		errs := make(chan error, 80)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					tp, err := Extract(loadFVC(t, root, db, 101+j[0], 1+j[1]), nil)
					if err != nil {
						errs <- fmt.Errorf("%v %d_%d: %w", db, 101+j[0], 1+j[1], err)
						continue
					}
					tpl[j[0]][j[1]] = tp
				}
			}()
		}
		for f := 0; f < 10; f++ {
			for i := 0; i < 8; i++ {
				jobs <- [2]int{f, i}
			}
		}
		close(jobs)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// compare: pairs (f,i) < (g,j)
		type pair struct{ f, i, g, j int }
		var pairs []pair
		for f := 0; f < 10; f++ {
			for i := 0; i < 8; i++ {
				for g := f; g < 10; g++ {
					for j := 0; j < 8; j++ {
						if g == f && j <= i {
							continue
						}
						pairs = append(pairs, pair{f, i, g, j})
					}
				}
			}
		}
		scores := make([]float64, len(pairs))
		var next atomic.Int64
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := int(next.Add(1)) - 1
					if k >= len(pairs) {
						return
					}
					p := pairs[k]
					scores[k] = match.Compare(tpl[p.f][p.i], tpl[p.g][p.j])
				}
			}()
		}
		wg.Wait()
		var gen, impFVC, impAll []float64
		for k, p := range pairs {
			switch {
			case p.f == p.g:
				gen = append(gen, scores[k])
			default:
				impAll = append(impAll, scores[k])
				if p.i == 0 && p.j == 0 {
					impFVC = append(impFVC, scores[k])
				}
			}
		}
		e1, e2 := eer(gen, impFVC), eer(gen, impAll)
		sumFVC += e1
		sumAll += e2
		t.Logf("%-14v EER FVC protocol %5.2f %%  all impostor pairs %5.2f %%", db, 100*e1, 100*e2)
	}
	t.Logf("mean EER: FVC protocol %.2f %%, all impostor pairs %.2f %%", 100*sumFVC/8, 100*sumAll/8)
}
