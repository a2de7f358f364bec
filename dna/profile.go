package dna

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Genotype is the allele set typed at one locus, sorted and without repeats: a
// homozygote 12,12 is held as [12].
type Genotype struct {
	Locus   Locus
	Alleles []Allele
}

// Homozygous reports whether the genotype shows one allele.
func (g Genotype) Homozygous() bool { return len(g.Alleles) == 1 }

// FullyDesignated reports whether every allele is a sized regular allele (no wildcard,
// no off-ladder): the Prüm notion of a fully designated locus.
func (g Genotype) FullyDesignated() bool {
	if len(g.Alleles) == 0 {
		return false
	}
	for _, a := range g.Alleles {
		if !a.Designated() {
			return false
		}
	}
	return true
}

func (g Genotype) String() string { return g.Locus.String() + "=" + g.AllelesString() }

// AllelesString writes the alleles as "12,13" (a homozygote autosomal call as "12,12").
func (g Genotype) AllelesString() string {
	s := make([]string, len(g.Alleles))
	for i, a := range g.Alleles {
		s[i] = a.String()
	}
	if len(s) == 1 && g.Locus.Kind() == Autosomal {
		s = append(s, s[0])
	}
	return strings.Join(s, ",")
}

// Profile is one DNA sample's typing: autosomal STR genotypes or a Y-STR haplotype.
// Loci are sorted by Locus and unique. A single-source profile has at most
// Locus.Copies alleles per locus; a mixture may have more.
type Profile struct {
	ID      string
	Kind    Kind
	Mixture bool
	Loci    []Genotype
}

// Genotype returns the genotype at locus l.
func (p *Profile) Genotype(l Locus) (Genotype, bool) {
	i, ok := slices.BinarySearchFunc(p.Loci, l, func(g Genotype, l Locus) int { return int(g.Locus) - int(l) })
	if !ok {
		return Genotype{}, false
	}
	return p.Loci[i], true
}

// Counted returns the number of loci that count for search and statistics (every locus
// but Amelogenin).
func (p *Profile) Counted() int {
	n := 0
	for _, g := range p.Loci {
		if !g.Locus.IsSex() {
			n++
		}
	}
	return n
}

// FullyDesignated returns the number of fully designated counted loci.
func (p *Profile) FullyDesignated() int {
	n := 0
	for _, g := range p.Loci {
		if !g.Locus.IsSex() && g.FullyDesignated() {
			n++
		}
	}
	return n
}

// Sex returns "XY", "X" or "" from Amelogenin.
func (p *Profile) Sex() string {
	g, ok := p.Genotype(MustLocus("AMEL"))
	if !ok {
		return ""
	}
	s := ""
	for _, a := range g.Alleles {
		s += a.String()
	}
	return s
}

// ProfileBuilder collects genotypes and checks them when the profile is built, so that
// every importer applies the same rules.
type ProfileBuilder struct {
	p    Profile
	seen map[Locus]bool
}

// NewProfileBuilder starts a profile.
func NewProfileBuilder(id string, kind Kind, mixture bool) *ProfileBuilder {
	return &ProfileBuilder{p: Profile{ID: id, Kind: kind, Mixture: mixture}, seen: map[Locus]bool{}}
}

// Add adds alleles at a locus. Alleles at a locus may come in several calls (LOCUS_1,
// LOCUS_2 columns); they are merged.
func (b *ProfileBuilder) Add(l Locus, alleles ...Allele) error {
	if !l.valid() {
		return fmt.Errorf("invalid locus %d", l)
	}
	if !l.IsSex() && l.Kind() != b.p.Kind {
		return fmt.Errorf("locus %s is %s, profile is %s", l, l.Kind(), b.p.Kind)
	}
	for _, a := range alleles {
		if a == noAllele {
			return fmt.Errorf("locus %s: empty allele", l)
		}
		isXY := a == AlleleX || a == AlleleY
		if l.IsSex() != isXY {
			if l.IsSex() {
				return fmt.Errorf("locus %s: allele %s is not X or Y", l, a)
			}
			return fmt.Errorf("locus %s: allele %s is only valid at Amelogenin", l, a)
		}
	}
	i, ok := slices.BinarySearchFunc(b.p.Loci, l, func(g Genotype, l Locus) int { return int(g.Locus) - int(l) })
	if !ok {
		b.p.Loci = slices.Insert(b.p.Loci, i, Genotype{Locus: l})
	}
	g := &b.p.Loci[i]
	for _, a := range alleles {
		if j, found := slices.BinarySearch(g.Alleles, a); !found {
			g.Alleles = slices.Insert(g.Alleles, j, a)
		}
	}
	if !b.p.Mixture && len(g.Alleles) > l.Copies() {
		return fmt.Errorf("%d alleles in a single-source profile (at most %d; mark the profile as a mixture)", len(g.Alleles), l.Copies())
	}
	return nil
}

// ErrEmptyProfile is returned for a profile without any counted locus.
var ErrEmptyProfile = errors.New("profile has no typed locus")

