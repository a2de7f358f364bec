package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"
)

func TestDecodeFormats(t *testing.T) {
	src := pattern(97, 83)
	g16 := image.NewGray16(src.Rect)
	for i, v := range src.Pix {
		g16.SetGray16(i%97, i/97, color.Gray16{Y: uint16(v)*257 + uint16(min(100, 65535-int(v)*257))})
	}
	samples := make([]int, len(src.Pix))
	for i, v := range src.Pix {
		samples[i] = int(v)
	}
	scaledSamples := func(maxval int) ([]int, *image.Gray) {
		s := make([]int, len(samples))
		want := image.NewGray(src.Rect)
		for i, v := range samples {
			s[i] = v * maxval / 255
			want.Pix[i] = uint8((s[i]*255 + maxval/2) / maxval)
		}
		return s, want
	}
	s1023, want1023 := scaledSamples(1023)
	s65535, want65535 := scaledSamples(65535)
	s15, want15 := scaledSamples(15)
	// Colour: luma of (200, 100, 50) is 0.299·200 + 0.587·100 + 0.114·50 = 124.3.
	red := rgbaImage(70, 70, color.NRGBA{200, 100, 50, 255})
	halfClear := rgbaImage(70, 70, color.NRGBA{0, 0, 0, 128}) // black at 50% over white

	tests := []struct {
		name    string
		data    []byte
		ppi     int
		wantPPI int
		want    *image.Gray // exact pixels, or nil
		tol     int         // tolerance for lossy formats; with want == nil, uniform value check skipped
		value   int         // expected uniform value when >= 0 and want == nil
	}{
		{name: "tiff LE no resolution", data: encodeTIFF(le, src, nil), want: src, value: -1},
		{name: "tiff BE 500 dpi", data: encodeTIFF(be, src, nil, tiffRes(be, 500, 500, 2)...), wantPPI: 500, want: src, value: -1},
		{name: "tiff LE 500 dpi", data: encodeTIFF(le, src, nil, tiffRes(le, 500, 500, 2)...), wantPPI: 500, want: src, value: -1},
		{name: "tiff cm", data: encodeTIFF(le, src, nil, tRational(le, 282, 19685, 100), tRational(le, 283, 19685, 100), tShort(le, 296, 3)), wantPPI: 500, want: src, value: -1},
		{name: "tiff no unit means inch", data: encodeTIFF(be, src, nil, tRational(be, 282, 569, 1), tRational(be, 283, 569, 1)), wantPPI: 569, want: src, value: -1},
		{name: "tiff unit none", data: encodeTIFF(le, src, nil, tiffRes(le, 500, 500, 1)...), wantPPI: 0, want: src, value: -1},
		{name: "tiff only XResolution", data: encodeTIFF(le, src, nil, tRational(le, 282, 1000, 1)), wantPPI: 1000, want: src, value: -1},
		{name: "tiff resolution as LONG", data: encodeTIFF(be, src, nil, tLong(be, 282, 300), tLong(be, 283, 300)), wantPPI: 300, want: src, value: -1},
		{name: "tiff resolution as SHORT", data: encodeTIFF(le, src, nil, tShort(le, 282, 400), tShort(le, 283, 400), tShort(le, 296, 2)), wantPPI: 400, want: src, value: -1},
		{name: "tiff resolution as DOUBLE", data: encodeTIFF(be, src, nil, tDouble(be, 282, 499.7), tDouble(be, 283, 499.7)), wantPPI: 500, want: src, value: -1},
		{name: "tiff 16-bit", data: encodeTIFF(be, nil, g16, tiffRes(be, 500, 500, 2)...), wantPPI: 500, want: src, value: -1},
		{name: "tiff 16-bit LE", data: encodeTIFF(le, nil, g16), want: src, value: -1},
		{name: "tiff x/image encoder 72 dpi", data: encodeTIFFLib(t, src, nil), want: src, value: -1},
		{name: "tiff x/image deflate", data: encodeTIFFLib(t, src, &tiff.Options{Compression: tiff.Deflate, Predictor: true}), want: src, value: -1},
		{name: "tiff ppi flag overrides", data: encodeTIFF(le, src, nil, tiffRes(le, 500, 500, 2)...), ppi: 569, wantPPI: 569, want: src, value: -1},
		{name: "tiff RGB", data: encodeTIFFLib(t, red, nil), value: 124},

		{name: "png no pHYs", data: encodePNG(t, src), want: src, value: -1},
		{name: "png pHYs 500", data: withPHYs(encodePNG(t, src), ppm(500), ppm(500), 1), wantPPI: 500, want: src, value: -1},
		{name: "png pHYs unit unknown", data: withPHYs(encodePNG(t, src), ppm(500), ppm(500), 0), want: src, value: -1},
		{name: "png pHYs 72", data: withPHYs(encodePNG(t, src), 2835, 2835, 1), want: src, value: -1},
		{name: "png pHYs 96", data: withPHYs(encodePNG(t, src), 3780, 3780, 1), want: src, value: -1},
		{name: "png 16-bit", data: encodePNG(t, g16), want: src, value: -1},
		{name: "png colour", data: encodePNG(t, red), value: 124},
		{name: "png alpha over white", data: encodePNG(t, halfClear), value: 127},

		{name: "bmp 8-bit 500", data: encodeBMP(t, src, int32(ppm(500)), int32(ppm(500))), wantPPI: 500, want: src, value: -1},
		{name: "bmp no resolution", data: encodeBMP(t, src, 0, 0), want: src, value: -1},
		{name: "bmp 72", data: encodeBMP(t, src, 2835, 2835), want: src, value: -1},
		{name: "bmp 24-bit", data: encodeBMP(t, red, int32(ppm(1000)), int32(ppm(1000))), wantPPI: 1000, value: 124},

		{name: "jpeg no APP0", data: encodeJPEG(t, src), want: src, tol: 8, value: -1},
		{name: "jpeg JFIF 500 dpi", data: withSegment(encodeJPEG(t, src), 0xe0, jfif(1, 500, 500)), wantPPI: 500, want: src, tol: 8, value: -1},
		{name: "jpeg JFIF 197 dpcm", data: withSegment(encodeJPEG(t, src), 0xe0, jfif(2, 197, 197)), wantPPI: 500, want: src, tol: 8, value: -1},
		{name: "jpeg JFIF aspect only", data: withSegment(encodeJPEG(t, src), 0xe0, jfif(0, 1, 1)), want: src, tol: 8, value: -1},
		{name: "jpeg Exif 500 dpi", data: withSegment(encodeJPEG(t, src), 0xe1, exif(be, tiffRes(be, 500, 500, 2))), wantPPI: 500, want: src, tol: 8, value: -1},
		{name: "jpeg Exif 72 dpi", data: withSegment(encodeJPEG(t, src), 0xe1, exif(le, tiffRes(le, 72, 72, 2))), want: src, tol: 8, value: -1},
		{name: "jpeg colour", data: encodeJPEG(t, red), tol: 2, value: 124},

		{name: "pgm P5 255", data: pgmP5(97, 83, 255, samples), want: src, value: -1},
		{name: "pgm P5 15", data: pgmP5(97, 83, 15, s15), want: want15, value: -1},
		{name: "pgm P5 1023", data: pgmP5(97, 83, 1023, s1023), want: want1023, value: -1},
		{name: "pgm P5 65535", data: pgmP5(97, 83, 65535, s65535), want: want65535, value: -1},
		{name: "pgm P2 255", data: pgmP2(97, 83, 255, samples), want: src, value: -1},
		{name: "pgm P2 1023", data: pgmP2(97, 83, 1023, s1023), want: want1023, value: -1},
		{name: "pgm with ppi", data: pgmP5(97, 83, 255, samples), ppi: 1000, wantPPI: 1000, want: src, value: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, ppi, err := Decode(bytes.NewReader(tc.data), tc.name, tc.ppi)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ppi != tc.wantPPI {
				t.Errorf("ppi = %d, want %d", ppi, tc.wantPPI)
			}
			if g.Rect.Min != (image.Point{}) || g.Stride != g.Rect.Dx() {
				t.Errorf("image rect %v stride %d, want origin 0 and tight stride", g.Rect, g.Stride)
			}
			if tc.want != nil {
				if g.Rect != tc.want.Rect {
					t.Fatalf("size %v, want %v", g.Rect, tc.want.Rect)
				}
				if d := maxDiff(g, tc.want); d > tc.tol {
					t.Errorf("pixels differ by up to %d, want at most %d", d, tc.tol)
				}
			}
			if tc.value >= 0 {
				for i, v := range g.Pix {
					if d := int(v) - tc.value; d < -tc.tol-1 || d > tc.tol+1 {
						t.Fatalf("pixel %d = %d, want %d±%d", i, v, tc.value, tc.tol+1)
					}
				}
			}
		})
	}
}

