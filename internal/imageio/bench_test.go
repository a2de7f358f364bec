package imageio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadTIFF decodes a 300×300 8-bit TIFF (the size of FVC2000 DB1
// and FVC2002 DB3) from memory.
func BenchmarkLoadTIFF(b *testing.B) {
	data := encodeTIFF(le, pattern(300, 300), nil, tiffRes(le, 500, 500, 2)...)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Decode(bytes.NewReader(data), "bench.tif", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadAtTIFF decodes a 300×300 TIFF at 300 ppi and resamples it to 500 ppi.
func BenchmarkLoadAtTIFF(b *testing.B) {
	data := encodeTIFF(le, pattern(300, 300), nil, tiffRes(le, 300, 300, 2)...)
	for b.Loop() {
		if _, err := DecodeAt(bytes.NewReader(data), "bench.tif", 0, FingerprintPPI); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadFVC loads a real FVC2002 DB1 file from disk (needs BIOMESH_TESTDATA).
func BenchmarkLoadFVC(b *testing.B) {
	path := filepath.Join(testdata(b), "fingerprint/fvc2002/DB1_B/101_1.tif")
	if _, err := os.Stat(path); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Load(path, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadPGM(b *testing.B) {
	g := pattern(416, 560)
	samples := make([]int, len(g.Pix))
	for i, v := range g.Pix {
		samples[i] = int(v)
	}
	data := pgmP5(416, 560, 255, samples)
	for b.Loop() {
		if _, _, err := Decode(bytes.NewReader(data), "bench.pgm", 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResample scales 300×300 from 300 to 500 ppi (up) and 569 to 500 ppi (down).
func BenchmarkResample(b *testing.B) {
	img := pattern(300, 300)
	b.Run("300to500", func(b *testing.B) {
		for b.Loop() {
			Resample(img, 300, 500)
		}
	})
	db2 := pattern(296, 560)
	b.Run("569to500", func(b *testing.B) {
		for b.Loop() {
			Resample(db2, 569, 500)
		}
	})
}
