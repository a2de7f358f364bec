package dna

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/biomesh/biomesh/eval"
)

// Method chooses the match probability formula.
type Method uint8

const (
	// BaldingNichols is NRC II formula 4.10: the probability that a second person from the
	// same subpopulation has the genotype, given the first has it.
	BaldingNichols Method = iota
	// ProductRule is NRC II formula 4.1 (2pq for heterozygotes) with the homozygote
	// correction of 4.4a, p² + p(1−p)θ.
	ProductRule
	// SiblingMatch is the probability that a full sibling of the person has the same
	// genotype (NRC II 4.5-style formula for full siblings): (1 + p + q + 2pq)/4 for a
	// heterozygote, (1 + p)²/4 for a homozygote; θ is not applied. It bounds how often a
	// profile matches the person's closest untyped relatives.
	SiblingMatch
)

func (m Method) String() string {
	switch m {
	case ProductRule:
		return "product-rule"
	case SiblingMatch:
		return "sibling"
	}
	return "balding-nichols"
}

// MarshalText writes the method's name.
func (m Method) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// ParseMethod reads "bn"/"balding-nichols" and "product"/"product-rule".
func ParseMethod(s string) (Method, error) {
	switch strings.ToLower(s) {
	case "", "bn", "balding-nichols", "nrc4.10", "4.10":
		return BaldingNichols, nil
	case "product", "product-rule", "nrc4.1", "4.1":
		return ProductRule, nil
	case "sibling", "siblings", "sib":
		return SiblingMatch, nil
	}
	return 0, fmt.Errorf("unknown method %q (want bn, product or sibling)", s)
}

// DefaultTheta is NRC II's θ for most populations; 0.03 is its value for small,
// isolated ones.
const DefaultTheta = 0.01

// StatOptions sets the match statistics. The zero value is Balding–Nichols with θ = 0.
// Use DefaultStatOptions for the NRC II defaults.
type StatOptions struct {
	Method Method
	Theta  float64
}

// DefaultStatOptions is Balding–Nichols with θ = 0.01.
func DefaultStatOptions() StatOptions {
	return StatOptions{Method: BaldingNichols, Theta: DefaultTheta}
}

func (o StatOptions) check() error {
	if math.IsNaN(o.Theta) || o.Theta < 0 || o.Theta >= 0.5 {
		return fmt.Errorf("θ = %v out of range [0, 0.5)", o.Theta)
	}
	return nil
}

// LocusRMP is one locus's share of a random match probability.
type LocusRMP struct {
	Locus    Locus     `json:"locus"`
	Genotype string    `json:"genotype"`
	Freqs    []float64 `json:"freqs"`             // the allele frequencies used, after the floor
	Floored  []string  `json:"floored,omitempty"` // alleles that took the 5/2N floor (rare or missing from the table)
	P        float64   `json:"p"`                 // the locus's match probability
}

