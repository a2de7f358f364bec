// Package match compares fingerprint minutiae templates.
//
// The comparator works in three steps, each invariant to rotation and translation:
//
//  1. Local edges. Every minutia is linked to its nearest neighbours; an edge i→j is described
//     by its length, the angle of the edge seen from minutia i's direction, and the direction of
//     j relative to i. A probe's edges are put into a hash table once (Prepare), replicated
//     into every bucket within the comparison tolerance, so that each gallery edge needs a
//     single look-up.
//  2. Votes. Each gallery edge that agrees with a probe edge votes for the two minutia pairs it
//     implies. True pairs collect many votes; impostor pairs few.
//     Each agreeing edge pair also implies a rigid motion; the motions are histogrammed and
//     only edges near the strongest motions vote, which keeps chance agreements out.
//  3. Consolidation. The best-voted pairs each propose an alignment (rotation + translation);
//     all minutiae are paired one-to-one under that alignment, with a tolerance that grows
//     with distance from the seed to absorb elastic skin distortion. The best alignment's
//     paired count, relative to the number of minutiae in the common area, is the raw score.
//
// The raw score is mapped onto the project's calibrated scale, score = −10·log10(FMR), with a
// table fitted on impostor comparisons (see calibration.go).
//
// # Representation
//
// A gallery holds one Candidate per enrolled finger, so its form is compact: a single byte
// slice of 16.5 B per minutia plus 12 (725 B for the 44 minutiae of a typical plain
// impression as stored; 18.5 B per minutia with float32 directions), against 13.6 KB of
// heap for the float form it replaces:
//
//   - a 12-byte header: the number of minutiae n, format flags, the hull size h and the
//     centroid (two float32);
//   - per minutia, its pixel coordinates (2 × int16) and its direction: a uint16 in 65536ths
//     of a turn when that gives back the float32 direction exactly — it does for templates
//     decoded from the native (1/16384 turn) and ISO (1/256 turn) codecs, so for a gallery
//     loaded from the store — and the float32 itself otherwise (fresh extractions);
//   - per minutia, its rank by x (for the pairing's search by x) and its number of edges;
//   - the convex hull as h minutia indices;
//   - the edges as one byte each, the index of their end minutia: edges are grouped by their
//     start (CSR), so the start is implicit.
//
// The same bytes, behind a versioned tag, are the stored gallery form (codec.go): a change
// of this layout or of how it is derived must change candidateVersion there.
//
// Nothing derived is stored: each comparison decodes the minutiae into its scratch space
// (float32 coordinates relative to the centroid, exactly as they were computed from the
// template) and recomputes each candidate edge's geometry in the loop over edges. Lengths
// and directions of edges depend only on the integer pixel offsets between their minutiae
// (at most maxEdgePx), so they come from two shared tables — atan2 of the offset, and the
// length bucket and rounded length of the squared length — and the rest (edge angles,
// midpoints, hull edge lengths) from the same float32 expressions as always. Scores are the
// same, bit for bit, as those of the float form (on amd64; checked on every FVC pair). The
// integer offsets are what the float32 differences of the centred coordinates were, except
// where rounding made those inexact (minutiae more than 256 px from the centroid), where the
// integer form is the exact one. A Probe keeps the float form (every edge with its
// geometry, in a hash table) since it is made once per search.
package match

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/biomesh/biomesh/fingerprint"
)

