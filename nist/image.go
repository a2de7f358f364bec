package nist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Image is the image of one record with what the record says about it. The package does
// not decode it: Data goes to a codec chosen by Format.
type Image struct {
	Record int // index of the record in the transaction
	Type   int // record type
	IDC    int
	// Compression is the compression the record declares, as written for tagged records
	// ("WSQ20", "JPEGB", "NONE", ...) and as the standard's name for a binary record's
	// code ("NONE", "WSQ", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG", "FAX", or "code N").
	Compression string
	// Format is what the bytes are, by their signature when they have one: "wsq", "jpeg",
	// "jp2" (JPEG 2000 file), "j2k" (JPEG 2000 codestream), "png"; "raw" for uncompressed
	// pixels; "fax" for ANSI/EIA-538 facsimile; "" when unknown.
	Format        string
	Width, Height int // pixels (HLL, VLL)
	Depth         int // bits per pixel: 8 for grey, 24 for colour, 1 for binary images; 0 unknown
	// HorizontalPPI and VerticalPPI are the pixel density in pixels per inch, 0 when the
	// record gives only an aspect ratio or nothing.
	HorizontalPPI, VerticalPPI float64
	Colorspace                 string // Type-10/17 CSP as written ("GRAY", "SRGB", ...)
	// Positions are the finger or palm positions (Types 3–7: FGP bytes other than 255;
	// Types 13–15: the FGP/PLP subfields), Impression the impression type (-1 unknown).
	Positions  []int
	Impression int
	// Kind is the Type-10 image type (IMT: "FACE", "SCAR", "TATTOO", ...) or, for
	// Type-17, the eye label (ELR: 0 undefined, 1 right, 2 left).
	Kind string
	Data []byte
}

// HasImage reports whether records of type typ carry an image.
func HasImage(typ int) bool {
	switch typ {
	case 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16, 17, 19:
		return true
	}
	return false
}

// Images returns the image of every record that has one, in file order. Records whose
// image fields are unreadable are skipped; Image(i) says why.
func (t *Transaction) Images() []*Image {
	var out []*Image
	for i, r := range t.Records {
		if !HasImage(r.Type) {
			continue
		}
		if im, err := t.Image(i); err == nil {
			out = append(out, im)
		}
	}
	return out
}

// Image returns the image of record i.
func (t *Transaction) Image(i int) (*Image, error) {
	if i < 0 || i >= len(t.Records) {
		return nil, fmt.Errorf("nist: no record %d (the transaction has %d)", i, len(t.Records))
	}
	r := t.Records[i]
	fail := func(field, format string, a ...any) error {
		return &Error{Record: i, Type: r.Type, Field: field, Offset: -1, Reason: fmt.Sprintf(format, a...)}
	}
	if !HasImage(r.Type) {
		return nil, fail("", "Type-%d records hold no image", r.Type)
	}
	im := &Image{Record: i, Type: r.Type, IDC: r.IDC(), Impression: -1}
	if r.Binary() {
		if err := t.binaryImage(r, im); err != nil {
			return nil, fail(fmt.Sprintf("%d.001", r.Type), "%v", err)
		}
		return im, nil
	}
	num := func(n int) (int, error) {
		f := r.Field(n)
		if f == nil {
			return 0, fail(fmt.Sprintf("%d.%03d", r.Type, n), "missing")
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(f.Value)))
		if err != nil || v < 0 {
			return 0, fail(f.Tag, "%q is not a number", clip(f.Value, 16))
		}
		return v, nil
	}
	var err error
	if im.Width, err = num(6); err != nil {
		return nil, err
	}
	if im.Height, err = num(7); err != nil {
		return nil, err
	}
	slc, _ := num(8)
	h, _ := num(9)
	v, _ := num(10)
	switch slc {
	case 1:
		im.HorizontalPPI, im.VerticalPPI = float64(h), float64(v)
	case 2:
		im.HorizontalPPI, im.VerticalPPI = float64(h)*2.54, float64(v)*2.54
	}
	im.Compression = r.Get(11)
	switch r.Type {
	case 10:
		im.Kind = r.Get(3)
		im.Colorspace = r.Get(12)
		im.Depth = colorspaceDepth(im.Colorspace)
	case 17:
		im.Kind = r.Get(3)
		im.Depth, _ = num(12)
		im.Colorspace = r.Get(13)
	default: // 13, 14, 15, 16, 19
		im.Depth, _ = num(12)
		if r.Type != 16 {
			if n, err := strconv.Atoi(r.Get(3)); err == nil {
				im.Impression = n
			}
			im.Positions = positions(r.Field(13))
		}
	}
	data := r.Field(999)
	if data == nil {
		return nil, fail(fmt.Sprintf("%d.999", r.Type), "missing: the record has no image data")
	}
	im.Data = data.Value
	im.Format = sniff(im.Data, im.Compression)
	return im, nil
}

