package dna

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testdata returns the path of a shared data file, skipping when BIOMESH_TESTDATA is
// unset and failing when it is set but the file is missing.
func testdata(t testing.TB, rel string) string {
	t.Helper()
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	p := filepath.Join(root, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("BIOMESH_TESTDATA is set but %v", err)
	}
	return p
}

var (
	nistOnce   sync.Once
	nistTables Tables
	nistPeople []CSVProfile
	nistErr    error
)

// nist loads the NIST 1036 tables (without the pooled "All") and genotypes.
func nist(t testing.TB) (Tables, []CSVProfile) {
	t.Helper()
	freqs := testdata(t, "dna/NIST1036_allele_freqs_long.tsv")
	geno := testdata(t, "dna/NIST1036_genotypes_29STR.csv")
	nistOnce.Do(func() {
		nistTables, nistErr = LoadTables(freqs)
		if nistErr != nil {
			return
		}
		delete(nistTables, "All")
		f, err := os.Open(geno)
		if err != nil {
			nistErr = err
			return
		}
		defer f.Close()
		nistPeople, nistErr = ReadProfilesCSV(f, geno)
	})
	if nistErr != nil {
		t.Fatal(nistErr)
	}
	return nistTables, nistPeople
}

func TestLoadSharedTables(t *testing.T) {
	dir := testdata(t, "dna")
	for _, c := range []struct {
		glob    string
		files   int
		minLoci int
	}{
		{"fbi2015/FBI2015_*.csv", 12, 23},
		{"fbi2015/FBI_extended_*.csv", 1, 23},
		{"uk-dna17/UK_DNA17__[^D]*.csv", 6, 16},
		{"NIST1036_allele_freqs_long.tsv", 1, 29},
	} {
		files, _ := filepath.Glob(filepath.Join(dir, c.glob))
		if len(files) != c.files {
			t.Fatalf("%s: %d files, want %d", c.glob, len(files), c.files)
		}
		for _, f := range files {
			ts, err := LoadTables(f)
			if err != nil {
				t.Fatal(err)
			}
			for pop, tb := range ts {
				if len(tb.Freq) < c.minLoci {
					t.Errorf("%s %s: %d loci, want ≥ %d", f, pop, len(tb.Freq), c.minLoci)
				}
				for l, fs := range tb.Freq {
					if tb.N[l] <= 0 {
						t.Errorf("%s %s %s: no allele count", f, pop, l)
					}
					for a := range fs {
						if a.Class() == Special {
							t.Errorf("%s %s %s: allele %v", f, pop, l, a)
						}
					}
				}
			}
		}
	}
	// FBI float-noise labels: 2.2000000000000002 is Penta D 2.2.
	ts, err := LoadTables(filepath.Join(dir, "fbi2015/FBI2015_Moretti2016__Caucasian.csv"))
	if err != nil {
		t.Fatal(err)
	}
	c := ts["Caucasian"]
	if f := c.Freq[MustLocus("Penta D")][Allele(22)]; math.Abs(f-4.9504950495049506e-3) > 1e-15 {
		t.Errorf("Caucasian Penta D 2.2 = %v", f)
	}
	if c.N[MustLocus("TH01")] != 404 || len(c.Warnings) != 2 {
		t.Errorf("Caucasian N(TH01) = %d, warnings %v", c.N[MustLocus("TH01")], c.Warnings)
	}
	// UK counts become frequencies: White TH01 6 is 578 of 2550 alleles.
	ts, err = LoadTables(filepath.Join(dir, "uk-dna17/UK_DNA17__White_EA1_EA2.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w := ts["White_EA1_EA2"]
	if f := w.Freq[MustLocus("TH01")][Allele(60)]; math.Abs(f-578.0/2550) > 1e-15 || w.N[MustLocus("TH01")] != 2550 {
		t.Errorf("White TH01 6 = %v, N %d", f, w.N[MustLocus("TH01")])
	}
	if _, err := LoadTables(filepath.Join(dir, "uk-dna17/UK_DNA17__Data_Summary.csv")); err == nil {
		t.Error("the UK summary sheet loaded as a table")
	}
}

// TestRMPCODIS20ByHand recomputes, from the NIST 1036 file read here with a plain
// split and no package code, the product-rule (NRC II 4.1, 4.4a) and Balding–Nichols
// (4.10) RMP of the CODIS 20 genotypes of the first Caucasian in the genotype file.
func TestRMPCODIS20ByHand(t *testing.T) {
	ts, people := nist(t)
	path := testdata(t, "dna/NIST1036_allele_freqs_long.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	freq := map[string]float64{} // "locus allele" -> freq in Cauc
	n := map[string]float64{}    // locus -> alleles typed
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if c[0] != "Cauc" {
			continue
		}
		v, _ := strconv.ParseFloat(c[5], 64)
		freq[c[1]+" "+c[2]] = v
		n[c[1]], _ = strconv.ParseFloat(c[4], 64)
	}
	var p *Profile
	for _, q := range people {
		if q.Population == "Cauc" {
			p = Restrict(q.Profile, CODIS20)
			break
		}
	}
	if p == nil || p.Counted() != 20 {
		t.Fatal("no Caucasian with CODIS 20 typed")
	}
	for _, theta := range []float64{0.01, 0.03} {
		rp, err := RMP(p, ts["Cauc"], StatOptions{Method: ProductRule, Theta: theta})
		if err != nil {
			t.Fatal(err)
		}
		rb, err := RMP(p, ts["Cauc"], StatOptions{Method: BaldingNichols, Theta: theta})
		if err != nil {
			t.Fatal(err)
		}
		if len(rp.Loci) != 20 || len(rb.Loci) != 20 {
			t.Fatalf("%d and %d loci used, want 20", len(rp.Loci), len(rb.Loci))
		}
		prod, bn := 1.0, 1.0
		for i, g := range p.Loci {
			name := strings.ReplaceAll(g.Locus.String(), " ", "_")
			fr := func(a Allele) float64 {
				v := freq[name+" "+a.String()]
				return math.Max(v, 5/n[name]) // NRC II floor 5/2N
			}
			pa := fr(g.Alleles[0])
			th := theta
			var hp, hb float64
			if g.Homozygous() {
				hp = pa*pa + pa*(1-pa)*th                                              // NRC II 4.4a
				hb = (2*th + (1-th)*pa) * (3*th + (1-th)*pa) / ((1 + th) * (1 + 2*th)) // 4.10a
			} else {
				pb := fr(g.Alleles[1])
				hp = 2 * pa * pb                                                       // 4.1b
				hb = 2 * (th + (1-th)*pa) * (th + (1-th)*pb) / ((1 + th) * (1 + 2*th)) // 4.10b
			}
			if rp.Loci[i].Locus != g.Locus || math.Abs(rp.Loci[i].P/hp-1) > 1e-12 || math.Abs(rb.Loci[i].P/hb-1) > 1e-12 {
				t.Errorf("θ=%g %s: product %g (hand %g), BN %g (hand %g)", theta, g, rp.Loci[i].P, hp, rb.Loci[i].P, hb)
			}
			prod *= hp
			bn *= hb
		}
		if math.Abs(rp.RMP/prod-1) > 1e-9 || math.Abs(rb.RMP/bn-1) > 1e-9 {
			t.Errorf("θ=%g: product %g (hand %g), BN %g (hand %g)", theta, rp.RMP, prod, rb.RMP, bn)
		}
		if rb.RMP <= rp.RMP {
			t.Errorf("θ=%g: Balding–Nichols %g not above the product rule %g", theta, rb.RMP, rp.RMP)
		}
		t.Logf("%s θ=%g: product rule %.3g, Balding–Nichols %.3g, score %.1f", p.ID, theta, rp.RMP, rb.RMP, rb.Score())
	}
}

// TestSimulatedRelatives measures LR distributions on relatives simulated from the NIST
// genotypes and checks them against what 20 CODIS loci are known to give.
func TestSimulatedRelatives(t *testing.T) {
	ts, people := nist(t)
	r, err := Evaluate(people, ts, EvalOptions{Pairs: 300, DBSize: 5000, Queries: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.String())
	get := func(truth, tested string) LRDist {
		for _, d := range r.Dists {
			if d.Truth == truth && d.Tested == tested {
				return d
			}
		}
		t.Fatalf("no %s/%s", truth, tested)
		return LRDist{}
	}
	if d := get("parent-child", "parent-child"); d.AboveT < 0.9 || d.BelowT > 0 {
		t.Errorf("parent–child: %.1f%% ≥ 10^4, %.1f%% ≤ 10^-4", 100*d.AboveT, 100*d.BelowT)
	}
	if d := get("parent-child, one mutation", "parent-child"); d.AboveT < 0.6 || d.BelowT > 0 {
		t.Errorf("parent–child with a mutation: %.1f%% ≥ 10^4, %.1f%% excluded", 100*d.AboveT, 100*d.BelowT)
	}
	if d := get("full-siblings", "full-siblings"); d.Above1 < 0.95 {
		t.Errorf("siblings: %.1f%% LR > 1", 100*d.Above1)
	}
	if d := get("unrelated", "parent-child"); d.Above1 > 0.01 || d.AboveT > 0 {
		t.Errorf("unrelated tested as parent–child: %.1f%% LR > 1", 100*d.Above1)
	}
	if d := get("unrelated", "full-siblings"); d.Above1 > 0.05 {
		t.Errorf("unrelated tested as siblings: %.1f%% LR > 1", 100*d.Above1)
	}
	for _, f := range r.Familial {
		if f.Rank10 < 0.8 {
			t.Errorf("familial %s: rank ≤ 10 for %.0f%%", f.Relationship, 100*f.Rank10)
		}
	}
	if r.SearchFound != 1 {
		t.Errorf("search found itself for %.0f%% of queries", 100*r.SearchFound)
	}
}

// TestKinshipMinPopulations: the reported LR is the minimum over populations.
func TestKinshipMinPopulations(t *testing.T) {
	ts, people := nist(t)
	rng := rand.New(rand.NewPCG(1, 2))
	s, err := NewSampler(ts["Cauc"], CODIS20)
	if err != nil {
		t.Fatal(err)
	}
	par := Restrict(people[0].Profile, CODIS20)
	child := s.Child(rng, "c", par, nil, Mutation{})
	all, lo, err := KinshipMin(par, child, ParentChild, ts, DefaultKinshipOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.LR < lo.LR {
			t.Errorf("%s LR %g below the reported minimum %g", r.Population, r.LR, lo.LR)
		}
	}
	if len(all) != 4 || lo.Verdict != "supported" && lo.LR >= 1e4 {
		t.Errorf("%d populations, verdict %s for LR %g", len(all), lo.Verdict, lo.LR)
	}
}
