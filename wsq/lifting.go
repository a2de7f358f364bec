package wsq

import "math"

// Lifting form of the 9/7 synthesis. The standard's filters are the
// Cohen–Daubechies–Feauveau 9/7 pair, which factor into four lifting steps
// and a scaling (Daubechies and Sweldens 1998). Undoing the steps costs
// about 7 operations a sample instead of the 16 of the two convolutions,
// and works on whole rows at a time. With whole-sample symmetric extension
// of the interleaved line at each step the result equals the convolution
// with the extended line, up to float rounding.
//
// The filters still come from the file: newLifting returns nil unless the
// file's filters are, to within filterTolerance, the ones these steps
// produce, and the decoder then falls back to convolution.

// CDF 9/7 lifting coefficients (analysis order).
const (
	liftAlpha = -1.586134342059924
	liftBeta  = -0.052980118572961
	liftGamma = 0.882911075530934
	liftDelta = 0.443506852043971
)

const filterTolerance = 1e-5

// lifting holds the synthesis steps and the weights that map the file's
// low- and high-pass coefficients onto the steps' scale.
type lifting struct {
	steps  [4]float32 // applied in this order: -δ (even), -γ (odd), -β (even), -α (odd)
	sl, sh float32
}

func newLifting(lo, hi []float32) *lifting {
	if len(lo) != 7 || len(hi) != 9 {
		return nil
	}
	const n, k = 64, 16
	response := func(odd bool) []float64 {
		y := make([]float64, n)
		if odd {
			y[2*k+1] = 1
		} else {
			y[2*k] = 1
		}
		liftSynthesis64(y)
		return y
	}
	check := func(y []float64, centre int, f []float32) (float64, bool) {
		c := len(f) / 2
		if y[centre] == 0 {
			return 0, false
		}
		s := float64(f[c]) / y[centre]
		for i, v := range y {
			want := 0.0
			if e := i - centre; e >= -c && e <= c {
				want = float64(f[c+e])
			}
			if math.Abs(s*v-want) > filterTolerance {
				return 0, false
			}
		}
		return s, true
	}
	sl, ok1 := check(response(false), 2*k, lo)
	sh, ok2 := check(response(true), 2*k+1, hi)
	if !ok1 || !ok2 {
		return nil
	}
	return &lifting{
		steps: [4]float32{-liftDelta, -liftGamma, -liftBeta, -liftAlpha},
		sl:    float32(sl), sh: float32(sh),
	}
}

// liftSynthesis64 undoes the lifting steps on an interleaved line
// (low-pass at even positions) in float64; used to identify the filters.
func liftSynthesis64(y []float64) {
	n := len(y)
	at := func(i int) float64 { return y[reflect(i, n)] }
	step := func(c float64, parity int) {
		for i := parity; i < n; i += 2 {
			y[i] += c * (at(i-1) + at(i+1))
		}
	}
	step(-liftDelta, 0)
	step(-liftGamma, 1)
	step(-liftBeta, 0)
	step(-liftAlpha, 1)
}

// liftLine rebuilds a line in place: y holds the interleaved, already
// weighted coefficients, and steps before from are done. Needs len(y) ≥ 2.
func (l *lifting) liftLine(y []float32, from int) {
	n := len(y)
	for s := from; s < len(l.steps); s++ {
		c := l.steps[s]
		if s%2 == 0 {
			// Even samples; y[0]'s left neighbour mirrors to y[1].
			y[0] += c * (y[1] + y[1])
			prev := y[1]
			i := 2
			for ; i+1 < len(y); i += 2 {
				next := y[i+1]
				y[i] += c * (prev + next)
				prev = next
			}
			if i < n { // n odd: the last even sample mirrors y[n-2]
				y[i] += c * (prev + prev)
			}
			continue
		}
		prev := y[0]
		i := 1
		for ; i+1 < len(y); i += 2 {
			next := y[i+1]
			y[i] += c * (prev + next)
			prev = next
		}
		if i < n { // n even: the last odd sample mirrors y[n-2]
			y[i] += c * (prev + prev)
		}
	}
}

// rows rebuilds every row of r from tmp into data.
func (l *lifting) rows(data, tmp []float32, stride int, r rect, inv bool) {
	n := r.w
	llen, hlen := (n+1)/2, n/2
	lo0, hi0 := 0, llen
	if inv {
		lo0, hi0 = hlen, 0
	}
	for row := r.y; row < r.y+r.h; row++ {
		src := tmp[row*stride+r.x:][:n]
		y := data[row*stride+r.x:][:n]
		lp, hp := src[lo0:lo0+llen], src[hi0:hi0+hlen]
		for k, v := range hp {
			y[2*k+1] = v * l.sh
		}
		// Weighting the low-pass samples and the first step in one pass.
		c := l.steps[0]
		prev := y[1]
		for k, v := range lp {
			next := prev // mirror at the right edge when n is odd
			if 2*k+1 < n {
				next = y[2*k+1]
			}
			y[2*k] = v*l.sl + c*(prev+next)
			prev = next
		}
		l.liftLine(y, 1)
	}
}

