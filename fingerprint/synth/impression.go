package synth

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/biomesh/biomesh/fingerprint"
)

// ImpressionOptions controls Impression. The zero value (or nil) gives a noisy, distorted
// impression of the master's size.
type ImpressionOptions struct {
	Width, Height  int     // image size (0: the master's); 128–2000 each
	MaxRotation    float64 // largest rotation in degrees (0: 20); 0–180; negative: none
	MaxTranslation float64 // largest translation in pixels (0: 25); negative: none
	Distortion     float64 // scale of the elastic distortion (0: 1); negative: none; at most 5
	// Clean gives a noise-free impression: no pressure change, noise, dry spots, blur or
	// scratches (geometry and contact area are still random).
	Clean bool
}

// Transform maps master coordinates onto an impression: first Cappelli's elastic
// distortion (identity within R0 of the contact centre, increasingly the small rigid
// motion DistRotation/DistShift outward), then the rigid motion (rotation Rotation about
// the master centre (CX, CY), which moves to (CX+TX, CY+TY)). Angles are in radians,
// counter-clockwise as seen on the image.
type Transform struct {
	CX       float64 `json:"cx"`
	CY       float64 `json:"cy"`
	Rotation float64 `json:"rotation"`
	TX       float64 `json:"tx"`
	TY       float64 `json:"ty"`
	ContactX float64 `json:"contact_x"` // centre of the rigid contact region, master coordinates
	ContactY float64 `json:"contact_y"`
	R0       float64 `json:"r0"` // radius of the undistorted region
	K        float64 `json:"k"`  // brake scale: distortion reaches 1−1/e at R0+K·√2
	DistRot  float64 `json:"dist_rotation"`
	DistTX   float64 `json:"dist_tx"`
	DistTY   float64 `json:"dist_ty"`
}

// brake is the weight of the elastic displacement at distance r from the contact centre.
func (t *Transform) brake(r float64) float64 {
	if r <= t.R0 {
		return 0
	}
	d := (r - t.R0) / t.K
	return 1 - math.Exp(-d*d/2)
}

// distort applies the elastic part.
func (t *Transform) distort(x, y float64) (float64, float64) {
	dx, dy := x-t.ContactX, y-t.ContactY
	b := t.brake(math.Hypot(dx, dy))
	if b == 0 {
		return x, y
	}
	c, s := math.Cos(t.DistRot), math.Sin(t.DistRot)
	// rotation counter-clockwise on screen (y down)
	tx := c*dx + s*dy + t.ContactX + t.DistTX
	ty := -s*dx + c*dy + t.ContactY + t.DistTY
	return x + b*(tx-x), y + b*(ty-y)
}

// Apply maps a master point to the impression.
func (t *Transform) Apply(x, y float64) (float64, float64) {
	x, y = t.distort(x, y)
	c, s := math.Cos(t.Rotation), math.Sin(t.Rotation)
	dx, dy := x-t.CX, y-t.CY
	return c*dx + s*dy + t.CX + t.TX, -s*dx + c*dy + t.CY + t.TY
}

// Inverse maps an impression point back to the master (the elastic part is inverted by
// fixed-point iteration).
func (t *Transform) Inverse(x, y float64) (float64, float64) {
	c, s := math.Cos(t.Rotation), math.Sin(t.Rotation)
	dx, dy := x-t.CX-t.TX, y-t.CY-t.TY
	px, py := c*dx-s*dy+t.CX, s*dx+c*dy+t.CY
	qx, qy := px, py
	for range 8 {
		ex, ey := t.distort(qx, qy)
		qx, qy = qx+(px-ex), qy+(py-ey)
	}
	return qx, qy
}

