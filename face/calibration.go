package face

import "github.com/biomesh/biomesh/eval"

// The calibrations of dlib's ResNet embeddings map the raw similarity onto the project's
// scale, score = −10·log10(estimated false match rate): the empirical impostor survival
// function with an exponential tail fitted on the top 5 % of impostors (eval.FitCalibration).
// They were fitted on every impostor pair of the enrolled images of the johns (1,210 pairs,
// five men, aligned chips) and goface (384 pairs, photos of young Korean women) sets,
// 1,594 comparisons in all (2026-12-02). That is few impostors: rates below about 1e-3
// (30 on the scale) are the fitted tail's extrapolation, not observation. goface's
// impostors score far higher than johns' (dlib's model separates those faces badly), so
// the pooled table is a compromise; refit on a larger, representative impostor set before
// relying on thresholds above 30, and whenever the model, alignment or detector changes:
//
//	D=$BIOMESH_TESTDATA/face
//	go build -tags dlib -o biomesh ./cmd/biomesh
//	./biomesh face eval --fit-calibration $D/johns $D/goface
//
// The raw similarity is the cosine for Cosine, and minus the L2 distance of the
// unnormalised embeddings for L2.
func init() {
	RegisterCalibration(DlibModel, Cosine, dlibCosine)
	RegisterCalibration(DlibModel, L2, dlibL2)
}

// DlibModel is the model name of dlib's ResNet embeddings in templates. It is known
// without the dlib backend, so such templates compare in any build.
const DlibModel = "dlib-resnet-v1"

var dlibCosine = eval.Calibration{Knots: []eval.Knot{
	{Raw: 0.715495813, Score: 0},
	{Raw: 0.75081816, Score: 0.5},
	{Raw: 0.770341314, Score: 1},
	{Raw: 0.791414112, Score: 1.5},
	{Raw: 0.804362146, Score: 2},
	{Raw: 0.812366748, Score: 2.5},
	{Raw: 0.82042867, Score: 3},
	{Raw: 0.831089003, Score: 3.5},
	{Raw: 0.842539246, Score: 4},
	{Raw: 0.855039134, Score: 4.5},
	{Raw: 0.86549641, Score: 5},
	{Raw: 0.8749971, Score: 5.5},
	{Raw: 0.88453255, Score: 6},
	{Raw: 0.907291404, Score: 6.5},
	{Raw: 0.915484815, Score: 7},
	{Raw: 0.92130958, Score: 7.5},
	{Raw: 0.925309018, Score: 8},
	{Raw: 0.928525226, Score: 8.5},
	{Raw: 0.931266874, Score: 9},
	{Raw: 0.933145293, Score: 9.5},
	{Raw: 0.935393888, Score: 10},
	{Raw: 0.936909896, Score: 10.5},
	{Raw: 0.939180499, Score: 11},
	{Raw: 0.940653443, Score: 11.5},
	{Raw: 0.941927986, Score: 12},
	{Raw: 0.942742078, Score: 12.5},
	{Raw: 0.944652656, Score: 12.994},
	{Raw: 1.11997413, Score: 120},
}}

var dlibL2 = eval.Calibration{Knots: []eval.Knot{
	{Raw: -1.11067625, Score: 0},
	{Raw: -1.0232559, Score: 0.5},
	{Raw: -0.987156742, Score: 1},
	{Raw: -0.941504641, Score: 1.5},
	{Raw: -0.907076903, Score: 2},
	{Raw: -0.887764782, Score: 2.5},
	{Raw: -0.865651754, Score: 3},
	{Raw: -0.84243131, Score: 3.5},
	{Raw: -0.812337927, Score: 4},
	{Raw: -0.770795777, Score: 4.5},
	{Raw: -0.745038815, Score: 5},
	{Raw: -0.720631478, Score: 5.5},
	{Raw: -0.695092655, Score: 6},
	{Raw: -0.619941392, Score: 6.5},
	{Raw: -0.591649668, Score: 7},
	{Raw: -0.57012154, Score: 7.5},
	{Raw: -0.554706384, Score: 8},
	{Raw: -0.545295878, Score: 8.5},
	{Raw: -0.53721917, Score: 9},
	{Raw: -0.528696541, Score: 9.5},
	{Raw: -0.518555608, Score: 10},
	{Raw: -0.510526955, Score: 10.5},
	{Raw: -0.502501413, Score: 11},
	{Raw: -0.493983612, Score: 11.5},
	{Raw: -0.488446327, Score: 12},
	{Raw: -0.482581422, Score: 12.5},
	{Raw: -0.477119, Score: 12.994},
	{Raw: 0.377608961, Score: 120},
}}
