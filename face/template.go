package face

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Template is a face embedding with the name of the model that made it.
type Template struct {
	Model  string    `json:"model"`
	Vector []float32 `json:"vector"` // as the model produced it (not normalised)
}

// Limits on templates, enforced by Validate and UnmarshalBinary.
const (
	MaxDim       = 4096
	MaxModelName = 255
)

// Template encoding, version 1 (little endian):
//
//	"BMFC"  magic
//	1       version, one byte
//	n       model name length, one byte, then n bytes of name (ASCII, printable)
//	d       dimension, uint16, 1..MaxDim
//	d×4     float32 components, all finite, not all zero
const (
	templateMagic   = "BMFC"
	templateVersion = 1
)

// ErrTemplate is wrapped by every template decoding error.
var ErrTemplate = errors.New("face template")

// Validate checks the model name and the vector.
func (t Template) Validate() error {
	if t.Model == "" || len(t.Model) > MaxModelName {
		return fmt.Errorf("%w: model name length %d out of range 1..%d", ErrTemplate, len(t.Model), MaxModelName)
	}
	for i := 0; i < len(t.Model); i++ {
		if c := t.Model[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("%w: model name %q is not printable ASCII", ErrTemplate, t.Model)
		}
	}
	if len(t.Vector) == 0 || len(t.Vector) > MaxDim {
		return fmt.Errorf("%w: dimension %d out of range 1..%d", ErrTemplate, len(t.Vector), MaxDim)
	}
	var sq float64
	for i, v := range t.Vector {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: component %d is %v", ErrTemplate, i, v)
		}
		sq += f * f
	}
	if sq == 0 || math.IsInf(sq, 0) {
		return fmt.Errorf("%w: vector norm is %v", ErrTemplate, math.Sqrt(sq))
	}
	return nil
}

// MarshalBinary encodes t in the current version.
func (t Template) MarshalBinary() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 4+1+1+len(t.Model)+2+4*len(t.Vector))
	b = append(b, templateMagic...)
	b = append(b, templateVersion, byte(len(t.Model)))
	b = append(b, t.Model...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(t.Vector)))
	for _, v := range t.Vector {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b, nil
}

// UnmarshalBinary decodes a template; it accepts exactly the encodings MarshalBinary
// produces.
func (t *Template) UnmarshalBinary(b []byte) error {
	if len(b) < 6 || string(b[:4]) != templateMagic {
		return fmt.Errorf("%w: not a face template (bad magic)", ErrTemplate)
	}
	if b[4] != templateVersion {
		return fmt.Errorf("%w: unsupported version %d", ErrTemplate, b[4])
	}
	n := int(b[5])
	b = b[6:]
	if len(b) < n+2 {
		return fmt.Errorf("%w: truncated model name", ErrTemplate)
	}
	model := string(b[:n])
	d := int(binary.LittleEndian.Uint16(b[n:]))
	b = b[n+2:]
	if len(b) != 4*d {
		return fmt.Errorf("%w: %d bytes of vector for dimension %d", ErrTemplate, len(b), d)
	}
	v := make([]float32, d)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	nt := Template{Model: model, Vector: v}
	if err := nt.Validate(); err != nil {
		return err
	}
	*t = nt
	return nil
}
