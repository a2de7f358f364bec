package fingerprint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// synthetic returns a plausible template with n minutiae, the same for the same seed.
func synthetic(n int, seed uint64) *Template {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := &Template{Width: 388, Height: 374, Resolution: DefaultResolution, Quality: 61, Position: 2}
	for range n {
		t.Minutiae = append(t.Minutiae, Minutia{
			X:         rng.IntN(t.Width),
			Y:         rng.IntN(t.Height),
			Direction: rng.Float64() * 2 * math.Pi,
			Type:      MinutiaType(rng.IntN(3)),
			Quality:   uint8(rng.IntN(101)),
		})
	}
	return t
}

// angleDiff is the absolute difference of two directions, in [0, π].
func angleDiff(a, b float64) float64 {
	d := math.Abs(NormalizeAngle(a) - NormalizeAngle(b))
	return math.Min(d, 2*math.Pi-d)
}

// sameTemplate reports how got differs from want, allowing directions to differ by tol.
func sameTemplate(t *testing.T, got, want *Template, tol float64) {
	t.Helper()
	if got.Width != want.Width || got.Height != want.Height || got.Resolution != want.Resolution ||
		got.Quality != want.Quality || got.Position != want.Position {
		t.Fatalf("header: got %d×%d %d ppi q%d pos%d, want %d×%d %d ppi q%d pos%d",
			got.Width, got.Height, got.Resolution, got.Quality, got.Position,
			want.Width, want.Height, want.Resolution, want.Quality, want.Position)
	}
	if len(got.Minutiae) != len(want.Minutiae) {
		t.Fatalf("got %d minutiae, want %d", len(got.Minutiae), len(want.Minutiae))
	}
	for i, g := range got.Minutiae {
		w := want.Minutiae[i]
		if g.X != w.X || g.Y != w.Y || g.Type != w.Type || g.Quality != w.Quality {
			t.Fatalf("minutia %d: got %+v, want %+v", i, g, w)
		}
		if d := angleDiff(g.Direction, w.Direction); d > tol {
			t.Fatalf("minutia %d: direction %v, want %v (off by %.4f rad > %.4f)", i, g.Direction, w.Direction, d, tol)
		}
		if g.Direction < 0 || g.Direction >= 2*math.Pi {
			t.Fatalf("minutia %d: direction %v outside [0, 2π)", i, g.Direction)
		}
	}
}

func TestNativeRoundTrip(t *testing.T) {
	const tol = math.Pi / nativeTurn // half a unit
	edge := &Template{Width: 65535, Height: 65535, Resolution: 65535, Quality: 100, Position: 10, Minutiae: []Minutia{
		{X: 0, Y: 0, Direction: 0, Type: Other, Quality: 0},
		{X: 65535, Y: 65535, Direction: 2*math.Pi - 1e-9, Type: Bifurcation, Quality: 100},
		{X: 1, Y: 2, Direction: -math.Pi / 2, Type: Ending, Quality: 50},
		{X: 3, Y: 4, Direction: 7 * math.Pi, Type: Ending, Quality: 1},
	}}
	for _, tc := range []struct {
		name string
		t    *Template
		size int
	}{
		{"empty", &Template{}, 19},
		{"one", synthetic(1, 1), 26},
		{"typical 50", synthetic(50, 2), 369},
		{"max", synthetic(MaxMinutiae, 3), 7019},
		{"edge values", edge, 47},
		{"unknown size", &Template{Minutiae: []Minutia{{X: 9000, Y: 12000}}}, 26},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.t.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != tc.size {
				t.Errorf("size %d, want %d", len(b), tc.size)
			}
			var got Template
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			sameTemplate(t, &got, tc.t, tol)
			again, err := got.MarshalBinary()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encoding is not identical (err %v)", err)
			}
		})
	}
}

// withCRC recomputes the checksum of a native template after a test changed it.
func withCRC(b []byte) []byte {
	n := len(b) - nativeChecksumLen
	binary.BigEndian.PutUint32(b[n:], crc32.ChecksumIEEE(b[:n]))
	return b
}

