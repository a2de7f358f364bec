package imageio

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// testdata returns $BIOMESH_TESTDATA or skips the test.
func testdata(t testing.TB) string {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set; skipping tests on the shared fingerprint data")
	}
	return dir
}

// TestTestdata decodes every FVC2000/FVC2002 B-set TIFF and the NFIQ 2
// example PGMs, and logs the resolution their files carry.
func TestTestdata(t *testing.T) {
	dir := testdata(t)
	sets := []struct {
		glob  string
		count int
		w, h  int
	}{
		{"fingerprint/fvc2000/DB1_B/*.tif", 80, 300, 300},
		{"fingerprint/fvc2000/DB2_B/*.tif", 80, 256, 364},
		{"fingerprint/fvc2000/DB3_B/*.tif", 80, 448, 478},
		{"fingerprint/fvc2000/DB4_B/*.tif", 80, 240, 320},
		{"fingerprint/fvc2002/DB1_B/*.tif", 80, 388, 374},
		{"fingerprint/fvc2002/DB2_B/*.tif", 80, 296, 560},
		{"fingerprint/fvc2002/DB3_B/*.tif", 80, 300, 300},
		{"fingerprint/fvc2002/DB4_B/*.tif", 80, 288, 384},
		{"fingerprint/nfiq2/examples/images/*.pgm", 5, 416, 560},
	}
	for _, set := range sets {
		name := strings.TrimPrefix(filepath.Dir(set.glob), "fingerprint/")
		t.Run(name, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join(dir, set.glob))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != set.count {
				t.Fatalf("%s: %d files, want %d", set.glob, len(files), set.count)
			}
			resolutions := map[int]int{}
			var elapsed time.Duration
			for _, f := range files {
				start := time.Now()
				g, ppi, err := Load(f, 0)
				elapsed += time.Since(start)
				if err != nil {
					t.Fatal(err)
				}
				resolutions[ppi]++
				if g.Rect.Dx() != set.w || g.Rect.Dy() != set.h {
					t.Errorf("%s: %v, want %d×%d", f, g.Rect, set.w, set.h)
				}
				if lo, hi := minMax(g.Pix); hi-lo < 64 {
					t.Errorf("%s: grey values only %d..%d", f, lo, hi)
				}
				at, err := LoadAt(f, 0, FingerprintPPI)
				if err != nil {
					t.Fatal(err)
				}
				if ppi == 0 && at.Rect != g.Rect {
					t.Errorf("%s: unknown resolution resampled to %v", f, at.Rect)
				}
			}
			t.Logf("%s: %d files %d×%d, resolution in file %s, Load %.2f ms/image",
				name, len(files), set.w, set.h, describe(resolutions), float64(elapsed.Microseconds())/1000/float64(len(files)))
		})
	}
	// FVC2002 DB2 was scanned at 569 ppi; its TIFFs do not say so, so the
	// resolution has to be given.
	files, _ := filepath.Glob(filepath.Join(dir, "fingerprint/fvc2002/DB2_B/*.tif"))
	if len(files) > 0 {
		g, err := LoadAt(files[0], 569, FingerprintPPI)
		if err != nil {
			t.Fatal(err)
		}
		if g.Rect.Dx() != 260 || g.Rect.Dy() != 492 {
			t.Errorf("FVC2002 DB2 at 569 ppi resampled to %v, want 260×492", g.Rect)
		}
	}
}

func minMax(p []uint8) (lo, hi uint8) {
	lo = 255
	for _, v := range p {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

func describe(m map[int]int) string {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		s := fmt.Sprintf("%d ppi", k)
		if k == 0 {
			s = "none"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", s, m[k]))
	}
	return strings.Join(parts, ", ")
}
