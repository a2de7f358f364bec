package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/fingerprint/input"

	_ "image/jpeg" // image formats the node reads, checked before sending
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
)

// sampleFile is one biometric file given on the command line.
type sampleFile struct {
	arg      string // as given, for messages
	path     string
	modality string // finger or face
	position int
	template bool
	data     []byte
}

// sampleJSON is a sample as the API takes it (images and templates base64 in JSON).
type sampleJSON struct {
	Modality   string `json:"modality"`
	Position   *int   `json:"position,omitempty"`
	Image      []byte `json:"image,omitempty"`
	Template   []byte `json:"template,omitempty"`
	Resolution int    `json:"resolution,omitempty"`
	// Profile is a DNA sample's STR profile (JSON, package dna's form).
	Profile json.RawMessage `json:"profile,omitempty"`
}

// dnaSample reads a DNA profile file (JSON, package dna's form) as a sample.
func dnaSample(path string) (sampleFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return sampleFile{}, fmt.Errorf("dna %s: %w", path, unwrapPathError(err))
	}
	if !json.Valid(data) {
		return sampleFile{}, fmt.Errorf("dna %s: not JSON; a profile is {\"loci\": {\"D3S1358\": [\"15\", \"16\"], ...}}", path)
	}
	return sampleFile{arg: path, path: path, modality: "dna", data: data}, nil
}

// fingerArgs parses FINGER arguments, POS=PATH or PATH (position 0, unknown), and reads
// the files. POS is 1–10 (ISO/IEC 19794-2: 1 right thumb … 10 left little) or 0/unknown.
func fingerArgs(args []string) ([]sampleFile, error) {
	if len(args) == 0 {
		return nil, errors.New("no FINGER given: pass fingerprint files as POS=PATH (POS 1–10, 0 or unknown) or PATH")
	}
	var out []sampleFile
	seen := map[int]string{}
	for _, a := range args {
		pos, path := 0, a
		if p, rest, ok := strings.Cut(a, "="); ok && positionLike(p) {
			path = rest
			if strings.EqualFold(p, "unknown") {
				p = "0"
			}
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n > 10 {
				return nil, fmt.Errorf("FINGER %q: position %s: use 1–10 (1 right thumb … 10 left little), or 0 / unknown", a, p)
			}
			pos = n
		}
		if path == "" {
			return nil, fmt.Errorf("FINGER %q: no file", a)
		}
		if prev, ok := seen[pos]; ok && pos != 0 {
			return nil, fmt.Errorf("FINGER %q: position %d already given by %q", a, pos, prev)
		}
		seen[pos] = a
		s, err := readSample(a, path, "finger")
		if err != nil {
			return nil, err
		}
		s.position = pos
		out = append(out, s)
	}
	return out, nil
}

var positionPattern = regexp.MustCompile(`^([0-9]+|(?i:unknown))$`)

// positionLike reports whether the text before "=" is meant as a position, so that a
// path containing "=" without one is still a path.
func positionLike(s string) bool { return positionPattern.MatchString(s) }

var templateExts = map[string]bool{".iso": true, ".ansi": true, ".bmt": true}

// readSample reads a file and checks that it is an image the node reads or (for fingers)
// a template, so that a wrong file is named here rather than as samples[i] by the node.
func readSample(arg, path, modality string) (sampleFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return sampleFile{}, fmt.Errorf("%s %s: %w", modality, arg, unwrapPathError(err))
	}
	s := sampleFile{arg: arg, path: path, modality: modality, data: data}
	switch {
	case len(data) == 0:
		return s, fmt.Errorf("%s %s: empty file", modality, path)
	case modality == "finger" && input.IsTemplate(data):
		s.template = true
	case templateExts[strings.ToLower(filepath.Ext(path))]:
		return s, fmt.Errorf("%s %s: not a fingerprint template (no ISO/ANSI \"FMR\" or native \"BMFT\" header)", modality, path)
	case bytes.HasPrefix(data, []byte("P5")) || bytes.HasPrefix(data, []byte("P2")):
		// PGM: read by the node, not by image.DecodeConfig.
	default:
		if _, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
			return s, fmt.Errorf("%s %s: not an image the node reads (PNG, JPEG, TIFF, BMP, PGM) nor a template: %v", modality, path, err)
		}
	}
	return s, nil
}

// unwrapPathError drops the *PathError's repetition of the path.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// samplesJSON turns files into API samples; dpi is the images' resolution (0: from the file).
func samplesJSON(files []sampleFile, dpi int) []sampleJSON {
	out := make([]sampleJSON, len(files))
	for i, f := range files {
		s := sampleJSON{Modality: f.modality}
		if f.modality == "dna" {
			s.Profile = json.RawMessage(f.data)
			out[i] = s
			continue
		}
		if f.modality == "finger" {
			pos := f.position
			s.Position = &pos
		}
		if f.template {
			s.Template = f.data
		} else {
			s.Image = f.data
			if f.modality == "finger" {
				s.Resolution = dpi
			}
		}
		out[i] = s
	}
	return out
}

// addDPIFlag adds --dpi to a command that sends finger images.
func addDPIFlag(c *cobra.Command, dpi *int) {
	c.Flags().IntVar(dpi, "dpi", 0, "resolution of the finger images in pixels per inch (250–1000); default: from the file, else 500")
}

func checkDPI(dpi int) error {
	if dpi != 0 && (dpi < 250 || dpi > 1000) {
		return fmt.Errorf("--dpi %d: must be 250–1000", dpi)
	}
	return nil
}

// sampleNames rewrites the node's "samples[i]" in an error message as the file it came
// from, so that the message names the file.
func sampleNames(err error, files []sampleFile) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	msg := ae.msg
	for i := range files {
		msg = strings.ReplaceAll(msg, fmt.Sprintf("samples[%d]", i), fmt.Sprintf("%s %s", files[i].modality, files[i].arg))
	}
	e := *ae
	e.msg = msg
	return &e
}
