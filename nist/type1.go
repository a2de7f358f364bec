package nist

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Type-1 field numbers.
const (
	FieldVER = 2  // version
	FieldCNT = 3  // file content
	FieldTOT = 4  // type of transaction
	FieldDAT = 5  // date
	FieldPRY = 6  // priority
	FieldDAI = 7  // destination agency
	FieldORI = 8  // originating agency
	FieldTCN = 9  // transaction control number
	FieldTCR = 10 // transaction control reference
	FieldNSR = 11 // native scanning resolution, px/mm
	FieldNTR = 12 // nominal transmitting resolution, px/mm
	FieldDOM = 13 // domain name
	FieldGMT = 14 // Greenwich mean time
	FieldDCS = 15 // directory of character sets
)

// Header returns the Type-1 record, or nil for an empty transaction.
func (t *Transaction) Header() *Record {
	if len(t.Records) == 0 || t.Records[0].Type != 1 {
		return nil
	}
	return t.Records[0]
}

func (t *Transaction) get1(num int) string {
	if h := t.Header(); h != nil {
		return h.Get(num)
	}
	return ""
}

// Version is the standard version of 1.002, e.g. "0400", "0500", "0600".
func (t *Transaction) Version() string { return t.get1(FieldVER) }

// TOT is the type of transaction (1.004), e.g. "CAR".
func (t *Transaction) TOT() string { return t.get1(FieldTOT) }

// DAT is the date of the transaction (1.005), YYYYMMDD.
func (t *Transaction) DAT() string { return t.get1(FieldDAT) }

// DAI is the destination agency identifier (1.007).
func (t *Transaction) DAI() string { return t.get1(FieldDAI) }

// ORI is the originating agency identifier (1.008).
func (t *Transaction) ORI() string { return t.get1(FieldORI) }

// TCN is the transaction control number (1.009).
func (t *Transaction) TCN() string { return t.get1(FieldTCN) }

// Domain is the domain name and version of 1.013, e.g. ("NORAM", "") or ("INT-I", "4.22b").
func (t *Transaction) Domain() (name, version string) {
	h := t.Header()
	if h == nil || h.Field(FieldDOM) == nil {
		return "", ""
	}
	sf := h.Field(FieldDOM).Subfields()[0]
	name = sf[0]
	if len(sf) > 1 {
		version = sf[1]
	}
	return name, version
}

// Encoding is a character encoding named by the Type-1 DCS (1.015).
type Encoding int

// Character encoding indexes of the DCS.
const (
	ASCII   Encoding = 0 // 7-bit ASCII, the default
	Latin1  Encoding = 1 // 8-bit ISO 8859-1
	UTF16   Encoding = 2 // UTF-16, big-endian
	UTF8    Encoding = 3 // UTF-8
	UTF32   Encoding = 4 // UTF-32, big-endian
	Unknown Encoding = -1
)

// String names the encoding.
func (e Encoding) String() string {
	switch e {
	case ASCII:
		return "ASCII"
	case Latin1:
		return "Latin-1"
	case UTF16:
		return "UTF-16"
	case UTF8:
		return "UTF-8"
	case UTF32:
		return "UTF-32"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Encoding returns the character encoding that the Type-1 DCS (1.015) declares for the
// text of the other records: the index of its first subfield, read also from the name
// ("UTF-8") when the index is user-defined. Without a DCS it is ASCII.
func (t *Transaction) Encoding() Encoding {
	h := t.Header()
	if h == nil || h.Field(FieldDCS) == nil {
		return ASCII
	}
	sf := h.Field(FieldDCS).Subfields()[0]
	if n, err := strconv.Atoi(sf[0]); err == nil && n >= 0 && n <= 4 {
		return Encoding(n)
	}
	if len(sf) > 1 {
		switch strings.ToUpper(strings.ReplaceAll(sf[1], "_", "-")) {
		case "UTF-8":
			return UTF8
		case "UTF-16":
			return UTF16
		case "UTF-32":
			return UTF32
		case "ASCII":
			return ASCII
		}
	}
	return Unknown
}

// Text returns the value of field num of r as a Go (UTF-8) string, decoded from the
// encoding the transaction's DCS declares. Type-1 text is always ASCII. Bytes that are
// not valid in the encoding become U+FFFD.
func (t *Transaction) Text(r *Record, num int) string {
	f := r.Field(num)
	if f == nil {
		return ""
	}
	enc := ASCII
	if r.Type != 1 {
		enc = t.Encoding()
	}
	return DecodeText(f.Value, enc)
}

// DecodeText converts a text value in encoding enc to UTF-8. ASCII and unknown encodings
// pass valid UTF-8 through (many writers put UTF-8 in files that declare nothing).
func DecodeText(b []byte, enc Encoding) string {
	switch enc {
	case Latin1:
		var sb strings.Builder
		for _, c := range b {
			sb.WriteRune(rune(c))
		}
		return sb.String()
	case UTF16:
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case UTF32:
		var sb strings.Builder
		for i := 0; i+3 < len(b); i += 4 {
			r := rune(b[i])<<24 | rune(b[i+1])<<16 | rune(b[i+2])<<8 | rune(b[i+3])
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		}
		return sb.String()
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// Content is one entry of the Type-1 CNT: a record type and IDC as listed.
type Content struct {
	Type int
	IDC  string
}

// Contents returns the records the Type-1 CNT lists after Type-1, and the count its first
// subfield states (-1 when it is not a number).
func (t *Transaction) Contents() (entries []Content, stated int) {
	h := t.Header()
	if h == nil || h.Field(FieldCNT) == nil {
		return nil, -1
	}
	sfs := h.Field(FieldCNT).Subfields()
	stated = -1
	if len(sfs[0]) > 1 {
		if n, err := strconv.Atoi(sfs[0][1]); err == nil {
			stated = n
		}
	}
	for _, sf := range sfs[1:] {
		c := Content{IDC: ""}
		c.Type, _ = strconv.Atoi(sf[0])
		if len(sf) > 1 {
			c.IDC = sf[1]
		}
		entries = append(entries, c)
	}
	return entries, stated
}

// Resolutions returns the Type-1 native scanning and nominal transmitting resolutions
// (1.011, 1.012) in pixels per millimetre, 0 when absent or not numbers.
func (t *Transaction) Resolutions() (nsr, ntr float64) {
	nsr, _ = strconv.ParseFloat(t.get1(FieldNSR), 64)
	ntr, _ = strconv.ParseFloat(t.get1(FieldNTR), 64)
	return nsr, ntr
}

// RecordsOfType returns the records of type typ in file order.
func (t *Transaction) RecordsOfType(typ int) []*Record {
	var out []*Record
	for _, r := range t.Records {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Count returns how many records of type typ the transaction has.
func (t *Transaction) Count(typ int) int { return len(t.RecordsOfType(typ)) }
