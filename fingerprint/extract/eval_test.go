package extract

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint"
)

// TestAgreementFVC2002DB3 compares our minutiae with those of a commercial extractor on the
// 80 images of FVC2002 DB3_B and reports recall and precision (one-to-one matches within
// 10 and 15 px and 30°). It fails only on gross regressions.
func TestAgreementFVC2002DB3(t *testing.T) {
	root := testData(t)
	db := fvcDB{2002, 3, 500}
	type variant struct {
		name             string
		dist, ang        float64
		flipEnd, flipBif bool
	}
	deg := math.Pi / 180
	variants := []variant{
		{"10px any angle", 10, 0, false, false},
		{"10px 30°", 10, 30 * deg, false, false},
		{"10px 20°", 10, 20 * deg, false, false},
		{"15px any angle", 15, 0, false, false},
		{"15px 30°", 15, 30 * deg, false, false},
		{"15px 30° endings flipped", 15, 30 * deg, true, false},
		{"15px 30° bifurcations flipped", 15, 30 * deg, false, true},
	}
	matched := make([]int, len(variants))
	var nOurs, nRef int
	typeAgree, typeTotal := 0, 0
	var perImage []string
	for f := 101; f <= 110; f++ {
		for imp := 1; imp <= 8; imp++ {
			img := loadFVC(t, root, db, f, imp)
			tpl, err := Extract(img, nil)
			if err != nil {
				t.Fatalf("%d_%d: %v", f, imp, err)
			}
			ref := loadISO(t, filepath.Join(root, "fingerprint", "iso19794-2", "fvc2002_DB3_B", fmt.Sprintf("%d_%d.iso", f, imp)), img.Bounds().Dx(), img.Bounds().Dy())
			nOurs += len(tpl.Minutiae)
			nRef += len(ref)
			for k, v := range variants {
				matched[k] += agreement(tpl.Minutiae, ref, v.dist, v.ang, v.flipEnd, v.flipBif)
			}
			// type agreement among position matches within 10 px (nearest)
			for _, r := range ref {
				best, bd := -1, 10.0
				for i, m := range tpl.Minutiae {
					if d := math.Hypot(float64(m.X-r.x), float64(m.Y-r.y)); d < bd {
						best, bd = i, d
					}
				}
				if best >= 0 && r.kind != fingerprint.Other {
					typeTotal++
					if tpl.Minutiae[best].Type == r.kind {
						typeAgree++
					}
				}
			}
			if dir := os.Getenv("BIOMESH_DEBUG_OUT"); dir != "" && imp <= 2 {
				writeOverlay(t, filepath.Join(dir, fmt.Sprintf("agree_%d_%d.png", f, imp)), img, tpl, ref)
			}
			m := agreement(tpl.Minutiae, ref, 10, 30*deg, false, false)
			perImage = append(perImage, fmt.Sprintf("%d_%d ours %d ref %d matched %d", f, imp, len(tpl.Minutiae), len(ref), m))
		}
	}
	if testing.Verbose() && os.Getenv("BIOMESH_PER_IMAGE") != "" {
		for _, l := range perImage {
			t.Log(l)
		}
	}
	t.Logf("minutiae: ours %d (%.1f/image), commercial %d (%.1f/image)", nOurs, float64(nOurs)/80, nRef, float64(nRef)/80)
	for k, v := range variants {
		t.Logf("%-32s recall %.3f precision %.3f", v.name, float64(matched[k])/float64(nRef), float64(matched[k])/float64(nOurs))
	}
	t.Logf("type agreement of nearest minutiae within 10 px: %.3f", float64(typeAgree)/float64(max(typeTotal, 1)))
	if r := float64(matched[1]) / float64(nRef); r < 0.6 {
		t.Errorf("recall at 10 px / 30° is %.3f, below 0.6 (0.676 when this bound was set)", r)
	}
}

