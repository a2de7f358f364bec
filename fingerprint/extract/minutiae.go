package extract

import (
	"math"

	"github.com/biomesh/biomesh/fingerprint"
)

// The skeleton is traced into a graph. Node pixels are skeleton pixels whose number of
// skeleton neighbours is not 2 (1: ending, ≥3: junction); 8-adjacent node pixels form one
// node. Edges are the chains of 2-neighbour pixels between nodes. An ending is a node with
// one edge, a bifurcation a node with three: this is the crossing-number rule made robust
// to the small pixel clusters a thinned junction leaves.

// skelNode is a node of the skeleton graph.
type skelNode struct {
	x, y   float64 // centroid
	pixels []int32
	edges  []int32 // edge ids; a loop edge appears twice
}

// skelEdge is a ridge chain between two nodes.
type skelEdge struct {
	a, b int32   // node ids
	path []int32 // chain pixels in order from a to b (node pixels excluded)
}

// length returns the edge length in pixels (chain pixels plus the step into each node).
func (e *skelEdge) length() float64 { return float64(len(e.path) + 1) }

type skelGraph struct {
	w      int
	nodes  []skelNode
	edges  []skelEdge
	nodeOf []int32 // per pixel: node id, or −1

	deg     []uint8 // scratch: skeleton neighbours per pixel
	visited []bool  // scratch: chain pixels already traced
}

// buildGraph traces the skeleton skel (w×h, frame clear) into a graph.
func buildGraph(skel []uint8, w, h int) *skelGraph {
	return buildGraphReuse(skel, w, h, nil)
}

// buildGraphReuse is buildGraph reusing the per-pixel buffers of an old graph, which must
// no longer be used.
func buildGraphReuse(skel []uint8, w, h int, old *skelGraph) *skelGraph {
	g := &skelGraph{w: w}
	if old != nil && len(old.nodeOf) == w*h {
		g.nodeOf, g.deg, g.visited = old.nodeOf, old.deg, old.visited
		clear(g.deg)
		clear(g.visited)
	} else {
		g.nodeOf, g.deg, g.visited = make([]int32, w*h), make([]uint8, w*h), make([]bool, w*h)
	}
	deg := g.deg
	for i := range g.nodeOf {
		g.nodeOf[i] = -1
	}
	var nodePix []int
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if skel[i] == 0 {
				continue
			}
			d := neighbourCount[neighbourCode(skel, i, w)]
			deg[i] = d
			if d != 2 {
				nodePix = append(nodePix, i)
			}
		}
	}
	offs := [8]int{-w, -w + 1, 1, w + 1, w, w - 1, -1, -w - 1}
	// group adjacent node pixels
	var stack []int
	for _, i := range nodePix {
		if g.nodeOf[i] >= 0 {
			continue
		}
		id := int32(len(g.nodes))
		var n skelNode
		g.nodeOf[i] = id
		stack = append(stack[:0], i)
		var sx, sy float64
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n.pixels = append(n.pixels, int32(c))
			sx += float64(c % w)
			sy += float64(c / w)
			for _, o := range offs {
				j := c + o
				if skel[j] != 0 && deg[j] != 2 && g.nodeOf[j] < 0 {
					g.nodeOf[j] = id
					stack = append(stack, j)
				}
			}
		}
		n.x = sx / float64(len(n.pixels))
		n.y = sy / float64(len(n.pixels))
		g.nodes = append(g.nodes, n)
	}
	// trace chains
	visited := g.visited
	for id := range g.nodes {
		for _, pi := range g.nodes[id].pixels {
			p := int(pi)
			for _, o := range offs {
				q := p + o
				if skel[q] == 0 || visited[q] || g.nodeOf[q] == int32(id) {
					continue
				}
				if g.nodeOf[q] >= 0 {
					continue // adjacent nodes are merged, so this cannot happen
				}
				// walk the chain
				var path []int32
				prev, cur := p, q
				end := int32(-1)
				for {
					visited[cur] = true
					path = append(path, int32(cur))
					next := -1
					for _, o2 := range offs {
						r := cur + o2
						if r == prev || skel[r] == 0 {
							continue
						}
						if g.nodeOf[r] >= 0 {
							if g.nodeOf[r] == int32(id) && len(path) == 1 {
								continue // still next to the start node
							}
							end = g.nodeOf[r]
							break
						}
						if !visited[r] {
							next = r
						}
					}
					if end >= 0 || next < 0 {
						break
					}
					prev, cur = cur, next
				}
				if end < 0 {
					continue // dangling chain (should not happen on a clean skeleton)
				}
				eid := int32(len(g.edges))
				g.edges = append(g.edges, skelEdge{a: int32(id), b: end, path: path})
				g.nodes[id].edges = append(g.nodes[id].edges, eid)
				g.nodes[end].edges = append(g.nodes[end].edges, eid)
			}
		}
	}
	return g
}