// RMPResult is a profile's random match probability in one population.
type RMPResult struct {
	Population string     `json:"population"`
	Method     Method     `json:"method"`
	Theta      float64    `json:"theta"`
	Loci       []LocusRMP `json:"loci"`
	RMP        float64    `json:"rmp"` // product over Loci
	// Skipped lists loci not used, with the reason (Amelogenin, not in the table,
	// wildcard only).
	Skipped  []string `json:"skipped,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Score is RMP on the calibrated scale.
func (r *RMPResult) Score() float64 { return Score(r.RMP) }

// Score maps an estimated false match rate (for a DNA match, the random match
// probability: the chance that an unrelated person drawn from the population matches)
// to the project's scale −10·log10(rate), capped at eval.MaxScore. A full CODIS 20
// match reaches the cap; a 6-locus Prüm match typically scores 40 to 70.
//
// The RMP is the rate for unrelated people. Close relatives match far more often (a
// full sibling matches a CODIS 20 profile with probability around 1e-8, see
// SiblingMatch), so a fused decision that must hold against untyped relatives should
// take Score of the sibling match probability instead.
func Score(rate float64) float64 {
	if !(rate > 0) {
		return eval.MaxScore
	}
	return math.Max(0, math.Min(eval.MaxScore, -10*math.Log10(rate)))
}

// RMP computes the random match probability of p in the population of t, over the
// loci of p that t covers (Amelogenin is never used). A mixture gets the combined
// probability of inclusion, (Σp)² per locus, and a warning saying so.
func RMP(p *Profile, t *Table, opt StatOptions) (*RMPResult, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("profile %s: %w", p.ID, err)
	}
	if p.Kind != Autosomal {
		return nil, errors.New("random match probability needs an autosomal profile; use HaplotypeMatchProbability for Y-STR")
	}
	res := &RMPResult{Population: t.Population, Method: opt.Method, Theta: opt.Theta, RMP: 1}
	if p.Mixture {
		res.Warnings = append(res.Warnings, "mixture: combined probability of inclusion (Σp)² per locus, not a match probability")
	}
	th := opt.Theta
	for _, g := range p.Loci {
		if g.Locus.IsSex() {
			res.Skipped = append(res.Skipped, g.Locus.String()+": sex marker")
			continue
		}
		if _, ok := t.Freq[g.Locus]; !ok {
			res.Skipped = append(res.Skipped, g.Locus.String()+": not in table "+t.Population)
			continue
		}
		lr := LocusRMP{Locus: g.Locus, Genotype: g.AllelesString()}
		var fs []float64
		wild := 0
		for _, a := range g.Alleles {
			if a == Wildcard {
				wild++
				continue
			}
			f, floored, _ := t.Prob(g.Locus, a)
			if floored {
				lr.Floored = append(lr.Floored, a.String())
			}
			fs = append(fs, f)
		}
		lr.Freqs = fs
		switch {
		case len(fs) == 0:
			res.Skipped = append(res.Skipped, g.Locus.String()+": wildcard only")
			continue
		case p.Mixture:
			s := 0.0
			for _, f := range fs {
				s += f
			}
			lr.P = math.Min(1, s*s)
		case wild > 0:
			// a/*: the chance a random person carries a, 1 − (1 − p)², bounded by 2p.
			lr.P = 1 - (1-fs[0])*(1-fs[0])
		case len(fs) == 1:
			pa := fs[0]
			switch opt.Method {
			case ProductRule:
				lr.P = pa*pa + pa*(1-pa)*th // NRC II 4.4a
			case SiblingMatch:
				lr.P = (1 + pa) * (1 + pa) / 4
			default:
				lr.P = (2*th + (1-th)*pa) * (3*th + (1-th)*pa) / ((1 + th) * (1 + 2*th)) // NRC II 4.10a
			}
		default:
			pa, pb := fs[0], fs[1]
			switch opt.Method {
			case ProductRule:
				lr.P = 2 * pa * pb // NRC II 4.1b
			case SiblingMatch:
				lr.P = (1 + pa + pb + 2*pa*pb) / 4
			default:
				lr.P = 2 * (th + (1-th)*pa) * (th + (1-th)*pb) / ((1 + th) * (1 + 2*th)) // NRC II 4.10b
			}
		}
		lr.P = math.Min(1, lr.P)
		for _, a := range lr.Floored {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s allele %s: frequency below 5/2N or missing in %s, floor %.4g used", g.Locus, a, t.Population, t.Floor(g.Locus)))
		}
		res.Loci = append(res.Loci, lr)
		res.RMP *= lr.P
	}
	if len(res.Loci) == 0 {
		return nil, fmt.Errorf("no locus of profile %s is in table %s", p.ID, t.Population)
	}
	return res, nil
}

// RMPAll computes the RMP in every population and returns the results sorted by
// population, with the largest (the one least favourable to the prosecution, which is
// the one to report when the population is unknown).
func RMPAll(p *Profile, ts Tables, opt StatOptions) (all []*RMPResult, worst *RMPResult, err error) {
	for _, pop := range ts.Populations() {
		r, err := RMP(p, ts[pop], opt)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, r)
		if worst == nil || r.RMP > worst.RMP {
			worst = r
		}
	}
	if worst == nil {
		return nil, nil, errors.New("no frequency table")
	}
	return all, worst, nil
}

// MatchScore puts a search match on the calibrated scale: the RMP of the query over the
// matching loci, times, at each mismatching locus of a near or partial match, the chance
// that a random person shares at least one allele with the query there, in the worst
// population. It returns the score and that worst population's estimate.
func MatchScore(q *Profile, m Match, ts Tables, opt StatOptions) (float64, float64, error) {
	sub := &Profile{ID: q.ID, Kind: q.Kind, Mixture: q.Mixture}
	for _, l := range m.Matching {
		if g, ok := q.Genotype(l); ok {
			sub.Loci = append(sub.Loci, g)
		}
	}
	if len(sub.Loci) == 0 {
		return 0, 1, errors.New("no matching locus")
	}
	worst := 0.0
	for _, pop := range ts.Populations() {
		t := ts[pop]
		r, err := RMP(sub, t, opt)
		if err != nil {
			return 0, 1, err
		}
		rate := r.RMP
		for _, l := range m.Mismatching {
			g, ok := q.Genotype(l)
			if !ok {
				continue
			}
			s := 0.0
			for _, a := range g.Alleles {
				f, _, ok := t.Prob(l, a)
				if !ok || a == Wildcard {
					s = 1
					break
				}
				s += f
			}
			rate *= 1 - math.Pow(math.Max(0, 1-s), 2)
		}
		worst = math.Max(worst, rate)
	}
	return Score(worst), worst, nil
}

// HaplotypeMatchProbability estimates a Y-STR haplotype's frequency by counting: seen
// x times in a reference database of n haplotypes, it returns the upper limit of the
// one-sided 95 % Clopper–Pearson interval (for x = 0, 1 − 0.05^(1/n)). Y haplotypes are
// inherited whole through the paternal line, so the product rule does not apply.
func HaplotypeMatchProbability(x, n int) (float64, error) {
	if n <= 0 || x < 0 || x > n {
		return 0, fmt.Errorf("haplotype count %d of %d: want 0 ≤ x ≤ n, n > 0", x, n)
	}
	if x == n {
		return 1, nil
	}
	// Upper limit p with P(X ≤ x | n, p) = 0.05, by bisection on the binomial CDF.
	lo, hi := float64(x)/float64(n), 1.0
	for range 100 {
		mid := (lo + hi) / 2
		if binomCDF(x, n, mid) > 0.05 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

func binomCDF(x, n int, p float64) float64 {
	s := 0.0
	lp, lq := math.Log(p), math.Log1p(-p)
	for k := 0; k <= x; k++ {
		lg1, _ := math.Lgamma(float64(n + 1))
		lg2, _ := math.Lgamma(float64(k + 1))
		lg3, _ := math.Lgamma(float64(n - k + 1))
		s += math.Exp(lg1 - lg2 - lg3 + float64(k)*lp + float64(n-k)*lq)
	}
	return s
}
