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
	{Raw: 0.0118169694, Score: 2.5},
	{Raw: 0.0160363615, Score: 3},
	{Raw: 0.0196285052, Score: 3.5},
	{Raw: 0.0227172523, Score: 4},
	{Raw: 0.0256115675, Score: 4.5},
	{Raw: 0.0285220323, Score: 5},
	{Raw: 0.0314008506, Score: 5.5},
	{Raw: 0.0341841611, Score: 6},
	{Raw: 0.0369357394, Score: 6.5},
	{Raw: 0.0396335209, Score: 7},
	{Raw: 0.0422618759, Score: 7.5},
	{Raw: 0.0450112595, Score: 8},
	{Raw: 0.0473527957, Score: 8.5},
	{Raw: 0.0499296258, Score: 9},
	{Raw: 0.0524907783, Score: 9.5},
	{Raw: 0.0550069842, Score: 10},
	{Raw: 0.057548964, Score: 10.5},
	{Raw: 0.0601326965, Score: 11},
	{Raw: 0.0628016168, Score: 11.5},
	{Raw: 0.0652817685, Score: 12},
	{Raw: 0.0679983815, Score: 12.5},
	{Raw: 0.0703602865, Score: 13},
	{Raw: 0.0704374806, Score: 13.01},
	{Raw: 0.595208735, Score: 120},
}}
