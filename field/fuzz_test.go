package field

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/store"
)

func samplePackage(persons int) *Package {
	p := &Package{ID: "WL-TEST", Device: "D-TEST", Org: "unit-a", Created: time.Unix(1_700_000_000, 0).UTC(), FPIR: 0.001}
	for i := range persons {
		ps := Person{Ref: "R-" + string(rune('A'+i%26)), Watch: watchLevels[1+i%3]}
		for f := range 2 {
			b, _ := synthtpl.Impression(synthtpl.Finger(3, i, f, nil), 3, 0, nil).MarshalBinary()
			ps.Fingers = append(ps.Fingers, Finger{Position: f + 1, Template: b})
		}
		p.Persons = append(p.Persons, ps)
	}
	return p
}

// FuzzPackageDecode feeds arbitrary bytes to the plaintext decoder: it must never panic or
// allocate beyond the input, and whatever it accepts must encode back to a package that
// decodes the same.
func FuzzPackageDecode(f *testing.F) {
	good, _ := samplePackage(3).MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)/2])
	prepared, _ := preparedPackage(3).MarshalBinary()
	f.Add(prepared)
	f.Add([]byte("BMWL\x02"))
	f.Add([]byte("BMWL\x01xx"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Package
		if err := p.UnmarshalBinary(b); err != nil {
			var fe FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FormatError", err)
			}
			return
		}
		again, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded package does not encode: %v", err)
		}
		var q Package
		if err := q.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded package does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalise(&p), normalise(&q)) {
			t.Fatal("round trip changed the package")
		}
	})
}

func normalise(p *Package) *Package {
	q := *p
	q.Persons, q.plain = nil, nil
	for _, ps := range p.Persons {
		ps.Fingers = append([]Finger{}, ps.Fingers...)
		for i := range ps.Fingers {
			ps.Fingers[i].Template = append([]byte{}, ps.Fingers[i].Template...)
			ps.Fingers[i].Prepared = append([]byte{}, ps.Fingers[i].Prepared...)
		}
		q.Persons = append(q.Persons, ps)
	}
	return &q
}

// preparedPackage is samplePackage with each person's first finger prepared (as a node
// sends it).
func preparedPackage(persons int) *Package {
	p := samplePackage(persons)
	if err := p.Prepare(1); err != nil {
		panic(err)
	}
	return p
}

// FuzzMatcher: whatever package the decoder accepts — templates and prepared forms of any
// bytes — makes a matcher or an error, and a matcher answers a check, never panicking.
func FuzzMatcher(f *testing.F) {
	good, _ := preparedPackage(3).MarshalBinary()
	f.Add(good)
	probe, _ := synthtpl.Impression(synthtpl.Finger(3, 1, 0, nil), 3, 1, nil).MarshalBinary()
	// A package whose prepared form is damaged, one byte at a time, in a few places.
	prep := func(p *Package) []byte { // the prepared form of the package's first person
		for _, g := range p.Persons[0].Fingers {
			if g.Prepared != nil {
				return g.Prepared
			}
		}
		panic("no prepared finger")
	}
	for _, at := range []int{0, 3, 4, 5, 12, 20, len(prep(preparedPackage(1))) - 1} {
		q := preparedPackage(1)
		prep(q)[at] ^= 0x41
		b, _ := q.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Package
		if p.UnmarshalBinary(b) != nil {
			return
		}
		m, err := NewMatcher(&p)
		if err != nil {
			return
		}
		for _, pos := range []int{0, 1, 2} {
			if _, err := m.Check([]Finger{{Position: pos, Template: probe}}); err != nil {
				t.Fatalf("check: %v", err)
			}
		}
		m.Close()
		if _, err := m.Check([]Finger{{Position: 1, Template: probe}}); !errors.Is(err, ErrClosed) {
			t.Fatalf("check after Close: %v", err)
		}
	})
}

