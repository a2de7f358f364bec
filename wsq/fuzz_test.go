package wsq

import (
	"bytes"
	"image"
	"testing"
)

// FuzzDecode: any input either decodes to an image whose size DecodeConfig
// also reports, or fails with an error; nothing panics.
func FuzzDecode(f *testing.F) {
	f.Add(sample(f, 40, 36))
	f.Add(sample(f, 7, 5))
	f.Add([]byte("\xff\xa0\xff\xa1"))
	f.Add(join([]seg{sof(3, 3)}))
	f.Add(evenFile(f, ringImage(70, 66), 1))
	old := maxPixels
	maxPixels = 1 << 20
	defer func() { maxPixels = old }()
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(bytes.NewReader(data))
		cfg, cerr := DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return
		}
		if cerr != nil {
			t.Fatalf("Decode succeeded but DecodeConfig failed: %v", cerr)
		}
		if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
			t.Fatalf("Decode gave %v, DecodeConfig %dx%d", b, cfg.Width, cfg.Height)
		}
	})
}

// FuzzRoundTrip: any image of any size and bit rate encodes, and decodes to
// the same size.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(16), uint8(16), uint8(3), []byte("ridges and valleys"))
	f.Add(uint8(1), uint8(1), uint8(0), []byte{0})
	f.Add(uint8(65), uint8(3), uint8(255), []byte{255, 0, 255, 0})
	f.Fuzz(func(t *testing.T, w, h, rate uint8, seed []byte) {
		if w == 0 || h == 0 || len(seed) == 0 {
			return
		}
		img := image.NewGray(image.Rect(0, 0, int(w), int(h)))
		for i := range img.Pix {
			img.Pix[i] = seed[i%len(seed)] + uint8(i/len(seed))
		}
		bitRate := 0.1 + float64(rate)/255*7.9
		var buf bytes.Buffer
		if err := Encode(&buf, img, &Options{BitRate: bitRate}); err != nil {
			t.Fatalf("encode %dx%d at %.2f: %v", w, h, bitRate, err)
		}
		got, err := Decode(&buf)
		if err != nil {
			t.Fatalf("decode of our %dx%d output: %v", w, h, err)
		}
		if got.Bounds() != img.Bounds() {
			t.Fatalf("size %v, want %v", got.Bounds(), img.Bounds())
		}
	})
}
