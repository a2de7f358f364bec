package dna

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// FamilialOptions sets a familial search.
type FamilialOptions struct {
	Relationship Relationship
	Kinship      KinshipOptions
	// MinLoci is the fewest loci typed in both query and candidate (0: 8).
	MinLoci int
	// Limit is the most candidates returned (0: 100).
	Limit int
	// Alpha is the expected number of unrelated candidates allowed above the threshold
	// over the whole database (0: 0.1). The threshold is N/Alpha for N profiles: for an
	// unrelated person P(LR ≥ T) ≤ 1/T (the LR is a likelihood ratio, so its mean under
	// the alternative is 1), so at most Alpha unrelated candidates are expected above it.
	Alpha float64
}

// FamilialCandidate is one ranked database profile.
type FamilialCandidate struct {
	ID string `json:"id"`
	// KI is the kinship index: the smallest LR over the candidate populations.
	KI         float64 `json:"ki"`
	Log10KI    float64 `json:"log10_ki"`
	Population string  `json:"population"` // where the minimum is reached
	Compared   int     `json:"compared"`
	Above      bool    `json:"above_threshold"`
}

// FamilialResult is a familial search's ranked list.
type FamilialResult struct {
	Relationship string              `json:"relationship"`
	Candidates   []FamilialCandidate `json:"candidates"`
	Threshold    float64             `json:"threshold"`
	Above        int                 `json:"above_threshold"` // candidates above it in the whole database
	Searched     int                 `json:"searched"`
	Warnings     []string            `json:"warnings,omitempty"`
}

// Familial ranks the database's single-source autosomal profiles by kinship index
// against q for opt.Relationship, taking for each candidate the minimum LR over the
// populations of ts (the candidates' population is unknown; the minimum is the figure
// least favourable to a lead).
//
// The per-locus LR depends only on the query's and the candidate's genotypes, so it is
// computed once per distinct stored genotype and population, and each candidate costs
// one table look-up per locus and population. For parent–child, q is taken as the parent.
func (db *Database) Familial(q *Profile, ts Tables, opt FamilialOptions) (*FamilialResult, error) {
	if err := opt.Kinship.check(); err != nil {
		return nil, err
	}
	rel := opt.Relationship
	if rel.Name == "" {
		return nil, errors.New("familial search: no relationship")
	}
	if k := rel.K0 + rel.K1 + rel.K2; math.Abs(k-1) > 1e-9 {
		return nil, fmt.Errorf("relationship %s: k0+k1+k2 = %v, want 1", rel.Name, k)
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("query %s: %w", q.ID, err)
	}
	if q.Kind != Autosomal || q.Mixture {
		return nil, errors.New("familial search needs a single-source autosomal query")
	}
	if len(ts) == 0 {
		return nil, errors.New("familial search: no frequency table")
	}
	if opt.MinLoci <= 0 {
		opt.MinLoci = 8
	}
	if opt.Limit <= 0 {
		opt.Limit = 100
	}
	if opt.Alpha <= 0 {
		opt.Alpha = 0.1
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	n := len(db.ids)
	res := &FamilialResult{Relationship: rel.Name, Searched: db.live, Threshold: math.Max(1, float64(db.live)/opt.Alpha)}
	type qloc struct {
		slot int
		g    Genotype
	}
	var qs []qloc
	var qmask uint64
	for _, g := range q.Loci {
		if g.Locus.IsSex() {
			continue
		}
		if why := usable(g); why != "" {
			res.Warnings = append(res.Warnings, g.Locus.String()+" of the query skipped: "+why)
			continue
		}
		s := db.slotOf[g.Locus]
		if s < 0 {
			continue
		}
		qs = append(qs, qloc{int(s), g})
		qmask |= 1 << uint(s)
	}
	pops := ts.Populations()
	if len(pops) > 255 {
		return nil, errors.New("familial search: more than 255 populations")
	}
	// Per locus and group of four populations, one table of log10 LR per stored
	// genotype: tabs[g][k][gi][p] (gi = 0, not typed, is neutral; unused p are 0).
	P := len(pops)
	groups := (P + 3) / 4
	tabs := make([][][][4]float32, groups)
	for gr := range groups {
		tabs[gr] = make([][][4]float32, len(qs))
		for k, ql := range qs {
			tab := make([][4]float32, len(db.genos[ql.slot])+1)
			for p := 4 * gr; p < min(P, 4*gr+4); p++ {
				t := ts[pops[p]]
				if _, ok := t.Freq[ql.g.Locus]; !ok {
					continue // the table cannot weigh this locus: neutral
				}
				s := &alleleSampler{t: t, l: ql.g.Locus, theta: opt.Kinship.Theta, floored: map[Allele]bool{}}
				for gi, e := range db.genos[ql.slot] {
					if usable(Genotype{Alleles: e.alleles}) == "" {
						lr, _ := pairLR(ql.g.Alleles, e.alleles, rel, s, opt.Kinship.Mutation)
						tab[gi+1][p-4*gr] = float32(math.Log10(math.Max(lr, 1e-300)))
					}
				}
			}
			tabs[gr][k] = tab
		}
	}
	// Sum block by block so that the sums stay in cache while every locus column is
	// read once per group of four populations.
	const block = 4096
	minLog := make([]float32, n)
	for i := range minLog {
		minLog[i] = float32(math.Inf(1))
	}
	argmin := make([]uint8, n)
	var sum [block][4]float32
	for gr := range groups {
		width := min(4, P-4*gr)
		for lo := 0; lo < n; lo += block {
			hi := min(lo+block, n)
			sb := sum[:hi-lo]
			clear(sb)
			for k, ql := range qs {
				tab := tabs[gr][k]
				col := db.cols[ql.slot][lo:hi]
				for i, gi := range col {
					v := tab[gi]
					d := &sb[i]
					d[0] += v[0]
					d[1] += v[1]
					d[2] += v[2]
					d[3] += v[3]
				}
			}
			for i := range sb {
				for p := range width {
					if v := sb[i][p]; v < minLog[lo+i] {
						minLog[lo+i], argmin[lo+i] = v, uint8(4*gr+p)
					}
				}
			}
		}
	}
	logT := float32(math.Log10(res.Threshold))
	h := &candHeap{}
	for i := range n {
		if db.removed[i] || db.mixture[i] || db.kinds[i] != Autosomal {
			continue
		}
		c := bits.OnesCount64(qmask & db.masks[i])
		if c < opt.MinLoci {
			continue
		}
		v := minLog[i]
		if v >= logT {
			res.Above++
		}
		if h.Len() < opt.Limit {
			heap.Push(h, cand{v, uint32(i), c})
		} else if v > (*h)[0].v {
			(*h)[0] = cand{v, uint32(i), c}
			heap.Fix(h, 0)
		}
	}
	out := make([]FamilialCandidate, h.Len())
	for k := len(out) - 1; k >= 0; k-- {
		c := heap.Pop(h).(cand)
		i := c.i
		out[k] = FamilialCandidate{ID: db.ids[i], Log10KI: float64(c.v), KI: math.Pow(10, float64(c.v)), Population: pops[argmin[i]], Compared: c.n}
		out[k].Above = out[k].KI >= res.Threshold
	}
	res.Candidates = out
	return res, nil
}

type cand struct {
	v float32
	i uint32
	n int
}

// candHeap is a min-heap on v: the root is the weakest of the kept candidates.
type candHeap []cand

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(a, b int) bool {
	return h[a].v < h[b].v || (h[a].v == h[b].v && h[a].i > h[b].i)
}
func (h candHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(cand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
