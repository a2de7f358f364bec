package nist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Encode writes t in the traditional encoding. Every record's LEN is recomputed (keeping
// the leading zeros a decoded LEN had), so an unmodified decoded transaction encodes to
// the bytes it came from. CNT is not rewritten here: AddRecord and RemoveRecord keep it
// up to date, and Validate reports a CNT that disagrees with the records.
func (t *Transaction) Encode() ([]byte, error) {
	size := 0
	for _, r := range t.Records {
		size += r.sizeHint()
	}
	b := make([]byte, 0, size)
	for i, r := range t.Records {
		var err error
		if b, err = r.appendTo(b, i); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// WriteTo writes the encoded transaction to w.
func (t *Transaction) WriteTo(w io.Writer) (int64, error) {
	b, err := t.Encode()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// Encode returns the record's bytes, with LEN computed.
func (r *Record) Encode() ([]byte, error) { return r.appendTo(make([]byte, 0, r.sizeHint()), -1) }

func (r *Record) sizeHint() int {
	if r.Binary() {
		return 4 + len(r.Header) + len(r.Data)
	}
	n := len(r.Tail) + maxLenLen
	for _, f := range r.Fields {
		n += len(f.Tag) + 2 + len(f.Value)
	}
	return n
}

// Len returns the length the record has when encoded: the value its LEN field gets.
func (r *Record) Len() (int, error) {
	if r.Binary() {
		return 4 + len(r.Header) + len(r.Data), nil
	}
	_, n, err := r.lenValue(-1)
	return n, err
}

// lenValue computes the LEN of a tagged record: the length of everything but the LEN
// value, plus the digits of the value, which depend on the total.
func (r *Record) lenValue(idx int) (string, int, error) {
	if len(r.Fields) == 0 || r.Fields[0].Number != 1 {
		return "", 0, &Error{Record: idx, Type: r.Type, Offset: -1, Reason: "the first field must be LEN"}
	}
	rest := len(r.Fields[0].Tag) + 1 + len(r.Tail)
	for i, f := range r.Fields[1:] {
		rest += 1 + len(f.Tag) + 1 + len(f.Value)
		// A group separator would split a text field in two when read back, and data
		// after a 999 field would become part of it.
		if f.Number != 999 && bytes.IndexByte(f.Value, GS) >= 0 {
			return "", 0, &Error{Record: idx, Type: r.Type, Field: f.Tag, Offset: -1,
				Reason: fmt.Sprintf("field %d: a text value cannot hold a group separator", i+2)}
		}
		if f.Number == 999 && i+2 != len(r.Fields) {
			return "", 0, &Error{Record: idx, Type: r.Type, Field: f.Tag, Offset: -1,
				Reason: "the binary data field must be the last field of its record"}
		}
		if _, _, ok := parseTag([]byte(f.Tag)); !ok || bytes.IndexByte([]byte(f.Tag), ':') >= 0 {
			return "", 0, &Error{Record: idx, Type: r.Type, Offset: -1, Reason: fmt.Sprintf("field %d: tag %q is not T.NNN", i+2, f.Tag)}
		}
	}
	width := max(r.lenWidth, 1)
	for {
		total := rest + width
		s := strconv.Itoa(total)
		if len(s) <= width {
			for len(s) < width {
				s = "0" + s
			}
			return s, total, nil
		}
		width = len(s)
	}
}

func (r *Record) appendTo(b []byte, idx int) ([]byte, error) {
	if r.Binary() {
		if len(r.Header) != binaryHeaderLen(r.Type) {
			return nil, &Error{Record: idx, Type: r.Type, Offset: -1, Reason: fmt.Sprintf(
				"binary header of %d bytes, Type-%d has %d", len(r.Header), r.Type, binaryHeaderLen(r.Type))}
		}
		n := 4 + len(r.Header) + len(r.Data)
		if n > math.MaxUint32 {
			return nil, &Error{Record: idx, Type: r.Type, Offset: -1, Reason: fmt.Sprintf("%d bytes do not fit a 4-byte LEN", n)}
		}
		b = binary.BigEndian.AppendUint32(b, uint32(n))
		b = append(b, r.Header...)
		return append(b, r.Data...), nil
	}
	lv, _, err := r.lenValue(idx)
	if err != nil {
		return nil, err
	}
	for i, f := range r.Fields {
		if i > 0 {
			b = append(b, GS)
		}
		b = append(b, f.Tag...)
		b = append(b, ':')
		if i == 0 {
			b = append(b, lv...)
		} else {
			b = append(b, f.Value...)
		}
	}
	return append(b, r.Tail...), nil
}

// AddRecord appends r to the transaction and lists it in the Type-1 CNT, with its IDC
// as the record says (two digits for a binary record).
func (t *Transaction) AddRecord(r *Record) error {
	if len(t.Records) == 0 || t.Records[0].Type != 1 {
		return fmt.Errorf("nist: the transaction has no Type-1 record to list Type-%d in", r.Type)
	}
	if r.Type < 2 || r.Type > 99 {
		return fmt.Errorf("nist: cannot add a Type-%d record", r.Type)
	}
	idc := fmt.Sprintf("%02d", max(r.IDC(), 0))
	if !r.Binary() {
		if f := r.Field(2); f != nil {
			idc = string(f.Value)
		}
	}
	t1 := t.Records[0]
	sfs := t1.cntSubfields()
	sfs = append(sfs, []string{strconv.Itoa(r.Type), idc})
	t.Records = append(t.Records, r)
	return t1.setCNT(sfs, len(t.Records)-1)
}

// RemoveRecord removes the record at index i (not Type-1) and its entry in CNT.
func (t *Transaction) RemoveRecord(i int) error {
	if i <= 0 || i >= len(t.Records) {
		return fmt.Errorf("nist: no record %d to remove (the transaction has %d, Type-1 cannot be removed)", i, len(t.Records))
	}
	t1 := t.Records[0]
	sfs := t1.cntSubfields()
	if i < len(sfs) {
		sfs = append(sfs[:i], sfs[i+1:]...)
	}
	t.Records = append(t.Records[:i], t.Records[i+1:]...)
	return t1.setCNT(sfs, len(t.Records)-1)
}

func (t1 *Record) cntSubfields() [][]string {
	if f := t1.Field(3); f != nil {
		return f.Subfields()
	}
	return [][]string{{"1", "0"}}
}

// setCNT writes CNT with its first subfield counting n records, in the width it had.
func (t1 *Record) setCNT(sfs [][]string, n int) error {
	first := sfs[0]
	if len(first) < 2 {
		first = append(first, "")
	}
	w := len(first[1])
	s := strconv.Itoa(n)
	if len(first[1]) > 1 && first[1][0] == '0' {
		for len(s) < w {
			s = "0" + s
		}
	}
	first[1] = s
	sfs[0] = first
	return t1.Set(3, JoinValue(sfs))
}
