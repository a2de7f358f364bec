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
	{Raw: 0.502940894, Score: 0},
	{Raw: 0.537449155, Score: 0.5},
	{Raw: 0.544194969, Score: 1},
	{Raw: 0.549128507, Score: 1.5},
	{Raw: 0.553174241, Score: 2},
	{Raw: 0.556780063, Score: 2.5},
	{Raw: 0.556780063, Score: 2.5},
	{Raw: 0.56010045, Score: 3},
	{Raw: 0.56010045, Score: 3.001},
	{Raw: 0.563014349, Score: 3.5},
	{Raw: 0.56576529, Score: 4},
	{Raw: 0.568361823, Score: 4.5},
	{Raw: 0.568361823, Score: 4.5},
	{Raw: 0.570821423, Score: 5},
	{Raw: 0.570821423, Score: 5},
	{Raw: 0.573128473, Score: 5.5},
	{Raw: 0.575399129, Score: 6},
	{Raw: 0.577620769, Score: 6.5},
	{Raw: 0.579744605, Score: 7},
	{Raw: 0.581897, Score: 7.5},
	{Raw: 0.581897, Score: 7.5},
	{Raw: 0.583937938, Score: 8},
	{Raw: 0.585882678, Score: 8.5},
	{Raw: 0.587761234, Score: 9},
	{Raw: 0.58960388, Score: 9.5},
	{Raw: 0.591348414, Score: 10},
	{Raw: 0.593153049, Score: 10.5},
	{Raw: 0.594951452, Score: 11},
	{Raw: 0.596643345, Score: 11.5},
	{Raw: 0.598199854, Score: 12},
	{Raw: 0.599829813, Score: 12.5},
	{Raw: 0.60155361, Score: 13},
	{Raw: 0.601603613, Score: 13.01},
	{Raw: 0.9091043, Score: 120},
}}
