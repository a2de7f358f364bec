package dna

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
)

// Sampler draws random genotypes from a frequency table under Hardy–Weinberg and linkage
// equilibrium, for simulation and benchmarks.
type Sampler struct {
	Table *Table
	loci  []Locus
	cum   [][]float64
	vals  [][]Allele
}

// NewSampler returns a sampler over the given loci (all loci of t when nil).
func NewSampler(t *Table, loci []Locus) (*Sampler, error) {
	if loci == nil {
		loci = t.Loci()
	}
	s := &Sampler{Table: t, loci: loci}
	for _, l := range loci {
		f, ok := t.Freq[l]
		if !ok {
			return nil, fmt.Errorf("table %s has no locus %s", t.Population, l)
		}
		as := make([]Allele, 0, len(f))
		for a, p := range f {
			if a.Designated() && p > 0 {
				as = append(as, a)
			}
		}
		slices.Sort(as)
		cum := make([]float64, len(as))
		acc := 0.0
		for i, a := range as {
			acc += f[a]
			cum[i] = acc
		}
		for i := range cum {
			cum[i] /= acc
		}
		s.cum = append(s.cum, cum)
		s.vals = append(s.vals, as)
	}
	return s, nil
}

// Loci returns the sampler's loci.
func (s *Sampler) Loci() []Locus { return s.loci }

func (s *Sampler) draw(rng *rand.Rand, k int) Allele {
	u := rng.Float64()
	i := sort.SearchFloat64s(s.cum[k], u)
	if i >= len(s.vals[k]) {
		i = len(s.vals[k]) - 1
	}
	return s.vals[k][i]
}

// Profile draws an unrelated person.
func (s *Sampler) Profile(rng *rand.Rand, id string) *Profile {
	p := &Profile{ID: id, Loci: make([]Genotype, 0, len(s.loci))}
	for k, l := range s.loci {
		p.Loci = append(p.Loci, genotypeOf(l, s.draw(rng, k), s.draw(rng, k)))
	}
	slices.SortFunc(p.Loci, func(a, b Genotype) int { return int(a.Locus) - int(b.Locus) })
	return p
}

func genotypeOf(l Locus, a, b Allele) Genotype {
	switch {
	case a == b:
		return Genotype{Locus: l, Alleles: []Allele{a}}
	case a < b:
		return Genotype{Locus: l, Alleles: []Allele{a, b}}
	}
	return Genotype{Locus: l, Alleles: []Allele{b, a}}
}

// transmit picks one of g's alleles at random and mutates it by the model.
func transmit(rng *rand.Rand, g Genotype, mut Mutation) Allele {
	a := g.Alleles[rng.IntN(len(g.Alleles))]
	if mut.Rate > 0 && rng.Float64() < mut.Rate {
		a = mutate(rng, a, mut)
	}
	return a
}

func mutate(rng *rand.Rand, a Allele, mut Mutation) Allele {
	k := 1
	for rng.Float64() < mut.Range {
		k++
	}
	d := 10 * k
	if rng.Float64() < 0.5 {
		d = -d
	}
	t := a.Tenths() + d
	if t <= 10 {
		t = a.Tenths() - d
	}
	if b, err := RegularAllele(t); err == nil {
		return b
	}
	return a
}

// Child returns a child of father and mother (either may be nil, in which case that
// parent is drawn from s) at the loci of s, transmissions mutating by mut.
func (s *Sampler) Child(rng *rand.Rand, id string, father, mother *Profile, mut Mutation) *Profile {
	if father == nil {
		father = s.Profile(rng, id+"-f")
	}
	if mother == nil {
		mother = s.Profile(rng, id+"-m")
	}
	c := &Profile{ID: id}
	for k, l := range s.loci {
		gf, okf := father.Genotype(l)
		gm, okm := mother.Genotype(l)
		var a, b Allele
		if okf && usable(gf) == "" {
			a = transmit(rng, gf, mut)
		} else {
			a = s.draw(rng, k)
		}
		if okm && usable(gm) == "" {
			b = transmit(rng, gm, mut)
		} else {
			b = s.draw(rng, k)
		}
		c.Loci = append(c.Loci, genotypeOf(l, a, b))
	}
	slices.SortFunc(c.Loci, func(a, b Genotype) int { return int(a.Locus) - int(b.Locus) })
	return c
}

// MutateOne returns a copy of p with one allele at one random locus changed by one
// repeat: a child carrying a single mutation, for testing that one inconsistent locus
// does not exclude.
func MutateOne(rng *rand.Rand, p *Profile) *Profile {
	q := &Profile{ID: p.ID, Kind: p.Kind, Mixture: p.Mixture, Loci: slices.Clone(p.Loci)}
	var idx []int
	for i, g := range q.Loci {
		if !g.Locus.IsSex() && usable(g) == "" {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return q
	}
	i := idx[rng.IntN(len(idx))]
	g := q.Loci[i]
	j := rng.IntN(len(g.Alleles))
	other := g.Alleles[len(g.Alleles)-1-j]
	a := mutate(rng, g.Alleles[j], Mutation{Rate: 1})
	q.Loci[i] = genotypeOf(g.Locus, a, other)
	return q
}

// Restrict returns p with only the given loci (and Amelogenin).
func Restrict(p *Profile, loci []Locus) *Profile {
	q := &Profile{ID: p.ID, Kind: p.Kind, Mixture: p.Mixture}
	for _, g := range p.Loci {
		if g.Locus.IsSex() || slices.Contains(loci, g.Locus) {
			q.Loci = append(q.Loci, g)
		}
	}
	return q
}
