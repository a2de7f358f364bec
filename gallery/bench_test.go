package gallery_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/input"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
)

// BenchmarkSearchFingerprints searches one finger against a gallery of 10,000 fingerprint
// templates (the 80 FVC2002 DB1_B templates, each turned and shifted 125 ways) on all cores.
func BenchmarkSearchFingerprints(b *testing.B) {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		b.Skip("BIOMESH_TESTDATA not set")
	}
	var ts []*fingerprint.Template
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			t, err := input.File(filepath.Join(dir, "fingerprint/fvc2002/DB1_B", fmt.Sprintf("%d_%d.tif", f, i)), nil)
			if err != nil {
				b.Fatal(err)
			}
			ts = append(ts, t)
		}
	}
	g := gallery.New[*match.Candidate]()
	const size = 10000
	for k := range size {
		t := ts[k%len(ts)]
		rot := float64(k/len(ts)) * 0.05
		c, s := math.Cos(rot), math.Sin(rot)
		moved := *t
		moved.Minutiae = nil
		for _, m := range t.Minutiae {
			x, y := float64(m.X-150), float64(m.Y-150)
			m.X, m.Y = int(x*c+y*s)+150+k%7, int(-x*s+y*c)+150-k%5
			m.Direction = fingerprint.NormalizeAngle(m.Direction + rot)
			moved.Minutiae = append(moved.Minutiae, m)
		}
		g.Add(fmt.Sprint(k), gallery.Sample[*match.Candidate]{Position: 1, Template: match.NewCandidate(&moved)})
	}
	probe := match.Prepare(ts[1])
	q := []gallery.Probe[*match.Candidate]{{Position: 1, Score: probe.Compare}}
	b.ResetTimer()
	for b.Loop() {
		if _, err := g.Search(q, 10); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds(), "comparisons/s")
}
