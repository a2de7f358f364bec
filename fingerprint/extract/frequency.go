package extract

import (
	"math"
	"sort"
)

// frequency estimates the ridge period (wavelength, pixels) per block. On a grid of cells
// freqStep blocks apart it builds the x-signature: grey levels averaged along the ridge,
// sampled along the ridge normal. The period is the mean spacing of its alternating
// maxima and minima (extrema of small amplitude discarded). Cells without a consistent
// estimate are filled by normalised Gaussian convolution of the valid ones, the field is
// smoothed, clamped to [freqMin, freqMax] and up-sampled to blocks.
func (s *state) frequency() {
	p := s.p
	step := p.freqStep
	fw := (s.bw + step - 1) / step
	fh := (s.bh + step - 1) / step
	vals := make([]float32, fw*fh)
	valid := make([]float32, fw*fh)
	sig := make([]float32, 2*p.freqHalfLen)
	var good []float32
	for cy := 0; cy < fh; cy++ {
		for cx := 0; cx < fw; cx++ {
			bx, by := min(cx*step+step/2, s.bw-1), min(cy*step+step/2, s.bh-1)
			bi := by*s.bw + bx
			if !s.blockMask[bi] {
				continue
			}
			px := float32(bx*p.block) + float32(p.block)/2
			py := float32(by*p.block) + float32(p.block)/2
			theta := atan2f(s.osin[bi], s.ocos[bi])/2 + math.Pi/2
			if lam, ok := s.signaturePeriod(px, py, theta, sig); ok {
				vals[cy*fw+cx] = lam
				valid[cy*fw+cx] = 1
				good = append(good, lam)
			}
		}
	}
	def := p.freqDefault
	if len(good) > 0 {
		sort.Slice(good, func(i, j int) bool { return good[i] < good[j] })
		def = good[len(good)/2]
	}
	filled := append([]float32(nil), vals...)
	wsum := blurWeighted(fw, fh, p.freqFillSigma, valid, filled)
	for i := range vals {
		if valid[i] == 0 {
			if wsum[i] > 0.05 {
				vals[i] = filled[i]
			} else {
				vals[i] = def
			}
		}
	}
	blurWeighted(fw, fh, p.freqSmooth, nil, vals)
	s.wavelength = make([]float32, s.bw*s.bh)
	for by := 0; by < s.bh; by++ {
		for bx := 0; bx < s.bw; bx++ {
			v := vals[min(by/step, fh-1)*fw+min(bx/step, fw-1)]
			s.wavelength[by*s.bw+bx] = min(max(v, p.freqMin), p.freqMax)
		}
	}
}

// signaturePeriod measures the ridge period of the x-signature centred on (px, py) with ridge
// angle theta. sig is scratch space of length 2·freqHalfLen.
func (s *state) signaturePeriod(px, py, theta float32, sig []float32) (float32, bool) {
	p := s.p
	dx, dy := float32(math.Cos(float64(theta))), float32(math.Sin(float64(theta)))
	nx, ny := -dy, dx
	L := p.freqHalfLen
	W := p.freqHalfWidth
	for k := -L; k < L; k++ {
		var sum float32
		n := 0
		for l := -W; l <= W; l += 2 {
			x := int(px + float32(k)*nx + float32(l)*dx + 0.5)
			y := int(py + float32(k)*ny + float32(l)*dy + 0.5)
			if x < 0 || y < 0 || x >= s.w || y >= s.h {
				continue
			}
			sum += s.pix[y*s.w+x]
			n++
		}
		if n == 0 {
			return 0, false
		}
		sig[k+L] = sum / float32(n)
	}
	// light smoothing
	n := len(sig)
	sm := make([]float32, n)
	lo, hi := float32(math.MaxFloat32), float32(-math.MaxFloat32)
	for i := range sig {
		a, c := sig[max(i-1, 0)], sig[min(i+1, n-1)]
		sm[i] = (a + 2*sig[i] + c) / 4
		lo = min(lo, sm[i])
		hi = max(hi, sm[i])
	}
	if hi-lo < 2 {
		return 0, false
	}
	return periodFromSignature(sm, 0.15*(hi-lo), p.freqMin, p.freqMax)
}

// periodFromSignature returns the mean distance between same-kind extrema of sm, after
// dropping adjacent extremum pairs whose amplitude difference is below minAmp.
func periodFromSignature(sm []float32, minAmp, lo, hi float32) (float32, bool) {
	type ext struct {
		pos float32
		val float32
		max bool
	}
	var ex []ext
	n := len(sm)
	for i := 1; i < n-1; i++ {
		isMax := sm[i] > sm[i-1] && sm[i] >= sm[i+1]
		isMin := sm[i] < sm[i-1] && sm[i] <= sm[i+1]
		if !isMax && !isMin {
			continue
		}
		// parabolic refinement
		den := sm[i-1] - 2*sm[i] + sm[i+1]
		off := float32(0)
		if den != 0 {
			off = 0.5 * (sm[i-1] - sm[i+1]) / den
			off = min(max(off, -0.5), 0.5)
		}
		ex = append(ex, ext{float32(i) + off, sm[i], isMax})
	}
	// remove weak pairs until all adjacent differences are large enough
	for changed := true; changed; {
		changed = false
		for i := 0; i+1 < len(ex); i++ {
			if ex[i].max == ex[i+1].max {
				// keep the more extreme of two same-kind neighbours
				if (ex[i].max && ex[i].val < ex[i+1].val) || (!ex[i].max && ex[i].val > ex[i+1].val) {
					ex = append(ex[:i], ex[i+1:]...)
				} else {
					ex = append(ex[:i+1], ex[i+2:]...)
				}
				changed = true
				break
			}
			d := ex[i].val - ex[i+1].val
			if d < 0 {
				d = -d
			}
			if d < minAmp {
				ex = append(ex[:i], ex[i+2:]...)
				changed = true
				break
			}
		}
	}
	if len(ex) < 3 {
		return 0, false
	}
	var sum, sum2 float32
	cnt := 0
	for i := 0; i+2 < len(ex); i++ {
		d := ex[i+2].pos - ex[i].pos
		sum += d
		sum2 += d * d
		cnt++
	}
	mean := sum / float32(cnt)
	if mean < lo || mean > hi {
		return 0, false
	}
	if cnt >= 2 {
		v := sum2/float32(cnt) - mean*mean
		if v > 0 && float32(math.Sqrt(float64(v))) > 0.3*mean {
			return 0, false
		}
	}
	return mean, true
}
