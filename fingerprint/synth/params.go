package synth

// params gathers every tunable of the generator. Distances are in pixels at 500 ppi.
type params struct {
	// --- master print
	width, height int     // default master image size
	maskA, maskB  float64 // default finger semi-axes (x, y) in pixels
	maskJitter    float64 // relative random variation of the semi-axes
	maskBottomExp float64 // super-ellipse exponent of the lower half of the finger (2 = ellipse)
	minPeriod     float64 // default shortest ridge period
	maxPeriod     float64 // default longest ridge period
	periodVar     float64 // amplitude (px) of the smooth spatial variation of the period
	flowAdapt     float64 // how far the period follows the flow (flowLogPeriod): 0 not at all, 1 fully
	flowRange     float64 // the flow-following log-period change is limited softly to ±flowRange
	seedSpacing   float64 // mean distance (px) between the random seeds of the ridge growth
	iterations    int     // default number of growth iterations
	fieldBlur     float64 // σ (px) of the smoothing of the grown pattern (ridge profile)
	localBlock    int     // block size (px) of the local amplitude that normalises each growth iteration
	localGain     float32 // the response saturates above this fraction of its local amplitude
	localFloor    float32 // … or of this fraction of the global maximum where the response is weak

	// --- Gabor kernel bank of the growth
	bankAngles  int     // orientation bins over [0, π)
	bankLambda0 float64 // shortest wavelength bin (px)
	bankLambda1 float64 // longest wavelength bin (px)
	bankStep    float64 // wavelength bin step (px)
	sigmaAlong  float64 // σ (px) of the Gaussian along the ridge
	sigmaAcross float64 // σ of the Gaussian across the ridge, as a fraction of the wavelength

	// --- singular points and arch model
	archAmplitude            float64 // height (px) of the arch bulge at its strongest
	archWidth                float64 // σ (px) of the arch bulge across the finger
	oriWaves                 int     // plane waves perturbing the doubled orientation angle
	oriPerturb               float64 // largest amplitude (rad) of each, on the doubled angle
	oriWaveMin               float64 // shortest wavelength (px) of the perturbation
	oriWaveMax               float64 // longest
	oriWarp                  float64 // largest Σ n·|aₙ| of the angle correction of each singular point (< 1)
	loopDeltaX0, loopDeltaX1 float64 // a loop\'s delta lies this far (px) to the side of the core, uniform in [X0, X1] …
	loopDeltaY0, loopDeltaY1 float64 // … and this far below it

	// --- impression
	maxRotation    float64 // default largest rotation (degrees)
	maxTranslation float64 // default largest translation (px)
	distRotation   float64 // largest rotation (degrees) of the elastic part
	distShift      float64 // largest translation (px) of the elastic part
	distR0         float64 // radius (px) of the rigid close-contact region, mean
	distK          float64 // scale (px) of the brake function outside it
	contactMin     float64 // smallest contact ellipse, as a fraction of the finger semi-axes
	contactMax     float64 // largest contact ellipse
	contactShift   float64 // largest shift (px) of the contact centre from the finger centre
	contactFade    float64 // width (px) of the soft contact border
	pressureMax    float64 // largest threshold shift of the ridge profile (−: wet, +: dry)
	difficultyExp  float64 // an impression's difficulty is u^difficultyExp, u uniform in [0, 1)
	dryMax         float64 // largest fraction of dry-spot cells (ridges fade out there)
	noiseMax       float64 // largest σ of the additive grey-level noise
	dryCell        float64 // cell size (px) of the dry-spot noise
	poreCell       float64 // cell size (px) of the pore / ridge-break noise
	poreMax        float64 // largest fraction of pore cells
	edgeDry        float64 // largest threshold rise towards the contact border (fainter, thinner ridges)
	pressureVar    float64 // largest amplitude of the smooth spatial variation of the threshold
	pressureCell   float64 // cell size (px) of that variation
	maxScratches   int     // most scratches per impression
}

var defaultParams = params{
	width:         300,
	height:        400,
	maskA:         122,
	maskB:         160,
	maskJitter:    0.07,
	maskBottomExp: 3.2,
	minPeriod:     8,
	maxPeriod:     11,
	periodVar:     0.8,
	flowAdapt:     1,
	flowRange:     0.5,
	seedSpacing:   10,
	iterations:    10,
	fieldBlur:     1.2,
	localBlock:    8,
	localGain:     0.5,
	localFloor:    0.01,

	bankAngles:  36,
	bankLambda0: 4,
	bankLambda1: 16,
	bankStep:    0.5,
	sigmaAlong:  3,
	sigmaAcross: 0.5,

	archAmplitude: 60,
	archWidth:     70,
	oriWaves:      3,
	oriPerturb:    0.5,
	oriWaveMin:    150,
	oriWaveMax:    400,
	oriWarp:       0.4,
	loopDeltaX0:   55,
	loopDeltaX1:   100,
	loopDeltaY0:   60,
	loopDeltaY1:   110,

	maxRotation:    20,
	maxTranslation: 25,
	distRotation:   4,
	distShift:      10,
	distR0:         45,
	distK:          80,
	contactMin:     0.5,
	contactMax:     0.95,
	contactShift:   45,
	contactFade:    6,
	pressureMax:    0.5,
	difficultyExp:  0.7,
	dryMax:         0.45,
	noiseMax:       40,
	dryCell:        5,
	poreCell:       2.5,
	poreMax:        0.15,
	edgeDry:        0.6,
	pressureVar:    0.35,
	pressureCell:   48,
	maxScratches:   5,
}
