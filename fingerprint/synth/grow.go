package synth

import (
	"github.com/biomesh/biomesh/internal/orientedfilter"
	"math"
	"math/rand/v2"
	"sync"
)

// The ridge pattern grows from sparse random seeds by iterated contextual filtering: each
// iteration applies, at every pixel of the (dilated) finger area, a Gabor filter tuned to
// the local orientation and ridge period, then divides the response by its local amplitude
// (block means of |response|) so that it saturates at ±1 everywhere, weak areas included.
// The filter factors into two 1-D passes along rotated digital lines (a Gaussian
// along the ridge, an even Gabor across it) taken from a kernel bank of orientation ×
// wavelength bins. Where growing wavefronts meet out of phase the pattern settles into
// endings and bifurcations: the minutiae.

// tap is one tap of a rotated 1-D filter.
type tap = orientedfilter.Tap

// bank is the kernel bank.
type bank struct {
	angles  int
	lambdas []float64
	along   [][]tap   // [angle]
	across  [][][]tap // [angle][lambda]
	radius  int
}

var (
	bankOnce   sync.Once
	theBank    *bank
	bankParams = &defaultParams
)

func kernels() *bank {
	bankOnce.Do(func() { theBank = newBank(bankParams) })
	return theBank
}

func newBank(p *params) *bank {
	b := &bank{angles: p.bankAngles}
	for l := p.bankLambda0; l <= p.bankLambda1+1e-9; l += p.bankStep {
		b.lambdas = append(b.lambdas, l)
	}
	for a := 0; a < b.angles; a++ {
		th := math.Pi * float64(a) / float64(b.angles)
		c, s := math.Cos(th), math.Sin(th)
		sa := p.sigmaAlong
		taps := orientedfilter.Gaussian(c, s, sa)
		b.radius = max(b.radius, orientedfilter.Radius(taps))
		b.along = append(b.along, taps)
		nc, ns := -s, c
		var per [][]tap
		for _, lam := range b.lambdas {
			sg := p.sigmaAcross * lam
			taps := orientedfilter.Gabor(nc, ns, sg, lam)
			b.radius = max(b.radius, orientedfilter.Radius(taps))
			per = append(per, taps)
		}
		b.across = append(b.across, per)
	}
	return b
}

// angleBin returns the bank orientation bin of the ridge angle whose doubled-angle vector
// is (c2, s2).
func angleBin(c2, s2 float64, n int) int {
	phi := math.Atan2(s2, c2) / 2 // (−π/2, π/2]
	k := int(math.Round(phi / math.Pi * float64(n)))
	return ((k % n) + n) % n
}

// grow grows the ridge pattern over the finger mask and returns the ridge profile
// (w×h, in [−1, 1], −1 outside the mask).
func grow(rng *rand.Rand, w, h int, mask []bool, om *orientationModel, period []float32, iters int, spacing float64, p *params) []float32 {
	b := kernels()
	pad := b.radius + 1
	W := w + 2*pad
	H := h + 2*pad
	const dilate = 10
	work := dilateMask(mask, w, h, dilate)
	// per work pixel: padded index, kernels
	type px struct {
		i      int32
		along  []int32
		wAlong []float32
		across []int32
		wAcr   []float32
	}
	// offsets per bank entry, converted to the padded stride once
	offAlong := make([][]int32, b.angles)
	wAlong := make([][]float32, b.angles)
	for a, taps := range b.along {
		for _, t := range taps {
			offAlong[a] = append(offAlong[a], int32(t.DY*W+t.DX))
			wAlong[a] = append(wAlong[a], t.W)
		}
	}
	offAcross := make([][][]int32, b.angles)
	wAcross := make([][][]float32, b.angles)
	for a := range b.across {
		offAcross[a] = make([][]int32, len(b.lambdas))
		wAcross[a] = make([][]float32, len(b.lambdas))
		for l, taps := range b.across[a] {
			for _, t := range taps {
				offAcross[a][l] = append(offAcross[a][l], int32(t.DY*W+t.DX))
				wAcross[a][l] = append(wAcross[a][l], t.W)
			}
		}
	}
	nWork := 0
	for _, m := range work {
		if m {
			nWork++
		}
	}
	pxs := make([]px, 0, nWork)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if !work[y*w+x] {
				continue
			}
			c2, s2 := om.doubled(float64(x), float64(y))
			a := angleBin(c2, s2, b.angles)
			l := int(math.Round((float64(period[y*w+x]) - b.lambdas[0]) / p.bankStep))
			l = min(len(b.lambdas)-1, max(0, l))
			pxs = append(pxs, px{int32((y+pad)*W + x + pad), offAlong[a], wAlong[a], offAcross[a][l], wAcross[a][l]})
		}
	}
	v := make([]float32, W*H)
	t1 := make([]float32, W*H)
	// seeds
	area := 0
	for _, m := range mask {
		if m {
			area++
		}
	}
	nSeeds := max(1, int(float64(area)/(spacing*spacing)+0.5))
	for k := 0; k < nSeeds; {
		x, y := rng.IntN(w), rng.IntN(h)
		if !mask[y*w+x] {
			continue
		}
		s := float32(1)
		if rng.IntN(2) == 0 {
			s = -1
		}
		v[(y+pad)*W+x+pad] = s
		k++
	}
	out := make([]float32, len(pxs))
	var mx float32
	for it := 0; it < iters; it++ {
		for _, q := range pxs {
			var s float32
			base := q.i
			for k, o := range q.along {
				s += v[base+o] * q.wAlong[k]
			}
			t1[base] = s
		}
		mx = 0
		for j, q := range pxs {
			var s float32
			base := q.i
			for k, o := range q.across {
				s += t1[base+o] * q.wAcr[k]
			}
			out[j] = s
			if s > mx {
				mx = s
			} else if -s > mx {
				mx = -s
			}
		}
		if mx == 0 {
			break
		}
		// Couple the two pixel parities: filters along exactly diagonal digital lines
		// only reach pixels of their own checkerboard colour, which would otherwise grow
		// two independent patterns (a grey checkerboard once smoothed).
		for j, q := range pxs {
			t1[q.i] = out[j]
		}
		for j, q := range pxs {
			i := q.i
			out[j] = 0.5*t1[i] + 0.125*(t1[i-1]+t1[i+1]+t1[i-int32(W)]+t1[i+int32(W)])
		}
		amp := localAmplitude(out, func(j int) (int, int) { return pxXY(pxs[j].i, W, pad) }, w, h, p.localBlock)
		floor := p.localFloor * mx
		for j, q := range pxs {
			x, y := pxXY(q.i, W, pad)
			a := amp.at(x, y)
			v[q.i] = min(1, max(-1, out[j]/(p.localGain*float32(a)+floor)))
		}
	}
	field := make([]float32, w*h)
	for y := 0; y < h; y++ {
		copy(field[y*w:(y+1)*w], v[(y+pad)*W+pad:])
	}
	field = gaussBlur(field, w, h, p.fieldBlur)
	for i, m := range mask {
		if !m {
			field[i] = -1
		}
	}
	return field
}

