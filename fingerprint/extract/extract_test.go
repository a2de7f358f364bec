package extract

import (
	"errors"
	"image"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// ridges returns a w×h image of sinusoidal ridges running along angle theta (radians,
// image coordinates, y down) with period lambda, plus an optional phase singularity of
// the given charge at (cx, cy): a charge of ±1 adds or removes one ridge on one side of the
// point, which makes a minutia there. Outside a centred ellipse the image is white.
func ridges(w, h int, theta, lambda float64, charge int, cx, cy float64) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	nx, ny := -math.Sin(theta), math.Cos(theta)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ex, ey := (float64(x)-float64(w)/2)/(0.45*float64(w)), (float64(y)-float64(h)/2)/(0.45*float64(h))
			if ex*ex+ey*ey > 1 {
				img.Pix[y*w+x] = 230
				continue
			}
			ph := 2 * math.Pi * (float64(x)*nx + float64(y)*ny) / lambda
			if charge != 0 {
				ph += float64(charge) * math.Atan2(float64(y)-cy, float64(x)-cx)
			}
			img.Pix[y*w+x] = uint8(128 + 90*math.Cos(ph))
		}
	}
	return img
}

// runTo runs the pipeline on img up to and including the frequency stage.
func runTo(t *testing.T, img *image.Gray) *state {
	t.Helper()
	p := defaultParams
	s := newState(img, &p)
	s.computeGradients()
	if !s.segment() {
		t.Fatal("no foreground")
	}
	s.orientation()
	s.frequency()
	return s
}

func TestOrientationAndFrequency(t *testing.T) {
	for _, deg := range []float64{0, 30, 60, 90, 135, 170} {
		for _, lambda := range []float64{6, 9, 13} {
			theta := deg * math.Pi / 180
			s := runTo(t, ridges(200, 200, theta, lambda, 0, 0, 0))
			var worst float64
			var lamErr float64
			for _, pt := range [][2]int{{100, 100}, {70, 120}, {130, 80}} {
				i := pt[1]*s.w + pt[0]
				if !s.mask[i] {
					t.Fatalf("θ=%v λ=%v: (%d,%d) not in the mask", deg, lambda, pt[0], pt[1])
				}
				d := angleDiff(2*float64(s.pixTheta[i]), 2*theta) / 2
				worst = math.Max(worst, d)
				lam := float64(s.wavelength[s.blockAt(pt[0], pt[1])])
				lamErr = math.Max(lamErr, math.Abs(lam-lambda)/lambda)
			}
			if worst > 3*math.Pi/180 {
				t.Errorf("θ=%v° λ=%v: orientation error %.1f°", deg, lambda, worst*180/math.Pi)
			}
			if lamErr > 0.08 {
				t.Errorf("θ=%v° λ=%v: wavelength error %.0f %%", deg, lambda, 100*lamErr)
			}
		}
	}
}

func TestSegmentation(t *testing.T) {
	s := runTo(t, ridges(240, 300, 0.3, 9, 0, 0, 0))
	// inside the ellipse (well away from its border) must be foreground, the corners not
	for _, pt := range [][2]int{{120, 150}, {60, 150}, {180, 150}, {120, 50}, {120, 250}} {
		if !s.mask[pt[1]*s.w+pt[0]] {
			t.Errorf("(%d,%d) should be foreground", pt[0], pt[1])
		}
	}
	for _, pt := range [][2]int{{5, 5}, {234, 5}, {5, 294}, {234, 294}, {15, 30}} {
		if s.mask[pt[1]*s.w+pt[0]] {
			t.Errorf("(%d,%d) should be background", pt[0], pt[1])
		}
	}
}

