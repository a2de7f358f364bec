package dna

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Relationship is a pairwise relationship by its IBD coefficients: k0, k1, k2 are the
// probabilities that the pair shares 0, 1 or 2 alleles identical by descent at a locus.
type Relationship struct {
	Name       string
	K0, K1, K2 float64
	// Meioses is the number of meioses between a parent and child (1) for relationships
	// that the mutation model applies to; 0 for others.
	Meioses int
}

// The relationships of the k0, k1, k2 method. Half siblings, grandparent–grandchild and
// uncle/aunt–nephew/niece have the same coefficients and cannot be told apart by
// unlinked autosomal markers.
var (
	ParentChild  = Relationship{Name: "parent-child", K1: 1, Meioses: 1}
	FullSiblings = Relationship{Name: "full-siblings", K0: 0.25, K1: 0.5, K2: 0.25}
	HalfSiblings = Relationship{Name: "half-siblings", K0: 0.5, K1: 0.5}
	Grandparent  = Relationship{Name: "grandparent", K0: 0.5, K1: 0.5}
	Avuncular    = Relationship{Name: "avuncular", K0: 0.5, K1: 0.5}
	FirstCousins = Relationship{Name: "first-cousins", K0: 0.75, K1: 0.25}
	Unrelated    = Relationship{Name: "unrelated", K0: 1}
	Identical    = Relationship{Name: "identical", K2: 1}
)

// Relationships lists the named relationships for lookup.
var Relationships = []Relationship{ParentChild, FullSiblings, HalfSiblings, Grandparent, Avuncular, FirstCousins, Identical}

// ParseRelationship reads a relationship name (parent-child, full-siblings, siblings,
// half-siblings, grandparent, avuncular, uncle, first-cousins, cousins).
func ParseRelationship(s string) (Relationship, error) {
	n := strings.ToLower(strings.NewReplacer("_", "-", " ", "-").Replace(strings.TrimSpace(s)))
	switch n {
	case "parent", "child", "duo", "paternity", "maternity", "parent-child", "father", "mother":
		return ParentChild, nil
	case "siblings", "sibling", "full-sibling", "full-siblings", "sibs", "full-sibs", "brother", "sister":
		return FullSiblings, nil
	case "half-siblings", "half-sibling", "half-sibs":
		return HalfSiblings, nil
	case "grandparent", "grandchild", "grandparent-grandchild":
		return Grandparent, nil
	case "avuncular", "uncle", "aunt", "nephew", "niece":
		return Avuncular, nil
	case "first-cousins", "cousins", "cousin", "first-cousin":
		return FirstCousins, nil
	case "identical", "twins", "same":
		return Identical, nil
	}
	return Relationship{}, fmt.Errorf("unknown relationship %q", s)
}

// Mutation is a stepwise mutation model for parent-to-child transmission: an allele is
// passed unchanged with probability 1 − Rate; otherwise it gains or loses k repeats
// (each direction half the time) with probability (1 − Range)·Range^(k−1). Changes by a
// fraction of a repeat (9.3 → 10) take the share Fraction of the mutation probability.
// The zero Mutation is no mutation: an inconsistent locus then excludes.
type Mutation struct {
	Rate     float64 // per meiosis and locus, typically 0.001–0.005
	Range    float64 // ratio of successive step probabilities, typically 0.1
	Fraction float64 // share of mutations that are not whole repeats, typically 0.01
}

// DefaultMutation is a rate of 0.002 per meiosis, range 0.1, 1 % of mutations fractional:
// the order of the rates reported for CODIS loci.
var DefaultMutation = Mutation{Rate: 0.002, Range: 0.1, Fraction: 0.01}

// P returns the probability that allele from is transmitted as to.
func (m Mutation) P(from, to Allele) float64 {
	if from == to {
		return 1 - m.Rate
	}
	if m.Rate == 0 || !from.Designated() || !to.Designated() {
		return 0
	}
	d := from.Tenths() - to.Tenths()
	if d < 0 {
		d = -d
	}
	share := 1 - m.Fraction
	steps := d / 10
	if d%10 != 0 {
		share = m.Fraction
		steps = d/10 + 1
	}
	return m.Rate * share * 0.5 * (1 - m.Range) * math.Pow(m.Range, float64(steps-1))
}

func (m Mutation) check() error {
	if math.IsNaN(m.Rate) || m.Rate < 0 || m.Rate > 0.5 || math.IsNaN(m.Range) || m.Range < 0 || m.Range >= 1 ||
		math.IsNaN(m.Fraction) || m.Fraction < 0 || m.Fraction > 1 {
		return fmt.Errorf("mutation model %+v out of range", m)
	}
	return nil
}