// params gathers the comparator's tunables in one place.
var params = struct {
	neighbours  int     // edges per minutia: to its k nearest neighbours
	minEdge     float32 // shortest edge considered, px: very close pairs are often false minutiae
	maxEdge     float32 // longest edge, px: beyond this, distortion makes lengths unreliable
	maxMinutiae int     // templates are cut to the best this many minutiae (by quality)

	distBucket float32 // hash bucket width for edge length, px
	angleBins  int     // hash buckets per turn for the two edge angles
	distTolAbs float32 // edge length tolerance: max(distTolAbs, distTolRel·length)
	distTolRel float32
	angleTol   float32 // edge angle tolerance, radians

	seeds         int     // best-voted pairs tried as alignment seeds
	rotPeaks      int     // rotation histogram peaks tried
	finalists     int     // seeds, best by a quick count of agreeing voted pairs, given the full consolidation
	finalistRatio float32 // a later finalist is consolidated only if its quick count is at least this fraction of the first's
	minQuick      int     // below this many agreeing voted pairs for the best seed, the raw score is 0 …
	largePairs    int     // … and below minQuick+1 when the two templates make at least this many minutia pairs
	refits        int     // least-squares refits of a finalist's alignment (each followed by a new pairing)
	pairTolAbs    float32 // pairing distance tolerance after alignment: pairTolAbs + pairTolRel·(distance from seed)
	pairTolRel    float32
	pairAngle     float32 // pairing direction tolerance, radians
	hullMargin    float32 // px added around a template's convex hull when counting minutiae in the common area
}{
	neighbours:  8,
	minEdge:     8,
	maxEdge:     maxEdgePx,
	maxMinutiae: 64,

	distBucket: 8,
	angleBins:  angleBins,
	distTolAbs: 6,
	distTolRel: 0.1,
	angleTol:   0.246, // 10/256 of a turn

	seeds:         4,
	rotPeaks:      2,
	finalists:     2,
	finalistRatio: 0.8,
	minQuick:      5,
	largePairs:    1200,
	refits:        2,
	pairTolAbs:    12,
	pairTolRel:    0.06,
	pairAngle:     0.55,
	hullMargin:    8,
}

// maxEdgePx is params.maxEdge as a constant: no edge is longer, so an edge's offsets dx, dy
// lie within ±maxEdgePx and its squared length within maxEdgePx² (the tables below).
const maxEdgePx = 200

// angleBins is params.angleBins as a constant, a power of two.
const angleBins = 32

// minutia is a minutia in the comparator's frame: coordinates relative to the template's
// centroid, math orientation (y grows upwards).
type minutia struct {
	x, y float32
	dir  float32 // radians, counter-clockwise, [0, 2π)
}

// edge is a probe edge with its whole geometry. Candidates store only an edge's end
// (see Candidate); the comparator recomputes the same values from the minutiae.
type edge struct {
	from, to uint8
	qd       uint8   // length rounded to whole pixels (maxEdge < 256)
	qa, qb   uint8   // a and b in 256ths of a turn
	d        float32 // length
	a        float32 // angle of the edge vector relative to from's direction
	b        float32 // direction of to relative to from's direction
	v        float32 // direction of the edge vector, [0, 2π)
	mx, my   float32 // midpoint
}

type point struct{ x, y float32 }

// Candidate is a template prepared for comparison: it is the form a gallery keeps in memory.
// A Candidate is immutable and safe for concurrent use.
//
// It is one byte slice (the layout is in the package documentation and at candHeader);
// the comparator decodes the minutiae into its scratch space and recomputes the edge
// geometry from them (see rawWith).
type Candidate struct {
	b []byte
}

// Candidate layout. Invariants: n ≤ params.maxMinutiae (< 256), so minutia indices fit a
// byte; every degree is ≤ params.neighbours and the degrees sum to the number of edges;
// every edge i→j has minEdge ≤ length ≤ maxEdgePx, so |dx|, |dy| ≤ maxEdgePx; the hull
// lists h minutia indices counter-clockwise (fewer than 3 only for degenerate sets, which
// then contain no point).
const (
	candN      = 0  // uint8: number of minutiae n
	candFlags  = 1  // flags below
	candH      = 2  // uint8: number of hull points h
	candCX     = 4  // float32: centroid x, image pixels
	candCY     = 8  // float32: centroid y, image pixels
	candHeader = 12 // then n × (int16 X, int16 Y), image pixels;
	// n directions: uint16 in 1/65536 turn with flagDir16, else float32 radians;
	// n × uint8 rank by x (byX); n × uint8 degree (edges from each minutia);
	// h × uint8 hull; one uint8 per edge: its end, edges grouped by start (CSR).

	flagDir16 = 1 // directions stored as uint16 units of a 65536th of a turn
)

