package face

import (
	"fmt"
	"math"
	"sync"

	"github.com/biomesh/biomesh/eval"
	"github.com/biomesh/biomesh/face/internal/vec"
)

// Metric is how two embeddings are compared before calibration.
type Metric int

const (
	// Cosine is the cosine of the angle between the embeddings (raw similarity in
	// [−1, 1]); it is what Gallery searches.
	Cosine Metric = iota
	// L2 is the Euclidean distance between the embeddings as the model produced them,
	// dlib's own convention (same person below 0.6); the raw similarity is −distance.
	L2
)

func (m Metric) String() string {
	switch m {
	case Cosine:
		return "cosine"
	case L2:
		return "l2"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

type calKey struct {
	model  string
	metric Metric
}

var (
	calMu        sync.RWMutex
	calibrations = map[calKey]eval.Calibration{}
)

// RegisterCalibration sets the calibration of a model and metric, for user-supplied
// models (an ONNX descriptor may carry one). It replaces any earlier one.
func RegisterCalibration(model string, m Metric, c eval.Calibration) {
	calMu.Lock()
	defer calMu.Unlock()
	calibrations[calKey{model, m}] = c
}

// CalibrationOf returns the calibration of a model and metric, if there is one.
func CalibrationOf(model string, m Metric) (eval.Calibration, bool) {
	calMu.RLock()
	defer calMu.RUnlock()
	c, ok := calibrations[calKey{model, m}]
	return c, ok
}

// Comparator compares templates of one model and reports calibrated scores,
// −10·log10(estimated false match rate).
type Comparator struct {
	model  string
	metric Metric
	cal    eval.Calibration
}

// NewComparator returns the comparator of a model and metric; it fails when the pair has
// no calibration.
func NewComparator(model string, m Metric) (*Comparator, error) {
	c, ok := CalibrationOf(model, m)
	if !ok {
		return nil, fmt.Errorf("face: no %s calibration for model %q (fit one with biomesh face eval --fit-calibration)", m, model)
	}
	return &Comparator{model: model, metric: m, cal: c}, nil
}

// Model returns the model the comparator accepts.
func (c *Comparator) Model() string { return c.model }

// Metric returns the comparator's metric.
func (c *Comparator) Metric() Metric { return c.metric }

// Calibrate maps a raw similarity of this comparator's metric onto the calibrated scale.
func (c *Comparator) Calibrate(raw float64) float64 { return c.cal.Apply(raw) }

// Compare returns the calibrated score of two templates.
func (c *Comparator) Compare(a, b Template) (float64, error) {
	p, err := c.Prepare(a)
	if err != nil {
		return 0, err
	}
	return p.Compare(b)
}

// Raw returns the raw similarity of two templates (cosine, or −L2 distance).
func (c *Comparator) Raw(a, b Template) (float64, error) {
	p, err := c.Prepare(a)
	if err != nil {
		return 0, err
	}
	return p.Raw(b)
}

// Probe is a template prepared for many comparisons: validated and, for Cosine,
// normalised once.
type Probe struct {
	c *Comparator
	v []float32
}

// Prepare validates a probe template for this comparator.
func (c *Comparator) Prepare(t Template) (*Probe, error) {
	if err := c.check(t); err != nil {
		return nil, err
	}
	v := t.Vector
	if c.metric == Cosine {
		v = Normalize(v)
	}
	return &Probe{c: c, v: v}, nil
}

func (c *Comparator) check(t Template) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.Model != c.model {
		return fmt.Errorf("face: template of model %q given to a comparator of %q", t.Model, c.model)
	}
	return nil
}

// Raw returns the raw similarity of the probe and t.
func (p *Probe) Raw(t Template) (float64, error) {
	if err := p.c.check(t); err != nil {
		return 0, err
	}
	if len(t.Vector) != len(p.v) {
		return 0, fmt.Errorf("face: dimension %d against %d", len(t.Vector), len(p.v))
	}
	if p.c.metric == Cosine {
		var sq float64
		for _, x := range t.Vector {
			sq += float64(x) * float64(x)
		}
		return float64(dot(p.v, t.Vector)) / math.Sqrt(sq), nil
	}
	var d float64
	for i, x := range t.Vector {
		e := float64(x) - float64(p.v[i])
		d += e * e
	}
	return -math.Sqrt(d), nil
}

// Compare returns the calibrated score of the probe and t.
func (p *Probe) Compare(t Template) (float64, error) {
	r, err := p.Raw(t)
	if err != nil {
		return 0, err
	}
	return p.c.cal.Apply(r), nil
}

// Normalize returns v scaled to unit length (a copy).
func Normalize(v []float32) []float32 {
	var sq float64
	for _, x := range v {
		sq += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if sq == 0 {
		return out
	}
	inv := 1 / math.Sqrt(sq)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// dot is the inner product; comparisons and the gallery's search share it, so a probe
// scores the same both ways.
func dot(a, b []float32) float32 { return vec.Dot(a, b) }