// KinshipOptions sets kinship computations. Theta is the coancestry coefficient of the
// sampling formula (Balding–Nichols) applied to every founder allele; Mutation applies
// to parent–child transmissions (duos and trios); Threshold is the LR above which the
// verdict supports the claimed relationship (0: 10,000), and below whose reciprocal it
// contradicts it.
type KinshipOptions struct {
	Theta     float64
	Mutation  Mutation
	Threshold float64
}

// DefaultKinshipOptions: θ = 0.01, DefaultMutation, threshold 10,000.
func DefaultKinshipOptions() KinshipOptions {
	return KinshipOptions{Theta: DefaultTheta, Mutation: DefaultMutation, Threshold: 1e4}
}

func (o KinshipOptions) check() error {
	if math.IsNaN(o.Theta) || o.Theta < 0 || o.Theta >= 0.5 {
		return fmt.Errorf("θ = %v out of range [0, 0.5)", o.Theta)
	}
	if math.IsNaN(o.Threshold) || o.Threshold < 0 {
		return fmt.Errorf("threshold %v out of range", o.Threshold)
	}
	return o.Mutation.check()
}

func (o KinshipOptions) threshold() float64 {
	if o.Threshold == 0 {
		return 1e4
	}
	return o.Threshold
}

// LocusLR is one locus's likelihood ratio.
type LocusLR struct {
	Locus Locus   `json:"locus"`
	A     string  `json:"a"`                // first person's genotype
	B     string  `json:"b"`                // second person's (the child's in a trio)
	M     string  `json:"mother,omitempty"` // the mother's, in a trio
	LR    float64 `json:"lr"`
	// Inconsistent: the genotypes cannot occur under the relationship without mutation.
	Inconsistent bool     `json:"inconsistent,omitempty"`
	Floored      []string `json:"floored,omitempty"`
}

// KinshipResult is a claimed relationship's likelihood ratio in one population: LR =
// P(genotypes | relationship) / P(genotypes | unrelated), the product over loci.
type KinshipResult struct {
	Relationship string    `json:"relationship"`
	Population   string    `json:"population"`
	Loci         []LocusLR `json:"loci"`
	LR           float64   `json:"lr"`
	Log10LR      float64   `json:"log10_lr"`
	Verbal       string    `json:"verbal"`
	Verdict      string    `json:"verdict"`
	Inconsistent int       `json:"inconsistent_loci"`
	Skipped      []string  `json:"skipped,omitempty"`
	Warnings     []string  `json:"warnings,omitempty"`
}

// Verbal returns the verbal equivalent of a likelihood ratio on the ENFSI scale, in
// favour of the first proposition (LR ≥ 1) or of the alternative (LR < 1).
func Verbal(lr float64) string {
	side := "support for the relationship"
	if lr < 1 {
		side = "support for unrelatedness"
		if lr > 0 {
			lr = 1 / lr
		} else {
			lr = math.Inf(1)
		}
	}
	switch {
	case lr < 2:
		return "no support either way"
	case lr < 10:
		return "weak " + side
	case lr < 100:
		return "moderate " + side
	case lr < 1000:
		return "moderately strong " + side
	case lr < 1e4:
		return "strong " + side
	case lr < 1e6:
		return "very strong " + side
	}
	return "extremely strong " + side
}

// alleleSampler draws founder alleles by the Balding–Nichols sampling formula: the
// next allele is a with probability (n_a·θ + (1−θ)·p_a) / (1 + (n−1)·θ) after n alleles
// of which n_a are a. With θ = 0 this is plain Hardy–Weinberg sampling.
type alleleSampler struct {
	t       *Table
	l       Locus
	theta   float64
	floored map[Allele]bool
}

func (s *alleleSampler) p(a Allele) float64 {
	f, floored, _ := s.t.Prob(s.l, a)
	if floored {
		s.floored[a] = true
	}
	return f
}

// seq returns the probability of drawing the alleles in order.
func (s *alleleSampler) seq(as ...Allele) float64 {
	pr := 1.0
	for i, a := range as {
		na := 0
		for _, b := range as[:i] {
			if b == a {
				na++
			}
		}
		pr *= (float64(na)*s.theta + (1-s.theta)*s.p(a)) / (1 + float64(i-1)*s.theta)
	}
	return pr
}

// orders returns the ordered allele pairs of an unordered genotype: (a,b) and (b,a) for
// a heterozygote, (a,a) once for a homozygote.
func orders(g []Allele) [][2]Allele {
	if len(g) == 1 {
		return [][2]Allele{{g[0], g[0]}}
	}
	return [][2]Allele{{g[0], g[1]}, {g[1], g[0]}}
}