// candView is a decoded Candidate header: the sections of the byte slice.
type candView struct {
	n                  int
	dir16              bool
	cx, cy             float32
	pos, dir, byX, deg []byte
	hull, to           []byte
}

func (c *Candidate) view() candView {
	b := c.b
	if len(b) < candHeader {
		return candView{}
	}
	v := candView{n: int(b[candN]), dir16: b[candFlags]&flagDir16 != 0}
	v.cx = math.Float32frombits(binary.LittleEndian.Uint32(b[candCX:]))
	v.cy = math.Float32frombits(binary.LittleEndian.Uint32(b[candCY:]))
	o := candHeader
	next := func(size int) []byte {
		s := b[o : o+size : o+size]
		o += size
		return s
	}
	v.pos = next(4 * v.n)
	if v.dir16 {
		v.dir = next(2 * v.n)
	} else {
		v.dir = next(4 * v.n)
	}
	v.byX = next(v.n)
	v.deg = next(v.n)
	v.hull = next(int(b[candH]))
	v.to = b[o:]
	return v
}

// Len returns the number of minutiae in the prepared template.
func (c *Candidate) Len() int {
	if len(c.b) < candHeader {
		return 0
	}
	return int(c.b[candN])
}

// dir16 returns the direction of u 65536ths of a turn as the comparator holds it.
func dir16(u uint16) float32 {
	return normAngle(float32(float64(u) * (2 * math.Pi / 65536)))
}

const twoPi = 2 * math.Pi

func normAngle(a float32) float32 {
	for a < 0 {
		a += twoPi
	}
	for a >= twoPi {
		a -= twoPi
	}
	return a
}

// angleDiff returns the absolute difference between two angles, in [0, π].
func angleDiff(a, b float32) float32 {
	d := a - b
	if d < 0 {
		d = -d
	}
	for d >= twoPi {
		d -= twoPi
	}
	if d > math.Pi {
		d = twoPi - d
	}
	return d
}

func atan2(y, x float32) float32 {
	return float32(math.Atan2(float64(y), float64(x)))
}

// quantAngle returns an angle in [0, 2π) in 256ths of a turn, rounded (half away from
// zero, as math.Round). It is the comparator's most frequent rounding, so it rounds by
// truncation and a comparison instead of math.Round and multiplies instead of dividing
// by 2π: for every float32 in [0, 2π) the result is that of
// uint8(int(math.Round(float64(a)*256/(2*math.Pi))) & 255) (checked on all of them once;
// TestQuantAngle checks every rounding boundary).
func quantAngle(a float32) uint8 {
	x := float64(a) * (256 / (2 * math.Pi))
	i := int(x)
	return uint8((i + b2i(x-float64(i) >= 0.5)) & 255)
}

// angleBin returns the hash bucket of an angle in [0, 2π).
func angleBin(a float32) int {
	return int(a*angleScale) & (angleBins - 1)
}

// geometry holds what edge geometry is computed from integer pixel offsets. Edge lengths
// and directions depend only on the offsets (dx, dy) between the two minutiae, integers
// within ±maxEdgePx, so they are looked up rather than computed (sqrt, atan2) in the
// comparator's loop over candidate edges. The values are those the float32 formulas give.
type geometry struct {
	// atan[dy·atanSide + dx+maxEdgePx] = float32(atan2(dy, dx)) for dy ≥ 0 (see angle).
	atan [(maxEdgePx + 1) * atanSide]float32
	// length[dx²+dy²] = distance bucket << 8 | length rounded to whole pixels, for the
	// length d = float32(√(dx²+dy²)) of an edge.
	length [maxEdgePx*maxEdgePx + 1]uint16
}

const atanSide = 2*maxEdgePx + 1

