package interchange_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint/synth"
	"github.com/biomesh/biomesh/interchange"
	"github.com/biomesh/biomesh/nist"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/wsq"
)

func references(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	return filepath.Join(dir, "nist", "ansi-nist-references")
}

func importFile(t *testing.T, path, profile string) *interchange.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := nist.Decode(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	p, err := nist.LookupProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := interchange.Import(tx, p)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rec
}

type got struct {
	mod store.Modality
	pos int
	fmt string
}

func summary(rec *interchange.Record) []got {
	var out []got
	for _, s := range rec.Samples {
		out = append(out, got{s.Modality, s.Position, s.Format})
	}
	return out
}

// Every NIST reference file imports; the person's samples are what the file holds for
// one person, and everything else is named in a warning.
func TestImportReferenceFiles(t *testing.T) {
	dir := references(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.an2"))
	if len(files) != 30 {
		t.Fatalf("%d reference files in %s, want 30", len(files), dir)
	}
	for _, f := range files {
		rec := importFile(t, f, "ebts")
		for _, s := range rec.Samples {
			if len(s.Image) == 0 && len(s.Template) == 0 && len(s.STR) == 0 {
				t.Errorf("%s: %s has no data", filepath.Base(f), s.Source)
			}
		}
	}

	tp := importFile(t, filepath.Join(dir, "type-4-tpcard.an2"), "ebts")
	var want []got
	for p := 1; p <= 10; p++ {
		want = append(want, got{store.Finger, p, "wsq"})
	}
	if g := summary(tp); !slices.Equal(g, want) {
		t.Errorf("type-4-tpcard: %v, want the ten rolled fingers as WSQ", g)
	}
	if n := strings.Count(strings.Join(tp.Warnings, "\n"), "slap"); n != 2 {
		t.Errorf("type-4-tpcard: %d slap warnings, want 2 (positions 13 and 14):\n%s", n, strings.Join(tp.Warnings, "\n"))
	}
	for _, s := range tp.Samples {
		if s.Resolution != 500 {
			t.Errorf("%s: %d ppi, want 500", s.Source, s.Resolution)
		}
	}

	piv := importFile(t, filepath.Join(dir, "type-10-14-17-piv-index-iris.an2"), "ebts")
	if g := summary(piv); !slices.Equal(g, []got{{store.Face, 0, "jpeg"}, {store.Iris, 2, "png"}, {store.Finger, 2, "jpeg"}, {store.Finger, 7, "jpeg"}}) {
		t.Errorf("type-10-14-17-piv-index-iris: %v", g)
	}
	// A Type-9 M1 block describing a latent (same IDC as the Type-13) is not the person's.
	if m1 := importFile(t, filepath.Join(dir, "type-9-13-m1.an2"), "ebts"); len(m1.Samples) != 0 {
		t.Errorf("type-9-13-m1: %v, want nothing (a latent and its minutiae)", summary(m1))
	}
	if palms := importFile(t, filepath.Join(dir, "type-15-palms.an2"), "ebts"); len(palms.Samples) != 0 || len(palms.Warnings) != 2 {
		t.Errorf("type-15-palms: %v, warnings %q", summary(palms), palms.Warnings)
	}
}

func fingerPNG(t *testing.T, k int) []byte {
	t.Helper()
	m, err := synth.NewMaster(synth.MasterSeed(11, k), nil)
	if err != nil {
		t.Fatal(err)
	}
	im, err := m.Impression(uint64(k), nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	png.Encode(&b, im.Image)
	return b.Bytes()
}

func colourJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

func greyPNG(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// A record written for either profile passes that profile's validation, and reads back
// as the same person with the same samples.
func TestExportImportRoundTrip(t *testing.T) {
	p := &store.Person{ID: "P-1", Name: "Ahmad Karim Hassan", DateOfBirth: "1984-06-02", Sex: "M", Nationality: "IRQ"}
	samples := []store.Sample{
		{ID: 1, Modality: store.Finger, Position: 2, Image: fingerPNG(t, 1), ImageFormat: "png"},
		{ID: 2, Modality: store.Finger, Position: 7, Image: fingerPNG(t, 2), ImageFormat: "png"},
		{ID: 3, Modality: store.Face, Image: colourJPEG(120, 160), ImageFormat: "jpeg"},
		{ID: 4, Modality: store.Iris, Position: 1, Image: greyPNG(320, 280), ImageFormat: "png"},
		{ID: 5, Modality: store.Finger, Position: 3, Template: []byte("template only")},
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, profile := range []string{"ebts", "int-i"} {
		t.Run(profile, func(t *testing.T) {
			tx, warnings, err := interchange.Export(p, samples, interchange.ExportOptions{Profile: profile, ORI: "IQ0000001", DAI: "FR0000001", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "sample 5") {
				t.Errorf("warnings %q, want one for the template-only finger", warnings)
			}
			data, err := tx.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := nist.Decode(data)
			if err != nil {
				t.Fatalf("exported transaction does not decode: %v", err)
			}
			prof, _ := nist.LookupProfile(profile)
			if vs := back.Validate(prof); len(vs) != 0 {
				t.Errorf("exported transaction breaks %s: %v", profile, vs)
			}
			if again, _ := back.Encode(); !bytes.Equal(again, data) {
				t.Error("decode → encode of the exported file is not byte-identical")
			}
			rec, err := interchange.Import(back, prof)
			if err != nil {
				t.Fatal(err)
			}
			wantPerson := interchange.Person{Name: "Ahmad Karim Hassan", DateOfBirth: "1984-06-02", Sex: "M"}
			if profile == "ebts" {
				wantPerson.Nationality = "IRQ" // INT-I's Type-2 map has no citizenship field
			}
			if !equalPerson(rec.Person, wantPerson) {
				t.Errorf("person read back %+v, want %+v", rec.Person, wantPerson)
			}
			if g := summary(rec); !slices.Equal(g, []got{{store.Finger, 2, "wsq"}, {store.Finger, 7, "wsq"}, {store.Face, 0, "jpeg"}, {store.Iris, 1, "png"}}) {
				t.Errorf("samples read back: %v", g)
			}
			for _, s := range rec.Samples {
				if s.Modality != store.Finger {
					continue
				}
				img, err := wsq.Decode(bytes.NewReader(s.Image))
				if err != nil {
					t.Fatalf("%s: %v", s.Source, err)
				}
				orig, _ := png.Decode(bytes.NewReader(samples[0].Image))
				if img.Bounds().Size() != orig.Bounds().Size() {
					t.Errorf("%s: %v, want %v", s.Source, img.Bounds().Size(), orig.Bounds().Size())
				}
				if s.Resolution != 500 {
					t.Errorf("%s: %d ppi, want 500", s.Source, s.Resolution)
				}
			}
		})
	}
	if _, _, err := interchange.Export(p, nil, interchange.ExportOptions{Profile: "ebts"}); err == nil || !strings.Contains(err.Error(), "DAI") {
		t.Errorf("export without a destination: %v", err)
	}
	if _, _, err := interchange.Export(p, nil, interchange.ExportOptions{Profile: "base", DAI: "X"}); err == nil {
		t.Error("export with profile base accepted")
	}
}

func equalPerson(a, b interchange.Person) bool {
	return a.Name == b.Name && a.DateOfBirth == b.DateOfBirth && a.Sex == b.Sex && a.Nationality == b.Nationality && len(a.Aliases) == len(b.Aliases)
}

func FuzzImport(f *testing.F) {
	if dir := os.Getenv("BIOMESH_TESTDATA"); dir != "" {
		for _, name := range []string{"type-9-13-m1.an2", "type-10-14-17-piv-index-iris.an2", "type-4-slaps.an2"} {
			if b, err := os.ReadFile(filepath.Join(dir, "nist", "ansi-nist-references", name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("1.001:30\x1d1.002:0500\x1d1.003:1\x1f0\x1c"))
	prof, _ := nist.LookupProfile("ebts")
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := nist.Decode(b)
		if err != nil {
			return
		}
		interchange.Import(tx, prof)
	})
}
