package imageio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"

	// The imports register TIFF, PNG, BMP and JPEG with image.Decode; the PGM
	// decoder registers itself in pgm.go, WSQ and other codecs in their packages.
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Limits and defaults of the resolution policy and of the size checks.
const (
	// MinPPI and MaxPPI bound the accepted scanning resolution in pixels per inch.
	MinPPI = 250
	MaxPPI = 1000
	// FingerprintPPI is the resolution fingerprint extractors work at.
	FingerprintPPI = 500
	// MaxSide is the largest width or height accepted in a file's header.
	MaxSide = 4096
	// MaxPixels is the largest image DecodeAt produces after resampling.
	MaxPixels = 40_000_000
	// MinSide is the smallest width or height DecodeAt produces after resampling.
	MinSide = 64
	// MaxFileSize is the largest file, in bytes, that is read.
	MaxFileSize = 256 << 20
)

// Kinds of failure, for errors.Is on the errors this package returns.
var (
	// ErrFormat: the data is not in a registered image format, or uses a
	// feature its decoder does not implement.
	ErrFormat = errors.New("not a supported image (tiff, png, bmp, jpeg, pgm)")
	// ErrCorrupt: the data is truncated or malformed.
	ErrCorrupt = errors.New("corrupt or truncated image")
	// ErrSize: the image is empty, too large or too small.
	ErrSize = errors.New("unusable image size")
	// ErrResolution: the resolution is outside MinPPI–MaxPPI.
	ErrResolution = errors.New("unusable resolution")
)

// Error is the error returned for every failure: it names the file and the
// reason, and wraps both a kind (ErrFormat, ErrCorrupt, ErrSize,
// ErrResolution, or nil for I/O errors) and the underlying cause, if any.
type Error struct {
	Name string // file name, or the name given to Decode
	Kind error  // ErrFormat, ErrCorrupt, ErrSize, ErrResolution, or nil
	Msg  string // the reason, in words
	Err  error  // underlying cause, or nil
}

