package match

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"sync"

	"github.com/biomesh/biomesh/fingerprint"
)

// Probe is a template prepared as the probe side of many comparisons (1:N): its edges sit in
// a hash table keyed by quantised edge geometry. It embeds its own compact Candidate, so a
// probe can be compared with another probe. A Probe is immutable and safe for concurrent
// use.
type Probe struct {
	Candidate
	m       []minutia
	edges   []edge
	hull    []point
	hullL   []float32 // length of hull edge i → i+1
	offsets []uint32  // CSR: entries of key k are entries[offsets[k]:offsets[k+1]]
	entries []tableEntry
}

// tableEntry is one probe edge in one hash bucket, carrying what the look-up needs to accept
// or reject a gallery edge with integer arithmetic and without fetching the edge itself:
// the accepted length range in whole pixels and the two edge angles in 256ths of a turn.
type tableEntry struct {
	edge       uint16
	dmin, dmax uint8
	a, b       uint8
}

var (
	distBuckets = int(params.maxEdge/params.distBucket) + 2
	angleScale  = float32(params.angleBins) / twoPi
)

func edgeKey(dq, aq, bq int) int {
	return (dq*angleBins+aq)*angleBins + bq
}

func distTol(d float32) float32 {
	return max(params.distTolAbs, params.distTolRel*d)
}

// Prepare makes a probe from a template.
func Prepare(t *fingerprint.Template) *Probe {
	pr := prepare(t)
	p := &Probe{Candidate: pr.candidate(), m: pr.m, edges: pr.edges()}
	for _, i := range pr.hull {
		p.hull = append(p.hull, point{pr.m[i].x, pr.m[i].y})
	}
	p.hullL = hullLengths(p.hull, nil)
	nk := distBuckets * params.angleBins * params.angleBins
	counts := make([]uint32, nk+1)
	p.forEachKey(func(k, _ int) { counts[k+1]++ })
	for k := 1; k <= nk; k++ {
		counts[k] += counts[k-1]
	}
	p.offsets = counts
	p.entries = make([]tableEntry, counts[nk])
	fill := make([]uint32, nk)
	copy(fill, counts[:nk])
	p.forEachKey(func(k, e int) {
		pe := &p.edges[e]
		dt := distTol(pe.d)
		p.entries[fill[k]] = tableEntry{
			edge: uint16(e),
			dmin: uint8(max(0, math.Ceil(float64(pe.d-dt)))),
			dmax: uint8(min(255, math.Floor(float64(pe.d+dt)))),
			a:    pe.qa, b: pe.qb,
		}
		fill[k]++
	})
	return p
}

// forEachKey calls f for every (bucket key, edge) such that a gallery edge falling in that
// bucket may lie within tolerance of the probe edge.
func (p *Probe) forEachKey(f func(key, edge int)) {
	for ei, e := range p.edges {
		dt := distTol(e.d)
		d0 := max(0, int((e.d-dt)/params.distBucket))
		d1 := min(distBuckets-1, int((e.d+dt)/params.distBucket))
		a0 := int(math.Floor(float64((e.a - params.angleTol) * angleScale)))
		a1 := int(math.Floor(float64((e.a + params.angleTol) * angleScale)))
		b0 := int(math.Floor(float64((e.b - params.angleTol) * angleScale)))
		b1 := int(math.Floor(float64((e.b + params.angleTol) * angleScale)))
		n := params.angleBins
		for dq := d0; dq <= d1; dq++ {
			for aq := a0; aq <= a1; aq++ {
				for bq := b0; bq <= b1; bq++ {
					f(edgeKey(dq, ((aq%n)+n)%n, ((bq%n)+n)%n), ei)
				}
			}
		}
	}
}

// scratch is the per-comparison working memory, pooled.
type scratch struct {
	votes []uint16 // probe minutia × candidate minutia
	voted []int32  // cells with a vote, as i*nc+j
	pairs []pairing
	match []int
	hits  []edgeHit

	hough   []uint16 // motion histogram, zero between comparisons
	touched []int32  // its non-zero cells
	near    []bool   // cells next to the current peak, false between uses
	hull    []point  // the probe's hull, moved onto the candidate

	closeness float32
	usedC     []bool

	c cand // the candidate being compared, decoded
}

