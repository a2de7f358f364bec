package dna

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// prof builds a profile from "LOCUS=a,b LOCUS=a ..." for tests.
func prof(t testing.TB, id, spec string, mixture bool) *Profile {
	t.Helper()
	var calls []LocusCall
	for _, f := range strings.Fields(spec) {
		l, a, _ := strings.Cut(f, "=")
		calls = append(calls, LocusCall{Locus: strings.ReplaceAll(l, "~", " "), Alleles: []string{a}})
	}
	p, err := ProfileFromCalls("test", id, Autosomal, mixture, calls)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const base = "D3S1358=15,16 vWA=17,18 D8S1179=12,13 D21S11=29,30 D18S51=14,15 TH01=6,9.3 FGA=21,22 D1S1656=12,15 D2S441=10,11 D10S1248=13,14 D12S391=18,19 D22S1045=15,16"

func TestSearchStringency(t *testing.T) {
	db := NewDatabase()
	add := func(id, spec string, mix bool) {
		if err := db.Add(prof(t, id, spec, mix)); err != nil {
			t.Fatal(err)
		}
	}
	add("same", base, false)
	add("hom", strings.Replace(base, "TH01=6,9.3", "TH01=6", 1), false)         // dropout at TH01
	add("mix", strings.Replace(base, "TH01=6,9.3", "TH01=6,8,9.3", 1), true)    // mixture superset
	add("oneallele", strings.Replace(base, "TH01=6,9.3", "TH01=6,7", 1), false) // one allele differs
	add("twoloci", strings.Replace(strings.Replace(base, "TH01=6,9.3", "TH01=6,7", 1), "FGA=21,22", "FGA=23,24", 1), false)
	add("partial", "D3S1358=15,16 vWA=17,18 D8S1179=12,13 D21S11=29,30 D18S51=14,15", false) // 5 loci
	add("other", "D3S1358=14,17 vWA=14,15 D8S1179=10,11 D21S11=27,28 D18S51=12,13 TH01=7,8 FGA=19,20 D1S1656=11,13 D2S441=12,13 D10S1248=12,15 D12S391=16,17 D22S1045=11,12", false)
	q := prof(t, "q", base, false)
	ids := func(r *SearchResult) []string {
		var s []string
		for _, m := range r.Matches {
			s = append(s, m.ID+":"+m.Kind.String())
		}
		slices.Sort(s)
		return s
	}
	for _, c := range []struct {
		name string
		opt  SearchOptions
		want []string
	}{
		{"high", SearchOptions{Stringency: High, MinLoci: 10}, []string{"same:full"}},
		{"high min 5", SearchOptions{Stringency: High, MinLoci: 5}, []string{"partial:full", "same:full"}},
		{"moderate", SearchOptions{Stringency: Moderate, MinLoci: 10}, []string{"hom:full", "mix:full", "same:full"}},
		{"low", SearchOptions{Stringency: Low, MinLoci: 10}, []string{"hom:full", "mix:full", "oneallele:full", "same:full"}},
		{"high 1 mismatch", SearchOptions{Stringency: High, MinLoci: 10, MaxMismatches: 1}, []string{"hom:partial", "mix:partial", "oneallele:partial", "same:full"}},
		{"prum", PrumSearchOptions(), []string{"same:full"}}, // partial: 5 loci, fewer than 6
	} {
		r, err := db.Search(q, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(r); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Result details: compared, matching, mismatching loci.
	r, _ := db.Search(q, SearchOptions{Stringency: High, MinLoci: 10, MaxMismatches: 2})
	for _, m := range r.Matches {
		if m.ID == "twoloci" {
			if m.Compared != 12 || len(m.Matching) != 10 || fmt.Sprint(m.Mismatching) != "[FGA TH01]" {
				t.Errorf("twoloci: %+v", m)
			}
		}
	}
	// Prüm near match only when there is no full match.
	db.Remove("same")
	db.Remove("partial")
	r, err := db.Search(q, PrumSearchOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r); !slices.Equal(got, []string{"hom:near", "mix:near", "oneallele:near"}) || r.Near != 3 || r.Full != 0 {
		t.Errorf("prum near: %v (full %d near %d)", got, r.Full, r.Near)
	}
	// A wildcard in the query matches anything at that allele.
	qw := prof(t, "qw", strings.Replace(base, "TH01=6,9.3", "TH01=6,*", 1), false)
	r, _ = db.Search(qw, PrumSearchOptions())
	if got := ids(r); !slices.Equal(got, []string{"hom:full", "oneallele:full"}) {
		t.Errorf("prum wildcard: %v", got)
	}
	// Prüm needs 6 fully designated loci in the query.
	if _, err := db.Search(prof(t, "few", "D3S1358=15,16 vWA=17,* D8S1179=12,13 D21S11=29,30 D18S51=14,15 TH01=6,<5", false), PrumSearchOptions()); err != ErrPrumQuery {
		t.Errorf("few designated loci: %v", err)
	}
	if db.Len() != 5 {
		t.Errorf("Len %d", db.Len())
	}
}

func TestAlleleMatch(t *testing.T) {
	a := func(s ...string) []Allele {
		var out []Allele
		for _, x := range s {
			v, err := ParseAllele(x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		q, c           []Allele
		high, mod, low bool
		near           bool
	}{
		{a("12", "13"), a("12", "13"), true, true, true, false},
		{a("12", "13"), a("12"), false, true, true, true},
		{a("12", "13"), a("12", "14"), false, false, true, true},
		{a("12", "13"), a("14", "15"), false, false, false, false},
		{a("12"), a("12"), true, true, true, false},
		{a("12", "*"), a("12", "14"), true, true, true, false},
		{a("12", "*"), a("12"), true, true, true, false},
		{a("12", "13"), a("12", "13", "14"), false, true, true, true},
		{a(">24", "12"), a("12", "30"), true, true, true, false},
	} {
		if got := alleleMatch(c.q, c.c, High); got != c.high {
			t.Errorf("high %v %v = %v", c.q, c.c, got)
		}
		if got := alleleMatch(c.q, c.c, Moderate); got != c.mod {
			t.Errorf("moderate %v %v = %v", c.q, c.c, got)
		}
		if got := alleleMatch(c.q, c.c, Low); got != c.low {
			t.Errorf("low %v %v = %v", c.q, c.c, got)
		}
		if got := oneAlleleApart(c.q, c.c, false); got != c.near {
			t.Errorf("near %v %v = %v", c.q, c.c, got)
		}
	}
}

// TestSearchAgainstScan compares the indexed search with a direct comparison of every
// profile, on random partial profiles and all stringencies.
func TestSearchAgainstScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tb := newTable("toy", "toy")
	for _, l := range CODIS20 {
		tb.Freq[l] = map[Allele]float64{}
		for v := 10; v < 14; v++ {
			tb.Freq[l][Allele(v*10)] = 0.25
		}
		tb.N[l] = 100
	}
	s, err := NewSampler(tb, CODIS20)
	if err != nil {
		t.Fatal(err)
	}
	drop := func(p *Profile) *Profile {
		q := &Profile{ID: p.ID}
		for _, g := range p.Loci {
			if rng.IntN(4) > 0 {
				q.Loci = append(q.Loci, g)
			}
		}
		if len(q.Loci) == 0 {
			q.Loci = p.Loci[:1]
		}
		return q
	}
	db := NewDatabase()
	var all []*Profile
	for i := range 3000 {
		p := drop(s.Profile(rng, fmt.Sprint("p", i)))
		all = append(all, p)
		if err := db.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	for k := range 30 {
		q := drop(s.Profile(rng, "q"))
		if k%3 == 0 {
			q = all[rng.IntN(len(all))]
		}
		for _, st := range []Stringency{High, Moderate, Low} {
			opt := SearchOptions{Stringency: st, MinLoci: 3 + k%5, MaxMismatches: k % 2, Limit: 1 << 30}
			r, err := db.Search(q, opt)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, p := range all {
				compared, mism := 0, 0
				for _, g := range q.Loci {
					h, ok := p.Genotype(g.Locus)
					if !ok {
						continue
					}
					compared++
					if !alleleMatch(g.Alleles, h.Alleles, st) {
						mism++
					}
				}
				if compared >= opt.MinLoci && mism <= opt.MaxMismatches {
					want = append(want, p.ID)
				}
			}
			var got []string
			for _, m := range r.Matches {
				got = append(got, m.ID)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("query %d %s: index found %d, scan %d", k, st, len(got), len(want))
			}
		}
	}
}

func TestDatabaseAddErrors(t *testing.T) {
	db := NewDatabase()
	p := prof(t, "a", "TH01=6,7", false)
	if err := db.Add(p); err != nil {
		t.Fatal(err)
	}
	if err := db.Add(p); err == nil {
		t.Error("duplicate ID accepted")
	}
	if err := db.Add(&Profile{ID: "empty"}); err == nil {
		t.Error("empty profile accepted")
	}
	got, ok := db.Profile("a")
	if !ok || got.String() != p.String() {
		t.Errorf("Profile: %v", got)
	}
}

// TestConcurrentSearchAndAdd: searches, familial searches and additions may run at once
// (run with -race).
func TestConcurrentSearchAndAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	ts := toyTables(rng)
	s, _ := NewSampler(ts["P1"], CODIS20)
	db := NewDatabase()
	for i := range 200 {
		db.Add(s.Profile(rng, fmt.Sprint("p", i)))
	}
	qs := make([]*Profile, 8)
	for i := range qs {
		qs[i] = s.Profile(rng, "q")
	}
	extra := make([]*Profile, 200)
	for i := range extra {
		extra[i] = s.Profile(rng, fmt.Sprint("x", i))
	}
	done := make(chan error)
	for _, q := range qs {
		go func() {
			for range 20 {
				if _, err := db.Search(q, SearchOptions{Stringency: Low, MinLoci: 5}); err != nil {
					done <- err
					return
				}
			}
			_, err := db.Familial(q, ts, FamilialOptions{Relationship: FullSiblings})
			done <- err
		}()
	}
	for _, p := range extra {
		if err := db.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	for range qs {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if db.Len() != 400 {
		t.Errorf("Len %d", db.Len())
	}
}
