package synthtpl

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/biomesh/biomesh/fingerprint"
)

// The template stream, as "biomesh synth templates" writes it (all integers big-endian):
//
//	offset  size  field
//	     0     8  magic "BMSYNTH1"
//	     8     8  seed
//	    16     4  persons (1 … MaxPersons)
//	    20     4  fingers per person (1 … MaxFingers)
//	    24     4  impressions per finger (1 … MaxImpressions)
//	    28     1  parameters: 0 plain impressions (DefaultParams), 1 rolled (RolledParams)
//	    29        persons × fingers × impressions records, in the order person, finger,
//	              impression, each:
//	              4  person  (0 … persons−1)
//	              2  finger  (0 … fingers−1)
//	              2  impression (0 … impressions−1)
//	              2  length n of the template
//	              n  the template in the native form (fingerprint.Template.MarshalBinary,
//	                 which carries its own CRC-32)
//
// and nothing after the last record. Plain impressions average 44 minutiae, 327 bytes,
// 337 with the record header: 1,000,000 templates take 336 MB, 10,000,000 about 3.4 GB.
// The stream is a function of the seed, the counts, the parameters and the generator's
// version: the same command writes the same bytes on any machine and any number of cores.

// StreamMagic opens a template stream.
const StreamMagic = "BMSYNTH1"

const (
	streamHeaderLen = 29
	recordHeaderLen = 10
)

// Preset names the parameters a stream was made with.
type Preset uint8

// The presets.
const (
	Plain  Preset = 0 // DefaultParams
	Rolled Preset = 1 // RolledParams
)

// Params returns the preset's parameters.
func (p Preset) Params() *Params {
	if p == Rolled {
		return RolledParams()
	}
	return DefaultParams()
}

// String names the preset: "plain" or "rolled".
func (p Preset) String() string {
	switch p {
	case Plain:
		return "plain"
	case Rolled:
		return "rolled"
	}
	return fmt.Sprintf("Preset(%d)", uint8(p))
}

// StreamHeader is what a stream says about itself.
type StreamHeader struct {
	Seed                          uint64
	Persons, Fingers, Impressions int
	Preset                        Preset
}

// Templates returns the number of records the stream holds.
func (h StreamHeader) Templates() int64 {
	return int64(h.Persons) * int64(h.Fingers) * int64(h.Impressions)
}

// check returns why h cannot head a stream, or "".
func (h StreamHeader) check() string {
	if err := CheckCounts(h.Persons, h.Fingers, h.Impressions); err != nil {
		return strings.TrimPrefix(err.Error(), "synthtpl: ")
	}
	if h.Preset > Rolled {
		return fmt.Sprintf("unknown parameter preset %d (0 plain, 1 rolled)", uint8(h.Preset))
	}
	return ""
}

// Record is one template of a stream with its numbers.
type Record struct {
	Person, Finger, Impression int
	Template                   *fingerprint.Template
}

// ErrStream is wrapped by every error about a malformed stream; the error's text names
// the reason and, for a record, its position.
var ErrStream = errors.New("synthtpl: bad template stream")

func streamErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrStream, fmt.Sprintf(format, a...))
}

// Writer writes a template stream. Records must be written in the stream's order; Close
// checks that all were.
type Writer struct {
	w    *bufio.Writer
	h    StreamHeader
	next int64 // index of the next record
	buf  []byte
}

// NewWriter writes h to w and returns a Writer for its records. Output is buffered: call
// Close at the end.
func NewWriter(w io.Writer, h StreamHeader) (*Writer, error) {
	if reason := h.check(); reason != "" {
		return nil, errors.New("synthtpl: cannot write stream: " + reason)
	}
	sw := &Writer{w: bufio.NewWriterSize(w, 1<<20), h: h}
	b := make([]byte, 0, streamHeaderLen)
	b = append(b, StreamMagic...)
	b = binary.BigEndian.AppendUint64(b, h.Seed)
	b = binary.BigEndian.AppendUint32(b, uint32(h.Persons))
	b = binary.BigEndian.AppendUint32(b, uint32(h.Fingers))
	b = binary.BigEndian.AppendUint32(b, uint32(h.Impressions))
	b = append(b, byte(h.Preset))
	if _, err := sw.w.Write(b); err != nil {
		return nil, err
	}
	return sw, nil
}

// position returns the person, finger and impression of record k of h.
func (h StreamHeader) position(k int64) (person, finger, impression int) {
	fi := int64(h.Fingers) * int64(h.Impressions)
	return int(k / fi), int(k % fi / int64(h.Impressions)), int(k % int64(h.Impressions))
}

