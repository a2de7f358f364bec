package face

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// landmarksFrom places the template's points in an image through a known similarity.
func landmarksFrom(t ChipTemplate, s Similarity) Landmarks {
	var l Landmarks
	set := map[string]*Point{"left_eye_outer": &l.LeftEyeOuter, "left_eye_inner": &l.LeftEyeInner,
		"right_eye_outer": &l.RightEyeOuter, "right_eye_inner": &l.RightEyeInner, "nose": &l.Nose}
	for _, p := range t.Points {
		*set[p.Name] = s.Apply(Point{p.X, p.Y})
	}
	return l
}

func TestFitSimilarityRecovers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100; i++ {
		want := Similarity{
			Z:    cmplx.Rect(0.2+5*r.Float64(), (r.Float64()-0.5)*math.Pi),
			From: complex(75, 75),
			To:   complex(1000*r.Float64(), 1000*r.Float64()),
		}
		got, err := FitSimilarity(DlibChip, landmarksFrom(DlibChip, want))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []Point{{0, 0}, {150, 0}, {0, 150}, {75, 40}} {
			a, b := want.Apply(p), got.Apply(p)
			if dist(a, b) > 1e-6 {
				t.Fatalf("case %d: %v maps to %v, want %v", i, p, b, a)
			}
		}
	}
}

func TestFitSimilarityDegenerate(t *testing.T) {
	if _, err := FitSimilarity(DlibChip, Landmarks{}); err == nil {
		t.Error("coincident landmarks: no error")
	}
	nan := Landmarks{Nose: Point{math.NaN(), 0}}
	if _, err := FitSimilarity(DlibChip, nan); err == nil {
		t.Error("NaN landmark: no error")
	}
	bad := ChipTemplate{Size: 100, Points: []TemplatePoint{{"left_eye", 30, 40}, {"mouth", 50, 80}}}
	if err := bad.Validate(); err == nil {
		t.Error("unknown landmark name accepted")
	}
}

// TestAlignShifted cuts a chip out of an image that is a rotated, scaled copy of a known
// chip; the result must reproduce the chip.
func TestAlignShifted(t *testing.T) {
	src := NewRGB(150, 150)
	for y := 0; y < 150; y++ {
		for x := 0; x < 150; x++ {
			o := 3 * (y*150 + x)
			// Smooth pattern so that interpolation error is small.
			src.Pix[o] = byte(128 + 100*math.Sin(float64(x)/9))
			src.Pix[o+1] = byte(128 + 100*math.Cos(float64(y)/11))
			src.Pix[o+2] = byte((x + y) / 2)
		}
	}
	// The photo is the chip scaled 2.5× and turned 20°: photo = Z·(chip − c) + d.
	z := cmplx.Rect(2.5, 20*math.Pi/180)
	fwd := Similarity{Z: z, From: complex(75, 75), To: complex(300, 260)}
	inv := Similarity{Z: 1 / z, From: fwd.To, To: fwd.From}
	photo := warp(src, inv, 600)
	chip, err := Align(photo, landmarksFrom(DlibChip, fwd), DlibChip)
	if err != nil {
		t.Fatal(err)
	}
	var sad float64
	n := 0
	for y := 10; y < 140; y++ {
		for x := 10; x < 140; x++ {
			for k := 0; k < 3; k++ {
				sad += math.Abs(float64(chip.Pix[3*(y*150+x)+k]) - float64(src.Pix[3*(y*150+x)+k]))
				n++
			}
		}
	}
	if mae := sad / float64(n); mae > 3 {
		t.Errorf("aligned chip differs from the original by %.2f grey levels on average", mae)
	}
}

func TestResize(t *testing.T) {
	m := NewRGB(100, 60)
	for i := range m.Pix {
		m.Pix[i] = 77
	}
	for _, s := range []float64{0.13, 0.5, 1.7, 2} {
		r := resize(m, s)
		if want := int(100*s + 0.5); r.W != want {
			t.Errorf("scale %g: width %d, want %d", s, r.W, want)
		}
		for i, v := range r.Pix {
			if v != 77 {
				t.Fatalf("scale %g: pixel byte %d = %d, want 77", s, i, v)
			}
		}
	}
}

func BenchmarkAlign(b *testing.B) {
	img := NewRGB(1280, 960)
	l := landmarksFrom(DlibChip, Similarity{Z: 3, From: 75, To: complex(600, 400)})
	for b.Loop() {
		if _, err := Align(img, l, DlibChip); err != nil {
			b.Fatal(err)
		}
	}
}
