// Package jpeg2000 reads and writes JPEG 2000 images (JP2 files and raw J2K codestreams),
// the compression ANSI/NIST-ITL transactions use for 1000 ppi fingerprints, palms, faces
// and irises.
//
// The codec is OpenJPEG (libopenjp2), linked through cgo when the module is built with
// the build tag openjpeg:
//
//	go build -tags openjpeg ./...
//
// Without the tag the package still recognises JPEG 2000 data and registers both forms
// with the image package, so image.Decode of a JPEG 2000 image fails with ErrNotBuiltIn
// instead of "unknown format" or a misrouted decoder.
package jpeg2000

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
)

// Format is the container of JPEG 2000 data.
type Format int

const (
	// Unknown is data that is neither a JP2 file nor a J2K codestream.
	Unknown Format = iota
	// JP2 is the ISO/IEC 15444-1 file format: a box structure around a codestream.
	JP2
	// J2K is a bare codestream, starting with the SOC and SIZ markers.
	J2K
)

func (f Format) String() string {
	switch f {
	case JP2:
		return "JP2"
	case J2K:
		return "J2K"
	}
	return "unknown"
}

// jp2Magic is the JPEG 2000 signature box that opens every JP2 file; j2kMagic is the SOC
// marker followed by the SIZ marker that opens every codestream.
const (
	jp2Magic = "\x00\x00\x00\x0cjP  \r\n\x87\n"
	j2kMagic = "\xff\x4f\xff\x51"
)

// Sniff tells which JPEG 2000 form b starts with.
func Sniff(b []byte) Format {
	switch {
	case bytes.HasPrefix(b, []byte(jp2Magic)):
		return JP2
	case bytes.HasPrefix(b, []byte(j2kMagic)):
		return J2K
	}
	return Unknown
}

// ErrNotBuiltIn is returned by every decoding and encoding function when the module was
// built without the openjpeg tag (or without cgo).
var ErrNotBuiltIn = errors.New("JPEG 2000 support not built in (build with -tags openjpeg and libopenjp2 installed)")

// Built reports whether this binary can decode and encode JPEG 2000.
func Built() bool { return built }

// FormatError reports data that OpenJPEG could not read as JPEG 2000, with OpenJPEG's own
// message where it gave one.
type FormatError struct {
	Format Format
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("jpeg2000: invalid %s data: %s", e.Format, e.Reason)
}

// MaxPixels bounds the image size the decoder accepts, read from the header before any
// pixel memory is allocated: 2^28 pixels is a 16384 × 16384 image, far beyond a 1000 ppi
// palm (about 5,600 × 8,000).
const MaxPixels = 1 << 28

// Options control encoding.
type Options struct {
	// Format is JP2 (the default) or J2K.
	Format Format
	// Ratio is the target compression ratio of a lossy encoding (10 means one tenth of the
	// raw size), using the irreversible 9/7 wavelet. Zero or less means lossless, with the
	// reversible 5/3 wavelet (the "JP2L" of ANSI/NIST-ITL).
	Ratio float64
	// Resolutions is the number of wavelet resolution levels; zero means 6, OpenJPEG's
	// default, reduced for images too small for it.
	Resolutions int
}

// Decode reads one JPEG 2000 image (JP2 or J2K) from r. Grey images decode to
// *image.Gray (or *image.Gray16 beyond 8 bits), colour images to *image.NRGBA (or
// *image.NRGBA64 beyond 8 bits); sYCC is converted to RGB and sub-sampled components are
// up-sampled.
func Decode(r io.Reader) (image.Image, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(b)
}

// DecodeBytes is Decode on data already in memory.
func DecodeBytes(b []byte) (image.Image, error) {
	f := Sniff(b)
	if f == Unknown {
		return nil, &FormatError{Format: f, Reason: "no JP2 signature box or J2K SOC/SIZ markers"}
	}
	return decode(b, f)
}

// DecodeConfig reads the size and colour model of a JPEG 2000 image without decoding its
// pixels.
func DecodeConfig(r io.Reader) (image.Config, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return image.Config{}, err
	}
	f := Sniff(b)
	if f == Unknown {
		return image.Config{}, &FormatError{Format: f, Reason: "no JP2 signature box or J2K SOC/SIZ markers"}
	}
	return decodeConfig(b, f)
}

// Encode writes img to w as JPEG 2000. Grey images (*image.Gray, *image.Gray16) are
// written with one component, everything else as 8-bit RGB (16-bit for *image.NRGBA64 and
// *image.RGBA64).
func Encode(w io.Writer, img image.Image, o *Options) error {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Format == Unknown {
		opts.Format = JP2
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return fmt.Errorf("jpeg2000: cannot encode an empty %dx%d image", b.Dx(), b.Dy())
	}
	if int64(b.Dx())*int64(b.Dy()) > MaxPixels {
		return fmt.Errorf("jpeg2000: image of %dx%d pixels is larger than %d pixels", b.Dx(), b.Dy(), MaxPixels)
	}
	out, err := encode(img, opts)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func init() {
	image.RegisterFormat("jp2", jp2Magic, Decode, DecodeConfig)
	image.RegisterFormat("j2k", j2kMagic, Decode, DecodeConfig)
}
