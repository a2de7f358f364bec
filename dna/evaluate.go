package dna

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// EvalOptions sets Evaluate.
type EvalOptions struct {
	Loci      []Locus // loci used (nil: CODIS20)
	Pairs     int     // simulated pairs per relationship (0: 1000)
	DBSize    int     // familial-search database size (0: 100,000)
	Queries   int     // familial queries per relationship (0: 100)
	Seed      uint64
	Kinship   KinshipOptions // zero: DefaultKinshipOptions
	Threshold float64        // LR verdict threshold (0: Kinship.Threshold or 10,000)
	// PopMap maps population labels of the genotype file to table names (default
	// AA→AfAm, the NIST 1036 labels); labels that are table names need no entry.
	PopMap map[string]string
}

// LRDist is the distribution of log10 LR for pairs simulated as Truth and tested for
// the relationship Tested, in the founders' population.
type LRDist struct {
	Truth  string  `json:"truth"`
	Tested string  `json:"tested"`
	Pairs  int     `json:"pairs"`
	Q05    float64 `json:"log10_q05"`
	Q50    float64 `json:"log10_median"`
	Q95    float64 `json:"log10_q95"`
	Above1 float64 `json:"frac_lr_gt_1"`
	AboveT float64 `json:"frac_lr_ge_threshold"`
	BelowT float64 `json:"frac_lr_le_1_over_threshold"`
}

// FamilialEval is familial search of simulated relatives hidden in a database of
// unrelated profiles drawn from the allele frequencies.
type FamilialEval struct {
	Relationship string  `json:"relationship"`
	DBSize       int     `json:"db_size"`
	Queries      int     `json:"queries"`
	Rank1        float64 `json:"rank1"`
	Rank10       float64 `json:"rank10"`
	Rank100      float64 `json:"rank100"`
	MedianRank   int     `json:"median_rank"` // 0 when above 1000
	AboveT       float64 `json:"frac_true_above_threshold"`
	FalseAbove   float64 `json:"false_above_threshold_per_query"`
	Threshold    float64 `json:"threshold"`
	MsPerQuery   float64 `json:"ms_per_query"`
}

// EvalReport is Evaluate's result.
type EvalReport struct {
	People        int            `json:"people"`
	Populations   map[string]int `json:"populations"`
	Loci          []string       `json:"loci"`
	Threshold     float64        `json:"threshold"`
	Dists         []LRDist       `json:"lr"`
	Familial      []FamilialEval `json:"familial"`
	SearchDB      int            `json:"search_db"`
	SearchMs      float64        `json:"search_ms_per_query"`
	SearchFound   float64        `json:"search_found"`
	Seed          uint64         `json:"seed"`
	MutationModel Mutation       `json:"mutation"`
	Theta         float64        `json:"theta"`
}

