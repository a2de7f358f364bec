package extract

import (
	"fmt"
	"path/filepath"
	"testing"
	"github.com/biomesh/biomesh/fingerprint"
)

func TestZZOffset(t *testing.T) {
	root := testData(t)
	db := fvcDB{2002, 3, 500}
	type rec struct{ ours []fingerprint.Minutia; ref []isoMinutia }
	var recs []rec
	for f := 101; f <= 110; f++ {
		for imp := 1; imp <= 8; imp += 3 {
			img := loadFVC(t, root, db, f, imp)
			tpl, _ := Extract(img, nil)
			ref := loadISO(t, filepath.Join(root, "fingerprint", "iso19794-2", "fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f, imp)))
			recs = append(recs, rec{tpl.Minutiae, ref})
		}
	}
	for _, sc := range []float64{0.72, 0.74, 0.75, 0.76, 0.78} {
		best, bx, by := 0, 0, 0
		for dy := -6; dy <= 6; dy += 1 {
			for dx := -6; dx <= 6; dx += 1 {
				n := 0
				for _, r := range recs {
					ref := make([]isoMinutia, len(r.ref))
					for i, m := range r.ref {
						m.x += dx
						m.y = int(float64(m.y)*sc) + dy
						ref[i] = m
					}
					n += agreement(r.ours, ref, 8, 0, false, false)
				}
				if n > best {
					best, bx, by = n, dx, dy
				}
			}
		}
		t.Logf("scale %.2f best dx %d dy %d matched %d", sc, bx, by, best)
	}
}
