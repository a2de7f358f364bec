package synth

import (
	"math"

	"github.com/biomesh/biomesh/fingerprint"
)

// The ground truth of a master is read off its own ridge pattern, independently of the
// project's extractor (fingerprint/extract), which is what it is meant to measure: the
// grown ridge profile is binarised at zero (ridges positive), thinned by Zhang and Suen's
// algorithm, and every skeleton pixel whose crossing number is 1 (an ending) or 3 (a
// bifurcation) is a minutia. Its sense is read off the skeleton (an ending points along its
// ridge, a bifurcation away from its stem, as in ISO/IEC 19794-2), its angle is the
// generator's own orientation model at that point, which the ridges follow by
// construction. Then the artefacts of thinning a digital pattern are removed: spurs (an
// ending whose ridge meets a bifurcation within truthSpur pixels), dots and tiny islands
// (two endings joined within truthShort), holes and tiny bridges (two bifurcations joined
// within truthShort), and minutiae within truthBorder of the finger's outline, where the
// ridges are cut rather than ended.
//
// Nothing here is shared with the extractor: the binarisation needs no enhancement (the
// master is noise-free), and the thinning, the crossing numbers and the clean-up are
// written for this purpose only.

const (
	truthTrace  = 10 // pixels followed along the skeleton for a minutia's sense
	truthSpur   = 8  // a branch from a bifurcation ending within this many pixels is a spur
	truthShort  = 6  // two endings, or two bifurcations, joined within this many pixels are an artefact
	truthBorder = 10 // minutiae closer than this (px, square distance) to the finger's outline are dropped
	truthMerge  = 2  // bifurcation pixels within this distance (px) of each other are one junction
)

// truthMinutiae returns the ground-truth minutiae of the master's ridge pattern (image
// coordinates, ISO directions).
func (m *Master) truthMinutiae() []fingerprint.Minutia {
	w, h := m.w, m.h
	skel := make([]bool, w*h)
	for i, v := range m.field {
		skel[i] = m.mask[i] && v > 0
	}
	thinZhangSuen(skel, w, h)

	// crossing numbers
	type cand struct {
		x, y int
		typ  fingerprint.MinutiaType
	}
	var cands []cand
	kind := make([]int8, w*h) // 1 ending, 3 bifurcation, 0 otherwise
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			if !skel[i] {
				continue
			}
			switch crossingNumber(skel, w, x, y) {
			case 1:
				kind[i] = 1
				cands = append(cands, cand{x, y, fingerprint.Ending})
			case 3:
				kind[i] = 3
				cands = append(cands, cand{x, y, fingerprint.Bifurcation})
			}
		}
	}
	// A junction may thin to two or three adjacent pixels of crossing number 3: keep the
	// first of each cluster.
	keep := make([]bool, len(cands))
	cluster := make([][]int, len(cands)) // pixels of each kept junction
	for a := range cands {
		keep[a] = true
		if cands[a].typ != fingerprint.Bifurcation {
			continue
		}
		for b := 0; b < a; b++ {
			if keep[b] && cands[b].typ == fingerprint.Bifurcation &&
				abs(cands[a].x-cands[b].x) <= truthMerge && abs(cands[a].y-cands[b].y) <= truthMerge {
				keep[a] = false // its pixel stays a stop for tracing
				cluster[b] = append(cluster[b], cands[a].y*w+cands[a].x)
				break
			}
		}
	}
	index := make(map[int]int, len(cands)) // pixel → candidate
	for a, c := range cands {
		if keep[a] {
			index[c.y*w+c.x] = a
		}
	}

	inner := erodeMask(m.mask, w, h, truthBorder)
	drop := make([]bool, len(cands))
	dirs := make([]float64, len(cands)) // image angle (y down)
	for a, c := range cands {
		if !keep[a] {
			continue
		}
		i := c.y*w + c.x
		// a walk stops on another minutia (or a pixel of its junction), not on its own
		isStop := func(j int) bool {
			if kind[j] == 0 {
				return false
			}
			b, ok := nearestCand(index, w, j)
			return !ok || b != a
		}
		own := append([]int{i}, cluster[a]...)
		starts := branchStarts(skel, w, own)
		var vx, vy [3]float64
		nb := 0
		for _, s := range starts {
			if nb == 3 {
				break
			}
			end, steps, stop := traceSkeleton(skel, w, h, own, s, truthTrace, isStop)
			if stop {
				// the branch runs into another minutia: spurs, dots, holes and bridges
				if b, ok := nearestCand(index, w, end); ok && b != a {
					other := cands[b].typ
					switch {
					case c.typ != other && steps < truthSpur,
						c.typ == other && steps < truthShort:
						drop[a], drop[b] = true, true
					}
				}
			}
			ex, ey := end%w, end/w
			l := math.Hypot(float64(ex-c.x), float64(ey-c.y))
			if l > 0 {
				vx[nb], vy[nb] = float64(ex-c.x)/l, float64(ey-c.y)/l
			}
			nb++
		}
		var dx, dy float64
		switch {
		case c.typ == fingerprint.Ending && nb >= 1:
			dx, dy = vx[0], vy[0]
		case c.typ == fingerprint.Bifurcation && nb == 3:
			// the stem is the branch opposite the closest pair of the three
			best, stem := -2.0, 0
			for k := range 3 {
				p, q := (k+1)%3, (k+2)%3
				if d := vx[p]*vx[q] + vy[p]*vy[q]; d > best {
					best, stem = d, k
				}
			}
			p, q := (stem+1)%3, (stem+2)%3
			dx, dy = vx[p]+vx[q]-vx[stem], vy[p]+vy[q]-vy[stem]
		}
		if dx == 0 && dy == 0 || !inner[i] {
			drop[a] = true
			continue
		}
		traced := math.Atan2(dy, dx)
		// The generator's orientation, in the sense of the side holding more skeleton
		// within a short radius: an ending's ridge lies behind it and nothing in front, a
		// bifurcation's two branches in front and its one stem behind. Counting is sturdier
		// than the walks, which a two-pixel-thick stretch of skeleton can send down the
		// same branch twice; the walks decide only a tie.
		c2, s2 := m.om.doubled(float64(c.x), float64(c.y))
		phi := math.Atan2(s2, c2) / 2
		switch f := skeletonSide(skel, w, h, c.x, c.y, phi, 0.75*m.periodAt(c.x, c.y)); {
		case f < 0:
			phi += math.Pi
		case f == 0 && angleBetween(phi+math.Pi, traced) < angleBetween(phi, traced):
			phi += math.Pi
		}
		// Near singular points the model turns within a few pixels and a ridge's end may
		// curve away from it: there the skeleton is the better witness.
		if angleBetween(phi, traced) > math.Pi/4 && angleBetween(phi, traced) < 3*math.Pi/4 {
			phi = traced
		}
		dirs[a] = phi
	}
	var out []fingerprint.Minutia
	for a, c := range cands {
		if !keep[a] || drop[a] {
			continue
		}
		x, y := float64(c.x), float64(c.y)
		if c.typ == fingerprint.Ending {
			// ISO places an ending where the valley skeleton forks, just beyond the tip of
			// the ridge: a quarter of a period, against the ending's direction.
			q := m.periodAt(c.x, c.y) / 4
			x -= q * math.Cos(dirs[a])
			y -= q * math.Sin(dirs[a])
		}
		out = append(out, fingerprint.Minutia{
			X: int(math.Round(x)), Y: int(math.Round(y)),
			Direction: fingerprint.NormalizeAngle(-dirs[a]), // image angle (y down) → ISO (y up)
			Type:      c.typ, Quality: 100,
		})
	}
	return out
}

