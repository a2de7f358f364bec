package synthtpl

import (
	"math"
	"math/rand/v2"

	"github.com/biomesh/biomesh/fingerprint"
)

// gen holds one goroutine's random source and scratch space, reused template after template.
type gen struct {
	pcg *rand.PCG
	r   *rand.Rand

	// The spacing grid of the master being made: per cell, the index + 1 of its last
	// minutia (0 if none); next[i] is the index + 1 of the cell's minutia before i.
	grid   []int32
	next   []int32
	gw, gh int
	cell   float64 // 1 / cell side
}

func newGen() *gen {
	pcg := rand.NewPCG(0, 0)
	return &gen{pcg: pcg, r: rand.New(pcg)}
}

// norm returns an approximately standard normal number (the scaled sum of four uniform
// 16-bit numbers, so within ±3.5) from a single draw: cheap noise for every minutia.
func (g *gen) norm() float64 {
	u := g.pcg.Uint64()
	s := u&0xffff + u>>16&0xffff + u>>32&0xffff + u>>48
	return (float64(s) - 2*65535.0) * (1 / 37837.0)
}

// float returns a uniform number in [0, 1), like rand.Rand.Float64 without its interface
// call.
func (g *gen) float() float64 {
	return float64(g.pcg.Uint64()>>11) * 0x1p-53
}

// mix is SplitMix64's finaliser: a bijective hash that spreads seeds.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// fingerStream seeds g for the master of (seed, person, finger).
func (g *gen) fingerStream(seed uint64, person, finger int) {
	g.pcg.Seed(mix(seed^mix(uint64(person))), mix(uint64(finger)^0x5f1d6e0c3a7b9d21))
}

// impressionStream seeds g for impression k of master under seed. The master's own content
// enters the stream, so impressions of different fingers are independent under one seed.
func (g *gen) impressionStream(seed uint64, master *fingerprint.Template, k int) {
	h := uint64(len(master.Minutiae)) ^ 0x2545f4914f6cdd1d
	for _, m := range master.Minutiae {
		h = (h ^ uint64(m.X)<<16 ^ uint64(m.Y)) * 0x100000001b3
	}
	g.pcg.Seed(mix(seed^0xa0761d6478bd642f)^mix(h), mix(uint64(k)^0xe7037ed1a0b428db))
}

// field is a ridge-orientation field in the finger's frame: x to the right and y upwards
// from the finger centre, angles counter-clockwise (so the same as on screen).
type field struct {
	theta0 float64  // orientation far from the singular points
	cores  [2]point // core positions (ncores of them)
	deltas [2]point // delta positions
	nc, nd int      // numbers of cores and deltas
	arch   float64  // for arches (no singular point): curvature of the ridges
	wave   [2]wave  // smooth random perturbation
}

type point struct{ x, y float64 }

type wave struct{ kx, ky, phase, amp float64 }

// orientation returns the ridge orientation at (x, y), in radians modulo π.
func (f *field) orientation(x, y float64) float64 {
	t := f.theta0
	if f.nc == 0 {
		// Arch: ridges y = −arch·x² + c, whose slope is −2·arch·x, flattening downwards.
		t += math.Atan(-2 * f.arch * x * math.Exp(-max(0, -y)/150))
	}
	if f.nc+f.nd > 0 {
		// Half the sum of the angles seen from the cores minus those seen from the deltas:
		// the angle of the product of (z − core) and conj(z − delta), to within a multiple
		// of 2π, which halved is a multiple of π — the same orientation.
		re, im := 1.0, 0.0
		for i := range f.nc {
			dx, dy := x-f.cores[i].x, y-f.cores[i].y
			re, im = re*dx-im*dy, re*dy+im*dx
		}
		for i := range f.nd {
			dx, dy := x-f.deltas[i].x, f.deltas[i].y-y
			re, im = re*dx-im*dy, re*dy+im*dx
		}
		t += 0.5 * atan2(im, re)
	}
	for _, w := range f.wave {
		t += w.amp * sin(w.kx*x+w.ky*y+w.phase)
	}
	return t
}