func TestEnhanceBinarize(t *testing.T) {
	img := ridges(200, 200, 0.5, 9, 0, 0, 0)
	// add strong noise
	rng := rand.New(rand.NewSource(1))
	for i := range img.Pix {
		if img.Pix[i] != 230 {
			img.Pix[i] = uint8(min(max(float64(img.Pix[i])+rng.NormFloat64()*40, 0), 255))
		}
	}
	clean := ridges(200, 200, 0.5, 9, 0, 0, 0)
	s := runTo(t, img)
	s.enhance()
	s.binarize()
	agree, n := 0, 0
	for y := 60; y < 140; y++ {
		for x := 60; x < 140; x++ {
			i := y*200 + x
			n++
			if (clean.Pix[i] < 128) == (s.binary[i] == 1) {
				agree++
			}
		}
	}
	if f := float64(agree) / float64(n); f < 0.9 {
		t.Errorf("binarised noisy ridges agree with the clean pattern on %.0f %% of pixels, want ≥ 90 %%", 100*f)
	}
}

func TestThinning(t *testing.T) {
	w, h := 120, 80
	b := make([]uint8, w*h)
	// a thick diagonal band and a thick horizontal band
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if math.Abs(float64(y)-0.3*float64(x)-5) < 3 || (y >= 55 && y <= 61 && x > 10 && x < 110) {
				b[y*w+x] = 1
			}
		}
	}
	sk := thinImage(b, w, h)
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if sk[i] == 0 {
				continue
			}
			n++
			if b[i] == 0 {
				t.Fatalf("skeleton pixel (%d,%d) outside the shape", x, y)
			}
			// one pixel wide: no 2×2 block of skeleton pixels
			if sk[i+1] != 0 && sk[i+w] != 0 && sk[i+w+1] != 0 {
				t.Errorf("2×2 block at (%d,%d)", x, y)
			}
			// staircases removed: no pixel whose N and E (etc.) are both set with the
			// opposite side empty
			if stairDelete[neighbourCode(sk, i, w)] {
				t.Errorf("staircase at (%d,%d)", x, y)
			}
		}
	}
	if n < 150 {
		t.Errorf("skeleton has %d pixels, expected the two bands' length", n)
	}
	g := buildGraph(sk, w, h)
	ends := 0
	for _, nd := range g.nodes {
		if len(nd.edges) == 1 {
			ends++
		}
		if len(nd.edges) >= 3 {
			t.Errorf("unexpected junction at (%.0f,%.0f)", nd.x, nd.y)
		}
	}
	// the diagonal band is clipped by the image border (4 endings in all, short spurs aside)
	if ends < 4 {
		t.Errorf("%d endings, want at least 4", ends)
	}
}

// drawSkel draws a one-pixel 8-connected polyline.
func drawSkel(sk []uint8, w int, pts ...[2]int) {
	for k := 0; k+1 < len(pts); k++ {
		x0, y0, x1, y1 := pts[k][0], pts[k][1], pts[k+1][0], pts[k+1][1]
		n := max(abs(x1-x0), abs(y1-y0))
		for i := 0; i <= n; i++ {
			x := x0 + int(math.Round(float64(i*(x1-x0))/float64(n)))
			y := y0 + int(math.Round(float64(i*(y1-y0))/float64(n)))
			sk[y*w+x] = 1
		}
	}
}