func maxDiff(a, b *image.Gray) int {
	m := 0
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			d := int(a.GrayAt(x, y).Y) - int(b.GrayAt(x, y).Y)
			if d < 0 {
				d = -d
			}
			m = max(m, d)
		}
	}
	return m
}

func TestPolicy(t *testing.T) {
	const outside = "outside 250–1000; pass the scanner's resolution with --dpi"
	tests := []struct {
		name       string
		flag       int
		x, y       float64
		wantX      int
		wantY      int
		wantErrMsg string
	}{
		{name: "nothing", wantX: 0, wantY: 0},
		{name: "file 500", x: 500, y: 500, wantX: 500, wantY: 500},
		{name: "file 250", x: 250, y: 250, wantX: 250, wantY: 250},
		{name: "file 1000", x: 1000, y: 1000, wantX: 1000, wantY: 1000},
		{name: "file 249.6 rounds to 250", x: 249.6, y: 249.6, wantX: 250, wantY: 250},
		{name: "file 569", x: 569, y: 569, wantX: 569, wantY: 569},
		{name: "file 72 is unknown", x: 72, y: 72},
		{name: "file 96 is unknown", x: 96, y: 96},
		{name: "file 72.009 (2835 ppm) is unknown", x: 72.009, y: 72.009},
		{name: "file 72×96 is unknown", x: 72, y: 96},
		{name: "file 300 dpi is an error", x: 100, y: 100, wantErrMsg: "resolution 100 ppi " + outside},
		{name: "file 1200 is an error", x: 1200, y: 1200, wantErrMsg: "resolution 1200 ppi " + outside},
		{name: "file 249 is an error", x: 249, y: 249, wantErrMsg: "resolution 249 ppi " + outside},
		{name: "file 72×500 is an error", x: 500, y: 72, wantErrMsg: "resolution 72 ppi " + outside},
		{name: "file anisotropic", x: 500, y: 1000, wantX: 500, wantY: 1000},
		{name: "huge file value", x: 1e300, y: 1e300, wantErrMsg: "resolution 1000000000 ppi " + outside},
		{name: "flag overrides file", flag: 500, x: 1200, y: 72, wantX: 500, wantY: 500},
		{name: "flag overrides unknown", flag: 569, wantX: 569, wantY: 569},
		{name: "flag 250", flag: 250, wantX: 250, wantY: 250},
		{name: "flag 1000", flag: 1000, wantX: 1000, wantY: 1000},
		{name: "flag 200", flag: 200, x: 500, y: 500, wantErrMsg: "given resolution 200 ppi outside 250–1000"},
		{name: "flag 1001", flag: 1001, wantErrMsg: "given resolution 1001 ppi outside 250–1000"},
		{name: "flag negative", flag: -500, wantErrMsg: "given resolution -500 ppi outside 250–1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, y, err := resolve("f.tif", tc.flag, resolution{tc.x, tc.y})
			if tc.wantErrMsg != "" {
				if err == nil {
					t.Fatalf("got %d×%d, want error %q", x, y, tc.wantErrMsg)
				}
				if got, want := err.Error(), "f.tif: "+tc.wantErrMsg; got != want {
					t.Errorf("error %q, want %q", got, want)
				}
				if !errors.Is(err, ErrResolution) {
					t.Errorf("error %v is not ErrResolution", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if x != tc.wantX || y != tc.wantY {
				t.Errorf("got %d×%d, want %d×%d", x, y, tc.wantX, tc.wantY)
			}
		})
	}
}

func TestDecodeAt(t *testing.T) {
	tests := []struct {
		name         string
		data         []byte
		ppi, target  int
		wantW, wantH int
		wantErr      error
		wantMsg      string
	}{
		{name: "300 ppi to 500", data: withPHYs(encodePNG(t, pattern(300, 300)), ppm(300), ppm(300), 1), target: 500, wantW: 500, wantH: 500},
		{name: "1000 ppi to 500", data: encodeTIFF(le, pattern(300, 200), nil, tiffRes(le, 1000, 1000, 2)...), target: 500, wantW: 150, wantH: 100},
		{name: "569 flag", data: encodeTIFF(le, pattern(296, 560), nil), ppi: 569, target: 500, wantW: 260, wantH: 492},
		{name: "unknown assumed target", data: encodeTIFF(le, pattern(300, 300), nil), target: 500, wantW: 300, wantH: 300},
		{name: "72 dpi assumed target", data: encodeTIFFLib(t, pattern(240, 320), nil), target: 500, wantW: 240, wantH: 320},
		{name: "anisotropic", data: encodeTIFF(be, pattern(200, 100), nil, tiffRes(be, 500, 250, 2)...), target: 500, wantW: 200, wantH: 200},
		{name: "anisotropic within 2%", data: encodeTIFF(be, pattern(200, 100), nil, tiffRes(be, 500, 509, 2)...), target: 500, wantW: 200, wantH: 100},
		{name: "other target", data: encodeTIFF(be, pattern(200, 100), nil, tiffRes(be, 500, 500, 2)...), target: 1000, wantW: 400, wantH: 200},
		{name: "small but fine after upsampling", data: encodeTIFF(be, pattern(40, 40), nil, tiffRes(be, 250, 250, 2)...), target: 500, wantW: 80, wantH: 80},
		{name: "tiny", data: pgmP5(50, 80, 255, make([]int, 50*80)), target: 500, wantErr: ErrSize,
			wantMsg: "tiny: image too small: 50×80 pixels (at least 64×64)"},
		{name: "tiny after downsampling", data: encodeTIFF(be, pattern(100, 100), nil, tiffRes(be, 1000, 1000, 2)...), target: 500, wantErr: ErrSize,
			wantMsg: "tiny after downsampling: image too small: 100×100 pixels at 1000 ppi would be 50×50 at 500 ppi (at least 64×64)"},
		{name: "too many pixels after upsampling", data: pgmP5(4096, 4096, 255, nil), ppi: 250, target: 500, wantErr: ErrSize,
			wantMsg: "too many pixels after upsampling: image too large: 4096×4096 pixels at 250 ppi would be 8192×8192 at 500 ppi (at most 40000000 pixels)"},
		{name: "bad target", data: pgmP5(100, 100, 255, nil), target: 0, wantErr: ErrResolution},
		{name: "bad file resolution", data: withPHYs(encodePNG(t, pattern(100, 100)), ppm(1200), ppm(1200), 1), target: 500, wantErr: ErrResolution,
			wantMsg: "bad file resolution: resolution 1200 ppi outside 250–1000; pass the scanner's resolution with --dpi"},
		{name: "bad file resolution, flag given", data: withPHYs(encodePNG(t, pattern(100, 100)), ppm(1200), ppm(1200), 1), ppi: 500, target: 500, wantW: 100, wantH: 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := DecodeAt(bytes.NewReader(tc.data), tc.name, tc.ppi, tc.target)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				if tc.wantMsg != "" && err.Error() != tc.wantMsg {
					t.Errorf("error %q\nwant      %q", err, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Rect.Dx() != tc.wantW || g.Rect.Dy() != tc.wantH {
				t.Errorf("size %d×%d, want %d×%d", g.Rect.Dx(), g.Rect.Dy(), tc.wantW, tc.wantH)
			}
		})
	}
}

// TestBadInput checks that bad files give an *Error naming the file, of the
// right kind, and never a panic.
func TestBadInput(t *testing.T) {
	png := encodePNG(t, pattern(100, 100))
	tif := encodeTIFF(le, pattern(100, 100), nil, tiffRes(le, 500, 500, 2)...)
	jpg := encodeJPEG(t, pattern(100, 100))
	bm := encodeBMP(t, pattern(100, 100), 0, 0)
	pgm := pgmP5(100, 100, 255, make([]int, 100*100))
	zeroBMP := encodeBMP(t, pattern(1, 1), 0, 0)
	zeroBMP = zeroBMP[:len(zeroBMP)-4]
	for _, off := range []int{2, 18, 22} {
		if off == 2 {
			le.PutUint32(zeroBMP[off:], uint32(len(zeroBMP)))
			continue
		}
		le.PutUint32(zeroBMP[off:], 0)
	}
	hugeTIFF := encodeTIFF(be, pattern(10, 10), nil)
	be.PutUint32(hugeTIFF[8+100+2+8:], 100000) // ImageWidth value of the first entry
	tests := []struct {
		name string
		data []byte
		kind error
		msg  string // expected prefix of the message after "name: "
	}{
		{"empty", nil, ErrCorrupt, "empty file"},
		{"text", []byte("hello, this is not an image at all"), ErrFormat, "not a supported image (tiff, png, bmp, jpeg, pgm): image: unknown format"},
		{"truncated png", png[:len(png)/2], ErrCorrupt, "corrupt or truncated png file"},
		{"truncated png header", png[:20], ErrCorrupt, "truncated png file"},
		{"corrupt png", flip(png, 60), ErrCorrupt, "corrupt or truncated png file"},
		{"truncated tiff", tif[:len(tif)/2], ErrCorrupt, ""},
		{"truncated tiff header", tif[:6], ErrCorrupt, ""},
		{"truncated jpeg", jpg[:len(jpg)/2], ErrCorrupt, "corrupt or truncated jpeg file"},
		{"truncated bmp", bm[:len(bm)/2], ErrCorrupt, "truncated bmp file"},
		{"truncated pgm", pgm[:len(pgm)/2], ErrCorrupt, "truncated pgm file"},
		{"pgm header only", []byte("P5\n100 100\n"), ErrCorrupt, "truncated pgm file"},
		{"pgm bad maxval", []byte("P5 10 10 0\n"), ErrCorrupt, "corrupt or truncated pgm file: pgm: invalid maxval 0"},
		{"pgm zero size", []byte("P5 0 0 255\n"), ErrCorrupt, "corrupt or truncated pgm file: pgm: invalid size 0×0"},
		{"pgm sample above maxval", pgmP5(64, 64, 100, append(make([]int, 64*64-1), 101)), ErrCorrupt, "corrupt or truncated pgm file: pgm: sample 101 exceeds maxval 100"},
		{"pgm too large", []byte("P5 5000 5000 255\n"), ErrSize, "image too large: 5000×5000 pixels (at most 4096×4096)"},
		{"pgm too wide", []byte("P2 4097 1 255\n"), ErrSize, "image too large: 4097×1 pixels"},
		{"tiff too large", hugeTIFF, ErrSize, "image too large: 100000×10 pixels"},
		{"bmp zero size", zeroBMP, ErrSize, "empty image (0×0 pixels)"},
		{"unsupported bmp", func() []byte { b := append([]byte{}, bm...); le.PutUint32(b[30:], 1); return b }(), ErrFormat, "unsupported bmp variant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, at := range []bool{false, true} {
				var err error
				if at {
					_, err = DecodeAt(bytes.NewReader(tc.data), "dir/"+tc.name, 0, 500)
				} else {
					_, _, err = Decode(bytes.NewReader(tc.data), "dir/"+tc.name, 0)
				}
				if err == nil {
					t.Fatal("no error")
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T %v is not *Error", err, err)
				}
				if !errors.Is(err, tc.kind) {
					t.Errorf("error %q is not %v", err, tc.kind)
				}
				if want := "dir/" + tc.name + ": " + tc.msg; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("error %q\nwant prefix %q", err, want)
				}
			}
		})
	}
}