// Build checks the profile and returns it: at least one counted locus, and for a
// single-source profile no more alleles per locus than the locus has copies.
func (b *ProfileBuilder) Build() (*Profile, error) {
	p := b.p
	// Drop loci that received no allele (empty cells).
	out := p.Loci[:0]
	for _, g := range p.Loci {
		if len(g.Alleles) > 0 {
			out = append(out, g)
		}
	}
	p.Loci = out
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks the invariants Build establishes; use it on profiles built by hand.
func (p *Profile) Validate() error {
	if !utf8.ValidString(p.ID) || strings.ContainsFunc(p.ID, unicode.IsControl) {
		return fmt.Errorf("profile ID %q is not printable UTF-8", p.ID)
	}
	for _, g := range p.Loci {
		if !g.Locus.valid() {
			return fmt.Errorf("invalid locus %d", g.Locus)
		}
	}
	if p.Counted() == 0 {
		return ErrEmptyProfile
	}
	for i, g := range p.Loci {
		if i > 0 && p.Loci[i-1].Locus >= g.Locus {
			return fmt.Errorf("loci not sorted or repeated at %s", g.Locus)
		}
		if !g.Locus.IsSex() && g.Locus.Kind() != p.Kind {
			return fmt.Errorf("locus %s is %s, profile is %s", g.Locus, g.Locus.Kind(), p.Kind)
		}
		if len(g.Alleles) == 0 {
			return fmt.Errorf("locus %s: no allele", g.Locus)
		}
		for _, a := range g.Alleles {
			if !a.valid() {
				return fmt.Errorf("locus %s: invalid allele %#x", g.Locus, uint16(a))
			}
			if (a == AlleleX || a == AlleleY) != g.Locus.IsSex() {
				return fmt.Errorf("locus %s: allele %s not allowed", g.Locus, a)
			}
		}
		if !slices.IsSorted(g.Alleles) || len(slices.Compact(slices.Clone(g.Alleles))) != len(g.Alleles) {
			return fmt.Errorf("locus %s: alleles not sorted or repeated", g.Locus)
		}
		if !p.Mixture && len(g.Alleles) > g.Locus.Copies() {
			return fmt.Errorf("locus %s: %d alleles in a single-source profile (at most %d; mark the profile as a mixture)",
				g.Locus, len(g.Alleles), g.Locus.Copies())
		}
	}
	return nil
}

// String writes the profile compactly: ID [kind] LOCUS=a,b ...
func (p *Profile) String() string {
	var b strings.Builder
	b.WriteString(p.ID)
	if p.Kind == YSTR {
		b.WriteString(" [ystr]")
	}
	if p.Mixture {
		b.WriteString(" [mixture]")
	}
	for _, g := range p.Loci {
		b.WriteByte(' ')
		b.WriteString(g.String())
	}
	return b.String()
}

// binaryVersion is the first byte of MarshalBinary's output.
const binaryVersion = 1

// MarshalBinary encodes the profile: version, kind, flags, ID, then per locus the
// locus's canonical name (so that the registry may grow without breaking stored
// profiles), allele count and alleles.
func (p *Profile) MarshalBinary() ([]byte, error) {
	b := []byte{binaryVersion, byte(p.Kind), 0}
	if p.Mixture {
		b[2] = 1
	}
	b = binary.AppendUvarint(b, uint64(len(p.ID)))
	b = append(b, p.ID...)
	b = binary.AppendUvarint(b, uint64(len(p.Loci)))
	for _, g := range p.Loci {
		name := g.Locus.String()
		b = append(b, byte(len(name)))
		b = append(b, name...)
		b = binary.AppendUvarint(b, uint64(len(g.Alleles)))
		for _, a := range g.Alleles {
			b = binary.BigEndian.AppendUint16(b, uint16(a))
		}
	}
	return b, nil
}

// UnmarshalBinary decodes MarshalBinary's output and validates it.
func (p *Profile) UnmarshalBinary(data []byte) error {
	bad := func(why string) error { return fmt.Errorf("dna profile encoding: %s", why) }
	if len(data) < 3 {
		return bad("truncated header")
	}
	if data[0] != binaryVersion {
		return bad(fmt.Sprintf("unsupported version %d", data[0]))
	}
	if data[1] > byte(YSTR) || data[2] > 1 {
		return bad("bad kind or flags")
	}
	b := NewProfileBuilder("", Kind(data[1]), data[2] == 1)
	rest := data[3:]
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return 0, false
		}
		rest = rest[n:]
		return v, true
	}
	n, ok := uv()
	if !ok || n > uint64(len(rest)) {
		return bad("bad ID length")
	}
	b.p.ID = string(rest[:n])
	rest = rest[n:]
	nl, ok := uv()
	if !ok || nl > uint64(len(rest)) {
		return bad("bad locus count")
	}
	for range nl {
		if len(rest) < 1 || int(rest[0]) > len(rest)-1 {
			return bad("truncated locus name")
		}
		name := string(rest[1 : 1+rest[0]])
		rest = rest[1+int(rest[0]):]
		l, err := LookupLocus(name)
		if err != nil {
			return bad(err.Error())
		}
		na, ok := uv()
		if !ok || na*2 > uint64(len(rest)) {
			return bad("truncated alleles at " + name)
		}
		al := make([]Allele, na)
		for j := range al {
			al[j] = Allele(binary.BigEndian.Uint16(rest))
			rest = rest[2:]
			if _, err := ParseAllele(al[j].String()); err != nil || al[j] == noAllele {
				return bad("bad allele at " + name)
			}
		}
		if err := b.Add(l, al...); err != nil {
			return bad(err.Error())
		}
	}
	if len(rest) != 0 {
		return bad("trailing bytes")
	}
	q, err := b.Build()
	if err != nil {
		return bad(err.Error())
	}
	*p = *q
	return nil
}
