package extract

import "math"

// gaussKernel returns a normalised 1-D Gaussian of standard deviation sigma, radius ⌈3σ⌉.
func gaussKernel(sigma float64) []float32 {
	r := int(math.Ceil(3 * sigma))
	if r < 1 {
		r = 1
	}
	k := make([]float32, 2*r+1)
	var sum float64
	for i := -r; i <= r; i++ {
		v := math.Exp(-float64(i*i) / (2 * sigma * sigma))
		k[i+r] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	return k
}

// blurWeighted smooths the fields in vals (each w×h) with a separable Gaussian, as a
// normalised convolution with the per-cell weights wt (nil = all 1): out = G*(wt·v) / G*wt.
// Cells where G*wt is 0 get 0. The fields are replaced in place; the smoothed weight is
// returned.
func blurWeighted(w, h int, sigma float64, wt []float32, vals ...[]float32) []float32 {
	k := gaussKernel(sigma)
	r := len(k) / 2
	n := w * h
	wsum := make([]float32, n)
	if wt == nil {
		for i := range wsum {
			wsum[i] = 1
		}
	} else {
		copy(wsum, wt)
	}
	for _, v := range vals {
		for i := range v {
			v[i] *= wsum[i]
		}
	}
	tmp := make([]float32, n)
	conv := func(f []float32) {
		// horizontal
		for y := 0; y < h; y++ {
			o := y * w
			for x := 0; x < w; x++ {
				var s float32
				for j := -r; j <= r; j++ {
					xx := x + j
					if xx < 0 || xx >= w {
						continue
					}
					s += k[j+r] * f[o+xx]
				}
				tmp[o+x] = s
			}
		}
		// vertical
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s float32
				for j := -r; j <= r; j++ {
					yy := y + j
					if yy < 0 || yy >= h {
						continue
					}
					s += k[j+r] * tmp[yy*w+x]
				}
				f[y*w+x] = s
			}
		}
	}
	conv(wsum)
	for _, v := range vals {
		conv(v)
		for i := range v {
			if wsum[i] > 1e-6 {
				v[i] /= wsum[i]
			} else {
				v[i] = 0
			}
		}
	}
	return wsum
}

// distanceToBackground returns, for each pixel, the approximate Euclidean distance (3-4
// chamfer) to the nearest pixel outside the mask, the image border counting as outside.
func distanceToBackground(mask []bool, w, h int) []float32 {
	// work on a grid padded by one background pixel on each side
	pw := w + 2
	d := make([]int32, pw*(h+2))
	const inf = 1 << 28
	for y := 0; y < h; y++ {
		row := mask[y*w : (y+1)*w]
		o := (y+1)*pw + 1
		for x, m := range row {
			if m {
				d[o+x] = inf
			}
		}
	}
	for y := 1; y <= h; y++ {
		for i := y*pw + 1; i <= y*pw+w; i++ {
			if d[i] == 0 {
				continue
			}
			d[i] = min(d[i], d[i-1]+3, d[i-pw]+3, d[i-pw-1]+4, d[i-pw+1]+4)
		}
	}
	for y := h; y >= 1; y-- {
		for i := y*pw + w; i >= y*pw+1; i-- {
			if d[i] == 0 {
				continue
			}
			d[i] = min(d[i], d[i+1]+3, d[i+pw]+3, d[i+pw+1]+4, d[i+pw-1]+4)
		}
	}
	out := make([]float32, w*h)
	for y := 0; y < h; y++ {
		src := d[(y+1)*pw+1 : (y+1)*pw+1+w]
		dst := out[y*w : (y+1)*w]
		for x, v := range src {
			dst[x] = float32(v) / 3
		}
	}
	return out
}

// atan2f is a fast float32 arctangent of y/x in (−π, π], max error about 1e-4 rad.
func atan2f(y, x float32) float32 {
	ax, ay := x, y
	if ax < 0 {
		ax = -ax
	}
	if ay < 0 {
		ay = -ay
	}
	if ax == 0 && ay == 0 {
		return 0
	}
	var a float32
	if ax >= ay {
		a = atanUnit(ay / ax)
	} else {
		a = math.Pi/2 - atanUnit(ax/ay)
	}
	if x < 0 {
		a = math.Pi - a
	}
	if y < 0 {
		a = -a
	}
	return a
}

// atanUnit approximates atan(t) for t in [0, 1].
func atanUnit(t float32) float32 {
	t2 := t * t
	// minimax polynomial, |error| < 1e-5
	return t * (0.99997726 + t2*(-0.33262347+t2*(0.19354346+t2*(-0.11643287+t2*(0.05265332+t2*(-0.01172120))))))
}