// flip returns a copy of b with byte i inverted.
func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0xff
	return c
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "101_1.tif")
	if err := os.WriteFile(path, encodeTIFF(le, pattern(300, 300), nil, tiffRes(le, 300, 300, 2)...), 0o644); err != nil {
		t.Fatal(err)
	}
	g, ppi, err := Load(path, 0)
	if err != nil || ppi != 300 || g.Rect.Dx() != 300 {
		t.Fatalf("Load = %v, %d, %v", g.Rect, ppi, err)
	}
	g, err = LoadAt(path, 0, FingerprintPPI)
	if err != nil || g.Rect != image.Rect(0, 0, 500, 500) {
		t.Fatalf("LoadAt = %v, %v", g.Rect, err)
	}
	g, err = LoadAt(path, 500, FingerprintPPI)
	if err != nil || g.Rect != image.Rect(0, 0, 300, 300) {
		t.Fatalf("LoadAt with ppi 500 = %v, %v", g.Rect, err)
	}
	missing := filepath.Join(dir, "missing.tif")
	_, _, err = Load(missing, 0)
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != missing+": cannot open: no such file or directory" {
		t.Errorf("Load(missing) error %q", err)
	}
	if _, err := LoadAt(missing, 0, 500); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadAt(missing) error %q", err)
	}
	if _, _, err := Load(dir, 0); err == nil || !strings.HasPrefix(err.Error(), dir+": ") {
		t.Errorf("Load(directory) error %v", err)
	}
	if _, _, err := Load(path, 100); !errors.Is(err, ErrResolution) {
		t.Errorf("Load with ppi 100: error %v", err)
	}
}

