//go:build matcheval

// This file measures the equal error rate of the extractor with the project's matcher. It
// is behind the matcheval build tag so that the extractor's tests do not depend on the
// matcher package: go test -tags matcheval -run TestEER ./fingerprint/extract/

package extract

import (
	"sort"
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
		tpl := map[[2]int]*fingerprint.Template{}
		for f := 101; f <= 110; f++ {
			for imp := 1; imp <= 8; imp++ {
				tp, err := Extract(loadFVC(t, root, db, f, imp), nil)
				if err != nil {
					t.Fatalf("%v %d_%d: %v", db, f, imp, err)
				}
				tpl[[2]int{f, imp}] = tp
			}
		}
		var gen, impFVC, impAll []float64
		for f := 101; f <= 110; f++ {
			for i := 1; i <= 8; i++ {
				for j := i + 1; j <= 8; j++ {
					gen = append(gen, match.Compare(tpl[[2]int{f, i}], tpl[[2]int{f, j}]))
				}
				for g := f + 1; g <= 110; g++ {
					for j := 1; j <= 8; j++ {
						s := match.Compare(tpl[[2]int{f, i}], tpl[[2]int{g, j}])
						impAll = append(impAll, s)
						if i == 1 && j == 1 {
							impFVC = append(impFVC, s)
						}
					}
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