// atan2 is math.Atan2 to within 1e-5 radians, about 4 times faster.
func atan2(y, x float64) float64 {
	ax, ay := math.Abs(x), math.Abs(y)
	if ax == 0 && ay == 0 {
		return 0
	}
	z := min(ax, ay) / max(ax, ay)
	z2 := z * z
	a := z * (0.99997726 + z2*(-0.33262347+z2*(0.19354346+z2*(-0.11643287+z2*(0.05265332+z2*-0.01172120)))))
	if ay > ax {
		a = math.Pi/2 - a
	}
	if x < 0 {
		a = math.Pi - a
	}
	if y < 0 {
		a = -a
	}
	return a
}

// sin is math.Sin to within 1e-6 for arguments of moderate size (|v| < 1e6).
func sin(v float64) float64 {
	v -= 2 * math.Pi * math.Floor(v*(1/(2*math.Pi))+0.5) // [−π, π]
	if v > math.Pi/2 {
		v = math.Pi - v
	} else if v < -math.Pi/2 {
		v = -math.Pi - v
	}
	v2 := v * v
	return v * (1 + v2*(-1.0/6+v2*(1.0/120+v2*(-1.0/5040+v2*(1.0/362880+v2*(-1.0/39916800))))))
}

// newField draws a finger pattern: arch, left or right loop, or whorl, with frequencies
// close to those of the population (arches 7 %, loops 65 %, whorls 28 %).
func (g *gen) newField(p *Params) field {
	r := g.r
	var f field
	a, b := p.FingerWidth/2, p.FingerHeight/2
	cx, cy := r.NormFloat64()*0.08*a, 0.1*b+r.NormFloat64()*0.08*b // cores sit a little above the centre
	f.theta0 = r.NormFloat64() * 0.1
	switch u := r.Float64(); {
	case u < 0.07: // arch
		f.arch = 0.004 + 0.004*r.Float64()
	case u < 0.72: // loop, delta below the core on one side
		side := 1.0
		if u < 0.395 {
			side = -1
		}
		f.nc, f.nd = 1, 1
		f.cores[0] = point{cx, cy}
		f.deltas[0] = point{cx + side*(0.45+0.2*r.Float64())*a, cy - (0.55+0.2*r.Float64())*b}
	default: // whorl: two cores one above the other, deltas on both sides below
		f.nc, f.nd = 2, 2
		sep := (0.04 + 0.08*r.Float64()) * b
		tilt := r.NormFloat64() * 0.3
		f.cores[0] = point{cx - sep*math.Sin(tilt), cy + sep*math.Cos(tilt)}
		f.cores[1] = point{cx + sep*math.Sin(tilt), cy - sep*math.Cos(tilt)}
		f.deltas[0] = point{cx - (0.5+0.2*r.Float64())*a, cy - (0.55+0.2*r.Float64())*b}
		f.deltas[1] = point{cx + (0.5+0.2*r.Float64())*a, cy - (0.55+0.2*r.Float64())*b}
	}
	for i := range f.wave {
		k := 2 * math.Pi / (250 + 250*r.Float64())
		d := r.Float64() * 2 * math.Pi
		f.wave[i] = wave{k * math.Cos(d), k * math.Sin(d), r.Float64() * 2 * math.Pi, p.FieldNoise * (0.5 + r.Float64())}
	}
	return f
}

// normAngle maps an angle within a few turns of [0, 2π) onto it, like
// fingerprint.NormalizeAngle but without a division.
func normAngle(a float64) float64 {
	if !(a > -100 && a < 100) { // far off, or NaN
		return fingerprint.NormalizeAngle(a)
	}
	for a < 0 {
		a += 2 * math.Pi
	}
	for a >= 2*math.Pi {
		a -= 2 * math.Pi
	}
	return a
}

// clampQ rounds and clamps a quality to 0–100.
func clampQ(q float64) uint8 {
	return uint8(max(0, min(100, q)) + 0.5)
}

// Finger returns the master minutiae set of finger of person: the whole finger area, before
// any capture. It depends only on seed, person, finger and p. Person and finger may be any
// integers; fingers 0–9 get ISO finger positions 1–10, others position 0. Finger panics if
// p is invalid (see Params.Validate); a nil p means DefaultParams.
func Finger(seed uint64, person, finger int, p *Params) *fingerprint.Template {
	p = mustValid(p)
	t := new(fingerprint.Template)
	newGen().finger(t, seed, person, finger, p)
	return t
}

