package nist_test

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/nist"
	_ "github.com/biomesh/biomesh/wsq" // only the benchmark decodes images; package nist does not
)

// BenchmarkTenprintImages parses type-4-tpcard.an2 and decodes its 14 WSQ images.
func BenchmarkTenprintImages(b *testing.B) {
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		b.Skip("BIOMESH_TESTDATA is not set")
	}
	data, err := os.ReadFile(filepath.Join(root, "nist", "ansi-nist-references", "type-4-tpcard.an2"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		tr, err := nist.Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, im := range tr.Images() {
			img, format, err := image.Decode(bytes.NewReader(im.Data))
			if err != nil || format != "wsq" || img.Bounds().Dx() != im.Width {
				b.Fatalf("record %d: %v %q", im.Record, err, format)
			}
			n++
		}
		if n != 14 {
			b.Fatalf("%d images", n)
		}
	}
}
