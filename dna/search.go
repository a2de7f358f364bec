package dna

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
)

// Stringency is the per-locus rule of a database search.
type Stringency uint8

const (
	// High: identical allele sets.
	High Stringency = iota
	// Moderate: the alleles of one profile are all within the other's (mixtures, dropout).
	Moderate
	// Low: at least one shared allele.
	Low
)

func (s Stringency) String() string {
	if s > Low {
		return fmt.Sprintf("Stringency(%d)", uint8(s))
	}
	return [...]string{"high", "moderate", "low"}[s]
}

// MarshalText writes the stringency's name.
func (s Stringency) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseStringency reads high, moderate or low.
func ParseStringency(s string) (Stringency, error) {
	switch strings.ToLower(s) {
	case "", "high":
		return High, nil
	case "moderate", "medium":
		return Moderate, nil
	case "low":
		return Low, nil
	}
	return 0, fmt.Errorf("unknown stringency %q (want high, moderate or low)", s)
}

// MatchKind tells full matches from near and partial ones.
type MatchKind uint8

const (
	// FullMatch: every compared locus matches.
	FullMatch MatchKind = iota
	// NearMatch (Prüm): all compared loci match but one, where one allele differs.
	NearMatch
	// PartialMatch: up to SearchOptions.MaxMismatches loci do not match.
	PartialMatch
)

func (k MatchKind) String() string {
	if k > PartialMatch {
		return fmt.Sprintf("MatchKind(%d)", uint8(k))
	}
	return [...]string{"full", "near", "partial"}[k]
}

