package match

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
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

// synthImpostors returns 20 probes and 1,000 impostor candidates made by fingerprint/synthtpl
// (default parameters, 44 minutiae on average, as in the gallery scale tests): probes are
// impression 1 of the first two fingers of persons 0–9, candidates impression 0 of fingers
// of persons 10 and up.
func synthImpostors() ([]*Probe, []*Candidate) {
	var probes []*Probe
	for person := range 10 {
		for f := range 2 {
			probes = append(probes, Prepare(synthtpl.Impression(synthtpl.Finger(1, person, f, nil), 1, 1, nil)))
		}
	}
	cands := make([]*Candidate, 1000)
	for i := range cands {
		cands[i] = NewCandidate(synthtpl.Impression(synthtpl.Finger(1, 10+i/2, i%2, nil), 1, 0, nil))
	}
	return probes, cands
}

// BenchmarkCompareSynthetic measures prepared-probe comparisons of synthetic impostors, the
// case that dominates 1:N search on a gallery of such templates.
func BenchmarkCompareSynthetic(b *testing.B) {
	probes, cands := synthImpostors()
	for i := 0; b.Loop(); i++ {
		probes[i/len(cands)%len(probes)].Compare(cands[i%len(cands)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comparisons/s")
}
