package fingerprint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testdata returns the path of a folder of the shared test data, skipping the test when
// BIOMESH_TESTDATA is unset and failing it when the folder is missing.
func testdata(t *testing.T, dir string) string {
	t.Helper()
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA is not set: skipping the test on shared data (point it at the shared data folder to run it)")
	}
	p := filepath.Join(root, dir)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("BIOMESH_TESTDATA is set but %v", err)
	}
	return p
}

// TestRealRecords checks the 80 ISO records of FVC2002 DB3_B made by a commercial extractor.
// Their header says 300×400 at 197 px/cm; comparing them with the images showed that the
// extractor saw each 300×300 image stretched to 300×400 (record y ≈ 4/3 image y), and that
// their angles are counter-clockwise as seen on the image, as ours are.
func TestRealRecords(t *testing.T) {
	dir := testdata(t, "fingerprint/iso19794-2/fvc2002_DB3_B")
	total := 0
	for finger := 101; finger <= 110; finger++ {
		for impression := 1; impression <= 8; impression++ {
			name := fmt.Sprintf("%d_%d.iso", finger, impression)
			t.Run(name, func(t *testing.T) {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				r, err := DecodeRecord(b)
				if err != nil {
					t.Fatal(err)
				}
				if r.Format != ISO || len(r.Views) != 1 || r.Width != 300 || r.Height != 400 ||
					r.XResolution != 197 || r.YResolution != 197 {
					t.Fatalf("header: %v, %d views, %d×%d, %d×%d px/cm", r.Format, len(r.Views),
						r.Width, r.Height, r.XResolution, r.YResolution)
				}
				tp, err := r.Template(0)
				if err != nil {
					t.Fatal(err)
				}
				if tp.Resolution != 500 {
					t.Errorf("resolution %d ppi, want 500", tp.Resolution)
				}
				if n := len(tp.Minutiae); n < 10 || n > 100 {
					t.Errorf("%d minutiae, want 10–100", n)
				}
				total += len(tp.Minutiae)
				for i, m := range tp.Minutiae {
					if m.X < 0 || m.X >= 300 || m.Y < 0 || m.Y >= 400 || m.Type > Bifurcation ||
						m.Direction < 0 || m.Direction >= 2*math.Pi {
						t.Errorf("minutia %d not sane: %+v", i+1, m)
					}
				}
				if _, err := tp.MarshalBinary(); err != nil {
					t.Errorf("template does not encode natively: %v", err)
				}
				again, err := r.Encode()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, b) {
					t.Errorf("re-encoding differs from the file")
				}
				// Through Template and back is lossless too, these records having no
				// extended data and 500 ppi mapping back to 197 px/cm.
				viaTemplate, err := EncodeISO(tp)
				if err != nil || !bytes.Equal(viaTemplate, b) {
					t.Errorf("EncodeISO(Template) differs from the file (err %v)", err)
				}
			})
		}
	}
	t.Logf("80 records, %d minutiae", total)
}

func TestInvalidRecords(t *testing.T) {
	dir := testdata(t, "fingerprint/iso19794-2/invalid")
	for _, tc := range []struct{ file, want string }{
		{"101_1_truncate_1_byte.iso", "iso19794-2: truncated: need 30 bytes, have 29 (view 1: truncated extended data length: need 2 bytes, have 1)"},
		{"101_1_truncate_2_bytes.iso", "iso19794-2: truncated: need 30 bytes, have 28 (view 1: truncated extended data length: need 2 bytes, have 0)"},
		{"101_1_truncate_3_bytes.iso", "iso19794-2: truncated: need 30 bytes, have 27 (view 1: truncated view header: need 4 bytes, have 3)"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = DecodeRecord(b)
			var fe FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a FormatError saying %q", err, tc.want)
			}
			if _, err := ParseTemplate(b); err == nil {
				t.Fatal("ParseTemplate accepted a truncated record")
			}
		})
	}
}

// everyAngle has one minutia at each ISO angle unit, with all types and qualities.
func everyAngle() *Template {
	t := &Template{Width: 400, Height: 500, Resolution: DefaultResolution, Quality: 80, Position: 7}
	for u := range 256 {
		t.Minutiae = append(t.Minutiae[:len(t.Minutiae):len(t.Minutiae)], Minutia{
			X: u, Y: 499 - u, Direction: float64(u) * 2 * math.Pi / 256,
			Type: MinutiaType(u % 3), Quality: uint8(u * 100 / 255),
		})
	}
	t.Minutiae = t.Minutiae[:255] // a view holds at most 255
	return t
}

