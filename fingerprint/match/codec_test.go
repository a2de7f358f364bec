package match

import (
	"errors"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
)

func TestCandidateRoundTrip(t *testing.T) {
	for k := range 50 {
		m := synthtpl.Finger(3, k, 1+k%10, nil)
		for _, tpl := range []*fingerprint.Template{m, synthtpl.Impression(m, 3, 1, nil)} {
			c := NewCandidate(tpl)
			b, _ := c.MarshalBinary()
			var d, e Candidate
			if err := d.UnmarshalBinary(b); err != nil {
				t.Fatalf("finger %d: %v", k, err)
			}
			if err := e.UnmarshalShared(b); err != nil {
				t.Fatalf("finger %d, shared: %v", k, err)
			}
			p := Prepare(synthtpl.Impression(m, 3, 2, nil))
			if p.Compare(c) != p.Compare(&d) || p.Compare(c) != p.Compare(&e) {
				t.Fatalf("finger %d: stored candidate scores differently", k)
			}
		}
	}
}

func TestCandidateStale(t *testing.T) {
	b, _ := NewCandidate(synthtpl.Finger(3, 1, 1, nil)).MarshalBinary()
	b[3]++
	var d Candidate
	if err := d.UnmarshalBinary(b); !errors.Is(err, ErrStaleCandidate) {
		t.Fatalf("other version: %v", err)
	}
}

// FuzzCandidate: whatever a damaged store holds, either UnmarshalBinary refuses it or the
// comparator runs on it without panicking.
func FuzzCandidate(f *testing.F) {
	for k := range 8 {
		b, _ := NewCandidate(synthtpl.Finger(9, k, 2, nil)).MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte("BMC\x01"))
	probe := Prepare(synthtpl.Finger(9, 0, 2, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c, d Candidate
		err, errShared := c.UnmarshalBinary(b), d.UnmarshalShared(b)
		if (err == nil) != (errShared == nil) {
			t.Fatalf("UnmarshalBinary: %v, UnmarshalShared: %v", err, errShared)
		}
		if err != nil {
			return
		}
		probe.Compare(&c)
		probe.Compare(&d)
	})
}

// The stored form's check of edge lengths works on squared integer lengths: an edge just
// shorter than params.minEdge is refused, one of exactly that length accepted.
func TestCandidateMinEdge(t *testing.T) {
	if edgeLength(minEdge2) < params.minEdge || edgeLength(minEdge2-1) >= params.minEdge {
		t.Fatalf("minEdge2 = %d: lengths %v and %v around minEdge %v", minEdge2, edgeLength(minEdge2-1), edgeLength(minEdge2), params.minEdge)
	}
	tpl := &fingerprint.Template{Resolution: fingerprint.DefaultResolution, Minutiae: []fingerprint.Minutia{
		{X: 100, Y: 100}, {X: 108, Y: 100}, {X: 100, Y: 140},
	}}
	b, _ := NewCandidate(tpl).MarshalBinary()
	var c Candidate
	if err := c.UnmarshalBinary(b); err != nil {
		t.Fatalf("edge of %v px: %v", params.minEdge, err)
	}
	// Move minutia 1 one pixel closer to minutia 0 (positions start at byte 4+candHeader).
	b[4+candHeader+4]--
	if err := c.UnmarshalBinary(b); err == nil {
		t.Fatal("an edge of 7 px was accepted")
	}
}
