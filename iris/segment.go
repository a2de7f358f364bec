package iris

import (
	"cmp"
	"math"
)

// Circle is a boundary in input-image pixels.
type Circle struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	R float64 `json:"r"`
}

// lid is an eyelid boundary y = yv + a·(x − xc)² in input-image pixels. For the upper lid
// a > 0 and the lid covers y < curve; for the lower lid a < 0 and it covers y > curve.
type lid struct {
	found    bool
	xc, yv   float64
	a        float64
	contrast float64
}

func (l lid) y(x float64) float64 { return l.yv + l.a*(x-l.xc)*(x-l.xc) }

// seg holds the image and the outcome of the segmentation stages.
type seg struct {
	p     *params
	img   *plane // input scale, reflections filled in
	spec  []bool // input scale: reflection
	work  *plane // working scale, blurred
	scale float64

	pupil, iris                 Circle
	pupilContrast, irisContrast float64
	upper, lower                lid
	pupilLevel                  float64
}

// specular marks reflections (bright and much brighter than their surroundings), grows
// them, and fills them in along rows by linear interpolation, so that later stages see
// neither the reflection nor an artificial edge around it.
func (s *seg) specular() {
	g, p := s.img, s.p
	integ := g.integral()
	win := max(2, int(math.Round(float64(p.specWindow)/s.scale)))
	mark := make([]bool, g.w*g.h)
	any := false
	for y := range g.h {
		y0, y1 := max(0, y-win), min(g.h, y+win+1)
		for x := range g.w {
			v := g.p[y*g.w+x]
			if v < p.specAbs {
				continue
			}
			m := boxMean(integ, g.w, max(0, x-win), y0, min(g.w, x+win+1), y1)
			if float64(v)-m > float64(p.specRel) {
				mark[y*g.w+x] = true
				any = true
			}
		}
	}
	s.spec = make([]bool, g.w*g.h)
	if !any {
		return
	}
	d := max(1, int(math.Round(float64(p.specDilate)/s.scale)))
	for y := range g.h {
		for x := range g.w {
			if !mark[y*g.w+x] {
				continue
			}
			for yy := max(0, y-d); yy <= min(g.h-1, y+d); yy++ {
				for xx := max(0, x-d); xx <= min(g.w-1, x+d); xx++ {
					s.spec[yy*g.w+xx] = true
				}
			}
		}
	}
	for y := range g.h {
		row, m := g.p[y*g.w:(y+1)*g.w], s.spec[y*g.w:(y+1)*g.w]
		for x := 0; x < g.w; {
			if !m[x] {
				x++
				continue
			}
			e := x
			for e < g.w && m[e] {
				e++
			}
			var l, r float32
			switch {
			case x > 0 && e < g.w:
				l, r = row[x-1], row[e]
			case x > 0:
				l, r = row[x-1], row[x-1]
			case e < g.w:
				l, r = row[e], row[e]
			default:
				l, r = 128, 128
			}
			for i := x; i < e; i++ {
				t := float32(i-x+1) / float32(e-x+1)
				row[i] = l*(1-t) + r*t
			}
			x = e
		}
	}
}

// ring is the set of sample directions of a circle search: unit vectors over the sectors.
type ring struct{ cos, sin []float64 }

func newRing(sectors [][2]float64, perSector int) ring {
	var r ring
	for _, sec := range sectors {
		for k := range perSector {
			th := sec[0] + (sec[1]-sec[0])*(float64(k)+0.5)/float64(perSector)
			r.cos = append(r.cos, math.Cos(th))
			r.sin = append(r.sin, math.Sin(th))
		}
	}
	return r
}

