package iris

// params gathers every tunable of the pipeline. Lengths in pixels are at the working scale:
// segmentation runs on the image resampled so that its width is about workWidth pixels
// (320 × 280 images are used as they are; a 640 × 480 image is halved).
//
// The values follow the published practice of Daugman, Masek and OSIRIS (filter wavelength,
// bandwidth, code size, ±8 shifts) and the ISO/IEC 29794-6 quality recommendations, not a
// search over one data set.
type params struct {
	// --- 1. input
	minSide   int     // images with a side shorter than this are refused
	maxSide   int     // … or longer than this
	blankStd  float64 // grey-level deviation below which an image is blank
	workWidth int     // target width of the working image

	// --- 2. specular reflections
	specAbs    float32 // a pixel brighter than this …
	specRel    float32 // … and this much brighter than its neighbourhood mean is a reflection
	specWindow int     // half-size of that neighbourhood
	specDilate int     // reflections are grown by this many pixels

	// --- 3. pupil
	pupilRMin    float64 // smallest pupil radius searched
	pupilRMax    float64 // largest pupil radius searched
	pupilSeeds   int     // darkest candidate centres refined by the operator
	pupilSearch  int     // half-size of the coarse centre search around a seed
	pupilStep    float64 // grid step of that search (the fine search covers ±2 pixels)
	circleAngles int     // samples on a circle for the integro-differential operator
	blurSigma    float64 // Gaussian σ of the image the boundaries are fitted on

	// --- 4. limbus
	ratioMin         float64 // smallest pupil/iris radius ratio searched (and accepted)
	ratioMax         float64 // largest pupil/iris radius ratio searched (and accepted)
	irisRMax         float64 // largest iris radius searched
	limbusOffset     float64 // largest iris-centre offset from the pupil centre, fraction of the pupil radius plus limbusOffsetPx
	limbusOffPx      float64
	limbusSectorA    float64 // lateral sectors used: from −limbusSectorA …
	limbusSectorB    float64 // … to +limbusSectorB radians below the horizontal, on both sides
	limbusCoarseStep float64 // centre grid step of that search, pixels
	limbusSpan       float64 // the rise is measured between rings up to this far inside and outside the circle, pixels

	// --- 5. eyelids and eyelashes
	lidMinContrast float64 // mean grey-level step along an eyelid arc needed to accept it
	lidMinInside   int     // an eyelid arc needs this many samples inside the iris
	lidPupilClear  float64 // an eyelid arc must pass at least this many pupil radii above (below) the pupil centre
	lashLevel      float64 // pixels darker than pupil + lashLevel·(iris − pupil) are lashes
	brightSigmas   float64 // pixels brighter than the iris median by this many robust σ are masked
	upperSector    float64 // within this angle (radians) of straight up, the iris is left out of the code …
	upperFrom      float64 // … from this fraction of the way from pupil to limbus outwards (eyelashes)

	// --- 6. normalisation
	stripRows int     // radial samples of the rubber sheet
	stripCols int     // angular samples of the rubber sheet
	rhoInner  float64 // the strip starts at this fraction of the way from pupil to limbus …
	rhoOuter  float64 // … and ends at this one (the outer ring is often occluded, blurred, and shaded alike in all eyes)

	// --- 7. encoding
	codeRows     int     // radial bands of the iris code
	codeCols     int     // angular positions per band (stripCols must be a multiple)
	wavelength   float64 // log-Gabor centre wavelength, in strip samples along the angle
	sigmaOnF     float64 // log-Gabor bandwidth parameter σ/f₀
	bandSigma    float64 // σ of the radial Gaussian that pools strip rows into a band, in band spacings
	minValidFrac float64 // a code position needs this fraction of valid strip samples under its support
	fragileFrac  float64 // in each band, bits whose |response| is in the lowest fraction are masked

	// --- 8. quality gates (see Quality)
	minUsableBits    int
	minIrisRadius    float64 // in pixels of the input image
	minSharpness     float64
	maxOcclusion     float64
	maxGaze          float64 // pupil–iris centre offset over the iris radius
	minPupilContrast float64
	minIrisContrast  float64
	minMargin        float64 // fraction of the iris circle inside the image

	// --- comparison
	nTypical    float64 // bits compared in a typical comparison (Daugman's normalisation): about the median between two codes, 55 % of 2048
	minCompared int     // comparisons with fewer bits in common score 0
}

var defaultParams = params{
	minSide:   120,
	maxSide:   4096,
	blankStd:  4,
	workWidth: 320,

	specAbs:    180,
	specRel:    50,
	specWindow: 6,
	specDilate: 2,

	pupilRMin:    12,
	pupilRMax:    75,
	pupilSeeds:   3,
	pupilSearch:  12,
	pupilStep:    3,
	circleAngles: 64,
	blurSigma:    1.5,

	ratioMin:         0.18,
	ratioMax:         0.75,
	irisRMax:         150,
	limbusOffset:     0.05, // with limbusOffPx and the two refinements (±3 pixels), up to about 8 % of the iris radius: the pupil's physiological decentration; more freedom lets the circle slide sideways onto an edge inside the iris on one side
	limbusOffPx:      3,
	limbusSectorA:    0.79, // 45°
	limbusSectorB:    0.79, // 45°: further down the lower lid crosses the limbus in many eyes, and the median rise then locks onto an edge inside the iris
	limbusCoarseStep: 3,    // every shift is within 1.5 pixels of a grid point; the next search covers ±2
	limbusSpan:       3,

	lidMinContrast: 8,
	lidMinInside:   25,
	lidPupilClear:  0.5,
	lashLevel:      0.45,
	brightSigmas:   4,
	upperSector:    0.785, // 45°: the 90° sector under the upper lid, …
	upperFrom:      0.4,   // … beyond 40 % of the way out, where eyelashes lie in most images

	stripRows: 32,
	stripCols: 256,
	rhoInner:  0.0,
	rhoOuter:  0.8,

	codeRows:     8,
	codeCols:     128,
	wavelength:   18,
	sigmaOnF:     0.5,
	bandSigma:    0.6,
	minValidFrac: 0.9,
	fragileFrac:  0.1,

	minUsableBits:    400,
	minIrisRadius:    40,
	minSharpness:     0.18,
	maxOcclusion:     0.7,
	maxGaze:          0.25,
	minPupilContrast: 6,
	minIrisContrast:  2,
	minMargin:        0.6,

	nTypical:    1100,
	minCompared: 256,
}
