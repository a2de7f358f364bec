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
			var d Candidate
			if err := d.UnmarshalBinary(b); err != nil {
				t.Fatalf("finger %d: %v", k, err)
			}
			p := Prepare(synthtpl.Impression(m, 3, 2, nil))
			if p.Compare(c) != p.Compare(&d) {
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
		var c Candidate
		if err := c.UnmarshalBinary(b); err != nil {
			return
		}
		probe.Compare(&c)
	})
}
