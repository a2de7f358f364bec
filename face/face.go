package face

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// ErrNotBuilt is returned by Open and the other functions that need a native backend when
// the binary was built without one.
var ErrNotBuilt = errors.New("face support not built in (build with -tags dlib)")

// Point is a position in image pixels, with integer values at pixel centres.
type Point struct{ X, Y float64 }

// Landmarks are the five points the detector finds on a face. Left and right are the
// subject's, as in ISO/IEC 19794-5: the subject's right eye appears on the image's left.
type Landmarks struct {
	LeftEyeOuter, LeftEyeInner   Point
	RightEyeOuter, RightEyeInner Point
	Nose                         Point // base of the nose, between the nostrils
}

// LeftEye is the centre of the subject's left eye (mean of its two corners).
func (l Landmarks) LeftEye() Point { return mid(l.LeftEyeOuter, l.LeftEyeInner) }

// RightEye is the centre of the subject's right eye.
func (l Landmarks) RightEye() Point { return mid(l.RightEyeOuter, l.RightEyeInner) }

// EyeDistance is the distance between the eye centres in pixels.
func (l Landmarks) EyeDistance() float64 { return dist(l.LeftEye(), l.RightEye()) }

// Point returns the named landmark: one of the five fields in snake case
// (left_eye_outer, left_eye_inner, right_eye_outer, right_eye_inner, nose) or an eye
// centre (left_eye, right_eye).
func (l Landmarks) Point(name string) (Point, bool) {
	switch name {
	case "left_eye_outer":
		return l.LeftEyeOuter, true
	case "left_eye_inner":
		return l.LeftEyeInner, true
	case "right_eye_outer":
		return l.RightEyeOuter, true
	case "right_eye_inner":
		return l.RightEyeInner, true
	case "nose":
		return l.Nose, true
	case "left_eye":
		return l.LeftEye(), true
	case "right_eye":
		return l.RightEye(), true
	}
	return Point{}, false
}

func (l Landmarks) scale(s float64) Landmarks {
	f := func(p Point) Point { return Point{p.X * s, p.Y * s} }
	return Landmarks{f(l.LeftEyeOuter), f(l.LeftEyeInner), f(l.RightEyeOuter), f(l.RightEyeInner), f(l.Nose)}
}

func (l Landmarks) finite() bool {
	for _, p := range []Point{l.LeftEyeOuter, l.LeftEyeInner, l.RightEyeOuter, l.RightEyeInner, l.Nose} {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return false
		}
	}
	return true
}

func mid(a, b Point) Point             { return Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2} }
func dist(a, b Point) float64          { return math.Hypot(a.X-b.X, a.Y-b.Y) }
func (p Point) String() string         { return fmt.Sprintf("(%.1f,%.1f)", p.X, p.Y) }
func clamp(v, lo, hi int) int          { return min(max(v, lo), hi) }
func clampf(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// Face is one detected face.
type Face struct {
	Box       image.Rectangle `json:"box"`   // in the source image's pixels
	Score     float64         `json:"score"` // detector confidence; higher is surer, 0 is its threshold
	Landmarks Landmarks       `json:"landmarks"`
}

// Detector finds faces and their landmarks in an RGB image.
type Detector interface {
	Detect(img *RGB) ([]Face, error)
}

// Embedder maps aligned chips to embeddings. Implementations are safe for use by several
// goroutines (the native ones serialise calls).
type Embedder interface {
	// Model names the embedding model; templates of different models do not compare.
	Model() string
	// Chip is where the landmarks must land and the chip size the model takes.
	Chip() ChipTemplate
	// Dim is the length of an embedding.
	Dim() int
	// Embed returns one embedding per chip; each chip is Chip().Size square.
	Embed(chips []*RGB) ([][]float32, error)
	Close() error
}

// RGB is a packed 8-bit RGB image, three bytes per pixel, rows top to bottom.
type RGB struct {
	W, H int
	Pix  []byte
}

// NewRGB returns a black w×h image.
func NewRGB(w, h int) *RGB { return &RGB{W: w, H: h, Pix: make([]byte, 3*w*h)} }

// InputError names an input and why it could not be used.
type InputError struct {
	Name   string // file name or caller's label
	Reason string
	Err    error // underlying cause, if any
}

func (e *InputError) Error() string {
	s := e.Name + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(name, reason string, err error) error {
	return &InputError{Name: name, Reason: reason, Err: err}
}