func TestNativeErrors(t *testing.T) {
	good, err := synthetic(3, 4).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"empty", "truncated: need 15 bytes, have 0", nil},
		{"magic only", "truncated: need 15 bytes, have 4", []byte("BMFT")},
		{"bad magic", "bad magic", []byte("PNG\x00\x01 and more bytes")},
		{"bad short magic", "bad magic", []byte("BX")},
		{"version 7", "unsupported version 7", edit(func(b []byte) []byte { b[4] = 7; return b })},
		{"header cut", "truncated: need 15 bytes, have 10", good[:10]},
		{"minutia cut", "truncated: need 40 bytes, have 30", good[:30]},
		{"checksum cut", "truncated: need 40 bytes, have 38", good[:38]},
		{"trailing", "2 unexpected bytes after the checksum", append(append([]byte(nil), good...), 0, 0)},
		{"flipped bit", "checksum mismatch", edit(func(b []byte) []byte { b[20] ^= 4; return b })},
		{"too many", "too many minutiae: 1001 (max 1000)", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[13:], 1001)
			return b
		})},
		{"count 65535", "too many minutiae: 65535", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[13:], 65535)
			return b
		})},
		{"quality", "quality 101 out of range", edit(func(b []byte) []byte { b[11] = 101; return withCRC(b) })},
		{"position", "finger position 11 out of range", edit(func(b []byte) []byte { b[12] = 11; return withCRC(b) })},
		{"x far out", "minutia 1: x 1000 outside 0–444", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[15:], 1000)
			return withCRC(b)
		})},
		{"y far out", "minutia 2: y 900 outside 0–428", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[15+7+2:], 900)
			return withCRC(b)
		})},
		{"type 3", "minutia 3: unknown type 3", edit(func(b []byte) []byte { b[15+14+4] |= 0xc0; return withCRC(b) })},
		{"minutia quality", "minutia 1: quality 200", edit(func(b []byte) []byte { b[15+6] = 200; return withCRC(b) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Template
			err := got.UnmarshalBinary(tc.b)
			var fe FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FormatError", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "fingerprint: native: ") {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			if got.Minutiae != nil || got.Width != 0 {
				t.Fatal("failed UnmarshalBinary changed the template")
			}
		})
	}
}

func TestMarshalBinaryRejects(t *testing.T) {
	m := func(mm Minutia) *Template { return &Template{Width: 300, Height: 300, Minutiae: []Minutia{mm}} }
	for _, tc := range []struct {
		name, want string
		t          *Template
	}{
		{"too many", "too many minutiae: 1001", synthetic(1001, 5)},
		{"negative width", "width -1", &Template{Width: -1}},
		{"wide", "width 70000", &Template{Width: 70000}},
		{"resolution", "resolution 65536", &Template{Resolution: 65536}},
		{"quality", "quality 101", &Template{Quality: 101}},
		{"position", "finger position 11", &Template{Position: 11}},
		{"negative x", "minutia 1: x -1", m(Minutia{X: -1})},
		{"x beyond slack", "minutia 1: x 346 outside 0–345", m(Minutia{X: 346})},
		{"type", "unknown type 3", m(Minutia{Type: 3})},
		{"NaN", "direction NaN is not finite", m(Minutia{Direction: math.NaN()})},
		{"Inf", "direction +Inf is not finite", m(Minutia{Direction: math.Inf(1)})},
		{"minutia quality", "quality 101", m(Minutia{Quality: 101})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.t.MarshalBinary()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one saying %q", err, tc.want)
			}
		})
	}
	// The slack allows minutiae a little outside the image.
	if _, err := m(Minutia{X: 345, Y: 345}).MarshalBinary(); err != nil {
		t.Fatalf("minutia within the slack rejected: %v", err)
	}
}

func TestEncodeDecodeStream(t *testing.T) {
	var buf bytes.Buffer
	want := []*Template{synthetic(0, 6), synthetic(40, 7), synthetic(12, 8)}
	for _, tp := range want {
		if err := Encode(&buf, tp); err != nil {
			t.Fatal(err)
		}
	}
	for i, w := range want {
		got, err := Decode(&buf)
		if err != nil {
			t.Fatalf("template %d: %v", i, err)
		}
		sameTemplate(t, got, w, math.Pi/nativeTurn)
	}
	if _, err := Decode(&buf); err != io.EOF {
		t.Fatalf("after the last template: got %v, want io.EOF", err)
	}

	b, _ := synthetic(5, 9).MarshalBinary()
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"cut in header", "truncated: need 15 bytes, have 9", b[:9]},
		{"cut in body", "truncated: need 54 bytes, have 40", b[:40]},
		{"bad magic", "bad magic", []byte("GIF89a")},
		{"bad version", "unsupported version 2", []byte("BMFT\x02")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(tc.b))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	wantErr := errors.New("disk on fire")
	if _, err := Decode(io.MultiReader(bytes.NewReader(b[:20]), errReader{wantErr})); err != wantErr {
		t.Fatalf("reader error: got %v, want %v", err, wantErr)
	}
	if err := Encode(errWriter{wantErr}, synthetic(1, 1)); err != wantErr {
		t.Fatalf("writer error: got %v, want %v", err, wantErr)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

// bytesAllocated returns the average bytes f allocates per call.
func bytesAllocated(f func()) uint64 {
	const runs = 200
	f()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

func TestNativeAllocationCap(t *testing.T) {
	b, _ := (&Template{}).MarshalBinary()
	binary.BigEndian.PutUint16(b[13:], MaxMinutiae) // claims 1000 minutiae, holds none
	var tp Template
	if n := bytesAllocated(func() { _ = tp.UnmarshalBinary(b) }); n > 1024 {
		t.Errorf("UnmarshalBinary of a lying 19-byte template allocates %d bytes", n)
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	for i, n := range []int{0, 1, 7, 50} {
		b, err := synthetic(n, uint64(i)).MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("BMFT\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var tp Template
		if err := tp.UnmarshalBinary(b); err != nil {
			var fe FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FormatError", err)
			}
			return
		}
		// The native form is canonical: what decodes re-encodes to the same bytes.
		again, err := tp.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded template does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
		}
	})
}