// Impression returns impression k (any integer) of a master made by Finger, as an extractor
// would report it from one capture. It depends only on seed, k, the master's minutiae and
// p; the master is not modified. Impression panics if p is invalid; a nil p means
// DefaultParams.
func Impression(master *fingerprint.Template, seed uint64, k int, p *Params) *fingerprint.Template {
	p = mustValid(p)
	t := new(fingerprint.Template)
	newGen().impression(t, master, seed, k, p)
	return t
}

func mustValid(p *Params) *Params {
	if p == nil {
		return DefaultParams()
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p
}

// finger fills t with a master, reusing t's minutiae slice.
func (g *gen) finger(t *fingerprint.Template, seed uint64, person, finger int, p *Params) {
	g.fingerStream(seed, person, finger)
	r := g.r
	n := int(math.Round(p.MinutiaeMean + p.MinutiaeSpread*r.NormFloat64()))
	n = max(p.MinMinutiae, min(p.MaxMinutiae, n))
	pos := 0
	if finger >= 0 && finger < 10 {
		pos = finger + 1
	}
	base := 45 + 45*r.Float64() // the finger's skin quality
	*t = fingerprint.Template{
		Width: p.Width, Height: p.Height, Resolution: fingerprint.DefaultResolution,
		Quality: int(clampQ(base)), Position: pos, Minutiae: t.Minutiae[:0],
	}
	f := g.newField(p)
	a, b := p.FingerWidth/2, p.FingerHeight/2
	ox, oy := float64(p.Width)/2, float64(p.Height)/2
	sp2 := p.MinSpacing * p.MinSpacing
	ia2, ib2 := 1/(a*a), 1/(b*b)
	g.gridSetup(p)
	canPair := false // the last minutia placed is not the second end of a pair
	for tries := 0; len(t.Minutiae) < n && tries < 50*n; tries++ {
		var x, y, dir float64
		var typ fingerprint.MinutiaType
		paired := canPair && g.float() < p.PairFraction
		canPair = false // one try only: a failed partner is not tried again
		if paired {
			// The other end of a short ridge (two endings) or lake (two bifurcations) that
			// starts at the last minutia, along its direction, facing it.
			last := t.Minutiae[len(t.Minutiae)-1]
			l := p.PairLength * (0.5 + g.float())
			sin, cos := math.Sincos(last.Direction)
			x, y = float64(last.X)-ox+l*cos, oy-float64(last.Y)+l*sin
			if x*x*ia2+y*y*ib2 > 1 {
				continue
			}
			dir, typ = last.Direction+math.Pi, last.Type
		} else {
			// Uniform in the ellipse, by rejection from its bounding box.
			u, v := 2*g.float()-1, 2*g.float()-1
			if u*u+v*v > 1 {
				continue
			}
			x, y = u*a, v*b // finger frame, y up
		}
		sx, sy := int(math.Round(ox+x)), int(math.Round(oy-y))
		if g.occupied(t.Minutiae, sx, sy, sp2) {
			continue
		}
		if !paired {
			dir = f.orientation(x, y)
			if g.pcg.Uint64()&1 == 1 {
				dir += math.Pi
			}
			typ = fingerprint.Bifurcation
			if g.float() < p.EndingRatio {
				typ = fingerprint.Ending
			}
		}
		// Quality falls towards the rim of the finger.
		rho := math.Sqrt(x*x*ia2 + y*y*ib2)
		q := base + 10*g.norm() - 100*max(0, rho-0.7)
		canPair = !paired
		g.mark(sx, sy, len(t.Minutiae))
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{
			X: sx, Y: sy, Direction: normAngle(dir), Type: typ, Quality: clampQ(max(q, 5)),
		})
	}
	g.gridClear(t.Minutiae)
}

// maxGrid is the most cells the spacing grid may have; beyond it (tiny spacing in a huge
// image), spacing is checked against every minutia.
const maxGrid = 1 << 20

// gridSetup readies g's spacing grid for p: cells of side MinSpacing, so that a candidate
// need only look at its own cell and the eight around it.
func (g *gen) gridSetup(p *Params) {
	g.cell = 1 / p.MinSpacing
	g.gw, g.gh = int(float64(p.Width)*g.cell)+4, int(float64(p.Height)*g.cell)+4
	if g.gw*g.gh > maxGrid {
		g.gw, g.gh = 0, 0
		return
	}
	if len(g.grid) < g.gw*g.gh {
		g.grid = make([]int32, g.gw*g.gh)
	}
}

