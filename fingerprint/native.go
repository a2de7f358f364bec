package fingerprint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The native template form, version 1. All integers are big-endian.
//
//	offset  size  field
//	     0     4  magic "BMFT"
//	     4     1  version (1)
//	     5     2  width in pixels
//	     7     2  height in pixels
//	     9     2  resolution in pixels per inch (0: unknown)
//	    11     1  image quality 0–100
//	    12     1  finger position 0–10
//	    13     2  minutia count n (at most MaxMinutiae)
//	    15    7n  minutiae, each:
//	              2  x
//	              2  y
//	              2  type (top 2 bits) | direction (low 14 bits, 16384ths of a turn)
//	              1  quality 0–100
//	 15+7n     4  CRC-32 (IEEE) of every byte before it
//
// The direction takes 14 bits rather than the 8 of ISO/IEC 19794-2 because it shares a
// 16-bit field with the 2-bit type: a byte for the direction and one for the type would cost
// the same 7 bytes a minutia, so the finer angle (0.022° against 1.4°) is free. An ISO angle
// unit is exactly 64 native units, so ISO → native → ISO is lossless. A 50-minutia template
// takes 369 bytes.
const (
	nativeMagic       = "BMFT"
	nativeVersion     = 1
	nativeHeaderLen   = 15
	nativeMinutiaLen  = 7
	nativeChecksumLen = 4
	nativeTurn        = 1 << 14 // direction units in a full turn
)

// MaxMinutiae is the largest number of minutiae a native template may hold.
const MaxMinutiae = 1000

// FormatError reports that some bytes are not a valid template or record; its text names
// the reason, such as "native: checksum mismatch".
type FormatError string

// Error returns the reason, prefixed with the package name.
func (e FormatError) Error() string { return "fingerprint: " + string(e) }

func nativeErrorf(format string, a ...any) error {
	return FormatError("native: " + fmt.Sprintf(format, a...))
}

// nativeSize is the encoded size of a template with n minutiae.
func nativeSize(n int) int { return nativeHeaderLen + n*nativeMinutiaLen + nativeChecksumLen }

// MarshalBinary encodes t in the native form described above. It fails if t breaks a limit
// of the form: more than MaxMinutiae minutiae, sizes beyond 16 bits, a quality above 100, a
// position above 10, an unknown minutia type, a direction that is not finite, or a minutia
// farther outside the image than an eighth of its size plus 8 pixels.
func (t *Template) MarshalBinary() ([]byte, error) {
	if reason := t.check(); reason != "" {
		return nil, errors.New("fingerprint: native: cannot encode: " + reason)
	}
	b := make([]byte, 0, nativeSize(len(t.Minutiae)))
	b = append(b, nativeMagic...)
	b = append(b, nativeVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(t.Width))
	b = binary.BigEndian.AppendUint16(b, uint16(t.Height))
	b = binary.BigEndian.AppendUint16(b, uint16(t.Resolution))
	b = append(b, uint8(t.Quality), uint8(t.Position))
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.Minutiae)))
	for _, m := range t.Minutiae {
		b = binary.BigEndian.AppendUint16(b, uint16(m.X))
		b = binary.BigEndian.AppendUint16(b, uint16(m.Y))
		b = binary.BigEndian.AppendUint16(b, uint16(m.Type)<<14|angleUnits(m.Direction, nativeTurn))
		b = append(b, m.Quality)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalBinary decodes a native template made by MarshalBinary into t. b must hold
// exactly one template. On error, which is a FormatError, t is left unchanged.
func (t *Template) UnmarshalBinary(b []byte) error {
	n, err := nativeHeader(b)
	if err != nil {
		return err
	}
	size := nativeSize(n)
	if len(b) < size {
		return nativeErrorf("truncated: need %d bytes, have %d", size, len(b))
	}
	if len(b) > size {
		return nativeErrorf("%d unexpected bytes after the checksum", len(b)-size)
	}
	stored := binary.BigEndian.Uint32(b[size-nativeChecksumLen:])
	if sum := crc32.ChecksumIEEE(b[:size-nativeChecksumLen]); sum != stored {
		return nativeErrorf("checksum mismatch: stored %08x, computed %08x", stored, sum)
	}
	d := Template{
		Width:      int(binary.BigEndian.Uint16(b[5:])),
		Height:     int(binary.BigEndian.Uint16(b[7:])),
		Resolution: int(binary.BigEndian.Uint16(b[9:])),
		Quality:    int(b[11]),
		Position:   int(b[12]),
		Minutiae:   make([]Minutia, n),
	}
	for i := range d.Minutiae {
		p := b[nativeHeaderLen+i*nativeMinutiaLen:]
		td := binary.BigEndian.Uint16(p[4:])
		d.Minutiae[i] = Minutia{
			X:         int(binary.BigEndian.Uint16(p)),
			Y:         int(binary.BigEndian.Uint16(p[2:])),
			Direction: unitsAngle(int(td&(nativeTurn-1)), nativeTurn),
			Type:      MinutiaType(td >> 14),
			Quality:   p[6],
		}
	}
	if reason := d.check(); reason != "" {
		return nativeErrorf("%s", reason)
	}
	*t = d
	return nil
}

// nativeHeader checks the magic, version and minutia count at the start of b and returns
// the count. b may be longer than the header.
func nativeHeader(b []byte) (int, error) {
	m := min(len(b), len(nativeMagic))
	if string(b[:m]) != nativeMagic[:m] {
		return 0, nativeErrorf("bad magic %q, want %q", b[:m], nativeMagic)
	}
	if len(b) > 4 && b[4] != nativeVersion {
		return 0, nativeErrorf("unsupported version %d", b[4])
	}
	if len(b) < nativeHeaderLen {
		return 0, nativeErrorf("truncated: need %d bytes, have %d", nativeHeaderLen, len(b))
	}
	n := int(binary.BigEndian.Uint16(b[13:]))
	if n > MaxMinutiae {
		return 0, nativeErrorf("too many minutiae: %d (max %d)", n, MaxMinutiae)
	}
	return n, nil
}

// Encode writes t to w in the native form (see Template.MarshalBinary).
func Encode(w io.Writer, t *Template) error {
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Decode reads one native template from r, reading no further than its end, so that
// templates written one after another can be read back in turn. It returns io.EOF if r
// holds no more bytes, a FormatError for bad or truncated data, or r's own error.
func Decode(r io.Reader) (*Template, error) {
	hdr := make([]byte, nativeHeaderLen)
	k, err := io.ReadFull(r, hdr)
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		if _, herr := nativeHeader(hdr[:k]); herr != nil {
			return nil, herr
		}
	case err != nil:
		return nil, err
	}
	n, err := nativeHeader(hdr)
	if err != nil {
		return nil, err
	}
	b := make([]byte, nativeSize(n)) // at most 7019 bytes: n ≤ MaxMinutiae
	copy(b, hdr)
	k, err = io.ReadFull(r, b[nativeHeaderLen:])
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return nil, nativeErrorf("truncated: need %d bytes, have %d", len(b), nativeHeaderLen+k)
	}
	if err != nil {
		return nil, err
	}
	t := new(Template)
	if err := t.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return t, nil
}

