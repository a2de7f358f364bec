package imageio

import (
	"image"
	"math"
)

// Resample scales img by to/from (both in pixels per inch) with Catmull-Rom
// filtering. When downscaling, the kernel is widened by the scale factor, so
// that it averages (anti-aliases) like an area filter; this is the filter of
// golang.org/x/image/draw's CatmullRom, computed here for grey directly.
// The new size is the old one times to/from, rounded. Resample returns img
// unchanged when from == to or either is not positive. The caller bounds the
// scale factor: the result is allocated whatever its size.
func Resample(img *image.Gray, from, to int) *image.Gray {
	if from == to || from <= 0 || to <= 0 {
		return img
	}
	b := img.Bounds()
	return resize(img, scaled(b.Dx(), from, to), scaled(b.Dy(), from, to))
}

// resize scales img to w×h pixels, each axis independently, by a separable
// Catmull-Rom filter. It returns img when the size is unchanged.
func resize(img *image.Gray, w, h int) *image.Gray {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if w == sw && h == sh {
		return img
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	if sw <= 0 || sh <= 0 || w <= 0 || h <= 0 {
		return dst
	}
	// Horizontal pass: sh rows of w values.
	xs := filterTaps(sw, w)
	tmp := make([]float32, sh*w)
	for y := 0; y < sh; y++ {
		i := img.PixOffset(b.Min.X, b.Min.Y+y)
		src := img.Pix[i : i+sw]
		out := tmp[y*w : (y+1)*w]
		for x, t := range xs {
			var s float32
			in := src[t.first : t.first+len(t.w)]
			for k, wt := range t.w {
				s += wt * float32(in[k])
			}
			out[x] = s
		}
	}
	// Vertical pass.
	ys := filterTaps(sh, h)
	acc := make([]float32, w)
	for y, t := range ys {
		clear(acc)
		for k, wt := range t.w {
			row := tmp[(t.first+k)*w : (t.first+k+1)*w]
			row = row[:len(acc)]
			for x, v := range row {
				acc[x] += wt * v
			}
		}
		out := dst.Pix[y*w : (y+1)*w]
		for x, v := range acc {
			out[x] = clamp8(v)
		}
	}
	return dst
}

// taps are the weights of the source samples first, first+1, … for one
// output sample.
type taps struct {
	first int
	w     []float32
}

// filterTaps computes, for each of dn output samples spread over sn source
// samples, the normalised Catmull-Rom weights. Pixel centres are at
// half-integers; source samples beyond the edge are left out.
func filterTaps(sn, dn int) []taps {
	scale := float64(sn) / float64(dn)
	support, argScale := 2.0, 1.0
	if scale > 1 {
		support, argScale = 2*scale, 1/scale
	}
	all := make([]taps, dn)
	weights := make([]float32, 0, dn*(int(2*support)+2))
	for i := range all {
		center := (float64(i)+0.5)*scale - 0.5
		lo := max(int(math.Ceil(center-support)), 0)
		hi := min(int(math.Floor(center+support)), sn-1)
		start := len(weights)
		var sum float64
		for j := lo; j <= hi; j++ {
			v := catmullRom((float64(j) - center) * argScale)
			sum += v
			weights = append(weights, float32(v))
		}
		ws := weights[start:len(weights):len(weights)]
		if sum != 0 {
			for k := range ws {
				ws[k] = float32(float64(ws[k]) / sum)
			}
		}
		all[i] = taps{first: lo, w: ws}
	}
	return all
}

// catmullRom is the Catmull-Rom cubic (B = 0, C = 0.5) on [-2, 2].
func catmullRom(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

func clamp8(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
