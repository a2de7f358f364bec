package nist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// tagged builds a tagged record from "NNN:value" fields (LEN is added).
func tagged(t testing.TB, typ int, fields ...string) *Record {
	t.Helper()
	r, err := NewRecord(typ)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		num, val, _ := strings.Cut(f, ":")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.SetString(n, val); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// type4 builds a binary Type-4 record.
func type4(idc, pos, gca, w, h int, data []byte) *Record {
	r, _ := NewRecord(4)
	r.Header[0], r.Header[1], r.Header[2] = byte(idc), 1, byte(pos)
	for i := 3; i < 8; i++ {
		r.Header[i] = 255
	}
	r.Header[8] = 1
	binary.BigEndian.PutUint16(r.Header[9:], uint16(w))
	binary.BigEndian.PutUint16(r.Header[11:], uint16(h))
	r.Header[13] = byte(gca)
	r.Data = data
	return r
}

// separators is image data full of the bytes that end fields and records.
var separators = bytes.Repeat([]byte{FS, GS, RS, US, ':', '.', '1'}, 40)

// sample builds a transaction: Type-1, Type-2, a WSQ Type-4 whose data holds separators,
// and a Type-14 holding a JPEG 2000 file.
func sample(t testing.TB) *Transaction {
	t.Helper()
	t1 := tagged(t, 1, "2:0500", "3:1\x1f0", "4:CAR", "5:20240131", "7:DAI000001", "8:ORI000001",
		"9:TCN-1", "11:19.69", "12:19.69", "14:20240131120000Z", "15:003\x1fUTF-8")
	tr := &Transaction{Records: []*Record{t1}}
	add := func(r *Record) {
		if err := tr.AddRecord(r); err != nil {
			t.Fatal(err)
		}
	}
	add(tagged(t, 2, "2:00", "18:DOE,JOHN", "22:19800229", "24:M", "25:W"))
	wsq := append([]byte{0xff, 0xa0}, separators...)
	add(type4(1, 2, 1, 64, 48, wsq))
	jp2 := append([]byte("\x00\x00\x00\x0cjP  \r\n\x87\n"), separators...)
	add(tagged(t, 14, "2:02", "3:1", "4:ORI000001", "5:20240131", "6:64", "7:48", "8:1", "9:500", "10:500",
		"11:JP2", "12:8", "13:3", "999:"+string(jp2)))
	return tr
}

func encode(t testing.TB, tr *Transaction) []byte {
	t.Helper()
	b, err := tr.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuildEncodeDecode(t *testing.T) {
	tr := sample(t)
	b := encode(t, tr)
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if again := encode(t, got); !bytes.Equal(again, b) {
		t.Fatal("decode→encode of a built transaction changed it")
	}
	if cnt := got.Header().Get(3); cnt != "1\x1f3\x1e2\x1f00\x1e4\x1f01\x1e14\x1f02" {
		t.Errorf("CNT %q", cnt)
	}
	if vs := got.Validate(Profiles["ebts"]); len(vs) != 0 {
		t.Errorf("violations of a well-formed transaction: %v", vs)
	}
	// Separator bytes inside binary data come back intact.
	ims := got.Images()
	if len(ims) != 2 {
		t.Fatalf("%d images", len(ims))
	}
	if ims[0].Format != "wsq" || !bytes.Equal(ims[0].Data[2:], separators) || ims[0].Positions[0] != 2 {
		t.Errorf("Type-4 image: %q, positions %v", ims[0].Format, ims[0].Positions)
	}
	// JPEG 2000 in a Type-14 is reported as such, never as another format.
	if ims[1].Format != "jp2" || ims[1].Compression != "JP2" || !bytes.Equal(ims[1].Data[12:], separators) {
		t.Errorf("Type-14 image: %q %q", ims[1].Format, ims[1].Compression)
	}
	p, ok := got.Person(Profiles["ebts"])
	if !ok || p.Surname != "DOE" || p.GivenName != "JOHN" || p.DOB != "19800229" || p.Sex != "M" || p.Race != "W" {
		t.Errorf("person %+v", p)
	}
}

// TestLenFeedback grows a field byte by byte across the sizes where the LEN value gains a
// digit (which makes the record one byte longer still).
func TestLenFeedback(t *testing.T) {
	for n := 80; n < 1010; n++ {
		r := tagged(t, 2, "2:00", "3:"+strings.Repeat("x", n))
		b, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		l, err := r.Len()
		if err != nil || l != len(b) {
			t.Fatalf("n=%d: Len %d, %d bytes", n, l, len(b))
		}
		if !bytes.HasPrefix(b, []byte("2.001:"+strconv.Itoa(len(b))+"\x1d")) {
			t.Fatalf("n=%d: record starts %q, is %d bytes", n, b[:12], len(b))
		}
	}
}

func TestEdits(t *testing.T) {
	tr := sample(t)
	b := encode(t, tr)
	tr, _ = Decode(b)
	// Set a field so the Type-2 LEN changes, add a field, remove one.
	r2 := tr.Records[1]
	if err := r2.SetString(18, "DOE-SMITH,JOHN PAUL"); err != nil {
		t.Fatal(err)
	}
	if err := r2.SetString(20, "FR"); err != nil {
		t.Fatal(err)
	}
	if !r2.Remove(25) || r2.Remove(25) {
		t.Error("Remove reports wrongly")
	}
	if err := r2.SetString(1, "5"); err == nil {
		t.Error("LEN can be set")
	}
	nums := []int{}
	for _, f := range r2.Fields {
		nums = append(nums, f.Number)
	}
	if fmt.Sprint(nums) != "[1 2 18 20 22 24]" {
		t.Errorf("field order %v", nums)
	}
	// Remove the Type-4, add another Type-14.
	if err := tr.RemoveRecord(2); err != nil {
		t.Fatal(err)
	}
	add := tagged(t, 14, "2:05", "3:1", "4:ORI000001", "5:20240131", "6:10", "7:10", "8:1", "9:500", "10:500",
		"11:NONE", "12:8", "13:4", "999:"+strings.Repeat("\x1c", 100))
	if err := tr.AddRecord(add); err != nil {
		t.Fatal(err)
	}
	out := encode(t, tr)
	got, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if cnt := got.Header().Get(3); cnt != "1\x1f3\x1e2\x1f00\x1e14\x1f02\x1e14\x1f05" {
		t.Errorf("CNT %q", cnt)
	}
	if got.Records[1].Get(18) != "DOE-SMITH,JOHN PAUL" || got.Records[1].Has(25) {
		t.Error("Type-2 edits lost")
	}
	if vs := got.Validate(nil); len(vs) != 0 {
		t.Errorf("violations after edits: %v", vs)
	}
	if err := tr.RemoveRecord(0); err == nil {
		t.Error("Type-1 removed")
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encode(t, sample(t))
	t1len := bytes.IndexByte(good, FS) + 1
	r2 := t1len + bytes.IndexByte(good[t1len:], FS) + 1 // start of the Type-4
	replace := func(old, new string) []byte {
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	// The Type-2 record as text, to rewrite its LEN.
	t2 := string(good[t1len:r2])
	t2len := strings.TrimPrefix(strings.SplitN(t2, "\x1d", 2)[0], "2.001:")
	n2, _ := strconv.Atoi(t2len)
	bigLen := make([]byte, 4)
	binary.BigEndian.PutUint32(bigLen, 0xffffffff)
	for _, c := range []struct {
		name string
		in   []byte
		want []string // all must appear in the message
	}{
		{"empty", nil, []string{"empty"}},
		{"not a transaction", []byte("hello world, this is text"), []string{"record 0", "tag"}},
		{"truncated Type-1", good[:t1len-5], []string{"record 0", "1.001", "LEN", "past the end"}},
		{"truncated Type-14", good[:len(good)-7], []string{"record 3", "Type-14", "14.001", "past the end"}},
		{"truncated Type-4", good[:r2+2], []string{"record 2", "Type-4", "truncated"}},
		{"missing record", good[:r2], []string{"record 2", "Type-4", "CNT lists 3 records", "ends after 1"}},
		{"LEN too long", replace("2.001:"+t2len, "2.001:"+strconv.Itoa(n2+3)), []string{"record 1", "2.001", "LEN", "does not end the record"}},
		{"LEN too short", replace("2.001:"+t2len, "2.001:"+strconv.Itoa(n2-3)), []string{"record 1", "2.001", "LEN", "does not end the record"}},
		{"LEN not a number", replace("2.001:"+t2len, "2.001:5x"), []string{"record 1", "2.001", "not a decimal number"}},
		{"LEN negative", replace("2.001:"+t2len, "2.001:-5"), []string{"record 1", "not a decimal number"}},
		{"LEN huge", replace("2.001:"+t2len, "2.001:999999999999"), []string{"record 1", "LEN 999999999999", "past the end"}},
		{"LEN endless", replace("2.001:"+t2len, "2.001:9999999999999999999999"), []string{"record 1", "too long"}},
		{"LEN shorter than itself", replace("2.001:"+t2len, "2.001:3"), []string{"record 1", "shorter than the LEN field"}},
		{"binary LEN huge", append(append(append([]byte{}, good[:r2]...), bigLen...), good[r2+4:]...), []string{"record 2", "Type-4", "LEN 4294967295", "past the end"}},
		{"binary LEN tiny", append(append(append([]byte{}, good[:r2]...), 0, 0, 0, 9), good[r2+4:]...), []string{"record 2", "shorter than the Type-4 header"}},
		{"first field not LEN", replace("1.001:", "1.002:"), []string{"record 0", "must be LEN"}},
		{"no CNT", replace("1.003:", "1.033:"), []string{"1.003", "CNT", "missing"}},
		{"CNT type not a number", replace("\x1e4\x1f01", "\x1eX\x1f01"), []string{"1.003", "record type \"X\""}},
		{"field without tag", replace("\x1d2.018:", "\x1dxxxxxx"), []string{"record 1", "field 3 has no tag"}},
		{"bad tag", replace("\x1d2.018:", "\x1d2.a18:"), []string{"record 1", "field 3", "not a tag"}},
		{"trailing bytes", append(append([]byte{}, good...), 0, 1, 2, 3), []string{"record 4", "4 bytes after the 3 records"}},
		{"first record not Type-1", good[t1len:], []string{"record 0", "not Type-1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.in)
			if err == nil {
				t.Fatal("decoded")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("error %T, want *Error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestViolations(t *testing.T) {
	build := func(edit func(tr *Transaction)) *Transaction {
		tr := sample(t)
		edit(tr)
		got, err := Decode(encode(t, tr))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct {
		name    string
		profile string
		edit    func(tr *Transaction)
		want    string
	}{
		{"wrong CNT count", "base", func(tr *Transaction) {
			tr.Records[0].SetString(3, "1\x1f4\x1e2\x1f00\x1e4\x1f01\x1e14\x1f02")
		}, "record 0 (Type-1), field 1.003 CNT: says 4 records follow Type-1 but lists 3"},
		{"CNT type differs", "base", func(tr *Transaction) {
			tr.Records[0].SetString(3, "1\x1f3\x1e2\x1f00\x1e4\x1f01\x1e13\x1f02")
		}, "entry 3 lists Type-13 but record 3 is Type-14"},
		{"CNT IDC differs", "base", func(tr *Transaction) {
			tr.Records[0].SetString(3, "1\x1f3\x1e2\x1f00\x1e4\x1f07\x1e14\x1f02")
		}, "entry 2 lists IDC 7 but record 2 (Type-4) has IDC 1"},
		{"record not in CNT", "base", func(tr *Transaction) {
			tr.Records = append(tr.Records, tagged(t, 14, "2:09", "3:1", "4:X", "5:20240131", "6:1", "7:1", "8:1",
				"9:500", "10:500", "11:NONE", "12:8", "13:1", "999:x"))
		}, "record 4 (Type-14): not listed in CNT"},
		{"duplicate IDC", "base", func(tr *Transaction) {
			tr.AddRecord(type4(1, 3, 1, 64, 48, []byte{0xff, 0xa0}))
		}, "record 4 (Type-4): IDC 1 is already used by record 2 (Type-4)"},
		{"duplicate field", "base", func(tr *Transaction) {
			r := tr.Records[1]
			r.Fields = append(r.Fields, &Field{Tag: "2.024", Type: 2, Number: 24, Value: []byte("F")})
		}, "record 1 (Type-2), field 2.024: appears 2 times"},
		{"field of another type", "base", func(tr *Transaction) {
			r := tr.Records[1]
			r.Fields = append(r.Fields, &Field{Tag: "3.030", Type: 3, Number: 30, Value: []byte("F")})
		}, "record 1 (Type-2): field 3.030 belongs to Type-3, not Type-2"},
		{"bad date", "base", func(tr *Transaction) { tr.Records[0].SetString(5, "20240230") }, "field 1.005 DAT: date \"20240230\" is not a calendar date"},
		{"bad version", "base", func(tr *Transaction) { tr.Records[0].SetString(2, "0700") }, "1.002 VER: version \"0700\""},
		{"missing ORI", "base", func(tr *Transaction) { tr.Records[0].Remove(8) }, "field 1.008 ORI: mandatory field missing"},
		{"bad compression", "base", func(tr *Transaction) { tr.Records[3].SetString(11, "GIF") }, "record 3 (Type-14), field 14.011 CGA: compression \"GIF\""},
		{"raw size", "base", func(tr *Transaction) { tr.Records[2].Header[13] = 0 }, "uncompressed 64×48 image needs 3072 bytes"},
		{"EBTS DOB", "ebts", func(tr *Transaction) { tr.Records[1].SetString(22, "1980-02-29") }, "field 2.022: date of birth \"1980-02-29\""},
		{"EBTS sex", "ebts", func(tr *Transaction) { tr.Records[1].SetString(24, "Q") }, "sex \"Q\" is not M, F, X or U"},
		{"EBTS name", "ebts", func(tr *Transaction) { tr.Records[1].Remove(18) }, "field 2.018: mandatory field missing"},
		{"EBTS JP2 in Type-4", "ebts", func(tr *Transaction) { tr.Records[2].Header[13] = 4 }, "not JP2"},
		{"INT-I domain", "int-i", func(tr *Transaction) { tr.Records[0].SetString(13, "NORAM") }, "domain \"NORAM\" is not INT-I"},
		{"INT-I 2.003", "int-i", func(tr *Transaction) { tr.Records[0].SetString(13, "INT-I\x1f6.0") }, "field 2.003: mandatory field missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := LookupProfile(c.profile)
			if err != nil {
				t.Fatal(err)
			}
			vs := build(c.edit).Validate(p)
			var all []string
			for _, v := range vs {
				all = append(all, v.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Errorf("violations %q do not include %q", all, c.want)
			}
		})
	}
	if _, err := LookupProfile("nope"); err == nil || !strings.Contains(err.Error(), "base, ebts, int-i") {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestWSQEndBeforeTables: a WSQ stream that ends (EOI) right after its start, before any
// table, is the codec's problem; the transaction layer passes the bytes on untouched.
func TestWSQEndBeforeTables(t *testing.T) {
	tr := sample(t)
	tr.Records[2].Data = []byte{0xff, 0xa0, 0xff, 0xa1}
	got, err := Decode(encode(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	im, err := got.Image(2)
	if err != nil || im.Format != "wsq" || !bytes.Equal(im.Data, []byte{0xff, 0xa0, 0xff, 0xa1}) {
		t.Errorf("image %v %v", im, err)
	}
}

func TestJPEG2000Codestream(t *testing.T) {
	tr := sample(t)
	tr.Records[3].SetString(999, "\xff\x4f\xff\x51rest")
	tr.Records[3].SetString(11, "JP2L")
	got, err := Decode(encode(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := got.Image(3)
	if im.Format != "j2k" || im.Compression != "JP2L" {
		t.Errorf("format %q, compression %q", im.Format, im.Compression)
	}
}

func TestType7(t *testing.T) {
	tr := sample(t)
	// A Type-7 in the shape of a Type-4: IDC 3, IMP 4, FGP 0 and five unused, ISR 0,
	// 4×2 pixels, uncompressed.
	r7, _ := NewRecord(7)
	r7.Header[0] = 3
	r7.Data = append([]byte{4, 0, 255, 255, 255, 255, 255, 0, 0, 4, 0, 2, 0}, 1, 2, 3, FS, GS, 6, 7, 8)
	tr.AddRecord(r7)
	// And one whose user-defined content is something else.
	other, _ := NewRecord(7)
	other.Header[0] = 4
	other.Data = []byte("vendor blob \x1c\x1d")
	tr.AddRecord(other)
	got, err := Decode(encode(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	im, err := got.Image(4)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 4 || im.Height != 2 || im.Format != "raw" || im.IDC != 3 || im.Impression != 4 ||
		!bytes.Equal(im.Data, []byte{1, 2, 3, FS, GS, 6, 7, 8}) || fmt.Sprint(im.Positions) != "[0]" {
		t.Errorf("Type-7 image %+v", *im)
	}
	if _, err := got.Image(5); err == nil || !strings.Contains(err.Error(), "record 5 (Type-7)") {
		t.Errorf("user-defined Type-7: %v", err)
	}
	if len(got.Images()) != 3 {
		t.Errorf("%d images", len(got.Images()))
	}
}

func TestTrailingGroupSeparatorKept(t *testing.T) {
	// Some writers end a record with GS FS; LEN counts both, and encode keeps them.
	rec := "1.001:45\x1d1.002:0400\x1d1.003:1\x1f0\x1d1.004:X\x1d\x1c"
	rec = strings.Replace(rec, "45", strconv.Itoa(len(rec)), 1)
	tr, err := Decode([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	if out := encode(t, tr); string(out) != rec {
		t.Errorf("%q became %q", rec, out)
	}
	// Leading zeros in LEN and short tags stay as written, also after an edit.
	rec = "1.01:00031\x1d1.02:0300\x1d1.03:1\x1f00\x1c"
	tr, err = Decode([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	if out := encode(t, tr); string(out) != rec {
		t.Errorf("%q became %q", rec, out)
	}
	tr.Records[0].SetString(4, "CAR")
	out := encode(t, tr)
	if want := "1.01:00041\x1d1.02:0300\x1d1.03:1\x1f00\x1d1.004:CAR\x1c"; string(out) != want {
		t.Errorf("after edit %q, want %q", out, want)
	}
}

func TestEncodeRefusesBrokenRecords(t *testing.T) {
	r := tagged(t, 2, "2:00")
	r.Fields = append(r.Fields, &Field{Tag: "2.003", Type: 2, Number: 3, Value: []byte("a\x1db")})
	if _, err := r.Encode(); err == nil || !strings.Contains(err.Error(), "group separator") {
		t.Errorf("GS in text: %v", err)
	}
	r = tagged(t, 14, "2:00", "999:data")
	r.Fields = append(r.Fields, &Field{Tag: "14.020", Type: 14, Number: 20, Value: []byte("x")})
	if _, err := r.Encode(); err == nil || !strings.Contains(err.Error(), "last field") {
		t.Errorf("field after 999: %v", err)
	}
	b, _ := NewRecord(4)
	b.Header = b.Header[:3]
	if _, err := b.Encode(); err == nil {
		t.Error("short binary header encoded")
	}
	if _, err := NewRecord(100); err == nil {
		t.Error("Type-100 made")
	}
}

func TestM1Errors(t *testing.T) {
	m1 := func(nom, fmd string) *Record {
		return tagged(t, 9, "2:01", "3:0", "4:U", "126:27\x1f513\x1fx", "127:APPF\x1f7", "128:500", "129:500", "130:1",
			"131:500", "132:500", "133:0", "134:02", "135:60\x1f0\x1f1", "136:"+nom, "137:"+fmd)
	}
	good := m1("2", "1\x1f10\x1f20\x1f90\x1f1\x1f50\x1e2\x1f30\x1f40\x1f0\x1f2\x1f60")
	tpl, err := good.M1Template()
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Minutiae) != 2 || tpl.Resolution != 500 || tpl.Position != 2 || tpl.Quality != 60 ||
		tpl.Minutiae[0].X != 10 || tpl.Minutiae[1].Type != 2 {
		t.Errorf("template %+v", tpl)
	}
	rec, _ := good.M1Record()
	if rec.Equipment != 0x8007 || rec.XResolution != 197 {
		t.Errorf("record equipment %#x, resolution %d", rec.Equipment, rec.XResolution)
	}
	for _, c := range []struct{ nom, fmd, want string }{
		{"3", "1\x1f10\x1f20\x1f90\x1f1\x1f50", "9.137 (FMD): 1 minutiae, but 9.136 NOM says 3"},
		{"1", "1\x1f10\x1f20", "9.137 (FMD): minutia 1: 3 items, need 6"},
		{"1", "1\x1f10\x1f20\x1f200\x1f1\x1f50", "item 4 \"200\" is not a number 0–179"},
		{"1", "1\x1f10\x1f-20\x1f20\x1f1\x1f50", "item 3 \"-20\""},
		{"x", "1\x1f10\x1f20\x1f20\x1f1\x1f50", "9.136 (NOM): \"x\" is not a number"},
		{"999", "", "9.136 (NOM): \"999\" is not a number 0–255"},
	} {
		_, err := m1(c.nom, c.fmd).M1Bytes()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NOM %q FMD %q: %v, want %q", c.nom, c.fmd, err, c.want)
		}
	}
	if _, err := tagged(t, 9, "2:01").M1Bytes(); err == nil {
		t.Error("M1 from a record without one")
	}
	// Validate turns the same problem into a violation of the field.
	tr := sample(t)
	tr.AddRecord(m1("2", "1\x1f10\x1f20\x1f90\x1f1\x1f50"))
	got, _ := Decode(encode(t, tr))
	found := false
	for _, v := range got.Validate(nil) {
		found = found || strings.Contains(v.String(), "record 4 (Type-9), field 9.137 FMD: 1 minutiae")
	}
	if !found {
		t.Errorf("violation missing: %v", got.Validate(nil))
	}
}

func TestLegacyMinutiaeErrors(t *testing.T) {
	r := tagged(t, 9, "2:01", "3:0", "4:S", "10:2", "12:001\x1f01000200090\x1f00\x1fA\x1e002\x1f0100")
	if _, err := r.LegacyMinutiae(); err == nil || !strings.Contains(err.Error(), "9.012") || !strings.Contains(err.Error(), "minutia 2") {
		t.Errorf("short position: %v", err)
	}
	r = tagged(t, 9, "2:01", "3:0", "4:S", "12:001\x1f01000200090\x1f00\x1fA\x1f012,03")
	ms, err := r.LegacyMinutiae()
	if err != nil || len(ms) != 1 || ms[0].X != 100 || ms[0].Y != 200 || ms[0].Theta != 90 || ms[0].Type != "A" || ms[0].RidgeCounts[0] != "012,03" {
		t.Errorf("%+v %v", ms, err)
	}
}

func TestDNAAndCBEFF(t *testing.T) {
	r := tagged(t, 18, "2:01", "3:1\x1fLAB", "4:SRC", "10:0", "13:20240101", "16:1\x1fD8S1179\x1f1\x1f12\x1f14\x1e1\x1fTH01\x1f1\x1f9.3\x1f9.3")
	d, err := r.DNA()
	if err != nil || len(d.STR) != 2 || d.STR[0][1] != "D8S1179" || d.STR[1][3] != "9.3" || d.CollectionDate != "20240101" {
		t.Errorf("%+v %v", d, err)
	}
	c := tagged(t, 99, "2:01", "4:SRC", "100:0101", "101:00000008", "103:0101", "104:0501", "999:\x00\x1c\x1d")
	cb, err := c.CBEFF()
	if err != nil || cb.BioType != "00000008" || !bytes.Equal(cb.BDB, []byte{0, FS, GS}) {
		t.Errorf("%+v %v", cb, err)
	}
	if _, err := c.DNA(); err == nil {
		t.Error("DNA of a Type-99")
	}
}

func TestTextEncodings(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		enc  Encoding
		want string
	}{
		{[]byte("caf\xe9"), Latin1, "café"},
		{[]byte{0, 'h', 0x83, 0xef}, UTF16, "h華"},
		{[]byte{0, 0, 0x83, 0xef}, UTF32, "華"},
		{[]byte("華"), UTF8, "華"},
		{[]byte("a\xffb"), ASCII, "a\uFFFDb"},
	} {
		if got := DecodeText(c.in, c.enc); got != c.want {
			t.Errorf("%v %q: %q, want %q", c.enc, c.in, got, c.want)
		}
	}
}

func ExampleDecode() {
	// A transaction holding only its Type-1 record.
	tr, err := Decode([]byte("1.001:55\x1d1.002:0500\x1d1.003:1\x1f0\x1d1.004:CAR\x1d1.005:20240131\x1c"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.Version(), tr.TOT(), tr.DAT(), len(tr.Records))
	// Output: 0500 CAR 20240131 1
}

// TestTaggedBinaryType: a record that CNT does not list, written as "7.001:..." — binary
// types cannot be tagged (found by FuzzDecode).
func TestTaggedBinaryType(t *testing.T) {
	b := encode(t, sample(t))
	extra := "7.001:14\x1d7.002:1\x1c"
	_, err := Decode(append(b, extra...))
	if err == nil || !strings.Contains(err.Error(), "Type-7 records are binary") {
		t.Errorf("%v", err)
	}
}

// TestDeclaredFormatIsNotTrusted: the bytes decide where an image goes. Other readers
// hand JPEG 2000 data declared (or assumed) WSQ to their WSQ decoder and fail there
// (JNBIS #35); a Type-7 read as Type-4 with lengths taken on faith reads past its
// buffer (JET #4).
func TestDeclaredFormatIsNotTrusted(t *testing.T) {
	tr := sample(t)
	tr.Records[3].SetString(11, "WSQ20")
	tr.Records[2].Data = []byte("\x00\x00\x00\x0cjP  \r\n\x87\n....") // a Type-4 declaring WSQ
	r7, _ := NewRecord(7)
	r7.Header[0] = 9
	r7.Data = []byte{1, 2, 3, 4, 5} // shorter than a Type-4 header
	tr.AddRecord(r7)
	r7b, _ := NewRecord(7)
	r7b.Header[0] = 10
	// Type-4 shaped, uncompressed, claims 65535×65535 pixels but holds 3 bytes.
	r7b.Data = []byte{0, 1, 255, 255, 255, 255, 255, 0, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3}
	tr.AddRecord(r7b)
	got, err := Decode(encode(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]string{2: "jp2", 3: "jp2"} {
		if im, err := got.Image(i); err != nil || im.Format != want {
			t.Errorf("record %d: %v %v", i, im, err)
		}
	}
	for _, i := range []int{4, 5} {
		if _, err := got.Image(i); err == nil {
			t.Errorf("record %d: user-defined Type-7 read as an image", i)
		}
	}
	got.Validate(Profiles["ebts"])
}

func TestLegacyCountMismatch(t *testing.T) {
	r := tagged(t, 9, "2:01", "3:0", "4:S", "10:5", "12:001\x1f01000200090\x1f00\x1fA")
	if _, err := r.LegacyMinutiae(); err == nil || !strings.Contains(err.Error(), "1 minutiae, but 9.010 says \"5\"") {
		t.Errorf("%v", err)
	}
	tr := sample(t)
	tr.AddRecord(r)
	got, _ := Decode(encode(t, tr))
	if _, err := got.LegacyTemplate(4); err == nil || !strings.Contains(err.Error(), "record 4 (Type-9)") {
		t.Errorf("LegacyTemplate: %v", err)
	}
	// With a matching count it converts, placed on the image of the same IDC, the Type-4
	// (19.69 px/mm from ISR 1 and the NSR): y is measured from that image's bottom edge.
	r.SetString(10, "1")
	got, _ = Decode(encode(t, tr))
	tpl, err := got.LegacyTemplate(4)
	if err != nil {
		t.Fatal(err)
	}
	// 1.00 mm, 2.00 mm from the bottom of a 48-pixel image at 500 ppi.
	m := tpl.Minutiae[0]
	if m.X != 20 || m.Y != 48-39 || m.Type != 1 || math.Abs(m.Direction-3*math.Pi/2) > 1e-9 {
		t.Errorf("minutia %+v in %d×%d", m, tpl.Width, tpl.Height)
	}
}

func TestNewTransactionAndUpdateCNT(t *testing.T) {
	tr := NewTransaction("0502")
	for num, v := range map[int]string{FieldTOT: "CAR", FieldDAT: "20240131", FieldDAI: "D", FieldORI: "O",
		FieldTCN: "T", FieldNSR: "19.69", FieldNTR: "19.69"} {
		tr.Header().SetString(num, v)
	}
	tr.AddRecord(tagged(t, 2, "2:00"))
	r4, err := NewImageRecord(4, Type4Header{IDC: 1, Impression: 1, Positions: [6]int{3, 255, 255, 255, 255, 255},
		ScanRes: 1, Width: 2, Height: 2, Compression: 0}, []byte{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	tr.AddRecord(r4)
	r7, _ := NewImageRecord(7, Type4Header{IDC: 2, Positions: [6]int{0, 255, 255, 255, 255, 255}, Width: 1, Height: 1}, []byte{9})
	tr.AddRecord(r7)
	if _, err := NewImageRecord(4, Type4Header{Width: 70000}, nil); err == nil {
		t.Error("HLL 70000 accepted")
	}
	got, err := Decode(encode(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	if vs := got.Validate(nil); len(vs) != 0 {
		t.Errorf("%v", vs)
	}
	if h, ok := got.Records[3].Type7Header(); !ok || h.IDC != 2 || h.Width != 1 {
		t.Errorf("Type-7 header %+v %v", h, ok)
	}
	// Change an IDC behind CNT's back: Validate notices, UpdateCNT repairs.
	got.Records[2].Header[0] = 5
	if vs := got.Validate(nil); len(vs) != 1 || !strings.Contains(vs[0].String(), "lists IDC 1 but record 2 (Type-4) has IDC 5") {
		t.Errorf("%v", vs)
	}
	if err := got.UpdateCNT(); err != nil {
		t.Fatal(err)
	}
	if cnt := got.Header().Get(FieldCNT); cnt != "1\x1f3\x1e2\x1f00\x1e4\x1f05\x1e7\x1f02" {
		t.Errorf("CNT %q", cnt)
	}
	if vs := got.Validate(nil); len(vs) != 0 {
		t.Errorf("%v", vs)
	}
}
