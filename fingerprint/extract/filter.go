package extract

import (
	"math"
	"sort"

	"github.com/biomesh/biomesh/fingerprint"
)

// filter removes false minutiae. Structural faults are repaired on the skeleton itself and
// the graph is traced again, for a few rounds:
//   - dots and short ridges: an edge between two endings shorter than shortRidge is erased;
//   - pores and lakes: a loop edge, or one of two parallel edges between the same two
//     bifurcations, shorter than lakeLength is erased;
//   - spurs: an edge from an ending to a junction shorter than spurLength is erased;
//   - bridges: an edge between two bifurcations shorter than bridgeLength that runs across
//     the ridge flow is erased;
//   - broken ridges: two endings closer than gapDistance that face each other are joined
//     by a drawn segment.
//
// Then minutiae closer than borderDistance to the mask border and minutiae in clusters
// (more than clusterMax others within clusterRadius) are dropped, a quality is given to
// each, the best maxMinutiae are kept, and they are moved back along their direction by
// endingShift or bifurcationShift.
func (s *state) filter() {
	p := s.p
	for round := 0; round < 4; round++ {
		changed := s.repairRound()
		if s.joinGaps() {
			changed = true
		}
		if !changed {
			break
		}
		s.graph = buildGraphReuse(s.skel, s.w, s.h, s.graph)
	}
	ms := s.graphMinutiae(s.graph)

	// border and clusters
	keep := ms[:0]
	for _, m := range ms {
		if s.distAt(m.x, m.y) >= p.borderDistance {
			keep = append(keep, m)
		}
	}
	ms = keep
	r2 := p.clusterRadius * p.clusterRadius
	crowded := make([]bool, len(ms))
	for i := range ms {
		n := 0
		for j := range ms {
			if i != j {
				dx, dy := ms[i].x-ms[j].x, ms[i].y-ms[j].y
				if dx*dx+dy*dy <= r2 {
					n++
				}
			}
		}
		crowded[i] = n > p.clusterMax
	}
	keep = nil
	for i, m := range ms {
		if !crowded[i] {
			m.quality = s.minutiaQuality(m.x, m.y)
			keep = append(keep, m)
		}
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].quality > keep[j].quality })
	if len(keep) > p.maxMinutiae {
		keep = keep[:p.maxMinutiae]
	}
	// ISO places an ending where the valley forks, just beyond the ridge tip, and a
	// bifurcation at the fork of the ridge, which thinning moves slightly into the branches:
	// move both back along their direction.
	for i := range keep {
		m := &keep[i]
		shift := p.endingShift
		if m.kind == fingerprint.Bifurcation {
			shift = p.bifurcationShift
		}
		m.x = math.Max(0, math.Min(float64(s.w-1), m.x-shift*math.Cos(m.dir)))
		m.y = math.Max(0, math.Min(float64(s.h-1), m.y-shift*math.Sin(m.dir)))
	}
	s.minutiae = keep
}

// repairRound erases spurs, short ridges, pores, lakes and bridges from the skeleton and
// reports whether anything changed.
func (s *state) repairRound() bool {
	p := s.p
	g := s.graph
	changed := false
	erasePath := func(e *skelEdge) {
		for _, q := range e.path {
			s.skel[q] = 0
		}
		changed = true
	}
	eraseNode := func(n int32) {
		for _, q := range g.nodes[n].pixels {
			s.skel[q] = 0
		}
	}
	deg := func(n int32) int { return len(g.nodes[n].edges) }
	for ei := range g.edges {
		e := &g.edges[ei]
		L := e.length()
		da, db := deg(e.a), deg(e.b)
		switch {
		case e.a == e.b:
			if L < p.lakeLength {
				erasePath(e)
			}
		case da == 1 && db == 1:
			if L < p.shortRidge {
				erasePath(e)
				eraseNode(e.a)
				eraseNode(e.b)
			}
		case da == 1 || db == 1:
			if L < p.spurLength {
				erasePath(e)
				if da == 1 {
					eraseNode(e.a)
				} else {
					eraseNode(e.b)
				}
			}
		case da >= 3 && db >= 3:
			if L < p.lakeLength && s.hasParallel(g, int32(ei)) {
				// keep the longer of the two parallel edges
				erasePath(e)
				continue
			}
			if L < p.bridgeLength {
				a, b := &g.nodes[e.a], &g.nodes[e.b]
				dir := math.Atan2(b.y-a.y, b.x-a.x)
				th := float64(s.pixTheta[s.pixIndex((a.x+b.x)/2, (a.y+b.y)/2)])
				dev := angleDiff(dir, th)
				if dev > math.Pi/2 {
					dev = math.Pi - dev
				}
				if dev > math.Pi/6 {
					erasePath(e)
				}
			}
		}
	}
	return changed
}

