package synth

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/biomesh/biomesh/fingerprint"
)

// ErrOptions is wrapped by every error about impossible parameters.
var ErrOptions = errors.New("synth: invalid options")

// MasterOptions controls NewMaster. The zero value (or nil) gives a 300×400 image at
// 500 ppi, a class drawn with the natural frequencies and ridge periods of 8–11 px.
type MasterOptions struct {
	Width, Height int     // image size in pixels (0: 300×400); 128–2000 each
	Class         Class   // pattern class (AnyClass: drawn at random)
	MinPeriod     float64 // shortest ridge period in pixels (0: 8); 5–16
	MaxPeriod     float64 // longest ridge period in pixels (0: 11); ≥ MinPeriod, ≤ 16
	Iterations    int     // ridge-growth iterations (0: 10); 1–200
	SeedSpacing   float64 // mean distance in pixels between growth seeds (0: 10); 10–500
}

// Master is a master print: the clean ridge pattern of one finger, from which impressions
// are taken.
type Master struct {
	Seed   uint64
	Class  Class
	Cores  []Point // singular points, image coordinates (may lie outside the image)
	Deltas []Point
	// Image is the clean print: black ridges, white valleys and background.
	Image *image.Gray
	// Minutiae is the ground truth: the minutiae of the clean print, read off its ridge
	// pattern (groundtruth.go), independently of the project's extractor.
	Minutiae *fingerprint.Template

	w, h   int
	field  []float32 // ridge profile in [−1, 1], positive on ridges, −1 outside the finger
	mask   []bool
	om     *orientationModel
	period []float32 // ridge period map (px)
	cx, cy float64   // finger centre
	a, b   float64   // finger semi-axes
}

func (o *MasterOptions) resolve() (MasterOptions, error) {
	p := &defaultParams
	r := MasterOptions{}
	if o != nil {
		r = *o
	}
	if r.Width == 0 {
		r.Width = p.width
	}
	if r.Height == 0 {
		r.Height = p.height
	}
	if r.MinPeriod == 0 {
		r.MinPeriod = p.minPeriod
	}
	if r.MaxPeriod == 0 {
		r.MaxPeriod = max(p.maxPeriod, r.MinPeriod)
	}
	if r.Iterations == 0 {
		r.Iterations = p.iterations
	}
	if r.SeedSpacing == 0 {
		r.SeedSpacing = p.seedSpacing
	}
	switch {
	case r.Width < 128 || r.Height < 128 || r.Width > 2000 || r.Height > 2000:
		return r, fmt.Errorf("%w: image size %dx%d (each side must be 128–2000)", ErrOptions, r.Width, r.Height)
	case r.Class > Whorl:
		return r, fmt.Errorf("%w: class %d", ErrOptions, r.Class)
	case !(r.MinPeriod >= 5 && r.MaxPeriod <= 16 && r.MinPeriod <= r.MaxPeriod):
		return r, fmt.Errorf("%w: ridge period %g–%g px (must be within 5–16 px, min ≤ max)", ErrOptions, r.MinPeriod, r.MaxPeriod)
	case r.Iterations < 1 || r.Iterations > 200:
		return r, fmt.Errorf("%w: %d iterations (1–200)", ErrOptions, r.Iterations)
	case !(r.SeedSpacing >= 10 && r.SeedSpacing <= 500):
		return r, fmt.Errorf("%w: seed spacing %g px (10–500)", ErrOptions, r.SeedSpacing)
	}
	return r, nil
}

