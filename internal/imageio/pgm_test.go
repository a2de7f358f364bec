package imageio

import (
	"bytes"
	"errors"
	"image"
	"io"
	"strings"
	"testing"
)

func TestPGM(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []uint8 // 8-bit pixels after toGray
		w, h    int
		sixteen bool
		err     string // substring of the error
	}{
		{name: "P5 comments", data: "P5\n# made by hand\n2 # width\n2\n255\n\x00\x10\x80\xff", want: []uint8{0, 16, 128, 255}, w: 2, h: 2},
		{name: "P5 comment after maxval", data: "P5 2 1 255# note\n\x01\x02", want: []uint8{1, 2}, w: 2, h: 1},
		{name: "P5 other whitespace", data: "P5\t2\r1\f255\r\x01\x02", want: []uint8{1, 2}, w: 2, h: 1},
		{name: "P5 raster starts with whitespace byte", data: "P5 2 1 255\n\n\x20", want: []uint8{10, 32}, w: 2, h: 1},
		{name: "P5 trailing data ignored", data: "P5 1 1 255\n\x07P5 1 1 255\n\x08", want: []uint8{7}, w: 1, h: 1},
		{name: "P5 maxval 1", data: "P5 2 1 1\n\x00\x01", want: []uint8{0, 255}, w: 2, h: 1},
		{name: "P5 16-bit", data: "P5 2 1 65535\n\x00\x00\xff\xff", want: []uint8{0, 255}, w: 2, h: 1, sixteen: true},
		{name: "P5 maxval 256", data: "P5 3 1 256\n\x00\x00\x00\x80\x01\x00", want: []uint8{0, 128, 255}, w: 3, h: 1, sixteen: true},
		{name: "P2", data: "P2\n3 1\n10\n0 5\n10", want: []uint8{0, 128, 255}, w: 3, h: 1},
		{name: "P2 comments in raster", data: "P2 3 1 255 1 # one\n 2\n#two\n3\n", want: []uint8{1, 2, 3}, w: 3, h: 1},
		{name: "P2 16-bit", data: "P2 2 1 4095 0 4095", want: []uint8{0, 255}, w: 2, h: 1, sixteen: true},
		{name: "bad magic", data: "P6 1 1 255\n\x00", err: "not a P2 or P5 file"},
		{name: "magic glued to width", data: "P52 2 255\n\x00\x00\x00\x00", err: "invalid magic number"},
		{name: "bad width", data: "P5 2x2 255\n\x00", err: `invalid character 'x' in width`},
		{name: "negative", data: "P2 1 1 255 -1", err: `invalid character '-' in sample`},
		{name: "width too large", data: "P5 99999999999999999999 1 255\n", err: "width too large"},
		{name: "width above limit", data: "P5 2000000 1 255\n", err: "invalid size 2000000×1"},
		{name: "zero height", data: "P5 1 0 255\n", err: "invalid size 1×0"},
		{name: "maxval 0", data: "P5 1 1 0\n\x00", err: "invalid maxval 0"},
		{name: "maxval 65536", data: "P5 1 1 65536\n\x00\x00", err: "invalid maxval 65536"},
		{name: "no whitespace after maxval", data: "P5 1 1 255", err: "unexpected EOF"},
		{name: "garbage after maxval", data: "P5 1 1 255x\x00", err: "invalid character 'x' in maxval"},
		{name: "P5 sample above maxval", data: "P5 2 1 100\n\x00\x65", err: "sample 101 exceeds maxval 100"},
		{name: "P5 16-bit sample above maxval", data: "P5 1 1 1000\n\x03\xe9", err: "sample 1001 exceeds maxval 1000"},
		{name: "P2 sample above maxval", data: "P2 2 1 100 0 101", err: "sample 101 exceeds maxval 100"},
		{name: "P5 truncated", data: "P5 2 2 255\n\x00\x00\x00", err: "unexpected EOF"},
		{name: "P5 16-bit odd length", data: "P5 1 1 1000\n\x03", err: "unexpected EOF"},
		{name: "P2 truncated", data: "P2 2 2 255 1 2 3", err: "unexpected EOF"},
		{name: "unterminated comment", data: "P5 1 1 # no end", err: "unexpected EOF"},
		{name: "empty", data: "", err: "unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := decodePGM(strings.NewReader(tc.data))
			cfg, cfgErr := decodePGMConfig(strings.NewReader(tc.data))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if strings.Contains(tc.err, "EOF") && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("error %v is not io.ErrUnexpectedEOF", err)
				}
				return
			}
			if err != nil || cfgErr != nil {
				t.Fatalf("decode: %v; config: %v", err, cfgErr)
			}
			if cfg.Width != tc.w || cfg.Height != tc.h || img.Bounds() != image.Rect(0, 0, tc.w, tc.h) {
				t.Errorf("config %d×%d, bounds %v, want %d×%d", cfg.Width, cfg.Height, img.Bounds(), tc.w, tc.h)
			}
			if _, ok := img.(*image.Gray16); ok != tc.sixteen {
				t.Errorf("image type %T", img)
			}
			if g := toGray(img); !bytes.Equal(g.Pix, tc.want) {
				t.Errorf("pixels %v, want %v", g.Pix, tc.want)
			}
		})
	}
}

// TestPGMRegistered checks that image.Decode finds the PGM decoder.
func TestPGMRegistered(t *testing.T) {
	for _, data := range [][]byte{pgmP5(3, 2, 255, []int{1, 2, 3, 4, 5, 6}), pgmP2(3, 2, 255, []int{1, 2, 3, 4, 5, 6})} {
		_, format, err := image.Decode(bytes.NewReader(data))
		if err != nil || format != "pgm" {
			t.Errorf("image.Decode: format %q, error %v", format, err)
		}
	}
}

// TestPGMHugeHeader checks that a header promising a huge image does not
// allocate it before the data is there.
func TestPGMHugeHeader(t *testing.T) {
	data := []byte("P5 1000000 1000000 65535\n\x00\x00")
	var m1, m2 runtimeMem
	m1.read()
	if _, err := decodePGM(bytes.NewReader(data)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v", err)
	}
	m2.read()
	if d := m2.total - m1.total; d > 64<<20 {
		t.Errorf("allocated %d bytes for a 2-byte raster", d)
	}
}
