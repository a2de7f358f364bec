package synth

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/extract"
)

func TestDeterminism(t *testing.T) {
	a, err := NewMaster(42, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMaster(42, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Image.Pix, b.Image.Pix) {
		t.Fatal("same seed gave different masters")
	}
	ia, _ := fingerprint.EncodeISO(a.Minutiae)
	ib, _ := fingerprint.EncodeISO(b.Minutiae)
	if !bytes.Equal(ia, ib) {
		t.Fatal("same seed gave different ground truth")
	}
	pa, err := a.Impression(7, nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := b.Impression(7, nil)
	if !bytes.Equal(pa.Image.Pix, pb.Image.Pix) || pa.Transform != pb.Transform {
		t.Fatal("same seed gave different impressions")
	}
	pc, _ := a.Impression(8, nil)
	if bytes.Equal(pa.Image.Pix, pc.Image.Pix) {
		t.Fatal("different impression seeds gave the same image")
	}
	c, err := NewMaster(43, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Image.Pix, c.Image.Pix) {
		t.Fatal("different seeds gave the same master")
	}
}

func TestClassDistribution(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	count := map[Class]int{}
	for range n {
		count[sampleClass(r.Float64())]++
	}
	for c, f := range ClassFrequency {
		got := float64(count[c]) / n
		if math.Abs(got-f) > 0.005 {
			t.Errorf("%v: frequency %.4f, want %.4f", c, got, f)
		}
	}
	sum := 0.0
	for _, f := range ClassFrequency {
		sum += f
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("frequencies sum to %g", sum)
	}
}

// poincare returns the Poincaré index of the model's field around a circle.
func poincare(m *orientationModel, cx, cy, r float64) float64 {
	const n = 256
	total := 0.0
	c0, s0 := m.doubled(cx+r, cy)
	prev := math.Atan2(s0, c0)
	for k := 1; k <= n; k++ {
		a := 2 * math.Pi * float64(k) / n
		c, s := m.doubled(cx+r*math.Cos(a), cy+r*math.Sin(a))
		cur := math.Atan2(s, c)
		d := cur - prev
		for d > math.Pi {
			d -= 2 * math.Pi
		}
		for d < -math.Pi {
			d += 2 * math.Pi
		}
		total += d
		prev = cur
	}
	return total / (4 * math.Pi)
}

func TestSingularPoints(t *testing.T) {
	p := &defaultParams
	want := map[Class][2]int{Arch: {0, 0}, TentedArch: {1, 1}, LeftLoop: {1, 1}, RightLoop: {1, 1}, Whorl: {2, 2}}
	for seed := uint64(0); seed < 20; seed++ {
		for c := Arch; c <= Whorl; c++ {
			r := rand.New(rand.NewPCG(seed, 3))
			m := singularPoints(c, r, 150, 200, p.maskA, p.maskB, p)
			if len(m.cores) != want[c][0] || len(m.deltas) != want[c][1] {
				t.Fatalf("%v: %d cores, %d deltas", c, len(m.cores), len(m.deltas))
			}
			for _, q := range m.cores {
				if got := poincare(m, q.X, q.Y, 4); math.Abs(got-0.5) > 1e-6 {
					t.Errorf("%v seed %d: core index %.3f", c, seed, got)
				}
			}
			for _, q := range m.deltas {
				if got := poincare(m, q.X, q.Y, 4); math.Abs(got+0.5) > 1e-6 {
					t.Errorf("%v seed %d: delta index %.3f", c, seed, got)
				}
			}
			// a circle enclosing everything: index = (cores − deltas)/2 = 0 for every class but
			// the whorl, whose two cores and two deltas also cancel
			if got := poincare(m, 150, 200, 600); math.Abs(got) > 1e-6 {
				t.Errorf("%v: total index %.3f", c, got)
			}
			// a point away from singular points
			if got := poincare(m, 20, 20, 5); math.Abs(got) > 1e-6 {
				t.Errorf("%v: index %.3f at a regular point", c, got)
			}
		}
	}
	// loops: left loop's delta right of the core, right loop's left of it
	r := rand.New(rand.NewPCG(9, 9))
	if m := singularPoints(LeftLoop, r, 150, 200, p.maskA, p.maskB, p); m.deltas[0].X <= m.cores[0].X {
		t.Error("left loop: delta not right of the core")
	}
	if m := singularPoints(RightLoop, r, 150, 200, p.maskA, p.maskB, p); m.deltas[0].X >= m.cores[0].X {
		t.Error("right loop: delta not left of the core")
	}
}

func TestTransform(t *testing.T) {
	// pure rotation by 90° counter-clockwise on screen
	tr := Transform{CX: 100, CY: 100, Rotation: math.Pi / 2, R0: 1e9, K: 1}
	x, y := tr.Apply(110, 100)
	if math.Abs(x-100) > 1e-9 || math.Abs(y-90) > 1e-9 {
		t.Fatalf("rotation: (110,100) → (%g,%g), want (100,90)", x, y)
	}
	_, _, d := tr.ApplyMinutia(fingerprint.Minutia{X: 110, Y: 100, Direction: 0.3})
	if math.Abs(d-(0.3+math.Pi/2)) > 1e-6 {
		t.Fatalf("direction 0.3 → %g, want %g", d, 0.3+math.Pi/2)
	}
	// full transform: inverse, and rigid inside the contact region
	m, err := NewMaster(5, nil)
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(0); s < 5; s++ {
		im, err := m.Impression(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr := im.Transform
		for k := 0; k < 200; k++ {
			px, py := float64(20+k%13*20), float64(20+k/13*25)
			x, y := tr.Apply(px, py)
			bx, by := tr.Inverse(x, y)
			if math.Hypot(bx-px, by-py) > 0.01 {
				t.Fatalf("inverse: (%g,%g) → (%g,%g) → (%g,%g)", px, py, x, y, bx, by)
			}
		}
		// pairwise distances of points in the rigid region are kept
		ax, ay := tr.Apply(tr.ContactX, tr.ContactY)
		bx, by := tr.Apply(tr.ContactX+tr.R0*0.6, tr.ContactY)
		if math.Abs(math.Hypot(bx-ax, by-ay)-tr.R0*0.6) > 1e-6 {
			t.Fatal("rigid region distorted")
		}
		// every ground-truth minutia is the mapping of a master minutia, inside the contact
		for _, g := range im.Minutiae.Minutiae {
			if !im.Contact(g.X, g.Y) {
				t.Fatalf("ground-truth minutia (%d,%d) outside the contact area", g.X, g.Y)
			}
			found := false
			for _, mm := range m.Minutiae.Minutiae {
				x, y, d := tr.ApplyMinutia(mm)
				if math.Hypot(x-float64(g.X), y-float64(g.Y)) < 1 && angleDiff(d, g.Direction) < 1e-9 && mm.Type == g.Type {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("ground-truth minutia %+v is no master minutia", g)
			}
		}
	}
}

func angleDiff(a, b float64) float64 {
	d := math.Abs(math.Mod(a-b, 2*math.Pi))
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

// matchMinutiae pairs ground truth with found minutiae greedily (closest first) within
// dist pixels and ang radians and returns the number of pairs.
func matchMinutiae(gt, found []fingerprint.Minutia, dist, ang float64) int {
	used := make([]bool, len(found))
	n := 0
	for _, g := range gt {
		best, bd := -1, dist
		for j, f := range found {
			if used[j] || angleDiff(g.Direction, f.Direction) > ang {
				continue
			}
			if d := math.Hypot(float64(g.X-f.X), float64(g.Y-f.Y)); d <= bd {
				best, bd = j, d
			}
		}
		if best >= 0 {
			used[best] = true
			n++
		}
	}
	return n
}

// TestMinutiaeAndRecall guards the extractor's agreement with the independent ground truth
// (10 px, 20°) on a few fingers; TestTruthAgreement measures it at scale.
func TestMinutiaeAndRecall(t *testing.T) {
	var gtN, foundN, matched, masterN, nMasters int
	var noisyGT, noisyFound, noisyMatched int
	for seed := uint64(100); seed < 106; seed++ {
		m, err := NewMaster(seed, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := len(m.Minutiae.Minutiae)
		if n < 40 || n > 130 {
			t.Errorf("master %d (%v): %d minutiae", seed, m.Class, n)
		}
		masterN += n
		nMasters++
		for k, clean := range []bool{true, false} {
			im, err := m.Impression(uint64(k), &ImpressionOptions{Clean: clean})
			if err != nil {
				t.Fatal(err)
			}
			got, err := extract.Extract(im.Image, nil)
			if err != nil {
				t.Fatal(err)
			}
			mt := matchMinutiae(im.Minutiae.Minutiae, got.Minutiae, 10, math.Pi/9)
			if clean {
				gtN += len(im.Minutiae.Minutiae)
				foundN += len(got.Minutiae)
				matched += mt
			} else {
				noisyGT += len(im.Minutiae.Minutiae)
				noisyFound += len(got.Minutiae)
				noisyMatched += mt
			}
		}
	}
	recall := float64(matched) / float64(gtN)
	precision := float64(matched) / float64(foundN)
	t.Logf("masters: %.1f minutiae; clean impressions: %.1f ground truth, %.1f found, recall %.3f, precision %.3f",
		float64(masterN)/float64(nMasters), float64(gtN)/float64(nMasters), float64(foundN)/float64(nMasters), recall, precision)
	t.Logf("noisy impressions: %.1f ground truth, %.1f found, recall %.3f, precision %.3f",
		float64(noisyGT)/float64(nMasters), float64(noisyFound)/float64(nMasters),
		float64(noisyMatched)/float64(noisyGT), float64(noisyMatched)/float64(noisyFound))
	// Measured (seeds 100–105): clean recall 0.55, precision 0.88; noisy 0.54, 0.84. The
	// extractor deliberately drops short ridges, lakes, bridges and broken ridges below
	// 12–22 px that the ground truth keeps, and minutiae near the contact border.
	if recall < 0.45 || precision < 0.75 {
		t.Errorf("clean impressions: recall %.3f, precision %.3f", recall, precision)
	}
	if r := float64(noisyMatched) / float64(noisyGT); r < 0.45 {
		t.Errorf("noisy impressions: recall %.3f", r)
	}
}

func TestBadOptions(t *testing.T) {
	bad := []*MasterOptions{
		{Width: -1},
		{Width: 50, Height: 400},
		{Height: 100000},
		{Class: 99},
		{MinPeriod: 12, MaxPeriod: 9},
		{MinPeriod: 1},
		{MaxPeriod: 40},
		{Iterations: -3},
		{Iterations: 100000},
		{SeedSpacing: 1},
	}
	for _, o := range bad {
		if _, err := NewMaster(1, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v", *o, err)
		}
	}
	m, err := NewMaster(1, &MasterOptions{Iterations: 2, Class: Whorl})
	if err != nil {
		t.Fatal(err)
	}
	badImp := []*ImpressionOptions{
		{Width: -5},
		{Height: 3000},
		{MaxRotation: 1000},
		{MaxTranslation: 1e6},
		{Distortion: 50},
		{MaxRotation: math.NaN()},
	}
	for _, o := range badImp {
		if _, err := m.Impression(1, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v", *o, err)
		}
	}
	if _, err := ParseClass("spiral"); err == nil {
		t.Error("ParseClass accepted an unknown class")
	}
	for c := Arch; c <= Whorl; c++ {
		if got, err := ParseClass(c.String()); err != nil || got != c {
			t.Errorf("ParseClass(%q) = %v, %v", c.String(), got, err)
		}
	}
}

func BenchmarkMaster(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		if _, err := NewMaster(uint64(i), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkImpression(b *testing.B) {
	m, err := NewMaster(1, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := m.Impression(uint64(i), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteDatabase(t *testing.T) {
	dir := t.TempDir()
	err := WriteDatabase(dir, &DatabaseOptions{Persons: 1, Fingers: 2, Impressions: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"101_1.png", "101_2.png", "102_2.png", "truth/101_0.iso", "truth/102_2.iso", "truth/101.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "truth/102_2.iso"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fingerprint.ParseTemplate(b); err != nil {
		t.Fatal(err)
	}
	var ft FingerTruth
	b, _ = os.ReadFile(filepath.Join(dir, "truth/101.json"))
	if err := json.Unmarshal(b, &ft); err != nil || len(ft.Impressions) != 2 || ft.Class == AnyClass {
		t.Fatalf("truth json: %v %+v", err, ft)
	}
	for _, o := range []*DatabaseOptions{nil, {Persons: 0, Fingers: 1, Impressions: 1}, {Persons: 1, Fingers: 11, Impressions: 1}, {Persons: 1, Fingers: 1, Impressions: 0}} {
		if err := WriteDatabase(dir, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v", o, err)
		}
	}
}

// TestWriteSynthDB writes a database of $SYNTH_DB_FINGERS fingers × 8 impressions into
// $SYNTH_DB (skipped when unset), for running the evaluator on.
func TestWriteSynthDB(t *testing.T) {
	dir := os.Getenv("SYNTH_DB")
	if dir == "" {
		t.Skip("SYNTH_DB not set")
	}
	n, _ := strconv.Atoi(os.Getenv("SYNTH_DB_FINGERS"))
	if n == 0 {
		n = 100
	}
	start := time.Now()
	if err := WriteDatabase(dir, &DatabaseOptions{Persons: n, Fingers: 1, Impressions: 8, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d images in %v: %.1f images/s", 8*n, time.Since(start), float64(8*n)/time.Since(start).Seconds())
}

// TestScoreSynthDB compares the extractor with the ground truth over a database written
// by WriteDatabase in $SYNTH_DB (skipped when unset).
func TestScoreSynthDB(t *testing.T) {
	dir := os.Getenv("SYNTH_DB")
	if dir == "" {
		t.Skip("SYNTH_DB not set")
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "*_*.png"))
	var gtN, foundN, matched, matched30 int
	for _, path := range pngs {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "truth", strings.TrimSuffix(filepath.Base(path), ".png")+".iso"))
		if err != nil {
			t.Fatal(err)
		}
		gt, err := fingerprint.ParseTemplate(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := extract.Extract(img.(*image.Gray), nil)
		if err != nil {
			t.Logf("%s: %v", path, err)
			continue
		}
		gtN += len(gt.Minutiae)
		foundN += len(got.Minutiae)
		matched += matchMinutiae(gt.Minutiae, got.Minutiae, 10, math.Pi/9)
		matched30 += matchMinutiae(gt.Minutiae, got.Minutiae, 10, math.Pi/6)
	}
	n := float64(len(pngs))
	t.Logf("%d images: %.1f ground truth, %.1f found per image; 10 px 20°: recall %.3f, precision %.3f; 10 px 30°: recall %.3f, precision %.3f",
		len(pngs), float64(gtN)/n, float64(foundN)/n, float64(matched)/float64(gtN), float64(matched)/float64(foundN),
		float64(matched30)/float64(gtN), float64(matched30)/float64(foundN))
}