// cellOf returns the grid cell of (x, y), shifted by 1 so that neighbours are in range, and
// whether (x, y) is on the grid.
func (g *gen) cellOf(x, y int) (int, bool) {
	cx, cy := int(float64(x)*g.cell)+1, int(float64(y)*g.cell)+1
	return cy*g.gw + cx, x >= 0 && y >= 0 && cx < g.gw-1 && cy < g.gh-1
}

// occupied reports whether a minutia of ms lies closer than √sp2 (at most MinSpacing) to
// (x, y).
func (g *gen) occupied(ms []fingerprint.Minutia, x, y int, sp2 float64) bool {
	c, ok := g.cellOf(x, y)
	if !ok {
		return tooClose(ms, x, y, sp2)
	}
	s2 := int(math.Ceil(sp2))
	for _, row := range [3]int{c - g.gw - 1, c - 1, c + g.gw - 1} {
		for _, k := range g.grid[row : row+3] {
			for k > 0 {
				m := &ms[k-1]
				if dx, dy := m.X-x, m.Y-y; dx*dx+dy*dy < s2 {
					return true
				}
				k = g.next[k-1]
			}
		}
	}
	return false
}

// mark records minutia i at (x, y) in the grid.
func (g *gen) mark(x, y, i int) {
	if len(g.next) <= i {
		g.next = append(g.next, make([]int32, i+1-len(g.next))...)
	}
	if c, ok := g.cellOf(x, y); ok {
		g.next[i] = g.grid[c]
		g.grid[c] = int32(i + 1)
	}
}

// gridClear empties the grid cells of ms.
func (g *gen) gridClear(ms []fingerprint.Minutia) {
	for _, m := range ms {
		if c, ok := g.cellOf(m.X, m.Y); ok {
			g.grid[c] = 0
		}
	}
}

func tooClose(ms []fingerprint.Minutia, x, y int, sp2 float64) bool {
	for i := range ms {
		dx, dy := float64(ms[i].X-x), float64(ms[i].Y-y)
		if dx*dx+dy*dy < sp2 {
			return true
		}
	}
	return false
}