// circleProfile puts in prof[i] the mean grey level of the working image on the circle
// (cx, cy, r0 + i·dr) restricted to the ring's directions, and in ok[i] whether at least
// half the samples were inside the image. Coarse profiles (integer centre and radii) read
// the nearest pixel through precomputed offsets; fine ones interpolate.
func (s *seg) circleProfile(cx, cy, r0, dr float64, rg ring, fine bool, offs [][]int32, prof []float64, ok []bool) {
	g := s.work
	na := len(rg.cos)
	for i := range prof {
		r := r0 + float64(i)*dr
		var sum float64
		cnt := 0
		if !fine && offs != nil {
			xi, yi, ri := int(cx), int(cy), int(math.Ceil(r))+1
			if xi-ri >= 0 && yi-ri >= 0 && xi+ri < g.w && yi+ri < g.h {
				base := int32(yi*g.w + xi)
				for _, o := range offs[i] {
					sum += float64(g.p[base+o])
				}
				prof[i], ok[i] = sum/float64(len(offs[i])), true
				continue
			}
		}
		for k := range na {
			x, y := cx+r*rg.cos[k], cy+r*rg.sin[k]
			if fine {
				if x < 0 || y < 0 || x > float64(g.w-1) || y > float64(g.h-1) {
					continue
				}
				sum += float64(g.at(x, y))
				cnt++
			} else if v, in := g.near(x, y); in {
				sum += float64(v)
				cnt++
			}
		}
		ok[i] = cnt*2 >= na
		if cnt > 0 {
			prof[i] = sum / float64(cnt)
		}
	}
}

// fitCircle is Daugman's integro-differential operator: over centres within ±search (in
// steps of step) of (cx, cy) and radii in [rmin, rmax], it finds the circle across which
// the mean grey level on the ring's directions rises most from inside to outside, the rise
// being measured between rings span apart. Circles for which allow (given the circle and the
// mean grey level just inside it) returns false are skipped. It returns the circle and that rise.
func (s *seg) fitCircle(cx, cy float64, search, step, rmin, rmax, dr, span float64, rg ring, fine bool, allow func(c Circle, in float64) bool) (Circle, float64) {
	best, bestD := Circle{cx, cy, rmin}, math.Inf(-1)
	k := int(math.Ceil(span / dr))
	n := int((rmax-rmin)/dr) + 1 + 2*k
	r0 := rmin - float64(k)*dr
	prof, ok := make([]float64, n), make([]bool, n)
	var offs [][]int32
	if !fine {
		offs = make([][]int32, n)
		for i := range offs {
			r := r0 + float64(i)*dr
			offs[i] = make([]int32, len(rg.cos))
			for a := range rg.cos {
				dx, dy := int(math.Round(r*rg.cos[a])), int(math.Round(r*rg.sin[a]))
				offs[i][a] = int32(dy*s.work.w + dx)
			}
		}
	}
	for dy := -search; dy <= search+1e-9; dy += step {
		for dx := -search; dx <= search+1e-9; dx += step {
			x, y := cx+dx, cy+dy
			if !fine {
				x, y = math.Round(x), math.Round(y)
			}
			s.circleProfile(x, y, r0, dr, rg, fine, offs, prof, ok)
			for i := k; i < n-k; i++ {
				c := Circle{x, y, rmin + float64(i-k)*dr}
				var in, out float64
				good := true
				for j := 1; j <= k; j++ {
					if !ok[i-j] || !ok[i+j] {
						good = false
						break
					}
					in += prof[i-j]
					out += prof[i+j]
				}
				if !good {
					continue
				}
				if d := (out - in) / float64(k); d > bestD && (allow == nil || allow(c, in/float64(k))) {
					bestD, best = d, c
				}
			}
		}
	}
	return best, bestD
}

