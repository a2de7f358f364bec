package nist

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// referenceDir returns the folder of the NIST reference transactions, skipping the test
// when BIOMESH_TESTDATA is unset.
func referenceDir(t testing.TB) string {
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA is not set")
	}
	return filepath.Join(root, "nist", "ansi-nist-references")
}

// referenceFiles lists the 30 reference files; it fails when the folder is incomplete.
func referenceFiles(t testing.TB) []string {
	dir := referenceDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.an2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 30 {
		t.Fatalf("%s: %d .an2 files, want the 30 NIST reference files", dir, len(files))
	}
	return files
}

func readReference(t testing.TB, name string) ([]byte, *Transaction) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(referenceDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Decode(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b, tr
}

// lenAt reads the LEN written at the start of a record in the file itself, independently
// of the decoder.
func lenAt(t *testing.T, b []byte, binaryRecord bool) int {
	t.Helper()
	if binaryRecord {
		return int(binary.BigEndian.Uint32(b))
	}
	c := bytes.IndexByte(b, ':')
	end := bytes.IndexAny(b[c+1:], "\x1c\x1d")
	n, err := strconv.Atoi(string(b[c+1 : c+1+end]))
	if err != nil {
		t.Fatalf("LEN %q: %v", b[c+1:c+1+end], err)
	}
	return n
}

func TestReferenceFiles(t *testing.T) {
	for _, path := range referenceFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			// The LEN fields, read off the file, add up to its size, and each one is
			// what Encode would write.
			off := 0
			for i, r := range tr.Records {
				if off >= len(b) {
					t.Fatalf("record %d starts past the end of the file", i)
				}
				n := lenAt(t, b[off:], r.Binary())
				got, err := r.Len()
				if err != nil || got != n {
					t.Errorf("record %d (Type-%d): LEN %d in the file, Len() = %d, %v", i, r.Type, n, got, err)
				}
				off += n
			}
			if off != len(b) {
				t.Errorf("LEN fields add up to %d bytes, the file has %d", off, len(b))
			}
			// CNT lists exactly the records found, with their types and IDCs.
			entries, stated := tr.Contents()
			if stated != len(tr.Records)-1 || len(entries) != stated {
				t.Errorf("CNT says %d records and lists %d; found %d after Type-1", stated, len(entries), len(tr.Records)-1)
			}
			for i, e := range entries {
				if r := tr.Records[i+1]; r.Type != e.Type {
					t.Errorf("CNT entry %d: Type-%d, record is Type-%d", i+1, e.Type, r.Type)
				}
			}
			// Byte-identical round trip.
			out, err := tr.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b) {
				t.Errorf("encode gives %d bytes, differing from the %d of the file", len(out), len(b))
			}
			// Every image record yields its image with a size and a known format.
			for i, r := range tr.Records {
				if !HasImage(r.Type) {
					continue
				}
				im, err := tr.Image(i)
				if err != nil {
					t.Errorf("record %d: %v", i, err)
					continue
				}
				if im.Width <= 0 || im.Height <= 0 || len(im.Data) == 0 {
					t.Errorf("record %d (Type-%d): %d×%d, %d bytes", i, r.Type, im.Width, im.Height, len(im.Data))
				}
				if im.Format == "" && im.Compression != "VECTOR" {
					t.Errorf("record %d (Type-%d): format of %q data unknown (starts % x)", i, r.Type, im.Compression, clip(im.Data, 8))
				}
			}
			// The NIST files follow the base standard, except for the one file that is
			// not NIST's (it writes version "0").
			vs := tr.Validate(nil)
			if name == "rec01_rec02_rec16.nst.an2" {
				if len(vs) == 0 || !strings.Contains(vs[0].String(), "1.002") {
					t.Errorf("version \"0\" not reported: %v", vs)
				}
				return
			}
			for _, v := range vs {
				t.Errorf("base profile: %v", v)
			}
		})
	}
}

func TestReferenceRecordCounts(t *testing.T) {
	referenceFiles(t)
	for _, c := range []struct {
		file   string
		counts map[int]int
	}{
		{"type-4-tpcard.an2", map[int]int{4: 14}},
		{"type-13-tip-eji-wsq.an2", map[int]int{13: 5}},
		{"type-15-palms.an2", map[int]int{15: 2}},
		{"type-10-14-17-piv-index-iris.an2", map[int]int{10: 1, 14: 2, 17: 1}},
		{"type-7-latent.an2", map[int]int{7: 1}},
		{"type-9-13-9-14-m1.an2", map[int]int{9: 2, 13: 1, 14: 1}},
	} {
		_, tr := readReference(t, c.file)
		for typ, want := range c.counts {
			if got := tr.Count(typ); got != want {
				t.Errorf("%s: %d Type-%d records, want %d", c.file, got, typ, want)
			}
		}
	}
}

