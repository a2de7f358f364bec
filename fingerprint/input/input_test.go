package input

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/extract"
)

func sample() *fingerprint.Template {
	return &fingerprint.Template{Width: 300, Height: 300, Resolution: 500, Quality: 70, Minutiae: []fingerprint.Minutia{
		{X: 10, Y: 20, Direction: 1, Type: fingerprint.Ending, Quality: 50},
		{X: 200, Y: 120, Direction: 4, Type: fingerprint.Bifurcation, Quality: 80},
	}}
}

// ridges draws a 500-ppi image of straight ridges, period 9 px, in a disc.
func ridges() []byte {
	img := image.NewGray(image.Rect(0, 0, 240, 240))
	for y := range 240 {
		for x := range 240 {
			v := 230.0
			if math.Hypot(float64(x-120), float64(y-120)) < 100 {
				v = 128 + 90*math.Sin(2*math.Pi*float64(x+y/3)/9)
			}
			img.Pix[y*img.Stride+x] = uint8(v)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestTemplatesOfEveryFormat(t *testing.T) {
	native, _ := sample().MarshalBinary()
	iso, _ := fingerprint.EncodeISO(sample())
	ansi, _ := fingerprint.EncodeANSI(sample())
	for name, data := range map[string][]byte{"native": native, "iso": iso, "ansi": ansi} {
		if !IsTemplate(data) {
			t.Errorf("%s: IsTemplate = false", name)
		}
		got, err := Bytes(data, name, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.Minutiae) != 2 || got.Minutiae[1].X != 200 || got.Resolution != fingerprint.DefaultResolution {
			t.Errorf("%s: %+v", name, got)
		}
	}
}

func TestImage(t *testing.T) {
	data := ridges()
	if IsTemplate(data) {
		t.Fatal("a PNG taken for a template")
	}
	if _, err := Bytes(data, "ridges.png", nil); err != nil {
		t.Fatalf("ridges.png: %v", err)
	}
	// At a claimed 1000 ppi the image is halved before extraction: still usable.
	if _, err := Bytes(data, "ridges.png", &Options{DPI: 1000}); err != nil && !errors.Is(err, extract.ErrNoForeground) {
		t.Errorf("ridges.png at 1000 ppi: %v", err)
	}
}

func TestErrorsNameTheInput(t *testing.T) {
	iso, _ := fingerprint.EncodeISO(sample())
	cases := map[string][]byte{
		"truncated.iso": iso[:len(iso)-3],
		"garbage.png":   []byte("\x89PNG\r\n\x1a\nnot really"),
		"empty.tif":     nil,
		"blank.png":     blank(),
	}
	for name, data := range cases {
		_, err := Bytes(data, name, nil)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming the input", name, err)
		}
	}
	if _, err := Bytes(ridges(), "x.png", &Options{DPI: 100}); err == nil || !strings.Contains(err.Error(), "x.png") {
		t.Errorf("100 ppi: %v, want an error naming the input", err)
	}
}

func blank() []byte {
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func FuzzBytes(f *testing.F) {
	iso, _ := fingerprint.EncodeISO(sample())
	native, _ := sample().MarshalBinary()
	f.Add(iso)
	f.Add(native)
	f.Add(blank())
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := Bytes(data, "fuzz", nil)
		if err == nil && tp == nil {
			t.Fatal("nil template without an error")
		}
		if err != nil && !strings.Contains(err.Error(), "fuzz") {
			t.Fatalf("error does not name the input: %v", err)
		}
	})
}
