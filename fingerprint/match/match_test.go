package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/biomesh/biomesh/eval"
	"github.com/biomesh/biomesh/fingerprint"
)

// randomTemplate makes n minutiae spread over a 300×300 area, at least 10 px apart.
func randomTemplate(r *rand.Rand, n int) *fingerprint.Template {
	t := &fingerprint.Template{Width: 300, Height: 300, Resolution: 500}
	for len(t.Minutiae) < n {
		m := fingerprint.Minutia{X: 20 + r.IntN(260), Y: 20 + r.IntN(260), Direction: r.Float64() * 2 * math.Pi, Type: fingerprint.MinutiaType(1 + r.IntN(2)), Quality: 60}
		ok := true
		for _, o := range t.Minutiae {
			if math.Hypot(float64(o.X-m.X), float64(o.Y-m.Y)) < 10 {
				ok = false
			}
		}
		if ok {
			t.Minutiae = append(t.Minutiae, m)
		}
	}
	return t
}

// impression rotates t by rot (radians, counter-clockwise on screen) about the centre,
// shifts it, jitters positions by up to jitter px and directions by up to 10°, drops a
// fraction of minutiae and adds spurious ones.
func impression(r *rand.Rand, t *fingerprint.Template, rot float64, dx, dy int, jitter float64, drop float64, spurious int) *fingerprint.Template {
	out := &fingerprint.Template{Width: 300, Height: 300, Resolution: 500}
	c, s := math.Cos(rot), math.Sin(rot)
	for _, m := range t.Minutiae {
		if r.Float64() < drop {
			continue
		}
		x, y := float64(m.X-150), float64(m.Y-150)
		// On screen y points down, so a counter-clockwise turn is x' = x c + y s, y' = −x s + y c.
		nx := x*c + y*s + 150 + float64(dx) + (r.Float64()*2-1)*jitter
		ny := -x*s + y*c + 150 + float64(dy) + (r.Float64()*2-1)*jitter
		d := fingerprint.NormalizeAngle(m.Direction + rot + (r.Float64()*2-1)*10*math.Pi/180)
		out.Minutiae = append(out.Minutiae, fingerprint.Minutia{X: int(math.Round(nx)), Y: int(math.Round(ny)), Direction: d, Type: m.Type, Quality: m.Quality})
	}
	extra := randomTemplate(r, spurious)
	out.Minutiae = append(out.Minutiae, extra.Minutiae...)
	return out
}

func TestGenuineAndImpostor(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var gen, imp []float64
	for k := range 40 {
		a := randomTemplate(r, 40)
		b := impression(r, a, (r.Float64()*2-1)*math.Pi/4, r.IntN(40)-20, r.IntN(40)-20, 3, 0.2, 8)
		gen = append(gen, Compare(a, b))
		imp = append(imp, Compare(a, randomTemplate(r, 40)))
		if k == 0 {
			// A full turn of the same print must match too: the comparator has no preferred angle.
			c := impression(r, a, math.Pi, 0, 0, 0, 0, 0)
			if s := Compare(a, c); s < 60 {
				t.Errorf("print turned by 180°: score %.1f, want ≥ 60", s)
			}
		}
	}
	sort.Float64s(gen)
	sort.Float64s(imp)
	t.Logf("genuine min %.1f median %.1f; impostor median %.1f max %.1f", gen[0], gen[len(gen)/2], imp[len(imp)/2], imp[len(imp)-1])
	if gen[0] < 30 {
		t.Errorf("weakest genuine score %.1f, want ≥ 30", gen[0])
	}
	if imp[len(imp)-1] > 20 {
		t.Errorf("strongest impostor score %.1f, want ≤ 20", imp[len(imp)-1])
	}
}

func TestIdenticalTemplates(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a := randomTemplate(r, 50)
	if s := Compare(a, a); s < 100 {
		t.Errorf("template against itself: %.1f, want ≥ 100", s)
	}
}

func TestDegenerateTemplates(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	full := randomTemplate(r, 40)
	cases := map[string]*fingerprint.Template{
		"empty":    {Resolution: 500},
		"one":      {Resolution: 500, Minutiae: full.Minutiae[:1]},
		"two":      {Resolution: 500, Minutiae: full.Minutiae[:2]},
		"stacked":  {Resolution: 500, Minutiae: []fingerprint.Minutia{{X: 5, Y: 5}, {X: 5, Y: 5}, {X: 5, Y: 5}}},
		"hundreds": randomTemplate(r, 300),
	}
	for name, tp := range cases {
		for _, s := range []float64{Compare(tp, full), Compare(full, tp), Compare(tp, tp)} {
			if math.IsNaN(s) || s < 0 || s > 120 {
				t.Errorf("%s: score %v outside [0, 120]", name, s)
			}
		}
	}
	if s := Compare(cases["empty"], full); s != 0 {
		t.Errorf("empty template scored %.1f, want 0", s)
	}
}