// hasParallel reports whether another, not shorter, edge joins the same two nodes as e
// (ties broken by id so that only one of two equal edges is erased).
func (s *state) hasParallel(g *skelGraph, e int32) bool {
	ed := &g.edges[e]
	for _, o := range g.nodes[ed.a].edges {
		if o == e {
			continue
		}
		oe := &g.edges[o]
		if (oe.a == ed.a && oe.b == ed.b) || (oe.a == ed.b && oe.b == ed.a) {
			if len(oe.path) > len(ed.path) || (len(oe.path) == len(ed.path) && o < e) {
				return true
			}
		}
	}
	return false
}

// joinGaps draws a segment between pairs of endings that are close and face each other
// (each one's ridge runs away from the other), when the segment crosses no other ridge.
func (s *state) joinGaps() bool {
	p := s.p
	g := s.graph
	ms := s.graphMinutiae(g)
	var ends []int
	for i, m := range ms {
		if m.kind == fingerprint.Ending {
			ends = append(ends, i)
		}
	}
	used := make([]bool, len(ms))
	changed := false
	for ii, i := range ends {
		if used[i] {
			continue
		}
		bestJ, bestD := -1, p.gapDistance
		for _, j := range ends[ii+1:] {
			if used[j] {
				continue
			}
			a, b := &ms[i], &ms[j]
			dx, dy := b.x-a.x, b.y-a.y
			d := math.Hypot(dx, dy)
			if d >= bestD || d < 1 {
				continue
			}
			gap := math.Atan2(dy, dx)
			// a's ridge runs away from b: a.dir ≈ gap+π; b's ridge runs away from a: b.dir ≈ gap
			if angleDiff(a.dir, gap+math.Pi) > p.gapAngle || angleDiff(b.dir, gap) > p.gapAngle {
				continue
			}
			if g.nodes[a.node].edges[0] == g.nodes[b.node].edges[0] {
				continue // both ends of one short ridge
			}
			bestJ, bestD = j, d
		}
		if bestJ < 0 {
			continue
		}
		a, b := &ms[i], &ms[bestJ]
		if s.drawIfClear(a.x, a.y, b.x, b.y) {
			used[i], used[bestJ] = true, true
			changed = true
		}
	}
	if changed {
		// re-thin: a drawn segment may form staircases where it meets the ridges
		s.skel = thinImage(s.skel, s.w, s.h)
	}
	return changed
}

// drawIfClear draws a skeleton segment between two points if it does not touch other
// skeleton pixels on the way (apart from near its ends).
func (s *state) drawIfClear(x0, y0, x1, y1 float64) bool {
	n := int(math.Ceil(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))))
	if n < 2 {
		return false
	}
	pts := make([]int, 0, n+1)
	for k := 0; k <= n; k++ {
		t := float64(k) / float64(n)
		pts = append(pts, s.pixIndex(x0+t*(x1-x0), y0+t*(y1-y0)))
	}
	for k := 2; k <= n-2; k++ {
		i := pts[k]
		if !s.mask[i] {
			return false
		}
		x, y := i%s.w, i/s.w
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				xx, yy := x+dx, y+dy
				if xx <= 0 || yy <= 0 || xx >= s.w-1 || yy >= s.h-1 {
					return false
				}
				if s.skel[yy*s.w+xx] != 0 {
					return false
				}
			}
		}
	}
	for _, i := range pts {
		s.skel[i] = 1
	}
	return true
}

// pixIndex returns the index of the pixel nearest (x, y), clamped to the image.
func (s *state) pixIndex(x, y float64) int {
	xi := min(max(int(x+0.5), 0), s.w-1)
	yi := min(max(int(y+0.5), 0), s.h-1)
	return yi*s.w + xi
}

// distAt returns the distance to the mask border at (x, y).
func (s *state) distAt(x, y float64) float32 { return s.dist[s.pixIndex(x, y)] }
