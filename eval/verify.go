package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrEmpty is returned when a score set that a metric needs is empty.
var ErrEmpty = errors.New("eval: empty score set")

// ErrScore is returned when a score is NaN or infinite.
var ErrScore = errors.New("eval: NaN or infinite score")

// Point is one operating point: at Threshold a comparison is a match when
// score ≥ Threshold.
type Point struct {
	Threshold float64 `json:"threshold"`
	FMR       float64 `json:"fmr"`
	FNMR      float64 `json:"fnmr"`
}

// Curve is a DET curve: operating points in increasing Threshold order, so
// FMR is non-increasing and FNMR non-decreasing along it.
type Curve []Point

// Verification summarises verification accuracy in the FVC style.
//
// Each rate has the threshold at which it is reached. Thresholds are observed
// scores, except the threshold just above the highest score (the smallest
// float64 greater than it), at which nothing matches (FMR 0, FNMR 1).
//
// FMR100, FMR1000 and FMR10000 are the lowest FNMR with FMR ≤ 1%, 0.1% and
// 0.01%; with fewer than 100, 1000 or 10000 impostor scores they can only be
// reached at FMR 0 and so equal ZeroFMR.
type Verification struct {
	Genuine  int `json:"genuine"`  // number of genuine (mated) scores
	Impostor int `json:"impostor"` // number of impostor (non-mated) scores

	// EER is (EERLow+EERHigh)/2, where [EERLow, EERHigh] is the FVC
	// equal-error interval; see Verify.
	EER          float64 `json:"eer"`
	EERLow       float64 `json:"eer_low"`
	EERHigh      float64 `json:"eer_high"`
	EERThreshold float64 `json:"eer_threshold"`

	FMR100            float64 `json:"fmr100"`
	FMR100Threshold   float64 `json:"fmr100_threshold"`
	FMR1000           float64 `json:"fmr1000"`
	FMR1000Threshold  float64 `json:"fmr1000_threshold"`
	FMR10000          float64 `json:"fmr10000"`
	FMR10000Threshold float64 `json:"fmr10000_threshold"`

	// ZeroFMR is the lowest FNMR at FMR = 0.
	ZeroFMR          float64 `json:"zero_fmr"`
	ZeroFMRThreshold float64 `json:"zero_fmr_threshold"`
	// ZeroFNMR is the lowest FMR at FNMR = 0.
	ZeroFNMR          float64 `json:"zero_fnmr"`
	ZeroFNMRThreshold float64 `json:"zero_fnmr_threshold"`
}

// String returns a one-line summary with rates in percent.
func (v Verification) String() string {
	return fmt.Sprintf("EER %.2f%% [%.2f%%, %.2f%%] FMR100 %.2f%% FMR1000 %.2f%% FMR10000 %.2f%% ZeroFMR %.2f%% ZeroFNMR %.2f%% (%d genuine, %d impostor)",
		100*v.EER, 100*v.EERLow, 100*v.EERHigh, 100*v.FMR100, 100*v.FMR1000, 100*v.FMR10000,
		100*v.ZeroFMR, 100*v.ZeroFNMR, v.Genuine, v.Impostor)
}