func TestISOANSIRoundTrip(t *testing.T) {
	const isoUnit, ansiUnit = 2 * math.Pi / 256, 2 * math.Pi / 180
	src := everyAngle()
	iso, err := EncodeISO(src)
	if err != nil {
		t.Fatal(err)
	}
	if want := 24 + 4 + 255*6 + 2; len(iso) != want {
		t.Fatalf("ISO record of %d bytes, want %d", len(iso), want)
	}
	r1, err := DecodeRecord(iso)
	if err != nil {
		t.Fatal(err)
	}
	t1, _ := r1.Template(0)
	sameTemplate(t, t1, src, 1e-9) // exact: every direction is a whole ISO unit

	ansi, err := EncodeANSI(t1)
	if err != nil {
		t.Fatal(err)
	}
	if want := 26 + 4 + 255*6 + 2; len(ansi) != want {
		t.Fatalf("ANSI record of %d bytes, want %d", len(ansi), want)
	}
	r2, err := DecodeRecord(ansi)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Format != ANSI || r2.XResolution != 197 {
		t.Fatalf("decoded %v at %d px/cm, want ansi378 at 197", r2.Format, r2.XResolution)
	}
	t2, _ := r2.Template(0)
	sameTemplate(t, t2, src, ansiUnit/2+1e-9)

	iso2, err := EncodeISO(t2)
	if err != nil {
		t.Fatal(err)
	}
	r3, err := DecodeRecord(iso2)
	if err != nil {
		t.Fatal(err)
	}
	t3, _ := r3.Template(0)
	sameTemplate(t, t3, src, isoUnit+1e-9) // ISO → ANSI → ISO: within one ISO unit
	for i := range src.Minutiae {
		a, b := iso[28+6*i+4], iso2[28+6*i+4]
		if d := (int(a) - int(b) + 256) % 256; d != 0 && d != 1 && d != 255 {
			t.Fatalf("minutia %d: ISO angle %d came back as %d", i, a, b)
		}
	}
}

func TestRecordTemplate(t *testing.T) {
	r := &Record{Format: ANSI, Width: 300, Height: 200, XResolution: 200, YResolution: 100, Views: []View{
		{Position: 12, Quality: 150, Minutiae: []Minutia{
			{X: 10, Y: 20, Direction: math.Pi / 4, Type: 3, Quality: 255},
			{X: 30, Y: 40, Direction: math.Pi, Type: Ending, Quality: 40},
		}},
	}}
	tp, err := r.Template(0)
	if err != nil {
		t.Fatal(err)
	}
	want := &Template{Width: 300, Height: 400, Resolution: 508, Quality: 100, Position: 0, Minutiae: []Minutia{
		{X: 10, Y: 40, Direction: math.Atan2(2, 1), Type: Other, Quality: 100},
		{X: 30, Y: 80, Direction: math.Pi, Type: Ending, Quality: 40},
	}}
	sameTemplate(t, tp, want, 1e-12)
	if _, err := r.Template(1); err == nil || !strings.Contains(err.Error(), "no view 1") {
		t.Fatalf("view 1 of 1: got %v", err)
	}
	if _, err := r.Template(-1); err == nil {
		t.Fatal("view -1 accepted")
	}
}

// record builds a record by hand: header for format f, then the given body bytes.
func record(f RecordFormat, views int, body ...byte) []byte {
	b := []byte(recordMagic + recordVersion)
	if f == ISO {
		b = binary.BigEndian.AppendUint32(b, uint32(24+len(body)))
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(26+len(body)))
		b = binary.BigEndian.AppendUint32(b, 0x01020304)
	}
	b = append(b, 0, 0, 1, 0x2c, 1, 0x90, 0, 197, 0, 197, byte(views), 0)
	return append(b, body...)
}

