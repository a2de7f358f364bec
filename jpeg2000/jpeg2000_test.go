package jpeg2000_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/jpeg2000"
)

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		in   string
		want jpeg2000.Format
	}{
		{"\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftyp", jpeg2000.JP2},
		{"\xff\x4f\xff\x51\x00\x29", jpeg2000.J2K},
		{"\xff\xd8\xff\xe0", jpeg2000.Unknown}, // JPEG
		{"\xff\x4f", jpeg2000.Unknown},
		{"", jpeg2000.Unknown},
	} {
		if got := jpeg2000.Sniff([]byte(c.in)); got != c.want {
			t.Errorf("Sniff(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Without the build tag, image.Decode must route JPEG 2000 data here and say plainly that
// support is missing, never "unknown format" or another decoder's error.
func TestNotBuiltIn(t *testing.T) {
	if jpeg2000.Built() {
		t.Skip("built with openjpeg")
	}
	for _, magic := range []string{"\x00\x00\x00\x0cjP  \r\n\x87\n", "\xff\x4f\xff\x51"} {
		_, format, err := image.Decode(strings.NewReader(magic + "rest of the data"))
		if !errors.Is(err, jpeg2000.ErrNotBuiltIn) {
			t.Errorf("image.Decode(%q…) = format %q, error %v; want ErrNotBuiltIn", magic, format, err)
		}
		if !strings.Contains(err.Error(), "JPEG 2000 support not built in") {
			t.Errorf("error %q does not say JPEG 2000 support is not built in", err)
		}
	}
	if err := jpeg2000.Encode(&bytes.Buffer{}, image.NewGray(image.Rect(0, 0, 8, 8)), nil); !errors.Is(err, jpeg2000.ErrNotBuiltIn) {
		t.Errorf("Encode = %v, want ErrNotBuiltIn", err)
	}
}

func needBuilt(t testing.TB) {
	t.Helper()
	if !jpeg2000.Built() {
		t.Skip("JPEG 2000 support not built in: run with -tags openjpeg")
	}
}

// ridges draws a fingerprint-like grey image: concentric ridges with noise, so that the
// wavelet coder has real detail to keep.
func ridges(w, h int, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := math.Hypot(float64(x-w/2), float64(y-h/3))
			v := 128 + 90*math.Sin(d/2.7) + r.NormFloat64()*8
			g.SetGray(x, y, color.Gray{uint8(math.Max(0, math.Min(255, v)))})
		}
	}
	return g
}

func encode(t testing.TB, img image.Image, o *jpeg2000.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg2000.Encode(&buf, img, o); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestLosslessRoundTrip(t *testing.T) {
	needBuilt(t)
	grey := ridges(197, 143, 1) // odd sizes exercise the wavelet's edges
	g16 := image.NewGray16(grey.Bounds())
	rgb := image.NewNRGBA(grey.Bounds())
	for y := 0; y < 143; y++ {
		for x := 0; x < 197; x++ {
			v := grey.GrayAt(x, y).Y
			g16.SetGray16(x, y, color.Gray16{uint16(v)<<8 | uint16(x)})
			rgb.SetNRGBA(x, y, color.NRGBA{v, uint8(x), uint8(y), 255})
		}
	}
	for _, c := range []struct {
		name string
		img  image.Image
		f    jpeg2000.Format
	}{
		{"grey JP2", grey, jpeg2000.JP2},
		{"grey J2K", grey, jpeg2000.J2K},
		{"grey16 JP2", g16, jpeg2000.JP2},
		{"rgb JP2", rgb, jpeg2000.JP2},
		{"tiny", ridges(3, 2, 2), jpeg2000.JP2},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := encode(t, c.img, &jpeg2000.Options{Format: c.f})
			if got := jpeg2000.Sniff(b); got != c.f {
				t.Fatalf("encoded as %v, want %v", got, c.f)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("DecodeConfig: %v", err)
			}
			if cfg.Width != c.img.Bounds().Dx() || cfg.Height != c.img.Bounds().Dy() || cfg.ColorModel != c.img.ColorModel() {
				t.Errorf("config %dx%d %T (format %s), want %v %T", cfg.Width, cfg.Height, cfg.ColorModel, format, c.img.Bounds().Size(), c.img.ColorModel())
			}
			got, _, err := image.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if d := differing(got, c.img); d != 0 {
				t.Errorf("lossless round trip changed %d pixels", d)
			}
		})
	}
}

func differing(a, b image.Image) int {
	if a.Bounds().Size() != b.Bounds().Size() {
		return -1
	}
	n := 0
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			r1, g1, b1, a1 := a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y).RGBA()
			r2, g2, b2, a2 := b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				n++
			}
		}
	}
	return n
}

func psnr(a, b *image.Gray) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	return 10 * math.Log10(255*255/(se/float64(len(a.Pix))))
}

func TestLossy(t *testing.T) {
	needBuilt(t)
	src := ridges(400, 400, 3)
	b := encode(t, src, &jpeg2000.Options{Ratio: 10})
	if ratio := float64(len(src.Pix)) / float64(len(b)); ratio < 8 || ratio > 12 {
		t.Errorf("compression ratio %.1f, asked for 10", ratio)
	}
	img, err := jpeg2000.DecodeBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("decoded %T, want *image.Gray", img)
	}
	if p := psnr(src, g); p < 28 {
		t.Errorf("PSNR %.1f dB at 10:1, want ≥ 28 dB", p)
	}
}

