package dna

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// toyTables returns two populations with different frequencies over CODIS 20, with
// 4 to 8 alleles per locus.
func toyTables(rng *rand.Rand) Tables {
	ts := Tables{}
	for _, pop := range []string{"P1", "P2"} {
		t := newTable(pop, "toy")
		for _, l := range CODIS20 {
			k := 4 + rng.IntN(5)
			f := map[Allele]float64{}
			sum := 0.0
			for a := range k {
				v := 0.2 + rng.Float64()
				f[Allele((8+a)*10)] = v
				sum += v
			}
			for a := range f {
				f[a] /= sum
			}
			t.Freq[l], t.N[l] = f, 400
		}
		ts[pop] = t
	}
	return ts
}

// TestFamilialAgainstKinship: the ranked KI of every candidate is the minimum over
// populations of Kinship, and the order is by KI.
func TestFamilialAgainstKinship(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ts := toyTables(rng)
	s, _ := NewSampler(ts["P1"], CODIS20)
	db := NewDatabase()
	var all []*Profile
	q := s.Profile(rng, "q")
	for i := range 400 {
		p := s.Profile(rng, fmt.Sprint("p", i))
		if i%50 == 0 {
			p = s.Child(rng, p.ID, q, nil, Mutation{})
		}
		if i%7 == 0 {
			p = Restrict(p, CODIS20[:12+i%8])
		}
		all = append(all, p)
		if err := db.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []Relationship{ParentChild, FullSiblings, HalfSiblings, FirstCousins} {
		opt := FamilialOptions{Relationship: rel, Kinship: DefaultKinshipOptions(), Limit: 1000}
		res, err := db.Familial(q, ts, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Candidates) != len(all) {
			t.Fatalf("%s: %d candidates, want %d", rel.Name, len(res.Candidates), len(all))
		}
		for i, c := range res.Candidates {
			if i > 0 && c.Log10KI > res.Candidates[i-1].Log10KI {
				t.Fatalf("%s: not sorted at %d", rel.Name, i)
			}
			p, _ := db.Profile(c.ID)
			_, lo, err := KinshipMin(q, p, rel, ts, opt.Kinship)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(lo.Log10LR-c.Log10KI) > 1e-3*math.Max(1, math.Abs(lo.Log10LR)) || lo.Population != c.Population {
				t.Fatalf("%s %s: familial log10 KI %.5f in %s, Kinship %.5f in %s", rel.Name, c.ID, c.Log10KI, c.Population, lo.Log10LR, lo.Population)
			}
		}
		if rel.Name == "parent-child" {
			for _, c := range res.Candidates[:8] {
				if c.ID[1:] != "0" && c.ID[1:] != "50" && c.ID[1:] != "100" && c.ID[1:] != "150" && c.ID[1:] != "200" && c.ID[1:] != "250" && c.ID[1:] != "300" && c.ID[1:] != "350" {
					t.Errorf("parent–child: %s ranked among the top 8, above a true child", c.ID)
				}
			}
		}
	}
	if _, err := db.Familial(q, ts, FamilialOptions{}); err == nil {
		t.Error("no relationship accepted")
	}
}

// TestBadProfilesNoPanic: hand-built invalid profiles get errors, not panics.
func TestBadProfilesNoPanic(t *testing.T) {
	ts := toyTables(rand.New(rand.NewPCG(1, 1)))
	good := prof(t, "g", "TH01=8,9 vWA=8,10", false)
	bad := []*Profile{
		{ID: "empty"},
		{ID: "noalleles", Loci: []Genotype{{Locus: MustLocus("TH01")}}},
		{ID: "unsorted", Loci: []Genotype{{Locus: MustLocus("vWA"), Alleles: []Allele{80}}, {Locus: MustLocus("TH01"), Alleles: []Allele{80}}}},
		{ID: "three", Loci: []Genotype{{Locus: MustLocus("TH01"), Alleles: []Allele{80, 90, 100}}}},
		{ID: "badlocus", Loci: []Genotype{{Locus: 250, Alleles: []Allele{80}}}},
		{ID: "badallele", Loci: []Genotype{{Locus: MustLocus("TH01"), Alleles: []Allele{0xFFFF}}}},
		{ID: "zero", Loci: []Genotype{{Locus: MustLocus("TH01"), Alleles: []Allele{0}}}},
		{ID: "xy", Loci: []Genotype{{Locus: MustLocus("TH01"), Alleles: []Allele{AlleleX}}}},
	}
	db := NewDatabase()
	db.Add(good)
	for _, p := range bad {
		if _, err := Kinship(good, p, FullSiblings, ts["P1"], KinshipOptions{}); err == nil {
			t.Errorf("Kinship accepted %s", p.ID)
		}
		if _, err := RMP(p, ts["P1"], StatOptions{}); err == nil {
			t.Errorf("RMP accepted %s", p.ID)
		}
		if _, err := db.Search(p, SearchOptions{}); err == nil {
			t.Errorf("Search accepted %s", p.ID)
		}
		if _, err := db.Familial(p, ts, FamilialOptions{Relationship: FullSiblings}); err == nil {
			t.Errorf("Familial accepted %s", p.ID)
		}
		if err := db.Add(p); err == nil {
			t.Errorf("Add accepted %s", p.ID)
		}
	}
}
