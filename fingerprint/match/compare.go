package match

import (
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
	pmot    []pmotion // per edge, what its motions need
	offsets []uint16  // CSR: entries of key k are entries[offsets[k]:offsets[k+1]] (at most maxEntries)
	entries []tableEntry
}

// tableEntry is one probe edge in one hash bucket, carrying what the look-up needs to accept
// or reject a gallery edge without fetching the edge itself. A gallery edge agrees when its
// length in whole pixels qd is within dmin…dmin+drange and its two angles qa, qb (256ths of
// a turn) are within angleTolQ of the probe edge's, which is one test on three 10-bit
// lanes of a uint32 (lane k at bit 10k): with q = qd | qa<<10 | qb<<20 and add holding
// 256 − dmin, 256 − (a − angleTolQ) and 256 − (b − angleTolQ) (angles modulo 256), the
// low bytes of the lanes of q+add are the offsets from the range starts, modulo 256, and
// bit 8 of each lane of laneLimits+drange − those offsets is set exactly when an offset is
// within its range (drange, 2·angleTolQ, 2·angleTolQ). No lane carries or borrows from the
// next: its values stay within 1…511. The angles of an edge and of the entries of its bucket
// differ by less than 0.6 rad, so an angle difference modulo 256 is the signed difference.
// lim holds laneLimits+drange, and edge is the probe edge's index as a uint32, so that the
// look-up's inner loop is loads, integer arithmetic and one store.
type tableEntry struct {
	add  uint32
	lim  uint32
	edge uint32
}

const (
	laneLow    = 0xff | 0xff<<10 | 0xff<<20
	laneSign   = 1<<8 | 1<<18 | 1<<28
	laneLimits = 256 | (256+2*angleTolQ)<<10 | (256+2*angleTolQ)<<20
)

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
	p.pmot = make([]pmotion, len(p.edges))
	for i, e := range p.edges {
		p.pmot[i] = pmotion{e.v, e.mx, e.my}
	}
	nk := distBuckets * params.angleBins * params.angleBins
	counts := make([]uint16, nk+1)
	p.forEachKey(func(k, _ int) { counts[k+1]++ })
	for k := 1; k <= nk; k++ {
		counts[k] += counts[k-1]
	}
	p.offsets = counts
	p.entries = make([]tableEntry, counts[nk])
	fill := make([]uint16, nk)
	copy(fill, counts[:nk])
	p.forEachKey(func(k, e int) {
		pe := &p.edges[e]
		dt := distTol(pe.d)
		dmin := uint8(max(0, math.Ceil(float64(pe.d-dt))))
		dmax := uint8(min(255, math.Floor(float64(pe.d+dt))))
		a, b := pe.qa-uint8(angleTolQ), pe.qb-uint8(angleTolQ)
		p.entries[fill[k]] = tableEntry{
			add:  uint32(256-int(dmin)) | uint32(256-int(a))<<10 | uint32(256-int(b))<<20,
			lim:  laneLimits + uint32(dmax-dmin),
			edge: uint32(e),
		}
		fill[k]++
	})
	return p
}

// maxEntries bounds a probe's table entries: every edge of every minutia in every bucket
// its tolerances reach (TestParams checks that it fits the uint16 offsets, which keeps the
// offset table small in the caches during the look-ups).
var maxEntries = params.maxMinutiae * params.neighbours *
	(int(2*distTol(params.maxEdge)/params.distBucket) + 2) *
	(int(2*params.angleTol*angleScale) + 2) * (int(2*params.angleTol*angleScale) + 2)

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
	votes  []uint16   // per peak, probe minutia × candidate minutia
	voted  [][]int32  // per peak, the cells with a vote, as i*nc+j, in the order first voted
	pairsV [][]uint16 // the same cells as i<<8 | j
	pairs  []uint64   // pairing keys
	moved  []moved
	match  []int
	hits   []edgeHit

	hough    []uint16 // motion histogram, zero between comparisons
	maxCount uint16   // its largest count
	touched  []uint16 // the non-zero cells of hough, in the order first hit
	agree    []agreement
	cedges   []cedge
	near     []uint8 // bit x: the cells next to peak x; zero between uses
	hull     []point // the probe's hull, moved onto the candidate
	hullT    hullTest

	closeness float32
	usedC     []bool

	c cand // the candidate being compared, decoded
}