// ApplyMinutia maps a master minutia (ISO direction) to the impression.
func (t *Transform) ApplyMinutia(m fingerprint.Minutia) (x, y, dir float64) {
	x, y = t.Apply(float64(m.X), float64(m.Y))
	const eps = 3
	x2, y2 := t.Apply(float64(m.X)+eps*math.Cos(m.Direction), float64(m.Y)-eps*math.Sin(m.Direction))
	return x, y, fingerprint.NormalizeAngle(math.Atan2(-(y2 - y), x2-x))
}

// Impression is one impression of a master.
type Impression struct {
	Seed      uint64
	Image     *image.Gray // 500 ppi, dark ridges on a light background
	Transform Transform   // master → impression coordinates
	// Minutiae is the ground truth: the master's minutiae mapped through Transform that
	// fall inside the contact area.
	Minutiae *fingerprint.Template
	contact  []bool
}

// Contact reports whether impression pixel (x, y) is inside the contact area.
func (im *Impression) Contact(x, y int) bool {
	b := im.Image.Bounds()
	if x < 0 || y < 0 || x >= b.Dx() || y >= b.Dy() {
		return false
	}
	return im.contact[y*b.Dx()+x]
}

// innerContact reports whether the square of side 2r+1 around impression pixel (x, y) lies
// inside the contact area.
func (im *Impression) innerContact(x, y, r int) bool {
	for dy := -r; dy <= r; dy += r {
		for dx := -r; dx <= r; dx += r {
			if !im.Contact(x+dx, y+dy) {
				return false
			}
		}
	}
	return true
}

func (o *ImpressionOptions) resolve(m *Master) (ImpressionOptions, error) {
	p := &defaultParams
	r := ImpressionOptions{}
	if o != nil {
		r = *o
	}
	if r.Width == 0 {
		r.Width = m.w
	}
	if r.Height == 0 {
		r.Height = m.h
	}
	def := func(v *float64, d float64) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&r.MaxRotation, p.maxRotation)
	def(&r.MaxTranslation, p.maxTranslation)
	def(&r.Distortion, 1)
	switch {
	case r.Width < 128 || r.Height < 128 || r.Width > 2000 || r.Height > 2000:
		return r, fmt.Errorf("%w: impression size %dx%d (each side must be 128–2000)", ErrOptions, r.Width, r.Height)
	case r.MaxRotation > 180 || math.IsNaN(r.MaxRotation):
		return r, fmt.Errorf("%w: rotation %g° (at most 180°)", ErrOptions, r.MaxRotation)
	case r.MaxTranslation > float64(max(r.Width, r.Height)) || math.IsNaN(r.MaxTranslation):
		return r, fmt.Errorf("%w: translation %g px exceeds the image", ErrOptions, r.MaxTranslation)
	case r.Distortion > 5 || math.IsNaN(r.Distortion):
		return r, fmt.Errorf("%w: distortion scale %g (at most 5)", ErrOptions, r.Distortion)
	}
	return r, nil
}

