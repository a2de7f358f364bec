package nist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Error is a problem with a transaction: where it is and why.
type Error struct {
	Record int    // index of the record in the file, 0 for Type-1; -1 when not about one
	Type   int    // the record's type, 0 when unknown
	Field  string // the field's tag, "" when not about one field
	Offset int    // byte offset in the file of the record (or the field), -1 when unknown
	Reason string
}

func (e *Error) Error() string {
	s := "nist: "
	if e.Record >= 0 {
		s += fmt.Sprintf("record %d", e.Record)
		if e.Type > 0 {
			s += fmt.Sprintf(" (Type-%d)", e.Type)
		}
		if e.Offset >= 0 {
			s += fmt.Sprintf(" at byte %d", e.Offset)
		}
		s += ": "
	}
	if e.Field != "" {
		s += "field " + e.Field
		if name := fieldName(e.Field); name != "" {
			s += " (" + name + ")"
		}
		s += ": "
	}
	return s + e.Reason
}

// fieldName gives the mnemonic of a tag that errors name.
func fieldName(tag string) string {
	typ, num, ok := parseTag([]byte(tag))
	if !ok {
		return ""
	}
	return FieldName(typ, num)
}

var type1Names = map[int]string{2: "VER", 3: "CNT", 4: "TOT", 5: "DAT", 6: "PRY", 7: "DAI", 8: "ORI", 9: "TCN",
	10: "TCR", 11: "NSR", 12: "NTR", 13: "DOM", 14: "GMT", 15: "DCS"}

// Read reads a whole transaction from r and decodes it.
func Read(r io.Reader) (*Transaction, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return decode(b)
}

// Decode decodes a transaction in the traditional encoding. It copies b, so the caller may
// reuse it. It fails, with an *Error, when a record cannot be cut out by its LEN, when a
// field has no tag, or when the Type-1 CNT does not describe the file; it does not check
// field contents (see Validate).
func Decode(b []byte) (*Transaction, error) { return decode(bytes.Clone(b)) }

func decode(b []byte) (*Transaction, error) {
	if len(b) == 0 {
		return nil, &Error{Record: -1, Offset: -1, Reason: "empty input"}
	}
	t1, off, err := decodeTagged(b, 0, 0, 1)
	if err != nil {
		return nil, err
	}
	if t1.Type != 1 {
		return nil, &Error{Record: 0, Type: t1.Type, Offset: 0, Reason: fmt.Sprintf("the first record is Type-%d, not Type-1", t1.Type)}
	}
	cnt, err := contentEntries(t1)
	if err != nil {
		return nil, err
	}
	t := &Transaction{Records: make([]*Record, 1, 1+min(len(cnt), len(b)/8))}
	t.Records[0] = t1
	for i, e := range cnt {
		idx := i + 1
		if off >= len(b) {
			return nil, &Error{Record: idx, Type: e.Type, Offset: off, Reason: fmt.Sprintf(
				"missing: CNT lists %d records after Type-1 but the file ends after %d", len(cnt), i)}
		}
		var r *Record
		if IsBinaryType(e.Type) {
			r, off, err = decodeBinary(b, off, idx, e.Type)
		} else {
			r, off, err = decodeTagged(b, off, idx, e.Type)
		}
		if err != nil {
			return nil, err
		}
		t.Records = append(t.Records, r)
	}
	// Tagged records that CNT forgot are kept (Validate reports them); anything else after
	// the last listed record is an error, since a binary record cannot be told apart from
	// noise without CNT.
	for off < len(b) {
		idx := len(t.Records)
		r, next, err := decodeTagged(b, off, idx, 0)
		if err != nil {
			why := err.Error()
			var e *Error
			if errors.As(err, &e) {
				why = e.Reason
			}
			return nil, &Error{Record: idx, Offset: off, Reason: fmt.Sprintf(
				"%d bytes after the %d records that CNT lists, and they are not a tagged record: %s",
				len(b)-off, len(cnt), why)}
		}
		t.Records = append(t.Records, r)
		off = next
	}
	return t, nil
}

// cntEntry is one record as the Type-1 CNT lists it.
type cntEntry struct {
	Type int
	IDC  string
}