// positions reads position codes from the first item of each subfield.
func positions(f *Field) []int {
	if f == nil {
		return nil
	}
	var out []int
	for _, sf := range f.Subfields() {
		if n, err := strconv.Atoi(strings.TrimSpace(sf[0])); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func colorspaceDepth(csp string) int {
	switch strings.ToUpper(csp) {
	case "GRAY":
		return 8
	case "RGB", "SRGB", "YCC", "SYCC":
		return 24
	}
	return 0
}

// Compression codes of the binary records' GCA byte (Types 3, 4 and a Type-4-style
// Type-7), per ANSI/NIST-ITL 1-2011 Table 15.
var binaryCompression = []string{"NONE", "WSQ", "JPEGB", "JPEGL", "JP2", "JP2L", "PNG"}

// Type4Header is the fixed header of the binary image records Types 3–6 (and of Type-7
// records written in their shape), after LEN.
type Type4Header struct {
	IDC         int
	Impression  int    // IMP
	Positions   [6]int // FGP, 255 for unused
	ScanRes     int    // ISR: 0 minimum scanning resolution, 1 native (1.011)
	Width       int    // HLL
	Height      int    // VLL
	Compression int    // GCA (Types 3, 4) or BCA (Types 5, 6)
}

func parseType4Header(h []byte) Type4Header {
	var x Type4Header
	x.IDC, x.Impression = int(h[0]), int(h[1])
	for i := range x.Positions {
		x.Positions[i] = int(h[2+i])
	}
	x.ScanRes = int(h[8])
	x.Width = int(binary.BigEndian.Uint16(h[9:]))
	x.Height = int(binary.BigEndian.Uint16(h[11:]))
	x.Compression = int(h[13])
	return x
}

// ImageHeader returns the fixed header of a Type-3, 4, 5 or 6 record, and of a Type-7
// record whose user-defined content starts with a header of that shape (see Type7Header).
func (r *Record) ImageHeader() (Type4Header, bool) {
	switch r.Type {
	case 3, 4, 5, 6:
		if len(r.Header) == 14 {
			return parseType4Header(r.Header), true
		}
	case 7:
		return r.Type7Header()
	}
	return Type4Header{}, false
}

// Type7Header reads a Type-7 record as one written with a Type-4-style header, as many
// systems do for latent and user-defined images: IDC, IMP, six FGP bytes, ISR, HLL, VLL
// and GCA. Type-7 content is user-defined, so it answers false unless the bytes are
// plausible: positions 0–15 or 255, ISR 0 or 1, a known compression, non-zero size, and
// for an uncompressed image exactly width×height bytes of pixels.
func (r *Record) Type7Header() (Type4Header, bool) {
	if r.Type != 7 || len(r.Header) != 1 || len(r.Data) < 13 {
		return Type4Header{}, false
	}
	h := parseType4Header(append(append([]byte(nil), r.Header...), r.Data[:13]...))
	for _, p := range h.Positions {
		if p > 15 && p != 255 {
			return Type4Header{}, false
		}
	}
	if h.ScanRes > 1 || h.Width == 0 || h.Height == 0 || h.Compression >= len(binaryCompression) {
		return Type4Header{}, false
	}
	if h.Compression == 0 && len(r.Data)-13 != h.Width*h.Height {
		return Type4Header{}, false
	}
	return h, true
}

func (t *Transaction) binaryImage(r *Record, im *Image) error {
	nsr, _ := t.Resolutions()
	res := func(isr int, low bool) float64 {
		if isr == 1 && nsr > 0 {
			return nsr * 25.4
		}
		if low {
			return 9.84 * 25.4
		}
		return 19.69 * 25.4
	}
	switch r.Type {
	case 8:
		if len(r.Header) != 8 {
			return fmt.Errorf("Type-8 header of %d bytes", len(r.Header))
		}
		srt := int(r.Header[2])
		im.Width = int(binary.BigEndian.Uint16(r.Header[4:]))
		im.Height = int(binary.BigEndian.Uint16(r.Header[6:]))
		im.HorizontalPPI = res(int(r.Header[3]), false)
		im.VerticalPPI = im.HorizontalPPI
		im.Depth = 1
		im.Data = r.Data
		switch srt {
		case 0:
			im.Compression, im.Format = "NONE", "raw"
		case 1:
			im.Compression, im.Format = "FAX", "fax"
		default:
			im.Compression, im.Format = "VECTOR", ""
			im.Depth = 0
		}
		im.Kind = "signature"
		return nil
	}
	h, ok := r.ImageHeader()
	if !ok {
		return fmt.Errorf("the Type-7 record has no Type-4-style header: its content is user-defined")
	}
	im.IDC, im.Impression, im.Width, im.Height = h.IDC, h.Impression, h.Width, h.Height
	for _, p := range h.Positions {
		if p != 255 {
			im.Positions = append(im.Positions, p)
		}
	}
	low := r.Type == 3 || r.Type == 5
	im.HorizontalPPI = res(h.ScanRes, low)
	im.VerticalPPI = im.HorizontalPPI
	im.Data = r.Data
	if r.Type == 7 {
		im.Data = r.Data[13:]
	}
	if r.Type == 5 || r.Type == 6 {
		im.Depth = 1
		if h.Compression == 0 {
			im.Compression, im.Format = "NONE", "raw"
		} else {
			im.Compression, im.Format = "FAX", "fax"
		}
		return nil
	}
	im.Depth = 8
	if h.Compression < len(binaryCompression) {
		im.Compression = binaryCompression[h.Compression]
	} else {
		im.Compression = fmt.Sprintf("code %d", h.Compression)
	}
	im.Format = sniff(im.Data, im.Compression)
	return nil
}

// sniff names the format of image bytes from their signature, falling back on the
// declared compression.
func sniff(b []byte, declared string) string {
	switch {
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xa0:
		return "wsq"
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xd8:
		return "jpeg"
	case len(b) >= 12 && bytes.Equal(b[:12], []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")):
		return "jp2"
	case len(b) >= 4 && bytes.Equal(b[:4], []byte{0xff, 0x4f, 0xff, 0x51}):
		return "j2k"
	case len(b) >= 8 && bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	switch strings.ToUpper(declared) {
	case "NONE", "RAW":
		return "raw"
	}
	return ""
}
