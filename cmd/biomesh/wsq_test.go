package main

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/wsq"
)

// writeTestPNG writes a synthetic ridge pattern (concentric rings nine
// pixels apart, as on a 500 ppi print) as a grey PNG.
func writeTestPNG(t *testing.T, path string, w, h int) *image.Gray {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r := math.Hypot(float64(x-w/2), float64(y-h/2))
			img.Pix[y*w+x] = uint8(128 + 90*math.Sin(2*math.Pi*r/9))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestWSQEncodeDecode(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "print.png")
	orig := writeTestPNG(t, in, 200, 180)

	stdout, stderr, err := run("wsq", "encode", in, "--bitrate", "1.5", "--ppi", "600")
	if err != nil {
		t.Fatalf("wsq encode: %v\n%s", err, stderr)
	}
	wsqPath := filepath.Join(dir, "print.wsq")
	if !strings.Contains(stdout, wsqPath) || !strings.Contains(stdout, "200×180") || !strings.Contains(stdout, "600 ppi") {
		t.Errorf("encode report %q", stdout)
	}
	data, err := os.ReadFile(wsqPath)
	if err != nil {
		t.Fatal(err)
	}
	info, err := wsq.DecodeInfo(bytes.NewReader(data))
	if err != nil || info.PPI != 600 || info.NISTCOM["WSQ_BITRATE"] != "1.500000" {
		t.Fatalf("encoded file: %+v, %v", info, err)
	}

	out := filepath.Join(dir, "back.png")
	stdout, stderr, err = run("wsq", "decode", wsqPath, "-o", out)
	if err != nil {
		t.Fatalf("wsq decode: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "200×180, 600 ppi") {
		t.Errorf("decode report %q", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := back.(*image.Gray)
	if !ok || g.Bounds() != orig.Bounds() {
		t.Fatalf("decoded PNG is %T %v", back, back.Bounds())
	}
	diff := 0
	for i := range g.Pix {
		d := int(g.Pix[i]) - int(orig.Pix[i])
		diff += d * d
	}
	if mse := float64(diff) / float64(len(g.Pix)); mse > 100 {
		t.Errorf("round trip through the CLI: mean squared error %.1f", mse)
	}

	// Default output name, and the ppi defaulting to 500 for a PNG
	// without one.
	if _, stderr, err := run("wsq", "encode", in, "-o", filepath.Join(dir, "default.wsq")); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if _, stderr, err := run("wsq", "decode", filepath.Join(dir, "default.wsq")); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "default.png")); err != nil {
		t.Errorf("decode without -o: %v", err)
	}
	d2, _ := os.ReadFile(filepath.Join(dir, "default.wsq"))
	if info, err := wsq.DecodeInfo(bytes.NewReader(d2)); err != nil || info.PPI != 500 {
		t.Errorf("default ppi: %+v %v", info, err)
	}
}

func TestWSQErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.wsq")
	if err := os.WriteFile(bad, []byte("\xff\xa0\xff\xa1"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"wsq", "decode", bad},
		{"wsq", "decode", filepath.Join(dir, "missing.wsq")},
		{"wsq", "encode", filepath.Join(dir, "missing.png")},
		{"wsq", "encode", bad, "-o", filepath.Join(dir, "x.wsq")},
	} {
		_, _, err := run(args...)
		if err == nil {
			t.Errorf("%v: no error", args)
			continue
		}
		if !strings.Contains(err.Error(), filepath.Base(args[2])) {
			t.Errorf("%v: error %q does not name the file", args, err)
		}
	}
	in := filepath.Join(dir, "p.png")
	writeTestPNG(t, in, 40, 40)
	if _, _, err := run("wsq", "encode", in, "--bitrate", "12"); err == nil || !strings.Contains(err.Error(), "p.png") {
		t.Errorf("bit rate 12: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "p.wsq")); err == nil {
		t.Error("a failed encode left an output file")
	}
}

// TestWSQDecodeReference decodes a NIST reference file through the CLI and
// compares it with the expected PNG.
func TestWSQDecodeReference(t *testing.T) {
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA not set: skipping the CLI test on the NIST WSQ files")
	}
	src := filepath.Join(root, "nist", "wsq", "tenprint", "fp-1.wsq")
	out := filepath.Join(t.TempDir(), "fp-1.png")
	if _, stderr, err := run("wsq", "decode", src, "-o", out); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	read := func(path string) image.Image {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return img
	}
	got, want := read(out), read(strings.TrimSuffix(src, ".wsq")+".png")
	if got.Bounds() != want.Bounds() {
		t.Fatalf("size %v, want %v", got.Bounds(), want.Bounds())
	}
	b, exact := got.Bounds(), 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g, _, _, _ := got.At(x, y).RGBA()
			w, _, _, _ := want.At(x, y).RGBA()
			if d := int(g>>8) - int(w>>8); d == 0 {
				exact++
			} else if d > 1 || d < -1 {
				t.Fatalf("pixel (%d,%d) differs by %d", x, y, d)
			}
		}
	}
	if pct := 100 * float64(exact) / float64(b.Dx()*b.Dy()); pct < 99.9 {
		t.Errorf("%.3f %% exact", pct)
	}
}
