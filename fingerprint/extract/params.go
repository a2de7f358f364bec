package extract

// params gathers every tunable of the pipeline. Distances are in pixels at 500 ppi.
type params struct {
	// --- input checks
	blankStd float64 // images whose global grey-level deviation is below this are blank

	// --- 1. segmentation
	block        int     // block size of all block-level statistics (8 px ≈ one ridge period)
	segWindow    int     // half-size of the window, in blocks, over which block statistics are pooled (1 → 3×3 blocks)
	segAbsStd    float32 // a block needs at least this grey-level deviation to be foreground
	segRelStd    float32 // … and at least this fraction of the 95th percentile of block deviations
	segCoherence float32 // … and at least this gradient coherence (noise has low coherence)
	segStrongStd float32 // blocks whose deviation exceeds this fraction of the 95th percentile pass regardless of coherence
	segMaxSlope  float32 // … and a slope (|Σ∇| / Σ|∇|) below this: ridges alternate, ramps and edges do not
	segOpen      int     // radius (blocks) of the morphological opening removing specks
	segClose     int     // radius (blocks) of the closing joining the finger area
	segErode     float32 // pixels eroded from the mask border after up-sampling to pixels
	segMinBlocks int     // fewer foreground blocks than this means no fingerprint

	// --- 2. orientation
	oriSigmaFine   float64 // Gaussian σ (blocks) of the fine smoothing of doubled-angle vectors
	oriSigmaCoarse float64 // Gaussian σ (blocks) of the coarse smoothing used where coherence is low
	oriCohLow      float32 // fine-field coherence at or below which the coarse field is used alone
	oriCohHigh     float32 // fine-field coherence at or above which the fine field is used alone

	// --- 3. frequency
	freqStep      int     // grid step, in blocks, at which wavelength is measured (2 → every 16 px)
	freqHalfLen   int     // half-length (px) of the x-signature along the ridge normal
	freqHalfWidth int     // half-width (px) of the x-signature along the ridge
	freqMin       float32 // shortest accepted ridge period (px); 3 px = 1/3 px⁻¹
	freqMax       float32 // longest accepted ridge period (px); 25 px = 1/25 px⁻¹
	freqDefault   float32 // period used when no block gives a valid estimate (≈ 9 px at 500 ppi)
	freqFillSigma float64 // σ (measurement cells) of the normalised convolution filling invalid cells
	freqSmooth    float64 // σ (measurement cells) of the final smoothing of the period field

	// --- 4. enhancement
	gaborAngles     int     // orientation bins of the kernel bank over [0, π)
	gaborLambdaLo   float32 // shortest wavelength bin (px)
	gaborLambdaHi   float32 // longest wavelength bin (px)
	gaborLambdaStep float32 // wavelength bin step (px)
	gaborAlongRel   float64 // when > 0, σ along the ridge is this fraction of the wavelength (capped at gaborAlong)
	gaborAlong      float64 // σ (px) of the Gaussian along the ridge
	gaborAcross     float64 // σ of the Gaussian across the ridge, as a fraction of the wavelength
	gaborAcrossMax  float64 // cap (px) on that σ

	// --- 6–7. minutiae and filtering
	dirDistance      int     // skeleton pixels followed from a minutia to measure its direction
	spurLength       float64 // an ending–bifurcation branch shorter than this is a spur
	shortRidge       float64 // an isolated ridge (ending–ending) shorter than this is removed
	bridgeLength     float64 // a bifurcation–bifurcation link shorter than this, crossing a valley, is a bridge
	lakeLength       float64 // two bifurcations joined by two paths both shorter than this form a lake
	gapDistance      float64 // endings closer than this, facing each other, form a broken ridge
	gapAngle         float64 // max deviation (rad) from "facing each other" for a broken ridge
	borderDistance   float32 // minutiae closer than this (px) to the mask border are dropped
	clusterRadius    float64 // radius of the cluster test
	clusterMax       int     // more than this many other minutiae within clusterRadius → cluster
	maxMinutiae      int     // at most this many minutiae are kept, best quality first
	endingShift      float64 // endings are moved this far (px) against their direction (ISO placement)
	bifurcationShift float64 // bifurcations are moved this far (px) against their direction
	qualityBorder    float32 // distance to the border (px) at which minutia quality stops rising
}

var defaultParams = params{
	blankStd: 2,

	block:        8,
	segWindow:    1,
	segAbsStd:    5,
	segRelStd:    0.3,
	segCoherence: 0.15,
	segStrongStd: 0.7,
	segMaxSlope:  0.6,
	segOpen:      1,
	segClose:     2,
	segErode:     4,
	segMinBlocks: 12,

	oriSigmaFine:   1.0,
	oriSigmaCoarse: 3.0,
	oriCohLow:      0.3,
	oriCohHigh:     0.7,

	freqStep:      2,
	freqHalfLen:   16,
	freqHalfWidth: 8,
	freqMin:       3,
	freqMax:       25,
	freqDefault:   9,
	freqFillSigma: 1.5,
	freqSmooth:    1.0,

	gaborAngles:     24,
	gaborLambdaLo:   4,
	gaborLambdaHi:   20,
	gaborLambdaStep: 0.5,
	gaborAlong:      4,
	gaborAcross:     0.45,
	gaborAcrossMax:  6,

	dirDistance:      12,
	spurLength:       12,
	shortRidge:       16,
	bridgeLength:     12,
	lakeLength:       22,
	gapDistance:      16,
	gapAngle:         0.6,
	borderDistance:   10,
	clusterRadius:    12,
	clusterMax:       3,
	maxMinutiae:      80,
	endingShift:      2.5,
	bifurcationShift: 2,
	qualityBorder:    32,
}
