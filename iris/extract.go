package iris

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// ErrSize is returned for images too small or too large to hold a usable eye.
var ErrSize = errors.New("iris: image size out of range")

// ErrBlank is returned for images without contrast.
var ErrBlank = errors.New("iris: blank image")

// Options tune one extraction. The zero value (or nil) is fine.
type Options struct {
	Eye Eye // recorded in the template

	// DebugDir, when set, receives DebugName-overlay.png (the boundaries and the mask on the
	// image) and DebugName-strip.png (the normalised strip, its mask and the code).
	DebugDir  string
	DebugName string
}

// Extract segments an eye image, unwraps the iris and encodes it. It returns the template
// and its quality; when a quality gate fails it returns a nil template, the quality, and a
// *QualityError naming the gates. Other errors concern the image itself (ErrSize, ErrBlank)
// or writing debug images.
func Extract(img image.Image, opts *Options) (*Template, Quality, error) {
	if opts == nil {
		opts = &Options{}
	}
	p := &defaultParams
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < p.minSide || h < p.minSide || w > p.maxSide || h > p.maxSide {
		return nil, Quality{}, fmt.Errorf("%w: %d×%d, want sides of %d to %d pixels", ErrSize, w, h, p.minSide, p.maxSide)
	}
	gray := toGray(img)
	s := &seg{p: p, img: newPlane(w, h)}
	var sum, sum2 float64
	for y := range h {
		row := gray.Pix[y*gray.Stride : y*gray.Stride+w]
		for x, v := range row {
			s.img.p[y*w+x] = float32(v)
			sum += float64(v)
			sum2 += float64(v) * float64(v)
		}
	}
	mean := sum / float64(w*h)
	if sd := math.Sqrt(max(0, sum2/float64(w*h)-mean*mean)); sd < p.blankStd {
		return nil, Quality{}, fmt.Errorf("%w: grey-level deviation %.2f", ErrBlank, sd)
	}

	s.scale = 1
	if float64(w) > 1.25*float64(p.workWidth) {
		s.scale = float64(p.workWidth) / float64(w)
	}
	s.specular()
	s.work = s.img.resample(s.scale).blur(p.blurSigma)
	s.findPupil()
	if s.pupilContrast > 0 {
		s.findLimbus()
	}
	if s.irisContrast > 0 {
		s.findLids()
	}
	q := Quality{PupilContrast: s.pupilContrast, IrisContrast: s.irisContrast, IrisRadius: s.iris.R}
	var st *strip
	var code, mask []uint64
	if s.iris.R > 0 {
		q.PupilIrisRatio = s.pupil.R / s.iris.R
		q.Gaze = math.Hypot(s.pupil.X-s.iris.X, s.pupil.Y-s.iris.Y) / s.iris.R
		q.Margin = s.margin()
		st = s.normalise()
		q.Occlusion = 1 - st.validFraction()
		q.Sharpness = s.sharpness()
		code, mask = encode(p, st)
		for _, m := range mask {
			q.UsableBits += popcount(m)
		}
	}
	failed := q.gates(p)
	var t *Template
	if len(failed) == 0 {
		t = &Template{
			Width: w, Height: h, Eye: opts.Eye,
			Quality: uint8(min(100, math.Round(100*float64(q.UsableBits)/float64(64*len(mask))))),
			Pupil:   s.pupil, Iris: s.iris,
			Rows: p.codeRows, Cols: p.codeCols,
			Code: code, Mask: mask,
		}
	}
	var err error
	if opts.DebugDir != "" {
		err = writeDebug(opts, s, st, code, mask)
	}
	if len(failed) > 0 {
		return nil, q, &QualityError{Failed: failed}
	}
	if err != nil {
		return t, q, fmt.Errorf("iris: writing debug images: %w", err)
	}
	return t, q, nil
}