func TestResample(t *testing.T) {
	tests := []struct {
		w, h, from, to int
		wantW, wantH   int
	}{
		{300, 300, 300, 500, 500, 500},
		{300, 300, 500, 500, 300, 300},
		{388, 374, 500, 250, 194, 187},
		{296, 560, 569, 500, 260, 492},
		{240, 320, 1000, 500, 120, 160},
		{1, 1, 1000, 250, 1, 1},
		{10, 10, 0, 500, 10, 10},
		{10, 10, 500, -1, 10, 10},
	}
	for _, tc := range tests {
		src := pattern(tc.w, tc.h)
		got := Resample(src, tc.from, tc.to)
		if got.Rect.Dx() != tc.wantW || got.Rect.Dy() != tc.wantH {
			t.Errorf("Resample(%d×%d, %d, %d) = %d×%d, want %d×%d", tc.w, tc.h, tc.from, tc.to,
				got.Rect.Dx(), got.Rect.Dy(), tc.wantW, tc.wantH)
		}
		if tc.from == tc.to && got != src {
			t.Errorf("Resample(from == to) did not return img unchanged")
		}
	}
	// Flat stays flat, up and down, and a gradient keeps its mean.
	for _, to := range []int{250, 333, 500, 777, 1000} {
		g := Resample(uniform(100, 100, 137), 500, to)
		for i, v := range g.Pix {
			if v != 137 {
				t.Fatalf("flat image to %d ppi: pixel %d = %d", to, i, v)
			}
		}
		src := image.NewGray(image.Rect(0, 0, 200, 50))
		for i := range src.Pix {
			src.Pix[i] = uint8(i % 200)
		}
		g = Resample(src, 500, to)
		if m, want := mean(g), mean(src); m < want-1 || m > want+1 {
			t.Errorf("gradient to %d ppi: mean %.2f, want %.2f", to, m, want)
		}
	}
	// Non-zero origin.
	sub := pattern(200, 200).SubImage(image.Rect(50, 50, 150, 150)).(*image.Gray)
	if g := Resample(sub, 500, 250); g.Rect != image.Rect(0, 0, 50, 50) {
		t.Errorf("sub-image: got %v", g.Rect)
	}
}