func TestResolutionIsNormalised(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	a := randomTemplate(r, 40)
	// The same print recorded at 1000 ppi: coordinates doubled.
	b := &fingerprint.Template{Width: 600, Height: 600, Resolution: 1000}
	for _, m := range a.Minutiae {
		m.X, m.Y = 2*m.X, 2*m.Y
		b.Minutiae = append(b.Minutiae, m)
	}
	if s := Compare(a, b); s < 100 {
		t.Errorf("same print at 1000 ppi: score %.1f, want ≥ 100", s)
	}
}

func TestCalibrationMonotone(t *testing.T) {
	prev := -1.0
	for raw := 0.0; raw <= 1; raw += 0.001 {
		s := calibration.Apply(raw)
		if s < prev {
			t.Fatalf("calibration decreases at raw %.3f: %.2f < %.2f", raw, s, prev)
		}
		prev = s
	}
	if calibration.Apply(0) != 0 {
		t.Errorf("raw 0 maps to %.2f, want 0", calibration.Apply(0))
	}
}

func TestVendorRecords(t *testing.T) {
	ts := vendorTemplates(t)
	var gen, imp []float64
	probes := make([]*Probe, len(ts))
	for i, tp := range ts {
		probes[i] = Prepare(tp)
	}
	for a := range ts {
		for b := a + 1; b < len(ts); b++ {
			s := probes[a].Compare(&probes[b].Candidate)
			if a/8 == b/8 {
				gen = append(gen, s)
			} else {
				imp = append(imp, s)
			}
		}
	}
	v, err := eval.Verify(gen, imp)
	if err != nil {
		t.Fatal(err)
	}
	e := v.EER
	t.Logf("commercial ISO records of FVC2002 DB3_B: EER %.2f%% (%d genuine, %d impostor)", 100*e, len(gen), len(imp))
	if e > 0.08 {
		t.Errorf("EER %.2f%% on the commercial records, want ≤ 8%%", 100*e)
	}
}