// FuzzOpenPackage: a sealed package with any byte changed, or any input at all, is refused
// without panicking.
func FuzzOpenPackage(f *testing.F) {
	key := bytes.Repeat([]byte{1}, 32)
	sealed, err := SealPackage(samplePackage(2), key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, 10)
	f.Add(sealed, len(sealed)-1)
	f.Add([]byte("BMWP\x01\x02ab\x01c"), 0)
	f.Fuzz(func(t *testing.T, b []byte, flip int) {
		// Whatever opens must stop opening when any one bit changes. (Each fuzz worker
		// seals its own copy, with its own nonce, so the test cannot compare with sealed.)
		if _, err := OpenPackage(b, key); err != nil || len(b) == 0 {
			return
		}
		b = append([]byte(nil), b...)
		b[(flip%len(b)+len(b))%len(b)] ^= 1 << (uint(flip) % 8)
		if _, err := OpenPackage(b, key); err == nil {
			t.Fatalf("package with bit %d of byte %d flipped still opens", uint(flip)%8, (flip%len(b)+len(b))%len(b))
		}
	})
}

func TestPackageRoundTrip(t *testing.T) {
	p := samplePackage(30)
	key := make([]byte, 32)
	rand.Read(key)
	sealed, err := SealPackage(p, key)
	if err != nil {
		t.Fatal(err)
	}
	q, err := OpenPackage(sealed, key)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalise(p), normalise(q)) {
		t.Fatal("round trip changed the package")
	}
	other := make([]byte, 32)
	rand.Read(other)
	if _, err := OpenPackage(sealed, other); !errors.Is(err, ErrKey) {
		t.Fatalf("wrong key: %v", err)
	}
	// An envelope naming another package or device does not authenticate.
	swapped := bytes.Replace(sealed, []byte("D-TEST"), []byte("D-TESX"), 1)
	if _, err := OpenPackage(swapped, key); !errors.Is(err, ErrKey) {
		t.Fatalf("swapped device in the envelope: %v", err)
	}
	if _, err := (&Package{FPIR: 0.001, Persons: []Person{{Ref: "x", Watch: store.WatchLevel("boss")}}}).MarshalBinary(); err == nil {
		t.Fatal("unknown watch level encoded")
	}
}

func TestSealItem(t *testing.T) {
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	other, _ := ecdh.X25519().GenerateKey(rand.Reader)
	s, err := SealItem(priv.PublicKey(), "Q-1", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := OpenItem(priv, "Q-1", s); err != nil || string(b) != "hello" {
		t.Fatalf("open: %q %v", b, err)
	}
	if _, err := OpenItem(priv, "Q-2", s); err == nil {
		t.Fatal("opened under another client ID")
	}
	if _, err := OpenItem(other, "Q-1", s); err == nil {
		t.Fatal("opened with another node key")
	}
	s[len(s)-1] ^= 1
	if _, err := OpenItem(priv, "Q-1", s); err == nil {
		t.Fatal("altered item opened")
	}
}

// FuzzServeLine feeds arbitrary request lines to a resident kit holding a package: every
// line gets one JSON answer, an error or a result, and nothing panics.
func FuzzServeLine(f *testing.F) {
	kit, err := Open(f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	node, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if err := kit.SetDevice(Device{ID: "D-TEST", NodeKey: node.PublicKey().Bytes()}); err != nil {
		f.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	sealed, err := SealPackage(preparedPackage(3), key)
	if err != nil {
		f.Fatal(err)
	}
	if err := kit.Install(sealed, Lease{PackageID: "WL-TEST", Key: key, Expires: time.Now().Add(time.Hour)}); err != nil {
		f.Fatal(err)
	}
	srv := &Server{Kit: kit}
	defer srv.Close()
	probe, _ := synthtpl.Impression(synthtpl.Finger(3, 1, 1, nil), 3, 1, nil).MarshalBinary()
	good, _ := json.Marshal(Request{Op: "check", Fingers: []Finger{{Position: 2, Template: probe}}, NoQueue: true})
	f.Add(good)
	f.Add([]byte(`{"op":"status"}`))
	f.Add([]byte(`{"op":"sync"}`))
	f.Add([]byte(`{"fingers":[{"position":-1,"template":"Qk1GVA=="}],"no_queue":true}`))
	f.Add([]byte(`{"fingers":[{"position":0,"template":null}]}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, line []byte) {
		out := srv.Handle(context.Background(), line)
		var r Response
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("answer %q is not JSON: %v", out, err)
		}
		if r.Error == "" && r.Result == nil && r.Status == nil {
			t.Fatalf("answer %s: neither an error nor a result", out)
		}
		if r.Error != "" && r.Code == "" {
			t.Fatalf("answer %s: an error without a code", out)
		}
	})
}
