package iris

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity 1 − HDnorm (the normalised Hamming distance at the
// best of the ±MaxShift shifts) onto the project's calibrated scale, score =
// −10·log10(estimated false match rate): the empirical impostor survival function with an
// exponential tail fitted on the top 5 % of impostors (eval.FitCalibration). It was fitted
// on the 69,748 cross-eye impostor comparisons of the enrolled CASIA v1 images (54 eyes × 7) with this
// engine's own extractor, 2026-12-02. The impostor distribution of iris codes is narrow and
// nearly binomial, so the table mostly depends on the code size and the number of shifts,
// not on the data set; refit it whenever the extractor or the comparator changes:
//
//	biomesh iris eval --fit-calibration $BIOMESH_TESTDATA/iris/casia-v1
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0.503455732, Score: 0},
	{Raw: 0.537213912, Score: 0.5},
	{Raw: 0.537213912, Score: 0.5},
	{Raw: 0.544050761, Score: 1},
	{Raw: 0.548954112, Score: 1.5},
	{Raw: 0.548954112, Score: 1.5},
	{Raw: 0.553067101, Score: 2},
	{Raw: 0.553067101, Score: 2},
	{Raw: 0.556660974, Score: 2.499},
	{Raw: 0.556660974, Score: 2.5},
	{Raw: 0.55987267, Score: 3},
	{Raw: 0.562883024, Score: 3.5},
	{Raw: 0.565613286, Score: 4},
	{Raw: 0.568234345, Score: 4.5},
	{Raw: 0.568234345, Score: 4.5},
	{Raw: 0.570695702, Score: 5},
	{Raw: 0.572975788, Score: 5.5},
	{Raw: 0.572975788, Score: 5.5},
	{Raw: 0.575240651, Score: 6},
	{Raw: 0.577427565, Score: 6.5},
	{Raw: 0.577427565, Score: 6.5},
	{Raw: 0.57960389, Score: 7},
	{Raw: 0.581629839, Score: 7.5},
	{Raw: 0.58362525, Score: 8},
	{Raw: 0.585633671, Score: 8.5},
	{Raw: 0.587585492, Score: 9},
	{Raw: 0.589409145, Score: 9.5},
	{Raw: 0.589409145, Score: 9.5},
	{Raw: 0.591189797, Score: 10},
	{Raw: 0.59294009, Score: 10.5},
	{Raw: 0.59294009, Score: 10.5},
	{Raw: 0.594670441, Score: 11},
	{Raw: 0.596444827, Score: 11.5},
	{Raw: 0.598007081, Score: 12},
	{Raw: 0.599589873, Score: 12.5},
	{Raw: 0.60121065, Score: 13},
	{Raw: 0.601235425, Score: 13.011},
	{Raw: 0.91058339, Score: 120},
}}
