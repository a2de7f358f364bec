package iris

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity 1 − HDnorm (the normalised Hamming distance at the
// best of the ±MaxShift shifts) onto the project's calibrated scale, score =
// −10·log10(estimated false match rate): the empirical impostor survival function with an
// exponential tail fitted on the top 5 % of impostors (eval.FitCalibration). It was fitted
// on the 69,748 cross-eye impostor comparisons of the enrolled CASIA v1 images (54 eyes × 7)
// with this engine's own extractor, 2026-12-02, for template version 4 and the
// coarse-to-fine shift search. The impostor distribution of iris codes is narrow and nearly
// binomial, so the table mostly depends on the code size and the number of shifts, not on
// the data set; refit it whenever the extractor or the comparator changes:
//
//	biomesh eval iris --fit-calibration $BIOMESH_TESTDATA/iris/casia-v1
//
// and paste its output here.
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0.5, Score: 0},
	{Raw: 0.535372638, Score: 0.5},
	{Raw: 0.542419878, Score: 1},
	{Raw: 0.542419878, Score: 1},
	{Raw: 0.547581276, Score: 1.5},
	{Raw: 0.547581276, Score: 1.5},
	{Raw: 0.551708769, Score: 2},
	{Raw: 0.551708769, Score: 2},
	{Raw: 0.555327909, Score: 2.5},
	{Raw: 0.555327909, Score: 2.5},
	{Raw: 0.558528673, Score: 3},
	{Raw: 0.558528673, Score: 3},
	{Raw: 0.561562079, Score: 3.5},
	{Raw: 0.564333674, Score: 4},
	{Raw: 0.56698417, Score: 4.5},
	{Raw: 0.569463587, Score: 5},
	{Raw: 0.569463587, Score: 5},
	{Raw: 0.571834944, Score: 5.5},
	{Raw: 0.571834944, Score: 5.5},
	{Raw: 0.574075555, Score: 6},
	{Raw: 0.574075555, Score: 6.001},
	{Raw: 0.576235458, Score: 6.5},
	{Raw: 0.578332137, Score: 7},
	{Raw: 0.578332137, Score: 7},
	{Raw: 0.580454213, Score: 7.5},
	{Raw: 0.582508113, Score: 8},
	{Raw: 0.584437035, Score: 8.5},
	{Raw: 0.584437035, Score: 8.5},
	{Raw: 0.586299772, Score: 9},
	{Raw: 0.588104025, Score: 9.5},
	{Raw: 0.589930324, Score: 10},
	{Raw: 0.591742673, Score: 10.5},
	{Raw: 0.593487871, Score: 11},
	{Raw: 0.595196195, Score: 11.5},
	{Raw: 0.596909486, Score: 12},
	{Raw: 0.596909486, Score: 12.001},
	{Raw: 0.598542267, Score: 12.5},
	{Raw: 0.600242857, Score: 13},
	{Raw: 0.600242857, Score: 13.001},
	{Raw: 0.600278378, Score: 13.011},
	{Raw: 0.915398693, Score: 120},
}}