func TestDetectEndingAndBifurcation(t *testing.T) {
	w, h := 200, 200
	p := defaultParams
	s := &state{p: &p, w: w, h: h, skel: make([]uint8, w*h), pixTheta: make([]float32, w*h)}
	// a "Y" lying on its side: the stem comes from the left and forks at (100,100) into two
	// branches going right, up and down.
	drawSkel(s.skel, w, [2]int{40, 100}, [2]int{100, 100})
	drawSkel(s.skel, w, [2]int{100, 100}, [2]int{160, 70})
	drawSkel(s.skel, w, [2]int{100, 100}, [2]int{160, 130})
	// the orientation field follows the branches
	for y := 0; y < h; y++ {
		for x := 100; x < w; x++ {
			switch {
			case y < 100:
				s.pixTheta[y*w+x] = float32(math.Pi - math.Atan2(30, 60))
			case y > 100:
				s.pixTheta[y*w+x] = float32(math.Atan2(30, 60))
			}
		}
	}
	s.skel = thinImage(s.skel, w, h)
	s.detect()
	var ends, bifs []minutia
	for _, m := range s.minutiae {
		switch m.kind {
		case fingerprint.Ending:
			ends = append(ends, m)
		case fingerprint.Bifurcation:
			bifs = append(bifs, m)
		}
	}
	if len(ends) != 3 || len(bifs) != 1 {
		t.Fatalf("found %d endings and %d bifurcations, want 3 and 1", len(ends), len(bifs))
	}
	b := bifs[0]
	if math.Hypot(b.x-100, b.y-100) > 2 {
		t.Errorf("bifurcation at (%.1f,%.1f), want (100,100)", b.x, b.y)
	}
	// ISO: a bifurcation points along the valley between its branches, here to the right (0)
	if d := angleDiff(b.dir, 0); d > 10*math.Pi/180 {
		t.Errorf("bifurcation direction %.0f°, want 0°", b.dir*180/math.Pi)
	}
	for _, e := range ends {
		var want float64
		switch {
		case math.Hypot(e.x-40, e.y-100) <= 2:
			want = 0 // the stem's ending: its ridge runs to the right
		case math.Hypot(e.x-160, e.y-70) <= 2:
			want = math.Atan2(30, -60) // towards the fork, in image coordinates (y down)
		case math.Hypot(e.x-160, e.y-130) <= 2:
			want = math.Atan2(-30, -60)
		default:
			t.Errorf("unexpected ending at (%.1f,%.1f)", e.x, e.y)
			continue
		}
		if d := angleDiff(e.dir, want); d > 10*math.Pi/180 {
			t.Errorf("ending at (%.0f,%.0f): direction %.0f°, want %.0f°", e.x, e.y, e.dir*180/math.Pi, want*180/math.Pi)
		}
	}
}

func TestExtractSyntheticMinutia(t *testing.T) {
	// A phase singularity makes one ridge end (or fork) at (150,150).
	img := ridges(300, 300, 0.2, 9, 1, 150, 150)
	tpl, err := Extract(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	near := 0
	for _, m := range tpl.Minutiae {
		if math.Hypot(float64(m.X-150), float64(m.Y-150)) < 10 {
			near++
		}
	}
	if near != 1 {
		t.Errorf("%d minutiae within 10 px of the singularity, want 1 (all: %+v)", near, tpl.Minutiae)
	}
	if len(tpl.Minutiae) > 3 {
		t.Errorf("%d minutiae on a clean pattern with one singularity", len(tpl.Minutiae))
	}
	if tpl.Width != 300 || tpl.Height != 300 || tpl.Resolution != fingerprint.DefaultResolution {
		t.Errorf("template geometry %dx%d @%d", tpl.Width, tpl.Height, tpl.Resolution)
	}
	if tpl.Quality < 50 {
		t.Errorf("quality %d of a clean synthetic pattern, want ≥ 50", tpl.Quality)
	}
}

func TestExtractErrors(t *testing.T) {
	uniform := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range uniform.Pix {
		uniform.Pix[i] = 200
	}
	if _, err := Extract(uniform, nil); !errors.Is(err, ErrBlank) {
		t.Errorf("uniform image: %v, want ErrBlank", err)
	}
	if _, err := Extract(image.NewGray(image.Rect(0, 0, 20, 300)), nil); !errors.Is(err, ErrTooSmall) {
		t.Errorf("tiny image: %v, want ErrTooSmall", err)
	}
	if _, err := Extract(nil, nil); !errors.Is(err, ErrTooSmall) {
		t.Errorf("nil image: %v, want ErrTooSmall", err)
	}
	// a smooth gradient has contrast but no ridges
	grad := image.NewGray(image.Rect(0, 0, 300, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			grad.Pix[y*300+x] = uint8(x * 255 / 300)
		}
	}
	if _, err := Extract(grad, nil); !errors.Is(err, ErrNoForeground) {
		t.Errorf("gradient image: %v, want ErrNoForeground", err)
	}
}

func TestSubImage(t *testing.T) {
	// a sub-image (non-zero origin, stride ≠ width) gives the same minutiae as a copy
	big := ridges(400, 400, 0.4, 9, 1, 200, 200)
	sub := big.SubImage(image.Rect(50, 50, 350, 350)).(*image.Gray)
	cp := image.NewGray(image.Rect(0, 0, 300, 300))
	for y := 0; y < 300; y++ {
		copy(cp.Pix[y*300:(y+1)*300], big.Pix[(y+50)*400+50:(y+50)*400+350])
	}
	a, err1 := Extract(sub, nil)
	b, err2 := Extract(cp, nil)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if len(a.Minutiae) != len(b.Minutiae) {
		t.Fatalf("sub-image %d minutiae, copy %d", len(a.Minutiae), len(b.Minutiae))
	}
	for i := range a.Minutiae {
		if a.Minutiae[i] != b.Minutiae[i] {
			t.Errorf("minutia %d: %+v vs %+v", i, a.Minutiae[i], b.Minutiae[i])
		}
	}
}

func TestDebugImages(t *testing.T) {
	dir := t.TempDir()
	img := ridges(240, 240, 0.7, 9, -1, 120, 120)
	if _, err := Extract(img, &Options{DebugDir: dir, DebugName: "syn"}); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"1_mask", "2_orientation", "3_frequency", "4_enhanced", "5_binary", "6_skeleton", "7_minutiae"} {
		fi, err := os.Stat(filepath.Join(dir, "syn_"+stage+".png"))
		if err != nil || fi.Size() == 0 {
			t.Errorf("debug image %s: %v", stage, err)
		}
	}
}

