package nist

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// NewTransaction returns a transaction holding only a Type-1 record with VER set to
// version (e.g. "0502") and an empty CNT. Set the other Type-1 fields on
// t.Header(), then add records with AddRecord.
func NewTransaction(version string) *Transaction {
	t1, _ := NewRecord(1)
	t1.SetString(FieldVER, version)
	t1.SetString(FieldCNT, "1\x1f0")
	return &Transaction{Records: []*Record{t1}}
}

// NewImageRecord builds a binary image record of type typ (3–6, or 7 written with a
// Type-4-style header) from h and the image bytes. For Type-7 the header's fields after
// the IDC become the start of its user-defined content.
func NewImageRecord(typ int, h Type4Header, data []byte) (*Record, error) {
	if typ < 3 || typ > 7 {
		return nil, fmt.Errorf("nist: Type-%d is not a binary image record with a Type-4 header", typ)
	}
	for _, v := range []struct {
		name string
		v    int
		max  int
	}{{"IDC", h.IDC, 255}, {"IMP", h.Impression, 255}, {"ISR", h.ScanRes, 255}, {"HLL", h.Width, 65535},
		{"VLL", h.Height, 65535}, {"compression", h.Compression, 255}} {
		if v.v < 0 || v.v > v.max {
			return nil, fmt.Errorf("nist: Type-%d header: %s %d outside 0–%d", typ, v.name, v.v, v.max)
		}
	}
	hdr := make([]byte, 14)
	hdr[0], hdr[1] = byte(h.IDC), byte(h.Impression)
	for i, p := range h.Positions {
		if p < 0 || p > 255 {
			return nil, fmt.Errorf("nist: Type-%d header: finger position %d outside 0–255", typ, p)
		}
		hdr[2+i] = byte(p)
	}
	hdr[8] = byte(h.ScanRes)
	binary.BigEndian.PutUint16(hdr[9:], uint16(h.Width))
	binary.BigEndian.PutUint16(hdr[11:], uint16(h.Height))
	hdr[13] = byte(h.Compression)
	if typ == 7 {
		return &Record{Type: 7, Header: hdr[:1], Data: append(append([]byte(nil), hdr[1:]...), data...)}, nil
	}
	return &Record{Type: typ, Header: hdr, Data: append([]byte(nil), data...)}, nil
}

// UpdateCNT rewrites the Type-1 CNT from the records: the count, then each record's
// type and IDC. An entry that already names the record keeps the IDC as written; others
// get the IDC in two digits.
func (t *Transaction) UpdateCNT() error {
	h := t.Header()
	if h == nil {
		return fmt.Errorf("nist: the transaction has no Type-1 record")
	}
	old, _ := t.Contents()
	sfs := [][]string{{"1", strconv.Itoa(len(t.Records) - 1)}}
	if f := h.Field(FieldCNT); f != nil {
		if first := f.Subfields()[0]; len(first) > 1 && len(first[1]) > 1 && first[1][0] == '0' {
			sfs[0][1] = fmt.Sprintf("%0*d", len(first[1]), len(t.Records)-1)
		}
	}
	for i, r := range t.Records[1:] {
		idc := fmt.Sprintf("%02d", max(r.IDC(), 0))
		if i < len(old) && old[i].Type == r.Type {
			if n, err := strconv.Atoi(old[i].IDC); err == nil && n == r.IDC() {
				idc = old[i].IDC
			}
		}
		sfs = append(sfs, []string{strconv.Itoa(r.Type), idc})
	}
	return h.Set(FieldCNT, JoinValue(sfs))
}