// Impression takes an impression of the master: contact area, rotation, translation,
// elastic distortion, pressure (ridge thickness), dry spots, noise, blur, scratches and a
// background. The same seed gives the same impression.
func (m *Master) Impression(seed uint64, opts *ImpressionOptions) (*Impression, error) {
	o, err := opts.resolve(m)
	if err != nil {
		return nil, err
	}
	p := &defaultParams
	rng := rand.New(rand.NewPCG(m.Seed, seed^0x696d7072)) // "impr"
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	W, H := o.Width, o.Height
	deg := math.Pi / 180
	t := Transform{
		CX: m.cx, CY: m.cy,
		Rotation: u(-1, 1) * o.MaxRotation * deg,
		TX:       float64(W-m.w)/2 + u(-1, 1)*o.MaxTranslation,
		TY:       float64(H-m.h)/2 + u(-1, 1)*o.MaxTranslation,
	}
	// contact area: an ellipse in master coordinates around a shifted centre
	ccx := m.cx + u(-1, 1)*p.contactShift*0.6
	ccy := m.cy + u(-1, 1)*p.contactShift
	ca := m.a * u(p.contactMin, p.contactMax)
	cb := m.b * u(p.contactMin, p.contactMax)
	t.ContactX, t.ContactY = ccx, ccy
	t.R0 = p.distR0 * u(0.7, 1.3)
	t.K = p.distK * u(0.7, 1.3)
	t.DistRot = u(-1, 1) * p.distRotation * deg * o.Distortion
	t.DistTX = u(-1, 1) * p.distShift * o.Distortion
	t.DistTY = u(-1, 1) * p.distShift * o.Distortion

	// skin and capture conditions
	thr, contrast, noise, blur := 0.0, 1.0, 0.0, 0.0
	dryFrac, poreFrac, edgeThr, pressVar := 0.0, 0.0, 0.0, 0.0
	scratches := 0
	bg := 255.0
	if !o.Clean {
		// one difficulty in [0, 1] drives every degradation, so that poor impressions are
		// poor in several ways at once, as real ones are
		d := math.Pow(rng.Float64(), p.difficultyExp)
		thr = u(-1, 1) * p.pressureMax * (0.3 + 0.7*d)
		contrast = 1 - u(0, 0.7)*d
		noise = (0.15 + 0.85*d) * p.noiseMax
		blur = 0.4 + 1.2*d*rng.Float64()
		dryFrac = p.dryMax * d * rng.Float64()
		poreFrac = p.poreMax * d * rng.Float64()
		edgeThr = p.edgeDry * (0.3 + 0.7*d) * rng.Float64()
		pressVar = p.pressureVar * d
		scratches = rng.IntN(p.maxScratches + 1)
		bg = u(200, 250)
	}
	ridgeGrey := bg - contrast*(bg-20)
	var dry, pores, press *grid
	if dryFrac > 0 {
		dry = randomGrid(rng, W, H, p.dryCell)
	}
	if poreFrac > 0 {
		pores = randomGrid(rng, W, H, p.poreCell)
	}
	if pressVar > 0 {
		press = randomGrid(rng, W, H, p.pressureCell)
	}

	// the inverse map on a coarse grid, interpolated: the map is smooth
	const step = 4
	gw, gh := (W+step-1)/step+1, (H+step-1)/step+1
	invX, invY := make([]float32, gw*gh), make([]float32, gw*gh)
	for gy := 0; gy < gh; gy++ {
		for gx := 0; gx < gw; gx++ {
			ix, iy := t.Inverse(float64(gx*step), float64(gy*step))
			invX[gy*gw+gx], invY[gy*gw+gx] = float32(ix), float32(iy)
		}
	}
	img := make([]float32, W*H)
	contact := make([]bool, W*H)
	fade := p.contactFade
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			fx, fy := float64(x)/step, float64(y)/step
			mx := float64(bilinear(invX, gw, gh, fx, fy))
			my := float64(bilinear(invY, gw, gh, fx, fy))
			// soft contact: distance inside the contact ellipse, in pixels (approximate)
			ex, ey := (mx-ccx)/ca, (my-ccy)/cb
			e := 1 - math.Sqrt(ex*ex+ey*ey)
			inside := e * min(ca, cb)
			v, ok := m.sample(mx, my)
			g := bg
			if ok && inside > 0 {
				contact[y*W+x] = true
				th := thr + edgeThr*max(0, 1-e/0.4)
				if press != nil {
					th += pressVar * (2*press.at(x, y) - 1)
				}
				r := min(1, max(0, (float64(v)-th)*2.5+0.5))
				wgt := min(1, inside/fade)
				if dry != nil {
					if d := dry.at(x, y); d < dryFrac {
						r *= d / dryFrac
					}
				}
				if pores != nil && pores.at(x, y) < poreFrac {
					r *= 0.3
				}
				g = bg - (bg-ridgeGrey)*r*wgt
			}
			img[y*W+x] = float32(g)
		}
	}
	if scratches > 0 {
		for range scratches {
			x0, y0 := u(0, float64(W)), u(0, float64(H))
			ang := u(0, math.Pi)
			l := u(40, 200)
			grey := float32(u(bg-20, bg))
			width := 1 + rng.IntN(3)
			n := int(l)
			for k := 0; k < n; k++ {
				for j := 0; j < width; j++ {
					xi := int(x0 + float64(k)*math.Cos(ang) - float64(j)*math.Sin(ang))
					yi := int(y0 + float64(k)*math.Sin(ang) + float64(j)*math.Cos(ang))
					if xi >= 0 && yi >= 0 && xi < W && yi < H {
						img[yi*W+xi] = grey
					}
				}
			}
		}
	}
	if blur > 0 {
		img = gaussBlur(img, W, H, blur)
	}
	out := image.NewGray(image.Rect(0, 0, W, H))
	for i, v := range img {
		if noise > 0 {
			v += float32(rng.NormFloat64() * noise)
		}
		out.Pix[i] = uint8(min(255, max(0, math.Round(float64(v)))))
	}
	im := &Impression{Seed: seed, Image: out, Transform: t, contact: contact}
	im.Minutiae = im.project(m.Minutiae)
	return im, nil
}

