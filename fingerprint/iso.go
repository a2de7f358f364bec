package fingerprint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Finger-minutiae records of ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004.
//
// Both begin with "FMR\0" and " 20\0" and then differ only in the record header:
//
//	ISO (24 bytes)                      ANSI (26 bytes, or 30)
//	 4  record length                    2  record length (0: the next 4 bytes hold it)
//	 2  capture equipment                4  CBEFF product ID
//	 2  width                            2  capture equipment
//	 2  height                           2  width
//	 2  x resolution, px/cm              2  height
//	 2  y resolution, px/cm              2  x resolution, px/cm
//	 1  number of finger views           2  y resolution, px/cm
//	 1  reserved                         1  number of finger views
//	                                     1  reserved
//
// and in the unit of a minutia angle: 360/256 = 1.40625° for ISO, 2° for ANSI (values
// 0–179). A finger view is the same in both: position, view number (high 4 bits) and
// impression type (low 4 bits), quality, minutia count n, n minutiae of 6 bytes
// (2 bits type and 14 bits x; 2 reserved bits and 14 bits y; angle; quality), then the
// extended data: a 2-byte length and that many bytes of blocks, each a 2-byte type, a
// 2-byte length that counts these 4 header bytes, and data.

// RecordFormat says which standard a finger-minutiae record follows.
type RecordFormat uint8

const (
	// ISO is ISO/IEC 19794-2:2005 (record format).
	ISO RecordFormat = 1
	// ANSI is ANSI INCITS 378-2004.
	ANSI RecordFormat = 2
)

// String names the format as error messages do: "iso19794-2" or "ansi378".
func (f RecordFormat) String() string {
	switch f {
	case ISO:
		return "iso19794-2"
	case ANSI:
		return "ansi378"
	}
	return fmt.Sprintf("RecordFormat(%d)", uint8(f))
}

// Types of extended data block.
const (
	RidgeCountBlock uint16 = 1 // ridge counts between minutiae
	CoreDeltaBlock  uint16 = 2 // cores and deltas
)

// Record is a finger-minutiae record of either standard, with its fields as stored.
type Record struct {
	Format    RecordFormat
	ProductID uint32 // CBEFF product identifier, owner in the high 16 bits (ANSI only)
	// Equipment is the capture equipment field: compliance (high 4 bits) and device ID.
	Equipment                uint16
	Width, Height            int // image size in pixels
	XResolution, YResolution int // pixels per centimetre
	Views                    []View
}

// View is one finger view of a Record.
type View struct {
	Position   int // finger position code 0–10 (0 unknown)
	ViewNumber int // 0–15
	Impression int // impression type 0–15 (0 live-scan plain, 1 live-scan rolled, …)
	Quality    int // finger quality 0–100
	// Minutiae as stored: coordinates in pixels at the record's resolution, direction
	// converted from the format's angle unit to radians. Type keeps the stored 2 bits, so
	// it may be 3 (reserved) here; Quality may exceed 100 if the record says so.
	Minutiae []Minutia
	Extended []ExtendedBlock
}

// ExtendedBlock is one block of a view's extended data, kept as stored. Ridge-count and
// core/delta blocks are not interpreted: their layouts differ between the standards and
// between vendors, and matching does not need them.
type ExtendedBlock struct {
	Type uint16 // RidgeCountBlock, CoreDeltaBlock or another (vendor) type
	Data []byte // the block's bytes after its 4-byte header
}

const (
	recordMagic        = "FMR\x00"
	recordVersion      = " 20\x00"
	isoHeaderLen       = 24
	ansiHeaderLen      = 26
	ansiLongHeaderLen  = 30
	viewHeaderLen      = 4
	recordMinutiaLen   = 6
	extendedHeaderLen  = 4
	maxRecordCoord     = 1<<14 - 1
	maxRecordItems     = 255 // views in a record, minutiae in a view
	isoTurn, ansiTurn  = 256, 180
	maxExtendedDataLen = math.MaxUint16
)

// errTruncated says that a part of a record needs more bytes than are left.
type errTruncated struct {
	what       string
	need, have int
}

func (e *errTruncated) Error() string {
	return fmt.Sprintf("truncated %s: need %d bytes, have %d", e.what, e.need, e.have)
}

