package iris

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Eye says which eye a sample is, with the ISO/IEC 19794-6 subtype values.
type Eye uint8

const (
	EyeUnknown Eye = 0
	EyeRight   Eye = 1
	EyeLeft    Eye = 2
)

func (e Eye) String() string {
	switch e {
	case EyeRight:
		return "right"
	case EyeLeft:
		return "left"
	}
	return "unknown"
}

// Template is an iris code with its validity mask and the segmentation it came from.
//
// Code and Mask hold Rows × Cols × 2 bits: band b (0 = next to the pupil) occupies words
// [b·Cols/32, (b+1)·Cols/32); angular position q of a band is bits 2q (real part ≥ 0) and
// 2q+1 (imaginary part ≥ 0) of that band, counting from bit 0 of its first word. A Mask bit
// of 1 means the Code bit is usable.
type Template struct {
	Width, Height int // input image size, pixels
	Eye           Eye
	Quality       uint8 // 0–100: percentage of usable code bits
	Pupil, Iris   Circle
	Rows, Cols    int
	Code, Mask    []uint64
}

// UsableBits returns the number of valid code bits.
func (t *Template) UsableBits() int {
	n := 0
	for _, m := range t.Mask {
		n += bits.OnesCount64(m)
	}
	return n
}

// The native form is "BIC" and templateVersion, then:
//
//	width, height uint16; eye, quality uint8; rows uint8; cols uint16;
//	pupil x, y, r and iris x, y, r as float32;
//	code then mask: rows·cols/32 uint64 each.
//
// All integers are little-endian. templateVersion changes whenever the layout or the way a
// code is derived from an image changes; codes of another version are refused with
// ErrStaleTemplate, and the caller re-extracts them from the stored image.
//
// Version 2 (2026-12-02): the strip ends at 80 % of the way to the limbus (was 92 %) and the
// upper sector beyond 40 % is masked, so codes of version 1 sample a different ring.
//
// Version 3 (2026-12-02): the limbus is fitted on sectors within 45° of the horizontal (was
// down to 75° below, where the lower lid often pulled the circle inwards), so the strip of
// many images spans another ring.
//
// Version 4 (2026-12-02): the limbus centre stays within about 8 % of the iris radius of the
// pupil's (was 25 % of the pupil radius plus 3 pixels) and eyelid arcs must leave the middle
// of the pupil uncovered.
const templateVersion = 4

var templateMagic = [3]byte{'B', 'I', 'C'}

const templateHeader = 4 + 2 + 2 + 1 + 1 + 1 + 2 + 6*4

// ErrStaleTemplate is returned for a template of another version.
var ErrStaleTemplate = errors.New("iris: template of another version")

// ErrTemplate is wrapped by the errors of templates that cannot be read.
var ErrTemplate = errors.New("iris: bad template")

// MarshalBinary returns the native form of the template.
func (t *Template) MarshalBinary() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	out := make([]byte, templateHeader, templateHeader+16*len(t.Code))
	copy(out, templateMagic[:])
	out[3] = templateVersion
	le := binary.LittleEndian
	le.PutUint16(out[4:], uint16(t.Width))
	le.PutUint16(out[6:], uint16(t.Height))
	out[8], out[9], out[10] = byte(t.Eye), t.Quality, byte(t.Rows)
	le.PutUint16(out[11:], uint16(t.Cols))
	for i, f := range []float64{t.Pupil.X, t.Pupil.Y, t.Pupil.R, t.Iris.X, t.Iris.Y, t.Iris.R} {
		le.PutUint32(out[13+4*i:], math.Float32bits(float32(f)))
	}
	for _, w := range t.Code {
		out = le.AppendUint64(out, w)
	}
	for _, w := range t.Mask {
		out = le.AppendUint64(out, w)
	}
	return out, nil
}

// UnmarshalBinary reads the native form, checking everything a comparison relies on.
func (t *Template) UnmarshalBinary(data []byte) error {
	if len(data) < 4 || [3]byte(data[:3]) != templateMagic {
		return fmt.Errorf("%w: not a native iris template", ErrTemplate)
	}
	if data[3] != templateVersion {
		return fmt.Errorf("%w: version %d, this engine writes %d", ErrStaleTemplate, data[3], templateVersion)
	}
	if len(data) < templateHeader {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrTemplate, len(data), templateHeader)
	}
	le := binary.LittleEndian
	var n Template
	n.Width, n.Height = int(le.Uint16(data[4:])), int(le.Uint16(data[6:]))
	n.Eye, n.Quality, n.Rows = Eye(data[8]), data[9], int(data[10])
	n.Cols = int(le.Uint16(data[11:]))
	var f [6]float64
	for i := range f {
		f[i] = float64(math.Float32frombits(le.Uint32(data[13+4*i:])))
	}
	n.Pupil, n.Iris = Circle{f[0], f[1], f[2]}, Circle{f[3], f[4], f[5]}
	if n.Rows != defaultParams.codeRows || n.Cols != defaultParams.codeCols {
		return fmt.Errorf("%w: %d×%d code, this engine uses %d×%d", ErrTemplate, n.Rows, n.Cols, defaultParams.codeRows, defaultParams.codeCols)
	}
	words := n.Rows * n.Cols / 32
	if want := templateHeader + 16*words; len(data) != want {
		return fmt.Errorf("%w: %d bytes, want %d", ErrTemplate, len(data), want)
	}
	n.Code, n.Mask = make([]uint64, words), make([]uint64, words)
	o := templateHeader
	for i := range n.Code {
		n.Code[i] = le.Uint64(data[o+8*i:])
	}
	o += 8 * words
	for i := range n.Mask {
		n.Mask[i] = le.Uint64(data[o+8*i:])
	}
	if err := n.check(); err != nil {
		return err
	}
	*t = n
	return nil
}

// check validates the fields a comparison or an encoder relies on.
func (t *Template) check() error {
	switch {
	case t.Rows != defaultParams.codeRows || t.Cols != defaultParams.codeCols:
		return fmt.Errorf("%w: %d×%d code, this engine uses %d×%d", ErrTemplate, t.Rows, t.Cols, defaultParams.codeRows, defaultParams.codeCols)
	case len(t.Code) != codeWordsFixed || len(t.Mask) != len(t.Code):
		return fmt.Errorf("%w: %d code and %d mask words for a %d×%d code", ErrTemplate, len(t.Code), len(t.Mask), t.Rows, t.Cols)
	case t.Width < 0 || t.Width > math.MaxUint16 || t.Height < 0 || t.Height > math.MaxUint16:
		return fmt.Errorf("%w: image size %d×%d", ErrTemplate, t.Width, t.Height)
	case t.Eye > EyeLeft:
		return fmt.Errorf("%w: eye label %d", ErrTemplate, t.Eye)
	case t.Quality > 100:
		return fmt.Errorf("%w: quality %d above 100", ErrTemplate, t.Quality)
	}
	for _, f := range []float64{t.Pupil.X, t.Pupil.Y, t.Pupil.R, t.Iris.X, t.Iris.Y, t.Iris.R} {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
			return fmt.Errorf("%w: boundary %v is not a finite number", ErrTemplate, f)
		}
	}
	return nil
}
