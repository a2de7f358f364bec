// Package fingerprint holds the finger-minutiae template shared by every part of the
// fingerprint engine, and its codecs: the project's native binary form and the
// ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 interchange records.
//
// Conventions (the same as ISO/IEC 19794-2): the origin is the top-left pixel, x grows to
// the right and y grows downwards; a minutia's direction is measured counter-clockwise from
// the positive x axis, as seen on the image, in radians in [0, 2π). All coordinates of a
// Template are at Resolution pixels per inch; the engine works at DefaultResolution.
package fingerprint

import "math"

// DefaultResolution is the resolution, in pixels per inch, at which the engine extracts and
// compares. Images and records at other resolutions are rescaled to it.
const DefaultResolution = 500

// MinutiaType says whether a minutia is a ridge ending or a bifurcation.
type MinutiaType uint8

const (
	// Other is a minutia whose kind is unknown (ISO 19794-2 type 00).
	Other MinutiaType = 0
	// Ending is a ridge ending.
	Ending MinutiaType = 1
	// Bifurcation is a ridge bifurcation.
	Bifurcation MinutiaType = 2
)

// String names the type.
func (t MinutiaType) String() string {
	switch t {
	case Ending:
		return "ending"
	case Bifurcation:
		return "bifurcation"
	}
	return "other"
}

// Minutia is one ridge ending or bifurcation.
type Minutia struct {
	X, Y int // pixels from the top-left corner, at the template's resolution
	// Direction in radians in [0, 2π), counter-clockwise from the x axis as seen on the image
	// (so a direction of π/2 points to the top of the image). For an ending it points along
	// the ridge away from the ending; for a bifurcation along the valley that ends there,
	// as ISO/IEC 19794-2 defines it.
	Direction float64
	Type      MinutiaType
	Quality   uint8 // 0 (unknown / worst) to 100 (best)
}

// Template is the minutiae of one finger impression.
type Template struct {
	Width, Height int // image size in pixels at Resolution
	Resolution    int // pixels per inch; DefaultResolution for templates made by this engine
	Quality       int // overall image quality 0–100
	Position      int // finger position code 0–10 (0 unknown), as in ISO/IEC 19794-2
	Minutiae      []Minutia
}

// NormalizeAngle maps any angle in radians onto [0, 2π).
func NormalizeAngle(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	if a >= 2*math.Pi {
		a = 0
	}
	return a
}

// Rescaled returns a copy of t with its coordinates at resolution ppi. A template whose
// resolution is unknown (zero) is taken to be at DefaultResolution.
func (t *Template) Rescaled(resolution int) *Template {
	from := t.Resolution
	if from <= 0 {
		from = DefaultResolution
	}
	c := *t
	c.Minutiae = append([]Minutia(nil), t.Minutiae...)
	c.Resolution = resolution
	if from == resolution {
		return &c
	}
	f := float64(resolution) / float64(from)
	c.Width = int(math.Round(float64(t.Width) * f))
	c.Height = int(math.Round(float64(t.Height) * f))
	for i := range c.Minutiae {
		c.Minutiae[i].X = int(math.Round(float64(c.Minutiae[i].X) * f))
		c.Minutiae[i].Y = int(math.Round(float64(c.Minutiae[i].Y) * f))
	}
	return &c
}

// WithHeight returns a copy of t stretched vertically so that its image is height pixels
// tall: y coordinates scale by height/t.Height and directions turn to match. It repairs
// records whose extractor worked on a vertically resized image (some vendors' records of
// 300×300 images claim, and are scaled to, 300×400).
func (t *Template) WithHeight(height int) *Template {
	c := *t
	c.Minutiae = append([]Minutia(nil), t.Minutiae...)
	if t.Height <= 0 || height <= 0 || t.Height == height {
		return &c
	}
	sy := float64(height) / float64(t.Height)
	c.Height = height
	for i := range c.Minutiae {
		m := &c.Minutiae[i]
		m.Y = int(math.Round(float64(m.Y) * sy))
		m.Direction = NormalizeAngle(math.Atan2(sy*math.Sin(m.Direction), math.Cos(m.Direction)))
	}
	return &c
}
