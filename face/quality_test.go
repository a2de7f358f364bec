package face

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// texturedChip is a 150×150 chip with detail at several scales and mean luma near 128.
func texturedChip() *RGB {
	c := NewRGB(150, 150)
	for y := 0; y < 150; y++ {
		for x := 0; x < 150; x++ {
			v := 128 + 40*math.Sin(float64(x)*0.9)*math.Cos(float64(y)*0.7) + 30*math.Sin(float64(x+y)/7)
			o := 3 * (y*150 + x)
			c.Pix[o], c.Pix[o+1], c.Pix[o+2] = byte(v), byte(v), byte(v)
		}
	}
	return c
}

func gaussianBlur(m *RGB, sigma float64) *RGB {
	r := int(3 * sigma)
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	pass := func(src *RGB, dx, dy int) *RGB {
		out := NewRGB(src.W, src.H)
		for y := 0; y < src.H; y++ {
			for x := 0; x < src.W; x++ {
				for c := 0; c < 3; c++ {
					var a float64
					for i, w := range k {
						xx := clamp(x+dx*(i-r), 0, src.W-1)
						yy := clamp(y+dy*(i-r), 0, src.H-1)
						a += w * float64(src.Pix[3*(yy*src.W+xx)+c])
					}
					out.Pix[3*(y*src.W+x)+c] = byte(a/sum + 0.5)
				}
			}
		}
		return out
	}
	return pass(pass(m, 1, 0), 0, 1)
}

func TestGates(t *testing.T) {
	g := DefaultGates
	sharp := texturedChip()
	var q Quality
	measureChip(&q, sharp)
	g.check(&q, true)
	if !q.OK() {
		t.Fatalf("textured chip fails: %s", q)
	}
	measureChip(&q, gaussianBlur(sharp, 2))
	g.check(&q, true)
	if !slices.Equal(q.Failed, []string{GateBlur}) {
		t.Errorf("blurred chip: %s, want only %q to fail", q, GateBlur)
	}
	dark := NewRGB(150, 150)
	for i := range dark.Pix {
		dark.Pix[i] = sharp.Pix[i] / 6
	}
	measureChip(&q, dark)
	g.check(&q, true)
	if !slices.Contains(q.Failed, GateBrightness) {
		t.Errorf("dark chip: %s, want %q to fail", q, GateBrightness)
	}

	// Geometry: a frontal face, then a small one, then one turned aside.
	f := Face{Box: image.Rect(0, 0, 200, 200), Landmarks: landmarksFrom(DlibChip, Similarity{Z: 1.3, From: 75, To: 300})}
	q = Quality{Sharpness: 100, Brightness: 128}
	measureFace(&q, f)
	g.check(&q, false)
	if !q.OK() || math.Abs(q.Yaw) > 0.02 || math.Abs(q.Roll) > 0.5 {
		t.Errorf("frontal face: %s", q)
	}
	small := Face{Box: image.Rect(0, 0, 30, 30), Landmarks: landmarksFrom(DlibChip, Similarity{Z: 0.2, From: 75, To: 300})}
	measureFace(&q, small)
	g.check(&q, false)
	if !slices.Equal(q.Failed, []string{GateFaceSize, GateEyeDistance}) {
		t.Errorf("small face: %s", q)
	}
	turned := f
	turned.Landmarks.Nose.X += 0.4 * f.Landmarks.EyeDistance()
	measureFace(&q, turned)
	g.check(&q, false)
	if !slices.Equal(q.Failed, []string{GatePose}) || q.Yaw < 0.35 {
		t.Errorf("turned face: %s", q)
	}
}

func TestDecodeErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var png, jpg strings.Builder
	encodePNG(t, &png, image.NewGray(image.Rect(0, 0, 64, 64)))
	noise := image.NewGray(image.Rect(0, 0, 256, 256))
	for i := range noise.Pix {
		noise.Pix[i] = byte(i * 7919 >> 3)
	}
	encodeJPEG(t, &jpg, noise)
	huge := []byte(png.String())
	// Rewrite the IHDR width and height to 100000×100000, with its CRC: the size check
	// must refuse it from the header, before any pixel is decoded.
	copy(huge[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	for name, tc := range map[string]struct {
		path string
		want string
	}{
		"missing":   {filepath.Join(dir, "nope.jpg"), "cannot open"},
		"empty":     {write("empty.jpg", nil), "empty file"},
		"text":      {write("text.jpg", []byte("hello, not an image")), "not a JPEG or PNG"},
		"truncated": {write("trunc.jpg", []byte(jpg.String()[:len(jpg.String())/2])), "corrupt jpeg"},
		"tiny":      {write("tiny.png", pngOf(t, 10, 10)), "too small"},
		"huge":      {write("huge.png", huge), "too large"},
	} {
		_, err := DecodeFile(tc.path)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Name != tc.path || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want an InputError naming the file with %q", name, err, tc.want)
		}
	}
	if _, err := DecodeFile(write("ok.png", []byte(png.String()))); err != nil {
		t.Errorf("valid PNG: %v", err)
	}
}

func TestToRGB(t *testing.T) {
	src := image.NewNRGBA(image.Rect(5, 5, 45, 35))
	for y := 16; y < 26; y++ {
		for x := 6; x < 16; x++ {
			src.Set(x, y, color.NRGBA{200, 100, 50, 255})
		}
	}
	for _, img := range []image.Image{src, toYCbCr(t, src)} {
		m, err := ToRGB(img)
		if err != nil {
			t.Fatal(err)
		}
		if m.W != 40 || m.H != 30 {
			t.Fatalf("size %d×%d", m.W, m.H)
		}
		o := 3 * (15*40 + 5)
		if d := math.Abs(float64(m.Pix[o]) - 200); d > 40 {
			t.Errorf("%T: red %d at the set pixel, want about 200", img, m.Pix[o])
		}
	}
}

func TestNotBuilt(t *testing.T) {
	if DlibBuiltIn {
		t.Skip("dlib is built in")
	}
	_, err := Open(Options{})
	if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), "-tags dlib") {
		t.Errorf("Open without dlib: %v", err)
	}
	p := New(nil, nil, DefaultGates)
	if _, err := p.Detect("x", image.NewGray(image.Rect(0, 0, 100, 100))); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Detect without a detector: %v", err)
	}
}
