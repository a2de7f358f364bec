package match

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity (scoreOf, in [0, 1]) onto the project's calibrated
// scale, score = −10·log10(estimated false match rate). It is the empirical impostor
// survival function of the raw score, with an exponential tail fitted on the top 5 % of
// impostors for raw values beyond those observed (eval.FitCalibration), measured on all
// cross-finger impostor comparisons of the eight FVC2000/FVC2002 "B" databases with this
// engine's own extractor (23,040 comparisons; fitted 2026-12-02). About 46 % of
// impostors score exactly 0 (no seed gathers enough agreeing pairs). Refit the table
// whenever the extractor or the comparator changes:
//
//	D=$BIOMESH_TESTDATA/fingerprint
//	biomesh eval fvc --fit-calibration $D/fvc2000/DB{1,2,3,4}_B $D/fvc2002/DB1_B $D/fvc2002/DB2_B@569 $D/fvc2002/DB{3,4}_B
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0, Score: 0},
	{Raw: 0, Score: 2.651},
	{Raw: 0.0125739463, Score: 3},
	{Raw: 0.0173737869, Score: 3.5},
	{Raw: 0.0211293427, Score: 4},
	{Raw: 0.0243619697, Score: 4.5},
	{Raw: 0.0273473136, Score: 5},
	{Raw: 0.0304549983, Score: 5.5},
	{Raw: 0.0334530365, Score: 6},
	{Raw: 0.0362035219, Score: 6.5},
	{Raw: 0.0389116277, Score: 7},
	{Raw: 0.0415788222, Score: 7.5},
	{Raw: 0.0443698418, Score: 8},
	{Raw: 0.0469413127, Score: 8.5},
	{Raw: 0.049346751, Score: 9},
	{Raw: 0.0521225569, Score: 9.5},
	{Raw: 0.0547306111, Score: 10},
	{Raw: 0.0572596445, Score: 10.5},
	{Raw: 0.0597551205, Score: 11},
	{Raw: 0.0625601288, Score: 11.5},
	{Raw: 0.0649343822, Score: 12},
	{Raw: 0.0675343523, Score: 12.5},
	{Raw: 0.0700978386, Score: 13},
	{Raw: 0.0701461109, Score: 13.01},
	{Raw: 0.598432157, Score: 120},
}}
