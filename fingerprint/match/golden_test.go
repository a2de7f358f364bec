package match

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
)

// scoresDigest is the SHA-256 of the raw scores, as float64 bits, of 10 synthetic probes
// against 400 impostor candidates (from synthImpostors) and of 100 synthetic genuine pairs,
// through the compact and the stored (codec, 65536ths of a turn) candidate forms. A change
// meant to make the comparator faster must leave it as it is; a change of what the
// comparator computes changes it on purpose (and must then be measured on FVC again).
const scoresDigest = "c268bd0fb8dcd40fb72554aa835eb0b1672b747b5cb3944ca23103c4e2ac73a3"

// TestScoresUnchanged guards the comparator's scores bit for bit. Float arithmetic is only
// reproducible bit for bit where the compiler fuses no multiply-add, so it runs on amd64.
func TestScoresUnchanged(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the digest is of amd64 arithmetic (other architectures fuse multiply-adds)")
	}
	h := sha256.New()
	put := func(v float64) { h.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))) }
	probes, cands := synthImpostors()
	for _, p := range probes[:10] {
		for _, c := range cands[:400] {
			put(p.CompareRaw(c))
		}
	}
	for k := range 100 {
		m := synthtpl.Finger(7, k, 1+k%10, nil)
		p := Prepare(synthtpl.Impression(m, 7, 1, nil))
		c := NewCandidate(synthtpl.Impression(m, 7, 0, nil))
		b, _ := c.MarshalBinary()
		var stored Candidate
		if err := stored.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		tpl := roundTripTemplate(t, synthtpl.Impression(m, 7, 0, nil))
		put(p.CompareRaw(c))
		put(p.CompareRaw(NewCandidate(tpl)))
		put(p.CompareRaw(&stored))
	}
	got := fmt.Sprintf("%x", h.Sum(nil))
	if got != scoresDigest {
		t.Fatalf("scores digest %s, want %s: the comparator's scores changed", got, scoresDigest)
	}
}

// roundTripTemplate returns t through the native template codec (directions in 1/16384
// turn, as a node stores them).
func roundTripTemplate(tb testing.TB, t *fingerprint.Template) *fingerprint.Template {
	b, err := t.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	var s fingerprint.Template
	if err := s.UnmarshalBinary(b); err != nil {
		tb.Fatal(err)
	}
	return &s
}
