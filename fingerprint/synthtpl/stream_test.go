package synthtpl

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// streamBytes writes the stream of h.
func streamBytes(t testing.TB, h StreamHeader) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := WriteStream(context.Background(), &buf, h)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteStream reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

// readAll reads every record of b.
func readAll(b []byte) (StreamHeader, []Record, error) {
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return StreamHeader{}, nil, err
	}
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r.Header(), recs, nil
		}
		if err != nil {
			return r.Header(), recs, err
		}
		recs = append(recs, rec)
	}
}

func TestStreamRoundTrip(t *testing.T) {
	for _, h := range []StreamHeader{
		{Seed: 42, Persons: 7, Fingers: 3, Impressions: 2},
		{Seed: 1, Persons: 3, Fingers: 10, Impressions: 1, Preset: Rolled},
		{Seed: 5, Persons: 1, Fingers: 1, Impressions: 1},
	} {
		b := streamBytes(t, h)
		got, recs, err := readAll(b)
		if err != nil {
			t.Fatal(err)
		}
		if got != h {
			t.Fatalf("header %+v, want %+v", got, h)
		}
		if int64(len(recs)) != h.Templates() {
			t.Fatalf("%d records, want %d", len(recs), h.Templates())
		}
		// every record is the generator's template at its numbers
		p := h.Preset.Params()
		k := 0
		for person := range h.Persons {
			for f := range h.Fingers {
				m := Finger(h.Seed, person, f, p)
				for i := range h.Impressions {
					rec := recs[k]
					k++
					if rec.Person != person || rec.Finger != f || rec.Impression != i {
						t.Fatalf("record %d numbered %d/%d/%d, want %d/%d/%d", k, rec.Person, rec.Finger, rec.Impression, person, f, i)
					}
					want, _ := Impression(m, h.Seed, i, p).MarshalBinary()
					if got, _ := rec.Template.MarshalBinary(); !bytes.Equal(got, want) {
						t.Fatalf("record %d: template differs from the generator's", k)
					}
				}
			}
		}
		// and rewriting the records gives the same bytes
		var again bytes.Buffer
		w, err := NewWriter(&again, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			if err := w.Write(rec.Person, rec.Finger, rec.Impression, rec.Template); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), b) {
			t.Fatal("rewritten stream differs")
		}
	}
}

