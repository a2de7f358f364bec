package wsq

// One level of the separable wavelet transform, forward (analysis, for the
// encoder) and inverse (synthesis, for the decoder), on the rectangles of
// the decomposition tree.
//
// Both directions use whole-sample symmetric extension of the signal: a line
// x[0..n-1] continues as x[-p] = x[p] and x[n-1+p] = x[n-1-p]. In the
// synthesis view the interleaved line y[2k] = L[k], y[2k+1] = H[k] is
// extended the same way, which gives exactly the extensions the standard
// prescribes for odd-length symmetric filters: whole-sample for the low-pass
// coefficients, half-sample for the high-pass ones at the left edge, and the
// one or the other at the right edge depending on the parity of n.
//
// A plan lists, for every output sample of a line, the input offsets within
// the line and their weights, so the edge cases are worked out once per line
// length instead of once per sample.

// plan is the flattened tap list of one line length: output m uses
// off[start[m]:start[m+1]] with weights coef[...].
type plan struct {
	start []int32
	off   []int32
	coef  []float32
}

// reflect maps position p of the symmetrically extended line of length n
// back into [0, n).
func reflect(p, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	p %= period
	if p < 0 {
		p += period
	}
	if p >= n {
		p = period - p
	}
	return p
}

// synthesisPlan builds the plan that rebuilds a line of length n from its
// low-pass half (ceil(n/2) coefficients) and high-pass half (floor(n/2)),
// stored high-pass first when inv is set. lo and hi are the synthesis
// filters, odd-length and centred. The taps of one output come low-pass
// first, each group in increasing position, which is the order of the
// reference decoder's sums (float rounding then matches it closely). For
// lines of 6 samples or more the taps are the reference decoder's; on
// shorter lines, where a 9-tap filter reaches past both edges, it repeats
// an edge sample only once where this plan keeps reflecting (only images
// under about 190 pixels a side have such lines).
func synthesisPlan(n int, inv bool, lo, hi []float32) *plan {
	llen, hlen := (n+1)/2, n/2
	c0, c1 := len(lo)/2, len(hi)/2
	p := &plan{start: make([]int32, 0, n+1)}
	p.off = make([]int32, 0, n*(c0+c1+2))
	p.coef = make([]float32, 0, n*(c0+c1+2))
	where := func(pos int) int {
		pos = reflect(pos, n)
		k := pos / 2
		if pos%2 == 0 {
			if inv {
				return hlen + k
			}
			return k
		}
		if inv {
			return k
		}
		return llen + k
	}
	for m := range n {
		p.start = append(p.start, int32(len(p.off)))
		for d := -c0; d <= c0; d++ {
			if (m+d)&1 == 0 {
				p.off = append(p.off, int32(where(m+d)))
				p.coef = append(p.coef, lo[c0-d])
			}
		}
		if n == 1 {
			continue // no high-pass coefficient exists
		}
		for d := -c1; d <= c1; d++ {
			if (m+d)&1 != 0 {
				p.off = append(p.off, int32(where(m+d)))
				p.coef = append(p.coef, hi[c1-d])
			}
		}
	}
	p.start = append(p.start, int32(len(p.off)))
	return p
}

// analysisPlan builds the plan that splits a line of length n into its
// low-pass half L[k] = Σ lo[i]·x[2k-c+i] and high-pass half
// H[k] = Σ hi[i]·x[2k+1-c'+i] (c, c' the filter centres), stored
// high-pass first when inv is set. lo and hi are the analysis filters.
func analysisPlan(n int, inv bool, lo, hi []float32) *plan {
	llen, hlen := (n+1)/2, n/2
	p := &plan{start: make([]int32, 0, n+1)}
	p.off = make([]int32, 0, n*max(len(lo), len(hi)))
	p.coef = make([]float32, 0, n*max(len(lo), len(hi)))
	low := func(k int) {
		c := len(lo) / 2
		for i, w := range lo {
			p.off = append(p.off, int32(reflect(2*k-c+i, n)))
			p.coef = append(p.coef, w)
		}
	}
	high := func(k int) {
		c := len(hi) / 2
		for i, w := range hi {
			p.off = append(p.off, int32(reflect(2*k+1-c+i, n)))
			p.coef = append(p.coef, w)
		}
	}
	for j := range n {
		p.start = append(p.start, int32(len(p.off)))
		switch {
		case !inv && j < llen:
			low(j)
		case !inv:
			high(j - llen)
		case j < hlen:
			high(j)
		default:
			low(j - hlen)
		}
	}
	p.start = append(p.start, int32(len(p.off)))
	return p
}

// filterRows applies p to every row of r: dst row = plan(src row). src and
// dst are planes with the given stride; r lies inside both.
func filterRows(dst, src []float32, stride int, r rect, p *plan) {
	if r.w == 0 {
		return
	}
	start, off, coef := p.start[:r.w+1], p.off, p.coef
	for y := r.y; y < r.y+r.h; y++ {
		s := src[y*stride+r.x:][:r.w]
		d := dst[y*stride+r.x:][:r.w]
		for m := range d {
			a, b := start[m], start[m+1]
			taps := off[a:b]
			ws := coef[a:b:b]
			ws = ws[:len(taps)]
			v := s[taps[0]] * ws[0]
			for k := 1; k < len(taps); k++ {
				v += s[taps[k]] * ws[k]
			}
			d[m] = v
		}
	}
}

