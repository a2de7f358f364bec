package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dnaFiles writes a small hand-made frequency table and profiles into a temporary
// folder: two loci with round frequencies, a father F, his child C (one allele from F
// at each locus), the mother M and an unrelated U.
func dnaFiles(t *testing.T) (dir string) {
	dir = t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("freqs.csv", `population,locus,allele,freq,n
Toy,TH01,6,0.1,1000
Toy,TH01,7,0.2,1000
Toy,TH01,8,0.3,1000
Toy,TH01,9.3,0.4,1000
Toy,vWA,16,0.25,1000
Toy,vWA,17,0.25,1000
Toy,vWA,18,0.25,1000
Toy,vWA,19,0.25,1000
`)
	write("people.csv", `id,TH01_1,TH01_2,vWA_1,vWA_2
F,6,7,16,17
C,6,8,16,18
M,8,9.3,18,19
U,9.3,9.3,19,19
`)
	write("query.json", `{"id": "Q", "loci": {"TH01": ["6", "7"], "vWA": ["16", "17"]}}`)
	return dir
}

func TestDNASearch(t *testing.T) {
	dir := dnaFiles(t)
	out, _, err := run("dna", "search", "--db", filepath.Join(dir, "people.csv"), "--min-loci", "2",
		"--freqs", filepath.Join(dir, "freqs.csv"), filepath.Join(dir, "query.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Full match F: RMP = (2·0.1·0.2)(2·0.25·0.25) with θ=0.01 Balding–Nichols, about 0.005.
	if !strings.Contains(out, "Q: 1 full") || !strings.Contains(out, "F  full") || strings.Contains(out, "C  ") {
		t.Errorf("search output:\n%s", out)
	}
	out, _, err = run("dna", "search", "--db", filepath.Join(dir, "people.csv"), "--min-loci", "2", "--stringency", "low", "--json", filepath.Join(dir, "query.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		Result struct {
			Matches []struct {
				ID       string   `json:"id"`
				Matching []string `json:"matching"`
			} `json:"matches"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err, out)
	}
	// Low stringency: C shares one allele at both loci; matches rank by matching loci, then ID.
	if len(res) != 1 || len(res[0].Result.Matches) != 2 || res[0].Result.Matches[0].ID != "C" || res[0].Result.Matches[1].ID != "F" {
		t.Errorf("low stringency: %s", out)
	}
}

func TestDNARMPAndKinship(t *testing.T) {
	dir := dnaFiles(t)
	out, _, err := run("dna", "rmp", "--freqs", filepath.Join(dir, "freqs.csv"), "--method", "product", "--theta", "0", filepath.Join(dir, "people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// F: 2·0.1·0.2 · 2·0.25·0.25 = 0.04 · 0.125 = 0.005. U: 0.16 · 0.0625 = 0.01.
	if flat := strings.Join(strings.Fields(out), " "); !strings.Contains(flat, "F product-rule θ=0 worst Toy RMP 0.005 ") || !strings.Contains(flat, "U product-rule θ=0 worst Toy RMP 0.01 ") {
		t.Errorf("rmp output:\n%s", out)
	}
	out, _, err = run("dna", "kinship", "--freqs", filepath.Join(dir, "freqs.csv"), "--theta", "0", "--mutation-rate", "0",
		"--a", "F", "--b", "C", "--relationship", "parent-child", filepath.Join(dir, "people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Duo: 1/(4·p6) · 1/(4·p16) = 2.5 · 1 = 2.5.
	if !strings.Contains(out, "LR 2.5 ") || !strings.Contains(out, "verdict: inconclusive") {
		t.Errorf("kinship output:\n%s", out)
	}
	out, _, err = run("dna", "kinship", "--freqs", filepath.Join(dir, "freqs.csv"), "--theta", "0", "--mutation-rate", "0",
		"--a", "F", "--b", "C", "--mother", "M", filepath.Join(dir, "people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Trio: the mother gives 8 and 18; the father 6 (prob 1/2) and 16 (1/2); PI = 1/(2·0.1) · 1/(2·0.25) = 10.
	if !strings.Contains(out, "paternity-trio between F and C: LR 10 ") {
		t.Errorf("trio output:\n%s", out)
	}
	out, _, err = run("dna", "familial", "--db", filepath.Join(dir, "people.csv"), "--freqs", filepath.Join(dir, "freqs.csv"),
		"--relationship", "parent-child", "--min-loci", "2", "--theta", "0", filepath.Join(dir, "query.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Q is F's genotype: F itself first, then C (2.5 without mutation; 2.5·(1−μ) with the default μ).
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.Contains(lines[1], " 1 F ") || !strings.Contains(lines[2], " 2 C ") || !strings.Contains(lines[2], "KI 2.49") {
		t.Errorf("familial output:\n%s", out)
	}
}

func TestDNABadInput(t *testing.T) {
	dir := dnaFiles(t)
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("id,TH01,vWA\nA,6,17\nB,6.77,17\n"), 0o644)
	_, _, err := run("dna", "search", "--db", bad, filepath.Join(dir, "query.json"))
	if err == nil || !strings.Contains(err.Error(), "bad.csv:3: TH01: malformed allele \"6.77\"") {
		t.Errorf("bad allele: %v", err)
	}
	os.WriteFile(bad, []byte("id,TH02\nA,6\n"), 0o644)
	_, _, err = run("dna", "rmp", "--freqs", filepath.Join(dir, "freqs.csv"), bad)
	if err == nil || !strings.Contains(err.Error(), `bad.csv:1: TH02: unknown locus "TH02"`) {
		t.Errorf("unknown locus: %v", err)
	}
	_, _, err = run("dna", "kinship", "--freqs", filepath.Join(dir, "freqs.csv"), "--a", "F", "--b", "nobody", filepath.Join(dir, "people.csv"))
	if err == nil || !strings.Contains(err.Error(), "--b nobody: no such profile") {
		t.Errorf("unknown ID: %v", err)
	}
	_, _, err = run("dna", "rmp", filepath.Join(dir, "people.csv"))
	if err == nil || !strings.Contains(err.Error(), "--freqs") {
		t.Errorf("no tables: %v", err)
	}
	_, _, err = run("dna", "search", "--db", filepath.Join(dir, "people.csv"), "--stringency", "extreme", filepath.Join(dir, "query.json"))
	if err == nil || !strings.Contains(err.Error(), "unknown stringency") {
		t.Errorf("bad stringency: %v", err)
	}
}

func TestDNAEval(t *testing.T) {
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	geno := filepath.Join(root, "dna", "NIST1036_genotypes_29STR.csv")
	freqs := filepath.Join(root, "dna", "NIST1036_allele_freqs_long.tsv")
	out, _, err := run("dna", "eval", "--genotypes", geno, "--freqs", freqs, "--pop", "AfAm,Cauc,Hisp,Asian",
		"--pairs", "100", "--db-size", "2000", "--queries", "10", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		People int `json:"people"`
		LR     []struct {
			Truth  string  `json:"truth"`
			Tested string  `json:"tested"`
			AboveT float64 `json:"frac_lr_ge_threshold"`
		} `json:"lr"`
		Familial []struct {
			Rank10 float64 `json:"rank10"`
		} `json:"familial"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.People != 1036 || len(r.LR) != 9 || len(r.Familial) != 2 {
		t.Fatalf("eval report: %s", out)
	}
	if r.LR[0].Truth != "parent-child" || r.LR[0].AboveT < 0.85 {
		t.Errorf("parent–child LR ≥ 10^4 for %.0f%%", 100*r.LR[0].AboveT)
	}
}