func mean(g *image.Gray) float64 {
	s := 0.0
	for _, v := range g.Pix {
		s += float64(v)
	}
	return s / float64(len(g.Pix))
}

func TestToGray(t *testing.T) {
	// A sub-image with non-zero origin, a paletted image and a CMYK image.
	sub := pattern(100, 100).SubImage(image.Rect(10, 20, 60, 90)).(*image.Gray)
	g := toGray(sub)
	if g.Rect != image.Rect(0, 0, 50, 70) || g.Pix[0] != sub.GrayAt(10, 20).Y || g.Pix[len(g.Pix)-1] != sub.GrayAt(59, 89).Y {
		t.Errorf("sub-image: %v", g.Rect)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.Gray{10}, color.RGBA{200, 100, 50, 255}})
	pal.Pix[1] = 1
	if g := toGray(pal); g.Pix[0] != 10 || g.Pix[1] != 124 {
		t.Errorf("paletted: %v", g.Pix)
	}
	short := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.Gray{10}})
	short.Pix[1] = 5 // index beyond the palette: black
	if g := toGray(short); g.Pix[0] != 10 || g.Pix[1] != 0 {
		t.Errorf("short palette: %v", g.Pix)
	}
	cmyk := image.NewCMYK(image.Rect(0, 0, 1, 1))
	cmyk.SetCMYK(0, 0, color.CMYK{0, 0, 0, 255})
	if g := toGray(cmyk); g.Pix[0] != 0 {
		t.Errorf("cmyk black: %v", g.Pix)
	}
	g16 := image.NewGray16(image.Rect(0, 0, 3, 1))
	g16.SetGray16(0, 0, color.Gray16{0xffff})
	g16.SetGray16(1, 0, color.Gray16{0x8080})
	g16.SetGray16(2, 0, color.Gray16{0x807f})
	if g := toGray(g16); g.Pix[0] != 255 || g.Pix[1] != 128 || g.Pix[2] != 128 {
		t.Errorf("gray16: %v", g.Pix)
	}
}

// TestResampleMatchesXImage checks the resampler against
// golang.org/x/image/draw's CatmullRom.
func TestResampleMatchesXImage(t *testing.T) {
	src := pattern(150, 130)
	for _, size := range []image.Point{{250, 217}, {75, 65}, {131, 140}, {300, 50}, {1, 1}, {151, 129}} {
		got := resize(src, size.X, size.Y)
		want := image.NewGray(image.Rect(0, 0, size.X, size.Y))
		draw.CatmullRom.Scale(want, want.Rect, src, src.Rect, draw.Src, nil)
		if d := maxDiff(got, want); d > 1 {
			t.Errorf("%v: differs from x/image/draw by up to %d", size, d)
		}
	}
}