// TestFVCDatabases extracts the first impressions of all eight FVC "B" databases and
// reports minutiae counts, quality and CPU time per image (run with -cpu 1 for one core);
// every image must give a template. BIOMESH_ALL=1 uses all 8 impressions instead of 2, and
// BIOMESH_DEBUG_OUT=dir writes the debug PNGs of a few images per database.
func TestFVCDatabases(t *testing.T) {
	root := testData(t)
	all := os.Getenv("BIOMESH_ALL") != ""
	debug := os.Getenv("BIOMESH_DEBUG_OUT")
	for _, db := range fvcDBs {
		var counts, quals []int
		var dur time.Duration
		n := 0
		for f := 101; f <= 110; f++ {
			for imp := 1; imp <= 8; imp++ {
				if !all && imp > 2 {
					continue
				}
				img := loadFVC(t, root, db, f, imp)
				opts := &Options{}
				if debug != "" && imp == 1 && f <= 103 {
					opts.DebugDir = debug
					opts.DebugName = fmt.Sprintf("%d_%d_%d_%d", db.year, db.db, f, imp)
				}
				start := processCPU()
				tpl, err := Extract(img, opts)
				dur += processCPU() - start
				n++
				if err != nil {
					t.Errorf("%v %d_%d: %v", db, f, imp, err)
					continue
				}
				counts = append(counts, len(tpl.Minutiae))
				quals = append(quals, tpl.Quality)
			}
		}
		sort.Ints(counts)
		sort.Ints(quals)
		if len(counts) == 0 {
			continue
		}
		sum := 0
		for _, c := range counts {
			sum += c
		}
		t.Logf("%-14v minutiae mean %5.1f min %3d median %3d max %3d | quality median %3d min %3d | %5.1f cpu-ms/image",
			db, float64(sum)/float64(len(counts)), counts[0], counts[len(counts)/2], counts[len(counts)-1],
			quals[len(quals)/2], quals[0], float64(dur.Microseconds())/1000/float64(n))
	}
}

// BenchmarkExtract extracts two images of every FVC database (or of BIOMESH_BENCH_DB only);
// it reports wall and process CPU milliseconds per image (run with -cpu 1).
func BenchmarkExtract(b *testing.B) {
	root := testData(b)
	var imgs []*imageWithName
	only := os.Getenv("BIOMESH_BENCH_DB") // e.g. fvc2000/DB3_B: benchmark one database
	for _, db := range fvcDBs {
		if only != "" && db.String() != only {
			continue
		}
		for f := 101; f <= 102; f++ {
			imgs = append(imgs, &imageWithName{fmt.Sprintf("%v/%d_1", db, f), loadFVC(b, root, db, f, 1)})
		}
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		for _, im := range imgs {
			if _, err := Extract(im.img, nil); err != nil {
				b.Fatalf("%s: %v", im.name, err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(imgs)), "ms/image")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N*len(imgs)), "cpu-ms/image")
}

// writeOverlay draws our minutiae (ending red, bifurcation green, circles) and the reference
// ones (ending magenta, bifurcation cyan, squares) over the image.
func writeOverlay(t *testing.T, path string, img *image.Gray, tpl *fingerprint.Template, ref []isoMinutia) {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for i, v := range img.Pix {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = v/2+100, v/2+100, v/2+100, 255
	}
	for _, m := range tpl.Minutiae {
		c := color.RGBA{255, 0, 0, 255}
		if m.Type == fingerprint.Bifurcation {
			c = color.RGBA{0, 170, 0, 255}
		}
		x, y := float64(m.X), float64(m.Y)
		drawCircle(out, x, y, 3, c)
		drawLine(out, x, y, x+10*math.Cos(m.Direction), y-10*math.Sin(m.Direction), c)
	}
	for _, m := range ref {
		c := color.RGBA{220, 0, 220, 255}
		if m.kind == fingerprint.Bifurcation {
			c = color.RGBA{0, 160, 220, 255}
		}
		x, y := float64(m.x), float64(m.y)
		for k := -4; k <= 4; k++ {
			out.SetRGBA(m.x+k, m.y-4, c)
			out.SetRGBA(m.x+k, m.y+4, c)
			out.SetRGBA(m.x-4, m.y+k, c)
			out.SetRGBA(m.x+4, m.y+k, c)
		}
		drawLine(out, x, y, x+14*math.Cos(m.dir), y-14*math.Sin(m.dir), c)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, out); err != nil {
		t.Fatal(err)
	}
}