// Write writes the next record, which must be (person, finger, impression) in the stream's
// order.
func (sw *Writer) Write(person, finger, impression int, t *fingerprint.Template) error {
	if sw.next >= sw.h.Templates() {
		return fmt.Errorf("synthtpl: stream already holds its %d records", sw.h.Templates())
	}
	if p, f, i := sw.h.position(sw.next); p != person || f != finger || i != impression {
		return fmt.Errorf("synthtpl: record %d/%d/%d out of order: want %d/%d/%d", person, finger, impression, p, f, i)
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	sw.buf = binary.BigEndian.AppendUint32(sw.buf[:0], uint32(person))
	sw.buf = binary.BigEndian.AppendUint16(sw.buf, uint16(finger))
	sw.buf = binary.BigEndian.AppendUint16(sw.buf, uint16(impression))
	sw.buf = binary.BigEndian.AppendUint16(sw.buf, uint16(len(b))) // ≤ 7019: MaxMinutiae minutiae
	sw.buf = append(sw.buf, b...)
	if _, err := sw.w.Write(sw.buf); err != nil {
		return err
	}
	sw.next++
	return nil
}

// Close flushes the stream and reports an error if records are missing. It does not close
// the underlying writer.
func (sw *Writer) Close() error {
	if err := sw.w.Flush(); err != nil {
		return err
	}
	if sw.next != sw.h.Templates() {
		return fmt.Errorf("synthtpl: stream closed after %d of its %d records", sw.next, sw.h.Templates())
	}
	return nil
}

// WriteStream generates the stream of h (Generate on all cores) into w and returns the
// number of bytes written. A cancelled ctx stops it with ctx's error.
func WriteStream(ctx context.Context, w io.Writer, h StreamHeader) (int64, error) {
	cw := &countWriter{w: w}
	sw, err := NewWriter(cw, h)
	if err != nil {
		return 0, err
	}
	err = Generate(ctx, h.Seed, h.Preset.Params(), h.Persons, h.Fingers, h.Impressions, sw.Write)
	if err == nil {
		err = sw.Close()
	}
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// Reader reads a template stream.
type Reader struct {
	r    *bufio.Reader
	h    StreamHeader
	next int64 // index of the next record
	hdr  [recordHeaderLen]byte
	buf  []byte
	err  error // sticky: the first error, or io.EOF after the last record
}

// NewReader reads the stream header from r and returns a Reader positioned at the first
// record. It reads r through a buffer, so may read past the end of the stream.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var b [streamHeaderLen]byte
	n, err := io.ReadFull(br, b[:])
	if m := min(n, len(StreamMagic)); string(b[:m]) != StreamMagic[:m] {
		return nil, streamErrorf("bad magic %q, want %q", b[:m], StreamMagic)
	}
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return nil, streamErrorf("truncated header: %d of %d bytes", n, streamHeaderLen)
	case err != nil:
		return nil, err
	}
	h := StreamHeader{
		Seed:        binary.BigEndian.Uint64(b[8:]),
		Persons:     clampInt(binary.BigEndian.Uint32(b[16:])),
		Fingers:     clampInt(binary.BigEndian.Uint32(b[20:])),
		Impressions: clampInt(binary.BigEndian.Uint32(b[24:])),
		Preset:      Preset(b[28]),
	}
	if reason := h.check(); reason != "" {
		return nil, streamErrorf("header: %s", reason)
	}
	return &Reader{r: br, h: h}, nil
}

// clampInt converts a 32-bit count to int without wrapping on 32-bit platforms (any value
// above MaxPersons fails CheckCounts anyway).
func clampInt(v uint32) int {
	return int(min(uint64(v), math.MaxInt32))
}

// Header returns the stream's header.
func (sr *Reader) Header() StreamHeader { return sr.h }

// Next returns the next record, with a template of its own. After the last record it
// returns io.EOF, having checked that nothing follows. Any malformed or truncated record,
// or bytes after the last, give an error wrapping ErrStream; an error of the underlying
// reader is returned as is. Errors are sticky.
func (sr *Reader) Next() (Record, error) {
	if sr.err != nil {
		return Record{}, sr.err
	}
	rec, err := sr.next1()
	if err != nil {
		sr.err = err
	}
	return rec, err
}

func (sr *Reader) next1() (Record, error) {
	k, total := sr.next, sr.h.Templates()
	if k == total {
		if _, err := sr.r.ReadByte(); err != io.EOF {
			if err != nil {
				return Record{}, err
			}
			return Record{}, streamErrorf("data after the last of %d records", total)
		}
		return Record{}, io.EOF
	}
	person, finger, impression := sr.h.position(k)
	where := fmt.Sprintf("record %d of %d (%d/%d/%d)", k+1, total, person, finger, impression)
	n, err := io.ReadFull(sr.r, sr.hdr[:])
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return Record{}, streamErrorf("%s: truncated record header (%d of %d bytes)", where, n, recordHeaderLen)
	}
	if err != nil {
		return Record{}, err
	}
	gp := int64(binary.BigEndian.Uint32(sr.hdr[0:]))
	gf := int(binary.BigEndian.Uint16(sr.hdr[4:]))
	gi := int(binary.BigEndian.Uint16(sr.hdr[6:]))
	size := int(binary.BigEndian.Uint16(sr.hdr[8:]))
	if gp != int64(person) || gf != finger || gi != impression {
		return Record{}, streamErrorf("%s: numbered %d/%d/%d", where, gp, gf, gi)
	}
	if cap(sr.buf) < size {
		sr.buf = make([]byte, size)
	}
	sr.buf = sr.buf[:size]
	n, err = io.ReadFull(sr.r, sr.buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return Record{}, streamErrorf("%s: truncated template (%d of %d bytes)", where, n, size)
	}
	if err != nil {
		return Record{}, err
	}
	t := new(fingerprint.Template)
	if err := t.UnmarshalBinary(sr.buf); err != nil {
		return Record{}, streamErrorf("%s: %v", where, err)
	}
	sr.next++
	return Record{Person: person, Finger: finger, Impression: impression, Template: t}, nil
}