// Verify computes the FVC verification metrics in O(n log n).
//
// The candidate thresholds are the distinct observed scores plus one just
// above the highest score; FMR(t) and FNMR(t) are step functions, so these
// thresholds reach every achievable (FMR, FNMR) pair. The EER follows
// Maio et al., "FVC2000: Fingerprint Verification Competition" (IEEE PAMI
// 2002):
//
//	t1 = max{t | FNMR(t) ≤ FMR(t)},  t2 = min{t | FNMR(t) ≥ FMR(t)}
//	[EERLow, EERHigh] = [FNMR(t1), FMR(t1)] if FNMR(t1)+FMR(t1) ≤ FMR(t2)+FNMR(t2)
//	                    [FMR(t2), FNMR(t2)] otherwise
//	EER = (EERLow + EERHigh) / 2
//
// EERThreshold is t1 or t2, whichever was chosen. Verify returns ErrEmpty if
// either slice is empty and ErrScore if a score is NaN or infinite. The
// inputs are not modified.
func Verify(genuine, impostor []float64) (Verification, error) {
	g, im, err := sortedCopies(genuine, impostor)
	if err != nil {
		return Verification{}, err
	}
	G, I := int64(len(g)), int64(len(im))
	type op struct {
		t      float64
		fr, fa int64 // false non-matches, false matches
	}
	var (
		t1, t2, zeroFMR, zeroFNMR op
		have2, haveZero           bool
		fmrOp                     [3]op
		fmrHave                   [3]bool
		fmrDen                    = [3]int64{100, 1000, 10000}
	)
	sweep(g, im, func(t float64, fr, fa int) {
		p := op{t, int64(fr), int64(fa)}
		// FNMR ≤ FMR  ⇔  fr/G ≤ fa/I  ⇔  fr·I ≤ fa·G (exact in integers).
		if p.fr*I <= p.fa*G {
			t1 = p
		}
		if !have2 && p.fr*I >= p.fa*G {
			t2, have2 = p, true
		}
		for k, d := range fmrDen {
			if !fmrHave[k] && p.fa*d <= I {
				fmrOp[k], fmrHave[k] = p, true
			}
		}
		if !haveZero && p.fa == 0 {
			zeroFMR, haveZero = p, true
		}
		if p.fr == 0 {
			zeroFNMR = p
		}
	})
	fnmr := func(p op) float64 { return float64(p.fr) / float64(G) }
	fmr := func(p op) float64 { return float64(p.fa) / float64(I) }

	v := Verification{Genuine: int(G), Impostor: int(I)}
	// FNMR(t1)+FMR(t1) ≤ FMR(t2)+FNMR(t2)  ⇔  (fr1−fr2)·I ≤ (fa2−fa1)·G.
	if (t1.fr-t2.fr)*I <= (t2.fa-t1.fa)*G {
		v.EERLow, v.EERHigh, v.EERThreshold = fnmr(t1), fmr(t1), t1.t
	} else {
		v.EERLow, v.EERHigh, v.EERThreshold = fmr(t2), fnmr(t2), t2.t
	}
	v.EER = (v.EERLow + v.EERHigh) / 2
	v.FMR100, v.FMR100Threshold = fnmr(fmrOp[0]), fmrOp[0].t
	v.FMR1000, v.FMR1000Threshold = fnmr(fmrOp[1]), fmrOp[1].t
	v.FMR10000, v.FMR10000Threshold = fnmr(fmrOp[2]), fmrOp[2].t
	v.ZeroFMR, v.ZeroFMRThreshold = fnmr(zeroFMR), zeroFMR.t
	v.ZeroFNMR, v.ZeroFNMRThreshold = fmr(zeroFNMR), zeroFNMR.t
	return v, nil
}

// DET returns the operating points at every distinct observed score plus one
// just above the highest score (FMR 0, FNMR 1), in increasing threshold
// order. The first point (the lowest score) has FMR 1 and FNMR 0. Errors are
// as for Verify.
func DET(genuine, impostor []float64) (Curve, error) {
	g, im, err := sortedCopies(genuine, impostor)
	if err != nil {
		return nil, err
	}
	G, I := float64(len(g)), float64(len(im))
	c := make(Curve, 0, len(g)+len(im)+1)
	sweep(g, im, func(t float64, fr, fa int) {
		c = append(c, Point{Threshold: t, FMR: float64(fa) / I, FNMR: float64(fr) / G})
	})
	return c, nil
}

// AtFMR returns the point with the lowest FNMR among those with FMR ≤ fmr
// (the lowest such threshold). It returns a NaN point if there is none
// (fmr < 0 or an empty curve).
func (c Curve) AtFMR(fmr float64) Point {
	lo, hi := 0, len(c) // first index with c[i].FMR ≤ fmr
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c[m].FMR <= fmr {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == len(c) {
		nan := math.NaN()
		return Point{nan, nan, nan}
	}
	return c[lo]
}

// FNMRAt returns the lowest FNMR with FMR ≤ fmr, or NaN (see AtFMR).
func (c Curve) FNMRAt(fmr float64) float64 { return c.AtFMR(fmr).FNMR }

// sortedCopies validates and sorts copies of both score sets.
func sortedCopies(genuine, impostor []float64) (g, im []float64, err error) {
	if len(genuine) == 0 || len(impostor) == 0 {
		return nil, nil, ErrEmpty
	}
	g, im = slices.Clone(genuine), slices.Clone(impostor)
	for _, s := range [][]float64{g, im} {
		for _, x := range s {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil, ErrScore
			}
		}
		slices.Sort(s)
	}
	return g, im, nil
}

// sweep calls fn at every distinct score t of the sorted non-empty slices g
// and im, in increasing order, with fr = #{g < t} and fa = #{im ≥ t}, then
// once more at the smallest threshold above every score (fr = len(g), fa = 0).
func sweep(g, im []float64, fn func(t float64, fr, fa int)) {
	i, j := 0, 0
	for i < len(g) || j < len(im) {
		var t float64
		switch {
		case i == len(g):
			t = im[j]
		case j == len(im):
			t = g[i]
		default:
			t = min(g[i], im[j])
		}
		fn(t, i, len(im)-j)
		for i < len(g) && g[i] == t {
			i++
		}
		for j < len(im) && im[j] == t {
			j++
		}
	}
	fn(math.Nextafter(max(g[len(g)-1], im[len(im)-1]), math.Inf(1)), len(g), 0)
}