// fitCircleRobust is fitCircle with the rise measured on each direction separately and
// summarised by its median over the directions: a boundary must be seen along most of the
// ring, so an eyelid or the edge of the eye opening that crosses a few directions with a
// strong step cannot outweigh the limbus seen along all the others.
func (s *seg) fitCircleRobust(cx, cy float64, search, step, rmin, rmax, dr, span float64, rg ring, fine bool, allow func(c Circle, in float64) bool) (Circle, float64) {
	g := s.work
	best, bestD := Circle{cx, cy, rmin}, math.Inf(-1)
	k := int(math.Ceil(span / dr))
	n := int((rmax-rmin)/dr) + 1 + 2*k
	r0 := rmin - float64(k)*dr
	na := len(rg.cos)
	v := make([]float32, n*na)
	okv := make([]bool, n*na)
	cum := make([]float32, n*na)
	mean := make([]float32, n)
	steps := make([]float32, na)
	var offs []int32 // coarse: pixel offsets of every (radius, direction) sample
	if !fine {
		offs = make([]int32, n*na)
		for i := range n {
			r := r0 + float64(i)*dr
			for a := range na {
				offs[i*na+a] = int32(int(math.Round(r*rg.sin[a]))*g.w + int(math.Round(r*rg.cos[a])))
			}
		}
	}
	rEdge := int(math.Ceil(r0+float64(n-1)*dr)) + 1
	for dy := -search; dy <= search+1e-9; dy += step {
		for dx := -search; dx <= search+1e-9; dx += step {
			x, y := cx+dx, cy+dy
			if !fine {
				x, y = math.Round(x), math.Round(y)
				if xi, yi := int(x), int(y); xi-rEdge >= 0 && yi-rEdge >= 0 && xi+rEdge < g.w && yi+rEdge < g.h {
					// The whole ring is inside: prefix sums straight from the pixels.
					base := int32(yi*g.w + xi)
					for a := range na {
						cum[a] = g.p[base+offs[a]]
					}
					for j := na; j < len(offs); j++ {
						cum[j] = cum[j-na] + g.p[base+offs[j]]
					}
					goto summed
				}
			}
			for i := range n {
				r := r0 + float64(i)*dr
				for a := range na {
					px, py := x+r*rg.cos[a], y+r*rg.sin[a]
					if fine {
						in := px >= 0 && py >= 0 && px <= float64(g.w-1) && py <= float64(g.h-1)
						okv[i*na+a] = in
						if in {
							v[i*na+a] = g.at(px, py)
						}
					} else {
						v[i*na+a], okv[i*na+a] = g.near(px, py)
					}
				}
			}
			// Per direction, prefix sums along the radius give each ring step in O(1).
			for a := range na {
				var c float32
				for i := range n {
					if okv[i*na+a] {
						c += v[i*na+a]
					} else {
						c = float32(math.NaN()) // poisons every window that reaches it
					}
					cum[i*na+a] = c
				}
			}
		summed:
			stepAt := func(i, a int) (st, in float32, ok bool) {
				lo := float32(0)
				if i-k-1 >= 0 {
					lo = cum[(i-k-1)*na+a]
				}
				inS := cum[(i-1)*na+a] - lo
				outS := cum[(i+k)*na+a] - cum[i*na+a]
				st = (outS - inS) / float32(k)
				return st, inS / float32(k), st == st
			}
			for i := k; i < n-k; i++ {
				var sum float32
				m := 0
				for a := range na {
					if st, _, ok := stepAt(i, a); ok {
						sum += st
						m++
					}
				}
				if m*2 >= na {
					mean[i] = sum / float32(m)
				} else {
					mean[i] = float32(math.Inf(-1))
				}
			}
			for i := k; i < n-k; i++ {
				// The median is taken only where the mean rise peaks (all radii in the fine
				// stage): a boundary seen along most directions is a peak of the mean too.
				if !fine && (mean[i] <= 0 || (i > k && mean[i-1] > mean[i]) || (i < n-k-1 && mean[i+1] > mean[i])) {
					continue
				}
				c := Circle{x, y, rmin + float64(i-k)*dr}
				m := 0
				var inSum float32
				for a := range na {
					if st, in, ok := stepAt(i, a); ok {
						steps[m] = st
						inSum += in
						m++
					}
				}
				if m*2 < na {
					continue
				}
				d := float64(quickMedian(steps[:m]))
				if d > bestD && (allow == nil || allow(c, float64(inSum)/float64(m))) {
					bestD, best = d, c
				}
			}
		}
	}
	return best, bestD
}