// reader takes fields from a byte slice, reporting truncation by name.
type reader struct {
	b   []byte
	off int
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) take(n int, what string) ([]byte, error) {
	if r.left() < n {
		return nil, &errTruncated{what, n, r.left()}
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

// DetectRecordFormat tells whether b, which starts with "FMR\0 20\0", is an ISO or an
// ANSI record, from the length fields that follow:
//
//  1. ISO if its 4-byte length at offset 8 equals len(b);
//  2. ANSI if its 2-byte length at offset 8 is non-zero and equals len(b), or is zero and
//     the 4-byte length at offset 10 equals len(b);
//  3. otherwise (truncated or padded data), ANSI if the two bytes at offset 8 are not zero
//     (an ISO record would need to be 64 KiB or longer), ISO if the two bytes at offset
//     10 read 24 or more (the low half of an ISO length; an ANSI 6-byte length ≥ 24 × 64 KiB
//     is not plausible), ANSI if they read less (ISO's length cannot be under 24), and ISO
//     if b is too short to tell.
//
// Rules 1 and 2 cannot both hold, so a well-formed record is always told right.
func DetectRecordFormat(b []byte) RecordFormat {
	n := uint64(len(b))
	if len(b) >= 12 && uint64(binary.BigEndian.Uint32(b[8:])) == n {
		return ISO
	}
	if len(b) >= 10 {
		short := binary.BigEndian.Uint16(b[8:])
		if short != 0 && uint64(short) == n {
			return ANSI
		}
		if short == 0 && len(b) >= 14 && uint64(binary.BigEndian.Uint32(b[10:])) == n {
			return ANSI
		}
		if short != 0 {
			return ANSI
		}
	}
	if len(b) >= 12 && binary.BigEndian.Uint16(b[10:]) < isoHeaderLen {
		return ANSI
	}
	return ISO
}

// DecodeRecord parses an ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004 finger-minutiae
// record, telling them apart with DetectRecordFormat. b must hold exactly the record: its
// length field must equal len(b). Errors are FormatErrors naming the part at fault, like
// "iso19794-2: view 1: truncated minutia 17: need 6 bytes, have 2". Allocation is
// bounded by len(b) whatever the count fields say.
func DecodeRecord(b []byte) (*Record, error) {
	m := min(len(b), len(recordMagic))
	if string(b[:m]) != recordMagic[:m] {
		return nil, FormatError(fmt.Sprintf("record: bad magic %q, want %q", b[:m], recordMagic))
	}
	if len(b) > 4 {
		v := b[4:min(len(b), 8)]
		if string(v) != recordVersion[:len(v)] {
			return nil, FormatError(fmt.Sprintf("record: unsupported version %q, want %q", v, recordVersion))
		}
	}
	f := DetectRecordFormat(b)
	r, err := decodeRecord(b, f)
	if err != nil {
		return nil, FormatError(f.String() + ": " + err.Error())
	}
	return r, nil
}

// decodeRecord parses b as a record of format f; errors lack the format prefix.
func decodeRecord(b []byte, f RecordFormat) (*Record, error) {
	rd := &reader{b: b}
	rec := &Record{Format: f}
	var length uint64
	headerLen := isoHeaderLen
	if f == ISO {
		h, err := rd.take(isoHeaderLen, "header")
		if err != nil {
			return nil, err
		}
		length = uint64(binary.BigEndian.Uint32(h[8:]))
		h = h[12:]
		rec.Equipment = binary.BigEndian.Uint16(h)
		rec.Width = int(binary.BigEndian.Uint16(h[2:]))
		rec.Height = int(binary.BigEndian.Uint16(h[4:]))
		rec.XResolution = int(binary.BigEndian.Uint16(h[6:]))
		rec.YResolution = int(binary.BigEndian.Uint16(h[8:]))
	} else {
		var err error
		if length, headerLen, err = rec.decodeANSIHeader(rd); err != nil {
			return nil, err
		}
	}
	nviews := int(rd.b[headerLen-2]) // reserved byte (last) is ignored
	if length < uint64(headerLen) {
		return nil, fmt.Errorf("record length %d is shorter than the %d-byte header", length, headerLen)
	}
	if length < uint64(len(b)) {
		return nil, fmt.Errorf("record length field says %d bytes, have %d", length, len(b))
	}
	err := rec.decodeViews(rd, nviews)
	if length > uint64(len(b)) {
		where := ""
		if err != nil {
			where = " (" + err.Error() + ")"
		}
		return nil, fmt.Errorf("truncated: need %d bytes, have %d%s", length, len(b), where)
	}
	if err != nil {
		return nil, err
	}
	if rd.left() > 0 {
		return nil, fmt.Errorf("%d unexpected bytes after the last view", rd.left())
	}
	return rec, nil
}

// decodeViews reads n finger views into rec.
func (rec *Record) decodeViews(rd *reader, n int) error {
	rec.Views = make([]View, 0, min(n, rd.left()/viewHeaderLen))
	for i := range n {
		v, err := decodeView(rd, rec.Format)
		if err != nil {
			return fmt.Errorf("view %d: %w", i+1, err)
		}
		rec.Views = append(rec.Views, v)
	}
	return nil
}

// decodeView reads one finger view.
func decodeView(rd *reader, f RecordFormat) (View, error) {
	h, err := rd.take(viewHeaderLen, "view header")
	if err != nil {
		return View{}, err
	}
	v := View{
		Position:   int(h[0]),
		ViewNumber: int(h[1] >> 4),
		Impression: int(h[1] & 0x0f),
		Quality:    int(h[2]),
	}
	n := int(h[3])
	if have := rd.left(); have < n*recordMinutiaLen {
		return View{}, fmt.Errorf("truncated minutia %d of %d: need %d bytes, have %d",
			have/recordMinutiaLen+1, n, recordMinutiaLen, have%recordMinutiaLen)
	}
	v.Minutiae = make([]Minutia, n)
	for i := range v.Minutiae {
		p, _ := rd.take(recordMinutiaLen, "minutia")
		x, y := binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:])
		m := Minutia{
			X:       int(x & maxRecordCoord),
			Y:       int(y & maxRecordCoord),
			Type:    MinutiaType(x >> 14),
			Quality: p[5],
		}
		if f == ANSI {
			if p[4] >= ansiTurn {
				return View{}, fmt.Errorf("minutia %d: angle %d out of range 0–179", i+1, p[4])
			}
			m.Direction = unitsAngle(int(p[4]), ansiTurn)
		} else {
			m.Direction = unitsAngle(int(p[4]), isoTurn)
		}
		v.Minutiae[i] = m
	}
	if v.Extended, err = decodeExtended(rd); err != nil {
		return View{}, err
	}
	return v, nil
}