var geom = sync.OnceValue(func() *geometry {
	g := new(geometry)
	for dy := 0; dy <= maxEdgePx; dy++ {
		for dx := -maxEdgePx; dx <= maxEdgePx; dx++ {
			g.atan[dy*atanSide+dx+maxEdgePx] = atan2(float32(dy), float32(dx))
		}
	}
	for d2 := range g.length {
		d := edgeLength(d2)
		g.length[d2] = uint16(int(d/params.distBucket))<<8 | uint16(min(255, math.Round(float64(d))))
	}
	return g
})

// angle returns float32(atan2(dy, dx)) for |dx|, |dy| ≤ maxEdgePx. math.Atan2 is exactly
// odd in y, so only dy ≥ 0 is tabled, and the sign of dy is put back on the result
// (TestGeometry checks every offset).
func (g *geometry) angle(dx, dy int) float32 {
	s := dy >> 63 // −1 when dy < 0
	a := g.atan[((dy^s)-s)*atanSide+dx+maxEdgePx]
	return math.Float32frombits(math.Float32bits(a) ^ uint32(s)<<31)
}

// edgeLength is the length of an edge of squared length d2 px².
func edgeLength(d2 int) float32 {
	return float32(math.Sqrt(float64(d2)))
}

// prepared is a template in the comparator's working form, from which the compact
// Candidate and a Probe are made.
type prepared struct {
	X, Y   []int16 // image pixel coordinates (y down), clamped to the int16 range
	m      []minutia
	cx, cy float32 // centroid, image pixels
	byX    []uint8 // minutia indices sorted by x
	deg    []uint8 // edges from each minutia
	to     []uint8 // edge ends, grouped by start
	dist   []float32
	hull   []uint8 // minutia indices, counter-clockwise
}

// prepare puts a template into the comparator's frame. Templates at another resolution are
// rescaled to fingerprint.DefaultResolution; templates with more than params.maxMinutiae
// minutiae keep the best by quality; coordinates beyond the int16 range (65 inches at
// 500 ppi) are clamped.
func prepare(t *fingerprint.Template) *prepared {
	if t.Resolution != 0 && t.Resolution != fingerprint.DefaultResolution {
		t = t.Rescaled(fingerprint.DefaultResolution)
	}
	ms := t.Minutiae
	if len(ms) > params.maxMinutiae {
		ms = append([]fingerprint.Minutia(nil), ms...)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Quality > ms[j].Quality })
		ms = ms[:params.maxMinutiae]
	}
	n := len(ms)
	p := &prepared{X: make([]int16, n), Y: make([]int16, n), m: make([]minutia, n)}
	for i, m := range ms {
		p.X[i] = int16(min(math.MaxInt16, max(math.MinInt16, m.X)))
		p.Y[i] = int16(min(math.MaxInt16, max(math.MinInt16, m.Y)))
	}
	// Coordinates are centred on the minutiae's centroid so that the translations between
	// two templates stay small (see the motion histogram in compare.go).
	var cx, cy float32
	for i := range n {
		cx += float32(p.X[i])
		cy += float32(p.Y[i])
	}
	if n > 0 {
		cx, cy = cx/float32(n), cy/float32(n)
	}
	p.cx, p.cy = cx, cy
	for i, m := range ms {
		p.m[i] = minutia{x: float32(p.X[i]) - cx, y: cy - float32(p.Y[i]), dir: normAngle(float32(m.Direction))}
	}
	p.byX = make([]uint8, n)
	for i := range p.byX {
		p.byX[i] = uint8(i)
	}
	slices.SortFunc(p.byX, func(a, b uint8) int { return compare32(p.m[a].x, p.m[b].x) })
	p.buildEdges()
	p.hull = convexHull(p.m)
	return p
}

