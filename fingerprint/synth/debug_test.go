package synth

import (
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWriteSamples writes sample masters and impressions as PNGs into $SYNTH_DEBUG_DIR
// (skipped when unset), for looking at.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("SYNTH_DEBUG_DIR")
	if dir == "" {
		t.Skip("SYNTH_DEBUG_DIR not set")
	}
	all := image.NewGray(image.Rect(0, 0, 5*300, 400))
	imps := image.NewGray(image.Rect(0, 0, 5*300, 400))
	for c := Arch; c <= Whorl; c++ {
		start := time.Now()
		m, err := NewMaster(uint64(c), &MasterOptions{Class: c})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: %d minutiae, quality %d, %v", c, len(m.Minutiae.Minutiae), m.Minutiae.Quality, time.Since(start))
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("master_%v.png", c)))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, m.Image)
		f.Close()
		for k := 1; k <= 2; k++ {
			im, err := m.Impression(uint64(k), nil)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("imp_%v_%d.png", c, k)))
			if err != nil {
				t.Fatal(err)
			}
			png.Encode(f, im.Image)
			f.Close()
			if k == 1 {
				draw.Draw(imps, image.Rect(int(c-1)*300, 0, int(c)*300, 400), im.Image, image.Point{}, draw.Src)
			}
		}
		draw.Draw(all, image.Rect(int(c-1)*300, 0, int(c)*300, 400), m.Image, image.Point{}, draw.Src)
	}
	f, err := os.Create(filepath.Join(dir, "masters.png"))
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, all)
	f.Close()
	f, err = os.Create(filepath.Join(dir, "impressions.png"))
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, imps)
	f.Close()
}
