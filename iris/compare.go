package iris

import (
	"math"
	"math/bits"
	"runtime"
	"sort"
	"sync"
)

// MaxShift is the largest angular shift, in code positions (2.8° each with 128 positions),
// over which the Hamming distance is minimised: ±8 positions, ±22.5°, cover head tilt and
// eye torsion.
const MaxShift = 8

const nShifts = 2*MaxShift + 1

// codeWordsFixed is the code length in 64-bit words, fixed so that the comparison loop
// runs without bounds checks.
const codeWordsFixed = 32

// Probe is a template prepared for many comparisons: its code and mask rotated once for
// every shift, so that a comparison is XOR, AND and popcount over 64-bit words. A Probe is
// safe for concurrent use.
type Probe struct {
	t          *Template
	words      int
	code, mask []uint64 // shift s (0 … 2·MaxShift, for −MaxShift … +MaxShift) at [s·words, (s+1)·words)
	nTypical   float64
	minBits    int
}

// Prepare returns the prepared probe of t.
func Prepare(t *Template) *Probe {
	p := &defaultParams
	w := len(t.Code)
	pr := &Probe{t: t, words: w, code: make([]uint64, nShifts*w), mask: make([]uint64, nShifts*w),
		nTypical: p.nTypical, minBits: p.minCompared}
	for s := range nShifts {
		rotate(pr.code[s*w:(s+1)*w], t.Code, t.Rows, t.Cols, s-MaxShift)
		rotate(pr.mask[s*w:(s+1)*w], t.Mask, t.Rows, t.Cols, s-MaxShift)
	}
	return pr
}

// rotate writes into dst the code src turned by shift angular positions: position q of dst
// is position q − shift (mod cols) of src, in every band.
func rotate(dst, src []uint64, rows, cols, shift int) {
	n := 2 * cols // bits per band
	wpb := n / 64
	off := ((2*shift)%n + n) % n
	for b := range rows {
		s, d := src[b*wpb:(b+1)*wpb], dst[b*wpb:(b+1)*wpb]
		clear(d)
		for i := range n {
			if s[i/64]>>(i%64)&1 == 1 {
				j := (i + off) % n
				d[j/64] |= 1 << (j % 64)
			}
		}
	}
}

// Result is the outcome of one comparison.
type Result struct {
	Score    float64 `json:"score"`    // calibrated: −10·log10(estimated false match rate)
	Distance float64 `json:"distance"` // normalised fractional Hamming distance at the best shift
	Raw      float64 `json:"raw"`      // fractional Hamming distance before normalisation
	Bits     int     `json:"bits"`     // bits compared at the best shift
	Shift    int     `json:"shift"`    // best shift: the gallery iris is turned this many code positions from the probe's
}

// Compare returns the calibrated score of the probe against a gallery template.
func (p *Probe) Compare(t *Template) float64 {
	return calibration.Apply(1 - p.distance(t.Code, t.Mask, nil))
}

// Detail returns the comparison with its distance, bits and shift.
func (p *Probe) Detail(t *Template) Result {
	var r Result
	d := p.distance(t.Code, t.Mask, &r)
	r.Distance = d
	r.Score = calibration.Apply(1 - d)
	return r
}

// distance returns the smallest normalised Hamming distance over the shifts,
//
//	HDnorm = 0.5 − (0.5 − HD)·√(n / nTypical),
//
// Daugman's normalisation: a distance measured on few bits (n) is pulled towards 0.5, the
// impostor mean, since it is weaker evidence than one measured on many. Shifts comparing
// fewer than minBits bits count as 0.5.
//
// The shifts are searched coarse to fine: first the shifts of coarseShifts, which leave no
// shift more than one position from one of them, then the two neighbours of the best of
// those. A code position is 2.8° and the filter's wavelength spans about nine positions, so
// the distance of a mated pair rises smoothly on both sides of its true rotation: the best
// coarse shift is next to it and the refinement lands on it. Nine shifts are compared
// instead of seventeen; on CASIA v1 the figures are those of the exhaustive search.
func (p *Probe) distance(code, mask []uint64, r *Result) float64 {
	if len(code) != codeWordsFixed || len(mask) != codeWordsFixed || p.words != codeWordsFixed {
		return 0.5
	}
	gc, gm := (*[codeWordsFixed]uint64)(code), (*[codeWordsFixed]uint64)(mask)
	best, bestS, bestN, bestRaw := 0.5, -1, 0, 0.5
	var done [nShifts]bool
	for pass := range 2 {
		shifts := coarseShifts[:]
		if pass == 1 {
			if bestS < 0 {
				break
			}
			shifts = []int{bestS - 1, bestS + 1}
		}
		for _, s := range shifts {
			if s < 0 || s >= nShifts || done[s] {
				continue
			}
			done[s] = true
			d, n := p.shiftBits(s, gc, gm)
			if n < p.minBits {
				continue
			}
			hd := float64(d) / float64(n)
			if norm := 0.5 - (0.5-hd)*math.Sqrt(float64(n)/p.nTypical); norm < best {
				best, bestS, bestN, bestRaw = norm, s, n, hd
			}
		}
	}
	if r != nil {
		r.Bits, r.Raw = bestN, bestRaw
		if bestS >= 0 {
			r.Shift = bestS - MaxShift
		}
	}
	return best
}

// coarseShifts are the shift indexes (0 … 2·MaxShift for −MaxShift … +MaxShift) of the
// coarse pass: −8, −6, −3, 0, 3, 6, 8.
var coarseShifts = [...]int{0, 2, 5, 8, 11, 14, 16}