func (e *Error) Error() string {
	s := e.Name + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the kind and the cause, so that errors.Is and errors.As see both.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

func newError(name string, kind error, err error, format string, args ...any) *Error {
	if name == "" {
		name = "image"
	}
	return &Error{Name: name, Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Load reads the image file at path. ppi > 0 overrides the resolution stored in the file.
// It returns the image as 8-bit grey and its resolution in pixels per inch
// (0 when neither the file nor ppi gives one); see the package comment for the policy.
func Load(path string, ppi int) (*image.Gray, int, error) {
	g, x, _, err := load(path, ppi, 0)
	return g, x, err
}

// Decode is Load for a reader; name is used in error messages only.
func Decode(r io.Reader, name string, ppi int) (*image.Gray, int, error) {
	g, x, _, err := decode(r, name, ppi, 0)
	return g, x, err
}

// LoadAt is Load followed by the resolution policy and resampling to target
// ppi (FingerprintPPI for fingerprints). An image of unknown resolution is
// assumed to be at target already.
func LoadAt(path string, ppi, target int) (*image.Gray, error) {
	if err := checkTarget(path, target); err != nil {
		return nil, err
	}
	g, x, y, err := load(path, ppi, target)
	if err != nil {
		return nil, err
	}
	return normalize(g, x, y, target), nil
}

// DecodeAt is LoadAt for a reader; name is used in error messages only.
func DecodeAt(r io.Reader, name string, ppi, target int) (*image.Gray, error) {
	if err := checkTarget(name, target); err != nil {
		return nil, err
	}
	g, x, y, err := decode(r, name, ppi, target)
	if err != nil {
		return nil, err
	}
	return normalize(g, x, y, target), nil
}

func checkTarget(name string, target int) error {
	if target <= 0 || target > 100*MaxPPI {
		return newError(name, ErrResolution, nil, "invalid target resolution %d ppi", target)
	}
	return nil
}

// load reads and decodes a file, returning the horizontal and vertical resolution.
func load(path string, ppi, target int) (*image.Gray, int, int, error) {
	if err := checkFlag(path, ppi); err != nil {
		return nil, 0, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, ioError(path, "cannot open", err)
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	data, err := readAll(f, path, size)
	if err != nil {
		return nil, 0, 0, err
	}
	return decodeData(data, path, ppi, target)
}

func decode(r io.Reader, name string, ppi, target int) (*image.Gray, int, int, error) {
	if err := checkFlag(name, ppi); err != nil {
		return nil, 0, 0, err
	}
	size := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok { // bytes.Reader, bytes.Buffer, strings.Reader
		size = int64(l.Len())
	}
	data, err := readAll(r, name, size)
	if err != nil {
		return nil, 0, 0, err
	}
	return decodeData(data, name, ppi, target)
}

func ioError(name, msg string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is already in the message
	}
	return newError(name, nil, err, "%s", msg)
}

// readAll reads at most MaxFileSize bytes; size is a hint (-1 if unknown).
func readAll(r io.Reader, name string, size int64) ([]byte, error) {
	if size > MaxFileSize {
		return nil, newError(name, ErrSize, nil, "file too large: %d bytes (at most %d)", size, MaxFileSize)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, ioError(name, "cannot read", err)
	}
	if n > MaxFileSize {
		return nil, newError(name, ErrSize, nil, "file too large: more than %d bytes", MaxFileSize)
	}
	return buf.Bytes(), nil
}

// decodeData decodes a whole file held in memory and applies the resolution
// policy. It returns the horizontal and vertical resolution, 0 if unknown.
// With target > 0 it also checks, before decoding the pixels, that the
// image resampled to target ppi will be neither too large nor too small.
func decodeData(data []byte, name string, ppi, target int) (*image.Gray, int, int, error) {
	if len(data) == 0 {
		return nil, 0, 0, newError(name, ErrCorrupt, nil, "empty file")
	}
	cfg, format, err := safeDecodeConfig(data)
	if err != nil {
		return nil, 0, 0, decodeError(name, sniff(data), err)
	}
	if err := checkSide(name, cfg.Width, cfg.Height); err != nil {
		return nil, 0, 0, err
	}
	// Policy first: a bad resolution is reported without decoding the pixels.
	x, y, err := resolve(name, ppi, fileResolution(format, data))
	if err != nil {
		return nil, 0, 0, err
	}
	if target > 0 {
		if err := checkTargetSize(name, cfg.Width, cfg.Height, x, y, target); err != nil {
			return nil, 0, 0, err
		}
	}
	img, err := safeDecode(data)
	if err != nil {
		return nil, 0, 0, decodeError(name, format, err)
	}
	b := img.Bounds()
	if err := checkSide(name, b.Dx(), b.Dy()); err != nil {
		return nil, 0, 0, err
	}
	if target > 0 && (b.Dx() != cfg.Width || b.Dy() != cfg.Height) {
		if err := checkTargetSize(name, b.Dx(), b.Dy(), x, y, target); err != nil {
			return nil, 0, 0, err
		}
	}
	g, err := safeToGray(img)
	if err != nil {
		return nil, 0, 0, decodeError(name, format, err)
	}
	return g, x, y, nil
}

// safeToGray is toGray, guarded against images from third-party decoders
// whose methods panic.
func safeToGray(img image.Image) (g *image.Gray, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return toGray(img), nil
}

func checkSide(name string, w, h int) error {
	if w <= 0 || h <= 0 {
		return newError(name, ErrSize, nil, "empty image (%d×%d pixels)", w, h)
	}
	if w > MaxSide || h > MaxSide {
		return newError(name, ErrSize, nil, "image too large: %d×%d pixels (at most %d×%d)", w, h, MaxSide, MaxSide)
	}
	return nil
}

func safeDecodeConfig(data []byte) (cfg image.Config, format string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return image.DecodeConfig(newPeekReader(data))
}

func safeDecode(data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("decoder panic: %v", r)
		}
	}()
	img, _, err = image.Decode(newPeekReader(data))
	if err == nil && img == nil {
		err = errors.New("decoder returned no image")
	}
	return img, err
}

// peekReader is a bytes.Reader with the Peek method image.Decode looks for,
// so that decoders get the in-memory reader itself (and with it io.ReaderAt,
// which spares the TIFF decoder a copy of the file) rather than a bufio.Reader.
type peekReader struct {
	*bytes.Reader
	data []byte
}

func newPeekReader(data []byte) *peekReader {
	return &peekReader{Reader: bytes.NewReader(data), data: data}
}

// Peek returns the next n bytes without advancing the reader.
func (p *peekReader) Peek(n int) ([]byte, error) {
	rest := p.data[len(p.data)-p.Len():]
	if n < 0 {
		return nil, bufio.ErrNegativeCount
	}
	if n > len(rest) {
		return rest, io.EOF
	}
	return rest[:n], nil
}

// decodeError classifies a decoder's error.
func decodeError(name, format string, err error) error {
	var (
		tu tiff.UnsupportedError
		pu png.UnsupportedError
		ju jpeg.UnsupportedError
	)
	switch {
	case errors.Is(err, image.ErrFormat):
		return newError(name, ErrFormat, err, "%s", ErrFormat.Error())
	case errors.As(err, &tu), errors.As(err, &pu), errors.As(err, &ju), errors.Is(err, bmp.ErrUnsupported):
		return newError(name, ErrFormat, err, "unsupported %s variant", format)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return newError(name, ErrCorrupt, err, "truncated %s file", format)
	default:
		return newError(name, ErrCorrupt, err, "corrupt or truncated %s file", format)
	}
}

// sniff names the format from the magic number, for error messages only.
func sniff(data []byte) string {
	magic := []struct{ prefix, name string }{
		{"II*\x00", "tiff"}, {"MM\x00*", "tiff"},
		{"\x89PNG\r\n\x1a\n", "png"},
		{"BM", "bmp"},
		{"\xff\xd8", "jpeg"},
		{"\xff\xa0", "wsq"},
		{"P2", "pgm"}, {"P5", "pgm"},
		{"GIF8", "gif"},
	}
	for _, m := range magic {
		if bytes.HasPrefix(data, []byte(m.prefix)) {
			return m.name
		}
	}
	return "image"
}

// targetSize returns the size of a w×h image at x×y ppi (0 = unknown)
// resampled to target ppi, and the horizontal and vertical resolution used.
func targetSize(w, h, x, y, target int) (tw, th, xr, yr int) {
	if x == 0 || y == 0 {
		x, y = target, target
	}
	if !anisotropic(x, y) {
		y = x
	}
	return scaled(w, x, target), scaled(h, y, target), x, y
}

func checkTargetSize(name string, w, h, x, y, target int) error {
	tw, th, x, _ := targetSize(w, h, x, y, target)
	if int64(tw)*int64(th) > MaxPixels {
		return newError(name, ErrSize, nil, "image too large: %d×%d pixels at %d ppi would be %d×%d at %d ppi (at most %d pixels)",
			w, h, x, tw, th, target, MaxPixels)
	}
	if tw < MinSide || th < MinSide {
		if tw == w && th == h {
			return newError(name, ErrSize, nil, "image too small: %d×%d pixels (at least %d×%d)", w, h, MinSide, MinSide)
		}
		return newError(name, ErrSize, nil, "image too small: %d×%d pixels at %d ppi would be %d×%d at %d ppi (at least %d×%d)",
			w, h, x, tw, th, target, MinSide, MinSide)
	}
	return nil
}

// normalize resamples g from x×y ppi (0 = unknown) to target ppi.
func normalize(g *image.Gray, x, y, target int) *image.Gray {
	b := g.Bounds()
	w, h, _, _ := targetSize(b.Dx(), b.Dy(), x, y, target)
	return resize(g, w, h)
}

// anisotropic reports whether x and y differ by more than 2%.
func anisotropic(x, y int) bool {
	return math.Abs(float64(x-y)) > 0.02*math.Min(float64(x), float64(y))
}

// scaled returns n·to/from rounded, at least 1; from and to are positive.
func scaled(n, from, to int) int {
	v := math.Round(float64(n) * float64(to) / float64(from))
	if v < 1 {
		return 1
	}
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(v)
}