// impression fills t with impression k of master, reusing t's minutiae slice. t must not be
// master.
func (g *gen) impression(t *fingerprint.Template, master *fingerprint.Template, seed uint64, k int, p *Params) {
	g.impressionStream(seed, master, k)
	r := g.r
	deg := math.Pi / 180
	w, h := master.Width, master.Height
	if w <= 0 || h <= 0 {
		w, h = p.Width, p.Height
	}
	ox, oy := float64(w)/2, float64(h)/2 // finger centre, image coordinates

	// Contact area: the finger ellipse scaled and shifted (finger frame, y up).
	scale := p.ContactMin + (p.ContactMax-p.ContactMin)*r.Float64()
	distortion := p.Distortion
	if r.Float64() < p.HardFraction {
		scale *= p.HardContact
		distortion *= p.HardDistortion
	}
	ca, cb := scale*p.FingerWidth/2, scale*p.FingerHeight/2
	ccx, ccy := p.ContactShift*r.NormFloat64(), p.ContactShift*r.NormFloat64()
	// Rigid motion: rotate about the contact centre, which lands near the image centre.
	rot := max(-p.MaxRotation, min(p.MaxRotation, p.RotationSD*r.NormFloat64())) * deg
	cr, sr := math.Cos(rot), math.Sin(rot)
	tx, ty := p.TranslationSD*r.NormFloat64(), p.TranslationSD*r.NormFloat64()
	// Elastic distortion (after Cappelli et al. 2001): rigid near the contact centre, the rim
	// turned by drot and shifted by (dx, dy), blended smoothly in between.
	rim := math.Min(ca, cb)
	r1, r2 := 0.25*rim, 1.1*rim
	drot := distortion / rim * r.NormFloat64() * 0.7
	dx, dy := distortion*r.NormFloat64()*0.7, distortion*r.NormFloat64()*0.7
	cd, sd := math.Cos(drot), math.Sin(drot)

	missing := p.MissingMin + (p.MissingMax-p.MissingMin)*r.Float64()
	spurious := p.SpuriousMin + (p.SpuriousMax-p.SpuriousMin)*r.Float64()
	qshift := 8 * r.NormFloat64()

	*t = fingerprint.Template{
		Width: w, Height: h, Resolution: fingerprint.DefaultResolution,
		Quality: int(clampQ(float64(master.Quality) + qshift)), Position: master.Position, Minutiae: t.Minutiae[:0],
	}
	xmin, xmax := float64(p.BorderMargin), float64(w-1-p.BorderMargin)
	ymin, ymax := float64(p.BorderMargin), float64(h-1-p.BorderMargin)

	// place maps a finger-frame point and direction into the image, or reports it falls
	// outside the image.
	place := func(x, y, dir float64) (int, int, float64, bool) {
		vx, vy := x-ccx, y-ccy
		rr := math.Sqrt(vx*vx + vy*vy)
		s := (rr - r1) / (r2 - r1)
		s = max(0, min(1, s))
		s = s * s * (3 - 2*s)                                       // smoothstep
		vx, vy = vx+s*(cd*vx-sd*vy-vx+dx), vy+s*(sd*vx+cd*vy-vy+dy) // both from the old vx, vy
		dir += s * drot
		ix := ox + cr*vx - sr*vy + tx + p.PositionJitter*g.norm()
		iy := oy - (sr*vx + cr*vy + ty + p.PositionJitter*g.norm())
		if ix < xmin || ix > xmax || iy < ymin || iy > ymax {
			return 0, 0, 0, false
		}
		return int(math.Round(ix)), int(math.Round(iy)), normAngle(dir + rot), true
	}

	sp2 := p.MinSpacing * p.MinSpacing
	kept := 0
	for _, m := range master.Minutiae {
		x, y := float64(m.X)-ox, oy-float64(m.Y)
		ex, ey := (x-ccx)/ca, (y-ccy)/cb
		if ex*ex+ey*ey > 1 || g.float() < missing {
			continue
		}
		ix, iy, dir, ok := place(x, y, m.Direction+p.DirectionSD*deg*g.norm())
		if !ok || tooClose(t.Minutiae, ix, iy, sp2/4) { // jitter brought two together: an extractor merges them
			continue
		}
		typ := m.Type
		if typ != fingerprint.Other && g.float() < p.TypeFlip {
			typ = 3 - typ
		}
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{
			X: ix, Y: iy, Direction: dir, Type: typ, Quality: clampQ(float64(m.Quality) + qshift + 6*g.norm()),
		})
		kept++
	}

	// Spurious minutiae: anywhere in the contact area, mostly along the local ridge flow
	// (taken from the nearest master minutia), of poor quality.
	ns := int(math.Round(spurious * float64(kept)))
	for tries := 0; ns > 0 && tries < 4*ns+8; tries++ {
		u, v := 2*g.float()-1, 2*g.float()-1
		if u*u+v*v > 1 || u == 0 && v == 0 {
			continue
		}
		if g.float() < p.RimSpurious {
			// Push the point out onto the rim.
			f := (0.9 + 0.1*g.float()) / math.Sqrt(u*u+v*v)
			u, v = u*f, v*f
		}
		x, y := ccx+u*ca, ccy+v*cb
		dir := g.float() * 2 * math.Pi
		if g.float() < 0.75 {
			if d, ok := nearestDirection(master.Minutiae, ox+x, oy-y); ok {
				dir = d + 15*deg*g.norm()
				if g.pcg.Uint64()&1 == 1 {
					dir += math.Pi
				}
			}
		}
		ix, iy, dir, ok := place(x, y, dir)
		if !ok || tooClose(t.Minutiae, ix, iy, sp2) {
			continue
		}
		typ := fingerprint.Bifurcation
		if g.float() < p.EndingRatio {
			typ = fingerprint.Ending
		}
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{
			X: ix, Y: iy, Direction: dir, Type: typ, Quality: clampQ(float64(master.Quality) + qshift - 20 + 10*g.norm()),
		})
		ns--
	}
}

// nearestDirection returns the direction of the minutia nearest (x, y), image coordinates.
func nearestDirection(ms []fingerprint.Minutia, x, y float64) (float64, bool) {
	best, dir := math.Inf(1), 0.0
	for i := range ms {
		dx, dy := float64(ms[i].X)-x, float64(ms[i].Y)-y
		if d := dx*dx + dy*dy; d < best {
			best, dir = d, ms[i].Direction
		}
	}
	return dir, !math.IsInf(best, 1)
}