// NewMaster generates the master print of seed: class, singular points, orientation and
// frequency fields, finger mask, ridge growth, and the ground-truth minutiae.
func NewMaster(seed uint64, opts *MasterOptions) (*Master, error) {
	o, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	p := &defaultParams
	rng := rand.New(rand.NewPCG(seed, 0x6d617374)) // "mast"
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	class := o.Class
	if class == AnyClass {
		class = sampleClass(rng.Float64())
	}
	w, h := o.Width, o.Height
	sx, sy := float64(w)/float64(p.width), float64(h)/float64(p.height)
	m := &Master{Seed: seed, Class: class, w: w, h: h}
	m.a = p.maskA * min(sx, sy) * (1 + p.maskJitter*u(-1, 1))
	m.b = p.maskB * min(sx, sy) * (1 + p.maskJitter*u(-1, 1))
	m.cx = float64(w)/2 + u(-0.04, 0.04)*float64(w)
	m.cy = float64(h)/2 + u(-0.03, 0.03)*float64(h)
	m.mask = fingerMask(w, h, m.cx, m.cy, m.a, m.b, p.maskBottomExp)

	om := singularPoints(class, rng, m.cx, m.cy, m.a, m.b, p)
	m.om = om
	m.Cores = append([]Point(nil), om.cores...)
	m.Deltas = append([]Point(nil), om.deltas...)
	period := periodMap(rng, w, h, o.MinPeriod, o.MaxPeriod, p.periodVar, om, m.mask)
	m.period = period
	m.field = grow(rng, w, h, m.mask, om, period, o.Iterations, o.SeedSpacing, p)
	m.Image = m.render()
	m.Minutiae = &fingerprint.Template{
		Width: w, Height: h, Resolution: fingerprint.DefaultResolution, Quality: 100,
		Minutiae: m.truthMinutiae(),
	}
	return m, nil
}

// fingerMask is the finger shape: an ellipse on top, a super-ellipse (squarer) below the
// centre.
func fingerMask(w, h int, cx, cy, a, b, bottomExp float64) []bool {
	mask := make([]bool, w*h)
	for y := 0; y < h; y++ {
		dy := math.Abs(float64(y)-cy) / b
		for x := 0; x < w; x++ {
			dx := math.Abs(float64(x)-cx) / a
			var v float64
			if float64(y) < cy {
				v = dx*dx + dy*dy
			} else {
				v = math.Pow(dx, bottomExp) + math.Pow(dy, bottomExp)
			}
			mask[y*w+x] = v <= 1 && x >= 2 && y >= 2 && x < w-2 && y < h-2
		}
	}
	return mask
}

// periodMap is the ridge period: a random mean in [lo, hi] plus a few random plane waves
// of wavelength 200–500 px, clamped to [lo, hi], times the flow-following factor (see
// flowLogPeriod), which may take it up to 20 % below lo and 25 % above hi.
//
// Without that factor nearly every minutia of a grown master is one that the flow geometry
// forces, in the same places and pointing the same way in every finger of a class; with
// it, impostor scores come close to those of real fingers (FMR at calibrated score 20 from
// 5.6 % to 1.2–1.9 % on 100 fingers × 8 impressions, seeds 1–3; real FVC: 0.1–2.4 %).
func periodMap(rng *rand.Rand, w, h int, lo, hi, amp float64, om *orientationModel, mask []bool) []float32 {
	p := &defaultParams
	mean := lo + (hi-lo)*(0.25+0.5*rng.Float64())
	var ws [3]wave
	for i := range ws {
		l := 200 + 300*rng.Float64()
		ang := math.Pi * rng.Float64()
		ws[i] = wave{2 * math.Pi * math.Cos(ang) / l, 2 * math.Pi * math.Sin(ang) / l, 2 * math.Pi * rng.Float64(), amp * (0.5 + rng.Float64())}
	}
	var flow []float32
	if p.flowAdapt > 0 {
		flow = flowLogPeriod(om, mask, w, h)
	}
	out := make([]float32, w*h)
	blo, bhi := max(5, lo*0.8), min(16, hi*1.25) // within the kernel bank (4–16 px)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := mean
			for _, wv := range ws {
				v += wv.a * math.Cos(wv.kx*float64(x)+wv.ky*float64(y)+wv.ph) / float64(len(ws))
			}
			v = min(hi, max(lo, v))
			if flow != nil {
				// a soft limit: the flow would ask for any period near singular points
				e := p.flowRange * math.Tanh(p.flowAdapt*float64(flow[y*w+x])/p.flowRange)
				v = min(bhi, max(blo, v*math.Exp(e)))
			}
			out[y*w+x] = float32(v)
		}
	}
	return out
}

// render draws the clean master: ridge profile mapped to grey, white outside the finger.
func (m *Master) render() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, m.w, m.h))
	for i, v := range m.field {
		g := 255.0
		if m.mask[i] {
			g = 127.5 - 127.5*min(1, max(-1, 1.5*float64(v)))
		}
		img.Pix[i] = uint8(math.Round(g))
	}
	return img
}

// Size returns the master image's width and height.
func (m *Master) Size() (int, int) { return m.w, m.h }
