package dna_test

import (
	"fmt"
	"strings"

	"github.com/biomesh/biomesh/dna"
)

func Example() {
	people := `id,D3S1358,vWA,FGA,TH01,D8S1179,D21S11
A,15/16,17/18,21/22,6/9.3,12/13,29/30
B,14/15,16/17,20/24,7/8,13/14,28/30
`
	ps, err := dna.ReadProfilesCSV(strings.NewReader(people), "people.csv")
	if err != nil {
		panic(err)
	}
	db := dna.NewDatabase()
	for _, p := range ps {
		if err := db.Add(p.Profile); err != nil {
			panic(err)
		}
	}
	// A crime-scene profile with a dropout at TH01 (9.3 missing): no high-stringency
	// match over 6 loci, a moderate-stringency one.
	q, err := dna.ProfileFromCalls("scene", "S1", dna.Autosomal, false, []dna.LocusCall{
		{Locus: "D3S1358", Alleles: []string{"15", "16"}}, {Locus: "VWA", Alleles: []string{"17,18"}},
		{Locus: "FGA", Alleles: []string{"21", "22"}}, {Locus: "THO1", Alleles: []string{"6"}},
		{Locus: "D8S1179", Alleles: []string{"12", "13"}}, {Locus: "D21S11", Alleles: []string{"29", "30"}},
	})
	if err != nil {
		panic(err)
	}
	for _, st := range []dna.Stringency{dna.High, dna.Moderate} {
		r, _ := db.Search(q, dna.SearchOptions{Stringency: st, MinLoci: 6})
		fmt.Println(st, len(r.Matches))
	}
	// Output:
	// high 0
	// moderate 1
}

func ExampleKinship() {
	// The duo of issue 7: alleged father a/b, child a/c, p(a) = 0.01: LR = 1/(4·0.01) = 25.
	t, err := dna.ReadTables(strings.NewReader("locus,allele,freq,n\nTH01,6,0.01,10000\nTH01,7,0.49,10000\nTH01,8,0.5,10000\n"), "toy.csv", "toy")
	if err != nil {
		panic(err)
	}
	f, _ := dna.ProfileFromCalls("", "F", dna.Autosomal, false, []dna.LocusCall{{Locus: "TH01", Alleles: []string{"6", "7"}}})
	c, _ := dna.ProfileFromCalls("", "C", dna.Autosomal, false, []dna.LocusCall{{Locus: "TH01", Alleles: []string{"6", "8"}}})
	r, _ := dna.Kinship(f, c, dna.ParentChild, t["toy"], dna.KinshipOptions{})
	fmt.Printf("LR %.4g: %s\n", r.LR, r.Verbal)
	// Output: LR 25: moderate support for the relationship
}