// Every prefix and many corruptions of a valid stream must give an error or an image,
// never a crash; prefixes short of the end of the header must give an error.
func TestCorruptAndTruncated(t *testing.T) {
	needBuilt(t)
	for _, f := range []jpeg2000.Format{jpeg2000.JP2, jpeg2000.J2K} {
		b := encode(t, ridges(64, 48, 4), &jpeg2000.Options{Format: f, Ratio: 5})
		for n := 0; n < len(b); n += 1 + n/16 {
			_, err := jpeg2000.DecodeBytes(b[:n])
			if n < 60 && err == nil {
				t.Errorf("%v: %d of %d bytes decoded without error", f, n, len(b))
			}
		}
		r := rand.New(rand.NewPCG(5, 6))
		for i := 0; i < 200; i++ {
			c := bytes.Clone(b)
			for k := 0; k < 1+r.IntN(8); k++ {
				c[r.IntN(len(c))] ^= byte(1 + r.IntN(255))
			}
			if img, err := jpeg2000.DecodeBytes(c); err == nil && img.Bounds().Empty() {
				t.Errorf("%v: corrupted stream decoded to an empty image", f)
			}
		}
	}
	if _, err := jpeg2000.DecodeBytes([]byte("GIF89a")); err == nil || !strings.Contains(err.Error(), "no JP2 signature") {
		t.Errorf("non-JPEG 2000 data: error %v", err)
	}
}

// A header that claims a vast image is refused before any pixel memory is allocated.
func TestHugeHeaderRefused(t *testing.T) {
	needBuilt(t)
	b := encode(t, ridges(32, 32, 7), &jpeg2000.Options{Format: jpeg2000.J2K})
	// SIZ follows SOC: FF4F FF51 Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz.
	for _, off := range []int{8, 12, 24, 28} {
		binary.BigEndian.PutUint32(b[off:], 20000)
	}
	_, err := jpeg2000.DecodeBytes(b)
	if err == nil || !strings.Contains(err.Error(), "20000x20000") {
		t.Fatalf("20000×20000 header: error %v, want a refusal naming the size", err)
	}
}

// The JP2L palm of the NIST reference transaction type-15-palms.an2 decodes to the size
// its Type-15 record declares (fields 15.006 and 15.007: 2750 × 2750 at 8 bits).
func TestNISTReferencePalm(t *testing.T) {
	needBuilt(t)
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	b, err := os.ReadFile(filepath.Join(dir, "nist", "ansi-nist-references", "type-15-palms.an2"))
	if err != nil {
		t.Fatal(err)
	}
	// The image is the last field of the file's last record: from the JP2 signature box to
	// the final file separator.
	i := bytes.Index(b, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n"))
	if i < 0 || b[len(b)-1] != 0x1c {
		t.Fatal("type-15-palms.an2: no JP2 image at the end of the file")
	}
	img, err := jpeg2000.DecodeBytes(b[i : len(b)-1])
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Bounds().Dx() != 2750 || g.Bounds().Dy() != 2750 {
		t.Fatalf("decoded %T %v, want a 2750×2750 grey image", img, img.Bounds())
	}
	// The reference "palm" is NIST's lossless test pattern, a black-and-white maze: about
	// half the pixels black, half white, and (being lossless) almost nothing in between.
	var hist [256]int
	for _, v := range g.Pix {
		hist[v]++
	}
	n := float64(len(g.Pix))
	black, white := float64(hist[0])/n, float64(hist[255])/n
	if black < 0.4 || white < 0.4 || black+white < 0.999 {
		t.Errorf("decoded pattern: %.3f black, %.3f white; want a black-and-white maze", black, white)
	}
}

func FuzzDecode(f *testing.F) {
	if jpeg2000.Built() {
		f.Add(encode(f, ridges(16, 16, 8), &jpeg2000.Options{}))
		f.Add(encode(f, ridges(16, 16, 9), &jpeg2000.Options{Format: jpeg2000.J2K, Ratio: 4}))
	}
	f.Add([]byte("\xff\x4f\xff\x51"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := jpeg2000.DecodeBytes(b)
		if err == nil && img.Bounds().Empty() {
			t.Fatal("decoded an empty image without error")
		}
		if cfg, err := jpeg2000.DecodeConfig(bytes.NewReader(b)); err == nil && (cfg.Width <= 0 || cfg.Height <= 0) {
			t.Fatalf("config %dx%d without error", cfg.Width, cfg.Height)
		}
	})
}

func BenchmarkDecodeNISTPalm(b *testing.B) {
	needBuilt(b)
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		b.Skip("BIOMESH_TESTDATA not set")
	}
	data, err := os.ReadFile(filepath.Join(dir, "nist", "ansi-nist-references", "type-15-palms.an2"))
	if err != nil {
		b.Fatal(err)
	}
	i := bytes.Index(data, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n"))
	data = data[i : len(data)-1]
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := jpeg2000.DecodeBytes(data); err != nil {
			b.Fatal(err)
		}
	}
}