// quickMedian returns the median (the upper one for an even count) of v, reordering v.
func quickMedian(v []float32) float32 {
	lo, hi, k := 0, len(v)-1, len(v)/2
	for lo < hi {
		p := v[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

var fullCircle = [][2]float64{{0, 2 * math.Pi}}

// findPupil locates the pupil. Seeds are the darkest discs of the working image; each seed
// moves to the centroid of the dark pixels around it (so that a large uniform pupil is
// entered at its centre, not at its darkest corner), and the integro-differential operator
// fits the boundary there. The strongest boundary wins.
func (s *seg) findPupil() {
	p, g := s.p, s.work
	integ := g.integral()
	half := max(2, int(p.pupilRMin*0.7))
	type cand struct {
		x, y int
		m    float64
	}
	var cs []cand
	margin := int(p.pupilRMin)
	for y := margin; y < g.h-margin; y += 2 {
		for x := margin; x < g.w-margin; x += 2 {
			cs = append(cs, cand{x, y, boxMean(integ, g.w, x-half, y-half, x+half+1, y+half+1)})
		}
	}
	if len(cs) == 0 {
		return
	}
	ms := make([]float32, len(cs))
	for i, c := range cs {
		ms[i] = float32(c.m)
	}
	med := float64(quickMedian(ms))
	// The seeds, darkest first, each far from the ones before: a selection, not a sort.
	var seeds []cand
	for len(seeds) < p.pupilSeeds {
		k := -1
		for i, c := range cs {
			if k >= 0 && cmp.Compare(c.m, cs[k].m) >= 0 {
				continue
			}
			far := true
			for _, sd := range seeds {
				if dx, dy := float64(c.x-sd.x), float64(c.y-sd.y); dx*dx+dy*dy < 4*p.pupilRMin*p.pupilRMin {
					far = false
					break
				}
			}
			if far {
				k = i
			}
		}
		if k < 0 {
			break
		}
		seeds = append(seeds, cs[k])
	}
	rg := newRing(fullCircle, p.circleAngles)
	best, bestD := Circle{}, math.Inf(-1)
	var dark func(Circle, float64) bool
	for _, sd := range seeds {
		// The inside of the pupil is dark: nearer the seed's level than the image median.
		// Without this test a dark iris in a bright sclera could pass for a pupil.
		t := sd.m + 0.5*(med-sd.m)
		allow := func(_ Circle, in float64) bool { return in < t }
		x, y := s.darkCentroid(float64(sd.x), float64(sd.y), sd.m+max(10, 0.25*(med-sd.m)))
		c, d := s.fitCircle(x, y, float64(p.pupilSearch), p.pupilStep, p.pupilRMin, p.pupilRMax, 1, 2, rg, false, allow)
		if d > bestD {
			best, bestD, dark = c, d, allow
		}
	}
	if dark == nil {
		return
	}
	best, bestD = s.fitCircle(best.X, best.Y, 2, 0.5, max(p.pupilRMin, best.R-3), best.R+3, 0.5, 2, rg, true, dark)
	s.pupil = Circle{best.X / s.scale, best.Y / s.scale, best.R / s.scale}
	s.pupilContrast = max(0, bestD)
}

// darkCentroid returns the centroid of the working-image pixels darker than t within
// pupilRMax of (x, y), iterated twice; (x, y) itself when there are none.
func (s *seg) darkCentroid(x, y, t float64) (float64, float64) {
	g, r := s.work, s.p.pupilRMax
	for range 2 {
		var sx, sy float64
		n := 0
		for yy := max(0, int(y-r)); yy <= min(g.h-1, int(y+r)); yy++ {
			for xx := max(0, int(x-r)); xx <= min(g.w-1, int(x+r)); xx++ {
				dx, dy := float64(xx)-x, float64(yy)-y
				if dx*dx+dy*dy <= r*r && float64(g.p[yy*g.w+xx]) < t {
					sx += float64(xx)
					sy += float64(yy)
					n++
				}
			}
		}
		if n == 0 {
			break
		}
		x, y = sx/float64(n), sy/float64(n)
	}
	return x, y
}

// findLimbus fits the iris–sclera boundary on the lateral sectors (the upper and lower
// parts of the limbus are often behind the eyelids), centred near the pupil. The circle must
// hold the pupil with a margin, so that the pupil edge, the strongest edge of the eye, is
// never taken for the limbus.
func (s *seg) findLimbus() {
	p := s.p
	pc := Circle{s.pupil.X * s.scale, s.pupil.Y * s.scale, s.pupil.R * s.scale}
	rmin := max(pc.R/p.ratioMax, pc.R+6)
	rmax := min(pc.R/p.ratioMin, p.irisRMax)
	if rmax <= rmin {
		return
	}
	a, b := p.limbusSectorA, p.limbusSectorB
	sectors := [][2]float64{{-a, b}, {math.Pi - b, math.Pi + a}}
	rg := newRing(sectors, p.circleAngles/2)
	off := p.limbusOffset*pc.R + p.limbusOffPx
	allow := func(c Circle, _ float64) bool {
		return c.R >= math.Hypot(c.X-pc.X, c.Y-pc.Y)+pc.R/p.ratioMax*0.9
	}
	// Coarse to fine: centres every 2 pixels, then every pixel, then every half pixel.
	c, _ := s.fitCircleRobust(pc.X, pc.Y, off, p.limbusCoarseStep, rmin, rmax, 1, p.limbusSpan, rg, false, allow)
	c, _ = s.fitCircleRobust(c.X, c.Y, 2, 1, max(rmin, c.R-4), min(rmax, c.R+4), 1, p.limbusSpan, rg, false, allow)
	c, d := s.fitCircleRobust(c.X, c.Y, 1, 0.5, max(rmin, c.R-2), min(rmax, c.R+2), 0.5, p.limbusSpan, rg, true, allow)
	s.iris = Circle{c.X / s.scale, c.Y / s.scale, c.R / s.scale}
	s.irisContrast = max(0, d)
}

// findLids fits the upper and lower eyelid as parabolas by the integro-differential idea
// along an arc: the arc across which the grey level changes most, measured only where the
// arc crosses the iris.
func (s *seg) findLids() {
	sc := s.scale
	ic := Circle{s.iris.X * sc, s.iris.Y * sc, s.iris.R * sc}
	pc := Circle{s.pupil.X * sc, s.pupil.Y * sc, s.pupil.R * sc}
	s.upper = s.fitLid(ic, pc, +1)
	s.lower = s.fitLid(ic, pc, -1)
}

func (s *seg) fitLid(ic, pc Circle, side float64) lid {
	p, g := s.p, s.work
	best := lid{}
	bestScore := p.lidMinContrast
	const d = 3 // half-distance of the grey-level difference across the arc
	diffs := make([]float32, 0, int(ic.R)+2)
	for _, xo := range []float64{-0.2, 0, 0.2} {
		xc := ic.X + xo*ic.R
		for _, k := range []float64{1.2, 1.8, 3, 6} {
			a := side / (2 * k * ic.R)
			for t := 0.0; t <= ic.R; t++ {
				yv := ic.Y - side*(ic.R-t) // from the iris top (bottom) towards its centre
				// A lid that covered the middle of the pupil would have left no pupil to find:
				// such an arc is a line of lashes or a crease, not the lid.
				if side*(pc.Y-(yv+a*(pc.X-xc)*(pc.X-xc))) < p.lidPupilClear*pc.R {
					continue
				}
				diffs = diffs[:0]
				for x := ic.X - ic.R; x <= ic.X+ic.R; x += 2 {
					y := yv + a*(x-xc)*(x-xc)
					if dx, dy := x-ic.X, y-ic.Y; dx*dx+dy*dy > (ic.R-2)*(ic.R-2) {
						continue
					}
					if dx, dy := x-pc.X, y-pc.Y; dx*dx+dy*dy < (pc.R+d+2)*(pc.R+d+2) {
						continue
					}
					o, ok1 := g.near(x, y-side*d)
					i, ok2 := g.near(x, y+side*d)
					if !ok1 || !ok2 {
						continue
					}
					diffs = append(diffs, o-i)
				}
				if len(diffs) < p.lidMinInside {
					continue
				}
				// The median step along the arc: the lid edge must run along most of it.
				if c := math.Abs(float64(quickMedian(diffs))); c > bestScore {
					bestScore = c
					best = lid{true, xc / s.scale, yv / s.scale, a * s.scale, c}
				}
			}
		}
	}
	return best
}

// occluded reports whether the input-image point (x, y) is behind an eyelid.
func (s *seg) occluded(x, y float64) bool {
	if s.upper.found && y < s.upper.y(x) {
		return true
	}
	return s.lower.found && y > s.lower.y(x)
}