func TestDecodeRecordErrors(t *testing.T) {
	minutia := []byte{0x40, 10, 0, 20, 0x80, 50}
	view := func(n byte, rest ...byte) []byte { return append([]byte{1, 0, 60, n}, rest...) }
	oneMinutia := append(view(1, minutia...), 0, 0)
	setLen := func(b []byte, n uint32) []byte { binary.BigEndian.PutUint32(b[8:], n); return b }
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"empty", "iso19794-2: truncated header: need 24 bytes, have 0", nil},
		{"not a record", "record: bad magic", []byte("BMFT\x01")},
		{"old version", `unsupported version "030\x00"`, []byte("FMR\x00030\x00\x00\x00\x00\x30")},
		{"header only magic", "iso19794-2: truncated header: need 24 bytes, have 8", []byte(recordMagic + recordVersion)},
		{"ansi header cut", "ansi378: truncated header: need 26 bytes, have 20",
			record(ANSI, 1, oneMinutia...)[:20]},
		{"length too small", "ansi378: record length 10 is shorter than the 26-byte header",
			func() []byte { b := record(ANSI, 0); b[9] = 10; return b }()},
		{"trailing", "iso19794-2: record length field says 24 bytes, have 26",
			setLen(record(ISO, 0, 0, 0), 24)},
		{"minutia cut", "iso19794-2: view 1: truncated minutia 2 of 3: need 6 bytes, have 2",
			record(ISO, 1, append(view(3, minutia...), 1, 2)...)},
		{"count 255, 10 bytes", "iso19794-2: view 1: truncated minutia 2 of 255: need 6 bytes, have 4",
			record(ISO, 1, append(view(255), make([]byte, 10)...)...)},
		{"no extended length", "view 1: truncated extended data length: need 2 bytes, have 0",
			record(ISO, 1, view(1, minutia...)...)},
		{"extended data cut", "view 1: truncated extended data: need 9 bytes, have 3",
			record(ISO, 1, append(view(0), 0, 9, 0, 1, 0)...)},
		{"extended block header", "view 1: extended data block 1: truncated header: need 4 bytes, have 3",
			record(ISO, 1, append(view(0), 0, 3, 0, 1, 0)...)},
		{"extended block too long", "view 1: extended data block 2 (type 0x0002): length 9 outside 4–5",
			record(ISO, 1, append(view(0), 0, 10, 0, 1, 0, 5, 7, 0, 2, 0, 9, 0)...)},
		{"extended block too short", "extended data block 1 (type 0x0001): length 3 outside 4–4",
			record(ISO, 1, append(view(0), 0, 4, 0, 1, 0, 3)...)},
		{"second view missing", "iso19794-2: view 2: truncated view header: need 4 bytes, have 0",
			record(ISO, 2, oneMinutia...)},
		{"extra bytes", "iso19794-2: 3 unexpected bytes after the last view",
			record(ISO, 1, append(oneMinutia, 1, 2, 3)...)},
		{"ansi angle", "ansi378: view 1: minutia 1: angle 200 out of range 0–179",
			record(ANSI, 1, append(view(1, 0x40, 10, 0, 20, 200, 50), 0, 0)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRecord(tc.b)
			var fe FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a FormatError saying %q", err, tc.want)
			}
		})
	}
}