// other returns the node at the other end of edge e from node n.
func (g *skelGraph) other(e int32, n int32) int32 {
	if g.edges[e].a == n {
		return g.edges[e].b
	}
	return g.edges[e].a
}

// pointAlong returns the position reached by following edge e from node n for dist pixels
// (or the far node when the edge is shorter).
func (g *skelGraph) pointAlong(e, n int32, dist int) (float64, float64) {
	ed := &g.edges[e]
	L := len(ed.path)
	if dist > L || dist < 1 {
		o := &g.nodes[g.other(e, n)]
		return o.x, o.y
	}
	k := dist - 1
	if ed.a != n {
		k = L - 1 - k
	}
	p := int(ed.path[k])
	return float64(p % g.w), float64(p / g.w)
}

// detect traces the skeleton into a graph and takes its endings and bifurcations. False
// minutiae are removed afterwards by filter, which works on the same graph.
func (s *state) detect() {
	s.graph = buildGraph(s.skel, s.w, s.h)
	s.minutiae = s.graphMinutiae(s.graph)
}

// graphMinutiae lists the endings (one edge) and bifurcations (three edges) of g with
// their directions. An ending's direction points from the ending along its ridge; a
// bifurcation's points away from the stem, between the two branches (along the valley that
// ends there), as in ISO/IEC 19794-2. Directions are taken dirDistance pixels along the
// skeleton and refined by the orientation field when the two agree.
func (s *state) graphMinutiae(g *skelGraph) []minutia {
	var out []minutia
	d := s.p.dirDistance
	for id := range g.nodes {
		n := &g.nodes[id]
		var dx, dy float64
		var kind fingerprint.MinutiaType
		switch len(n.edges) {
		case 1:
			kind = fingerprint.Ending
			px, py := g.pointAlong(n.edges[0], int32(id), d)
			dx, dy = px-n.x, py-n.y
		case 3:
			kind = fingerprint.Bifurcation
			var ux, uy [3]float64
			for k, e := range n.edges {
				px, py := g.pointAlong(e, int32(id), d)
				vx, vy := px-n.x, py-n.y
				l := math.Hypot(vx, vy)
				if l > 0 {
					vx, vy = vx/l, vy/l
				}
				ux[k], uy[k] = vx, vy
			}
			// the stem is the branch opposite the closest pair
			best, stem := -2.0, 0
			for k := 0; k < 3; k++ {
				a, b := (k+1)%3, (k+2)%3
				if c := ux[a]*ux[b] + uy[a]*uy[b]; c > best {
					best, stem = c, k
				}
			}
			a, b := (stem+1)%3, (stem+2)%3
			dx = ux[a] + ux[b] - ux[stem]
			dy = uy[a] + uy[b] - uy[stem]
		default:
			continue
		}
		if dx == 0 && dy == 0 {
			continue
		}
		dir := math.Atan2(dy, dx)
		dir = s.refineDirection(n.x, n.y, dir)
		out = append(out, minutia{x: n.x, y: n.y, dir: dir, kind: kind, node: id})
	}
	return out
}

// refineDirection replaces a skeleton direction by the orientation-field direction (with
// the skeleton's sense) when the two are within 30°; the field is less noisy.
func (s *state) refineDirection(x, y, dir float64) float64 {
	xi := min(max(int(x+0.5), 0), s.w-1)
	yi := min(max(int(y+0.5), 0), s.h-1)
	th := float64(s.pixTheta[yi*s.w+xi])
	best := th
	if angleDiff(th+math.Pi, dir) < angleDiff(th, dir) {
		best = th + math.Pi
	}
	if angleDiff(best, dir) < math.Pi/6 {
		return fingerprint.NormalizeAngle(best)
	}
	return fingerprint.NormalizeAngle(dir)
}

// angleDiff returns the absolute difference of two angles, in [0, π].
func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}