// MarshalText writes the kind's name.
func (k MatchKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// SearchOptions sets a database search. The zero value is a high-stringency search
// needing one compared locus; use DefaultSearchOptions.
type SearchOptions struct {
	Stringency Stringency
	// MinLoci is the fewest compared loci (typed in both, Amelogenin not counted).
	MinLoci int
	// MaxMismatches is how many compared loci may fail to match (0: full matches only).
	MaxMismatches int
	// Prum applies the Prüm rules: high stringency with wildcards; the query and every
	// match need at least PrumMinLoci fully designated loci, matching in both; and a near
	// match (one differing allele) is reported only when no full match exists.
	Prum bool
	// Limit is the most matches returned (0: 100).
	Limit int
}

// PrumMinLoci is the fewest fully designated matching loci of a Prüm match.
const PrumMinLoci = 6

// DefaultSearchOptions is a high-stringency search over at least 10 compared loci.
func DefaultSearchOptions() SearchOptions { return SearchOptions{Stringency: High, MinLoci: 10} }

// PrumSearchOptions are the Prüm exchange rules.
func PrumSearchOptions() SearchOptions {
	return SearchOptions{Stringency: High, MinLoci: PrumMinLoci, Prum: true}
}

// Match is one database profile that satisfies a search.
type Match struct {
	ID          string    `json:"id"`
	Kind        MatchKind `json:"kind"`
	Compared    int       `json:"compared"`
	Matching    []Locus   `json:"matching"`
	Mismatching []Locus   `json:"mismatching,omitempty"`
}

// MarshalText writes a locus's canonical name, so Match marshals to readable JSON.
func (l Locus) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a locus name or alias.
func (l *Locus) UnmarshalText(b []byte) error {
	v, err := LookupLocus(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// SearchResult is a search's answer.
type SearchResult struct {
	Matches  []Match  `json:"matches"`
	Full     int      `json:"full"`     // full matches found (before Limit)
	Near     int      `json:"near"`     // near matches found (Prüm; reported only if Full == 0)
	Partial  int      `json:"partial"`  // partial matches found
	Searched int      `json:"searched"` // profiles in the database
	Warnings []string `json:"warnings,omitempty"`
}

// maxSlots is how many distinct loci a database holds (one bit each in a uint64 mask).
const maxSlots = 64

type genoEntry struct {
	alleles []Allele
	ids     []uint32 // profiles with this genotype, ascending
}

// Database holds profiles for search and familial search. It is safe for concurrent
// use; Add and Remove take a write lock.
//
// Invariant: for every slot s and profile i, cols[s][i] is 0 when i is not typed at
// slots[s], else the 1-based index of its genotype in genos[s], and i is in that entry's
// ids. masks[i] has bit s set exactly when cols[s][i] != 0 and slots[s] is counted.
type Database struct {
	mu      sync.RWMutex
	ids     []string
	byID    map[string]uint32
	removed []bool
	mixture []bool
	kinds   []Kind
	slots   []Locus
	slotOf  [256]int8
	masks   []uint64
	full    []uint64 // fully designated loci
	cols    [][]uint16
	genos   [][]genoEntry
	genoKey []map[string]uint16
	live    int
}

// NewDatabase returns an empty database.
func NewDatabase() *Database {
	db := &Database{byID: map[string]uint32{}}
	for i := range db.slotOf {
		db.slotOf[i] = -1
	}
	return db
}

// Len returns the number of profiles held.
func (db *Database) Len() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.live
}

func genoKeyOf(a []Allele) string {
	b := make([]byte, 2*len(a))
	for i, x := range a {
		b[2*i], b[2*i+1] = byte(x>>8), byte(x)
	}
	return string(b)
}

// Add adds a profile; its ID must be new.
func (db *Database) Add(p *Profile) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("profile %s: %w", p.ID, err)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if _, dup := db.byID[p.ID]; dup {
		return fmt.Errorf("profile %s already in the database", p.ID)
	}
	// Assign slots first so that a failure leaves the database unchanged.
	for _, g := range p.Loci {
		if db.slotOf[g.Locus] < 0 && len(db.slots) == maxSlots {
			return fmt.Errorf("profile %s: database already holds %d loci", p.ID, maxSlots)
		}
	}
	for _, g := range p.Loci {
		s := db.slotOf[g.Locus]
		if s >= 0 && len(db.genos[s]) == 1<<16-1 {
			if _, ok := db.genoKey[s][genoKeyOf(g.Alleles)]; !ok {
				return fmt.Errorf("profile %s: too many distinct genotypes at %s", p.ID, g.Locus)
			}
		}
	}
	i := uint32(len(db.ids))
	db.ids = append(db.ids, p.ID)
	db.byID[p.ID] = i
	db.removed = append(db.removed, false)
	db.mixture = append(db.mixture, p.Mixture)
	db.kinds = append(db.kinds, p.Kind)
	var mask, full uint64
	for s := range db.cols {
		db.cols[s] = append(db.cols[s], 0)
	}
	for _, g := range p.Loci {
		s := db.slotOf[g.Locus]
		if s < 0 {
			s = int8(len(db.slots))
			db.slotOf[g.Locus] = s
			db.slots = append(db.slots, g.Locus)
			db.cols = append(db.cols, make([]uint16, len(db.ids)))
			db.genos = append(db.genos, nil)
			db.genoKey = append(db.genoKey, map[string]uint16{})
		}
		k := genoKeyOf(g.Alleles)
		gi, ok := db.genoKey[s][k]
		if !ok {
			db.genos[s] = append(db.genos[s], genoEntry{alleles: slices.Clone(g.Alleles)})
			gi = uint16(len(db.genos[s]))
			db.genoKey[s][k] = gi
		}
		e := &db.genos[s][gi-1]
		e.ids = append(e.ids, i)
		db.cols[s][i] = gi
		if !g.Locus.IsSex() {
			mask |= 1 << uint(s)
			if g.FullyDesignated() {
				full |= 1 << uint(s)
			}
		}
	}
	db.masks = append(db.masks, mask)
	db.full = append(db.full, full)
	db.live++
	return nil
}

// Remove removes the profile with the given ID and reports whether it was there. The
// space is kept; searches skip it.
func (db *Database) Remove(id string) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	i, ok := db.byID[id]
	if !ok {
		return false
	}
	delete(db.byID, id)
	db.removed[i] = true
	db.masks[i], db.full[i] = 0, 0
	db.live--
	return true
}

// Profile returns a stored profile by ID.
func (db *Database) Profile(id string) (*Profile, bool) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	i, ok := db.byID[id]
	if !ok {
		return nil, false
	}
	return db.profileAt(i), true
}