func TestDetectRecordFormat(t *testing.T) {
	iso := record(ISO, 0)
	ansi := record(ANSI, 0)
	long := append([]byte(recordMagic+recordVersion+"\x00\x00\x00\x00\x00\x1e"), ansi[10:]...)
	big := make([]byte, 70000)
	copy(big, recordMagic+recordVersion)
	binary.BigEndian.PutUint32(big[10:], 70000) // ANSI with a 6-byte length
	bigISO := make([]byte, 70000)
	copy(bigISO, recordMagic+recordVersion)
	binary.BigEndian.PutUint32(bigISO[8:], 70000)
	for _, tc := range []struct {
		name string
		b    []byte
		want RecordFormat
	}{
		{"iso", iso, ISO},
		{"ansi", ansi, ANSI},
		{"ansi long header", long, ANSI},
		{"ansi 6-byte length", big, ANSI},
		{"iso over 64 KiB", bigISO, ISO},
		{"iso truncated", iso[:20], ISO},
		{"iso padded", append(append([]byte(nil), iso...), 0), ISO},
		{"ansi truncated", ansi[:20], ANSI},
		{"ansi long truncated", big[:100], ANSI},
		{"too short to tell", iso[:9], ISO},
	} {
		if got := DetectRecordFormat(tc.b); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	r, err := DecodeRecord(long)
	if err != nil || r.Format != ANSI || r.ProductID != 0x01020304 || r.Width != 300 || r.Height != 400 {
		t.Fatalf("long ANSI header: %+v, %v", r, err)
	}
}

func TestRecordEncodeExtendedData(t *testing.T) {
	r := &Record{Format: ISO, Width: 300, Height: 400, XResolution: 197, YResolution: 197, Equipment: 0x1abc,
		Views: []View{
			{Position: 3, ViewNumber: 1, Impression: 2, Quality: 77,
				Minutiae: []Minutia{{X: 5, Y: 6, Direction: 1, Type: 3, Quality: 9}},
				Extended: []ExtendedBlock{
					{Type: RidgeCountBlock, Data: []byte{0, 1, 2, 3}},
					{Type: CoreDeltaBlock, Data: []byte{0x41, 0x40, 10, 0, 20, 33, 0}},
					{Type: 0x0102}, // empty
				}},
			{Position: 4, Minutiae: []Minutia{}},
		}}
	for _, f := range []RecordFormat{ISO, ANSI} {
		t.Run(f.String(), func(t *testing.T) {
			r.Format = f
			b, err := r.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			again, err := got.Encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs (err %v)", err)
			}
			got.Views[0].Minutiae[0].Direction = r.Views[0].Minutiae[0].Direction // quantized
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", got, r)
			}
		})
	}
}

func TestRecordEncodeLarge(t *testing.T) {
	// 255 views of 255 minutiae need more than 64 KiB and so the ANSI 6-byte length.
	r := &Record{Format: ANSI, Width: 500, Height: 500, XResolution: 197, YResolution: 197}
	v := View{Minutiae: everyAngle().Minutiae}
	for i := range 255 {
		v.Position = i % 11
		r.Views = append(r.Views, v)
	}
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := 30 + 255*(4+255*6+2); len(b) != want || binary.BigEndian.Uint16(b[8:]) != 0 ||
		binary.BigEndian.Uint32(b[10:]) != uint32(want) {
		t.Fatalf("record of %d bytes with length fields %x, want %d", len(b), b[8:14], want)
	}
	got, err := DecodeRecord(b)
	if err != nil || len(got.Views) != 255 {
		t.Fatalf("decoded %v", err)
	}
	r.Views = append(r.Views, v)
	if _, err := r.Encode(); err == nil || !strings.Contains(err.Error(), "256 views (max 255)") {
		t.Fatalf("256 views: got %v", err)
	}
}

