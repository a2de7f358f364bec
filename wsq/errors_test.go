package wsq

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"strings"
	"testing"
)

// seg is one marker segment of a WSQ stream; for SOB, data holds the block
// header and the coded bytes that follow it.
type seg struct {
	marker int
	body   []byte // without marker and length
	coded  []byte // SOB only: entropy-coded bytes after the header
}

// sample encodes a small synthetic fingerprint-like image with our encoder.
func sample(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			// ridges: a ring pattern with a little texture
			d := (x-w/2)*(x-w/2) + (y-h/2)*(y-h/2)
			img.Pix[y*w+x] = uint8(128 + 100*((d/37)%2*2-1) + (x*y)%13)
		}
	}
	var buf bytes.Buffer
	if err := Encode(&buf, img, &Options{PPI: 500, Comment: "test"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// split parses a stream we wrote ourselves into segments.
func split(t testing.TB, data []byte) []seg {
	t.Helper()
	var out []seg
	i := 2 // after SOI
	for i+1 < len(data) {
		m := int(data[i])<<8 | int(data[i+1])
		if m == markerEOI {
			break
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		s := seg{marker: m, body: append([]byte(nil), data[i+4:i+2+n]...)}
		i += 2 + n
		if m == markerSOB {
			j := i
			for !(data[j] == 0xFF && data[j+1] != 0) {
				j++
			}
			s.coded = append([]byte(nil), data[i:j]...)
			i = j
		}
		out = append(out, s)
	}
	return out
}

// join writes segments back into a stream with SOI and EOI.
func join(segs []seg) []byte {
	b := []byte{0xFF, 0xA0}
	for _, s := range segs {
		n := len(s.body) + 2
		b = append(b, byte(s.marker>>8), byte(s.marker), byte(n>>8), byte(n))
		b = append(b, s.body...)
		b = append(b, s.coded...)
	}
	return append(b, 0xFF, 0xA1)
}

func without(segs []seg, marker int) []seg {
	var out []seg
	for _, s := range segs {
		if s.marker != marker {
			out = append(out, s)
		}
	}
	return out
}

func edit(segs []seg, marker int, f func(s *seg)) []seg {
	out := make([]seg, len(segs))
	for i, s := range segs {
		s.body = append([]byte(nil), s.body...)
		if s.marker == marker {
			f(&s)
			marker = -1 // only the first
		}
		out[i] = s
	}
	return out
}

func sof(w, h int) seg {
	return seg{marker: markerSOF, body: []byte{0, 255, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 2, 0x41, 0x4a, 4, 0x30, 0xdf, 0, 0, 0}}
}

// TestMalformed feeds the defects other WSQ decoders have tripped on and
// checks each is refused with a FormatError (or UnsupportedError) naming
// the reason.
func TestMalformed(t *testing.T) {
	good := sample(t, 96, 80)
	segs := split(t, good)
	if _, err := Decode(bytes.NewReader(join(segs))); err != nil {
		t.Fatalf("split/join of a good file: %v", err)
	}
	cases := []struct {
		name, data, want string
	}{
		{"empty", "", "file ends inside the SOI marker"},
		{"not wsq", "\xff\xd8\xff\xe0", "not a WSQ file"},
		{"SOI only", "\xff\xa0", "file ends inside a marker"},
		{"end of image before the tables", "\xff\xa0\xff\xa1", "end of image (EOI) before the frame header"},
		{"JPEG marker among the tables", "\xff\xa0\xff\xc0\x00\x11", "unexpected FFC0 marker"},
		{"bytes where a marker belongs", "\xff\xa0\x12\x34", "expected a marker"},
		{"segment length below 2", "\xff\xa0\xff\xa8\x00\x01", "length 1 is less than 2"},
		{"segment longer than the file", "\xff\xa0\xff\xa8\x10\x00abc", "file ends inside COM segment"},
		{"zero width", string(join([]seg{sof(0, 10)})), "zero width or height"},
		{"zero height", string(join([]seg{sof(10, 0)})), "zero width or height"},
		{"size beyond MaxPixels", string(join([]seg{sof(65535, 65535)})), "exceeds"},
		{"short SOF", "\xff\xa0\xff\xa2\x00\x05\x00\xff\x00", "shorter than 17"},
		{"tables only, no blocks", string(join(without(segs, markerSOB))), "no coded block"},
		{"no transform table", string(join(without(segs, markerDTT))), "no transform table"},
		{"no quantization table", string(join(without(segs, markerDQT))), "no quantization table"},
		{"no Huffman table", string(join(without(segs, markerDHT))), "not defined"},
		{"Huffman table id 9", string(join(edit(segs, markerDHT, func(s *seg) { s.body[0] = 9 }))), "table id 9"},
		{"over-subscribed Huffman code", string(join(edit(segs, markerDHT, func(s *seg) {
			// Move two codes to length 1: with the others, too many codes.
			counts := s.body[1:17]
			for i := 15; i > 0; i-- {
				if counts[i] >= 2 {
					counts[i] -= 2
					counts[0] += 2
					break
				}
			}
		}))), "over-subscribe"},
		{"block names table 5", string(join(edit(segs, markerSOB, func(s *seg) { s.body[0] = 5 }))), "table 5, which is not defined"},
		{"filters of mixed parity", string(join(edit(segs, markerDTT, func(s *seg) { s.body[0] = 8 }))), "mixed parity"},
		{"DTT too short", string(join(edit(segs, markerDTT, func(s *seg) { s.body = s.body[:20] }))), "too short"},
		{"DQT too short", string(join(edit(segs, markerDQT, func(s *seg) { s.body = s.body[:100] }))), "too short"},
		{"coded data cut short", string(join(edit(segs, markerSOB, func(s *seg) { s.coded = s.coded[:len(s.coded)/3] }))), "coefficients"},
		{"restart out of sequence", string(join(edit(segs, markerSOB, func(s *seg) {
			s.coded = append(append(append([]byte(nil), s.coded[:10]...), 0xFF, 0xB3), s.coded[10:]...)
		}))), "out of sequence"},
	}
	// Hand-built coded data on the good file's tables: a one-code table
	// ("0" = symbol s) and the given coded bytes.
	coded := func(sym byte, data []byte) string {
		var out []seg
		for _, s := range segs {
			switch s.marker {
			case markerDHT, markerSOB:
			default:
				out = append(out, s)
			}
		}
		dht := seg{marker: markerDHT, body: append([]byte{0, 1}, make([]byte, 15)...)}
		dht.body = append(dht.body, sym)
		out = append(out, dht, seg{marker: markerSOB, body: []byte{0}, coded: data})
		return string(join(out))
	}
	cases = append(cases, []struct{ name, data, want string }{
		{"DHT with 257 codes", string(join(edit(segs, markerDHT, func(s *seg) {
			copy(s.body[1:17], []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 255})
		}))), "257 codes"},
		{"bits that match no code", coded(181, []byte{0xFE, 0xFE, 0xFE}), "invalid Huffman code"},
		{"symbol with no meaning", coded(0, []byte{0x00}), "has no meaning"},
		{"more coefficients than the subbands", coded(181, make([]byte, 96*80/8+100)), "more coefficients than the subbands hold"},
		{"escape value cut by the end", coded(103, []byte{0x7F}), "ends inside a 16-bit value"},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(c.data))
			if err == nil {
				t.Fatalf("decoded without error")
			}
			var fe *FormatError
			var ue *UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Errorf("error %T %q is neither FormatError nor UnsupportedError", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if !strings.Contains(err.Error(), "offset") {
				t.Errorf("error %q gives no offset", err)
			}
		})
	}
}

// TestTruncatedEverywhere cuts a good file at every length: each prefix must
// fail cleanly, never panic, never succeed.
func TestTruncatedEverywhere(t *testing.T) {
	good := sample(t, 40, 36)
	for n := range len(good) - 1 {
		if _, err := Decode(bytes.NewReader(good[:n])); err == nil {
			t.Fatalf("prefix of %d of %d bytes decoded without error", n, len(good))
		}
	}
	if _, err := Decode(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
}

// TestRestartMarkers splits each block into restart intervals, padding
// each to a byte with 1 bits and separating them by RST0, RST1, ... as the
// standard allows; the decoded image must not change.
func TestRestartMarkers(t *testing.T) {
	good := sample(t, 120, 100)
	want, err := Decode(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	// Re-code with our own encoder's pieces: quantize the same image again.
	img := want.(*image.Gray)
	e := &encoder{width: 120, height: 100, rate: DefaultBitRate}
	e.prepare(grayPixels(img))
	var out bytes.Buffer
	e.out = bufio.NewWriter(&out)
	e.restart = 7
	e.writeFile(&Options{PPI: 500})
	e.out.Flush()
	if !bytes.Contains(out.Bytes(), []byte{0xFF, 0xB1}) {
		t.Fatal("no RST1 marker written")
	}
	direct, _ := Decode(bytes.NewReader(func() []byte {
		var b bytes.Buffer
		e.out = bufio.NewWriter(&b)
		e.restart = 0
		e.writeFile(&Options{PPI: 500})
		e.out.Flush()
		return b.Bytes()
	}()))
	got, err := Decode(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("file with restart markers: %v", err)
	}
	if !bytes.Equal(got.(*image.Gray).Pix, direct.(*image.Gray).Pix) {
		t.Error("restart markers changed the decoded image")
	}
	info, err := DecodeInfo(bytes.NewReader(out.Bytes()))
	if err != nil || info.RestartInterval != 7 {
		t.Errorf("DRT: interval %v, err %v; want 7", info, err)
	}
}
