package match

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity (scoreOf, in [0, 1]) onto the project's calibrated
// scale, score = −10·log10(estimated false match rate). It is the empirical impostor
// survival function of the raw score, with an exponential tail fitted on the top 5 % of
// impostors for raw values beyond those observed (eval.FitCalibration), measured on all
// cross-finger impostor comparisons of the eight FVC2000/FVC2002 "B" databases with this
// engine's own extractor (23,040 comparisons; fitted 2026-12-02). About 38 % of
// impostors score exactly 0 (no seed gathers minQuick agreeing pairs). Refit the table
// whenever the extractor or the comparator changes:
//
//	D=$BIOMESH_TESTDATA/fingerprint
//	biomesh eval fvc --fit-calibration $D/fvc2000/DB{1,2,3,4}_B $D/fvc2002/DB1_B $D/fvc2002/DB2_B@569 $D/fvc2002/DB{3,4}_B
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0, Score: 0},
	{Raw: 0, Score: 2.055},
	{Raw: 0.0119904607, Score: 2.5},
	{Raw: 0.0163887116, Score: 3},
	{Raw: 0.0199146089, Score: 3.5},
	{Raw: 0.023065, Score: 4},
	{Raw: 0.0260216737, Score: 4.5},
	{Raw: 0.0290169606, Score: 5},
	{Raw: 0.0319386664, Score: 5.5},
	{Raw: 0.0346965532, Score: 6},
	{Raw: 0.0373428618, Score: 6.5},
	{Raw: 0.0400230456, Score: 7},
	{Raw: 0.0428144932, Score: 7.5},
	{Raw: 0.045550432, Score: 8},
	{Raw: 0.0478843309, Score: 8.5},
	{Raw: 0.0505754874, Score: 9},
	{Raw: 0.0531702304, Score: 9.5},
	{Raw: 0.0556066726, Score: 10},
	{Raw: 0.0582047715, Score: 10.5},
	{Raw: 0.0609086558, Score: 11},
	{Raw: 0.063233704, Score: 11.5},
	{Raw: 0.065624335, Score: 12},
	{Raw: 0.0682304985, Score: 12.5},
	{Raw: 0.0708060408, Score: 13},
	{Raw: 0.0708260294, Score: 13.01},
	{Raw: 0.602700496, Score: 120},
}}
