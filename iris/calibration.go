package iris

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity 1 − HDnorm (the normalised Hamming distance at the
// best of the ±MaxShift shifts) onto the project's calibrated scale, score =
// −10·log10(estimated false match rate): the empirical impostor survival function with an
// exponential tail fitted on the top 5 % of impostors (eval.FitCalibration). It was fitted
// on the 69,748 cross-eye impostor comparisons of the enrolled CASIA v1 images (54 eyes × 7)
// with this engine's own extractor, 2026-12-02, for template version 2 and the
// coarse-to-fine shift search. The impostor distribution of iris codes is narrow and nearly
// binomial, so the table mostly depends on the code size and the number of shifts, not on
// the data set; refit it whenever the extractor or the comparator changes:
//
//	biomesh eval iris --fit-calibration $BIOMESH_TESTDATA/iris/casia-v1
//
// and paste its output here.
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0.5, Score: 0},
	{Raw: 0.535013436, Score: 0.5},
	{Raw: 0.54205629, Score: 1},
	{Raw: 0.547157175, Score: 1.5},
	{Raw: 0.551370009, Score: 2},
	{Raw: 0.551370009, Score: 2},
	{Raw: 0.555026383, Score: 2.5},
	{Raw: 0.555026383, Score: 2.5},
	{Raw: 0.558360858, Score: 3},
	{Raw: 0.558360858, Score: 3},
	{Raw: 0.561431181, Score: 3.5},
	{Raw: 0.561431181, Score: 3.5},
	{Raw: 0.564301474, Score: 4},
	{Raw: 0.566914759, Score: 4.5},
	{Raw: 0.56953327, Score: 5},
	{Raw: 0.56953327, Score: 5},
	{Raw: 0.571939099, Score: 5.5},
	{Raw: 0.574263643, Score: 6},
	{Raw: 0.574263643, Score: 6},
	{Raw: 0.576514036, Score: 6.5},
	{Raw: 0.576514036, Score: 6.5},
	{Raw: 0.578660953, Score: 7},
	{Raw: 0.580793037, Score: 7.5},
	{Raw: 0.582720146, Score: 8},
	{Raw: 0.584723554, Score: 8.499},
	{Raw: 0.584723554, Score: 8.5},
	{Raw: 0.586760027, Score: 9},
	{Raw: 0.586760027, Score: 9.001},
	{Raw: 0.588603194, Score: 9.5},
	{Raw: 0.588603194, Score: 9.5},
	{Raw: 0.590588405, Score: 10},
	{Raw: 0.592403778, Score: 10.5},
	{Raw: 0.592403778, Score: 10.501},
	{Raw: 0.594237725, Score: 11},
	{Raw: 0.596188118, Score: 11.5},
	{Raw: 0.597913558, Score: 12},
	{Raw: 0.59960686, Score: 12.5},
	{Raw: 0.601358504, Score: 13},
	{Raw: 0.601358504, Score: 13.001},
	{Raw: 0.601397097, Score: 13.011},
	{Raw: 0.910425249, Score: 120},
}}
