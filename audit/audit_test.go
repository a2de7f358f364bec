package audit

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func chain(n int) []Entry {
	es := make([]Entry, n)
	prev := Genesis
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for i := range es {
		es[i] = Entry{Time: t0.Add(time.Duration(i) * time.Second), User: "u1", Org: "org1", Role: "analyst",
			Purpose: "screening", Action: "person.read", Target: fmt.Sprintf("P-%d", i), Result: "ok"}
		es[i].Seal(int64(i+1), prev)
		prev = es[i].Hash
	}
	return es
}

func TestVerifyDetectsTampering(t *testing.T) {
	if err := Verify(chain(10)); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	cases := map[string]struct {
		edit    func([]Entry) []Entry
		wantSeq int64
	}{
		"edited result": {func(e []Entry) []Entry { e[4].Result = "denied"; return e }, 5},
		"edited time":   {func(e []Entry) []Entry { e[2].Time = e[2].Time.Add(time.Nanosecond); return e }, 3},
		"deleted":       {func(e []Entry) []Entry { return append(e[:3], e[4:]...) }, 5},
		"reordered":     {func(e []Entry) []Entry { e[6], e[7] = e[7], e[6]; return e }, 8},
		"renumbered after delete": {func(e []Entry) []Entry {
			e = append(e[:3], e[4:]...)
			for i := range e {
				e[i].Seq = int64(i + 1)
			}
			return e
		}, 4},
		"first replaced": {func(e []Entry) []Entry { e[0].User = "u2"; return e }, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := Verify(c.edit(chain(10)))
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("tampering not detected: %v", err)
			}
			if ae.Seq != c.wantSeq {
				t.Errorf("break reported at %d, want %d: %v", ae.Seq, c.wantSeq, err)
			}
		})
	}
}

func TestFieldBoundaries(t *testing.T) {
	// Moving a character from one field to the next must change the hash.
	a := Entry{User: "ab", Org: "c"}
	b := Entry{User: "a", Org: "bc"}
	a.Seal(1, Genesis)
	b.Seal(1, Genesis)
	if string(a.Hash) == string(b.Hash) {
		t.Fatal("field boundaries are not part of the hash")
	}
}

func TestVerifierHead(t *testing.T) {
	es := chain(3)
	var v Verifier
	if v.Head() != "" {
		t.Fatal("head before any entry")
	}
	for i := range es {
		if err := v.Next(&es[i]); err != nil {
			t.Fatal(err)
		}
	}
	if v.Count() != 3 || len(v.Head()) != 64 {
		t.Fatalf("count %d head %q", v.Count(), v.Head())
	}
}
