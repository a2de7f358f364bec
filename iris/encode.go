package iris

import (
	"math"
	"math/cmplx"
	"slices"
)

// encode filters each radial band of the strip along the angle with a 1-D log-Gabor filter
// (Field's log-Gabor: no DC response, a long high-frequency tail) and quantises the phase of
// the analytic response into two bits per position: sign of the real and of the imaginary
// part. A bit is valid when the strip under its filter support is mostly visible iris and its
// response is not among the weakest fraction of the band (such fragile bits flip between
// images of the same eye).
func encode(p *params, st *strip) (code, mask []uint64) {
	words := codeWords(p)
	code, mask = make([]uint64, words), make([]uint64, words)
	wpb := p.codeCols * 2 / 64 // words per band
	n := st.cols
	filt := logGabor(n, p.wavelength, p.sigmaOnF)
	step := n / p.codeCols
	spacing := float64(st.rows) / float64(p.codeRows)
	sig := p.bandSigma * spacing
	buf := make([]complex128, n)
	frac := make([]float64, n)
	re, im := make([]float64, p.codeCols), make([]float64, p.codeCols)
	valid := make([]bool, p.codeCols)
	half := int(p.wavelength / 2)
	for b := range p.codeRows {
		c := (float64(b)+0.5)*spacing - 0.5
		lo, hi := max(0, int(math.Floor(c-2*sig))), min(st.rows-1, int(math.Ceil(c+2*sig)))
		var mean, wsum float64
		for j := range n {
			var s, w, wt float64
			for i := lo; i <= hi; i++ {
				wi := math.Exp(-(float64(i) - c) * (float64(i) - c) / (2 * sig * sig))
				wt += wi
				if st.ok[i*n+j] {
					s += wi * float64(st.v[i*n+j])
					w += wi
				}
			}
			frac[j] = w / wt
			if w > 0 {
				buf[j] = complex(s/w, 0)
				mean += s / w
				wsum++
			} else {
				buf[j] = complex(math.NaN(), 0)
			}
		}
		if wsum > 0 {
			mean /= wsum
		}
		for j := range n {
			if math.IsNaN(real(buf[j])) {
				buf[j] = complex(mean, 0)
			}
		}
		fft(buf, false)
		for j := range n {
			buf[j] *= complex(filt[j], 0)
		}
		fft(buf, true)
		for q := range p.codeCols {
			j := q * step
			var f float64
			for d := -half; d <= half; d++ {
				f += frac[(j+d+n)%n]
			}
			valid[q] = f/float64(2*half+1) >= p.minValidFrac
			re[q], im[q] = real(buf[j]), imag(buf[j])
		}
		tre, tim := fragileThreshold(re, valid, p.fragileFrac), fragileThreshold(im, valid, p.fragileFrac)
		for q := range p.codeCols {
			w := b*wpb + q/32
			bit := uint(2 * (q % 32))
			if re[q] >= 0 {
				code[w] |= 1 << bit
			}
			if im[q] >= 0 {
				code[w] |= 1 << (bit + 1)
			}
			if !valid[q] {
				continue
			}
			if math.Abs(re[q]) > tre {
				mask[w] |= 1 << bit
			}
			if math.Abs(im[q]) > tim {
				mask[w] |= 1 << (bit + 1)
			}
		}
	}
	return code, mask
}

// fragileThreshold returns the magnitude below which the weakest frac of the valid values lie.
func fragileThreshold(v []float64, valid []bool, frac float64) float64 {
	var a []float64
	for i, x := range v {
		if valid[i] {
			a = append(a, math.Abs(x))
		}
	}
	if len(a) == 0 || frac <= 0 {
		return -1
	}
	slices.Sort(a)
	return a[min(len(a)-1, int(frac*float64(len(a))))]
}

func codeWords(p *params) int { return p.codeRows * p.codeCols * 2 / 64 }

// logGabor returns the frequency response of a 1-D log-Gabor filter of centre wavelength
// lambda (samples) and bandwidth sigmaOnF for an n-point FFT, zero at DC and at negative
// frequencies so that the filtered signal is analytic (its real and imaginary parts are an
// even and an odd filter).
func logGabor(n int, lambda, sigmaOnF float64) []float64 {
	f0 := 1 / lambda
	h := make([]float64, n)
	l := math.Log(sigmaOnF)
	for m := 1; m < n/2; m++ {
		f := float64(m) / float64(n)
		lf := math.Log(f / f0)
		h[m] = 2 * math.Exp(-lf*lf/(2*l*l))
	}
	return h
}

// fft computes an in-place radix-2 FFT (inverse when inv, scaled by 1/n); len(a) must be a
// power of two.
func fft(a []complex128, inv bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	sign := -1.0
	if inv {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Rect(1, sign*2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			t := complex(1, 0)
			for k := range size / 2 {
				u, v := a[start+k], a[start+k+size/2]*t
				a[start+k], a[start+k+size/2] = u+v, u-v
				t *= w
			}
		}
	}
	if inv {
		for i := range a {
			a[i] /= complex(float64(n), 0)
		}
	}
}