func (db *Database) profileAt(i uint32) *Profile {
	p := &Profile{ID: db.ids[i], Kind: db.kinds[i], Mixture: db.mixture[i]}
	for s, col := range db.cols {
		if gi := col[i]; gi != 0 {
			p.Loci = append(p.Loci, Genotype{Locus: db.slots[s], Alleles: slices.Clone(db.genos[s][gi-1].alleles)})
		}
	}
	slices.SortFunc(p.Loci, func(a, b Genotype) int { return int(a.Locus) - int(b.Locus) })
	return p
}

// alleleMatch compares two genotypes at one locus. Wildcards and off-ladder values
// (<8, >24, OL) stand for any allele: a search must not miss a hit because a lab sized
// an allele differently, and the statistics, not the search, weigh such loci.
func alleleMatch(q, c []Allele, s Stringency) bool {
	qd, qw := splitWild(q)
	cd, cw := splitWild(c)
	inter := 0
	for _, a := range qd {
		if slices.Contains(cd, a) {
			inter++
		}
	}
	qOnly, cOnly := len(qd)-inter, len(cd)-inter
	switch s {
	case High:
		return qOnly <= cw && cOnly <= qw
	case Moderate:
		return qOnly <= cw || cOnly <= qw
	default:
		return inter > 0 || qw > 0 || cw > 0
	}
}

func splitWild(a []Allele) (designated []Allele, wild int) {
	for i, x := range a {
		if !x.Designated() {
			out := append([]Allele{}, a[:i]...)
			for _, y := range a[i:] {
				if y.Designated() {
					out = append(out, y)
				} else {
					wild++
				}
			}
			return out, wild
		}
	}
	return a, 0
}

// oneAlleleApart reports whether two single-source genotypes differ by exactly one
// allele (12,13 against 12,14; 12,12 against 12,13), counting homozygotes as two copies.
// Mixtures differ by one allele when their sets differ by one element.
func oneAlleleApart(q, c []Allele, mixture bool) bool {
	if mixture || len(q) > 2 || len(c) > 2 {
		diff := 0
		for _, a := range q {
			if !slices.Contains(c, a) {
				diff++
			}
		}
		for _, a := range c {
			if !slices.Contains(q, a) {
				diff++
			}
		}
		return diff == 1
	}
	two := func(a []Allele) [2]Allele {
		if len(a) == 1 {
			return [2]Allele{a[0], a[0]}
		}
		return [2]Allele{a[0], a[1]}
	}
	x, y := two(q), two(c)
	eq := func(a, b Allele) bool { return a == b || !a.Designated() || !b.Designated() }
	shared := 0
	if eq(x[0], y[0]) && eq(x[1], y[1]) || eq(x[0], y[1]) && eq(x[1], y[0]) {
		shared = 2
	} else if eq(x[0], y[0]) || eq(x[0], y[1]) || eq(x[1], y[0]) || eq(x[1], y[1]) {
		shared = 1
	}
	return shared == 1
}

// ErrPrumQuery is returned when a Prüm search's query has too few fully designated loci.
var ErrPrumQuery = errors.New("prüm: query needs at least 6 fully designated loci")