// decodeExtended reads a view's extended data: its length and its blocks.
func decodeExtended(rd *reader) ([]ExtendedBlock, error) {
	h, err := rd.take(2, "extended data length")
	if err != nil {
		return nil, err
	}
	data, err := rd.take(int(binary.BigEndian.Uint16(h)), "extended data")
	if err != nil {
		return nil, err
	}
	var blocks []ExtendedBlock
	for len(data) > 0 {
		if len(data) < extendedHeaderLen {
			return nil, fmt.Errorf("extended data block %d: truncated header: need %d bytes, have %d",
				len(blocks)+1, extendedHeaderLen, len(data))
		}
		typ, n := binary.BigEndian.Uint16(data), int(binary.BigEndian.Uint16(data[2:]))
		if n < extendedHeaderLen || n > len(data) {
			return nil, fmt.Errorf("extended data block %d (type 0x%04x): length %d outside %d–%d",
				len(blocks)+1, typ, n, extendedHeaderLen, len(data))
		}
		blocks = append(blocks, ExtendedBlock{Type: typ, Data: append([]byte(nil), data[extendedHeaderLen:n]...)})
		data = data[n:]
	}
	return blocks, nil
}

// Encode writes r in its Format. It fails if a field does not fit the layout: more than
// 255 views or 255 minutiae in a view, coordinates outside 0–16383, and so on. Extended
// blocks are written as they are; a record decoded from one format and encoded in the
// other would keep their core and delta angles in the old unit, so convert through
// Template, which drops them, instead.
func (r *Record) Encode() ([]byte, error) {
	if r.Format != ISO && r.Format != ANSI {
		return nil, fmt.Errorf("fingerprint: cannot encode record: unknown format %v", r.Format)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("fingerprint: %v: cannot encode: %w", r.Format, err)
	}
	size := isoHeaderLen
	if r.Format == ANSI {
		size = ansiHeaderLen
	}
	for _, v := range r.Views {
		size += viewHeaderLen + len(v.Minutiae)*recordMinutiaLen + 2
		for _, e := range v.Extended {
			size += extendedHeaderLen + len(e.Data)
		}
	}
	if r.Format == ANSI && size > math.MaxUint16 {
		size += ansiLongHeaderLen - ansiHeaderLen
	}
	b := make([]byte, 0, size)
	b = append(b, recordMagic...)
	b = append(b, recordVersion...)
	if r.Format == ISO {
		b = binary.BigEndian.AppendUint32(b, uint32(size))
	} else {
		b = r.appendANSILength(b, size)
		b = binary.BigEndian.AppendUint32(b, r.ProductID)
	}
	b = binary.BigEndian.AppendUint16(b, r.Equipment)
	for _, v := range []int{r.Width, r.Height, r.XResolution, r.YResolution} {
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	b = append(b, uint8(len(r.Views)), 0)
	turn := isoTurn
	if r.Format == ANSI {
		turn = ansiTurn
	}
	for _, v := range r.Views {
		b = append(b, uint8(v.Position), uint8(v.ViewNumber<<4|v.Impression), uint8(v.Quality), uint8(len(v.Minutiae)))
		for _, m := range v.Minutiae {
			b = binary.BigEndian.AppendUint16(b, uint16(m.Type)<<14|uint16(m.X))
			b = binary.BigEndian.AppendUint16(b, uint16(m.Y))
			b = append(b, uint8(angleUnits(m.Direction, turn)), m.Quality)
		}
		n := 0
		for _, e := range v.Extended {
			n += extendedHeaderLen + len(e.Data)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		for _, e := range v.Extended {
			b = binary.BigEndian.AppendUint16(b, e.Type)
			b = binary.BigEndian.AppendUint16(b, uint16(extendedHeaderLen+len(e.Data)))
			b = append(b, e.Data...)
		}
	}
	return b, nil
}

// check returns why r cannot be encoded, or nil.
func (r *Record) check() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"width", r.Width}, {"height", r.Height}, {"x resolution", r.XResolution}, {"y resolution", r.YResolution}} {
		if f.v < 0 || f.v > math.MaxUint16 {
			return fmt.Errorf("%s %d out of range 0–65535", f.name, f.v)
		}
	}
	if len(r.Views) > maxRecordItems {
		return fmt.Errorf("%d views (max %d)", len(r.Views), maxRecordItems)
	}
	for i, v := range r.Views {
		if err := v.check(); err != nil {
			return fmt.Errorf("view %d: %w", i+1, err)
		}
	}
	return nil
}