// Evaluate simulates relatives from real genotypes (people) and the population tables
// ts, and measures kinship LR distributions, verdict rates, familial search ranks and
// search speed.
//
// Parent–child pairs take a real person as parent and a child with a second parent drawn
// from the frequencies; siblings and half siblings are children of real parents of the
// same population; first cousins are children of two full siblings and real spouses;
// unrelated pairs are two different real people of the same population. "with one
// mutation" children carry exactly one stepwise mutation, which the mutation model must
// absorb. LRs are computed in the founders' population table.
//
// For familial search, relatives (a child of a real parent; a sibling of a simulated
// child of two real parents) are hidden in a database of profiles drawn from the
// frequencies, each real person founding at most one family so that no stored profile
// is an unintended relative of another query; candidates are ranked by the minimum LR
// over the genotypes' populations. Unrelated candidates above the threshold are counted
// per query.
func Evaluate(people []CSVProfile, ts Tables, opt EvalOptions) (*EvalReport, error) {
	if opt.Loci == nil {
		opt.Loci = CODIS20
	}
	if opt.Pairs <= 0 {
		opt.Pairs = 1000
	}
	if opt.DBSize <= 0 {
		opt.DBSize = 100_000
	}
	if opt.Queries <= 0 {
		opt.Queries = 100
	}
	if opt.Kinship == (KinshipOptions{}) {
		opt.Kinship = DefaultKinshipOptions()
	}
	if opt.Threshold <= 0 {
		opt.Threshold = opt.Kinship.threshold()
	}
	opt.Kinship.Threshold = opt.Threshold
	if opt.PopMap == nil {
		opt.PopMap = map[string]string{"AA": "AfAm"}
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x646e61))
	// Group people by table population.
	byPop := map[string][]*Profile{}
	samplers := map[string]*Sampler{}
	for _, p := range people {
		pop := p.Population
		if m, ok := opt.PopMap[pop]; ok {
			pop = m
		}
		if ts[pop] == nil {
			return nil, fmt.Errorf("person %s: population %q has no table (have %s)", p.ID, p.Population, strings.Join(ts.Populations(), ", "))
		}
		byPop[pop] = append(byPop[pop], Restrict(p.Profile, opt.Loci))
	}
	var pops []string
	for pop, ps := range byPop {
		if len(ps) >= 4 {
			pops = append(pops, pop)
		}
	}
	slices.Sort(pops)
	if len(pops) == 0 {
		return nil, errors.New("evaluation needs at least 4 people of one population")
	}
	for _, pop := range pops {
		s, err := NewSampler(ts[pop], opt.Loci)
		if err != nil {
			return nil, err
		}
		samplers[pop] = s
	}
	rep := &EvalReport{People: len(people), Populations: map[string]int{}, Threshold: opt.Threshold, Seed: opt.Seed,
		MutationModel: opt.Kinship.Mutation, Theta: opt.Kinship.Theta}
	for _, pop := range pops {
		rep.Populations[pop] = len(byPop[pop])
	}
	for _, l := range opt.Loci {
		rep.Loci = append(rep.Loci, l.String())
	}
	total := 0
	for _, pop := range pops {
		total += len(byPop[pop])
	}
	// pickPop draws a population in proportion to its size in the genotype file.
	pickPop := func() string {
		k := rng.IntN(total)
		for _, pop := range pops {
			if k < len(byPop[pop]) {
				return pop
			}
			k -= len(byPop[pop])
		}
		return pops[len(pops)-1]
	}
	// For familial search each real person founds at most one query's family, so that
	// no database profile is an unintended relative of another query.
	var pools map[string][]*Profile
	two := func(pop string) (*Profile, *Profile) {
		if pools != nil {
			pool := pools[pop]
			if len(pool) < 2 {
				return nil, nil
			}
			pools[pop] = pool[2:]
			return pool[0], pool[1]
		}
		ps := byPop[pop]
		i := rng.IntN(len(ps))
		j := rng.IntN(len(ps) - 1)
		if j >= i {
			j++
		}
		return ps[i], ps[j]
	}
	noMut := Mutation{}
	// simulate returns a pair of the given truth and its population.
	simulate := func(truth string) (*Profile, *Profile, string) {
		pop := pickPop()
		for pools != nil && len(pools[pop]) < 2 {
			// Fall back on the largest population with people left.
			best := ""
			for _, p := range pops {
				if len(pools[p]) >= 2 && (best == "" || len(pools[p]) > len(pools[best])) {
					best = p
				}
			}
			if best == "" {
				return nil, nil, ""
			}
			pop = best
		}
		s := samplers[pop]
		switch truth {
		case "parent-child":
			par, _ := two(pop)
			return par, s.Child(rng, "c", par, nil, noMut), pop
		case "parent-child, one mutation":
			par, _ := two(pop)
			return par, MutateOne(rng, s.Child(rng, "c", par, nil, noMut)), pop
		case "full-siblings":
			f, m := two(pop)
			return s.Child(rng, "s1", f, m, noMut), s.Child(rng, "s2", f, m, noMut), pop
		case "half-siblings":
			f, _ := two(pop)
			return s.Child(rng, "h1", f, nil, noMut), s.Child(rng, "h2", f, nil, noMut), pop
		case "first-cousins":
			f, m := two(pop)
			s1, s2 := s.Child(rng, "a1", f, m, noMut), s.Child(rng, "a2", f, m, noMut)
			return s.Child(rng, "c1", s1, nil, noMut), s.Child(rng, "c2", s2, nil, noMut), pop
		}
		a, b := two(pop)
		return a, b, pop
	}
	type scenario struct {
		truth  string
		tested []Relationship
	}
	scenarios := []scenario{
		{"parent-child", []Relationship{ParentChild}},
		{"parent-child, one mutation", []Relationship{ParentChild}},
		{"full-siblings", []Relationship{FullSiblings}},
		{"half-siblings", []Relationship{HalfSiblings}},
		{"first-cousins", []Relationship{FirstCousins}},
		{"unrelated", []Relationship{ParentChild, FullSiblings, HalfSiblings, FirstCousins}},
	}
	for _, sc := range scenarios {
		logs := make([][]float64, len(sc.tested))
		for range opt.Pairs {
			a, b, pop := simulate(sc.truth)
			for k, rel := range sc.tested {
				r, err := Kinship(a, b, rel, ts[pop], opt.Kinship)
				if err != nil {
					return nil, err
				}
				logs[k] = append(logs[k], math.Log10(math.Max(r.LR, 1e-300)))
			}
		}
		for k, rel := range sc.tested {
			rep.Dists = append(rep.Dists, distOf(sc.truth, rel.Name, logs[k], opt.Threshold))
		}
	}
	// Familial search and search speed on one database.
	db := NewDatabase()
	n := opt.DBSize - 2*opt.Queries
	if n < 1 {
		return nil, fmt.Errorf("database size %d too small for %d queries", opt.DBSize, opt.Queries)
	}
	for i := range n {
		pop := pickPop()
		if err := db.Add(samplers[pop].Profile(rng, fmt.Sprintf("u%07d", i))); err != nil {
			return nil, err
		}
	}
	type famQ struct {
		rel   Relationship
		truth string
		q     []*Profile
		want  []string
	}
	fams := []famQ{{rel: ParentChild, truth: "parent-child"}, {rel: FullSiblings, truth: "full-siblings"}}
	pools = map[string][]*Profile{}
	for _, pop := range pops {
		pools[pop] = slices.Clone(byPop[pop])
		rng.Shuffle(len(pools[pop]), func(i, j int) { pools[pop][i], pools[pop][j] = pools[pop][j], pools[pop][i] })
	}
	for fi := range fams {
		for k := range opt.Queries {
			a, b, _ := simulate(fams[fi].truth)
			if a == nil {
				return nil, fmt.Errorf("%d familial queries need more people than the %d given (each founds one family)", opt.Queries, len(people))
			}
			q := &Profile{ID: fmt.Sprintf("q-%s-%d", fams[fi].truth, k), Loci: a.Loci}
			hid := &Profile{ID: fmt.Sprintf("rel-%s-%d", fams[fi].truth, k), Loci: b.Loci}
			if err := db.Add(hid); err != nil {
				return nil, err
			}
			fams[fi].q = append(fams[fi].q, q)
			fams[fi].want = append(fams[fi].want, hid.ID)
		}
	}
	// Familial search takes the minimum over the populations the genotypes come from.
	famTables := Tables{}
	for _, pop := range pops {
		famTables[pop] = ts[pop]
	}
	for _, f := range fams {
		fe := FamilialEval{Relationship: f.rel.Name, DBSize: db.Len(), Queries: len(f.q)}
		var ranks []int
		start := time.Now()
		falseAbove := 0
		for k, q := range f.q {
			res, err := db.Familial(q, famTables, FamilialOptions{Relationship: f.rel, Kinship: opt.Kinship, Limit: 1000})
			if err != nil {
				return nil, err
			}
			fe.Threshold = res.Threshold
			rank := 0
			for i, c := range res.Candidates {
				if c.ID == f.want[k] {
					rank = i + 1
					if c.Above {
						fe.AboveT++
					}
				}
			}
			falseAbove += res.Above
			if rank > 0 && res.Candidates[rank-1].Above {
				falseAbove--
			}
			ranks = append(ranks, rank)
		}
		fe.MsPerQuery = float64(time.Since(start).Microseconds()) / 1000 / float64(len(f.q))
		for _, r := range ranks {
			if r == 1 {
				fe.Rank1++
			}
			if r >= 1 && r <= 10 {
				fe.Rank10++
			}
			if r >= 1 && r <= 100 {
				fe.Rank100++
			}
		}
		q := float64(len(ranks))
		fe.Rank1, fe.Rank10, fe.Rank100, fe.AboveT = fe.Rank1/q, fe.Rank10/q, fe.Rank100/q, fe.AboveT/q
		fe.FalseAbove = float64(falseAbove) / q
		sorted := slices.Clone(ranks)
		for i, r := range sorted {
			if r == 0 {
				sorted[i] = math.MaxInt
			}
		}
		slices.Sort(sorted)
		if m := sorted[len(sorted)/2]; m != math.MaxInt {
			fe.MedianRank = m
		}
		rep.Familial = append(rep.Familial, fe)
	}
	// Search speed: stored profiles as queries, high stringency over ≥ 10 loci.
	rep.SearchDB = db.Len()
	start := time.Now()
	found := 0
	nq := 100
	for k := range nq {
		id := fmt.Sprintf("u%07d", (k*7919)%n)
		p, _ := db.Profile(id)
		res, err := db.Search(p, DefaultSearchOptions())
		if err != nil {
			return nil, err
		}
		for _, m := range res.Matches {
			if m.ID == id {
				found++
			}
		}
	}
	rep.SearchMs = float64(time.Since(start).Microseconds()) / 1000 / float64(nq)
	rep.SearchFound = float64(found) / float64(nq)
	return rep, nil
}

