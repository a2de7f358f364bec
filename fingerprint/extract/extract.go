// Package extract finds the minutiae of a fingerprint image and returns them as a
// fingerprint.Template.
//
// The input is an 8-bit grey image at 500 pixels per inch with dark ridges on a light
// background. Extraction runs these stages, each in its own file:
//
//  1. segmentation (segment.go): block contrast and gradient coherence separate the
//     finger from the background; morphological clean-up, largest component, hole
//     filling and border erosion give a pixel mask.
//  2. orientation field (orientation.go): Sobel gradients, doubled-angle averaging in
//     blocks, Gaussian smoothing of the doubled-angle vectors at two scales blended by
//     coherence (more smoothing where coherence is low), bilinear interpolation per pixel.
//  3. ridge frequency (frequency.go): per-block x-signature along the ridge normal,
//     invalid blocks interpolated, the field smoothed and clamped.
//  4. contextual enhancement (enhance.go): an oriented Gabor filter, applied as two rotated
//     1-D passes (Gaussian along the ridge, even Gabor across it) from a precomputed kernel
//     bank of orientations × wavelengths, inside the mask only.
//  5. binarisation and thinning (thin.go): sign of the enhanced image, removal of small
//     ridge islands and valley holes, Zhang–Suen thinning with lookup tables and a final
//     staircase pass for a one-pixel-wide 8-connected skeleton.
//  6. minutia detection (minutiae.go): the skeleton is traced into a graph whose nodes are
//     the crossing-number endings and bifurcations; directions follow the skeleton.
//  7. false-minutia removal (filter.go): spurs, short ridges and dots, bridges, lakes,
//     broken ridges, minutiae near the mask border, clusters; finally the best minutiae by
//     quality are kept.
//  8. image quality (quality.go): a 0–100 score from foreground area, orientation
//     coherence and ridge–valley clarity.
//
// When Options.DebugDir is set every stage writes a PNG (debug.go).
package extract

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/biomesh/biomesh/fingerprint"
)

// Options controls an extraction. The zero value (or a nil *Options) is the default.
type Options struct {
	// DebugDir, when set, is a directory into which one PNG per stage is written.
	DebugDir string
	// DebugName is the file stem of the debug PNGs ("debug" when empty).
	DebugName string
	// MaxMinutiae caps the number of minutiae returned, keeping the best by quality
	// (0 means the default, 80).
	MaxMinutiae int
}

// Errors returned by Extract for images that are not fingerprints.
var (
	// ErrTooSmall is returned for images smaller than MinSize pixels on a side.
	ErrTooSmall = errors.New("extract: image too small")
	// ErrBlank is returned for uniform images without texture.
	ErrBlank = errors.New("extract: blank or uniform image")
	// ErrNoForeground is returned when segmentation finds no fingerprint area.
	ErrNoForeground = errors.New("extract: no fingerprint area found")
)

// MinSize is the smallest width and height, in pixels, that Extract accepts.
const MinSize = 48

// Extract finds the minutiae of img, which must be at 500 ppi (fingerprint.DefaultResolution)
// with dark ridges. It returns an error only for images that are not usable at all (too
// small, blank, no foreground); any real fingerprint yields a template, maybe with few
// minutiae.
func Extract(img *image.Gray, opts *Options) (*fingerprint.Template, error) {
	if opts == nil {
		opts = &Options{}
	}
	if img == nil {
		return nil, ErrTooSmall
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < MinSize || h < MinSize {
		return nil, fmt.Errorf("%w: %dx%d (minimum %dx%d)", ErrTooSmall, w, h, MinSize, MinSize)
	}
	p := defaultParams
	if opts.MaxMinutiae > 0 {
		p.maxMinutiae = opts.MaxMinutiae
	}
	s := newState(img, &p)
	if s.globalStd < p.blankStd {
		return nil, fmt.Errorf("%w: grey-level deviation %.2f", ErrBlank, s.globalStd)
	}
	dbg := newDebug(opts, s)

	s.computeGradients()
	found := s.segment()
	dbg.mask() // also when nothing was found: the mask shows the user why
	if !found {
		return nil, ErrNoForeground
	}
	s.orientation()
	dbg.orientation()
	s.frequency()
	dbg.frequency()
	s.enhance()
	dbg.enhanced()
	s.binarize()
	dbg.binary()
	s.thin()
	dbg.skeleton()
	s.detect()
	s.filter()
	s.imageQuality()
	dbg.minutiae()

	t := &fingerprint.Template{
		Width:      w,
		Height:     h,
		Resolution: fingerprint.DefaultResolution,
		Quality:    s.quality,
		Minutiae:   make([]fingerprint.Minutia, 0, len(s.minutiae)),
	}
	for _, m := range s.minutiae {
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{
			X:         int(math.Round(m.x)),
			Y:         int(math.Round(m.y)),
			Direction: fingerprint.NormalizeAngle(-m.dir), // image angle (y down) → ISO angle (y up)
			Type:      m.kind,
			Quality:   uint8(m.quality),
		})
	}
	if dbg != nil && dbg.err != nil {
		return t, fmt.Errorf("extract: writing debug images: %w", dbg.err)
	}
	return t, nil
}

// state holds the image and the output of every stage.
type state struct {
	p         *params
	w, h      int
	pix       []float32 // grey levels 0–255, row-major
	globalStd float64

	// block grid (p.block pixels per block)
	bw, bh int

	// gradients per block (sums over one block) and raw block statistics
	bxx, byy, bxy []float32
	bmean         []float32 // grey-level mean of each block
	bstd          []float32 // grey-level standard deviation around each block
	bcoh          []float32 // raw gradient coherence around each block
	bslope        []float32 // |Σ gradient| / Σ |gradient|: 0 for ridges, 1 for a ramp or an edge
	stdP95        float32   // 95th percentile of bstd

	// segmentation
	blockMask []bool
	mask      []bool    // per pixel
	dist      []float32 // per pixel: distance in pixels to the nearest background pixel

	// orientation: smoothed doubled-angle unit vectors per block, and coherence
	ocos, osin []float32
	ocoh       []float32
	near       []bool    // blocks within a Gabor kernel radius of the foreground
	pixTheta   []float32 // per-pixel ridge angle in [0, π), image coordinates (y down)

	// frequency: ridge wavelength (pixels) per block
	wavelength []float32

	// enhancement and binarisation
	enh    []float32
	binary []uint8 // 1 = ridge
	skel   []uint8 // 1 = skeleton pixel

	// minutiae
	graph    *skelGraph
	minutiae []minutia
	quality  int
}

// minutia is a minutia in image coordinates; dir is in radians counter-clockwise from the
// x axis in image coordinates (y down), i.e. clockwise as seen on screen.
type minutia struct {
	x, y    float64
	dir     float64
	kind    fingerprint.MinutiaType
	quality float64
	node    int // graph node
}

func newState(img *image.Gray, p *params) *state {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	s := &state{p: p, w: w, h: h, pix: make([]float32, w*h)}
	var sum, sum2 float64
	for y := 0; y < h; y++ {
		row := img.Pix[(y)*img.Stride : (y)*img.Stride+w]
		o := y * w
		for x, v := range row {
			f := float32(v)
			s.pix[o+x] = f
			sum += float64(f)
			sum2 += float64(f) * float64(f)
		}
	}
	n := float64(w * h)
	mean := sum / n
	s.globalStd = math.Sqrt(math.Max(0, sum2/n-mean*mean))
	s.bw = (w + p.block - 1) / p.block
	s.bh = (h + p.block - 1) / p.block
	return s
}