// A Probe is shared by every worker of a 1:N search: concurrent comparisons must give the
// same scores as sequential ones (run with -race).
func TestProbeConcurrentUse(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	probe := randomTemplate(r, 40)
	p := Prepare(probe)
	var cands []*Candidate
	var want []float64
	for i := range 16 {
		var c *fingerprint.Template
		if i%2 == 0 {
			c = impression(r, probe, 0.2, 5, -5, 3, 0.2, 5)
		} else {
			c = randomTemplate(r, 40)
		}
		cands = append(cands, NewCandidate(c))
		want = append(want, p.Compare(cands[i]))
	}
	errs := make(chan string, 64)
	done := make(chan bool)
	for w := range 8 {
		go func() {
			for k := range 50 {
				i := (w + k) % len(cands)
				if got := p.Compare(cands[i]); got != want[i] {
					errs <- fmt.Sprintf("candidate %d: %.3f concurrently, %.3f alone", i, got, want[i])
				}
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// The compact Candidate must decode to exactly the minutiae the float form holds, and the
// comparator's recomputed candidate edges must equal the probe's stored edges, for both
// direction encodings (float32, and 65536ths of a turn for templates from the codecs).
func TestCompactCandidate(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for k := range 20 {
		tp := randomTemplate(r, 10+5*k)
		dir16 := k%2 == 1
		if dir16 {
			b, err := tp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			tp = new(fingerprint.Template)
			if err := tp.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
		}
		pr := prepare(tp)
		c := pr.candidate()
		if got := c.b[candFlags]&flagDir16 != 0; got != dir16 {
			t.Fatalf("template %d: dir16 flag %v, want %v", k, got, dir16)
		}
		n, ne := len(pr.m), len(pr.to)
		want := candHeader + 4*n + 2*n + n + n + len(pr.hull) + ne
		if !dir16 {
			want += 2 * n
		}
		if len(c.b) != want || cap(c.b) != want {
			t.Errorf("template %d: %d bytes (cap %d), want %d", k, len(c.b), cap(c.b), want)
		}
		var s scratch
		d := s.decode(&c)
		for i, m := range d.m {
			if m.x != pr.m[i].x || m.y != pr.m[i].y || m.dir != pr.m[i].dir {
				t.Fatalf("template %d minutia %d: decoded %+v, want %+v", k, i, m, pr.m[i])
			}
		}
		// The comparator's recomputation of candidate edges (rawWith) against Probe.edges.
		g := geom()
		e := 0
		for _, es := range pr.edges() {
			mi, mj := &d.m[es.from], &d.m[es.to]
			dx, dy := mj.ix-mi.ix, mj.iy-mi.iy
			l := g.length[dx*dx+dy*dy]
			raw := g.angle(int(dx), int(dy))
			a, b := normAngle(raw-mi.dir), normAngle(mj.dir-mi.dir)
			if int(d.v.to[e]) != int(es.to) || uint8(l) != es.qd || int(l>>8) != int(es.d/params.distBucket) ||
				a != es.a || b != es.b || normAngle(raw) != es.v || quantAngle(a) != es.qa || quantAngle(b) != es.qb ||
				angleBin(a) != int(es.a*angleScale)%angleBins || angleBin(b) != int(es.b*angleScale)%angleBins {
				t.Fatalf("template %d edge %d: recomputed geometry differs from %+v", k, e, es)
			}
			e++
		}
		if e != len(d.v.to) {
			t.Fatalf("template %d: %d edges decoded, want %d", k, len(d.v.to), e)
		}
	}
}

// Constants that restate params must agree with them.
func TestParams(t *testing.T) {
	if want := int(params.angleTol * 256 / twoPi); angleTolQ != want {
		t.Errorf("angleTolQ = %d, want %d", angleTolQ, want)
	}
	if params.maxEdge != maxEdgePx || params.angleBins != angleBins || angleBins&(angleBins-1) != 0 {
		t.Errorf("maxEdge %v (want %d), angleBins %d (want %d, a power of two)", params.maxEdge, maxEdgePx, params.angleBins, angleBins)
	}
	if want := math.Float32bits(houghT - 1); houghLast != want {
		t.Errorf("houghLast = %#x, want %#x", houghLast, want)
	}
	if maxEntries > math.MaxUint16 {
		t.Errorf("a probe may have %d table entries: more than its uint16 offsets hold", maxEntries)
	}
}

// The disc shortcut of hullTest must never change a verdict of the edge tests.
func TestHullDisc(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for k := range 50 {
		pr := prepare(randomTemplate(r, 5+k))
		var h []point
		for _, i := range pr.hull {
			h = append(h, point{pr.m[i].x, pr.m[i].y})
		}
		var ht hullTest
		ht.set(h, hullLengths(h, nil), params.hullMargin)
		edgesOnly := hullTest{es: ht.es}
		if ht.rr <= 0 {
			t.Errorf("template %d: no disc inside the hull", k)
		}
		for range 2000 {
			p := point{float32(r.Float64()*400 - 200), float32(r.Float64()*400 - 200)}
			if got, want := ht.inside(p), edgesOnly.inside(p); got != want {
				t.Fatalf("template %d, point %v: inside %v, edge tests say %v", k, p, got, want)
			}
		}
	}
}

// The geometry tables must give what the float32 formulas give, for every offset.
func TestGeometry(t *testing.T) {
	g := geom()
	for dy := -maxEdgePx; dy <= maxEdgePx; dy++ {
		for dx := -maxEdgePx; dx <= maxEdgePx; dx++ {
			if got, want := g.angle(dx, dy), atan2(float32(dy), float32(dx)); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("angle(%d, %d) = %v, want %v", dx, dy, got, want)
			}
			if d2 := dx*dx + dy*dy; d2 <= maxEdgePx*maxEdgePx {
				d := edgeLength(d2)
				if l := g.length[d2]; int(l>>8) != int(d/params.distBucket) || uint8(l) != uint8(min(255, math.Round(float64(d)))) {
					t.Fatalf("length[%d] = %#x for length %v", d2, l, d)
				}
			}
		}
	}
}

// quantAngle must round as math.Round of the exact quotient would: checked on the 4,001
// float32 values around each of the 256 rounding boundaries, at both ends of [0, 2π), and
// on a million random angles.
func TestQuantAngle(t *testing.T) {
	ref := func(a float32) uint8 { return uint8(int(math.Round(float64(a)*256/(2*math.Pi))) & 255) }
	check := func(a float32) {
		if a < 0 || a >= twoPi {
			return
		}
		if got, want := quantAngle(a), ref(a); got != want {
			t.Fatalf("quantAngle(%v) = %d, want %d", a, got, want)
		}
	}
	for k := 0; k <= 256; k++ {
		u := math.Float32bits(float32((float64(k) + 0.5) * 2 * math.Pi / 256))
		for d := uint32(0); d <= 4000; d++ {
			check(math.Float32frombits(u + d - 2000))
		}
	}
	for d := uint32(0); d < 4000; d++ {
		check(math.Float32frombits(d))
		check(math.Float32frombits(math.Float32bits(twoPi) - d))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000000 {
		check(r.Float32() * twoPi)
	}
}