func distOf(truth, tested string, logs []float64, threshold float64) LRDist {
	slices.Sort(logs)
	q := func(f float64) float64 { return logs[int(f*float64(len(logs)-1)+0.5)] }
	d := LRDist{Truth: truth, Tested: tested, Pairs: len(logs), Q05: q(0.05), Q50: q(0.5), Q95: q(0.95)}
	lt := math.Log10(threshold)
	for _, v := range logs {
		if v > 0 {
			d.Above1++
		}
		if v >= lt {
			d.AboveT++
		}
		if v <= -lt {
			d.BelowT++
		}
	}
	n := float64(len(logs))
	d.Above1, d.AboveT, d.BelowT = d.Above1/n, d.AboveT/n, d.BelowT/n
	return d
}

// String writes the report as a table.
func (r *EvalReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d people (%v), %d loci, θ=%g, mutation rate %g, threshold %g, seed %d\n",
		r.People, r.Populations, len(r.Loci), r.Theta, r.MutationModel.Rate, r.Threshold, r.Seed)
	fmt.Fprintf(&b, "%-28s %-14s %6s %8s %8s %8s %8s %8s %8s\n", "truth", "tested", "pairs", "q05", "median", "q95", "LR>1", "LR≥T", "LR≤1/T")
	for _, d := range r.Dists {
		fmt.Fprintf(&b, "%-28s %-14s %6d %8.2f %8.2f %8.2f %7.1f%% %7.1f%% %7.1f%%\n", d.Truth, d.Tested, d.Pairs,
			d.Q05, d.Q50, d.Q95, 100*d.Above1, 100*d.AboveT, 100*d.BelowT)
	}
	b.WriteString("(q05/median/q95 are log10 LR)\n")
	for _, f := range r.Familial {
		med := "> 1000"
		if f.MedianRank > 0 {
			med = fmt.Sprint(f.MedianRank)
		}
		fmt.Fprintf(&b, "familial %-14s db %d, %d queries: rank 1 %.1f%%, rank ≤ 10 %.1f%%, ≤ 100 %.1f%%, median rank %s; true relative ≥ threshold %.3g: %.1f%%, unrelated ≥ threshold per query %.3f; %.1f ms/query\n",
			f.Relationship, f.DBSize, f.Queries, 100*f.Rank1, 100*f.Rank10, 100*f.Rank100, med, f.Threshold, 100*f.AboveT, f.FalseAbove, f.MsPerQuery)
	}
	fmt.Fprintf(&b, "search (high stringency, ≥ 10 loci) over %d profiles: %.2f ms/query, self found %.0f%%\n", r.SearchDB, r.SearchMs, 100*r.SearchFound)
	return b.String()
}