// pairLR returns the locus LR of relationship rel for genotypes x and y.
//
//	P(x, y | rel) = k0·P(x,y | 0 IBD) + k1·P(x,y | 1 IBD) + k2·P(x,y | 2 IBD)
//	P(x,y | 0 IBD) = Σ orders of x and y of seq(x1, x2, y1, y2)
//	P(x,y | 1 IBD) = Σ orders of x, Σ t ∈ {x1, x2} ½ · Σ orders (y1 = t', y2) of y with
//	                 P(t → y1)·seq(x1, x2, y2)  (P(t → y1) = [t = y1] without mutation)
//	P(x,y | 2 IBD) = [x = y]·P(x)
//
// and LR = P(x, y | rel) / P(x, y | 0 IBD).
func pairLR(x, y []Allele, rel Relationship, s *alleleSampler, mut Mutation) (lr float64, inconsistent bool) {
	p0, p1, p2 := 0.0, 0.0, 0.0
	same := len(x) == len(y) && x[0] == y[0] && x[len(x)-1] == y[len(y)-1]
	for _, xo := range orders(x) {
		for _, yo := range orders(y) {
			p0 += s.seq(xo[0], xo[1], yo[0], yo[1])
		}
		if rel.K1 > 0 {
			for _, t := range xo {
				for _, yo := range orders(y) {
					tr := 0.0
					if rel.Meioses == 1 {
						tr = mut.P(t, yo[0])
					} else if t == yo[0] {
						tr = 1
					}
					if tr > 0 {
						p1 += 0.5 * tr * s.seq(xo[0], xo[1], yo[1])
					}
				}
			}
		}
		if rel.K2 > 0 && same {
			p2 += s.seq(xo[0], xo[1])
		}
	}
	num := rel.K0*p0 + rel.K1*p1 + rel.K2*p2
	if rel.Meioses == 1 {
		// Inconsistent when no allele of y could come from x unchanged.
		inconsistent = true
		for _, a := range y {
			for _, b := range x {
				if a == b {
					inconsistent = false
				}
			}
		}
	}
	return num / p0, inconsistent
}

// trioLR returns the paternity index at one locus for child c, mother m, alleged father
// f: P(m, f, c | f is the father) / P(m, f, c | a random man is), founders drawn by the
// sampling formula, both transmissions subject to mutation. Under the alternative the
// random man's transmitted allele is a fifth founder draw.
func trioLR(m, f, c []Allele, s *alleleSampler, mut Mutation) (lr float64, inconsistent bool) {
	h1, h2 := 0.0, 0.0
	for _, mo := range orders(m) {
		for _, fo := range orders(f) {
			base := s.seq(mo[0], mo[1], fo[0], fo[1])
			for _, co := range orders(c) { // co[0] from the mother, co[1] from the father
				pm := 0.5*mut.P(mo[0], co[0]) + 0.5*mut.P(mo[1], co[0])
				if pm == 0 {
					continue
				}
				pf := 0.5*mut.P(fo[0], co[1]) + 0.5*mut.P(fo[1], co[1])
				h1 += base * pm * pf
				h2 += pm * s.seq(mo[0], mo[1], fo[0], fo[1], co[1])
			}
		}
	}
	if h2 == 0 {
		// The child cannot be the mother's even with mutation: the trio is inconsistent
		// whoever the father is; report LR 1 for the locus and flag it.
		return 1, true
	}
	// Inconsistent when no paternal allele is available unchanged from the alleged father.
	inconsistent = true
	for _, co := range orders(c) {
		if (co[0] == m[0] || co[0] == m[len(m)-1]) && (co[1] == f[0] || co[1] == f[len(f)-1]) {
			inconsistent = false
		}
	}
	return h1 / h2, inconsistent
}

// usable reports whether a genotype can enter a kinship computation: single source,
// designated alleles only.
func usable(g Genotype) string {
	if len(g.Alleles) > 2 {
		return "more than two alleles"
	}
	for _, a := range g.Alleles {
		if !a.Designated() {
			return "allele " + a.String() + " is not designated"
		}
	}
	return ""
}

// Kinship computes the likelihood ratio for relationship rel between profiles a and b
// (for parent–child, a is the parent and b the child; the LR is symmetric otherwise)
// over the loci both have typed and t covers.
func Kinship(a, b *Profile, rel Relationship, t *Table, opt KinshipOptions) (*KinshipResult, error) {
	return kinship(nil, a, b, rel, t, opt)
}

// Paternity computes the trio paternity index of alleged father f for child c with
// known mother m. With m nil it is the duo parent–child LR, Kinship(f, c, ParentChild).
func Paternity(c, m, f *Profile, t *Table, opt KinshipOptions) (*KinshipResult, error) {
	if m == nil {
		return kinship(nil, f, c, ParentChild, t, opt)
	}
	return kinship(m, f, c, ParentChild, t, opt)
}