// compare32 orders two numbers that are not NaN. The sorts here use the same algorithm
// (pdqsort) as sort.Slice, which the comparator used to use: ties come out in the same
// order.
func compare32(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// buildEdges links each minutia to its nearest neighbours within [minEdge, maxEdge], nearest
// first.
func (p *prepared) buildEdges() {
	type nb struct {
		j int
		d float32
	}
	k := params.neighbours
	n := len(p.m)
	p.deg = make([]uint8, n)
	p.to = make([]uint8, 0, n*k)
	p.dist = make([]float32, 0, n*k)
	near := make([]nb, 0, n)
	for i := range n {
		near = near[:0]
		for j := range n {
			if j == i {
				continue
			}
			dx, dy := int(p.X[j])-int(p.X[i]), int(p.Y[j])-int(p.Y[i])
			d := edgeLength(dx*dx + dy*dy)
			if d < params.minEdge || d > params.maxEdge {
				continue
			}
			near = append(near, nb{j, d})
		}
		slices.SortFunc(near, func(a, b nb) int { return compare32(a.d, b.d) })
		if len(near) > k {
			near = near[:k]
		}
		p.deg[i] = uint8(len(near))
		for _, nb := range near {
			p.to = append(p.to, uint8(nb.j))
			p.dist = append(p.dist, nb.d)
		}
	}
}

// candidate encodes p in the compact form.
func (p *prepared) candidate() Candidate {
	n := len(p.m)
	dir16s := make([]uint16, n)
	flags := byte(flagDir16)
	for i, m := range p.m {
		u := uint16(int(math.Round(float64(m.dir)*65536/(2*math.Pi))) & 0xffff)
		if dir16(u) != m.dir {
			flags = 0
			break
		}
		dir16s[i] = u
	}
	size := candHeader + 4*n + 4*n + 2*n + len(p.hull) + len(p.to)
	if flags&flagDir16 != 0 {
		size -= 2 * n
	}
	b := make([]byte, candHeader, size)
	b[candN], b[candFlags], b[candH] = uint8(n), flags, uint8(len(p.hull))
	binary.LittleEndian.PutUint32(b[candCX:], math.Float32bits(p.cx))
	binary.LittleEndian.PutUint32(b[candCY:], math.Float32bits(p.cy))
	for i := range n {
		b = binary.LittleEndian.AppendUint16(b, uint16(p.X[i]))
		b = binary.LittleEndian.AppendUint16(b, uint16(p.Y[i]))
	}
	for i, m := range p.m {
		if flags&flagDir16 != 0 {
			b = binary.LittleEndian.AppendUint16(b, dir16s[i])
		} else {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(m.dir))
		}
	}
	b = append(b, p.byX...)
	b = append(b, p.deg...)
	b = append(b, p.hull...)
	b = append(b, p.to...)
	return Candidate{b: b}
}

// NewCandidate prepares a template for comparison. Templates at another resolution are
// rescaled to fingerprint.DefaultResolution.
func NewCandidate(t *fingerprint.Template) *Candidate {
	c := prepare(t).candidate()
	return &c
}

// edges returns p's edges with their whole geometry, in the order of p.to.
func (p *prepared) edges() []edge {
	g := geom()
	edges := make([]edge, 0, len(p.to))
	e := 0
	for i := range p.m {
		for range p.deg[i] {
			j := int(p.to[e])
			dx, dy := int(p.X[j])-int(p.X[i]), int(p.Y[i])-int(p.Y[j])
			raw := g.angle(dx, dy)
			mi, mj := &p.m[i], &p.m[j]
			ed := edge{
				from: uint8(i), to: uint8(j), d: p.dist[e],
				qd: uint8(g.length[dx*dx+dy*dy]),
				a:  normAngle(raw - mi.dir),
				b:  normAngle(mj.dir - mi.dir),
				v:  normAngle(raw),
				mx: (mi.x + mj.x) / 2, my: (mi.y + mj.y) / 2,
			}
			ed.qa, ed.qb = quantAngle(ed.a), quantAngle(ed.b)
			edges = append(edges, ed)
			e++
		}
	}
	return edges
}

