package extract

import (
	"github.com/biomesh/biomesh/internal/orientedfilter"
	"math"
	"sync"
)

// A Gabor filter tuned to ridge angle θ and wavelength λ is a Gaussian along the ridge
// times a Gaussian-windowed cosine across it, so it factors into two 1-D filters along
// rotated lines. enhance applies them as two passes over the padded image with tap offsets
// precomputed per orientation bin (nearest pixel on a digital line, weights from the exact
// projected distance) and weights per orientation × wavelength bin.

// lineTap is one tap of a rotated 1-D filter.
type lineTap = orientedfilter.Tap

// gaborBank is the precomputed kernel bank.
type gaborBank struct {
	angles  int
	lambdas []float32
	along   [][][]lineTap // [angle][lambda] Gaussian along the ridge
	across  [][][]lineTap // [angle][lambda] even Gabor across the ridge
	radius  int           // largest |dx|, |dy| of any tap
}

type bankKey struct {
	angles          int
	lo, hi, step    float32
	along, alongRel float64
	across, amax    float64
}

var (
	bankMu    sync.Mutex
	bankCache = map[bankKey]*gaborBank{}
)

// kernelBank returns the (cached) kernel bank for the parameters.
func kernelBank(p *params) *gaborBank {
	key := bankKey{p.gaborAngles, p.gaborLambdaLo, p.gaborLambdaHi, p.gaborLambdaStep, p.gaborAlong, p.gaborAlongRel, p.gaborAcross, p.gaborAcrossMax}
	bankMu.Lock()
	defer bankMu.Unlock()
	if b, ok := bankCache[key]; ok {
		return b
	}
	b := &gaborBank{angles: p.gaborAngles}
	for l := p.gaborLambdaLo; l <= p.gaborLambdaHi+1e-3; l += p.gaborLambdaStep {
		b.lambdas = append(b.lambdas, l)
	}
	for a := 0; a < b.angles; a++ {
		th := math.Pi * float64(a) / float64(b.angles)
		c, s := math.Cos(th), math.Sin(th)
		var alongs [][]lineTap
		for _, lam := range b.lambdas {
			sa := p.gaborAlong
			if p.gaborAlongRel > 0 {
				sa = math.Min(p.gaborAlongRel*float64(lam), p.gaborAlong)
			}
			taps := orientedfilter.Gaussian(c, s, sa)
			alongs = append(alongs, taps)
			b.radius = max(b.radius, orientedfilter.Radius(taps))
		}
		b.along = append(b.along, alongs)
		// normal direction
		nc, ns := -s, c
		var per [][]lineTap
		for _, lam := range b.lambdas {
			sg := math.Min(p.gaborAcross*float64(lam), p.gaborAcrossMax)
			taps := orientedfilter.Gabor(nc, ns, sg, float64(lam))
			per = append(per, taps)
			b.radius = max(b.radius, orientedfilter.Radius(taps))
		}
		b.across = append(b.across, per)
	}
	bankCache[key] = b
	return b
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// enhance filters the image with the Gabor bank, choosing per pixel the orientation bin of
// the interpolated orientation field and the wavelength bin of its block. The first pass
// (along the ridge) runs on the foreground dilated by the kernel radius, the second (across)
// on the foreground only; the result is 0 outside the mask, negative on ridges.
func (s *state) enhance() {
	p := s.p
	bank := kernelBank(p)
	w, h := s.w, s.h
	P := bank.radius + 1
	pw, ph := w+2*P, h+2*P

	// padded input, outside filled with the foreground mean
	var mean float64
	cnt := 0
	for i, m := range s.mask {
		if m {
			mean += float64(s.pix[i])
			cnt++
		}
	}
	if cnt > 0 {
		mean /= float64(cnt)
	}
	in := make([]float32, pw*ph)
	for i := range in {
		in[i] = float32(mean)
	}
	for y := 0; y < h; y++ {
		copy(in[(y+P)*pw+P:(y+P)*pw+P+w], s.pix[y*w:(y+1)*w])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			in[(y+P)*pw+P+x] -= float32(mean)
		}
	}

	// taps with offsets in the padded image, per angle (and wavelength)
	along := make([][][]tap, bank.angles)
	across := make([][][]tap, bank.angles)
	for a := 0; a < bank.angles; a++ {
		along[a] = make([][]tap, len(bank.lambdas))
		for l, taps := range bank.along[a] {
			for _, t := range taps {
				along[a][l] = append(along[a][l], tap{int32(t.DY*pw + t.DX), t.W})
			}
		}
		across[a] = make([][]tap, len(bank.lambdas))
		for l, taps := range bank.across[a] {
			for _, t := range taps {
				across[a][l] = append(across[a][l], tap{int32(t.DY*pw + t.DX), t.W})
			}
		}
	}

	// orientation bin per pixel
	abin := make([]uint8, w*h)
	scale := float32(bank.angles) / math.Pi
	for i, th := range s.pixTheta {
		b := int(th*scale + 0.5)
		if b >= bank.angles {
			b -= bank.angles
		}
		abin[i] = uint8(b)
	}

	// wavelength bin per block
	lbin := make([]uint8, s.bw*s.bh)
	nl := len(bank.lambdas)
	for i, lam := range s.wavelength {
		lb := int((lam-p.gaborLambdaLo)/p.gaborLambdaStep + 0.5)
		lbin[i] = uint8(min(max(lb, 0), nl-1))
	}

	// first pass (along the ridge) on the blocks near the foreground
	mid := make([]float32, pw*ph)
	B := p.block
	for y := 0; y < h; y++ {
		by := y / B
		for bx := 0; bx < s.bw; bx++ {
			if !s.near[by*s.bw+bx] {
				continue
			}
			x1 := min((bx+1)*B, w)
			lb := lbin[by*s.bw+bx]
			for x := bx * B; x < x1; x++ {
				c := (y+P)*pw + P + x
				var sum float32
				for _, t := range along[abin[y*w+x]][lb] {
					sum += t.w * in[c+int(t.off)]
				}
				mid[c] = sum
			}
		}
	}

	// second pass (across the ridge) on the foreground
	s.enh = make([]float32, w*h)
	for y := 0; y < h; y++ {
		brow := lbin[min(y/B, s.bh-1)*s.bw:]
		for x := 0; x < w; x++ {
			i := y*w + x
			if !s.mask[i] {
				continue
			}
			c := (y+P)*pw + P + x
			var sum float32
			for _, t := range across[abin[i]][brow[x/B]] {
				sum += t.w * mid[c+int(t.off)]
			}
			s.enh[i] = sum
		}
	}
}

// tap is a filter tap as an offset in the padded image and a weight.
type tap struct {
	off int32
	w   float32
}