// dilateMask dilates mask by a square of radius r (two separable passes).
func dilateMask(mask []bool, w, h, r int) []bool {
	tmp := make([]bool, w*h)
	for y := 0; y < h; y++ {
		last := -1 << 30
		for x := 0; x < w; x++ {
			if mask[y*w+x] {
				last = x
			}
			tmp[y*w+x] = x-last <= r
		}
		last = 1 << 30
		for x := w - 1; x >= 0; x-- {
			if mask[y*w+x] {
				last = x
			}
			if last-x <= r {
				tmp[y*w+x] = true
			}
		}
	}
	out := make([]bool, w*h)
	for x := 0; x < w; x++ {
		last := -1 << 30
		for y := 0; y < h; y++ {
			if tmp[y*w+x] {
				last = y
			}
			out[y*w+x] = y-last <= r
		}
		last = 1 << 30
		for y := h - 1; y >= 0; y-- {
			if tmp[y*w+x] {
				last = y
			}
			if last-y <= r {
				out[y*w+x] = true
			}
		}
	}
	return out
}

// gaussBlur returns img smoothed by a separable Gaussian of σ sigma (clamped borders).
func gaussBlur(img []float32, w, h int, sigma float64) []float32 {
	if sigma <= 0 {
		return append([]float32(nil), img...)
	}
	r := int(math.Ceil(2.5 * sigma))
	k := make([]float32, 2*r+1)
	var sum float32
	for i := -r; i <= r; i++ {
		k[i+r] = float32(math.Exp(-float64(i*i) / (2 * sigma * sigma)))
		sum += k[i+r]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float32, w*h)
	for y := 0; y < h; y++ {
		row := img[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			var s float32
			for i := -r; i <= r; i++ {
				xx := min(w-1, max(0, x+i))
				s += row[xx] * k[i+r]
			}
			tmp[y*w+x] = s
		}
	}
	out := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			for i := -r; i <= r; i++ {
				yy := min(h-1, max(0, y+i))
				s += tmp[yy*w+x] * k[i+r]
			}
			out[y*w+x] = s
		}
	}
	return out
}

// pxXY returns the image coordinates of padded index i.
func pxXY(i int32, W, pad int) (int, int) {
	return int(i)%W - pad, int(i)/W - pad
}

// localAmplitude is the mean |out| over blocks of bs×bs pixels, smoothed over 3×3 blocks,
// as a grid interpolated bilinearly.
func localAmplitude(out []float32, xy func(j int) (int, int), w, h, bs int) *grid {
	bw, bh := (w+bs-1)/bs, (h+bs-1)/bs
	sum := make([]float32, bw*bh)
	cnt := make([]float32, bw*bh)
	for j, o := range out {
		x, y := xy(j)
		b := (y/bs)*bw + x/bs
		sum[b] += max(o, -o)
		cnt[b]++
	}
	g := &grid{v: make([]float32, bw*bh), w: bw, h: bh, cell: float64(bs)}
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			var s, c float32
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := bx+dx, by+dy
					if xx >= 0 && yy >= 0 && xx < bw && yy < bh {
						s += sum[yy*bw+xx]
						c += cnt[yy*bw+xx]
					}
				}
			}
			if c > 0 {
				g.v[by*bw+bx] = s / c
			}
		}
	}
	return g
}
