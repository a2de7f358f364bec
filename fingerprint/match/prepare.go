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
package match

import (
	"math"
	"sort"

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
	minQuick      int     // below this many agreeing voted pairs for the best seed, the raw score is 0
	refits        int     // least-squares refits of a finalist's alignment (each followed by a new pairing)
	pairTolAbs    float32 // pairing distance tolerance after alignment: pairTolAbs + pairTolRel·(distance from seed)
	pairTolRel    float32
	pairAngle     float32 // pairing direction tolerance, radians
	hullMargin    float32 // px added around a template's convex hull when counting minutiae in the common area
}{
	neighbours:  8,
	minEdge:     8,
	maxEdge:     200,
	maxMinutiae: 120,

	distBucket: 8,
	angleBins:  32,
	distTolAbs: 6,
	distTolRel: 0.1,
	angleTol:   0.38,

	seeds:         4,
	rotPeaks:      2,
	finalists:     2,
	finalistRatio: 0.7,
	minQuick:      5,
	refits:        3,
	pairTolAbs:    12,
	pairTolRel:    0.06,
	pairAngle:     0.55,
	hullMargin:    8,
}

type minutia struct {
	x, y float32 // math orientation: y grows upwards (image y negated)
	dir  float32 // radians, counter-clockwise, [0, 2π)
	typ  fingerprint.MinutiaType
}

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
type Candidate struct {
	m     []minutia
	byX   []uint8   // minutia indices sorted by x
	xs    []float32 // their x, ascending
	edges []edge
	hull  []point
	hullL []float32 // length of hull edge i → i+1 (kept by rigid motions)
}

// Len returns the number of minutiae in the prepared template.
func (c *Candidate) Len() int { return len(c.m) }

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

// NewCandidate prepares a template for comparison. Templates at another resolution are
// rescaled to fingerprint.DefaultResolution.
func NewCandidate(t *fingerprint.Template) *Candidate {
	if t.Resolution != 0 && t.Resolution != fingerprint.DefaultResolution {
		t = t.Rescaled(fingerprint.DefaultResolution)
	}
	ms := t.Minutiae
	if len(ms) > params.maxMinutiae {
		ms = append([]fingerprint.Minutia(nil), ms...)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Quality > ms[j].Quality })
		ms = ms[:params.maxMinutiae]
	}
	// Coordinates are centred on the minutiae's centroid so that the translations between
	// two templates stay small (see the motion histogram in compare.go).
	var cx, cy float32
	for _, m := range ms {
		cx += float32(m.X)
		cy += float32(m.Y)
	}
	if len(ms) > 0 {
		cx, cy = cx/float32(len(ms)), cy/float32(len(ms))
	}
	c := &Candidate{m: make([]minutia, len(ms))}
	for i, m := range ms {
		c.m[i] = minutia{x: float32(m.X) - cx, y: cy - float32(m.Y), dir: normAngle(float32(m.Direction)), typ: m.Type}
	}
	c.byX = make([]uint8, len(c.m))
	for i := range c.byX {
		c.byX[i] = uint8(i)
	}
	sort.Slice(c.byX, func(a, b int) bool { return c.m[c.byX[a]].x < c.m[c.byX[b]].x })
	c.xs = make([]float32, len(c.m))
	for k, i := range c.byX {
		c.xs[k] = c.m[i].x
	}
	c.edges = buildEdges(c.m)
	c.hull = convexHull(c.m)
	c.hullL = make([]float32, len(c.hull))
	for i, a := range c.hull {
		b := c.hull[(i+1)%len(c.hull)]
		c.hullL[i] = float32(math.Hypot(float64(b.x-a.x), float64(b.y-a.y)))
	}
	return c
}

// buildEdges links each minutia to its nearest neighbours within [minEdge, maxEdge].
func buildEdges(m []minutia) []edge {
	type nb struct {
		j int
		d float32
	}
	k := params.neighbours
	edges := make([]edge, 0, len(m)*k)
	near := make([]nb, 0, len(m))
	for i := range m {
		near = near[:0]
		for j := range m {
			if j == i {
				continue
			}
			dx, dy := m[j].x-m[i].x, m[j].y-m[i].y
			d := float32(math.Sqrt(float64(dx*dx + dy*dy)))
			if d < params.minEdge || d > params.maxEdge {
				continue
			}
			near = append(near, nb{j, d})
		}
		sort.Slice(near, func(a, b int) bool { return near[a].d < near[b].d })
		if len(near) > k {
			near = near[:k]
		}
		for _, n := range near {
			edges = append(edges, makeEdge(m, i, n.j, n.d))
		}
	}
	return edges
}

func makeEdge(m []minutia, i, j int, d float32) edge {
	dx, dy := m[j].x-m[i].x, m[j].y-m[i].y
	e := edge{
		from: uint8(i), to: uint8(j), d: d,
		a: normAngle(atan2(dy, dx) - m[i].dir),
		b: normAngle(m[j].dir - m[i].dir),
	}
	e.v = normAngle(atan2(dy, dx))
	e.mx, e.my = (m[i].x+m[j].x)/2, (m[i].y+m[j].y)/2
	e.qd = uint8(min(255, math.Round(float64(d))))
	e.qa = uint8(int(math.Round(float64(e.a)*256/(2*math.Pi))) & 255)
	e.qb = uint8(int(math.Round(float64(e.b)*256/(2*math.Pi))) & 255)
	return e
}

// convexHull returns the convex hull of the minutiae positions (Andrew's monotone chain),
// counter-clockwise.
func convexHull(m []minutia) []point {
	pts := make([]point, len(m))
	for i, v := range m {
		pts[i] = point{v.x, v.y}
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].x != pts[j].x {
			return pts[i].x < pts[j].x
		}
		return pts[i].y < pts[j].y
	})
	if len(pts) < 3 {
		return pts
	}
	cross := func(o, a, b point) float32 { return (a.x-o.x)*(b.y-o.y) - (a.y-o.y)*(b.x-o.x) }
	h := make([]point, 0, 2*len(pts))
	for _, p := range pts {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(pts) - 2; i >= 0; i-- {
		p := pts[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h[:len(h)-1]
}

// insideHull reports whether p lies inside the counter-clockwise hull h, whose edge
// lengths are l, or within margin of it.
func insideHull(h []point, l []float32, p point, margin float32) bool {
	if len(h) < 3 {
		return false
	}
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		// signed distance of p to the left of edge a→b, times the edge's length
		if (b.x-a.x)*(p.y-a.y)-(b.y-a.y)*(p.x-a.x) < -margin*l[i] {
			return false
		}
	}
	return true
}