func TestReferenceUTF8(t *testing.T) {
	_, tr := readReference(t, "type-14-amp-nqm-utf8.an2")
	if tr.Encoding() != UTF8 {
		t.Errorf("encoding %v, want UTF-8", tr.Encoding())
	}
	r := tr.RecordsOfType(2)[0]
	if got, want := tr.Text(r, 3), "two chinese characters: 華裔"; got != want {
		t.Errorf("2.003 = %q, want %q", got, want)
	}
}

func TestReferenceHeader(t *testing.T) {
	_, tr := readReference(t, "type-4-tpcard.an2")
	got := []string{tr.Version(), tr.DAI(), tr.ORI(), tr.TOT(), tr.DAT(), tr.TCN()}
	h := tr.Header()
	want := []string{h.Get(2), h.Get(7), h.Get(8), h.Get(4), h.Get(5), h.Get(9)}
	for i := range got {
		if got[i] != want[i] || got[i] == "" {
			t.Errorf("accessor %d = %q, field says %q", i, got[i], want[i])
		}
	}
	if tr.Version() != "0400" || tr.DAI() != "DAI000000" {
		t.Errorf("version %q, DAI %q", tr.Version(), tr.DAI())
	}
	// The 14 Type-4 images: WSQ, positions 1–14 in some order, 500 ppi.
	seen := map[int]bool{}
	for _, im := range tr.Images() {
		if im.Type != 4 {
			continue
		}
		if im.Format != "wsq" || im.Compression != "WSQ" {
			t.Errorf("record %d: format %q, compression %q", im.Record, im.Format, im.Compression)
		}
		if math.Abs(im.HorizontalPPI-500) > 1 {
			t.Errorf("record %d: %v ppi", im.Record, im.HorizontalPPI)
		}
		for _, p := range im.Positions {
			seen[p] = true
		}
	}
	for p := 1; p <= 14; p++ {
		if !seen[p] {
			t.Errorf("finger position %d missing", p)
		}
	}
}

func TestReferenceType7(t *testing.T) {
	_, tr := readReference(t, "type-7-latent.an2")
	im, err := tr.Image(2)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 800 || im.Height != 768 || im.Format != "raw" || len(im.Data) != 800*768 {
		t.Errorf("Type-7 image %d×%d %q, %d bytes", im.Width, im.Height, im.Format, len(im.Data))
	}
}

func TestReferenceIris(t *testing.T) {
	_, tr := readReference(t, "type-17-iris.an2")
	im, err := tr.Image(2)
	if err != nil {
		t.Fatal(err)
	}
	if im.Type != 17 || im.Format != "png" || im.Width != 449 || im.Height != 312 || im.Kind != "2" || im.Depth != 8 {
		t.Errorf("iris image %+v", *im)
	}
}