// check returns why v cannot be encoded, or nil.
func (v *View) check() error {
	switch {
	case v.Position < 0 || v.Position > 255:
		return fmt.Errorf("finger position %d out of range 0–255", v.Position)
	case v.ViewNumber < 0 || v.ViewNumber > 15:
		return fmt.Errorf("view number %d out of range 0–15", v.ViewNumber)
	case v.Impression < 0 || v.Impression > 15:
		return fmt.Errorf("impression type %d out of range 0–15", v.Impression)
	case v.Quality < 0 || v.Quality > 255:
		return fmt.Errorf("quality %d out of range 0–255", v.Quality)
	case len(v.Minutiae) > maxRecordItems:
		return fmt.Errorf("%d minutiae (max %d)", len(v.Minutiae), maxRecordItems)
	}
	for i, m := range v.Minutiae {
		switch {
		case m.X < 0 || m.X > maxRecordCoord || m.Y < 0 || m.Y > maxRecordCoord:
			return fmt.Errorf("minutia %d: (%d, %d) outside 0–%d", i+1, m.X, m.Y, maxRecordCoord)
		case m.Type > 3:
			return fmt.Errorf("minutia %d: type %d does not fit 2 bits", i+1, m.Type)
		case math.IsNaN(m.Direction) || math.IsInf(m.Direction, 0):
			return fmt.Errorf("minutia %d: direction %v is not finite", i+1, m.Direction)
		}
	}
	n := 0
	for i, e := range v.Extended {
		if extendedHeaderLen+len(e.Data) > maxExtendedDataLen {
			return fmt.Errorf("extended data block %d: %d bytes (max %d)", i+1, len(e.Data), maxExtendedDataLen-extendedHeaderLen)
		}
		n += extendedHeaderLen + len(e.Data)
	}
	if n > maxExtendedDataLen {
		return fmt.Errorf("%d bytes of extended data (max %d)", n, maxExtendedDataLen)
	}
	return nil
}