func TestEncodeRecordRejects(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		t          *Template
	}{
		{"256 minutiae", "iso19794-2: cannot encode 256 minutiae (max 255)", synthetic(256, 1)},
		{"x beyond 14 bits", "minutia 1: (16384, 0) outside 0–16383",
			&Template{Minutiae: []Minutia{{X: 16384}}}},
		{"bad template", "quality -1", &Template{Quality: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodeISO(tc.t)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	bad := []*Record{
		{Format: 9},
		{Format: ISO, Width: 1 << 16},
		{Format: ISO, Views: []View{{ViewNumber: 16}}},
		{Format: ANSI, Views: []View{{Minutiae: []Minutia{{Direction: math.NaN()}}}}},
		{Format: ANSI, Views: []View{{Extended: []ExtendedBlock{{Data: make([]byte, 65532)}}}}},
		{Format: ANSI, Views: []View{{Extended: make([]ExtendedBlock, 20000)}}},
	}
	for i, r := range bad {
		if _, err := r.Encode(); err == nil {
			t.Errorf("bad record %d encoded", i)
		}
	}
}

func TestParseTemplate(t *testing.T) {
	src := synthetic(30, 11)
	src.Resolution = 1000
	src.Width, src.Height = 800, 760
	native, _ := src.MarshalBinary()
	iso, _ := EncodeISO(src)
	ansi, _ := EncodeANSI(src)
	want := src.Rescaled(DefaultResolution)
	for _, tc := range []struct {
		name string
		b    []byte
		tol  float64
	}{
		{"native", native, math.Pi / nativeTurn},
		{"iso", iso, math.Pi / isoTurn},
		{"ansi", ansi, math.Pi / ansiTurn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTemplate(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			// 1000 ppi is 394 px/cm, which reads back as 1001 ppi.
			if tc.name != "native" {
				if got.Resolution != DefaultResolution {
					t.Fatalf("resolution %d", got.Resolution)
				}
				got.Resolution = want.Resolution
				for i := range got.Minutiae {
					if dx, dy := got.Minutiae[i].X-want.Minutiae[i].X, got.Minutiae[i].Y-want.Minutiae[i].Y; dx*dx > 1 || dy*dy > 1 {
						t.Fatalf("minutia %d at %d,%d, want %d,%d", i, got.Minutiae[i].X, got.Minutiae[i].Y,
							want.Minutiae[i].X, want.Minutiae[i].Y)
					}
					got.Minutiae[i].X, got.Minutiae[i].Y = want.Minutiae[i].X, want.Minutiae[i].Y
				}
				got.Width, got.Height = want.Width, want.Height
			}
			sameTemplate(t, got, want, tc.tol+1e-9)
		})
	}
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"empty", `unknown template format: starts with ""`, nil},
		{"png", `unknown template format: starts with "\x89PNG"`, []byte("\x89PNG\r\n")},
		{"bad native", "native: checksum mismatch", func() []byte {
			b := append([]byte(nil), native...)
			b[len(b)-1] ^= 1
			return b
		}()},
		{"no views", "iso19794-2: record has no finger view", record(ISO, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTemplate(tc.b)
			var fe FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a FormatError saying %q", err, tc.want)
			}
		})
	}
}

func TestRecordAllocationCap(t *testing.T) {
	// A view claiming 255 minutiae with 10 bytes of data, then 255 views claimed with none.
	lying := record(ISO, 1, append([]byte{0, 0, 0, 255}, make([]byte, 10)...)...)
	noViews := record(ISO, 255)
	for _, b := range [][]byte{lying, noViews} {
		if _, err := DecodeRecord(b); err == nil {
			t.Fatal("lying record accepted")
		}
		if n := bytesAllocated(func() { _, _ = DecodeRecord(b) }); n > 1024 {
			t.Errorf("DecodeRecord of a lying %d-byte record allocates %d bytes", len(b), n)
		}
	}
}

// recordSeeds are small valid records of both formats, built in code.
func recordSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for i, n := range []int{0, 1, 5} {
		tp := synthetic(n, uint64(i))
		for _, enc := range []func(*Template) ([]byte, error){EncodeISO, EncodeANSI} {
			b, err := enc(tp)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	r := &Record{Format: ISO, Width: 9, Height: 9, Views: []View{{Extended: []ExtendedBlock{
		{Type: RidgeCountBlock, Data: []byte{0, 1, 2, 3}}, {Type: CoreDeltaBlock, Data: []byte{1, 0, 4, 0, 5, 0}},
	}}, {}}}
	b, err := r.Encode()
	if err != nil {
		f.Fatal(err)
	}
	return append(seeds, b)
}

func FuzzDecodeRecord(f *testing.F) {
	for _, b := range recordSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			var fe FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FormatError", err)
			}
			return
		}
		// What decodes must encode, and decode again to the same record.
		again, err := r.Encode()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		r2, err := DecodeRecord(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("record changed through Encode:\n%+v\n%+v", r, r2)
		}
		for i := range r.Views {
			if _, err := r.Template(i); err != nil {
				t.Fatalf("view %d: %v", i, err)
			}
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	for _, b := range recordSeeds(f) {
		f.Add(b)
	}
	for i, n := range []int{0, 3} {
		b, err := synthetic(n, uint64(i)).MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tp, err := ParseTemplate(b)
		if err != nil {
			var fe FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FormatError", err)
			}
			return
		}
		if tp.Resolution != DefaultResolution {
			t.Fatalf("resolution %d, want %d", tp.Resolution, DefaultResolution)
		}
		for i, m := range tp.Minutiae {
			if m.Type > Bifurcation || m.Quality > 100 || !(m.Direction >= 0 && m.Direction < 2*math.Pi) {
				t.Fatalf("minutia %d: %+v", i, m)
			}
		}
	})
}