// cand is a Candidate decoded for one comparison: its minutiae as the comparator's floats
// (the same values as a Probe's minutiae of the same template) and integer pixels, and,
// made on first use by a consolidation, its minutiae in ascending x, a grid over them, and
// its hull.
type cand struct {
	v     candView
	m     []cminutia
	ready bool      // sx, grid, hull and hullL are made
	sx    []sortedX // the minutiae in ascending x (v.byX)
	grid  grid
	hull  []point
	hullL []float32
	hullT hullTest
}

// sortedX is a candidate minutia in the order by x.
type sortedX struct {
	x, y, dir float32
	j         int32 // index in cand.m
}

// grid buckets a candidate's minutiae by position for the pairing: row-major square cells
// of side 1/inv from (ox, oy), the minimum x and y. Invariants: the minutiae of cell
// (cx, cy) are items[off[cy·w+cx]:off[cy·w+cx+1]], as indices in sx, ascending; a cell
// holds the minutiae with int((x−ox)·inv) = cx and int((y−oy)·inv) = cy, so the cells of a
// row, in order, hold ascending indices in sx.
type grid struct {
	ox, oy, inv float32
	w, h        int
	off         []uint8
	items       []uint8
	cell        []int32 // scratch: the cell of each minutia
}

// gridCell is the smallest grid cell side, px: about the pairing tolerance.
const gridCell = 20

func (g *grid) build(sx []sortedX) {
	if len(sx) == 0 {
		g.w, g.h = 0, 0
		return
	}
	minX, maxX := sx[0].x, sx[len(sx)-1].x
	minY, maxY := sx[0].y, sx[0].y
	for _, m := range sx {
		minY, maxY = min(minY, m.y), max(maxY, m.y)
	}
	// At most 64 × 64 cells, however spread the minutiae.
	side := max(gridCell, (maxX-minX)/64, (maxY-minY)/64)
	g.ox, g.oy, g.inv = minX, minY, 1/side
	g.w, g.h = int((maxX-minX)*g.inv)+1, int((maxY-minY)*g.inv)+1
	n := g.w * g.h
	if cap(g.off) < n+1 {
		g.off = make([]uint8, n+1)
	}
	g.off = g.off[:n+1]
	clear(g.off)
	g.cell = g.cell[:0]
	for _, m := range sx {
		cx, cy := min(int((m.x-g.ox)*g.inv), g.w-1), min(int((m.y-g.oy)*g.inv), g.h-1)
		c := int32(cy*g.w + cx)
		g.cell = append(g.cell, c)
		g.off[c+1]++
	}
	for i := 1; i <= n; i++ {
		g.off[i] += g.off[i-1]
	}
	if cap(g.items) < len(sx) {
		g.items = make([]uint8, len(sx))
	}
	g.items = g.items[:len(sx)]
	// Fill each cell from its end, taking the minutiae in descending order.
	for k := len(sx) - 1; k >= 0; k-- {
		c := g.cell[k] + 1
		g.off[c]--
		g.items[g.off[c]] = uint8(k)
	}
	// off[c+1] now holds the start of cell c; shift back.
	copy(g.off, g.off[1:])
	g.off[n] = uint8(len(sx))
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
	c.sx = c.sx[:0]
	for _, i := range c.v.byX {
		m := &c.m[i]
		c.sx = append(c.sx, sortedX{m.x, m.y, m.dir, int32(i)})
	}
	c.grid.build(c.sx)
	c.hull = c.hull[:0]
	for _, i := range c.v.hull {
		c.hull = append(c.hull, point{c.m[i].x, c.m[i].y})
	}
	c.hullL = hullLengths(c.hull, c.hullL)
	c.hullT.set(c.hull, c.hullL, params.hullMargin)
}

// moved is a probe minutia moved onto the candidate by the alignment being paired.
type moved struct {
	x, y, tol, dir float32
}

