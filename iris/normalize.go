package iris

import (
	"math"
	"slices"
)

// strip is the rubber-sheet image: rows from the pupil (row 0) to the limbus, columns
// around the eye, with a validity flag per sample.
type strip struct {
	rows, cols int
	v          []float32
	ok         []bool
}

// point returns the input-image position of rubber-sheet coordinates (rho, theta): the
// point a fraction rho of the way from the pupil boundary to the limbus along angle theta
// (Daugman's rubber sheet, which tolerates non-concentric boundaries and pupil dilation).
func (s *seg) point(rho, theta float64) (x, y float64) {
	c, sn := math.Cos(theta), math.Sin(theta)
	px, py := s.pupil.X+s.pupil.R*c, s.pupil.Y+s.pupil.R*sn
	ix, iy := s.iris.X+s.iris.R*c, s.iris.Y+s.iris.R*sn
	return px + rho*(ix-px), py + rho*(iy-py)
}

// normalise unwraps the iris into a strip. A sample is invalid when it falls outside the
// image, on a reflection or behind an eyelid; then eyelashes (darker than a level between
// pupil and iris) and residual bright spots (far above the iris median) are masked too.
func (s *seg) normalise() *strip {
	p, g := s.p, s.img
	st := &strip{rows: p.stripRows, cols: p.stripCols}
	n := st.rows * st.cols
	st.v, st.ok = make([]float32, n), make([]bool, n)
	for j := range st.cols {
		th := 2 * math.Pi * float64(j) / float64(st.cols)
		// Under the upper eyelid (θ = 3π/2 points up, the image y axis pointing down).
		up := math.Abs(th-1.5*math.Pi) < p.upperSector
		for i := range st.rows {
			rho := p.rhoInner + (p.rhoOuter-p.rhoInner)*(float64(i)+0.5)/float64(st.rows)
			x, y := s.point(rho, th)
			k := i*st.cols + j
			if x < 0 || y < 0 || x > float64(g.w-1) || y > float64(g.h-1) {
				continue
			}
			st.v[k] = g.at(x, y)
			xi, yi := int(x+0.5), int(y+0.5)
			st.ok[k] = !s.spec[yi*g.w+xi] && !s.occluded(x, y) && !(up && rho >= p.upperFrom)
		}
	}
	// Pupil level: mean of the inner disc of the pupil.
	var sum float64
	cnt := 0
	for k := range 64 {
		th := 2 * math.Pi * float64(k) / 64
		for _, f := range []float64{0.2, 0.45, 0.7} {
			x, y := s.pupil.X+f*s.pupil.R*math.Cos(th), s.pupil.Y+f*s.pupil.R*math.Sin(th)
			if x >= 0 && y >= 0 && x <= float64(g.w-1) && y <= float64(g.h-1) {
				sum += float64(g.at(x, y))
				cnt++
			}
		}
	}
	if cnt > 0 {
		s.pupilLevel = sum / float64(cnt)
	}
	var vals []float64
	for k, ok := range st.ok {
		if ok {
			vals = append(vals, float64(st.v[k]))
		}
	}
	if len(vals) == 0 {
		return st
	}
	med := median(vals)
	for i := range vals {
		vals[i] = math.Abs(vals[i] - med)
	}
	sigma := 1.4826 * median(vals)
	dark := s.pupilLevel + p.lashLevel*(med-s.pupilLevel)
	bright := med + p.brightSigmas*max(sigma, 4)
	for k, ok := range st.ok {
		if ok && (float64(st.v[k]) < dark || float64(st.v[k]) > bright) {
			st.ok[k] = false
		}
	}
	return st
}

func median(v []float64) float64 {
	c := slices.Clone(v)
	slices.Sort(c)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

// validFraction returns the fraction of valid strip samples.
func (st *strip) validFraction() float64 {
	n := 0
	for _, ok := range st.ok {
		if ok {
			n++
		}
	}
	return float64(n) / float64(len(st.ok))
}