// skeletonSide returns the number of skeleton pixels within r of (x, y) ahead of it along
// the image angle phi, minus the number behind it.
func skeletonSide(skel []bool, w, h, x, y int, phi, r float64) int {
	c, s := math.Cos(phi), math.Sin(phi)
	ri := int(math.Ceil(r))
	n := 0
	for dy := -ri; dy <= ri; dy++ {
		for dx := -ri; dx <= ri; dx++ {
			xx, yy := x+dx, y+dy
			if xx < 0 || yy < 0 || xx >= w || yy >= h || !skel[yy*w+xx] || float64(dx*dx+dy*dy) > r*r {
				continue
			}
			switch a := float64(dx)*c + float64(dy)*s; {
			case a > 1:
				n++
			case a < -1:
				n--
			}
		}
	}
	return n
}

// periodAt returns the master's ridge period at (x, y).
func (m *Master) periodAt(x, y int) float64 {
	if m.period == nil {
		return 9
	}
	return float64(m.period[y*m.w+x])
}

// nearestCand returns the kept candidate at pixel end, or within truthMerge of it (end
// may be a pixel of a junction cluster whose first pixel was kept).
func nearestCand(index map[int]int, w, end int) (int, bool) {
	if a, ok := index[end]; ok {
		return a, true
	}
	for dy := -truthMerge; dy <= truthMerge; dy++ {
		for dx := -truthMerge; dx <= truthMerge; dx++ {
			if a, ok := index[end+dy*w+dx]; ok {
				return a, true
			}
		}
	}
	return 0, false
}

// ring lists the 8 neighbours clockwise on screen from the east: (dx, dy).
var ring = [8][2]int{{1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}, {0, -1}, {1, -1}}

// crossingNumber is half the number of 0/1 changes around the 8 neighbours of (x, y):
// 1 at a ridge ending, 2 inside a ridge, 3 at a bifurcation.
func crossingNumber(skel []bool, w, x, y int) int {
	n := 0
	for k := range 8 {
		a := skel[(y+ring[k][1])*w+x+ring[k][0]]
		b := skel[(y+ring[(k+1)%8][1])*w+x+ring[(k+1)%8][0]]
		if a != b {
			n++
		}
	}
	return n / 2
}

