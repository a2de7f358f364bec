package dna

import (
	"math"
	"strings"
	"testing"
)

func TestYSTRHaplotypes(t *testing.T) {
	in := "id,kind,DYS19,DYS385,DYS389I,DYS389II,DYS390,DYS391,DYS392,DYS393\n" +
		"Y1,ystr,14,11/14,13,29,24,11,13,13\n" +
		"Y2,ystr,14,11/14,13,29,24,11,13,13\n" +
		"Y3,ystr,15,11/14,13,29,24,11,13,13\n" +
		"Y4,ystr,15,12/15,12,28,23,10,11,14\n"
	ps, err := ReadProfilesCSV(strings.NewReader(in), "y.csv")
	if err != nil {
		t.Fatal(err)
	}
	db := NewDatabase()
	for _, p := range ps {
		if err := db.Add(p.Profile); err != nil {
			t.Fatal(err)
		}
	}
	r, err := db.Search(ps[0].Profile, SearchOptions{MinLoci: 8})
	if err != nil {
		t.Fatal(err)
	}
	if r.Full != 2 || r.Matches[0].ID != "Y1" || r.Matches[1].ID != "Y2" {
		t.Errorf("Y search: %+v", r)
	}
	r, _ = db.Search(ps[0].Profile, SearchOptions{MinLoci: 8, MaxMismatches: 1})
	if r.Full != 2 || r.Partial != 1 {
		t.Errorf("Y search with one mismatch: %+v", r)
	}
	// DYS385a and DYS385b columns merge into DYS385.
	ab, err := ReadProfilesCSV(strings.NewReader("id,kind,DYS19,DYS385a,DYS385b\nY9,ystr,14,11,14\n"), "ab.csv")
	if err != nil || ab[0].String() != "Y9 [ystr] DYS19=14 DYS385=11,14" {
		t.Errorf("DYS385a/b columns: %v %v", ab, err)
	}
	// An autosomal query never compares with Y haplotypes.
	a := prof(t, "a", "TH01=6,7 vWA=17,18", false)
	if r, _ := db.Search(a, SearchOptions{MinLoci: 1}); len(r.Matches) != 0 {
		t.Errorf("autosomal query matched Y profiles: %+v", r.Matches)
	}
	// More than two alleles at DYS385 needs the mixture flag; three at DYS19 too.
	if _, err := ReadProfilesCSV(strings.NewReader("id,kind,DYS19\nY,ystr,14/15\n"), "y.csv"); err == nil {
		t.Error("two alleles at single-copy DYS19 accepted")
	}
	if _, err := RMP(ps[0].Profile, newTable("x", "x"), DefaultStatOptions()); err == nil {
		t.Error("RMP of a Y haplotype")
	}
}

func TestHaplotypeMatchProbability(t *testing.T) {
	// Never seen in n: the 95 % upper bound is 1 − 0.05^(1/n); for n = 1000 that is
	// 0.0029913, close to the rule of three 3/n.
	p, err := HaplotypeMatchProbability(0, 1000)
	if err != nil || math.Abs(p-(1-math.Pow(0.05, 1.0/1000))) > 1e-9 {
		t.Errorf("0 of 1000: %v %v", p, err)
	}
	// Seen once in 10: the upper bound solves P(X ≤ 1) = 0.05: (1−p)^10 + 10p(1−p)^9 = 0.05.
	p, _ = HaplotypeMatchProbability(1, 10)
	if v := math.Pow(1-p, 10) + 10*p*math.Pow(1-p, 9); math.Abs(v-0.05) > 1e-9 {
		t.Errorf("1 of 10: p %v gives P(X≤1) = %v", p, v)
	}
	if _, err := HaplotypeMatchProbability(3, 2); err == nil {
		t.Error("x > n accepted")
	}
}

func TestScore(t *testing.T) {
	for _, c := range []struct{ rate, want float64 }{{1e-3, 30}, {1, 0}, {1e-30, 120}, {0, 120}, {2, 0}} {
		if got := Score(c.rate); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Score(%g) = %g, want %g", c.rate, got, c.want)
		}
	}
	// MatchScore of a near match: the mismatching locus contributes the chance of
	// sharing at least one allele, 1 − (1 − p6 − p7)² = 1 − 0.7² = 0.51.
	tb := newTable("toy", "toy")
	tb.Freq[MustLocus("TH01")] = map[Allele]float64{60: 0.1, 70: 0.2, 80: 0.3, 93: 0.4}
	tb.Freq[MustLocus("vWA")] = map[Allele]float64{160: 0.25, 170: 0.25, 180: 0.25, 190: 0.25}
	tb.N[MustLocus("TH01")], tb.N[MustLocus("vWA")] = 1000, 1000
	q := prof(t, "q", "TH01=6,7 vWA=16,17", false)
	m := Match{Matching: []Locus{MustLocus("vWA")}, Mismatching: []Locus{MustLocus("TH01")}}
	s, rate, err := MatchScore(q, m, Tables{"toy": tb}, StatOptions{Method: ProductRule})
	if err != nil || math.Abs(rate-0.125*0.51) > 1e-12 || math.Abs(s+10*math.Log10(0.125*0.51)) > 1e-9 {
		t.Errorf("MatchScore = %v, %v, %v", s, rate, err)
	}
}