// contentEntries reads the record list of CNT (1.003): its first subfield is "1" and the
// number of other records, each further subfield a record type and its IDC.
func contentEntries(t1 *Record) ([]cntEntry, error) {
	f := t1.Field(3)
	if f == nil {
		return nil, &Error{Record: 0, Type: 1, Field: "1.003", Offset: 0, Reason: "missing; it lists the records of the file"}
	}
	sfs := f.Subfields()
	var out []cntEntry
	for i, sf := range sfs[1:] {
		typ, err := strconv.Atoi(sf[0])
		if err != nil || typ < 2 || typ > 99 {
			return nil, &Error{Record: 0, Type: 1, Field: f.Tag, Offset: 0, Reason: fmt.Sprintf(
				"subfield %d: record type %q is not a number 2–99", i+2, sf[0])}
		}
		e := cntEntry{Type: typ}
		if len(sf) > 1 {
			e.IDC = sf[1]
		}
		out = append(out, e)
	}
	return out, nil
}

// parseTag reads a tag "T.N" of decimal digits.
func parseTag(tag []byte) (typ, num int, ok bool) {
	dot := bytes.IndexByte(tag, '.')
	if dot <= 0 || dot == len(tag)-1 {
		return 0, 0, false
	}
	typ, ok1 := parseDigits(tag[:dot])
	num, ok2 := parseDigits(tag[dot+1:])
	return typ, num, ok1 && ok2
}

// parseDigits reads a short run of decimal digits (at most 9, so it cannot overflow).
func parseDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// decodeTagged cuts the tagged record starting at off out of b by its LEN and splits it
// into fields. want is the type CNT gives (0 when unknown); the type the record's tags
// say wins, and Validate reports a difference. It returns the record and the offset of
// the next one.
func decodeTagged(b []byte, off, idx, want int) (*Record, int, error) {
	fail := func(field, format string, a ...any) error {
		return &Error{Record: idx, Type: want, Field: field, Offset: off, Reason: fmt.Sprintf(format, a...)}
	}
	rest := b[off:]
	colon := bytes.IndexByte(rest[:min(len(rest), maxTagLen)], ':')
	if colon < 0 {
		return nil, 0, fail("", "no field tag \"%d.001:\" at the start of the record (%q)", want, clip(rest, 12))
	}
	typ, num, ok := parseTag(rest[:colon])
	if !ok {
		return nil, 0, fail("", "the record does not start with a field tag (%q)", clip(rest, 12))
	}
	if typ < 1 || typ > 99 {
		return nil, 0, fail(string(rest[:colon]), "record type %d outside 1–99", typ)
	}
	lenTag := string(rest[:colon])
	if IsBinaryType(typ) {
		return nil, 0, fail(lenTag, "Type-%d records are binary, this one is written as tagged fields", typ)
	}
	want = typ
	if num != 1 {
		return nil, 0, fail(lenTag, "the first field must be LEN (%d.001)", typ)
	}
	v := rest[colon+1:]
	end := 0
	for end < len(v) && end <= maxLenLen && v[end] != GS && v[end] != FS {
		end++
	}
	digits := v[:end]
	if end > maxLenLen {
		return nil, 0, fail(lenTag, "LEN value %q is too long", clip(digits, 16))
	}
	if end == len(v) {
		return nil, 0, fail(lenTag, "truncated: the file ends inside LEN")
	}
	n, ok := parseLen(digits)
	if !ok {
		return nil, 0, fail(lenTag, "LEN %q is not a decimal number", digits)
	}
	minLen := int64(colon + 1 + end + 1)
	if n < minLen {
		return nil, 0, fail(lenTag, "LEN %d is shorter than the LEN field itself (%d bytes)", n, minLen)
	}
	if n > int64(len(rest)) {
		return nil, 0, fail(lenTag, "LEN %d runs past the end of the file (%d bytes left): truncated record or wrong LEN", n, len(rest))
	}
	if v[end] == FS && n != minLen {
		return nil, 0, fail(lenTag, "LEN %d is followed by a file separator inside the record", n)
	}
	rec := rest[:n]
	if rec[n-1] != FS {
		return nil, 0, fail(lenTag, "LEN %d does not end the record: byte %d is 0x%02x, not the file separator (wrong LEN or truncated record)",
			n, off+int(n)-1, rec[n-1])
	}
	r := &Record{Type: typ}
	if len(digits) > 1 && digits[0] == '0' {
		r.lenWidth = len(digits)
	}
	body := rec[:n-1]
	r.Tail = rec[n-1:]
	pos := 0
	for pos < len(body) {
		seg := body[pos:]
		c := bytes.IndexByte(seg[:min(len(seg), maxTagLen)], ':')
		if c < 0 {
			return nil, 0, &Error{Record: idx, Type: typ, Offset: off + pos, Reason: fmt.Sprintf(
				"field %d has no tag (%q)", len(r.Fields)+1, clip(seg, 12))}
		}
		ft, fn, ok := parseTag(seg[:c])
		if !ok {
			return nil, 0, &Error{Record: idx, Type: typ, Offset: off + pos, Reason: fmt.Sprintf(
				"field %d: %q is not a tag T.NNN", len(r.Fields)+1, seg[:c])}
		}
		f := &Field{Tag: string(seg[:c]), Type: ft, Number: fn}
		val := seg[c+1:]
		if fn == 999 {
			// Binary data runs to the end of the record, whatever bytes it holds.
			f.Value = val
			pos = len(body)
		} else if gs := bytes.IndexByte(val, GS); gs < 0 {
			f.Value = val
			pos = len(body)
		} else {
			f.Value = val[:gs]
			pos += c + 1 + gs + 1
			if pos == len(body) {
				// A group separator before the file separator: keep it as written.
				r.Tail = rec[n-2:]
			}
		}
		r.Fields = append(r.Fields, f)
	}
	return r, off + int(n), nil
}