// branchStarts returns the first pixel of each skeleton branch leaving the pixels own (a
// minutia's pixel, with the other pixels of its junction): around each own pixel, one
// pixel per run of consecutive skeleton neighbours outside own; runs seen from two own
// pixels give the same or 4-adjacent pixels and count once.
func branchStarts(skel []bool, w int, own []int) []int {
	in := func(j int) bool {
		for _, o := range own {
			if o == j {
				return true
			}
		}
		return false
	}
	var out []int
	for _, o := range own {
		x, y := o%w, o/w
		pix := func(k int) int { k &= 7; return (y+ring[k][1])*w + x + ring[k][0] }
		on := func(k int) bool { j := pix(k); return skel[j] && !in(j) }
		start := -1
		for k := range 8 {
			if !on(k) {
				start = k
				break
			}
		}
		if start < 0 {
			continue // inside a blob
		}
		for k := start + 1; k <= start+8; k++ {
			if !on(k) || on(k-1) {
				continue
			}
			// a run starts at k: take its first 4-neighbour, else k
			best := k
			for j := k; on(j) && j < k+8; j++ {
				if j&1 == 0 {
					best = j
					break
				}
			}
			p := pix(best)
			dup := false
			for _, q := range out {
				if q == p || abs(q%w-p%w)+abs(q/w-p/w) == 1 {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, p)
			}
		}
	}
	return out
}

// traceSkeleton walks the skeleton from the pixels from through next for up to max steps
// and returns the last pixel, the steps taken and whether the walk stopped on a pixel for
// which stop is true.
func traceSkeleton(skel []bool, w, h int, from []int, next, max int, stop func(int) bool) (int, int, bool) {
	prev, cur := from[0], next
	visited := map[int]bool{}
	for _, f := range from {
		visited[f] = true
	}
	for steps := 1; ; steps++ {
		visited[cur] = true
		if stop(cur) {
			return cur, steps, true
		}
		if steps >= max {
			return cur, steps, false
		}
		x, y := cur%w, cur/w
		if x < 1 || y < 1 || x >= w-1 || y >= h-1 {
			return cur, steps, false
		}
		nxt := -1
		// 4-neighbours first, so that the walk does not cut corners of the 8-path
		for _, k := range [8]int{0, 2, 4, 6, 1, 3, 5, 7} {
			j := (y+ring[k][1])*w + x + ring[k][0]
			if skel[j] && !visited[j] && j != prev {
				nxt = j
				break
			}
		}
		if nxt < 0 {
			return cur, steps, false
		}
		prev, cur = cur, nxt
	}
}

// thinZhangSuen thins the binary image in place to a one-pixel-wide, 8-connected
// skeleton (T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning digital
// patterns", CACM 1984): two sub-iterations delete, in parallel, the boundary pixels that
// are neither ends nor needed for connectivity — the south-east ones, then the north-west
// ones — until nothing changes. The image border is treated as background.
func thinZhangSuen(img []bool, w, h int) {
	var del []int
	at := func(x, y int) bool { return x >= 0 && y >= 0 && x < w && y < h && img[y*w+x] }
	for changed := true; changed; {
		changed = false
		for pass := range 2 {
			del = del[:0]
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if !img[y*w+x] {
						continue
					}
					// P2…P9 clockwise from north
					p := [8]bool{at(x, y-1), at(x+1, y-1), at(x+1, y), at(x+1, y+1), at(x, y+1), at(x-1, y+1), at(x-1, y), at(x-1, y-1)}
					b, a := 0, 0
					for k := range 8 {
						if p[k] {
							b++
						}
						if !p[k] && p[(k+1)%8] {
							a++
						}
					}
					if b < 2 || b > 6 || a != 1 {
						continue
					}
					n, e, s, wst := p[0], p[2], p[4], p[6]
					if pass == 0 && (n && e && s || e && s && wst) {
						continue
					}
					if pass == 1 && (n && e && wst || n && s && wst) {
						continue
					}
					del = append(del, y*w+x)
				}
			}
			for _, i := range del {
				img[i] = false
			}
			if len(del) > 0 {
				changed = true
			}
		}
	}
}

// erodeMask returns the pixels of mask whose (2r+1)² square lies inside it.
func erodeMask(mask []bool, w, h, r int) []bool {
	inv := make([]bool, len(mask))
	for i, v := range mask {
		inv[i] = !v
	}
	d := dilateMask(inv, w, h, r)
	for i := range d {
		d[i] = !d[i]
	}
	// the image border counts as outside the finger
	for y := range h {
		for x := range w {
			if x < r || y < r || x >= w-r || y >= h-r {
				d[y*w+x] = false
			}
		}
	}
	return d
}

// angleBetween returns the absolute difference of two angles, in [0, π].
func angleBetween(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 2*math.Pi)
	if d > math.Pi {
		d = 2*math.Pi - d
	}
	return d
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