// NewRecord makes a one-view record of format f holding t as it is: at t's resolution
// (DefaultResolution if unknown), converted to pixels per centimetre and rounded, with
// view number 0 and impression type 0 (live-scan plain). It fails if t has more than 255
// minutiae, a coordinate outside 0–16383, or values out of range.
func NewRecord(t *Template, f RecordFormat) (*Record, error) {
	if f != ISO && f != ANSI {
		return nil, fmt.Errorf("fingerprint: unknown record format %v", f)
	}
	if len(t.Minutiae) > maxRecordItems {
		return nil, fmt.Errorf("fingerprint: %v: cannot encode %d minutiae (max %d)", f, len(t.Minutiae), maxRecordItems)
	}
	if reason := t.check(); reason != "" {
		return nil, errors.New("fingerprint: " + f.String() + ": cannot encode: " + reason)
	}
	ppi := t.Resolution
	if ppi <= 0 {
		ppi = DefaultResolution
	}
	res := int(math.Round(float64(ppi) / 2.54))
	r := &Record{
		Format: f, Width: t.Width, Height: t.Height, XResolution: res, YResolution: res,
		Views: []View{{Position: t.Position, Quality: t.Quality, Minutiae: append([]Minutia(nil), t.Minutiae...)}},
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("fingerprint: %v: cannot encode: %w", f, err)
	}
	return r, nil
}

// EncodeISO encodes t as a one-view ISO/IEC 19794-2:2005 record (see NewRecord).
func EncodeISO(t *Template) ([]byte, error) {
	r, err := NewRecord(t, ISO)
	if err != nil {
		return nil, err
	}
	return r.Encode()
}

// Template returns view number view (counting from 0) of r as a Template at the record's
// resolution in pixels per inch (px/cm × 2.54, rounded: 197 px/cm gives 500 ppi). When the
// x and y resolutions differ, y coordinates, height and directions are rescaled so that
// pixels are square at the x resolution. Values the Template cannot hold are mapped:
// reserved minutia type 3 to Other, qualities above 100 to 100, positions above 10 to 0.
// Callers usually go on with t.Rescaled(DefaultResolution).
func (r *Record) Template(view int) (*Template, error) {
	if view < 0 || view >= len(r.Views) {
		return nil, fmt.Errorf("fingerprint: %v: no view %d in a record of %d views", r.Format, view, len(r.Views))
	}
	v := &r.Views[view]
	t := &Template{
		Width:      r.Width,
		Height:     r.Height,
		Resolution: int(math.Round(float64(r.XResolution) * 2.54)),
		Quality:    min(max(v.Quality, 0), 100),
		Position:   v.Position,
		Minutiae:   make([]Minutia, len(v.Minutiae)),
	}
	if t.Position < 0 || t.Position > 10 {
		t.Position = 0
	}
	sy := 1.0
	if r.XResolution > 0 && r.YResolution > 0 && r.XResolution != r.YResolution {
		sy = float64(r.XResolution) / float64(r.YResolution)
		t.Height = int(math.Round(float64(r.Height) * sy))
	}
	for i, m := range v.Minutiae {
		if m.Type > Bifurcation {
			m.Type = Other
		}
		m.Quality = min(m.Quality, 100)
		if sy != 1 {
			m.Y = int(math.Round(float64(m.Y) * sy))
			m.Direction = NormalizeAngle(math.Atan2(sy*math.Sin(m.Direction), math.Cos(m.Direction)))
		}
		t.Minutiae[i] = m
	}
	return t, nil
}

// ParseTemplate decodes a template in any format this package reads — native (by its
// magic "BMFT"), ISO/IEC 19794-2:2005 or ANSI INCITS 378-2004 (magic "FMR\0") — and
// returns it, or a record's first view, at DefaultResolution.
func ParseTemplate(b []byte) (*Template, error) {
	switch {
	case len(b) >= 4 && string(b[:4]) == nativeMagic:
		t := new(Template)
		if err := t.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		return t.Rescaled(DefaultResolution), nil
	case len(b) >= 4 && string(b[:4]) == recordMagic:
		r, err := DecodeRecord(b)
		if err != nil {
			return nil, err
		}
		if len(r.Views) == 0 {
			return nil, FormatError(r.Format.String() + ": record has no finger view")
		}
		t, err := r.Template(0)
		if err != nil {
			return nil, err
		}
		return t.Rescaled(DefaultResolution), nil
	}
	return nil, FormatError(fmt.Sprintf("unknown template format: starts with %q", b[:min(len(b), 4)]))
}