// cand is a Candidate decoded for one comparison: its minutiae as the comparator's floats
// (the same values as a Probe's minutiae of the same template) and integer pixels, and,
// made on first use by a consolidation, its minutiae's x in ascending order and its hull.
type cand struct {
	v     candView
	m     []cminutia
	ready bool // xs, hull and hullL are made
	xs    []float32
	hull  []point
	hullL []float32
}

type cminutia struct {
	x, y, dir float32 // as minutia
	ix, iy    int32   // pixels, math orientation: X and −Y
}

// decode fills s.c with the candidate c.
func (s *scratch) decode(c *Candidate) *cand {
	d := &s.c
	d.v = c.view()
	v := &d.v
	if cap(d.m) < v.n {
		d.m = make([]cminutia, v.n)
	}
	d.m = d.m[:v.n]
	for i := range d.m {
		X := int16(binary.LittleEndian.Uint16(v.pos[4*i:]))
		Y := int16(binary.LittleEndian.Uint16(v.pos[4*i+2:]))
		var dir float32
		if v.dir16 {
			dir = dir16(binary.LittleEndian.Uint16(v.dir[2*i:]))
		} else {
			dir = math.Float32frombits(binary.LittleEndian.Uint32(v.dir[4*i:]))
		}
		d.m[i] = cminutia{x: float32(X) - v.cx, y: v.cy - float32(Y), dir: dir, ix: int32(X), iy: -int32(Y)}
	}
	d.ready = false
	return d
}

// forConsolidation makes the candidate's sorted x and hull, once per comparison.
func (c *cand) forConsolidation() {
	if c.ready {
		return
	}
	c.ready = true
	c.xs = c.xs[:0]
	for _, i := range c.v.byX {
		c.xs = append(c.xs, c.m[i].x)
	}
	c.hull = c.hull[:0]
	for _, i := range c.v.hull {
		c.hull = append(c.hull, point{c.m[i].x, c.m[i].y})
	}
	c.hullL = hullLengths(c.hull, c.hullL)
}

