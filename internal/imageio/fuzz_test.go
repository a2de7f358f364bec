package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

// fuzzSeeds returns small files of every format, with and without
// resolution fields, and truncated copies.
func fuzzSeeds(t testing.TB) [][]byte {
	g := pattern(16, 16)
	g16 := image.NewGray16(g.Rect)
	for i, v := range g.Pix {
		g16.SetGray16(i%16, i/16, color.Gray16{Y: uint16(v) * 257})
	}
	rgb := rgbaImage(8, 8, color.NRGBA{200, 100, 50, 128})
	var samples []int
	for _, v := range g.Pix {
		samples = append(samples, int(v))
	}
	seeds := [][]byte{
		encodeTIFF(le, g, nil, tiffRes(le, 500, 500, 2)...),
		encodeTIFF(be, nil, g16, tiffRes(be, 197, 197, 3)...),
		encodeTIFFLib(t, rgb, nil),
		withPHYs(encodePNG(t, g), ppm(500), ppm(500), 1),
		encodePNG(t, g16),
		encodePNG(t, rgb),
		encodeBMP(t, g, int32(ppm(500)), int32(ppm(500))),
		encodeBMP(t, rgb, 0, 0),
		withSegment(encodeJPEG(t, g), 0xe0, jfif(1, 500, 500)),
		withSegment(encodeJPEG(t, rgb), 0xe1, exif(be, tiffRes(be, 500, 500, 2))),
		pgmP5(16, 16, 255, samples),
		pgmP5(16, 16, 1000, samples),
		pgmP2(16, 16, 255, samples),
	}
	// Large enough to pass DecodeAt's size checks, so that resampling is fuzzed too.
	big := pattern(66, 70)
	seeds = append(seeds,
		encodeTIFF(le, big, nil, tiffRes(le, 300, 300, 2)...),
		encodeTIFF(be, big, nil, tiffRes(be, 500, 250, 2)...),
		withPHYs(encodePNG(t, big), ppm(1000), ppm(1000), 1),
		pgmP5(66, 70, 255, make([]int, 66*70)),
	)
	n := len(seeds)
	for _, s := range seeds[:n] {
		seeds = append(seeds, s[:len(s)/2], s[:min(len(s), 40)])
	}
	return seeds
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, ppi, err := Decode(bytes.NewReader(data), "fuzz", 0)
		if err != nil {
			checkError(t, err)
			return
		}
		b := g.Bounds()
		if b.Min != (image.Point{}) || b.Dx() < 1 || b.Dy() < 1 || b.Dx() > MaxSide || b.Dy() > MaxSide || len(g.Pix) != b.Dx()*b.Dy() {
			t.Fatalf("bad image %v, %d bytes", b, len(g.Pix))
		}
		if ppi != 0 && (ppi < MinPPI || ppi > MaxPPI) {
			t.Fatalf("ppi %d", ppi)
		}
		g, err = DecodeAt(bytes.NewReader(data), "fuzz", 0, FingerprintPPI)
		if err != nil {
			checkError(t, err)
			return
		}
		if b := g.Bounds(); b.Dx() < MinSide || b.Dy() < MinSide || b.Dx()*b.Dy() > MaxPixels {
			t.Fatalf("DecodeAt gave %v", b)
		}
	})
}

func checkError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "fuzz: ") {
		t.Fatalf("error %T %q is not an *Error naming the input", err, err)
	}
	if strings.Contains(err.Error(), "decoder panic") {
		t.Errorf("a decoder panicked (recovered): %v", err)
	}
}

func FuzzPGM(f *testing.F) {
	for _, s := range []string{
		"P5 2 2 255\n\x00\x10\x80\xff",
		"P5\n# c\n2 1\n65535\n\x00\x00\xff\xff",
		"P5 3 1 256\n\x00\x00\x00\x80\x01\x00",
		"P2 3 1 10 0 5 10",
		"P2 3 1 255 1 # one\n 2\n#two\n3\n",
		"P5 1 1 255# note\n\x07",
		"P5 1000000 1000000 65535\n\x00\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodePGM(bytes.NewReader(data))
		cfg, cfgErr := decodePGMConfig(bytes.NewReader(data))
		if err != nil {
			return
		}
		if cfgErr != nil {
			t.Fatalf("image decodes but config fails: %v", cfgErr)
		}
		b := img.Bounds()
		if b != image.Rect(0, 0, cfg.Width, cfg.Height) {
			t.Fatalf("bounds %v, config %d×%d", b, cfg.Width, cfg.Height)
		}
		switch m := img.(type) {
		case *image.Gray:
			if len(m.Pix) != b.Dx()*b.Dy() || cfg.ColorModel != color.GrayModel {
				t.Fatalf("gray: %d bytes for %v", len(m.Pix), b)
			}
		case *image.Gray16:
			if len(m.Pix) != 2*b.Dx()*b.Dy() || cfg.ColorModel != color.Gray16Model {
				t.Fatalf("gray16: %d bytes for %v", len(m.Pix), b)
			}
		default:
			t.Fatalf("type %T", img)
		}
	})
}

func FuzzTIFFResolution(f *testing.F) {
	for _, bo := range []byteOrder{le, be} {
		f.Add(buildTIFFIFD(bo, nil, tiffRes(bo, 500, 500, 2)))
		f.Add(buildTIFFIFD(bo, []byte{1}, []tiffEntry{tRational(bo, 282, 19685, 100), tShort(bo, 296, 3)}))
		f.Add(buildTIFFIFD(bo, nil, []tiffEntry{tDouble(bo, 282, 500), tLong(bo, 283, 500)}))
		f.Add(encodeTIFF(bo, pattern(4, 4), nil, tiffRes(bo, 1000, 500, 2)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, y := tiffResolution(data)
		for _, v := range []float64{x, y} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("resolution %g×%g", x, y)
			}
		}
		if (x == 0) != (y == 0) {
			t.Fatalf("one axis only: %g×%g", x, y)
		}
		if _, _, err := resolve("fuzz", 0, resolution{x, y}); err != nil && !errors.Is(err, ErrResolution) {
			t.Fatal(err)
		}
	})
}

// FuzzResolution covers the PNG, BMP and JPEG resolution readers, which
// FuzzDecode reaches only for files whose header decodes.
func FuzzResolution(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"png", "bmp", "jpeg", "tiff", "pgm"} {
			r := fileResolution(format, data)
			for _, v := range []float64{r.x, r.y} {
				if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%s: resolution %g×%g", format, r.x, r.y)
				}
			}
		}
	})
}
