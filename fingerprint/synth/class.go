package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Class is the Henry pattern class of a master print.
type Class uint8

// Pattern classes. AnyClass asks NewMaster to draw one with the natural frequencies.
const (
	AnyClass Class = iota
	Arch
	TentedArch
	LeftLoop
	RightLoop
	Whorl
)

var classNames = [...]string{"any", "arch", "tented_arch", "left_loop", "right_loop", "whorl"}

// ClassFrequency is the natural frequency of each class (Wilson et al., as used by SFinGe):
// arch 3.7 %, tented arch 2.9 %, left loop 33.8 %, right loop 31.7 %, whorl 27.9 %.
var ClassFrequency = map[Class]float64{
	Arch:       0.037,
	TentedArch: 0.029,
	LeftLoop:   0.338,
	RightLoop:  0.317,
	Whorl:      0.279,
}

// String names the class: "arch", "tented_arch", "left_loop", "right_loop", "whorl".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// MarshalText writes the class name (for JSON).
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a class name.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := ParseClass(string(b))
	if err == nil {
		*c = v
	}
	return err
}

// ParseClass returns the class with the given name ("any", "arch", "tented_arch",
// "left_loop", "right_loop", "whorl").
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if n == s {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("synth: unknown class %q", s)
}

// sampleClass maps u in [0, 1) onto a class with the natural frequencies.
func sampleClass(u float64) Class {
	acc := 0.0
	for c := Arch; c <= Whorl; c++ {
		acc += ClassFrequency[c]
		if u < acc {
			return c
		}
	}
	return Whorl
}

// Point is a singular point in image coordinates (top-left origin, y down).
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// orientationModel is the zero-pole (Sherlock–Monro) model of the ridge orientation:
// in mathematical coordinates (y up) the doubled ridge angle is
// 2θ(z) = Σ arg(z − core) − Σ arg(z − delta), so a core has Poincaré index +½ and a delta −½.
// An arch has no singular point; its field comes from a family of ridges bulging upwards,
// y = y0 − A(y0)·exp(−(x − cx)²/2s²).
type orientationModel struct {
	cores, deltas []Point
	arch          bool
	archCX        float64
	archY0        float64 // y at which the bulge is strongest
	archH         float64 // vertical extent of the bulge
	archA, archS  float64
	waves         []wave // smooth random perturbation of the doubled angle (image coordinates)
	// coreWarp[i] and deltaWarp[i] reshape the angle seen from each singular point:
	// α ↦ α + Σₙ aₙ·sin(n·α + φₙ) (n = 1…len), after Vizcaya and Gerhardt's piecewise-linear
	// correction of the zero-pole model. Σ n·|aₙ| < 1 keeps the map increasing, and
	// g(α + 2π) = g(α) + 2π, so the Poincaré indices (the class) are unchanged while the
	// shape of the loops and whorls varies from finger to finger.
	coreWarp, deltaWarp [][]warpTerm
}

// warpTerm is one term a·sin(n·α + ph) of a singular point's angle correction.
type warpTerm struct{ a, ph float64 }

// warp applies the correction terms ws to the angle α.
func warp(ws []warpTerm, alpha float64) float64 {
	g := alpha
	for n, w := range ws {
		g += w.a * math.Sin(float64(n+1)*alpha+w.ph)
	}
	return g
}

// newWarp draws terms whose Σ n·|aₙ| is at most total (< 1).
func newWarp(r *rand.Rand, terms int, total float64) []warpTerm {
	ws := make([]warpTerm, terms)
	budget := total * r.Float64()
	for n := range ws {
		// split the budget at random between the orders
		share := budget * r.Float64()
		if n == terms-1 {
			share = budget
		}
		budget -= share
		ws[n] = warpTerm{share / float64(n+1), 2 * math.Pi * r.Float64()}
	}
	return ws
}

// wave is one plane wave a·cos(kx·x + ky·y + ph).
type wave struct{ kx, ky, ph, a float64 }

