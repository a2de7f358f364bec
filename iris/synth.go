package iris

import (
	"image"
	"math"
	"math/rand/v2"
)

// SynthEye describes a synthetic near-infrared eye image, for tests and demonstrations on
// images that are not in any data set. Texture seeds the iris pattern (the identity); Capture
// seeds the sensor noise and the reflections of one capture.
type SynthEye struct {
	Texture, Capture uint64
	Width, Height    int     // default 320 × 280
	Pupil, Iris      Circle  // default centred, radii 35 and 100 (scaled with Width/320)
	Rotation         float64 // radians, turns the iris pattern (head tilt)
	PaintedPupil     bool    // a uniform black pupil (as CASIA v1); otherwise a dark noisy one
	Reflections      int     // specular highlights on the pupil border
	UpperLid         float64 // how far the upper lid comes down, as a fraction of the iris diameter (0: not at all)
	Lashes           int     // eyelashes hanging from the upper lid
	Blur             float64 // Gaussian σ of defocus, pixels
	Noise            float64 // sensor noise σ, grey levels (default 2)
}

// Synthesize renders the eye. The iris pattern is defined in rubber-sheet coordinates
// (angle, fraction of the way from pupil to limbus), so two renders with the same Texture
// but other pupil sizes, positions or rotations show the same iris.
func Synthesize(e SynthEye) *image.Gray {
	if e.Width == 0 {
		e.Width, e.Height = 320, 280
	}
	k := float64(e.Width) / 320
	if e.Iris.R == 0 {
		e.Iris = Circle{float64(e.Width) / 2, float64(e.Height) / 2, 100 * k}
	}
	if e.Pupil.R == 0 {
		e.Pupil = Circle{e.Iris.X, e.Iris.Y, 35 * k}
	}
	if e.Noise == 0 {
		e.Noise = 2
	}
	tex := rand.New(rand.NewPCG(e.Texture, 0x1215))
	type wave struct{ a, m, c, ph float64 }
	waves := make([]wave, 80)
	for i := range waves {
		waves[i] = wave{tex.Float64(), float64(3 + tex.IntN(40)), 0.5 + 4*tex.Float64(), 2 * math.Pi * tex.Float64()}
	}
	pattern := func(th, rho float64) float64 {
		var v float64
		for _, w := range waves {
			v += w.a * math.Cos(w.m*th+w.c*2*math.Pi*rho+w.ph)
		}
		return v / 4
	}
	capt := rand.New(rand.NewPCG(e.Capture, 0x5eed))
	g := newPlane(e.Width, e.Height)
	lidY := func(x float64) float64 { // upper lid edge
		top := e.Iris.Y - e.Iris.R + e.UpperLid*2*e.Iris.R
		dx := (x - e.Iris.X) / (2.2 * e.Iris.R)
		return top + 1.6*e.Iris.R*dx*dx
	}
	for y := range e.Height {
		for x := range e.Width {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			v := 200.0 // sclera
			// The eye opening: an almond between two parabolas; skin outside.
			dx := (fx - e.Iris.X) / (2.4 * e.Iris.R)
			if fy < e.Iris.Y-1.15*e.Iris.R*(1-dx*dx) || fy > e.Iris.Y+1.1*e.Iris.R*(1-dx*dx) {
				v = 165
			}
			di := math.Hypot(fx-e.Iris.X, fy-e.Iris.Y)
			dp := math.Hypot(fx-e.Pupil.X, fy-e.Pupil.Y)
			if di < e.Iris.R+1 {
				th := math.Atan2(fy-e.Pupil.Y, fx-e.Pupil.X)
				// rho: where the point sits between the pupil and the limbus along th.
				c, s := math.Cos(th), math.Sin(th)
				// limbus distance from the pupil centre along th
				ox, oy := e.Pupil.X-e.Iris.X, e.Pupil.Y-e.Iris.Y
				b := ox*c + oy*s
				lim := -b + math.Sqrt(max(0, b*b-(ox*ox+oy*oy-e.Iris.R*e.Iris.R)))
				rho := (dp - e.Pupil.R) / (lim - e.Pupil.R)
				iv := 105 + 22*pattern(th-e.Rotation, rho) - 10*rho
				t := min(1, max(0, e.Iris.R+1-di)) // soft limbus
				v = t*iv + (1-t)*v
			}
			if dp < e.Pupil.R+0.5 {
				t := min(1, max(0, e.Pupil.R+0.5-dp))
				pv := 35 + 4*capt.NormFloat64()
				if e.PaintedPupil {
					pv = 0
				}
				v = t*pv + (1-t)*v
			}
			if e.UpperLid > 0 && fy < lidY(fx) {
				v = 150
			}
			g.p[y*e.Width+x] = float32(v)
		}
	}
	for range e.Lashes {
		x0 := e.Iris.X + (capt.Float64()*2-1)*e.Iris.R
		y0 := lidY(x0)
		if e.UpperLid == 0 {
			y0 = e.Iris.Y - e.Iris.R
		}
		l := (0.15 + 0.2*capt.Float64()) * e.Iris.R
		a := math.Pi/2 + (capt.Float64()-0.5)*0.6
		for t := 0.0; t < l; t += 0.5 {
			x, y := int(x0+t*math.Cos(a)), int(y0+t*math.Sin(a))
			if x >= 0 && y >= 0 && x < e.Width && y < e.Height {
				g.p[y*e.Width+x] = 40
			}
		}
	}
	for range e.Reflections {
		th := 2 * math.Pi * capt.Float64()
		cx, cy := e.Pupil.X+e.Pupil.R*0.9*math.Cos(th), e.Pupil.Y+e.Pupil.R*0.9*math.Sin(th)
		r := 3 + 3*capt.Float64()
		for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
			for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
				if x >= 0 && y >= 0 && x < e.Width && y < e.Height && math.Hypot(float64(x)-cx, float64(y)-cy) <= r {
					g.p[y*e.Width+x] = 252
				}
			}
		}
	}
	if e.Blur > 0 {
		g = g.blur(e.Blur)
	}
	out := image.NewGray(image.Rect(0, 0, e.Width, e.Height))
	for i, v := range g.p {
		out.Pix[i] = uint8(min(255, max(0, math.Round(float64(v)+e.Noise*capt.NormFloat64()))))
	}
	return out
}