// pairKey packs a candidate pair of the consolidation into one sortable number: the bits
// of its cost (a non-negative float32, whose bits order as the numbers do), then the probe
// and candidate minutiae (each < 256). Sorting the keys orders the pairs cheapest first,
// ties by (i, j), whatever the order they were found in.
func pairKey(cost float32, i, j int) uint64 {
	return uint64(math.Float32bits(cost))<<16 | uint64(i)<<8 | uint64(j)
}

func pairOf(k uint64) (cost float32, i, j int) {
	return math.Float32frombits(uint32(k >> 16)), int(k >> 8 & 0xff), int(k & 0xff)
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
	// Pass 1: find agreeing edges. Each implies a rigid motion: the rotation between the two
	// edge vectors (far more precise than minutia directions) and the translation that then
	// carries the probe edge's midpoint onto the candidate's. The motions vote in a coarse
	// (rotation, x, y) histogram; a genuine pair's agreeing edges pile up in one cell and its
	// neighbours.
	s.hits = s.hits[:0]
	if s.hough == nil {
		s.hough = make([]uint16, houghRot*houghT*houghT)
		s.near = make([]uint8, houghRot*houghT*houghT)
	}
	p.agreements(c, s)
	p.motions(s)
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
	// The peaks: the first of the best cells in the order they were first hit, then the
	// same among the cells not next to an earlier peak.
	var peakBuf [4]int
	peaks := peakBuf[:0]
	for range params.rotPeaks {
		pc := -1
		if len(peaks) == 0 {
			for _, cell := range s.touched {
				if s.hough[cell] == s.maxCount {
					pc = int(cell)
					break
				}
			}
		} else {
			pv := uint16(0)
			for _, cell := range s.touched {
				if v := s.hough[cell]; v > pv && !nearAny(peaks, int(cell)) {
					pc, pv = int(cell), v
				}
			}
		}
		if pc < 0 {
			break
		}
		peaks = append(peaks, pc)
	}
	// Votes of the hits next to each peak (in s.near, bit x for peak x), in one pass.
	for x, pc := range peaks {
		markNear(s.near, pc, 1<<x, true)
	}
	if cap(s.votes) < len(peaks)*np*nc {
		s.votes = make([]uint16, len(peaks)*np*nc)
	}
	votes := s.votes[:len(peaks)*np*nc]
	clear(votes)
	for len(s.voted) < len(peaks) {
		s.voted = append(s.voted, nil)
		s.pairsV = append(s.pairsV, nil)
	}
	for x := range peaks {
		s.voted[x], s.pairsV[x] = s.voted[x][:0], s.pairsV[x][:0]
	}
	vote := func(x, i, j int) {
		k := i*nc + j
		if votes[x*np*nc+k] == 0 {
			s.voted[x] = append(s.voted[x], int32(k))
			s.pairsV[x] = append(s.pairsV[x], uint16(i<<8|j))
		}
		votes[x*np*nc+k]++
	}
	for _, h := range s.hits {
		bits := s.near[h.cell()]
		if bits == 0 {
			continue
		}
		pe := &p.edges[h.pe()]
		for x := range peaks {
			if bits&(1<<x) != 0 {
				vote(x, int(pe.from), h.cFrom())
				vote(x, int(pe.to), h.cTo())
			}
		}
	}
	for x, pc := range peaks {
		markNear(s.near, pc, 1<<x, false)
	}
	var topBuf [8]int32
	for x := range peaks {
		for _, k := range topVoted(s.voted[x], votes[x*np*nc:(x+1)*np*nc], params.seeds, topBuf[:0]) {
			q := p.quickCount(c, int(k)/nc, int(k)%nc, s.pairsV[x], s)
			for y := range finalists {
				if q > finalists[y].n {
					copy(finalists[y+1:], finalists[y:len(finalists)-1])
					finalists[y] = finalist{int32(k), q}
					break
				}
			}
		}
	}
	// The best seeds by the quick count get the full consolidation; a later finalist only
	// when its quick count comes within finalistRatio of the first's. When even the best seed
	// gathers fewer than minQuick agreeing voted pairs the comparison is an impostor for any
	// practical threshold, and the consolidation is skipped. Chance agreements grow with the
	// number of minutia pairs, so large templates (np·nc ≥ largePairs, about 35 minutiae
	// each) need one more.
	if finalists[0].n < params.minQuick+b2i(np*nc >= params.largePairs) {
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

// agreements lists in s.agree the (probe edge, candidate edge) pairs that agree, in the
// order of the candidate's edges and, for each, of its bucket's entries; s.cedges holds what
// their motions need of the candidate edges. The candidate's edges are grouped by start
// (to[e] is the end of edge e); their geometry is recomputed as Probe.edges computes the
// probe's (see the package documentation).
func (p *Probe) agreements(c *cand, s *scratch) {
	g := geom()
	to, deg := c.v.to, c.v.deg
	if cap(s.cedges) < len(to) {
		s.cedges = make([]cedge, len(to))
	}
	cedges := s.cedges[:len(to)]
	agree := s.agree[:cap(s.agree)]
	entries, offsets := p.entries, p.offsets
	na, e := 0, 0
	for i := range c.m {
		mi := &c.m[i]
		for end := e + int(deg[i]); e < end; e++ {
			j := int(to[e])
			mj := &c.m[j]
			dx, dy := mj.ix-mi.ix, mj.iy-mi.iy
			l := g.length[dx*dx+dy*dy]
			raw := g.angle(int(dx), int(dy))
			a := normAngle(raw - mi.dir)
			b := normAngle(mj.dir - mi.dir)
			key := edgeKey(int(l>>8), angleBin(a), angleBin(b))
			tes := entries[offsets[key]:offsets[key+1]]
			if len(tes) == 0 {
				continue
			}
			cedges[e] = cedge{v: normAngle(raw), mx: (mi.x + mj.x) / 2, my: (mi.y + mj.y) / 2, ends: uint32(i) | uint32(j)<<8}
			if na+len(tes) > len(agree) {
				agree = append(agree[:na], make([]agreement, na+len(tes))...)
				agree = agree[:cap(agree)]
			}
			q := uint32(uint8(l)) | uint32(quantAngle(a))<<10 | uint32(quantAngle(b))<<20
			ce := agreement(e) << 16
			for _, te := range tes {
				agree[na] = agreement(te.edge) | ce
				na += b2i((te.lim-(q+te.add)&laneLow)&laneSign == laneSign)
			}
		}
	}
	s.agree = agree[:na]
}

// motions computes the motion of each agreement, keeps in s.hits those that fall in the
// histogram, in order, and counts them in s.hough.
func (p *Probe) motions(s *scratch) {
	if cap(s.hits) < len(s.agree) {
		s.hits = make([]edgeHit, len(s.agree))
	}
	nh := motionHits(s.agree, s.cedges, p.pmot, s.hits[:len(s.agree)])
	hits := s.hits[:nh]
	hough := s.hough
	if cap(s.touched) < nh {
		s.touched = make([]uint16, nh)
	}
	touched := s.touched[:nh]
	m, nt := uint16(0), 0
	for _, h := range hits {
		hough[h.cell()]++
		v := hough[h.cell()]
		m = max(m, v)
		touched[nt] = uint16(h.cell())
		nt += b2i(v == 1)
	}
	s.maxCount = m
	s.touched = touched[:nt]
	s.hits = hits
}

// motionsGo is motionHits in Go: it writes to hits, in order, the agreements whose motion
// falls in the histogram, and returns their number.
func motionsGo(agree []agreement, cedges []cedge, pedges []pmotion, hits []edgeHit) int {
	hits = hits[:len(agree)]
	nh := 0
	for _, ag := range agree {
		ce := &cedges[ag>>16]
		pe := &pedges[ag&0xffff]
		rot := addTurnIfNegative(ce.v - pe.v)
		sin, cos := sinCos(rot)
		tx := ce.mx - (pe.mx*cos - pe.my*sin)
		ty := ce.my - (pe.mx*sin + pe.my*cos)
		fr := rot * (houghRot / twoPi)
		fx := tx/houghStep + houghT/2
		fy := ty/houghStep + houghT/2
		cell := rotCell[int(fr)&31] + int(fx)*houghT + int(fy) // int(fr) is in [0, houghRot]
		hits[nh] = edgeHit(ag&0xffff) | edgeHit(ce.ends)<<16 | edgeHit(cell)<<32
		// fx ∈ [0.5, houghT−0.5) exactly when fx−0.5, which float32 computes exactly
		// there, is a non-negative number below houghT−1: as bits, an unsigned comparison
		// (a negative number, NaN or infinity compares above). The same for fy.
		nh += b2i(math.Float32bits(fx-0.5) < houghLast) & b2i(math.Float32bits(fy-0.5) < houghLast)
	}
	return nh
}

// quickCount aligns by the seed pair (i0, j0) and counts the voted pairs (i<<8 | j) that
// agree with the alignment, one-to-one in the order they were voted. It ranks seeds cheaply.
func (p *Probe) quickCount(c *cand, i0, j0 int, voted []uint16, s *scratch) int {
	ps, cs := p.m[i0], c.m[j0]
	t := newTransform(cs.dir-ps.dir, ps.x, ps.y, cs.x, cs.y)
	nc := len(c.m)
	s.usedC = resetBools(s.usedC, nc)
	s.match = resetInts(s.match, len(p.m))
	n := 0
	for _, ij := range voted {
		i, j := int(ij>>8), int(ij&0xff)
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

// houghLast is math.Float32bits(houghT − 1) (motions; TestParams checks it).
const houghLast = 0x41f80000

// rotCell is the first histogram cell of each rotation bin int(rot·houghRot/2π), 0…houghRot
// for a rotation in [0, 2π]: rotation houghRot is bin 0 again. Its length, a power of two,
// lets motions index it with a mask instead of a bounds check.
var rotCell = func() (t [32]int) {
	for r := range houghRot + 1 {
		t[r] = r % houghRot * houghT * houghT
	}
	return
}()

// addTurnIfNegative returns a+2π if a < 0, else a, without a branch (a is never −0).
func addTurnIfNegative(a float32) float32 {
	b, c := math.Float32bits(a), math.Float32bits(a+twoPi)
	neg := uint32(int32(b) >> 31)
	return math.Float32frombits(b&^neg | c&neg)
}

// agreement is a probe edge (low 16 bits) and a candidate edge (high 16 bits) that agree.
type agreement uint32

// pmotion is what the motion of an agreement needs of the probe edge.
type pmotion struct {
	v, mx, my float32
}

// cedge is what the motion of an agreement needs of the candidate edge.
type cedge struct {
	v, mx, my float32
	ends      uint32 // its minutiae: from | to<<8
}

// edgeHit is an agreement whose motion falls in the histogram, packed so that it is made
// with one store: the probe edge (bits 0–15), the candidate edge's minutiae (from, bits
// 16–23; to, 24–31) and the motion histogram cell (32–47).
type edgeHit uint64

func (h edgeHit) pe() int    { return int(h & 0xffff) }
func (h edgeHit) cFrom() int { return int(h >> 16 & 0xff) }
func (h edgeHit) cTo() int   { return int(h >> 24 & 0xff) }
func (h edgeHit) cell() int  { return int(h >> 32 & 0xffff) }

// markNear sets (v) or clears bit in the cells within one bin of cell (rotation cyclic).
func markNear(near []uint8, cell int, bit uint8, v bool) {
	r, x, y := cell/(houghT*houghT), cell/houghT%houghT, cell%houghT
	for dr := -1; dr <= 1; dr++ {
		rr := (r + dr + houghRot) % houghRot
		for xx := max(0, x-1); xx <= min(houghT-1, x+1); xx++ {
			for yy := max(0, y-1); yy <= min(houghT-1, y+1); yy++ {
				if v {
					near[(rr*houghT+xx)*houghT+yy] |= bit
				} else {
					near[(rr*houghT+xx)*houghT+yy] &^= bit
				}
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

// sinCosTable holds sin and cos of i/1024 turn, as a pair of float32 per i.
var sinCosTable = func() (t [1024]sc) {
	for i := range t {
		a := float64(i) * 2 * math.Pi / 1024
		t[i] = sc{float32(math.Sin(a)), float32(math.Cos(a))}
	}
	return
}()

type sc struct{ sin, cos float32 }

// sinCos returns sin and cos of an angle in [0, 2π) to within 0.4°.
func sinCos(a float32) (float32, float32) {
	v := &sinCosTable[int(a*(1024/twoPi)+0.5)&1023]
	return v.sin, v.cos
}

// angleTolQ is params.angleTol in 256ths of a turn, rounded down (TestParams checks it).
const angleTolQ = 10

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// topVoted returns up to n cells with the most votes, in top's storage.
func topVoted(voted []int32, votes []uint16, n int, top []int32) []int32 {
	top = top[:0]
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
		if c.hullT.inside(t.apply(p.m[i].x, p.m[i].y)) {
			inC++
		}
	}
	hp := append(s.hull[:0], p.hull...)
	s.hull = hp
	for i, h := range p.hull {
		hp[i] = t.apply(h.x, h.y)
	}
	s.hullT.set(hp, p.hullL, params.hullMargin)
	inP := 0
	for j := range c.m {
		if s.hullT.inside(point{c.m[j].x, c.m[j].y}) {
			inP++
		}
	}
	return scoreOf(features{n: n, inC: inC, inP: inP, closeness: s.closeness})
}

// pair pairs probe and candidate minutiae one-to-one under t, cheapest first, and returns
// the number of pairs; s.match[i] is the candidate minutia paired with probe minutia i, or -1.
func (p *Probe) pair(c *cand, t *transform, s *scratch) int {
	s.pairs = s.pairs[:0]
	// The probe minutiae moved onto the candidate, with their tolerances.
	if cap(s.moved) < len(p.m) {
		s.moved = make([]moved, len(p.m))
	}
	mv := s.moved[:len(p.m)]
	for i := range p.m {
		m := &p.m[i]
		q := t.apply(m.x, m.y)
		ex, ey := m.x-t.cx, m.y-t.cy
		dc := float32(math.Sqrt(float64(ex*ex + ey*ey)))
		tol := params.pairTolAbs + params.pairTolRel*dc
		mv[i] = moved{x: q.x, y: q.y, tol: tol, dir: m.dir + t.rot}
	}
	// Candidate minutiae within tol of each, from the grid cells that can hold them (1 px of
	// margin in y absorbs rounding).
	g := &c.grid
	for i := range mv {
		q := &mv[i]
		x0, x1 := q.x-q.tol, q.x+q.tol
		cx0, cx1 := max(0, int((x0-g.ox)*g.inv)), min(g.w-1, int((x1-g.ox)*g.inv))
		cy0, cy1 := max(0, int((q.y-q.tol-1-g.oy)*g.inv)), min(g.h-1, int((q.y+q.tol+1-g.oy)*g.inv))
		if x1 < g.ox || cx0 > cx1 || cy0 > cy1 || q.y+q.tol+1 < g.oy {
			continue
		}
		for cy := cy0; cy <= cy1; cy++ {
			row := cy * g.w
			for _, k := range g.items[g.off[row+cx0]:g.off[row+cx1+1]] {
				cm := &c.sx[k]
				if cm.x < x0 || cm.x > x1 {
					continue
				}
				dx, dy := q.x-cm.x, q.y-cm.y
				if abs32(dy) > q.tol {
					continue
				}
				d := float32(math.Sqrt(float64(dx*dx + dy*dy)))
				if d > q.tol {
					continue
				}
				da := angleDiff(q.dir, cm.dir)
				if da > params.pairAngle {
					continue
				}
				s.pairs = append(s.pairs, pairKey(d/q.tol+da/params.pairAngle, i, int(cm.j)))
			}
		}
	}
	slices.Sort(s.pairs)
	s.match = resetInts(s.match, len(p.m))
	s.usedC = resetBools(s.usedC, len(c.m))
	s.closeness = 0
	n := 0
	for _, k := range s.pairs {
		cost, i, j := pairOf(k)
		if s.match[i] >= 0 || s.usedC[j] {
			continue
		}
		s.match[i], s.usedC[j] = j, true
		s.closeness += 1 - cost/2
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