// filterColumns applies p to every column of r, a whole row of r at a time
// so that memory is read in order.
func filterColumns(dst, src []float32, stride int, r rect, p *plan) {
	if r.w == 0 {
		return
	}
	row := func(buf []float32, y int) []float32 { return buf[(r.y+y)*stride+r.x:][:r.w] }
	for m := range r.h {
		d := row(dst, m)
		a, b := p.start[m], p.start[m+1]
		taps, ws := p.off[a:b], p.coef[a:b]
		k := 0
		for ; k+4 <= len(taps); k += 4 {
			s0, s1, s2, s3 := row(src, int(taps[k])), row(src, int(taps[k+1])), row(src, int(taps[k+2])), row(src, int(taps[k+3]))
			w0, w1, w2, w3 := ws[k], ws[k+1], ws[k+2], ws[k+3]
			if k == 0 {
				for i := range d {
					v := s0[i] * w0
					v += s1[i] * w1
					v += s2[i] * w2
					v += s3[i] * w3
					d[i] = v
				}
				continue
			}
			for i := range d {
				v := d[i]
				v += s0[i] * w0
				v += s1[i] * w1
				v += s2[i] * w2
				v += s3[i] * w3
				d[i] = v
			}
		}
		for ; k < len(taps); k++ {
			s, w := row(src, int(taps[k])), ws[k]
			if k == 0 {
				for i := range d {
					d[i] = s[i] * w
				}
				continue
			}
			for i := range d {
				d[i] += s[i] * w
			}
		}
	}
}

// liftingEnabled lets the benchmarks measure the convolution path.
var liftingEnabled = true

// synthesize runs the inverse transform over the whole tree, in place on
// data (width×height), using tmp (same size) as scratch. Nodes are undone
// from the deepest (19) to the image (0), columns before rows, as they were
// done rows before columns.
//
// When the filters are the standard 9/7 pair the lifting form does the
// work (lines of fewer than 2 samples always use the convolution).
func synthesize(data, tmp []float32, width int, t *trees, lo, hi []float32) {
	var lift *lifting
	if liftingEnabled {
		lift = newLifting(lo, hi)
	}
	for i := len(t.nodes) - 1; i >= 0; i-- {
		nd := t.nodes[i]
		if nd.w == 0 || nd.h == 0 {
			continue
		}
		if lift != nil && nd.w >= 2 && nd.h >= 2 {
			lift.columns(tmp, data, width, nd.rect, nd.invY)
			lift.rows(data, tmp, width, nd.rect, nd.invX)
			continue
		}
		filterColumns(tmp, data, width, nd.rect, synthesisPlanFor(nd.h, nd.invY, lo, hi))
		filterRows(data, tmp, width, nd.rect, synthesisPlanFor(nd.w, nd.invX, lo, hi))
	}
}

// analyze runs the forward transform over the whole tree, in place. The
// analysis filters lo and hi are those the DTT will carry; when they are
// the standard pair the lifting form does the work.
func analyze(data, tmp []float32, width int, t *trees, lo, hi []float32) {
	var lift *lifting
	if liftingEnabled {
		lift = newLifting(modulate(hi), modulate(lo))
	}
	line := make([]float32, width)
	for _, nd := range t.nodes {
		if nd.w == 0 || nd.h == 0 {
			continue
		}
		if lift != nil && nd.w >= 2 && nd.h >= 2 {
			// tmp is scratch for the rows; the columns then lift in
			// place on it, so rows must land in tmp first.
			lift.analysisRows(tmp, data, width, nd.rect, nd.invX, line)
			lift.analysisColumns(data, tmp, width, nd.rect, nd.invY)
			continue
		}
		filterRows(tmp, data, width, nd.rect, analysisPlan(nd.w, nd.invX, lo, hi))
		filterColumns(data, tmp, width, nd.rect, analysisPlan(nd.h, nd.invY, lo, hi))
	}
}

// modulate turns an analysis filter into the synthesis filter of the other
// band, as a decoder does with the DTT: f[c+i]·(-1)^i.
func modulate(f []float32) []float32 {
	c := len(f) / 2
	m := make([]float32, len(f))
	for i, v := range f {
		if (i-c)%2 != 0 {
			v = -v
		}
		m[i] = v
	}
	return m
}

// synthesisPlanFor picks the plan for the filters' parity; for even
// filters the caller has checked with checkEvenFilters that every line
// length of the tree has one.
func synthesisPlanFor(n int, inv bool, lo, hi []float32) *plan {
	if len(lo)%2 == 1 {
		return synthesisPlan(n, inv, lo, hi)
	}
	return walkSynthesis(n, inv, lo, hi)
}

// checkEvenFilters reports whether even-length filters fit every line of
// the tree (the reference walk leaves lines shorter than about half the
// filter length).
func checkEvenFilters(t *trees, lo, hi []float32) bool {
	if len(lo)%2 == 1 {
		return true
	}
	for _, nd := range t.nodes {
		if nd.w == 0 || nd.h == 0 {
			continue
		}
		if nd.w < 2 || nd.h < 2 || walkSynthesis(nd.w, nd.invX, lo, hi) == nil || walkSynthesis(nd.h, nd.invY, lo, hi) == nil {
			return false
		}
	}
	return true
}