// parseLen reads a LEN value of up to maxLenLen digits.
func parseLen(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > maxLenLen {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// decodeBinary cuts the binary record of type typ at off out of b by its 4-byte LEN.
func decodeBinary(b []byte, off, idx, typ int) (*Record, int, error) {
	fail := func(format string, a ...any) error {
		return &Error{Record: idx, Type: typ, Field: fmt.Sprintf("%d.001", typ), Offset: off, Reason: fmt.Sprintf(format, a...)}
	}
	rest := b[off:]
	hl := binaryHeaderLen(typ)
	if len(rest) < 4 {
		return nil, 0, fail("truncated: %d bytes left, a binary record needs at least %d", len(rest), 4+hl)
	}
	n := int64(binary.BigEndian.Uint32(rest))
	if n < int64(4+hl) {
		return nil, 0, fail("LEN %d is shorter than the Type-%d header (%d bytes)", n, typ, 4+hl)
	}
	if n > int64(len(rest)) {
		return nil, 0, fail("LEN %d runs past the end of the file (%d bytes left): truncated record or wrong LEN", n, len(rest))
	}
	rec := rest[:n]
	r := &Record{Type: typ, Header: rec[4 : 4+hl], Data: rec[4+hl:]}
	return r, off + int(n), nil
}

// clip returns at most n bytes of b, for messages.
func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// FieldName returns the standard mnemonic of field num of a record of type typ ("TOT",
// "HLL", "FGP", ...), or "" when this package does not know one. Type-2 and Type-7 are
// user-defined: only LEN and IDC are named.
func FieldName(typ, num int) string {
	switch {
	case num == 1:
		return "LEN"
	case num == 2 && typ != 1:
		return "IDC"
	case typ == 1:
		return type1Names[num]
	case num == 999:
		return "DATA"
	}
	switch typ {
	case 9:
		return type9Names[num]
	case 10:
		if num == 3 {
			return "IMT"
		}
		if num == 12 {
			return "CSP"
		}
		if num == 5 {
			return "PHD"
		}
	case 17:
		switch num {
		case 3:
			return "ELR"
		case 5:
			return "ICD"
		case 13:
			return "CSP"
		}
	case 18:
		return type18Names[num]
	case 99:
		return type99Names[num]
	}
	if typ >= 10 && typ <= 19 && typ != 11 && typ != 12 && typ != 18 {
		return imageNames[num]
	}
	return ""
}

var (
	imageNames = map[int]string{3: "IMP", 4: "SRC", 5: "CD", 6: "HLL", 7: "VLL", 8: "SLC", 9: "THPS", 10: "TVPS",
		11: "CGA", 12: "BPX", 13: "FGP"}
	type9Names = map[int]string{3: "IMP", 4: "FMT", 5: "OFR", 6: "FGP", 7: "FPC", 8: "CRP", 9: "DLT", 10: "MIN",
		11: "RDG", 12: "MRC", 126: "CBI", 127: "CEI", 128: "HLL", 129: "VLL", 130: "SLC", 131: "THPS", 132: "TVPS",
		133: "FVW", 134: "FGP", 135: "FQD", 136: "NOM", 137: "FMD", 138: "RCI", 139: "CIN", 140: "DIN", 141: "ADA"}
	type18Names = map[int]string{3: "DLS", 4: "SRC", 5: "NAL", 6: "SDI", 7: "COPR", 8: "VRS", 9: "PED", 10: "STY",
		11: "STI", 12: "SCM", 13: "SCD", 14: "PSD", 15: "DPD", 16: "STR", 17: "DMD", 18: "UDP", 19: "EPD", 20: "DGD",
		21: "GAP", 22: "COM", 23: "EPL"}
	type99Names = map[int]string{4: "SRC", 100: "HDV", 101: "BTY", 102: "BDQ", 103: "BFO", 104: "BFT"}
)