type pairing struct {
	i, j int
	cost float32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Compare returns the calibrated similarity score of the probe against a candidate:
// −10·log10 of the estimated false match rate at which the pair would still match.
func (p *Probe) Compare(c *Candidate) float64 {
	return calibration.Apply(p.raw(c))
}

// CompareRaw returns the uncalibrated similarity in [0, 1], for fitting the calibration.
func (p *Probe) CompareRaw(c *Candidate) float64 {
	return p.raw(c)
}

// Compare prepares both templates and compares them. For one probe against many templates,
// Prepare the probe once and use Probe.Compare.
func Compare(probe, candidate *fingerprint.Template) float64 {
	return Prepare(probe).Compare(NewCandidate(candidate))
}

func (p *Probe) raw(c *Candidate) float64 {
	np, nc := len(p.m), c.Len()
	if np < 2 || nc < 2 {
		return 0
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	return p.rawWith(s.decode(c), s)
}

func (p *Probe) rawWith(c *cand, s *scratch) float64 {
	np, nc := len(p.m), len(c.m)
	if cap(s.votes) < np*nc {
		s.votes = make([]uint16, np*nc)
	}
	votes := s.votes[:np*nc]
	clear(votes)
	s.voted = s.voted[:0]

	vote := func(i, j int) {
		k := i*nc + j
		if votes[k] == 0 {
			s.voted = append(s.voted, int32(k))
		}
		votes[k]++
	}
	// Pass 1: find agreeing edges. Each implies a rigid motion: the rotation between the two
	// edge vectors (far more precise than minutia directions) and the translation that then
	// carries the probe edge's midpoint onto the candidate's. The motions vote in a coarse
	// (rotation, x, y) histogram; a genuine pair's agreeing edges pile up in one cell and its
	// neighbours.
	s.hits = s.hits[:0]
	if s.hough == nil {
		s.hough = make([]uint16, houghRot*houghT*houghT)
		s.near = make([]bool, houghRot*houghT*houghT)
	}
	s.touched = s.touched[:0]
	// The candidate's edges, grouped by start (to[e] is the end of edge e), with the geometry
	// recomputed as Probe.edges computes it for the probe (see the package documentation).
	g := geom()
	to := c.v.to
	e := 0
	for i := range c.m {
		mi := &c.m[i]
		for end := e + int(c.v.deg[i]); e < end; e++ {
			j := int(to[e])
			mj := &c.m[j]
			dx, dy := mj.ix-mi.ix, mj.iy-mi.iy
			l := g.length[dx*dx+dy*dy]
			raw := g.atan[(dy+maxEdgePx)*atanSide+dx+maxEdgePx]
			a := normAngle(raw - mi.dir)
			b := normAngle(mj.dir - mi.dir)
			key := edgeKey(int(l>>8), angleBin(a), angleBin(b))
			tes := p.entries[p.offsets[key]:p.offsets[key+1]]
			if len(tes) == 0 {
				continue
			}
			qd, qa, qb := uint8(l), quantAngle(a), quantAngle(b)
			v := normAngle(raw)
			mx, my := (mi.x+mj.x)/2, (mi.y+mj.y)/2
			for _, te := range tes {
				if qd < te.dmin || qd > te.dmax || absInt8(int8(qa-te.a)) > angleTolQ || absInt8(int8(qb-te.b)) > angleTolQ {
					continue
				}
				pi := te.edge
				pe := &p.edges[pi]
				rot := v - pe.v
				if rot < 0 {
					rot += twoPi
				}
				sin, cos := sinCos(rot)
				tx := mx - (pe.mx*cos - pe.my*sin)
				ty := my - (pe.mx*sin + pe.my*cos)
				fr := rot * (houghRot / twoPi)
				fx := tx/houghStep + houghT/2
				fy := ty/houghStep + houghT/2
				if fx < 0.5 || fy < 0.5 || fx >= houghT-0.5 || fy >= houghT-0.5 {
					continue
				}
				cell := ((int(fr)%houghRot)*houghT+int(fx))*houghT + int(fy)
				s.hits = append(s.hits, edgeHit{pe: pi, cFrom: uint8(i), cTo: uint8(j), cell: uint16(cell)})
				if s.hough[cell] == 0 {
					s.touched = append(s.touched, int32(cell))
				}
				s.hough[cell]++
			}
		}
	}
	defer func() {
		for _, cell := range s.touched {
			s.hough[cell] = 0
		}
	}()
	if len(s.hits) == 0 {
		return 0
	}
	// Pass 2: for the strongest motions, pairs are voted for by the agreeing edges whose
	// motion falls next to the peak cell; the best-voted pairs seed the consolidation.
	best := 0.0
	finalists := make([]finalist, params.finalists)
	for x := range finalists {
		finalists[x].n = -1
	}
	var peaks []int
	for peak := 0; peak < params.rotPeaks; peak++ {
		pc, pv := -1, uint16(0)
		for _, cell := range s.touched {
			if v := s.hough[cell]; v > pv && !nearAny(peaks, int(cell)) {
				pc, pv = int(cell), v
			}
		}
		if pc < 0 {
			break
		}
		peaks = append(peaks, pc)
		markNear(s.near, pc, true)
		clear(votes)
		s.voted = s.voted[:0]
		for _, h := range s.hits {
			// Hits in the peak cell or next to it.
			if !s.near[h.cell] {
				continue
			}
			pe := &p.edges[h.pe]
			vote(int(pe.from), int(h.cFrom))
			vote(int(pe.to), int(h.cTo))
		}
		markNear(s.near, pc, false)
		for _, k := range topVoted(s.voted, votes, params.seeds) {
			q := p.quickCount(c, int(k)/nc, int(k)%nc, s)
			for x := range finalists {
				if q > finalists[x].n {
					copy(finalists[x+1:], finalists[x:len(finalists)-1])
					finalists[x] = finalist{int32(k), q}
					break
				}
			}
		}
	}
	// The best seeds by the quick count get the full consolidation; a later finalist only
	// when its quick count comes within finalistRatio of the first's. When even the best seed
	// gathers fewer than minQuick agreeing voted pairs the comparison is an impostor for any
	// practical threshold, and the consolidation is skipped.
	if finalists[0].n < params.minQuick {
		return 0
	}
	for x, f := range finalists {
		if f.n < 0 || (x > 0 && float32(f.n) < params.finalistRatio*float32(finalists[0].n)) {
			break
		}
		if sc := p.consolidate(c, int(f.k)/nc, int(f.k)%nc, s); sc > best {
			best = sc
		}
	}
	return best
}

type finalist struct {
	k int32
	n int
}

// quickCount aligns by the seed pair (i0, j0) and counts the voted pairs (in s.voted) that
// agree with the alignment, one-to-one in the order they were voted. It ranks seeds cheaply.
func (p *Probe) quickCount(c *cand, i0, j0 int, s *scratch) int {
	ps, cs := p.m[i0], c.m[j0]
	t := newTransform(cs.dir-ps.dir, ps.x, ps.y, cs.x, cs.y)
	nc := len(c.m)
	s.usedC = resetBools(s.usedC, nc)
	s.match = resetInts(s.match, len(p.m))
	n := 0
	for _, k := range s.voted {
		i, j := int(k)/nc, int(k)%nc
		if s.match[i] >= 0 || s.usedC[j] {
			continue
		}
		pm, cm := &p.m[i], &c.m[j]
		q := t.apply(pm.x, pm.y)
		dx, dy := q.x-cm.x, q.y-cm.y
		ex, ey := pm.x-t.cx, pm.y-t.cy
		tol := params.pairTolAbs + params.pairTolRel*float32(math.Sqrt(float64(ex*ex+ey*ey)))
		if dx*dx+dy*dy > tol*tol || angleDiff(pm.dir+t.rot, cm.dir) > params.pairAngle {
			continue
		}
		s.match[i], s.usedC[j] = j, true
		n++
	}
	return n
}

// The motion histogram: rotation in houghRot bins, translation in houghT × houghT bins of
// houghStep pixels centred on zero (coordinates are centred on each template's centroid, so
// translations stay small).
const (
	houghRot  = 24
	houghT    = 32
	houghStep = 24
)

type edgeHit struct {
	pe         uint16 // probe edge
	cFrom, cTo uint8  // the candidate edge's minutiae
	cell       uint16 // motion histogram cell
}

// markNear sets the cells within one bin of cell (rotation cyclic) to v.
func markNear(near []bool, cell int, v bool) {
	r, x, y := cell/(houghT*houghT), cell/houghT%houghT, cell%houghT
	for dr := -1; dr <= 1; dr++ {
		rr := (r + dr + houghRot) % houghRot
		for xx := max(0, x-1); xx <= min(houghT-1, x+1); xx++ {
			for yy := max(0, y-1); yy <= min(houghT-1, y+1); yy++ {
				near[(rr*houghT+xx)*houghT+yy] = v
			}
		}
	}
}

// nearAny reports whether a histogram cell is within one bin (rotation cyclic) of any peak.
func nearAny(peaks []int, cell int) bool {
	r, x, y := cell/(houghT*houghT), cell/houghT%houghT, cell%houghT
	for _, p := range peaks {
		pr, px, py := p/(houghT*houghT), p/houghT%houghT, p%houghT
		dr := (r - pr + houghRot) % houghRot
		if (dr <= 1 || dr >= houghRot-1) && x-px <= 1 && px-x <= 1 && y-py <= 1 && py-y <= 1 {
			return true
		}
	}
	return false
}

var sinCosTable = func() (t [1024][2]float32) {
	for i := range t {
		a := float64(i) * 2 * math.Pi / 1024
		t[i] = [2]float32{float32(math.Sin(a)), float32(math.Cos(a))}
	}
	return
}()

// sinCos returns sin and cos of an angle in [0, 2π) to within 0.4°.
func sinCos(a float32) (float32, float32) {
	v := sinCosTable[int(a*(1024/twoPi)+0.5)&1023]
	return v[0], v[1]
}

// angleTolQ is params.angleTol in 256ths of a turn.
var angleTolQ = int8(params.angleTol * 256 / twoPi)

func absInt8(v int8) int8 {
	if v < 0 {
		return -v
	}
	return v
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// topVoted returns up to n cells with the most votes.
func topVoted(voted []int32, votes []uint16, n int) []int32 {
	top := make([]int32, 0, n)
	for _, k := range voted {
		v := votes[k]
		if len(top) < n {
			top = append(top, k)
		} else if v > votes[top[n-1]] {
			top[n-1] = k
		} else {
			continue
		}
		for x := len(top) - 1; x > 0 && votes[top[x]] > votes[top[x-1]]; x-- {
			top[x], top[x-1] = top[x-1], top[x]
		}
	}
	return top
}

// transform is a rigid motion: rotate by (cos, sin) about the origin, then translate.
type transform struct {
	rot      float32
	cos, sin float32
	tx, ty   float32
	cx, cy   float32 // centre of the aligned region in probe coordinates (tolerance grows away from it)
}

func newTransform(rot float32, px, py, qx, qy float32) transform {
	t := transform{rot: rot, cos: float32(math.Cos(float64(rot))), sin: float32(math.Sin(float64(rot))), cx: px, cy: py}
	t.tx = qx - (px*t.cos - py*t.sin)
	t.ty = qy - (px*t.sin + py*t.cos)
	return t
}

func (t *transform) apply(x, y float32) point {
	return point{x*t.cos - y*t.sin + t.tx, x*t.sin + y*t.cos + t.ty}
}

// consolidate aligns the probe on the candidate by the seed pair (i0, j0), pairs minutiae
// one-to-one under that alignment, then refits the alignment on the pairs (least squares)
// and pairs again, up to params.refits times, and returns the raw score of the final pairing.
func (p *Probe) consolidate(c *cand, i0, j0 int, s *scratch) float64 {
	c.forConsolidation()
	ps, cs := p.m[i0], c.m[j0]
	t := newTransform(cs.dir-ps.dir, ps.x, ps.y, cs.x, cs.y)
	// The voted pairs that agree with the seed (quickCount) are enough to refit on.
	n := p.pair(c, &t, s)
	for iter := 0; iter < params.refits && n >= 3; iter++ {
		// Refit rotation and translation on the pairs found (Procrustes).
		var mpx, mpy, mcx, mcy float32
		for i, j := range s.match {
			if j >= 0 {
				mpx += p.m[i].x
				mpy += p.m[i].y
				mcx += c.m[j].x
				mcy += c.m[j].y
			}
		}
		fn := float32(n)
		mpx, mpy, mcx, mcy = mpx/fn, mpy/fn, mcx/fn, mcy/fn
		var sxy, sxx float32
		for i, j := range s.match {
			if j >= 0 {
				ax, ay := p.m[i].x-mpx, p.m[i].y-mpy
				bx, by := c.m[j].x-mcx, c.m[j].y-mcy
				sxx += ax*bx + ay*by
				sxy += ax*by - ay*bx
			}
		}
		rot := atan2(sxy, sxx)
		if angleDiff(normAngle(rot), normAngle(t.rot)) >= 0.35 {
			break
		}
		next := newTransform(rot, mpx, mpy, mcx, mcy)
		if iter > 0 && abs32(next.rot-t.rot) < 0.003 && abs32(next.tx-t.tx) < 0.5 && abs32(next.ty-t.ty) < 0.5 {
			break // converged: pairing again would give the same pairs
		}
		t = next
		n = p.pair(c, &t, s)
	}
	// Minutiae in the common area: probe minutiae that land inside the candidate's hull and
	// candidate minutiae that land inside the probe's (transformed) hull.
	inC := 0
	for i := range p.m {
		if insideHull(c.hull, c.hullL, t.apply(p.m[i].x, p.m[i].y), params.hullMargin) {
			inC++
		}
	}
	hp := append(s.hull[:0], p.hull...)
	s.hull = hp
	for i, h := range p.hull {
		hp[i] = t.apply(h.x, h.y)
	}
	inP := 0
	for j := range c.m {
		if insideHull(hp, p.hullL, point{c.m[j].x, c.m[j].y}, params.hullMargin) {
			inP++
		}
	}
	return scoreOf(features{n: n, inC: inC, inP: inP, closeness: s.closeness})
}

// pair pairs probe and candidate minutiae one-to-one under t, cheapest first, and returns
// the number of pairs; s.match[i] is the candidate minutia paired with probe minutia i, or -1.
func (p *Probe) pair(c *cand, t *transform, s *scratch) int {
	s.pairs = s.pairs[:0]
	for i := range p.m {
		q := t.apply(p.m[i].x, p.m[i].y)
		ex, ey := p.m[i].x-t.cx, p.m[i].y-t.cy
		dc := float32(math.Sqrt(float64(ex*ex + ey*ey)))
		tol := params.pairTolAbs + params.pairTolRel*dc
		dir := p.m[i].dir + t.rot
		// Candidate minutiae sorted by x: visit only those within tol of q.x.
		lo, hi := 0, len(c.xs)
		for lo < hi {
			mid := (lo + hi) / 2
			if c.xs[mid] < q.x-tol {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		for k := lo; k < len(c.xs) && c.xs[k] <= q.x+tol; k++ {
			j := int(c.v.byX[k])
			dx, dy := q.x-c.m[j].x, q.y-c.m[j].y
			if abs32(dy) > tol {
				continue
			}
			d := float32(math.Sqrt(float64(dx*dx + dy*dy)))
			if d > tol {
				continue
			}
			da := angleDiff(dir, c.m[j].dir)
			if da > params.pairAngle {
				continue
			}
			s.pairs = append(s.pairs, pairing{i, j, d/tol + da/params.pairAngle})
		}
	}
	slices.SortFunc(s.pairs, func(a, b pairing) int { return cmp.Compare(a.cost, b.cost) })
	s.match = resetInts(s.match, len(p.m))
	s.usedC = resetBools(s.usedC, len(c.m))
	s.closeness = 0
	n := 0
	for _, pr := range s.pairs {
		if s.match[pr.i] >= 0 || s.usedC[pr.j] {
			continue
		}
		s.match[pr.i], s.usedC[pr.j] = pr.j, true
		s.closeness += 1 - pr.cost/2
		n++
	}
	return n
}

func resetInts(b []int, n int) []int {
	if cap(b) < n {
		b = make([]int, n)
	}
	b = b[:n]
	for i := range b {
		b[i] = -1
	}
	return b
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// features describe a consolidated pairing.
type features struct {
	n         int     // pairs
	inC, inP  int     // probe minutiae inside the candidate's area, and the converse
	closeness float32 // sum over pairs of 1 − (normalised position + direction error)/2
}

// scoreOf turns a pairing into a raw score in [0, 1]. Each pair counts by its closeness
// (a pair at the edge of the tolerance counts 0, a perfect one 1), because chance pairs are
// spread evenly over the tolerance while true ones cluster near zero error. The count is
// normalised by the minutiae in the common area on both sides (at least scoreFloor each, so
// a tiny overlap with two lucky pairs cannot score high), and scaled down while the
// evidence is small (below scoreFullAt pairs' worth).
func scoreOf(f features) float64 {
	c := float64(f.closeness)
	ratio := c * c / (float64(max(f.inC, scoreFloor, f.n)) * float64(max(f.inP, scoreFloor, f.n)))
	return ratio * min(1, c/scoreFullAt)
}

const (
	scoreFloor  = 8
	scoreFullAt = 12
)