// shiftBits returns the disagreeing and the compared bits of the gallery code (gc, gm)
// against the probe turned by shift index s. The popcounts go through a carry-save adder
// (Harley–Seal): four words are summed bitwise into a ones and a twos word, and only the
// carries into the fours are counted, so one popcount serves four words.
func (p *Probe) shiftBits(s int, gc, gm *[codeWordsFixed]uint64) (d, n int) {
	pc := (*[codeWordsFixed]uint64)(p.code[s*codeWordsFixed:])
	pm := (*[codeWordsFixed]uint64)(p.mask[s*codeWordsFixed:])
	var dOnes, dTwos, nOnes, nTwos uint64
	d4, n4 := 0, 0
	for i := 0; i < codeWordsFixed; i += 4 {
		m0, m1, m2, m3 := gm[i]&pm[i], gm[i+1]&pm[i+1], gm[i+2]&pm[i+2], gm[i+3]&pm[i+3]
		x0, x1, x2, x3 := (gc[i]^pc[i])&m0, (gc[i+1]^pc[i+1])&m1, (gc[i+2]^pc[i+2])&m2, (gc[i+3]^pc[i+3])&m3
		var h1, h2 uint64
		h1, dOnes = csa(dOnes, x0, x1)
		h2, dOnes = csa(dOnes, x2, x3)
		var f uint64
		f, dTwos = csa(dTwos, h1, h2)
		d4 += bits.OnesCount64(f)
		h1, nOnes = csa(nOnes, m0, m1)
		h2, nOnes = csa(nOnes, m2, m3)
		f, nTwos = csa(nTwos, h1, h2)
		n4 += bits.OnesCount64(f)
	}
	d = 4*d4 + 2*bits.OnesCount64(dTwos) + bits.OnesCount64(dOnes)
	n = 4*n4 + 2*bits.OnesCount64(nTwos) + bits.OnesCount64(nOnes)
	return d, n
}

// csa is a carry-save adder: bitwise, a + b + c = 2·carry + sum.
func csa(a, b, c uint64) (carry, sum uint64) {
	u := a ^ b
	return (a & b) | (u & c), u ^ c
}

// FuseEyes adds the calibrated scores of several eyes of one person (NaN for an eye not
// compared). On the calibrated scale independent evidence adds: the false match rates of
// independent comparisons multiply. Negative scores are not possible on the scale; the sum
// of the eyes compared is returned, 0 when none was.
func FuseEyes(scores ...float64) float64 {
	t := 0.0
	for _, s := range scores {
		if !math.IsNaN(s) {
			t += max(s, 0)
		}
	}
	return t
}

// Index is a flat in-memory gallery of iris codes searched on all cores: the codes and
// masks of all templates sit in two contiguous arrays, so a search streams through memory.
// It is safe for concurrent use. For galleries that mix modalities or fuse fingers and eyes,
// use package gallery with Probe.Compare as the score function instead.
type Index struct {
	mu         sync.RWMutex
	names      []string         // subject ids
	byName     map[string]int32 // id → index in names
	subject    []int32          // per template: index in names
	code, mask []uint64
}

// Add appends a template under id (several templates may share an id; a search reports an
// id once, with its best template).
func (x *Index) Add(id string, t *Template) error {
	if err := t.check(); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byName == nil {
		x.byName = map[string]int32{}
	}
	s, ok := x.byName[id]
	if !ok {
		s = int32(len(x.names))
		x.byName[id] = s
		x.names = append(x.names, id)
	}
	x.subject = append(x.subject, s)
	x.code = append(x.code, t.Code...)
	x.mask = append(x.mask, t.Mask...)
	return nil
}

// Len returns the number of templates.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.subject)
}

// Match is one candidate of a search.
type Match struct {
	ID       string  `json:"id"`
	Score    float64 `json:"score"`
	Distance float64 `json:"distance"`
}

// Search compares the probe with every template on all cores and returns the k best ids,
// best first; ties are broken by id.
func (x *Index) Search(p *Probe, k int) []Match {
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := len(x.subject)
	if n == 0 || k <= 0 {
		return nil
	}
	const w = codeWordsFixed
	workers := max(1, min(runtime.GOMAXPROCS(0), n/256))
	dist := make([]float32, n)
	var wg sync.WaitGroup
	for wk := range workers {
		lo, hi := wk*n/workers, (wk+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				dist[i] = float32(p.distance(x.code[i*w:(i+1)*w], x.mask[i*w:(i+1)*w], nil))
			}
		}()
	}
	wg.Wait()
	best := make([]float32, len(x.names))
	for i := range best {
		best[i] = 2
	}
	for i, d := range dist {
		if s := x.subject[i]; d < best[s] {
			best[s] = d
		}
	}
	order := make([]int32, len(best))
	for i := range order {
		order[i] = int32(i)
	}
	less := func(a, b int32) bool {
		if best[a] != best[b] {
			return best[a] < best[b]
		}
		return x.names[a] < x.names[b]
	}
	// Partial selection: keep the k best in a small sorted slice.
	var top []int32
	for _, s := range order {
		if len(top) == k && !less(s, top[k-1]) {
			continue
		}
		i := sort.Search(len(top), func(i int) bool { return less(s, top[i]) })
		if len(top) < k {
			top = append(top, 0)
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = s
	}
	out := make([]Match, len(top))
	for i, s := range top {
		d := float64(best[s])
		out[i] = Match{ID: x.names[s], Distance: d, Score: calibration.Apply(1 - d)}
	}
	return out
}
