package iris

import (
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCompare is one prepared-probe comparison with ±MaxShift shifts; run it with
// -cpu 1 for the one-core rate.
func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	p := Prepare(randomTemplate(rng, 0.7))
	g := randomTemplate(rng, 0.7)
	b.ResetTimer()
	c0 := processCPU()
	for b.Loop() {
		p.Compare(g)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "comparisons/s")
	if c := processCPU() - c0; c > 0 {
		b.ReportMetric(float64(b.N)/c.Seconds(), "comparisons/cpu-s")
	}
}

// BenchmarkSearch is a 1:N search of 100,000 codes on all cores.
func BenchmarkSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	var idx Index
	base := randomTemplate(rng, 0.7)
	for i := range 100000 {
		t := *base
		t.Code = append([]uint64(nil), base.Code...)
		t.Code[i%len(t.Code)] ^= rng.Uint64()
		idx.Add("s", &t)
	}
	p := Prepare(randomTemplate(rng, 0.7))
	b.ResetTimer()
	for b.Loop() {
		idx.Search(p, 10)
	}
	b.ReportMetric(float64(idx.Len())*float64(b.N)/b.Elapsed().Seconds(), "comparisons/s")
}

// BenchmarkExtract extracts a synthetic 320 × 280 eye with reflections.
func BenchmarkExtract(b *testing.B) {
	img := Synthesize(SynthEye{Texture: 1, Capture: 1, Reflections: 3, UpperLid: 0.2, Lashes: 20})
	c0 := processCPU()
	for b.Loop() {
		if _, _, err := Extract(img, nil); err != nil {
			b.Fatal(err)
		}
	}
	if c := processCPU() - c0; c > 0 {
		b.ReportMetric(float64(c.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkExtractCASIA extracts the first image of each of the first ten CASIA v1 eyes.
func BenchmarkExtractCASIA(b *testing.B) {
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		b.Skip("BIOMESH_TESTDATA is not set")
	}
	var imgs []*image.Gray
	for e := 1; e <= 10; e++ {
		data, err := os.ReadFile(filepath.Join(root, "iris", "casia-v1", fmt.Sprint(e), fmt.Sprintf("%03d_1_1.jpg", e)))
		if err != nil {
			b.Fatal(err)
		}
		g, err := DecodeImage(data)
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, g)
	}
	b.ResetTimer()
	c0 := processCPU()
	n := 0
	for b.Loop() {
		Extract(imgs[n%len(imgs)], nil)
		n++
	}
	if c := processCPU() - c0; c > 0 {
		b.ReportMetric(float64(c.Microseconds())/1000/float64(n), "cpu-ms/op")
	}
}
