package iris

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity 1 − HDnorm (the normalised Hamming distance at the
// best of the ±MaxShift shifts) onto the project's calibrated scale, score =
// −10·log10(estimated false match rate): the empirical impostor survival function with an
// exponential tail fitted on the top 5 % of impostors (eval.FitCalibration). It was fitted
// on the 69,748 cross-eye impostor comparisons of the enrolled CASIA v1 images (54 eyes × 7)
// with this engine's own extractor, 2026-12-02, for template version 3 and the
// coarse-to-fine shift search. The impostor distribution of iris codes is narrow and nearly
// binomial, so the table mostly depends on the code size and the number of shifts, not on
// the data set; refit it whenever the extractor or the comparator changes:
//
//	biomesh eval iris --fit-calibration $BIOMESH_TESTDATA/iris/casia-v1
//
// and paste its output here.
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0.5, Score: 0},
	{Raw: 0.535383664, Score: 0.5},
	{Raw: 0.535383664, Score: 0.5},
	{Raw: 0.542377388, Score: 1},
	{Raw: 0.542377388, Score: 1},
	{Raw: 0.54757069, Score: 1.5},
	{Raw: 0.551708699, Score: 2},
	{Raw: 0.555363878, Score: 2.5},
	{Raw: 0.555363878, Score: 2.5},
	{Raw: 0.558693482, Score: 3},
	{Raw: 0.558693482, Score: 3.001},
	{Raw: 0.561715293, Score: 3.5},
	{Raw: 0.561715293, Score: 3.5},
	{Raw: 0.564442359, Score: 4},
	{Raw: 0.567107023, Score: 4.5},
	{Raw: 0.567107023, Score: 4.5},
	{Raw: 0.569577199, Score: 4.999},
	{Raw: 0.569577199, Score: 5},
	{Raw: 0.571981425, Score: 5.5},
	{Raw: 0.574246339, Score: 6},
	{Raw: 0.574246339, Score: 6},
	{Raw: 0.576437355, Score: 6.5},
	{Raw: 0.578552845, Score: 7},
	{Raw: 0.578552845, Score: 7.001},
	{Raw: 0.58060122, Score: 7.5},
	{Raw: 0.582655797, Score: 8},
	{Raw: 0.584605539, Score: 8.5},
	{Raw: 0.586464524, Score: 9},
	{Raw: 0.588231758, Score: 9.5},
	{Raw: 0.588231758, Score: 9.501},
	{Raw: 0.589951598, Score: 10},
	{Raw: 0.59181766, Score: 10.5},
	{Raw: 0.593521232, Score: 11},
	{Raw: 0.595367887, Score: 11.5},
	{Raw: 0.595367887, Score: 11.501},
	{Raw: 0.596989309, Score: 12},
	{Raw: 0.598598336, Score: 12.5},
	{Raw: 0.600327728, Score: 13},
	{Raw: 0.60039009, Score: 13.011},
	{Raw: 0.91762297, Score: 120},
}}