// perturbation returns the doubled-angle perturbation at (x, y).
func (m *orientationModel) perturbation(x, y float64) float64 {
	d := 0.0
	for _, w := range m.waves {
		d += w.a * math.Cos(w.kx*x+w.ky*y+w.ph)
	}
	return d
}

// doubled returns cos 2φ, sin 2φ of the ridge angle φ at (x, y) in image coordinates
// (angle counter-clockwise from x with y down, i.e. clockwise on screen).
func (m *orientationModel) doubled(x, y float64) (float64, float64) {
	if m.arch {
		dy := (y - m.archY0) / m.archH
		a := m.archA * math.Exp(-dy*dy/2)
		dx := x - m.archCX
		slope := a * dx / (m.archS * m.archS) * math.Exp(-dx*dx/(2*m.archS*m.archS))
		phi := math.Atan(slope) // ridge direction (1, slope) in image coordinates
		t := 2*phi + m.perturbation(x, y)
		return math.Cos(t), math.Sin(t)
	}
	t := 0.0 // doubled angle in mathematical coordinates
	for i, c := range m.cores {
		t += warp(m.coreWarp[i], math.Atan2(-(y-c.Y), x-c.X))
	}
	for i, d := range m.deltas {
		t -= warp(m.deltaWarp[i], math.Atan2(-(y-d.Y), x-d.X))
	}
	// image angle φ = −θ
	t = -t + m.perturbation(x, y)
	return math.Cos(t), math.Sin(t)
}

// singularPoints places the cores and deltas of class c for a finger centred at (cx, cy)
// with semi-axes a, b.
func singularPoints(c Class, r *rand.Rand, cx, cy, a, b float64, p *params) *orientationModel {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	m := &orientationModel{}
	for range p.oriWaves {
		l := u(p.oriWaveMin, p.oriWaveMax)
		ang := u(0, math.Pi)
		m.waves = append(m.waves, wave{2 * math.Pi * math.Cos(ang) / l, 2 * math.Pi * math.Sin(ang) / l, u(0, 2*math.Pi), p.oriPerturb * u(0.5, 1)})
	}
	switch c {
	case Arch:
		m.arch = true
		m.archCX = cx + u(-0.15, 0.15)*a
		m.archY0 = cy + u(-0.2, 0.2)*b
		m.archH = b * u(0.45, 0.7)
		m.archA = p.archAmplitude * u(0.6, 1.2)
		m.archS = p.archWidth * u(0.8, 1.2)
	case TentedArch:
		core := Point{cx + u(-0.12, 0.12)*a, cy + u(-0.25, 0.05)*b}
		m.cores = []Point{core}
		m.deltas = []Point{{core.X + u(-8, 8), core.Y + u(45, 75)}}
	case LeftLoop, RightLoop:
		side := 1.0 // left loop: delta to the right of the core
		if c == RightLoop {
			side = -1
		}
		core := Point{cx + u(-0.15, 0.15)*a - side*u(0, 0.15)*a, cy + u(-0.25, 0.1)*b}
		m.cores = []Point{core}
		m.deltas = []Point{{core.X + side*u(p.loopDeltaX0, p.loopDeltaX1), core.Y + u(p.loopDeltaY0, p.loopDeltaY1)}}
	case Whorl:
		c1 := Point{cx + u(-0.12, 0.12)*a, cy + u(-0.25, 0.05)*b}
		ang := u(-0.6, 0.6) + math.Pi/2 // second core mostly below the first
		d := u(10, 35)
		c2 := Point{c1.X + d*math.Cos(ang), c1.Y + d*math.Sin(ang)}
		m.cores = []Point{c1, c2}
		mid := Point{(c1.X + c2.X) / 2, (c1.Y + c2.Y) / 2}
		m.deltas = []Point{
			{mid.X - u(70, 110), mid.Y + u(60, 110)},
			{mid.X + u(70, 110), mid.Y + u(60, 110)},
		}
	}
	for range m.cores {
		m.coreWarp = append(m.coreWarp, newWarp(r, 3, p.oriWarp))
	}
	for range m.deltas {
		m.deltaWarp = append(m.deltaWarp, newWarp(r, 3, p.oriWarp))
	}
	return m
}
