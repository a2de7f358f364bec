package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxScore is the highest calibrated score, −10·log10(1e-12): the
// calibration never claims a false match rate below 1e-12.
const MaxScore = 120

// ErrTooFew is returned by FitCalibration when given fewer than
// MinCalibrationScores scores.
var ErrTooFew = errors.New("eval: too few scores")

// MinCalibrationScores is the fewest impostor scores FitCalibration accepts.
const MinCalibrationScores = 50

const (
	calStep  = 0.5   // dB between body knots
	tailFrac = 0.05  // fraction of impostors in the fitted tail ...
	tailMin  = 20    // ... but at least this many
	tailMax  = 20000 // ... and at most this many
)

// Knot is one vertex of a piecewise-linear calibration.
type Knot struct {
	Raw   float64 `json:"raw"`
	Score float64 `json:"score"`
}

// Calibration maps a matcher's raw similarity to the calibrated score
// −10·log10(FMR) by linear interpolation between Knots, which are sorted by
// Raw and non-decreasing in both Raw and Score. Two knots may share a Raw (a
// jump, from an atom of discrete raw scores).
type Calibration struct {
	Knots []Knot `json:"knots"`
}

// FitCalibration fits the calibration of a matcher from its impostor raw
// scores (higher = more similar).
//
// The target is the impostor survival function S(r) = P(impostor ≥ r), the
// false match rate at threshold r, as score(r) = −10·log10 S(r). With the n
// scores sorted ascending, x[i] is given S = (n−i)/n.
//
// Body: knots are the empirical quantiles at survival levels 0, 0.5, 1, …
// dB (interpolated between order statistics) up to the tail start. Quantiles
// of a sorted sample are monotone, and sampling them on a 0.5 dB grid both
// smooths and compresses the table. A level falling inside a run of equal
// scores v (discrete raw scores) gives instead two knots at Raw v, with the
// exact scores of the run's first and last order statistics, so that
// Apply(v) = −10·log10(#{impostor ≥ v}/n) there.
//
// Tail: the top k = 5% of impostors (at least 20, at most 20000) get an
// exponential tail, the generalised Pareto law with zero shape, fitted by
// maximum likelihood: with u = x[n−k] (S(u) = k/n), the scale σ is the mean
// excess of the k−1 scores above u, and S(r) = (k/n)·exp(−(r−u)/σ) for
// r ≥ u, a straight line in the score domain. It extrapolates beyond the
// highest impostor up to MaxScore (FMR 1e-12). An impostor tail lighter than
// exponential (bounded scores, Gaussian-like) makes the extrapolation
// conservative, a heavier one makes it optimistic. For discrete raw scores
// the exponential tail is a continuous approximation.
//
// Raw values are rounded to 9 significant digits and scores to 0.001 dB, so
// GoString output is short and exact. FitCalibration returns ErrScore for a
// NaN or infinite score, ErrTooFew for fewer than MinCalibrationScores scores
// and an error if the tail has no spread.
func FitCalibration(impostorRaw []float64) (Calibration, error) {
	n := len(impostorRaw)
	if n < MinCalibrationScores {
		return Calibration{}, fmt.Errorf("%w: calibration needs %d impostor scores, got %d", ErrTooFew, MinCalibrationScores, n)
	}
	x := slices.Clone(impostorRaw)
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Calibration{}, ErrScore
		}
	}
	slices.Sort(x)

	k := min(max(int(math.Round(tailFrac*float64(n))), tailMin), tailMax)
	u := x[n-k]
	var sum float64
	for _, v := range x[n-k+1:] {
		sum += v - u
	}
	sigma := sum / float64(k-1)
	if !(sigma > 0) {
		return Calibration{}, fmt.Errorf("eval: impostor tail has no spread (top %d scores equal)", k)
	}
	lu := -10 * math.Log10(float64(k)/float64(n)) // score at u

	level := func(i int) float64 { return -10 * math.Log10(float64(n-i)/float64(n)) } // score at x[i]
	var knots []Knot
	for j := 0; ; j++ {
		l := float64(j) * calStep
		if l >= lu {
			break
		}
		pos := float64(n) * (1 - math.Pow(10, -l/10)) // position of level l, < n−k
		i := int(pos)
		if v := x[i]; v == x[i+1] {
			// Inside a run of equal scores (discrete raw scores): knots at its
			// exact ends, so that Apply(v) = −10·log10 S(v).
			a, _ := slices.BinarySearch(x, v)
			b := a + sort.SearchFloat64s(x[a:], math.Nextafter(v, math.Inf(1)))
			knots = append(knots, Knot{v, level(a)}, Knot{v, level(b - 1)})
			continue
		}
		knots = append(knots, Knot{x[i] + (pos-float64(i))*(x[i+1]-x[i]), l})
	}
	knots = append(knots,
		Knot{u, lu},
		Knot{u + (MaxScore-lu)*sigma*math.Ln10/10, MaxScore})

	// Round, then keep only the first and last knot of each run of equal Raw.
	// Rounding is monotone, so the order is kept.
	out := knots[:0]
	for _, kn := range knots {
		kn = Knot{round9(kn.Raw), math.Round(kn.Score*1000) / 1000}
		if m := len(out); m >= 2 && out[m-2].Raw == kn.Raw && out[m-1].Raw == kn.Raw {
			out[m-1] = kn
			continue
		}
		out = append(out, kn)
	}
	return Calibration{Knots: out}, nil
}

func round9(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 9, 64), 64)
	return r
}

// Apply returns the calibrated score of raw: linear interpolation between
// knots, the first knot's score below the table and the last one's above it.
// At a Raw shared by several knots it returns the lowest of their scores
// (S(r) counts impostors equal to r). Apply is non-decreasing in raw; it
// returns NaN for a NaN raw or an empty calibration.
func (c Calibration) Apply(raw float64) float64 {
	k := c.Knots
	if len(k) == 0 || math.IsNaN(raw) {
		return math.NaN()
	}
	lo, hi := 0, len(k) // first index with k[i].Raw ≥ raw
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if k[m].Raw >= raw {
			hi = m
		} else {
			lo = m + 1
		}
	}
	switch {
	case lo == len(k):
		return k[len(k)-1].Score
	case lo == 0 || k[lo].Raw == raw:
		return k[lo].Score
	}
	a, b := k[lo-1], k[lo]
	return a.Score + (b.Score-a.Score)*(raw-a.Raw)/(b.Raw-a.Raw)
}

// String returns the table as tab-separated "raw score" lines.
func (c Calibration) String() string {
	var b strings.Builder
	b.WriteString("raw\tscore\n")
	for _, k := range c.Knots {
		fmt.Fprintf(&b, "%g\t%g\n", k.Raw, k.Score)
	}
	return b.String()
}

// GoString returns c as a gofmt-formatted Go composite literal of package
// eval, exact to the last bit, to paste into a package as a fitted table.
func (c Calibration) GoString() string {
	if c.Knots == nil {
		return "eval.Calibration{}"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var b strings.Builder
	b.WriteString("eval.Calibration{Knots: []eval.Knot{")
	for _, k := range c.Knots {
		fmt.Fprintf(&b, "\n\t{Raw: %s, Score: %s},", f(k.Raw), f(k.Score))
	}
	if len(c.Knots) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("}}")
	return b.String()
}
