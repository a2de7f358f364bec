package synth

import (
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// stripes makes a master of horizontal ridges of period lam whose phase winds by
// winding turns around (x0, y0): one dislocation there when winding is ±1, none when 0.
// invert swaps ridges and valleys.
func stripes(w, h int, lam, x0, y0 float64, winding int, invert bool) *Master {
	m := &Master{w: w, h: h, om: &orientationModel{}, field: make([]float32, w*h), mask: make([]bool, w*h), period: make([]float32, w*h)}
	for y := range h {
		for x := range w {
			ph := 2*math.Pi*(float64(y)-y0)/lam + float64(winding)*math.Atan2(float64(y)-y0, float64(x)-x0)
			v := math.Cos(ph)
			if invert {
				v = -v
			}
			i := y*w + x
			m.field[i] = float32(v)
			m.mask[i] = x >= 3 && y >= 3 && x < w-3 && y < h-3
			m.period[i] = float32(lam)
		}
	}
	return m
}

func TestTruthOfDislocations(t *testing.T) {
	if got := stripes(160, 160, 9, 80, 80, 0, false).truthMinutiae(); len(got) != 0 {
		t.Fatalf("plain stripes: %d minutiae %+v", len(got), got)
	}
	for _, winding := range []int{1, -1} {
		// the dislocation is a ridge ending in one of the two patterns, a bifurcation in
		// the other (where the valley ends)
		pe, pb := stripes(160, 160, 9, 80.3, 80.6, winding, false), stripes(160, 160, 9, 80.3, 80.6, winding, true)
		end, bif := pe.truthMinutiae(), pb.truthMinutiae()
		if len(end) != 1 || len(bif) != 1 {
			t.Fatalf("winding %d: %d and %d minutiae, want 1 each: %+v %+v", winding, len(end), len(bif), end, bif)
		}
		if end[0].Type == fingerprint.Bifurcation {
			pe, end, bif = pb, bif, end
		}
		e, b := end[0], bif[0]
		if e.Type != fingerprint.Ending || b.Type != fingerprint.Bifurcation {
			t.Errorf("winding %d: types %v, %v", winding, e.Type, b.Type)
		}
		for _, mm := range []fingerprint.Minutia{e, b} {
			if math.Hypot(float64(mm.X)-80.3, float64(mm.Y)-80.6) > 5 {
				t.Errorf("winding %d: %v at (%d, %d), want near (80, 81)", winding, mm.Type, mm.X, mm.Y)
			}
			// along the ridges (horizontal), exactly: the model's angle
			if d := angleBetween(mm.Direction, 0); d > 1e-9 && math.Abs(d-math.Pi) > 1e-9 {
				t.Errorf("winding %d: %v direction %.3f, want 0 or π", winding, mm.Type, mm.Direction)
			}
		}
		// An ending points into its ridge; the same dislocation seen with ridges and valleys
		// swapped is a bifurcation pointing the same way, between its branches (ISO).
		ahead := pe.field[80*160+80+int(8*math.Cos(e.Direction))]
		behind := pe.field[80*160+80-int(8*math.Cos(e.Direction))]
		if !(ahead > 0.5 && behind < -0.5) {
			t.Errorf("winding %d: the ending points %.2f, but the ridge (field %.2f ahead, %.2f behind) lies the other way", winding, e.Direction, ahead, behind)
		}
		if angleBetween(e.Direction, b.Direction) > 1e-9 {
			t.Errorf("winding %d: ending %.3f and bifurcation %.3f point different ways", winding, e.Direction, b.Direction)
		}
	}
}

func TestZhangSuen(t *testing.T) {
	// a 7-pixel-thick bar thins to a one-pixel line with two ends
	w, h := 40, 20
	img := make([]bool, w*h)
	for y := 7; y < 14; y++ {
		for x := 5; x < 35; x++ {
			img[y*w+x] = true
		}
	}
	thinZhangSuen(img, w, h)
	ends, inner, n := 0, 0, 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			if !img[y*w+x] {
				continue
			}
			n++
			switch crossingNumber(img, w, x, y) {
			case 1:
				ends++
			case 2:
				inner++
			default:
				t.Errorf("pixel (%d, %d): crossing number %d", x, y, crossingNumber(img, w, x, y))
			}
			// one pixel wide: no 2×2 block
			if img[y*w+x+1] && img[(y+1)*w+x] && img[(y+1)*w+x+1] {
				t.Errorf("2×2 block at (%d, %d)", x, y)
			}
		}
	}
	if ends != 2 || n < 20 {
		t.Errorf("skeleton of a bar: %d pixels, %d ends", n, ends)
	}
	// a Y junction has one pixel of crossing number 3
	y := make([]bool, 9*9)
	for _, p := range [][2]int{{4, 8}, {4, 7}, {4, 6}, {4, 5}, {4, 4}, {3, 3}, {2, 2}, {1, 1}, {5, 3}, {6, 2}, {7, 1}} {
		y[p[1]*9+p[0]] = true
	}
	if cn := crossingNumber(y, 9, 4, 4); cn != 3 {
		t.Errorf("Y junction: crossing number %d", cn)
	}
}

// TestTruthIndependentOfExtractor: the generator, and so its ground truth, must not use
// the extractor it is meant to measure.
func TestTruthIndependentOfExtractor(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fs := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fs, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			if strings.Contains(im.Path.Value, "fingerprint/extract") {
				t.Errorf("%s imports %s", f, im.Path.Value)
			}
		}
	}
}
