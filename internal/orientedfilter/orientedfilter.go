// Package orientedfilter builds rotated 1-D filter kernels on the pixel grid: a Gaussian
// along a direction and an even Gabor across it, the two passes of an oriented Gabor filter
// as the fingerprint extractor and the synthetic ridge generator apply it.
package orientedfilter

import "math"

// Tap is one pixel of a rotated 1-D kernel: its offset from the centre and its weight.
type Tap struct {
	DX, DY int
	W      float32
}

// Line returns the pixels of the digital line through the origin with direction (c, s),
// stepping one pixel along the major axis, within distance r of the origin; weights are 0.
func Line(c, s, r float64) []Tap {
	var taps []Tap
	if math.Abs(c) >= math.Abs(s) {
		n := int(r * math.Abs(c))
		for i := -n; i <= n; i++ {
			taps = append(taps, Tap{DX: i, DY: int(math.Round(float64(i) * s / c))})
		}
	} else {
		n := int(r * math.Abs(s))
		for i := -n; i <= n; i++ {
			taps = append(taps, Tap{DX: int(math.Round(float64(i) * c / s)), DY: i})
		}
	}
	return taps
}

// Gaussian returns a Gaussian of standard deviation sigma along direction (c, s), cut at
// 2.5 sigma, with weights summing to 1.
func Gaussian(c, s, sigma float64) []Tap {
	taps := Line(c, s, 2.5*sigma)
	var sum float64
	for i := range taps {
		d := float64(taps[i].DX)*c + float64(taps[i].DY)*s
		wt := math.Exp(-d * d / (2 * sigma * sigma))
		taps[i].W = float32(wt)
		sum += wt
	}
	for i := range taps {
		taps[i].W /= float32(sum)
	}
	return taps
}

// Gabor returns an even Gabor kernel along direction (c, s): a cosine of wavelength lambda
// under a Gaussian of standard deviation sigma, cut at 2.5 sigma, with its DC response
// removed and its absolute weights summing to 2.
func Gabor(c, s, sigma, lambda float64) []Tap {
	taps := Line(c, s, 2.5*sigma)
	g := make([]float64, len(taps))
	cs := make([]float64, len(taps))
	var gs, gcs float64
	for i := range taps {
		d := float64(taps[i].DX)*c + float64(taps[i].DY)*s
		g[i] = math.Exp(-d * d / (2 * sigma * sigma))
		cs[i] = math.Cos(2 * math.Pi * d / lambda)
		gs += g[i]
		gcs += g[i] * cs[i]
	}
	dc := gcs / gs
	var norm float64
	for i := range taps {
		v := g[i] * (cs[i] - dc)
		taps[i].W = float32(v)
		norm += math.Abs(v)
	}
	for i := range taps {
		taps[i].W /= float32(norm / 2)
	}
	return taps
}

// Radius returns the largest offset of any tap along either axis.
func Radius(taps []Tap) int {
	r := 0
	for _, t := range taps {
		r = max(r, abs(t.DX), abs(t.DY))
	}
	return r
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
