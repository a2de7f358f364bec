package match

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity (scoreOf, in [0, 1]) onto the project's calibrated
// scale, score = −10·log10(estimated false match rate). It is the empirical impostor
// survival function of the raw score, with an exponential tail fitted on the top 5 % of
// impostors for raw values beyond those observed (eval.FitCalibration), measured on all
// cross-finger impostor comparisons of the eight FVC2000/FVC2002 "B" databases with this
// engine's own extractor (23,040 comparisons; fitted 2026-11-24). About a quarter of
// impostors score exactly 0 (no seed gathers minQuick agreeing pairs). Refit the table
// whenever the extractor or the comparator changes:
//
//	D=$BIOMESH_TESTDATA/fingerprint
//	biomesh eval fvc --fit-calibration $D/fvc2000/DB{1,2,3,4}_B $D/fvc2002/DB1_B $D/fvc2002/DB2_B@569 $D/fvc2002/DB{3,4}_B
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0, Score: 0},
	{Raw: 0, Score: 1.166},
	{Raw: 0.00975223595, Score: 1.5},
	{Raw: 0.014078145, Score: 2},
	{Raw: 0.017503955, Score: 2.5},
	{Raw: 0.0204617323, Score: 3},
	{Raw: 0.0232997807, Score: 3.5},
	{Raw: 0.0259403503, Score: 4},
	{Raw: 0.0287036828, Score: 4.5},
	{Raw: 0.0312107378, Score: 5},
	{Raw: 0.0338225714, Score: 5.5},
	{Raw: 0.0362640159, Score: 6},
	{Raw: 0.0386566203, Score: 6.5},
	{Raw: 0.041135075, Score: 7},
	{Raw: 0.04367088, Score: 7.5},
	{Raw: 0.0460670177, Score: 8},
	{Raw: 0.0482702779, Score: 8.5},
	{Raw: 0.050763512, Score: 9},
	{Raw: 0.0532749443, Score: 9.5},
	{Raw: 0.0557766896, Score: 10},
	{Raw: 0.0580889232, Score: 10.5},
	{Raw: 0.0607354154, Score: 11},
	{Raw: 0.0632098553, Score: 11.5},
	{Raw: 0.0655007144, Score: 12},
	{Raw: 0.0678034145, Score: 12.5},
	{Raw: 0.0699512391, Score: 13},
	{Raw: 0.069970891, Score: 13.01},
	{Raw: 0.607576238, Score: 120},
}}
