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
	{Raw: 0, Score: 1.153},
	{Raw: 0.00976829067, Score: 1.5},
	{Raw: 0.0141215767, Score: 2},
	{Raw: 0.0176286841, Score: 2.5},
	{Raw: 0.0205947706, Score: 3},
	{Raw: 0.0233726528, Score: 3.5},
	{Raw: 0.0260172544, Score: 4},
	{Raw: 0.0287279733, Score: 4.5},
	{Raw: 0.0312467611, Score: 5},
	{Raw: 0.0337884031, Score: 5.5},
	{Raw: 0.0363065261, Score: 6},
	{Raw: 0.0387537452, Score: 6.5},
	{Raw: 0.0412051584, Score: 7},
	{Raw: 0.0438001376, Score: 7.5},
	{Raw: 0.0462000823, Score: 8},
	{Raw: 0.0483619254, Score: 8.5},
	{Raw: 0.0507766432, Score: 9},
	{Raw: 0.0532377772, Score: 9.5},
	{Raw: 0.0557445666, Score: 10},
	{Raw: 0.0580603348, Score: 10.5},
	{Raw: 0.0605170279, Score: 11},
	{Raw: 0.0628699483, Score: 11.5},
	{Raw: 0.0650886615, Score: 12},
	{Raw: 0.0672891233, Score: 12.5},
	{Raw: 0.0695873424, Score: 13},
	{Raw: 0.0695968391, Score: 13.01},
	{Raw: 0.598454725, Score: 120},
}}
