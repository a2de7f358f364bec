package match

import "github.com/biomesh/biomesh/eval"

// calibration maps the raw similarity (scoreOf, in [0, 1]) onto the project's calibrated
// scale, score = −10·log10(estimated false match rate). It is the empirical impostor
// survival function of the raw score, with an exponential tail fitted on the top 5 % of
// impostors for raw values beyond those observed (eval.FitCalibration), measured on all
// cross-finger impostor comparisons of the eight FVC2000/FVC2002 "B" databases with this
// engine's own extractor (23,040 comparisons; fitted 2026-11-24). Refit it whenever the extractor or the comparator changes:
//
//	biomesh eval fvc --fit-calibration $BIOMESH_TESTDATA/fingerprint/fvc200{0,2}/DB{1,2,3,4}_B
var calibration = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0.00123740789, Score: 0},
	{Raw: 0.00946533281, Score: 0.5},
	{Raw: 0.0128903287, Score: 1},
	{Raw: 0.0156975176, Score: 1.5},
	{Raw: 0.0182627807, Score: 2},
	{Raw: 0.0207101462, Score: 2.5},
	{Raw: 0.0230647638, Score: 3},
	{Raw: 0.0253239381, Score: 3.5},
	{Raw: 0.0274601518, Score: 4},
	{Raw: 0.0296475383, Score: 4.5},
	{Raw: 0.031728807, Score: 5},
	{Raw: 0.0338690216, Score: 5.5},
	{Raw: 0.036110463, Score: 6},
	{Raw: 0.0383407886, Score: 6.5},
	{Raw: 0.0404758173, Score: 7},
	{Raw: 0.0427281834, Score: 7.5},
	{Raw: 0.0449223464, Score: 8},
	{Raw: 0.0472239243, Score: 8.5},
	{Raw: 0.0494651716, Score: 9},
	{Raw: 0.0517735801, Score: 9.5},
	{Raw: 0.0537888598, Score: 10},
	{Raw: 0.0560331673, Score: 10.5},
	{Raw: 0.0581235113, Score: 11},
	{Raw: 0.0603661054, Score: 11.5},
	{Raw: 0.0624768432, Score: 12},
	{Raw: 0.0642940611, Score: 12.5},
	{Raw: 0.0665570126, Score: 13},
	{Raw: 0.0666082517, Score: 13.01},
	{Raw: 0.533501078, Score: 120},
}}
