package iris

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// segmentOf runs the segmentation stages alone and returns the boundaries found.
func segmentOf(t *testing.T, img *image.Gray) (pupil, iris Circle, q Quality) {
	t.Helper()
	tp, q, err := Extract(img, nil)
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	return tp.Pupil, tp.Iris, q
}

func TestSegmentSynthetic(t *testing.T) {
	cases := []struct {
		name string
		eye  SynthEye
	}{
		{"painted pupil", SynthEye{Texture: 1, Capture: 1, PaintedPupil: true}},
		{"natural pupil with reflections", SynthEye{Texture: 2, Capture: 2, Reflections: 3}},
		{"off-centre, small pupil", SynthEye{Texture: 3, Capture: 3, Iris: Circle{140, 150, 95}, Pupil: Circle{143, 152, 25}, Reflections: 2}},
		{"dilated pupil", SynthEye{Texture: 4, Capture: 4, Pupil: Circle{160, 140, 55}, Reflections: 1}},
		{"upper lid and lashes", SynthEye{Texture: 5, Capture: 5, UpperLid: 0.25, Lashes: 30, Reflections: 2}},
		{"640×480", SynthEye{Texture: 6, Capture: 6, Width: 640, Height: 480, Iris: Circle{330, 240, 150}, Pupil: Circle{332, 242, 55}, Reflections: 3}},
		{"slight defocus", SynthEye{Texture: 7, Capture: 7, Blur: 1, Reflections: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := Synthesize(c.eye)
			want := c.eye
			if want.Iris.R == 0 {
				want.Iris = Circle{float64(img.Rect.Dx()) / 2, float64(img.Rect.Dy()) / 2, 100}
			}
			if want.Pupil.R == 0 {
				want.Pupil = Circle{want.Iris.X, want.Iris.Y, 35}
			}
			p, i, q := segmentOf(t, img)
			tol := 2.0 * float64(img.Rect.Dx()) / 320
			if d := math.Hypot(p.X-want.Pupil.X, p.Y-want.Pupil.Y); d > tol || math.Abs(p.R-want.Pupil.R) > tol {
				t.Errorf("pupil %+v, want %+v", p, want.Pupil)
			}
			if d := math.Hypot(i.X-want.Iris.X, i.Y-want.Iris.Y); d > 2*tol || math.Abs(i.R-want.Iris.R) > 2*tol {
				t.Errorf("iris %+v, want %+v", i, want.Iris)
			}
			if c.eye.UpperLid > 0 && q.Occlusion < 0.05 {
				t.Errorf("occlusion %.3f with an upper lid over a quarter of the iris", q.Occlusion)
			}
		})
	}
}

func TestSyntheticGenuineImpostor(t *testing.T) {
	enrol := func(e SynthEye) *Template {
		tp, _, err := Extract(Synthesize(e), nil)
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		return tp
	}
	a := enrol(SynthEye{Texture: 11, Capture: 1, Reflections: 2})
	// The same iris: another capture, a dilated pupil, moved, turned by 5 positions.
	rot := 5 * 2 * math.Pi / float64(defaultParams.codeCols)
	b := enrol(SynthEye{Texture: 11, Capture: 2, Reflections: 3, Rotation: rot,
		Iris: Circle{150, 145, 100}, Pupil: Circle{151, 146, 45}})
	c := enrol(SynthEye{Texture: 12, Capture: 3, Reflections: 2})
	p := Prepare(a)
	g, i := p.Detail(b), p.Detail(c)
	if g.Distance > 0.3 {
		t.Errorf("genuine distance %.3f, want ≤ 0.3 (%+v)", g.Distance, g)
	}
	if g.Shift < 4 || g.Shift > 6 {
		t.Errorf("genuine best shift %d, want 5 ± 1", g.Shift)
	}
	if i.Distance < 0.37 {
		t.Errorf("impostor distance %.3f, want ≥ 0.37 (%+v)", i.Distance, i)
	}
	if g.Score <= i.Score+20 {
		t.Errorf("genuine score %.1f not well above impostor %.1f", g.Score, i.Score)
	}
}

func TestBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := image.NewGray(image.Rect(0, 0, 320, 280))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	flat := image.NewGray(image.Rect(0, 0, 320, 280))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	ramp := image.NewGray(image.Rect(0, 0, 320, 280))
	for y := range 280 {
		for x := range 320 {
			ramp.Pix[y*320+x] = uint8(x * 255 / 320)
		}
	}
	checker := image.NewGray(image.Rect(0, 0, 320, 280))
	for y := range 280 {
		for x := range 320 {
			if (x/20+y/20)%2 == 0 {
				checker.Pix[y*320+x] = 230
			} else {
				checker.Pix[y*320+x] = 20
			}
		}
	}
	closed := Synthesize(SynthEye{Texture: 1, Capture: 1, UpperLid: 1.2, Lashes: 80, Noise: 6})
	blurred := Synthesize(SynthEye{Texture: 1, Capture: 1, Blur: 9, Noise: 0.5})
	cases := []struct {
		name string
		img  image.Image
		want error  // a sentinel, or nil for a *QualityError
		gate string // with want nil: a gate that must fail
	}{
		{"tiny", image.NewGray(image.Rect(0, 0, 40, 30)), ErrSize, ""},
		{"flat", flat, ErrBlank, ""},
		{"noise", noise, nil, ""},
		{"ramp", ramp, nil, ""},
		{"checkerboard", checker, nil, ""},
		{"closed eye", closed, nil, ""},
		{"defocused", blurred, nil, GateSharpness},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp, _, err := Extract(c.img, nil)
			if tp != nil || err == nil {
				t.Fatalf("enrolled a %s image", c.name)
			}
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("error %v, want %v", err, c.want)
				}
				return
			}
			var qe *QualityError
			if !errors.As(err, &qe) {
				t.Fatalf("error %v is not a quality failure", err)
			}
			if c.gate != "" {
				found := false
				for _, g := range qe.Failed {
					found = found || g.Name == c.gate
				}
				if !found {
					t.Errorf("failed %v, want gate %s among them", qe, c.gate)
				}
			}
		})
	}
	for _, data := range [][]byte{nil, []byte("not an image"), {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}} {
		if _, err := DecodeImage(data); !errors.Is(err, ErrImage) {
			t.Errorf("DecodeImage(%q): %v, want ErrImage", data, err)
		}
	}
}

// TestOddImages feeds images of unusual shapes and content; none may panic, and none of
// them holds an eye.
func TestOddImages(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sz := range [][2]int{{120, 120}, {130, 2000}, {2000, 130}, {640, 480}, {1280, 1024}} {
		img := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(256))
		}
		if tp, _, err := Extract(img, nil); tp != nil || err == nil {
			t.Errorf("%d×%d noise enrolled", sz[0], sz[1])
		}
	}
	// An eye inside a larger canvas whose origin is not (0, 0).
	eye := Synthesize(SynthEye{Texture: 9, Capture: 9, Reflections: 2})
	sub := eye.SubImage(image.Rect(10, 10, 310, 270)).(*image.Gray)
	if _, _, err := Extract(sub, nil); err != nil {
		t.Errorf("sub-image: %v", err)
	}
}