// coordLimit is the largest coordinate accepted on an axis of size pixels: minutiae may lie
// a little outside the image (rounding after rescaling, extractors that pad), by an eighth
// of the size plus 8 pixels. A size of 0 means unknown and bounds nothing but the field.
func coordLimit(size int) int {
	if size <= 0 {
		return math.MaxUint16
	}
	return min(size+size/8+8, math.MaxUint16)
}

// check returns why t cannot be a native template, or "" if it can.
func (t *Template) check() string {
	switch {
	case t.Width < 0 || t.Width > math.MaxUint16:
		return fmt.Sprintf("width %d out of range 0–65535", t.Width)
	case t.Height < 0 || t.Height > math.MaxUint16:
		return fmt.Sprintf("height %d out of range 0–65535", t.Height)
	case t.Resolution < 0 || t.Resolution > math.MaxUint16:
		return fmt.Sprintf("resolution %d out of range 0–65535", t.Resolution)
	case t.Quality < 0 || t.Quality > 100:
		return fmt.Sprintf("quality %d out of range 0–100", t.Quality)
	case t.Position < 0 || t.Position > 10:
		return fmt.Sprintf("finger position %d out of range 0–10", t.Position)
	case len(t.Minutiae) > MaxMinutiae:
		return fmt.Sprintf("too many minutiae: %d (max %d)", len(t.Minutiae), MaxMinutiae)
	}
	xmax, ymax := coordLimit(t.Width), coordLimit(t.Height)
	for i, m := range t.Minutiae {
		switch {
		case m.X < 0 || m.X > xmax:
			return fmt.Sprintf("minutia %d: x %d outside 0–%d (width %d)", i+1, m.X, xmax, t.Width)
		case m.Y < 0 || m.Y > ymax:
			return fmt.Sprintf("minutia %d: y %d outside 0–%d (height %d)", i+1, m.Y, ymax, t.Height)
		case m.Type > Bifurcation:
			return fmt.Sprintf("minutia %d: unknown type %d", i+1, m.Type)
		case m.Quality > 100:
			return fmt.Sprintf("minutia %d: quality %d out of range 0–100", i+1, m.Quality)
		case math.IsNaN(m.Direction) || math.IsInf(m.Direction, 0):
			return fmt.Sprintf("minutia %d: direction %v is not finite", i+1, m.Direction)
		}
	}
	return ""
}

// angleUnits converts a direction in radians to the nearest of turn units in a full turn,
// in [0, turn). The direction must be finite.
func angleUnits(a float64, turn int) uint16 {
	u := int(math.Round(NormalizeAngle(a) * float64(turn) / (2 * math.Pi)))
	return uint16(u % turn)
}

// unitsAngle converts u units, of turn in a full turn, to radians.
func unitsAngle(u, turn int) float64 {
	return NormalizeAngle(float64(u) * 2 * math.Pi / float64(turn))
}