// convexHull returns the indices of the minutiae on the convex hull of their positions
// (Andrew's monotone chain), counter-clockwise; all of them when there are fewer than 3.
func convexHull(m []minutia) []uint8 {
	idx := make([]uint8, len(m))
	for i := range idx {
		idx[i] = uint8(i)
	}
	slices.SortFunc(idx, func(i, j uint8) int {
		if c := compare32(m[i].x, m[j].x); c != 0 {
			return c
		}
		return compare32(m[i].y, m[j].y)
	})
	if len(idx) < 3 {
		return idx
	}
	pt := func(i uint8) point { return point{m[i].x, m[i].y} }
	cross := func(o, a, b point) float32 { return (a.x-o.x)*(b.y-o.y) - (a.y-o.y)*(b.x-o.x) }
	h := make([]uint8, 0, 2*len(idx))
	for _, p := range idx {
		for len(h) >= 2 && cross(pt(h[len(h)-2]), pt(h[len(h)-1]), pt(p)) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(idx) - 2; i >= 0; i-- {
		p := idx[i]
		for len(h) >= lower && cross(pt(h[len(h)-2]), pt(h[len(h)-1]), pt(p)) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return append([]uint8(nil), h[:len(h)-1]...)
}

// hullLengths returns the length of each hull edge i → i+1 (kept by rigid motions).
func hullLengths(h []point, l []float32) []float32 {
	l = l[:0]
	for i, a := range h {
		b := h[(i+1)%len(h)]
		l = append(l, float32(math.Hypot(float64(b.x-a.x), float64(b.y-a.y))))
	}
	return l
}

// hullEdge is an edge a→b of a counter-clockwise hull, as insideHull tests it.
type hullEdge struct {
	ax, ay float32 // a
	ex, ey float32 // b − a
	lim    float32 // −margin·|b − a|
}

// hullTest tests points against a convex hull with a margin: a point is inside when, for
// every edge, it lies to the left of the edge or less than the margin to its right.
// Invariant: every point strictly closer than √rr to (cx, cy) lies inside every edge's
// line, so it passes every edge test (the test's rounding errs by far less than the
// margin), and the edges need not be tested; rr is 0 when no such disc was found.
type hullTest struct {
	es     []hullEdge
	cx, cy float32
	rr     float32
}

// set makes t test against the counter-clockwise hull h, whose edge lengths are l (a hull
// with fewer than 3 points contains nothing).
func (t *hullTest) set(h []point, l []float32, margin float32) {
	t.es, t.rr = t.es[:0], 0
	if len(h) < 3 {
		return
	}
	var sx, sy float64
	for i, a := range h {
		b := h[(i+1)%len(h)]
		t.es = append(t.es, hullEdge{ax: a.x, ay: a.y, ex: b.x - a.x, ey: b.y - a.y, lim: -margin * l[i]})
		sx, sy = sx+float64(a.x), sy+float64(a.y)
	}
	// The largest disc about the vertices' mean inside every edge line, less half a pixel
	// for the rounding of the test.
	cx, cy := sx/float64(len(h)), sy/float64(len(h))
	r := math.Inf(1)
	for _, e := range t.es {
		ex, ey := float64(e.ex), float64(e.ey)
		if n := math.Hypot(ex, ey); n > 0 {
			r = min(r, (ex*(cy-float64(e.ay))-ey*(cx-float64(e.ax)))/n)
		}
	}
	if r -= 0.5; r > 0 && !math.IsInf(r, 1) {
		t.cx, t.cy, t.rr = float32(cx), float32(cy), float32(r*r)
	}
}

// inside reports whether p lies inside the hull, or within the margin of it.
func (t *hullTest) inside(p point) bool {
	if len(t.es) == 0 {
		return false
	}
	if dx, dy := p.x-t.cx, p.y-t.cy; dx*dx+dy*dy < t.rr {
		return true
	}
	for _, e := range t.es {
		// signed distance of p to the left of edge a→b, times the edge's length
		if e.ex*(p.y-e.ay)-e.ey*(p.x-e.ax) < e.lim {
			return false
		}
	}
	return true
}
