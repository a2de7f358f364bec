package wsq

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/internal/imageio"
)

func psnr(a, b *image.Gray) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(len(a.Pix))))
}

func roundTrip(t testing.TB, img *image.Gray, o *Options) (*image.Gray, int) {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, img, o); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	got, err := Decode(&buf)
	if err != nil {
		t.Fatalf("decoding our own output: %v", err)
	}
	g := got.(*image.Gray)
	if g.Bounds() != img.Bounds() {
		t.Fatalf("size %v after round trip, want %v", g.Bounds(), img.Bounds())
	}
	return g, n
}

// fvcAll runs TestEncodeFVC on all 80 images of all eight FVC databases
// instead of 20 images of five.
var fvcAll = flag.Bool("wsq.fvcall", false, "TestEncodeFVC: every image of every FVC 2000/2002 database")

// TestEncodeFVC encodes FVC fingerprints at the default 0.75 bit/pixel and
// checks what our decoder makes of it. The floors are per sensor: the
// low-cost optical DB1 of FVC2000 keeps 37 dB, the noisy capacitive DB2
// about 21 dB (its sensor noise is what 0.75 bit/pixel drops first). A
// second pass at 2.25 bit/pixel must be larger and sharper.
func TestEncodeFVC(t *testing.T) {
	floors := map[string]float64{
		"fvc2000/DB1_B": 35, "fvc2000/DB2_B": 19, "fvc2000/DB3_B": 23, "fvc2000/DB4_B": 20,
		"fvc2002/DB1_B": 25, "fvc2002/DB2_B": 28, "fvc2002/DB3_B": 20, "fvc2002/DB4_B": 20,
	}
	dbs, per := []string{"fvc2000/DB1_B", "fvc2000/DB2_B", "fvc2000/DB3_B", "fvc2002/DB1_B", "fvc2002/DB2_B"}, 20
	if *fvcAll {
		dbs, per = []string{"fvc2000/DB1_B", "fvc2000/DB2_B", "fvc2000/DB3_B", "fvc2000/DB4_B",
			"fvc2002/DB1_B", "fvc2002/DB2_B", "fvc2002/DB3_B", "fvc2002/DB4_B"}, 80
	}
	for _, db := range dbs {
		dir := testdata(t, "fingerprint", db)
		files, err := filepath.Glob(filepath.Join(dir, "*.tif"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 80 {
			t.Fatalf("%s: %d TIFF files, want 80", dir, len(files))
		}
		var sumPSNR, sumRatio, minPSNR float64
		minPSNR = math.Inf(1)
		minRatio, maxRatio := math.Inf(1), 0.0
		for _, f := range files[:per] {
			img, _, err := imageio.Load(f, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, n := roundTrip(t, img, &Options{PPI: 500})
			p := psnr(img, got)
			ratio := float64(len(img.Pix)) / float64(n)
			hiGot, hiN := roundTrip(t, img, &Options{BitRate: 2.25})
			if hp := psnr(img, hiGot); hiN <= n || hp < p+3 {
				t.Errorf("%s: at 2.25 bit/pixel %d bytes, %.2f dB; at 0.75 %d bytes, %.2f dB", f, hiN, hp, n, p)
			}
			sumPSNR += p
			sumRatio += ratio
			minPSNR = min(minPSNR, p)
			minRatio, maxRatio = min(minRatio, ratio), max(maxRatio, ratio)
		}
		k := float64(per)
		t.Logf("%s (%d images): mean PSNR %.2f dB (min %.2f), mean ratio %.1f:1 (%.1f–%.1f)", db, per, sumPSNR/k, minPSNR, sumRatio/k, minRatio, maxRatio)
		if minPSNR < floors[db] {
			t.Errorf("%s: PSNR %.2f dB below %.0f dB", db, minPSNR, floors[db])
		}
		if minRatio < 6 || maxRatio > 40 {
			t.Errorf("%s: compression ratio %.1f–%.1f outside 6–40", db, minRatio, maxRatio)
		}
	}
}

// TestReencodeReference decodes each reference file, encodes it again at the
// bit rate it was made with and decodes that: the second generation must
// stay close to the first and compress about as much.
func TestReencodeReference(t *testing.T) {
	for _, path := range referenceFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		first, info, err := DecodeAll(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		second, n := roundTrip(t, first, &Options{PPI: info.PPI})
		p := psnr(first, second)
		t.Logf("%s: re-encoded %d bytes (reference %d), PSNR %.2f dB against the first decode", filepath.Base(path), n, len(data), p)
		if p < 33 {
			t.Errorf("%s: PSNR %.2f dB below 33 dB", path, p)
		}
		if r := float64(n) / float64(len(data)); r < 0.7 || r > 1.4 {
			t.Errorf("%s: re-encoded size %d is %.2f× the reference's %d", path, n, r, len(data))
		}
	}
}

// TestEncodeSizes round-trips small and odd sizes, flat and noisy images.
func TestEncodeSizes(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {1, 7}, {5, 1}, {2, 2}, {3, 5}, {16, 16}, {31, 33}, {64, 48}, {129, 97}} {
		for _, kind := range []string{"flat", "ramp", "noise"} {
			t.Run(fmt.Sprintf("%dx%d-%s", sz[0], sz[1], kind), func(t *testing.T) {
				img := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
				seed := uint32(1)
				for i := range img.Pix {
					switch kind {
					case "flat":
						img.Pix[i] = 200
					case "ramp":
						img.Pix[i] = uint8(i * 7)
					default:
						seed = seed*1664525 + 1013904223
						img.Pix[i] = uint8(seed >> 24)
					}
				}
				got, _ := roundTrip(t, img, nil)
				if kind == "flat" {
					for i, p := range got.Pix {
						if p != 200 {
							t.Fatalf("flat image: pixel %d is %d, want 200", i, p)
						}
					}
				}
			})
		}
	}
}
