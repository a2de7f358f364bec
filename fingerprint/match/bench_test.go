package match

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// vendorTemplates loads the 80 commercial ISO records of FVC2002 DB3_B.
func vendorTemplates(tb testing.TB) []*fingerprint.Template {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		tb.Skip("BIOMESH_TESTDATA not set: skipping the test on shared data")
	}
	var out []*fingerprint.Template
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			path := filepath.Join(dir, "fingerprint/iso19794-2/fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f, i))
			b, err := os.ReadFile(path)
			if err != nil {
				tb.Fatal(err)
			}
			t, err := fingerprint.ParseTemplate(b)
			if err != nil {
				tb.Fatalf("%s: %v", path, err)
			}
			// These records claim a 300×400 image for the 300×300 images, with y scaled to
			// match; undo the stretch.
			out = append(out, t.WithHeight(300))
		}
	}
	return out
}

// BenchmarkCompareImpostor measures prepared-probe comparisons against impostor templates,
// the case that dominates 1:N search.
func BenchmarkCompareImpostor(b *testing.B) {
	ts := vendorTemplates(b)
	probe := Prepare(ts[0])
	var cands []*Candidate
	for _, t := range ts[8:] {
		cands = append(cands, NewCandidate(t))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		probe.Compare(cands[i%len(cands)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comparisons/s")
}

// BenchmarkPrepare measures probe preparation.
func BenchmarkPrepare(b *testing.B) {
	ts := vendorTemplates(b)
	for i := 0; b.Loop(); i++ {
		Prepare(ts[i%len(ts)])
	}
}
