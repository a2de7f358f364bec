package extract

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"
)

// Test data lives outside the repository (its licences forbid copying it in): the
// BIOMESH_TESTDATA environment variable points at the shared data folder.

// fvcDB describes one FVC "B" database.
type fvcDB struct {
	year, db int
	ppi      int
}

func (d fvcDB) String() string { return fmt.Sprintf("fvc%d/DB%d_B", d.year, d.db) }

var fvcDBs = []fvcDB{
	{2000, 1, 500}, {2000, 2, 500}, {2000, 3, 500}, {2000, 4, 500},
	{2002, 1, 500}, {2002, 2, 569}, {2002, 3, 500}, {2002, 4, 500},
}

// testData returns the shared data folder, or skips the test when BIOMESH_TESTDATA is unset.
func testData(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		tb.Skip("BIOMESH_TESTDATA is not set; skipping the test on FVC images")
	}
	return dir
}

// loadFVC loads impression imp of finger f (101–110) of database d at 500 ppi; a missing
// file fails the test.
func loadFVC(tb testing.TB, root string, d fvcDB, f, imp int) *image.Gray {
	tb.Helper()
	path := filepath.Join(root, "fingerprint", fmt.Sprintf("fvc%d", d.year), fmt.Sprintf("DB%d_B", d.db), fmt.Sprintf("%d_%d.tif", f, imp))
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatalf("test image: %v", err)
	}
	defer fh.Close()
	img, err := tiff.Decode(fh)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if d.ppi != fingerprint.DefaultResolution {
		w = int(math.Round(float64(w) * fingerprint.DefaultResolution / float64(d.ppi)))
		h = int(math.Round(float64(h) * fingerprint.DefaultResolution / float64(d.ppi)))
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(g, g.Bounds(), img, b, draw.Src, nil)
	}
	return g
}

// isoMinutia is a minutia of an ISO/IEC 19794-2:2005 record.
type isoMinutia struct {
	x, y int
	dir  float64 // radians, counter-clockwise, y up
	kind fingerprint.MinutiaType
}

// loadISO parses the first view of an ISO/IEC 19794-2:2005 finger minutiae record and maps
// it onto an image of w×h pixels. The commercial records of FVC2002 DB3 claim 300×400
// pixels for 300×300 images: their y coordinates are those of the image stretched to 400
// rows (a search over offsets and scales confirms y·300/400 with no offset), so
// coordinates and directions are scaled by the ratio of the sizes.
func loadISO(tb testing.TB, path string, w, h int) []isoMinutia {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("ground truth: %v", err)
	}
	if len(b) < 28 || string(b[:4]) != "FMR\x00" {
		tb.Fatalf("%s: not an ISO 19794-2 record", path)
	}
	hw := int(binary.BigEndian.Uint16(b[14:]))
	hh := int(binary.BigEndian.Uint16(b[16:]))
	sx, sy := 1.0, 1.0
	if hw > 0 && hh > 0 {
		sx, sy = float64(w)/float64(hw), float64(h)/float64(hh)
	}
	count := int(b[27])
	var out []isoMinutia
	for k := 0; k < count; k++ {
		o := 28 + 6*k
		if o+6 > len(b) {
			tb.Fatalf("%s: truncated", path)
		}
		xw := binary.BigEndian.Uint16(b[o:])
		yw := binary.BigEndian.Uint16(b[o+2:])
		a := float64(b[o+4]) * 2 * math.Pi / 256
		m := isoMinutia{
			x:   int(math.Round(float64(xw&0x3fff) * sx)),
			y:   int(math.Round(float64(yw&0x3fff) * sy)),
			dir: fingerprint.NormalizeAngle(math.Atan2(math.Sin(a)*sy, math.Cos(a)*sx)),
		}
		switch xw >> 14 {
		case 1:
			m.kind = fingerprint.Ending
		case 2:
			m.kind = fingerprint.Bifurcation
		}
		out = append(out, m)
	}
	return out
}

// agreement counts one-to-one matches between our minutiae and reference ones: pairs within
// maxDist pixels and (when maxAngle > 0) maxAngle radians, taken greedily by distance.
// flipEnd / flipBif turn our ending / bifurcation directions by π before comparing.
func agreement(ours []fingerprint.Minutia, ref []isoMinutia, maxDist, maxAngle float64, flipEnd, flipBif bool) int {
	type pair struct {
		i, j int
		d    float64
	}
	var pairs []pair
	for i, a := range ours {
		dir := a.Direction
		if (a.Type == fingerprint.Ending && flipEnd) || (a.Type == fingerprint.Bifurcation && flipBif) {
			dir += math.Pi
		}
		for j, b := range ref {
			d := math.Hypot(float64(a.X-b.x), float64(a.Y-b.y))
			if d > maxDist {
				continue
			}
			if maxAngle > 0 && angleDiff(dir, b.dir) > maxAngle {
				continue
			}
			pairs = append(pairs, pair{i, j, d})
		}
	}
	// greedy by distance
	for i := 1; i < len(pairs); i++ {
		for k := i; k > 0 && pairs[k].d < pairs[k-1].d; k-- {
			pairs[k], pairs[k-1] = pairs[k-1], pairs[k]
		}
	}
	usedA := make([]bool, len(ours))
	usedB := make([]bool, len(ref))
	n := 0
	for _, p := range pairs {
		if !usedA[p.i] && !usedB[p.j] {
			usedA[p.i], usedB[p.j] = true, true
			n++
		}
	}
	return n
}