// Search finds the database profiles that match q under opt.
//
// The index is one posting list per locus and genotype: a search walks the lists of
// the genotypes that match the query's at each of its loci, counting per profile the
// matching loci, then checks only the profiles whose count can satisfy opt. Cost is
// proportional to the number of matching genotype occurrences, not to the database size
// times the loci.
func (db *Database) Search(q *Profile, opt SearchOptions) (*SearchResult, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("query %s: %w", q.ID, err)
	}
	if opt.MinLoci < 1 {
		opt.MinLoci = 1
	}
	if opt.MaxMismatches < 0 {
		return nil, errors.New("negative MaxMismatches")
	}
	if opt.Limit <= 0 {
		opt.Limit = 100
	}
	if opt.Stringency > Low {
		return nil, fmt.Errorf("unknown stringency %d", opt.Stringency)
	}
	if opt.Prum {
		opt.Stringency = High
		opt.MinLoci = max(opt.MinLoci, PrumMinLoci)
		if q.FullyDesignated() < PrumMinLoci {
			return nil, ErrPrumQuery
		}
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	res := &SearchResult{Searched: db.live}
	n := len(db.ids)
	type qloc struct {
		slot int
		g    Genotype
	}
	var qs []qloc
	var qmask, qfull uint64
	for _, g := range q.Loci {
		if g.Locus.IsSex() {
			continue
		}
		s := db.slotOf[g.Locus]
		if s < 0 {
			continue // no stored profile has this locus: never compared
		}
		qs = append(qs, qloc{int(s), g})
		qmask |= 1 << uint(s)
		if g.FullyDesignated() {
			qfull |= 1 << uint(s)
		}
	}
	if len(qs) < opt.MinLoci {
		res.Warnings = append(res.Warnings, fmt.Sprintf("query has %d loci the database holds, fewer than the %d required", len(qs), opt.MinLoci))
		return res, nil
	}
	// Count matching loci per profile. uint8 is enough: at most 64 slots.
	count := make([]uint8, n)
	for _, ql := range qs {
		for _, e := range db.genos[ql.slot] {
			if alleleMatch(ql.g.Alleles, e.alleles, opt.Stringency) {
				for _, id := range e.ids {
					count[id]++
				}
			}
		}
	}
	// A near match has one mismatching locus, so allow one for Prüm.
	allow := opt.MaxMismatches
	if opt.Prum {
		allow = max(allow, 1)
	}
	need := max(1, opt.MinLoci-allow)
	var full, near, partial []Match
	for i := range n {
		c := int(count[i])
		if c < need || db.removed[i] {
			continue
		}
		both := qmask & db.masks[i]
		compared := bits.OnesCount64(both)
		if compared < opt.MinLoci || compared-c > allow {
			continue
		}
		m := Match{ID: db.ids[i], Compared: compared}
		for _, ql := range qs {
			if both&(1<<uint(ql.slot)) == 0 {
				continue
			}
			e := db.genos[ql.slot][db.cols[ql.slot][i]-1]
			if alleleMatch(ql.g.Alleles, e.alleles, opt.Stringency) {
				m.Matching = append(m.Matching, ql.g.Locus)
			} else {
				m.Mismatching = append(m.Mismatching, ql.g.Locus)
			}
		}
		switch {
		case opt.Prum:
			fullBoth := 0
			for _, l := range m.Matching {
				s := uint(db.slotOf[l])
				if qfull&db.full[i]&(1<<s) != 0 {
					fullBoth++
				}
			}
			if fullBoth < PrumMinLoci {
				continue
			}
			if len(m.Mismatching) == 0 {
				full = append(full, m)
				continue
			}
			if len(m.Mismatching) > 1 {
				continue
			}
			l := m.Mismatching[0]
			s := db.slotOf[l]
			qg, _ := q.Genotype(l)
			if oneAlleleApart(qg.Alleles, db.genos[s][db.cols[s][i]-1].alleles, q.Mixture || db.mixture[i]) {
				m.Kind = NearMatch
				near = append(near, m)
			} else if opt.MaxMismatches >= 1 {
				m.Kind = PartialMatch
				partial = append(partial, m)
			}
		case len(m.Mismatching) == 0:
			full = append(full, m)
		default:
			m.Kind = PartialMatch
			partial = append(partial, m)
		}
	}
	res.Full, res.Near, res.Partial = len(full), len(near), len(partial)
	rank := func(a, b Match) int {
		if d := len(b.Matching) - len(a.Matching); d != 0 {
			return d
		}
		if d := len(a.Mismatching) - len(b.Mismatching); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortFunc(full, rank)
	slices.SortFunc(near, rank)
	slices.SortFunc(partial, rank)
	out := full
	if opt.Prum && len(full) == 0 {
		out = append(out, near...)
	}
	out = append(out, partial...)
	if len(out) > opt.Limit {
		out = out[:opt.Limit]
	}
	res.Matches = out
	return res, nil
}
