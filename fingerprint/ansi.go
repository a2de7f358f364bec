package fingerprint

import (
	"encoding/binary"
	"math"
)

// decodeANSIHeader reads the header of an ANSI INCITS 378-2004 record into rec and returns
// the record length and the header's size: 26 bytes, or 30 when the 2-byte length is 0
// and a 4-byte length follows.
func (rec *Record) decodeANSIHeader(rd *reader) (length uint64, headerLen int, err error) {
	headerLen = ansiHeaderLen
	if len(rd.b) >= 10 && binary.BigEndian.Uint16(rd.b[8:]) == 0 {
		headerLen = ansiLongHeaderLen
	}
	h, err := rd.take(headerLen, "header")
	if err != nil {
		return 0, 0, err
	}
	if headerLen == ansiHeaderLen {
		length, h = uint64(binary.BigEndian.Uint16(h[8:])), h[10:]
	} else {
		length, h = uint64(binary.BigEndian.Uint32(h[10:])), h[14:]
	}
	rec.ProductID = binary.BigEndian.Uint32(h)
	rec.Equipment = binary.BigEndian.Uint16(h[4:])
	rec.Width = int(binary.BigEndian.Uint16(h[6:]))
	rec.Height = int(binary.BigEndian.Uint16(h[8:]))
	rec.XResolution = int(binary.BigEndian.Uint16(h[10:]))
	rec.YResolution = int(binary.BigEndian.Uint16(h[12:]))
	return length, headerLen, nil
}

// appendANSILength appends the record length field of an ANSI record of size bytes: two
// bytes, or two zero bytes and four when size does not fit 16 bits.
func (r *Record) appendANSILength(b []byte, size int) []byte {
	if size <= math.MaxUint16 {
		return binary.BigEndian.AppendUint16(b, uint16(size))
	}
	b = binary.BigEndian.AppendUint16(b, 0)
	return binary.BigEndian.AppendUint32(b, uint32(size))
}

// EncodeANSI encodes t as a one-view ANSI INCITS 378-2004 record (see NewRecord), with a
// zero CBEFF product ID and angles rounded to the format's 2° unit.
func EncodeANSI(t *Template) ([]byte, error) {
	r, err := NewRecord(t, ANSI)
	if err != nil {
		return nil, err
	}
	return r.Encode()
}
