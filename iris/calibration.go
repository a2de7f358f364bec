package iris

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity 1 − HDnorm (the normalised Hamming distance at the
// best of the ±MaxShift shifts) onto the project's calibrated scale, score =
// −10·log10(estimated false match rate): the empirical impostor survival function with an
// exponential tail fitted on the top 5 % of impostors (eval.FitCalibration). It was fitted
// on the 69,378 cross-eye impostor comparisons of the enrolled CASIA v1 images (54 eyes × 7) with this
// engine's own extractor, 2026-12-02. The impostor distribution of iris codes is narrow and
// nearly binomial, so the table mostly depends on the code size and the number of shifts,
// not on the data set; refit it whenever the extractor or the comparator changes:
//
//	biomesh iris eval --fit-calibration $BIOMESH_TESTDATA/iris/casia-v1
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0.5, Score: 0},
	{Raw: 0.532881028, Score: 0.5},
	{Raw: 0.532881028, Score: 0.5},
	{Raw: 0.538998306, Score: 1},
	{Raw: 0.543402802, Score: 1.5},
	{Raw: 0.547018425, Score: 2},
	{Raw: 0.550201774, Score: 2.5},
	{Raw: 0.550201774, Score: 2.5},
	{Raw: 0.55308514, Score: 3},
	{Raw: 0.55308514, Score: 3},
	{Raw: 0.555639322, Score: 3.5},
	{Raw: 0.555639322, Score: 3.5},
	{Raw: 0.558106413, Score: 4},
	{Raw: 0.560508229, Score: 4.5},
	{Raw: 0.560508229, Score: 4.5},
	{Raw: 0.562736661, Score: 5},
	{Raw: 0.562736661, Score: 5},
	{Raw: 0.564834192, Score: 5.5},
	{Raw: 0.566873464, Score: 6},
	{Raw: 0.568919832, Score: 6.499},
	{Raw: 0.568919832, Score: 6.501},
	{Raw: 0.570815635, Score: 7},
	{Raw: 0.572661168, Score: 7.5},
	{Raw: 0.574499408, Score: 7.999},
	{Raw: 0.574499408, Score: 8},
	{Raw: 0.576172132, Score: 8.5},
	{Raw: 0.577901741, Score: 9},
	{Raw: 0.577901741, Score: 9},
	{Raw: 0.579581855, Score: 9.499},
	{Raw: 0.579581855, Score: 9.5},
	{Raw: 0.581167816, Score: 10},
	{Raw: 0.582821437, Score: 10.5},
	{Raw: 0.584429314, Score: 11},
	{Raw: 0.58600099, Score: 11.5},
	{Raw: 0.587397498, Score: 12},
	{Raw: 0.588817873, Score: 12.499},
	{Raw: 0.588817873, Score: 12.5},
	{Raw: 0.590258001, Score: 12.999},
	{Raw: 0.590258001, Score: 13},
	{Raw: 0.590296513, Score: 13.01},
	{Raw: 0.866863964, Score: 120},
}}