func kinship(m, a, b *Profile, rel Relationship, t *Table, opt KinshipOptions) (*KinshipResult, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if k := rel.K0 + rel.K1 + rel.K2; math.Abs(k-1) > 1e-9 || rel.K0 < 0 || rel.K1 < 0 || rel.K2 < 0 {
		return nil, fmt.Errorf("relationship %s: k0+k1+k2 = %v, want 1", rel.Name, k)
	}
	ps := []*Profile{a, b}
	if m != nil {
		ps = append(ps, m)
	}
	for _, p := range ps {
		if p == nil {
			return nil, errors.New("kinship: nil profile")
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("profile %s: %w", p.ID, err)
		}
		if p.Kind != Autosomal {
			return nil, fmt.Errorf("profile %s: kinship needs autosomal profiles", p.ID)
		}
		if p.Mixture {
			return nil, fmt.Errorf("profile %s: kinship needs single-source profiles, this is a mixture", p.ID)
		}
	}
	res := &KinshipResult{Relationship: rel.Name, Population: t.Population, LR: 1}
	if m != nil {
		res.Relationship = "paternity-trio"
	}
	floorWarn := map[string]bool{}
	for _, ga := range a.Loci {
		l := ga.Locus
		if l.IsSex() {
			continue
		}
		gb, ok := b.Genotype(l)
		if !ok {
			res.Skipped = append(res.Skipped, l.String()+": not typed in "+b.ID)
			continue
		}
		var gm Genotype
		if m != nil {
			if gm, ok = m.Genotype(l); !ok {
				res.Skipped = append(res.Skipped, l.String()+": not typed in "+m.ID)
				continue
			}
		}
		if _, ok := t.Freq[l]; !ok {
			res.Skipped = append(res.Skipped, l.String()+": not in table "+t.Population)
			continue
		}
		why := usable(ga)
		if why == "" {
			why = usable(gb)
		}
		if why == "" && m != nil {
			why = usable(gm)
		}
		if why != "" {
			res.Skipped = append(res.Skipped, l.String()+": "+why)
			continue
		}
		s := &alleleSampler{t: t, l: l, theta: opt.Theta, floored: map[Allele]bool{}}
		ll := LocusLR{Locus: l, A: ga.AllelesString(), B: gb.AllelesString()}
		if m != nil {
			ll.M = gm.AllelesString()
			ll.LR, ll.Inconsistent = trioLR(gm.Alleles, ga.Alleles, gb.Alleles, s, opt.Mutation)
		} else {
			ll.LR, ll.Inconsistent = pairLR(ga.Alleles, gb.Alleles, rel, s, opt.Mutation)
		}
		for al := range s.floored {
			ll.Floored = append(ll.Floored, al.String())
			key := l.String() + " " + al.String()
			if !floorWarn[key] {
				floorWarn[key] = true
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s allele %s: frequency below 5/2N or missing in %s, floor %.4g used", l, al, t.Population, t.Floor(l)))
			}
		}
		if ll.Inconsistent {
			res.Inconsistent++
		}
		res.LR *= ll.LR
		res.Loci = append(res.Loci, ll)
	}
	if len(res.Loci) == 0 {
		return nil, errors.New("no locus typed in both profiles and covered by the table")
	}
	if res.Inconsistent > 0 && opt.Mutation.Rate == 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d inconsistent loci and no mutation model: the LR is 0", res.Inconsistent))
	}
	res.Log10LR = math.Log10(res.LR)
	res.Verbal = Verbal(res.LR)
	th := opt.threshold()
	switch {
	case res.LR >= th:
		res.Verdict = "supported"
	case res.LR <= 1/th:
		res.Verdict = "contradicted"
	default:
		res.Verdict = "inconclusive"
	}
	return res, nil
}

// KinshipMin computes Kinship in every population and returns all results with the one
// of smallest LR, the figure to report when the population of the persons is unknown.
func KinshipMin(a, b *Profile, rel Relationship, ts Tables, opt KinshipOptions) (all []*KinshipResult, min *KinshipResult, err error) {
	return kinshipMin(nil, a, b, rel, ts, opt)
}

// PaternityMin is Paternity in every population, with the smallest.
func PaternityMin(c, m, f *Profile, ts Tables, opt KinshipOptions) (all []*KinshipResult, min *KinshipResult, err error) {
	if m == nil {
		return kinshipMin(nil, f, c, ParentChild, ts, opt)
	}
	return kinshipMin(m, f, c, ParentChild, ts, opt)
}

func kinshipMin(m, a, b *Profile, rel Relationship, ts Tables, opt KinshipOptions) ([]*KinshipResult, *KinshipResult, error) {
	var all []*KinshipResult
	var lo *KinshipResult
	for _, pop := range ts.Populations() {
		r, err := kinship(m, a, b, rel, ts[pop], opt)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", pop, err)
		}
		all = append(all, r)
		if lo == nil || r.LR < lo.LR {
			lo = r
		}
	}
	if lo == nil {
		return nil, nil, errors.New("no frequency table")
	}
	return all, lo, nil
}
