package wsq

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// testdata returns $BIOMESH_TESTDATA joined with elem, skipping the test
// when the variable is unset.
func testdata(t testing.TB, elem ...string) string {
	t.Helper()
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set: skipping the test on the shared WSQ and FVC files")
	}
	return filepath.Join(append([]string{dir}, elem...)...)
}

// referenceFiles lists the WSQ files with expected decodes; a missing file
// fails the test, since the data set is said to be there.
func referenceFiles(t testing.TB) []string {
	t.Helper()
	tenprint, err := filepath.Glob(testdata(t, "nist", "wsq", "tenprint", "*.wsq"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tenprint) != 14 {
		t.Fatalf("%s: found %d WSQ files, want 14", testdata(t, "nist", "wsq", "tenprint"), len(tenprint))
	}
	files := append(tenprint, testdata(t, "nist", "wsq", "third-party", "sample.wsq"))
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("reference file missing: %v", err)
		}
	}
	return files
}

func readGray(t testing.TB, path string) *image.Gray {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if r != gg || gg != bb {
				t.Fatalf("%s: pixel (%d,%d) is not grey", path, x, y)
			}
			g.Pix[y*g.Stride+x] = uint8(r >> 8)
		}
	}
	return g
}

// TestConformance decodes every reference file and compares it with the
// expected PNG: every pixel within ±1 and at least 99.9 % exactly equal,
// both with the lifting steps (the default for 9/7 files) and with the
// direct convolution.
func TestConformance(t *testing.T) {
	for _, path := range referenceFiles(t) {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := readGray(t, path[:len(path)-len(".wsq")]+".png")
		for _, lifting := range []bool{true, false} {
			mode := "lifting"
			if !lifting {
				mode = "convolution"
			}
			t.Run(name+"/"+mode, func(t *testing.T) {
				liftingEnabled = lifting
				defer func() { liftingEnabled = true }()
				got, info, err := DecodeAll(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if got.Bounds() != want.Bounds() {
					t.Fatalf("%s: size %v, want %v", path, got.Bounds(), want.Bounds())
				}
				exact, worst := 0, 0
				for i, p := range got.Pix {
					d := int(p) - int(want.Pix[i])
					if d == 0 {
						exact++
					}
					worst = max(worst, d, -d)
				}
				pct := 100 * float64(exact) / float64(len(got.Pix))
				t.Logf("%s (%s): %d×%d, %d ppi, %.4f %% exactly equal, largest difference %d", name, mode, info.Width, info.Height, info.PPI, pct, worst)
				if worst > 1 {
					t.Errorf("%s: a pixel differs by %d grey levels (allowed 1)", name, worst)
				}
				if pct < 99.9 {
					t.Errorf("%s: %.4f %% of pixels exactly equal, want ≥ 99.9 %%", name, pct)
				}
			})
		}
	}
}
