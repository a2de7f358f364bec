package match

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Candidates are stored beside their templates (store.Sample.Prepared) so that a gallery of
// a million fingers loads without re-deriving each one. The stored form is the Candidate's
// byte slice behind a 4-byte tag: "BMC" and candidateVersion.
//
// candidateVersion must change whenever the layout or the way a Candidate is derived from a
// template changes; a stored candidate of another version is refused with ErrStaleCandidate
// and the caller derives a new one from the template.
const candidateVersion = 2

var candidateMagic = [3]byte{'B', 'M', 'C'}

// ErrStaleCandidate is returned for a stored candidate of another version.
var ErrStaleCandidate = errors.New("match: stored candidate of another version")

// MarshalBinary returns the stored form of the candidate.
func (c *Candidate) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, 4+len(c.b))
	out = append(out, candidateMagic[:]...)
	out = append(out, candidateVersion)
	return append(out, c.b...), nil
}

// UnmarshalBinary reads a stored candidate. It checks every invariant the comparator relies
// on (see the layout at candHeader), so that a damaged store yields an error here, never a
// panic or an out-of-range read in a comparison.
func (c *Candidate) UnmarshalBinary(data []byte) error {
	b, err := storedCandidate(data)
	if err != nil {
		return err
	}
	c.b = append([]byte(nil), b...)
	return nil
}

// UnmarshalShared is UnmarshalBinary without the copy: the candidate keeps data, which the
// caller must never change afterwards. A gallery loaded from the store uses it to save a
// copy (and an allocation) per finger.
func (c *Candidate) UnmarshalShared(data []byte) error {
	b, err := storedCandidate(data)
	if err != nil {
		return err
	}
	c.b = b[:len(b):len(b)]
	return nil
}

// storedCandidate checks a stored candidate and returns its Candidate bytes.
func storedCandidate(data []byte) ([]byte, error) {
	if len(data) < 4 || [3]byte(data[:3]) != candidateMagic {
		return nil, errors.New("match: not a stored candidate")
	}
	if data[3] != candidateVersion {
		return nil, fmt.Errorf("%w: version %d, this engine writes %d", ErrStaleCandidate, data[3], candidateVersion)
	}
	b := data[4:]
	if err := checkCandidate(b); err != nil {
		return nil, fmt.Errorf("match: stored candidate: %w", err)
	}
	return b, nil
}

// minEdge2 is the least squared length, in px², of an edge at least params.minEdge long
// (edgeLength is monotone), so that checkCandidate tests integers instead of taking roots.
var minEdge2 = func() int {
	d2 := 0
	for edgeLength(d2) < params.minEdge {
		d2++
	}
	return d2
}()

func checkCandidate(b []byte) error {
	if len(b) < candHeader {
		return fmt.Errorf("%d bytes, shorter than its %d-byte header", len(b), candHeader)
	}
	n, flags, h := int(b[candN]), b[candFlags], int(b[candH])
	switch {
	case n > params.maxMinutiae:
		return fmt.Errorf("%d minutiae, more than %d", n, params.maxMinutiae)
	case flags&^flagDir16 != 0:
		return fmt.Errorf("unknown flags %#x", flags)
	case h > n:
		return fmt.Errorf("hull of %d points for %d minutiae", h, n)
	}
	cx := math.Float32frombits(binary.LittleEndian.Uint32(b[candCX:]))
	cy := math.Float32frombits(binary.LittleEndian.Uint32(b[candCY:]))
	if isBad(cx) || isBad(cy) {
		return errors.New("centroid is not a finite number")
	}
	dirSize := 4
	if flags&flagDir16 != 0 {
		dirSize = 2
	}
	fixed := candHeader + n*(4+dirSize+2) + h
	if len(b) < fixed {
		return fmt.Errorf("%d bytes, shorter than the %d its %d minutiae need", len(b), fixed, n)
	}
	v := (&Candidate{b: b[:fixed]}).view() // the edge section is checked below
	v.to = b[fixed:]
	x := func(i int) int16 { return int16(binary.LittleEndian.Uint16(v.pos[4*i:])) }
	y := func(i int) int16 { return int16(binary.LittleEndian.Uint16(v.pos[4*i+2:])) }
	if dirSize == 4 {
		for i := range n {
			d := math.Float32frombits(binary.LittleEndian.Uint32(v.dir[4*i:]))
			if isBad(d) || d < 0 || d >= twoPi {
				return fmt.Errorf("minutia %d: direction %v outside [0, 2π)", i, d)
			}
		}
	}
	var seen [256 / 64]uint64 // n < 256
	for k, i := range v.byX {
		if int(i) >= n || seen[i/64]&(1<<(i%64)) != 0 {
			return errors.New("the order by x is not a permutation of the minutiae")
		}
		seen[i/64] |= 1 << (i % 64)
		if k > 0 && x(int(v.byX[k-1])) > x(int(i)) {
			return errors.New("the order by x is not sorted")
		}
	}
	edges := 0
	for i, d := range v.deg {
		if int(d) > params.neighbours {
			return fmt.Errorf("minutia %d: %d edges, more than %d", i, d, params.neighbours)
		}
		edges += int(d)
	}
	if len(v.to) != edges {
		return fmt.Errorf("%d edge bytes for %d edges", len(v.to), edges)
	}
	e := 0
	for i, d := range v.deg {
		for range d {
			j := int(v.to[e])
			e++
			if j >= n || j == i {
				return fmt.Errorf("minutia %d: edge to %d", i, j)
			}
			dx, dy := int(x(j))-int(x(i)), int(y(j))-int(y(i))
			d2 := dx*dx + dy*dy
			if dx < -maxEdgePx || dx > maxEdgePx || dy < -maxEdgePx || dy > maxEdgePx || d2 > maxEdgePx*maxEdgePx || d2 < minEdge2 {
				return fmt.Errorf("minutia %d: edge to %d of length %.1f px outside [%v, %d]", i, j, math.Sqrt(float64(d2)), params.minEdge, maxEdgePx)
			}
		}
	}
	for _, i := range v.hull {
		if int(i) >= n {
			return fmt.Errorf("hull point %d of %d minutiae", i, n)
		}
	}
	return nil
}

func isBad(f float32) bool { return math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) }
