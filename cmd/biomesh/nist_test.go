package main

import (
	"bytes"
	"encoding/binary"
	"github.com/biomesh/biomesh/jpeg2000"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/nist"
	"github.com/biomesh/biomesh/wsq"
)

// nistSample writes a transaction with a WSQ Type-4, an uncompressed Type-14 and a
// JPEG 2000 Type-14, and returns its path.
func nistSample(t *testing.T, withName bool) string {
	t.Helper()
	rec := func(typ int, fields ...string) *nist.Record {
		r, err := nist.NewRecord(typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			num, val, _ := strings.Cut(f, ":")
			n := 0
			for _, c := range num {
				n = n*10 + int(c-'0')
			}
			if err := r.SetString(n, val); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	tr := &nist.Transaction{Records: []*nist.Record{rec(1, "2:0500", "3:1\x1f0", "4:CAR", "5:20240131", "7:DAI000001",
		"8:ORI000001", "9:TCN-1", "11:19.69", "12:19.69")}}
	t2 := []string{"2:00"}
	if withName {
		t2 = append(t2, "18:DOE,JOHN", "22:19800229", "24:M", "25:W")
	}
	add := func(r *nist.Record) {
		if err := tr.AddRecord(r); err != nil {
			t.Fatal(err)
		}
	}
	add(rec(2, t2...))
	// A WSQ fingerprint: a grey ramp of 64×48.
	g := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7)
	}
	var w bytes.Buffer
	if err := wsq.Encode(&w, g, nil); err != nil {
		t.Fatal(err)
	}
	t4, _ := nist.NewRecord(4)
	t4.Header[0], t4.Header[1], t4.Header[2] = 1, 1, 2
	copy(t4.Header[3:8], []byte{255, 255, 255, 255, 255})
	t4.Header[8] = 1
	binary.BigEndian.PutUint16(t4.Header[9:], 64)
	binary.BigEndian.PutUint16(t4.Header[11:], 48)
	t4.Header[13] = 1
	t4.Data = w.Bytes()
	add(t4)
	raw := bytes.Repeat([]byte{0, nist.FS, nist.GS, 200}, 5*3) // 5×3 grey pixels with separators
	add(rec(14, "2:02", "3:1", "4:ORI000001", "5:20240131", "6:5", "7:3", "8:1", "9:500", "10:500", "11:NONE",
		"12:8", "13:3", "999:"+string(raw[:15])))
	add(rec(14, "2:03", "3:1", "4:ORI000001", "5:20240131", "6:8", "7:8", "8:1", "9:1000", "10:1000", "11:JP2",
		"12:8", "13:4", "999:\x00\x00\x00\x0cjP  \r\n\x87\nnot really"))
	b, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "sample.an2")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNISTDump(t *testing.T) {
	p := nistSample(t, true)
	out, _, err := run("nist", "dump", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"5 records, version 0500",
		"1.003 CNT: 1␟4␞2␟00␞4␟01␞14␟02␞14␟03",
		"record 2: Type-4",
		"IMP 1, FGP 2, ISR 1, HLL 64, VLL 48, compression code 1",
		"image: ", "wsq (declared WSQ), 64×48",
		"2.018: DOE,JOHN",
		"14.999 DATA: 15 bytes, raw (declared NONE), 5×3",
		"14.999 DATA: 22 bytes, jp2 (declared JP2), 8×8",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
}

func TestNISTValidate(t *testing.T) {
	p := nistSample(t, true)
	for _, prof := range []string{"base", "ebts", "int-i"} {
		out, _, err := run("nist", "validate", "--profile", prof, p)
		if prof == "int-i" {
			// No domain 1.013 and no 2.003: two violations.
			if err == nil || !strings.Contains(out, "field 1.013 DOM: mandatory field missing") || !strings.Contains(out, "field 2.003: mandatory") {
				t.Errorf("int-i: %v\n%s", err, out)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v\n%s", prof, err, out)
		}
	}
	out, _, err := run("nist", "validate", "--profile", "ebts", nistSample(t, false))
	if err == nil || !strings.Contains(err.Error(), "4 violations of profile ebts") || !strings.Contains(out, "record 1 (Type-2), field 2.018: mandatory field missing") {
		t.Errorf("ebts without a name: %v\n%s", err, out)
	}
	if _, _, err := run("nist", "validate", "--profile", "nope", p); err == nil {
		t.Error("unknown profile accepted")
	}
}

func TestNISTRoundtrip(t *testing.T) {
	p := nistSample(t, true)
	out, _, err := run("nist", "roundtrip", p)
	if err != nil || !strings.Contains(out, "identical") {
		t.Errorf("%v %s", err, out)
	}
	b, _ := os.ReadFile(p)
	bad := filepath.Join(t.TempDir(), "bad.an2")
	os.WriteFile(bad, b[:len(b)-3], 0o644)
	if _, _, err := run("nist", "roundtrip", bad); err == nil || !strings.Contains(err.Error(), "record 4 (Type-14)") {
		t.Errorf("truncated file: %v", err)
	}
}

func TestNISTImages(t *testing.T) {
	p := nistSample(t, true)
	dir := t.TempDir()
	out, stderr, err := run("nist", "images", p, "--out", dir)
	switch {
	case jpeg2000.Built():
		// Built in, the sample's made-up JPEG 2000 bytes are decoded, and fail.
		if err == nil || !strings.Contains(err.Error(), "1 images could not be read") || !strings.Contains(out+stderr, "jp2") {
			t.Errorf("made-up JPEG 2000 data with the decoder built in: %v\n%s%s", err, out, stderr)
		}
	case err != nil:
		t.Fatal(err)
	case !strings.Contains(out, "JPEG 2000 support not built in"):
		t.Errorf("no JPEG 2000 message:\n%s", out)
	}
	for name, size := range map[string][2]int{"02-type4-idc1.png": {64, 48}, "03-type14-idc2.png": {5, 3}} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != size[0] || b.Dy() != size[1] {
			t.Errorf("%s: %v", name, b)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "04-type14-idc3.jp2")); !jpeg2000.Built() && (err != nil || !bytes.HasSuffix(b, []byte("not really"))) {
		t.Errorf("raw JPEG 2000 bytes: %v", err)
	}
	if _, _, err := run("nist", "images", p); err == nil {
		t.Error("images without --out")
	}
}

// TestNISTReferenceFiles runs roundtrip and images over the NIST reference files.
func TestNISTReferenceFiles(t *testing.T) {
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	files, _ := filepath.Glob(filepath.Join(root, "nist", "ansi-nist-references", "*.an2"))
	if len(files) != 30 {
		t.Fatalf("%d reference files, want 30", len(files))
	}
	for _, f := range files {
		if out, _, err := run("nist", "roundtrip", f); err != nil || !strings.Contains(out, "identical") {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
	dir := t.TempDir()
	tp := filepath.Join(root, "nist", "ansi-nist-references", "type-4-tpcard.an2")
	if _, stderr, err := run("nist", "images", tp, "--out", dir); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "*-type4-*.png"))
	if len(pngs) != 14 {
		t.Errorf("%d Type-4 PNGs, want 14", len(pngs))
	}
	if out, _, err := run("nist", "dump", filepath.Join(root, "nist", "ansi-nist-references", "type-14-amp-nqm-utf8.an2")); err != nil || !strings.Contains(out, "華裔") {
		t.Errorf("dump of the UTF-8 file: %v", err)
	}
	for file, want := range map[string]string{
		"type-9-13-m1.an2":  "INCITS 378 block: 48 minutiae, 800×768 at 500 ppi, finger 8",
		"type-9-13-std.an2": "legacy minutiae: 48, as a template 800×768 at 500 ppi",
	} {
		out, _, err := run("nist", "dump", filepath.Join(root, "nist", "ansi-nist-references", file))
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("dump of %s lacks %q (%v)", file, want, err)
		}
	}
}
