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
	{Raw: 0.50050676, Score: 0},
	{Raw: 0.537463432, Score: 0.5},
	{Raw: 0.537463432, Score: 0.5},
	{Raw: 0.5441125, Score: 1},
	{Raw: 0.5441125, Score: 1},
	{Raw: 0.549073506, Score: 1.5},
	{Raw: 0.553161211, Score: 2},
	{Raw: 0.553161211, Score: 2},
	{Raw: 0.556732381, Score: 2.5},
	{Raw: 0.559982515, Score: 3},
	{Raw: 0.559982515, Score: 3},
	{Raw: 0.562957763, Score: 3.5},
	{Raw: 0.562957763, Score: 3.5},
	{Raw: 0.565730511, Score: 4},
	{Raw: 0.568359843, Score: 4.5},
	{Raw: 0.57072608, Score: 5},
	{Raw: 0.57072608, Score: 5},
	{Raw: 0.573012581, Score: 5.5},
	{Raw: 0.575267956, Score: 6},
	{Raw: 0.575267956, Score: 6},
	{Raw: 0.577527732, Score: 6.5},
	{Raw: 0.579746068, Score: 7},
	{Raw: 0.579746068, Score: 7},
	{Raw: 0.581874398, Score: 7.5},
	{Raw: 0.58379757, Score: 8},
	{Raw: 0.585833983, Score: 8.5},
	{Raw: 0.585833983, Score: 8.5},
	{Raw: 0.587629067, Score: 9},
	{Raw: 0.589489226, Score: 9.5},
	{Raw: 0.589489226, Score: 9.5},
	{Raw: 0.591258526, Score: 10},
	{Raw: 0.593055011, Score: 10.5},
	{Raw: 0.593055011, Score: 10.501},
	{Raw: 0.594648844, Score: 11},
	{Raw: 0.59648178, Score: 11.5},
	{Raw: 0.598069022, Score: 12},
	{Raw: 0.59966159, Score: 12.499},
	{Raw: 0.59966159, Score: 12.5},
	{Raw: 0.601337001, Score: 13},
	{Raw: 0.601337001, Score: 13.001},
	{Raw: 0.601380841, Score: 13.011},
	{Raw: 0.910837271, Score: 120},
}}
