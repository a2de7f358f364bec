package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"io"
	"testing"
)

// A made-up format standing in for codecs registered by other packages
// (WSQ): "BMSH", width and height (uint16), ppi (uint16), then 8-bit pixels.
// When bmshPanics is set, its decoder panics on a width of 13 and its
// resolution reader on a ppi of 13.
var bmshPanics bool

func init() {
	image.RegisterFormat("bmsh", "BMSH", decodeBMSH, decodeBMSHConfig)
	RegisterResolution("bmsh", func(b []byte) (float64, float64) {
		ppi := float64(binary.BigEndian.Uint16(b[8:]))
		if ppi == 13 && bmshPanics {
			panic("resolution reader bug")
		}
		return ppi, ppi
	})
}

func decodeBMSHConfig(r io.Reader) (image.Config, error) {
	var h [10]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: color.GrayModel,
		Width: int(binary.BigEndian.Uint16(h[4:])), Height: int(binary.BigEndian.Uint16(h[6:]))}, nil
}

func decodeBMSH(r io.Reader) (image.Image, error) {
	cfg, err := decodeBMSHConfig(r)
	if err != nil {
		return nil, err
	}
	if cfg.Width == 13 && bmshPanics {
		panic("decoder bug")
	}
	g := image.NewGray(image.Rect(0, 0, cfg.Width, cfg.Height))
	if _, err := io.ReadFull(r, g.Pix); err != nil {
		return nil, err
	}
	return g, nil
}

func bmsh(w, h, ppi int) []byte {
	b := []byte("BMSH")
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	b = binary.BigEndian.AppendUint16(b, uint16(h))
	b = binary.BigEndian.AppendUint16(b, uint16(ppi))
	return append(b, make([]byte, w*h)...)
}

func TestRegisteredFormat(t *testing.T) {
	g, ppi, err := Decode(bytes.NewReader(bmsh(100, 80, 1000)), "a.bmsh", 0)
	if err != nil || ppi != 1000 || g.Rect.Dx() != 100 {
		t.Fatalf("Decode: %v, %d, %v", g.Rect, ppi, err)
	}
	g, err = DecodeAt(bytes.NewReader(bmsh(200, 160, 1000)), "a.bmsh", 0, 500)
	if err != nil || g.Rect.Dx() != 100 || g.Rect.Dy() != 80 {
		t.Fatalf("DecodeAt: %v, %v", g.Rect, err)
	}
	if _, _, err := Decode(bytes.NewReader(bmsh(100, 80, 2000)), "a.bmsh", 0); !errors.Is(err, ErrResolution) {
		t.Errorf("2000 ppi: %v", err)
	}
	// Panics in a third-party decoder or resolution reader become errors.
	bmshPanics = true
	defer func() { bmshPanics = false }()
	_, _, err = Decode(bytes.NewReader(bmsh(13, 80, 500)), "a.bmsh", 0)
	if want := "a.bmsh: corrupt or truncated bmsh file: decoder panic: decoder bug"; err == nil || err.Error() != want {
		t.Errorf("panicking decoder: %v, want %q", err, want)
	}
	if _, ppi, err := Decode(bytes.NewReader(bmsh(100, 80, 13)), "a.bmsh", 0); err != nil || ppi != 0 {
		t.Errorf("panicking resolution reader: %d, %v", ppi, err)
	}
	if _, _, err := Decode(bytes.NewReader(bmsh(100, 80, 500)[:50]), "a.bmsh", 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
}