// project maps master minutiae through the impression's transform and keeps those that
// fall inside its contact area.
func (im *Impression) project(t *fingerprint.Template) *fingerprint.Template {
	b := im.Image.Bounds()
	gt := &fingerprint.Template{Width: b.Dx(), Height: b.Dy(), Resolution: fingerprint.DefaultResolution, Quality: t.Quality}
	for _, mm := range t.Minutiae {
		x, y, d := im.Transform.ApplyMinutia(mm)
		xi, yi := int(math.Round(x)), int(math.Round(y))
		if !im.Contact(xi, yi) {
			continue
		}
		mm.X, mm.Y, mm.Direction = xi, yi, d
		gt.Minutiae = append(gt.Minutiae, mm)
	}
	return gt
}

// sample returns the master's ridge profile at (x, y) (bilinear) and whether the point is
// on the finger.
func (m *Master) sample(x, y float64) (float32, bool) {
	xi, yi := int(math.Floor(x)), int(math.Floor(y))
	if xi < 0 || yi < 0 || xi >= m.w-1 || yi >= m.h-1 {
		return -1, false
	}
	i := yi*m.w + xi
	if !m.mask[i] || !m.mask[i+1] || !m.mask[i+m.w] || !m.mask[i+m.w+1] {
		return -1, false
	}
	return bilinear(m.field, m.w, m.h, x, y), true
}

// bilinear interpolates img (w×h) at (x, y), clamped to the image.
func bilinear(img []float32, w, h int, x, y float64) float32 {
	x = min(float64(w-1), max(0, x))
	y = min(float64(h-1), max(0, y))
	xi, yi := min(w-2, int(x)), min(h-2, int(y))
	fx, fy := float32(x-float64(xi)), float32(y-float64(yi))
	i := yi*w + xi
	a := img[i] + (img[i+1]-img[i])*fx
	b := img[i+w] + (img[i+w+1]-img[i+w])*fx
	return a + (b-a)*fy
}

// grid is a coarse grid of uniform random values, interpolated bilinearly.
type grid struct {
	v    []float32
	w, h int
	cell float64
}

func randomGrid(rng *rand.Rand, w, h int, cell float64) *grid {
	g := &grid{w: int(float64(w)/cell) + 2, h: int(float64(h)/cell) + 2, cell: cell}
	g.v = make([]float32, g.w*g.h)
	for i := range g.v {
		g.v[i] = float32(rng.Float64())
	}
	return g
}

// at returns the interpolated value at pixel (x, y).
func (g *grid) at(x, y int) float64 {
	return float64(bilinear(g.v, g.w, g.h, float64(x)/g.cell, float64(y)/g.cell))
}