func TestWriterChecks(t *testing.T) {
	if _, err := NewWriter(io.Discard, StreamHeader{Persons: 0, Fingers: 1, Impressions: 1}); err == nil {
		t.Error("writer accepted 0 persons")
	}
	if _, err := NewWriter(io.Discard, StreamHeader{Persons: 1, Fingers: 1, Impressions: 1, Preset: 7}); err == nil {
		t.Error("writer accepted preset 7")
	}
	w, err := NewWriter(io.Discard, StreamHeader{Persons: 1, Fingers: 2, Impressions: 1})
	if err != nil {
		t.Fatal(err)
	}
	tp := &fingerprint.Template{Width: 10, Height: 10}
	if err := w.Write(0, 1, 0, tp); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("out-of-order record: %v", err)
	}
	if err := w.Write(0, 0, 0, tp); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "1 of its 2") {
		t.Errorf("closing early: %v", err)
	}
	if err := w.Write(0, 1, 0, tp); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(0, 2, 0, tp); err == nil {
		t.Error("wrote a record past the end")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReaderErrors(t *testing.T) {
	good := streamBytes(t, StreamHeader{Seed: 3, Persons: 2, Fingers: 2, Impressions: 1})
	first := recordEnd(good, 1)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name, want string
		b          []byte
	}{
		{"empty", "truncated header: 0 of 29 bytes", nil},
		{"not a stream", "bad magic", []byte("BMFT\x01 a native template")},
		{"short header", "truncated header: 12 of 29", good[:12]},
		{"zero persons", "header: 0 persons", mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b[16:], 0); return b })},
		{"huge fingers", "header: 70000 fingers", mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b[20:], 70000); return b })},
		{"preset", "unknown parameter preset 9", mod(func(b []byte) []byte { b[28] = 9; return b })},
		{"truncated record header", "record 1 of 4 (0/0/0): truncated record header (3 of 10 bytes)", good[:streamHeaderLen+3]},
		{"truncated template", "record 2 of 4 (0/1/0): truncated template", good[:first+recordHeaderLen+20]},
		{"renumbered", "record 1 of 4 (0/0/0): numbered 0/1/0", mod(func(b []byte) []byte { b[streamHeaderLen+5] = 1; return b })},
		{"corrupt template", "record 1 of 4 (0/0/0): fingerprint: native: checksum mismatch", mod(func(b []byte) []byte { b[streamHeaderLen+recordHeaderLen+16]++; return b })},
		{"length too short", "record 1 of 4 (0/0/0): fingerprint: native: truncated", mod(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[streamHeaderLen+8:], 40)
			return b
		})},
		{"trailing bytes", "data after the last of 4 records", append(append([]byte(nil), good...), 0)},
		{"missing records", "record 4 of 4 (1/1/0): truncated record header (0 of 10 bytes)", good[:recordEnd(good, 3)]},
	}
	for _, c := range cases {
		_, _, err := readAll(c.b)
		if !errors.Is(err, ErrStream) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrStream naming %q", c.name, err, c.want)
		}
	}
	// errors are sticky
	r, err := NewReader(bytes.NewReader(good[:streamHeaderLen+3]))
	if err != nil {
		t.Fatal(err)
	}
	_, e1 := r.Next()
	_, e2 := r.Next()
	if e1 == nil || e1 != e2 {
		t.Errorf("errors %v then %v", e1, e2)
	}
	// a reader error is passed through unchanged
	boom := errors.New("boom")
	r, err = NewReader(io.MultiReader(bytes.NewReader(good[:first]), errReader{boom}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != boom {
		t.Errorf("underlying error: %v", err)
	}
}

// recordEnd returns the offset just after record k (1-based) of stream b.
func recordEnd(b []byte, k int) int {
	off := streamHeaderLen
	for range k {
		off += recordHeaderLen + int(binary.BigEndian.Uint16(b[off+8:]))
	}
	return off
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// FuzzReader: any bytes give records or an error naming the reason, never a panic; a
// stream read to its end rewrites to the same bytes.
func FuzzReader(f *testing.F) {
	good := streamBytes(f, StreamHeader{Seed: 11, Persons: 2, Fingers: 2, Impressions: 2})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append(append([]byte(nil), good...), 1, 2, 3))
	f.Add([]byte(StreamMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, recs, err := readAll(b)
		if err != nil {
			if !errors.Is(err, ErrStream) || len(err.Error()) <= len(ErrStream.Error())+2 {
				t.Fatalf("error %q does not name a reason", err)
			}
			return
		}
		var again bytes.Buffer
		w, err := NewWriter(&again, h)
		if err != nil {
			t.Fatalf("header read but not writable: %v", err)
		}
		for _, rec := range recs {
			if err := w.Write(rec.Person, rec.Finger, rec.Impression, rec.Template); err != nil {
				t.Fatalf("record read but not writable: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), b) {
			t.Fatal("stream read in full rewrites to other bytes")
		}
	})
}

func ExampleNewReader() {
	// Write a small stream, as "biomesh synth templates --persons 2 --fingers 2" would …
	var buf bytes.Buffer
	h := StreamHeader{Seed: 1, Persons: 2, Fingers: 2, Impressions: 1}
	if _, err := WriteStream(context.Background(), &buf, h); err != nil {
		panic(err)
	}
	// … and read it back.
	r, err := NewReader(&buf)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d templates, %v impressions\n", r.Header().Templates(), r.Header().Preset)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("person %d finger %d impression %d: %d minutiae, finger position %d\n",
			rec.Person, rec.Finger, rec.Impression, len(rec.Template.Minutiae), rec.Template.Position)
	}
	// Output:
	// 4 templates, plain impressions
	// person 0 finger 0 impression 0: 18 minutiae, finger position 1
	// person 0 finger 1 impression 0: 28 minutiae, finger position 2
	// person 1 finger 0 impression 0: 71 minutiae, finger position 1
	// person 1 finger 1 impression 0: 39 minutiae, finger position 2
}
