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
	{Raw: 0.0101147439, Score: 1.5},
	{Raw: 0.0147106382, Score: 2},
	{Raw: 0.0181959987, Score: 2.5},
	{Raw: 0.0213281587, Score: 3},
	{Raw: 0.0242523233, Score: 3.5},
	{Raw: 0.0270791507, Score: 4},
	{Raw: 0.0297583154, Score: 4.5},
	{Raw: 0.0325185557, Score: 5},
	{Raw: 0.0350603848, Score: 5.5},
	{Raw: 0.037445471, Score: 6},
	{Raw: 0.0400151789, Score: 6.5},
	{Raw: 0.0426377457, Score: 7},
	{Raw: 0.045401109, Score: 7.5},
	{Raw: 0.047536537, Score: 8},
	{Raw: 0.0499871899, Score: 8.5},
	{Raw: 0.052418147, Score: 9},
	{Raw: 0.0547785236, Score: 9.5},
	{Raw: 0.0570697473, Score: 10},
	{Raw: 0.0595669788, Score: 10.5},
	{Raw: 0.0620714135, Score: 11},
	{Raw: 0.0644101715, Score: 11.5},
	{Raw: 0.0665069384, Score: 12},
	{Raw: 0.0690388061, Score: 12.5},
	{Raw: 0.0715420615, Score: 13},
	{Raw: 0.0716256966, Score: 13.01},
	{Raw: 0.60959426, Score: 120},
}}