// columns rebuilds every column of r from data into tmp, a row at a time.
// The four steps sweep down the rows together as a wavefront (step s works
// s rows behind step 0), each reading only rows the previous step has
// finished, so the same operations as four separate passes run while the
// few rows involved are still in cache.
func (l *lifting) columns(tmp, data []float32, stride int, r rect, inv bool) {
	n := r.h
	llen, hlen := (n+1)/2, n/2
	lo0, hi0 := 0, llen
	if inv {
		lo0, hi0 = hlen, 0
	}
	row := func(buf []float32, i int) []float32 { return buf[(r.y+i)*stride+r.x:][:r.w] }
	neighbours := func(i int) (a, b int) {
		a, b = i-1, i+1
		if a < 0 {
			a = 1
		}
		if b >= n {
			b = n - 2
		}
		return a, b
	}
	// scaleOdd weights high-pass row k into odd row 2k+1.
	scaleOdd := func(k int) {
		d, src := row(tmp, 2*k+1), row(data, hi0+k)
		src = src[:len(d)]
		for j := range d {
			d[j] = src[j] * l.sh
		}
	}
	// first weights low-pass row k into even row 2k and does step 0.
	first := func(k int) {
		a, b := neighbours(2 * k)
		d, src, s0, s1 := row(tmp, 2*k), row(data, lo0+k), row(tmp, a), row(tmp, b)
		src, s0, s1 = src[:len(d)], s0[:len(d)], s1[:len(d)]
		c := l.steps[0]
		for j := range d {
			d[j] = src[j]*l.sl + c*(s0[j]+s1[j])
		}
	}
	// lift: row i += c·(its two neighbours)
	lift := func(i int, c float32) {
		a, b := neighbours(i)
		d, s0, s1 := row(tmp, i), row(tmp, a), row(tmp, b)
		s0, s1 = s0[:len(d)], s1[:len(d)]
		for j := range d {
			d[j] += c * (s0[j] + s1[j])
		}
	}
	for t := 0; t < n+3; t++ {
		if t%2 == 0 && t < n {
			if t+1 < n {
				scaleOdd((t + 1) / 2) // the odd row below, before step 0 reads it
			}
			first(t / 2)
		}
		for s := 1; s < 4; s++ {
			if i := t - s; i >= 0 && i < n && i%2 == s%2 {
				lift(i, l.steps[s])
			}
		}
	}
}

// liftForward splits a line in place into the interleaved lifting
// outputs (low-pass at even positions, unweighted). Needs len(y) ≥ 2.
func liftForward(y []float32) {
	n := len(y)
	for s, c := range [4]float32{liftAlpha, liftBeta, liftGamma, liftDelta} {
		if s%2 == 1 {
			y[0] += c * (y[1] + y[1])
			prev := y[1]
			i := 2
			for ; i+1 < len(y); i += 2 {
				next := y[i+1]
				y[i] += c * (prev + next)
				prev = next
			}
			if i < n {
				y[i] += c * (prev + prev)
			}
			continue
		}
		prev := y[0]
		i := 1
		for ; i+1 < len(y); i += 2 {
			next := y[i+1]
			y[i] += c * (prev + next)
			prev = next
		}
		if i < n {
			y[i] += c * (prev + prev)
		}
	}
}

// analysisRows splits every row of r from data into tmp: low-pass and
// high-pass halves in the stored order, each divided by its synthesis
// weight so that synthesis (which multiplies by it) inverts exactly.
func (l *lifting) analysisRows(tmp, data []float32, stride int, r rect, inv bool, line []float32) {
	n := r.w
	llen, hlen := (n+1)/2, n/2
	lo0, hi0 := 0, llen
	if inv {
		lo0, hi0 = hlen, 0
	}
	il, ih := 1/l.sl, 1/l.sh
	y := line[:n]
	for row := r.y; row < r.y+r.h; row++ {
		copy(y, data[row*stride+r.x:][:n])
		liftForward(y)
		dst := tmp[row*stride+r.x:][:n]
		lp, hp := dst[lo0:lo0+llen], dst[hi0:hi0+hlen]
		for k := range lp {
			lp[k] = y[2*k] * il
		}
		for k := range hp {
			hp[k] = y[2*k+1] * ih
		}
	}
}

// analysisColumns splits every column of r from tmp into data, a row at a
// time: the lifting steps run in place on tmp's rows, which then are
// weighted into data's low-pass and high-pass row halves.
func (l *lifting) analysisColumns(data, tmp []float32, stride int, r rect, inv bool) {
	n := r.h
	llen, hlen := (n+1)/2, n/2
	lo0, hi0 := 0, llen
	if inv {
		lo0, hi0 = hlen, 0
	}
	row := func(buf []float32, i int) []float32 { return buf[(r.y+i)*stride+r.x:][:r.w] }
	lift := func(i, a, b int, c float32) {
		d, s0, s1 := row(tmp, i), row(tmp, a), row(tmp, b)
		s0, s1 = s0[:len(d)], s1[:len(d)]
		for j := range d {
			d[j] += c * (s0[j] + s1[j])
		}
	}
	for s, c := range [4]float32{liftAlpha, liftBeta, liftGamma, liftDelta} {
		for i := 1 - s%2; i < n; i += 2 {
			a, b := i-1, i+1
			if a < 0 {
				a = 1
			}
			if b >= n {
				b = n - 2
			}
			lift(i, a, b, c)
		}
	}
	scale := func(dst, src []float32, s float32) {
		src = src[:len(dst)]
		for i := range dst {
			dst[i] = src[i] * s
		}
	}
	for k := range llen {
		scale(row(data, lo0+k), row(tmp, 2*k), 1/l.sl)
	}
	for k := range hlen {
		scale(row(data, hi0+k), row(tmp, 2*k+1), 1/l.sh)
	}
}
