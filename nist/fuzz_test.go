package nist

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The seeds are built here, never taken from the shared data, so that no crasher the
// fuzzer writes under testdata/ can hold bytes of those files.

// FuzzDecode: Decode never panics; whatever it accepts encodes back to exactly the input
// and decodes again to the same; the accessors and Validate never panic on it.
func FuzzDecode(f *testing.F) {
	f.Add(encode(f, sample(f)))
	f.Add([]byte("1.001:55\x1d1.002:0500\x1d1.003:1\x1f0\x1d1.004:CAR\x1d1.005:20240131\x1c"))
	f.Add([]byte("1.01:00031\x1d1.02:0300\x1d1.03:1\x1f00\x1c"))
	m1 := sample(f)
	m1.AddRecord(tagged(f, 9, "2:01", "3:0", "4:U", "126:27\x1f513\x1fx", "127:APPF\x1f7", "128:500", "129:500", "130:1",
		"131:500", "132:500", "133:0", "134:02", "135:60\x1f0\x1f1", "136:1", "137:1\x1f10\x1f20\x1f90\x1f1\x1f50",
		"12:001\x1f01000200090\x1f00\x1fA"))
	f.Add(encode(f, m1))
	more := sample(f)
	r7, _ := NewRecord(7)
	r7.Header[0] = 3
	r7.Data = []byte{4, 0, 255, 255, 255, 255, 255, 0, 0, 2, 0, 2, 0, 1, 2, 3, 4}
	more.AddRecord(r7)
	r8, _ := NewRecord(8)
	copy(r8.Header, []byte{4, 0, 0, 1, 0, 8, 0, 2})
	r8.Data = []byte{0xff, 0x00}
	more.AddRecord(r8)
	more.AddRecord(tagged(f, 18, "2:05", "3:1\x1fLAB", "4:SRC", "16:1\x1fD8S1179\x1f1\x1f12\x1f14"))
	more.AddRecord(tagged(f, 99, "2:06", "4:SRC", "100:0101", "101:00000008", "103:0101", "104:0501", "999:\x00\x1c"))
	f.Add(encode(f, more))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Decode(b)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		out, err := tr.Encode()
		if err != nil {
			t.Fatalf("decoded but does not encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip changed the bytes:\n%q\n%q", b, out)
		}
		tr2, err := Decode(out)
		if err != nil || len(tr2.Records) != len(tr.Records) {
			t.Fatalf("re-decode: %v", err)
		}
		tr.Validate(nil)
		tr.Validate(Profiles["ebts"])
		tr.Validate(Profiles["int-i"])
		tr.Images()
		tr.Person(Profiles["ebts"])
		for _, r := range tr.Records {
			r.M1Template()
			r.LegacyMinutiae()
			r.DNA()
			r.CBEFF()
		}
	})
}

// BenchmarkDecodeTenprint parses type-4-tpcard.an2 (Type-1, Type-2, 14 WSQ Type-4
// records) and reads every image's description.
func BenchmarkDecodeTenprint(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(referenceDir(b), "type-4-tpcard.an2"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		tr, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(tr.Images()); n != 14 {
			b.Fatalf("%d images", n)
		}
	}
}

// BenchmarkEncodeTenprint encodes the decoded type-4-tpcard.an2.
func BenchmarkEncodeTenprint(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(referenceDir(b), "type-4-tpcard.an2"))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}