// TestReferenceM1 checks the INCITS 378 blocks against the fingerprint package's codec:
// the minutiae the M1 text holds, read here item by item, are the ones DecodeRecord and
// Template give, and re-encoding the record gives the same 378 bytes.
func TestReferenceM1(t *testing.T) {
	files := 0
	for _, name := range []string{"type-9-13-m1.an2", "type-9-14-m1.an2", "type-9-13-9-14-m1.an2"} {
		_, tr := readReference(t, name)
		for i, r := range tr.RecordsOfType(9) {
			if !r.HasM1() {
				t.Errorf("%s: Type-9 record %d has no M1 block", name, i)
				continue
			}
			files++
			b, err := r.M1Bytes()
			if err != nil {
				t.Fatal(err)
			}
			rec, err := fingerprint.DecodeRecord(b)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			again, err := rec.Encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("%s: 378 record does not re-encode to the same bytes (%v)", name, err)
			}
			tpl, err := r.M1Template()
			if err != nil {
				t.Fatal(err)
			}
			want, _ := rec.Template(0)
			sfs := r.Field(137).Subfields()
			if len(tpl.Minutiae) != len(sfs) || len(want.Minutiae) != len(sfs) {
				t.Fatalf("%s: %d minutiae, M1 text has %d", name, len(tpl.Minutiae), len(sfs))
			}
			nom, _ := strconv.Atoi(r.Get(136))
			if nom != len(sfs) {
				t.Errorf("%s: NOM %d, %d minutiae", name, nom, len(sfs))
			}
			for k, sf := range sfs {
				x, _ := strconv.Atoi(sf[1])
				y, _ := strconv.Atoi(sf[2])
				a, _ := strconv.Atoi(sf[3])
				typ, _ := strconv.Atoi(sf[4])
				q, _ := strconv.Atoi(sf[5])
				m := tpl.Minutiae[k]
				if m != want.Minutiae[k] {
					t.Errorf("%s: minutia %d: %+v, codec %+v", name, k+1, m, want.Minutiae[k])
				}
				dir := float64(a) * 2 * math.Pi / 180
				if m.X != x || m.Y != y || int(m.Type) != typ || int(m.Quality) != q || math.Abs(m.Direction-dir) > 1e-9 {
					t.Errorf("%s: minutia %d = %+v, M1 text %v", name, k+1, m, sf)
				}
			}
			w, _ := strconv.Atoi(r.Get(128))
			res, _ := strconv.Atoi(r.Get(131))
			if tpl.Width != w || tpl.Resolution != int(math.Round(float64(res)*2.54)) {
				t.Errorf("%s: template %d px wide at %d ppi; M1 says %d px, %d px/cm", name, tpl.Width, tpl.Resolution, w, res)
			}
		}
	}
	if files != 4 {
		t.Errorf("%d M1 blocks, want 4", files)
	}
}

func TestReferenceLegacyMinutiae(t *testing.T) {
	for _, c := range []struct {
		file  string
		count int
	}{{"type-9-13-std.an2", 10}, {"type-9-4-iafis.an2", 15}} {
		_, tr := readReference(t, c.file)
		r := tr.RecordsOfType(9)[0]
		ms, err := r.LegacyMinutiae()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(r.Get(c.count))
		if len(ms) == 0 || len(ms) != n {
			t.Errorf("%s: %d minutiae, field 9.%03d says %d", c.file, len(ms), c.count, n)
		}
		for _, m := range ms {
			if m.Theta > 360 || m.Index < 1 {
				t.Errorf("%s: %+v", c.file, m)
			}
		}
	}
}

// TestReferenceLegacyTemplate: the NIST files give the same finger's minutiae in the
// standard legacy format and as INCITS 378; converted, they agree to rounding.
func TestReferenceLegacyTemplate(t *testing.T) {
	for _, pair := range [][2]string{{"type-9-13-std.an2", "type-9-13-m1.an2"}, {"type-9-14-std.an2", "type-9-14-m1.an2"}} {
		_, std := readReference(t, pair[0])
		_, m1 := readReference(t, pair[1])
		got, err := std.LegacyTemplate(2)
		if err != nil {
			t.Fatal(err)
		}
		want, err := m1.Records[2].M1Template()
		if err != nil {
			t.Fatal(err)
		}
		want = want.Rescaled(fingerprint.DefaultResolution)
		if len(got.Minutiae) != len(want.Minutiae) || len(got.Minutiae) == 0 {
			t.Fatalf("%s: %d minutiae, %s %d", pair[0], len(got.Minutiae), pair[1], len(want.Minutiae))
		}
		if abs(got.Width-want.Width) > 1 || abs(got.Height-want.Height) > 1 {
			t.Errorf("%s: %d×%d, M1 %d×%d", pair[0], got.Width, got.Height, want.Width, want.Height)
		}
		for k, g := range got.Minutiae {
			w := want.Minutiae[k]
			d := math.Abs(math.Remainder(g.Direction-w.Direction, 2*math.Pi)) * 180 / math.Pi
			if abs(g.X-w.X) > 2 || abs(g.Y-w.Y) > 2 || d > 3 || g.Type != w.Type {
				t.Errorf("%s minutia %d: %+v, M1 %+v (%.1f°)", pair[0], k+1, g, w, d)
			}
		}
	}
	_, iafis := readReference(t, "type-9-4-iafis.an2")
	if _, err := iafis.LegacyTemplate(2); err == nil || !strings.Contains(err.Error(), "9.023") {
		t.Errorf("IAFIS minutiae: %v", err)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
