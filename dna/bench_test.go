package dna

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

const benchProfiles = 1_000_000

var (
	benchOnce sync.Once
	benchDB   *Database
	benchQ    []*Profile
)

// benchDatabase synthesises a million CODIS 20 profiles from the NIST 1036 allele
// frequencies of the four populations, in the proportions of the NIST sample.
func benchDatabase(b *testing.B) (*Database, []*Profile) {
	ts, _ := nist(b)
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(11, 12))
		weights := map[string]int{"AfAm": 342, "Cauc": 361, "Hisp": 236, "Asian": 97}
		var samplers []*Sampler
		for _, pop := range ts.Populations() {
			s, err := NewSampler(ts[pop], CODIS20)
			if err != nil {
				panic(err)
			}
			for range weights[pop] {
				samplers = append(samplers, s)
			}
		}
		benchDB = NewDatabase()
		for i := range benchProfiles {
			p := samplers[rng.IntN(len(samplers))].Profile(rng, fmt.Sprintf("P%07d", i))
			if err := benchDB.Add(p); err != nil {
				panic(err)
			}
			if i%10007 == 0 {
				benchQ = append(benchQ, p)
			}
		}
	})
	return benchDB, benchQ
}

func benchSearch(b *testing.B, opt SearchOptions) {
	db, qs := benchDatabase(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := qs[i%len(qs)]
		r, err := db.Search(q, opt)
		if err != nil {
			b.Fatal(err)
		}
		found := false
		for _, m := range r.Matches {
			found = found || m.ID == q.ID && m.Kind == FullMatch
		}
		if !found {
			b.Fatalf("%s not found", q.ID)
		}
	}
}

// BenchmarkSearch1M: high stringency over ≥ 10 loci, a stored profile as query.
func BenchmarkSearch1M(b *testing.B) { benchSearch(b, DefaultSearchOptions()) }

// BenchmarkSearch1MPrum: the Prüm rules (full and near matches over ≥ 6 loci).
func BenchmarkSearch1MPrum(b *testing.B) { benchSearch(b, PrumSearchOptions()) }

// BenchmarkSearch1MModerate: moderate stringency, one mismatching locus allowed.
func BenchmarkSearch1MModerate(b *testing.B) {
	benchSearch(b, SearchOptions{Stringency: Moderate, MinLoci: 10, MaxMismatches: 1})
}

// BenchmarkSearch1MLow: low stringency, the worst case for the index (about half of
// all profiles share an allele at each locus).
func BenchmarkSearch1MLow(b *testing.B) {
	benchSearch(b, SearchOptions{Stringency: Low, MinLoci: 18, Limit: 1 << 20})
}

// BenchmarkFamilial1M: full-sibling familial search, minimum over the 4 NIST populations.
func BenchmarkFamilial1M(b *testing.B) {
	db, qs := benchDatabase(b)
	ts, _ := nist(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := db.Familial(qs[i%len(qs)], ts, FamilialOptions{Relationship: FullSiblings, Kinship: DefaultKinshipOptions()}); err != nil {
			b.Fatal(err)
		}
	}
}
