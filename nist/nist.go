// Package nist reads, writes and validates ANSI/NIST-ITL 1-2011 (update 2015)
// transactions in the traditional encoding, versions 0300 to 0600.
//
// A transaction is a Type-1 header record followed by the records its CNT field (1.003)
// lists. Tagged records (Types 1, 2 and 9–99) are fields "T.NNN:value" joined by the group
// separator and ended by the file separator; binary records (Types 3–8) have a fixed
// header that starts with a 4-byte length. Every record is cut from the file by its LEN,
// never by looking for separators, because image data (the x.999 field and the binary
// records) may contain any byte.
//
// Decode keeps everything needed to write the file back byte for byte: field order, tags
// as written ("1.01" stays "1.01"), values with their leading zeros and separators, and
// the bytes after a record's last field. Edits made through Record and Transaction keep
// LEN and the Type-1 CNT consistent; Encode recomputes every LEN.
//
// The package does not decode images: Image gives the image bytes of a record with their
// declared compression and the format its bytes show, and callers hand them to a codec
// (image.Decode with the wsq package, a JPEG 2000 decoder, ...).
package nist

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Information separators of the traditional encoding.
const (
	FS = 0x1c // ends a record
	GS = 0x1d // separates fields
	RS = 0x1e // separates subfields (repeated values)
	US = 0x1f // separates items of a subfield
)

// Limits that keep a hostile file from making the decoder allocate or loop without bound.
const (
	maxTagLen = 16 // "99.999" and some slack for leading zeros
	maxLenLen = 12 // digits of a LEN value
)

// Transaction is a decoded file: its records in file order, Type-1 first.
type Transaction struct {
	Records []*Record
}

// Record is one logical record. A tagged record keeps its Fields; a binary record (Types
// 3–8) keeps its fixed header and its data.
type Record struct {
	Type int

	// Tagged records.
	Fields []*Field
	// Tail is what follows the last field's value: normally the file separator alone, but
	// some writers leave a group separator before it.
	Tail []byte
	// lenWidth is the number of digits of a LEN value written with leading zeros, which
	// Encode keeps; 0 when the LEN had none.
	lenWidth int

	// Binary records.
	Header []byte // the fixed header after the 4-byte LEN, IDC first
	Data   []byte // everything after the header
}

// Field is one field of a tagged record, as written.
type Field struct {
	Tag    string // as written, e.g. "1.001", "2.01", "14.999"
	Type   int    // the record type part of the tag
	Number int    // the field number part of the tag
	Value  []byte // the value, separators included; binary for x.999
}

// Binary reports whether r is one of the binary record types 3–8.
func (r *Record) Binary() bool { return IsBinaryType(r.Type) }

// IsBinaryType reports whether records of type t have a fixed binary header (Types 3–8).
func IsBinaryType(t int) bool { return t >= 3 && t <= 8 }

// binaryHeaderLen is the size of the fixed header of a binary record of type t, after its
// 4-byte LEN. Type-7 is user-defined: only the IDC is fixed (a Type-4-style header may
// follow; see Record.Type7Header).
func binaryHeaderLen(t int) int {
	switch t {
	case 3, 4, 5, 6:
		return 14 // IDC, IMP, FGP (6), ISR, HLL (2), VLL (2), GCA/BCA
	case 8:
		return 8 // IDC, SIG, SRT, ISR, HLL (2), VLL (2)
	}
	return 1 // Type-7: IDC
}

// String is the field's value as text.
func (f *Field) String() string { return string(f.Value) }

// Subfields splits a text value into subfields (RS) and their items (US).
func (f *Field) Subfields() [][]string { return splitValue(f.Value) }

func splitValue(v []byte) [][]string {
	var out [][]string
	for _, sf := range bytes.Split(v, []byte{RS}) {
		var items []string
		for _, it := range bytes.Split(sf, []byte{US}) {
			items = append(items, string(it))
		}
		out = append(out, items)
	}
	return out
}

// JoinValue builds a text value from subfields and items, the inverse of Subfields.
func JoinValue(subfields [][]string) []byte {
	var b []byte
	for i, sf := range subfields {
		if i > 0 {
			b = append(b, RS)
		}
		for j, it := range sf {
			if j > 0 {
				b = append(b, US)
			}
			b = append(b, it...)
		}
	}
	return b
}

// Field returns the first field of r numbered num, or nil.
func (r *Record) Field(num int) *Field {
	for _, f := range r.Fields {
		if f.Number == num {
			return f
		}
	}
	return nil
}

// Get returns the value of field num as text, or "" when r has no such field.
func (r *Record) Get(num int) string {
	if f := r.Field(num); f != nil {
		return string(f.Value)
	}
	return ""
}

// Has reports whether r has a field numbered num.
func (r *Record) Has(num int) bool { return r.Field(num) != nil }

// Set sets field num of a tagged record to value: the first field of that number keeps
// its place and tag; a new field goes before the first field of a higher number (so
// x.999 stays last) with a tag written "T.NNN". LEN (field 1) is computed by Encode and
// cannot be set.
func (r *Record) Set(num int, value []byte) error {
	if r.Binary() {
		return fmt.Errorf("nist: Type-%d is a binary record: it has no field %d", r.Type, num)
	}
	if num == 1 {
		return errors.New("nist: LEN is computed when the record is encoded")
	}
	if num < 1 || num > 999 {
		return fmt.Errorf("nist: field number %d outside 1–999", num)
	}
	if f := r.Field(num); f != nil {
		f.Value = append([]byte(nil), value...)
		return nil
	}
	f := &Field{Tag: fmt.Sprintf("%d.%03d", r.Type, num), Type: r.Type, Number: num, Value: append([]byte(nil), value...)}
	at := len(r.Fields)
	for i, g := range r.Fields {
		if g.Number > num {
			at = i
			break
		}
	}
	r.Fields = append(r.Fields, nil)
	copy(r.Fields[at+1:], r.Fields[at:])
	r.Fields[at] = f
	return nil
}

// SetString is Set with a text value.
func (r *Record) SetString(num int, value string) error { return r.Set(num, []byte(value)) }

// Remove deletes every field numbered num and reports whether there was one. LEN cannot
// be removed.
func (r *Record) Remove(num int) bool {
	if num == 1 {
		return false
	}
	n := 0
	for _, f := range r.Fields {
		if f.Number != num {
			r.Fields[n] = f
			n++
		}
	}
	found := n < len(r.Fields)
	clear(r.Fields[n:])
	r.Fields = r.Fields[:n]
	return found
}

// IDC returns the record's information designation character: field 2 of a tagged record,
// the first header byte of a binary one; -1 when absent or not a number. Type-1 has none.
func (r *Record) IDC() int {
	if r.Binary() {
		if len(r.Header) == 0 {
			return -1
		}
		return int(r.Header[0])
	}
	if r.Type == 1 {
		return -1
	}
	f := r.Field(2)
	if f == nil {
		return -1
	}
	n, err := strconv.Atoi(string(f.Value))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// NewRecord returns an empty tagged record of type t (its LEN is added by Encode), or a
// binary record with a zeroed header of the type's size.
func NewRecord(t int) (*Record, error) {
	if t < 1 || t > 99 {
		return nil, fmt.Errorf("nist: record type %d outside 1–99", t)
	}
	r := &Record{Type: t}
	if IsBinaryType(t) {
		r.Header = make([]byte, binaryHeaderLen(t))
		return r, nil
	}
	r.Fields = []*Field{{Tag: fmt.Sprintf("%d.001", t), Type: t, Number: 1, Value: []byte("0")}}
	r.Tail = []byte{FS}
	return r, nil
}
