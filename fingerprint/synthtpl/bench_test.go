package synthtpl

import (
	"context"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// BenchmarkFinger measures one master.
func BenchmarkFinger(b *testing.B) {
	p := DefaultParams()
	g := newGen()
	var t fingerprint.Template
	for i := 0; b.Loop(); i++ {
		g.finger(&t, 1, i, 0, p)
	}
}

// BenchmarkImpression measures one impression of a master.
func BenchmarkImpression(b *testing.B) {
	p := DefaultParams()
	g := newGen()
	var m, t fingerprint.Template
	g.finger(&m, 1, 0, 0, p)
	for i := 0; b.Loop(); i++ {
		g.impression(&t, &m, 1, i, p)
	}
}

// BenchmarkGenerate measures Generate on all cores, 10 fingers × 1 impression per person
// (a master and an impression per template), and reports templates/s.
func BenchmarkGenerate(b *testing.B) {
	n := 0
	for b.Loop() {
		err := Generate(context.Background(), 1, nil, 1000, 10, 1, func(int, int, int, *fingerprint.Template) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "templates/s")
}
