package iris

import (
	"fmt"
	"math"
	"strings"
)

// Quality holds the measures behind the quality gates. Each gate compares one measure with
// a threshold of params; Gates lists them with their outcome.
type Quality struct {
	UsableBits     int     `json:"usable_bits"`      // valid code bits (of Rows·Cols·2)
	PupilIrisRatio float64 `json:"pupil_iris_ratio"` // pupil radius / iris radius
	IrisRadius     float64 `json:"iris_radius"`      // pixels of the input image
	Sharpness      float64 `json:"sharpness"`        // RMS Laplacian / grey-level deviation over the visible iris
	Occlusion      float64 `json:"occlusion"`        // fraction of the iris annulus masked (lids, lashes, reflections)
	Gaze           float64 `json:"gaze"`             // pupil–iris centre offset / iris radius (off-axis gaze decentres the pupil)
	PupilContrast  float64 `json:"pupil_contrast"`   // grey-level step across the pupil boundary
	IrisContrast   float64 `json:"iris_contrast"`    // grey-level step across the limbus
	Margin         float64 `json:"margin"`           // fraction of the iris circle inside the image
	Gates          []Gate  `json:"gates"`
}

// Gate is one quality gate: a named measure, its threshold, and whether it passed.
type Gate struct {
	Name      string  `json:"name"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Max       bool    `json:"max,omitempty"` // the threshold is a maximum
	Pass      bool    `json:"pass"`
}

func (g Gate) String() string {
	op := "≥"
	if g.Max {
		op = "≤"
	}
	return fmt.Sprintf("%s %.3g (needs %s %.3g)", g.Name, g.Value, op, g.Threshold)
}

// Gate names.
const (
	GatePupilContrast  = "pupil_contrast"
	GateIrisContrast   = "iris_contrast"
	GatePupilIrisRatio = "pupil_iris_ratio"
	GateIrisRadius     = "iris_radius"
	GateMargin         = "margin"
	GateGaze           = "gaze"
	GateOcclusion      = "occlusion"
	GateSharpness      = "sharpness"
	GateUsableBits     = "usable_bits"
)

// QualityError is a failure to enrol: the gates that failed, in pipeline order.
type QualityError struct {
	Failed []Gate
}

func (e *QualityError) Error() string {
	var s []string
	for _, g := range e.Failed {
		s = append(s, g.String())
	}
	return "iris: failed to enrol: " + strings.Join(s, "; ")
}

// gates evaluates every gate on q and returns the failed ones.
func (q *Quality) gates(p *params) []Gate {
	atLeast := func(name string, v, t float64) Gate { return Gate{name, v, t, false, v >= t} }
	atMost := func(name string, v, t float64) Gate { return Gate{name, v, t, true, v <= t} }
	q.Gates = []Gate{
		atLeast(GatePupilContrast, q.PupilContrast, p.minPupilContrast),
		atLeast(GateIrisContrast, q.IrisContrast, p.minIrisContrast),
		{GatePupilIrisRatio, q.PupilIrisRatio, p.ratioMax, true, q.PupilIrisRatio >= p.ratioMin && q.PupilIrisRatio <= p.ratioMax},
		atLeast(GateIrisRadius, q.IrisRadius, p.minIrisRadius),
		atLeast(GateMargin, q.Margin, p.minMargin),
		atMost(GateGaze, q.Gaze, p.maxGaze),
		atMost(GateOcclusion, q.Occlusion, p.maxOcclusion),
		atLeast(GateSharpness, q.Sharpness, p.minSharpness),
		atLeast(GateUsableBits, float64(q.UsableBits), float64(p.minUsableBits)),
	}
	var failed []Gate
	for _, g := range q.Gates {
		if !g.Pass {
			failed = append(failed, g)
		}
	}
	return failed
}

// sharpness measures focus over the visible iris: the RMS of a band-pass image (the
// difference of Gaussians of σ 1 and 2.5 pixels of the input) divided by the RMS contrast of
// the low-pass one, over pixels of the annulus that are not masked. Defocus removes the band
// that iris texture lives in while keeping the coarse contrast; the σ = 1 smoothing keeps
// sensor noise and JPEG blocking out of the measure.
func (s *seg) sharpness() float64 {
	g := s.img
	r := s.iris.R + 8
	x0, x1 := max(0, int(s.iris.X-r)), min(g.w-1, int(s.iris.X+r))
	y0, y1 := max(0, int(s.iris.Y-r)), min(g.h-1, int(s.iris.Y+r))
	if x1-x0 < 8 || y1-y0 < 8 {
		return 0
	}
	crop := newPlane(x1-x0+1, y1-y0+1)
	for y := y0; y <= y1; y++ {
		copy(crop.p[(y-y0)*crop.w:(y-y0+1)*crop.w], g.p[y*g.w+x0:y*g.w+x1+1])
	}
	fine, coarse := crop.blur(1), crop.blur(2.5)
	var band2, sum, sum2 float64
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			fx, fy := float64(x), float64(y)
			dx, dy := fx-s.iris.X, fy-s.iris.Y
			if dx*dx+dy*dy > s.iris.R*s.iris.R*0.85 {
				continue
			}
			dx, dy = fx-s.pupil.X, fy-s.pupil.Y
			if dx*dx+dy*dy < (s.pupil.R+4)*(s.pupil.R+4) || s.occluded(fx, fy) || s.spec[y*g.w+x] {
				continue
			}
			k := (y-y0)*crop.w + x - x0
			b := float64(fine.p[k] - coarse.p[k])
			v := float64(coarse.p[k])
			band2 += b * b
			sum += v
			sum2 += v * v
			n++
		}
	}
	if n < 100 {
		return 0
	}
	mean := sum / float64(n)
	sd := math.Sqrt(max(sum2/float64(n)-mean*mean, 1))
	return math.Sqrt(band2/float64(n)) / sd
}

// margin returns the fraction of the iris circle inside the image.
func (s *seg) margin() float64 {
	in := 0
	const n = 72
	for k := range n {
		th := 2 * math.Pi * float64(k) / n
		x, y := s.iris.X+s.iris.R*math.Cos(th), s.iris.Y+s.iris.R*math.Sin(th)
		if x >= 0 && y >= 0 && x <= float64(s.img.w-1) && y <= float64(s.img.h-1) {
			in++
		}
	}
	return float64(in) / n
}
