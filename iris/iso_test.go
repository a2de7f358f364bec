package iris

import (
	"bytes"
	"errors"
	"image/png"
	"testing"
)

func TestISORoundTrip(t *testing.T) {
	img := Synthesize(SynthEye{Texture: 21, Capture: 1, Reflections: 2})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	rec := NewISORecord(EyeRight, ISOMonoPNG, 320, 280, buf.Bytes(), 80)
	rec.Images = append(rec.Images, ISOImage{Eye: EyeLeft, Number: 2, Quality: 254, Rotation: -1, Uncertainty: 0xFFFF, Data: buf.Bytes()})
	b, err := EncodeISO(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !IsISO(b) || len(b) != 45+2*3+2*(11+buf.Len()) {
		t.Fatalf("record of %d bytes", len(b))
	}
	back, err := DecodeISO(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Images) != 2 || back.Images[0].Eye != EyeRight || back.Images[1].Eye != EyeLeft || back.Images[0].Quality != 80 || back.Width != 320 {
		t.Fatalf("decoded %+v", back)
	}
	b2, _ := EncodeISO(back)
	if !bytes.Equal(b, b2) {
		t.Error("re-encoding changed the record")
	}
	g, err := DecodeImage(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Pix, img.Pix) {
		t.Error("image from the record differs")
	}
	if _, _, err := Extract(g, nil); err != nil {
		t.Errorf("extract from the record: %v", err)
	}
	raw := NewISORecord(EyeLeft, ISOMonoRaw, 320, 280, img.Pix, 254)
	rb, _ := EncodeISO(raw)
	if g, err := DecodeImage(rb); err != nil || !bytes.Equal(g.Pix, img.Pix) {
		t.Errorf("raw record: %v", err)
	}
	for _, n := range []int{8, 44, 45, 50, len(b) - 1} {
		if _, err := DecodeISO(b[:n]); !errors.Is(err, ErrISO) {
			t.Errorf("%d-byte prefix: %v", n, err)
		}
	}
}

func FuzzDecodeISO(f *testing.F) {
	rec := NewISORecord(EyeRight, ISOMonoRaw, 4, 3, make([]byte, 12), 50)
	b, _ := EncodeISO(rec)
	f.Add(b)
	f.Add([]byte("IIR\x00010\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeISO(data)
		if err != nil {
			return
		}
		out, err := EncodeISO(r)
		if err != nil {
			if len(r.Images) == 0 {
				return
			}
			t.Fatal(err)
		}
		if len(out) > len(data) {
			t.Fatalf("re-encoded record longer (%d) than its input (%d)", len(out), len(data))
		}
		for i := range r.Images {
			r.Gray(i) // must not panic
		}
	})
}
