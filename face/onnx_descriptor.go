package face

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/biomesh/biomesh/eval"
)

// ONNXDescriptor describes a user-supplied ONNX embedding model, as a JSON file beside it:
//
//	{
//	  "model": "arcface-r100-v1",        name written into templates
//	  "file": "arcface.onnx",            relative to the descriptor's folder
//	  "sha256": "…",                     optional; checked at load when given
//	  "input": "data", "output": "fc1",  tensor names; default the model's first ones
//	  "layout": "NCHW",                  or "NHWC"
//	  "channels": "RGB",                 or "BGR"
//	  "mean": [127.5, 127.5, 127.5],     input = (pixel − mean) / std, per channel
//	  "std": [127.5, 127.5, 127.5],      in the order of "channels"
//	  "chip": {"size": 112, "points": [{"name": "right_eye", "x": 38.29, "y": 51.70}, …]},
//	  "dim": 512,
//	  "calibration": {"cosine": {"knots": […]}, "l2": {"knots": […]}}   optional
//	}
//
// The chip points use the landmark names of Landmarks.Point. The detector gives eye
// corners and the base of the nose, not mouth corners, so an ArcFace-style template is
// given with its eye centres and a nose point moved to the nose base. Without a
// calibration, comparisons of the model fail until one is fitted
// (biomesh face eval --fit-calibration) and added to the descriptor.
type ONNXDescriptor struct {
	Model       string                      `json:"model"`
	File        string                      `json:"file"`
	SHA256      string                      `json:"sha256,omitempty"`
	Input       string                      `json:"input,omitempty"`
	Output      string                      `json:"output,omitempty"`
	Layout      string                      `json:"layout"`
	Channels    string                      `json:"channels"`
	Mean        [3]float32                  `json:"mean"`
	Std         [3]float32                  `json:"std"`
	Chip        ChipTemplate                `json:"chip"`
	Dim         int                         `json:"dim"`
	Calibration map[string]eval.Calibration `json:"calibration,omitempty"`

	dir string // folder of the descriptor, for File
}

// ReadONNXDescriptor reads and validates a descriptor file.
func ReadONNXDescriptor(path string) (*ONNXDescriptor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d ONNXDescriptor
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.dir = filepath.Dir(path)
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// ModelPath is the model file's path.
func (d *ONNXDescriptor) ModelPath() string {
	if filepath.IsAbs(d.File) {
		return d.File
	}
	return filepath.Join(d.dir, d.File)
}

// Validate checks every field.
func (d *ONNXDescriptor) Validate() error {
	if err := (Template{Model: d.Model, Vector: []float32{1}}).Validate(); err != nil {
		return fmt.Errorf("model name: %w", err)
	}
	if d.File == "" {
		return errors.New(`"file" is missing`)
	}
	if d.Layout != "NCHW" && d.Layout != "NHWC" {
		return fmt.Errorf("layout %q: want NCHW or NHWC", d.Layout)
	}
	if d.Channels != "RGB" && d.Channels != "BGR" {
		return fmt.Errorf("channels %q: want RGB or BGR", d.Channels)
	}
	for i, s := range d.Std {
		if !(s > 0) {
			return fmt.Errorf("std[%d] = %v: must be positive", i, s)
		}
	}
	if err := d.Chip.Validate(); err != nil {
		return err
	}
	if d.Dim < 1 || d.Dim > MaxDim {
		return fmt.Errorf("dim %d out of range 1..%d", d.Dim, MaxDim)
	}
	for name, c := range d.Calibration {
		if name != "cosine" && name != "l2" {
			return fmt.Errorf("calibration %q: want cosine or l2", name)
		}
		if len(c.Knots) == 0 {
			return fmt.Errorf("calibration %q has no knots", name)
		}
		for i := 1; i < len(c.Knots); i++ {
			if c.Knots[i].Raw < c.Knots[i-1].Raw || c.Knots[i].Score < c.Knots[i-1].Score {
				return fmt.Errorf("calibration %q: knots not non-decreasing at %d", name, i)
			}
		}
	}
	return nil
}

// tensor fills the model's input for chips (each Chip.Size square): normalised floats in
// the descriptor's layout and channel order.
func (d *ONNXDescriptor) tensor(chips []*RGB) []float32 {
	s := d.Chip.Size
	plane := s * s
	out := make([]float32, len(chips)*3*plane)
	order := [3]int{0, 1, 2}
	if d.Channels == "BGR" {
		order = [3]int{2, 1, 0}
	}
	for n, c := range chips {
		base := n * 3 * plane
		for i := 0; i < plane; i++ {
			for k := 0; k < 3; k++ {
				v := (float32(c.Pix[3*i+order[k]]) - d.Mean[k]) / d.Std[k]
				if d.Layout == "NCHW" {
					out[base+k*plane+i] = v
				} else {
					out[base+3*i+k] = v
				}
			}
		}
	}
	return out
}
