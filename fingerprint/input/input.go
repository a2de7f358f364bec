// Package input turns a fingerprint file — an image in any supported format or a template
// (native, ISO/IEC 19794-2, ANSI INCITS 378) — into a template at 500 ppi, so that every
// command accepts "image or template" alike.
package input

import (
	"bytes"
	"fmt"
	"os"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/extract"
	"github.com/biomesh/biomesh/internal/imageio"
)

// Options controls how images are read and extracted.
type Options struct {
	DPI     int              // scanner resolution; 0 takes it from the file (500 when the file has none)
	Extract *extract.Options // extraction options; nil for the defaults
}

// IsTemplate reports whether data starts like a template this engine reads.
func IsTemplate(data []byte) bool {
	return bytes.HasPrefix(data, []byte("FMR\x00")) || bytes.HasPrefix(data, []byte("BMFT"))
}

// File reads path and returns its template.
func File(path string, opts *Options) (*fingerprint.Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Bytes(data, path, opts)
}

// Bytes is File for data already in memory; name is used in error messages.
func Bytes(data []byte, name string, opts *Options) (*fingerprint.Template, error) {
	if opts == nil {
		opts = &Options{}
	}
	if IsTemplate(data) {
		t, err := fingerprint.ParseTemplate(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return t, nil
	}
	img, err := imageio.DecodeAt(bytes.NewReader(data), name, opts.DPI, fingerprint.DefaultResolution)
	if err != nil {
		return nil, err
	}
	t, err := extract.Extract(img, opts.Extract)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}