func TestMaxMinutiae(t *testing.T) {
	img := ridges(300, 300, 0.2, 9, 1, 150, 150)
	tpl, err := Extract(img, &Options{MaxMinutiae: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Minutiae) > 1 {
		t.Errorf("%d minutiae with MaxMinutiae 1", len(tpl.Minutiae))
	}
}

// checkTemplate verifies the invariants of any template Extract returns.
func checkTemplate(t *testing.T, tpl *fingerprint.Template, w, h int) {
	t.Helper()
	if tpl.Width != w || tpl.Height != h || tpl.Quality < 0 || tpl.Quality > 100 {
		t.Fatalf("bad template header %+v", tpl)
	}
	for _, m := range tpl.Minutiae {
		if m.X < 0 || m.Y < 0 || m.X >= w || m.Y >= h || m.Direction < 0 || m.Direction >= 2*math.Pi ||
			m.Quality > 100 || (m.Type != fingerprint.Ending && m.Type != fingerprint.Bifurcation) {
			t.Fatalf("bad minutia %+v", m)
		}
	}
}

func TestRandomImages(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for k := 0; k < 40; k++ {
		w, h := 1+rng.Intn(180), 1+rng.Intn(180)
		img := image.NewGray(image.Rect(0, 0, w, h))
		switch k % 3 {
		case 0:
			rng.Read(img.Pix)
		case 1:
			for i := range img.Pix {
				img.Pix[i] = uint8(rng.Intn(2) * 255)
			}
		case 2:
			img = ridges(w, h, rng.Float64()*math.Pi, 3+rng.Float64()*20, rng.Intn(3)-1, rng.Float64()*float64(w), rng.Float64()*float64(h))
		}
		tpl, err := Extract(img, nil)
		if err == nil {
			checkTemplate(t, tpl, w, h)
		}
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(uint8(60), uint8(60), []byte{0, 255, 3, 9, 200})
	f.Add(uint8(100), uint8(80), []byte("fingerprint ridges"))
	f.Add(uint8(49), uint8(200), []byte{128})
	f.Fuzz(func(t *testing.T, w8, h8 uint8, data []byte) {
		w, h := int(w8)+1, int(h8)+1
		img := image.NewGray(image.Rect(0, 0, w, h))
		if len(data) > 0 {
			for i := range img.Pix {
				// tile the data, with a ridge-like modulation so that some inputs pass segmentation
				img.Pix[i] = data[i%len(data)] ^ uint8(int(64*math.Sin(float64(i%w)/1.5)))
			}
		}
		tpl, err := Extract(img, nil)
		if err == nil {
			checkTemplate(t, tpl, w, h)
		}
	})
}
