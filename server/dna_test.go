package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/dna"
)

// TestDNA enrols STR profiles of the NIST 1036 population sample: identification by DNA,
// a second record under another name caught by DNA at enrolment, and claimed family links
// tested — a true child confirmed, an unrelated person refuted.
func TestDNA(t *testing.T) {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	tables, err := dna.LoadTables(filepath.Join(dir, "dna", "NIST1036_allele_freqs_long.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "dna", "NIST1036_genotypes_29STR.csv"))
	if err != nil {
		t.Fatal(err)
	}
	people, err := dna.ReadProfilesCSV(f, "NIST1036_genotypes_29STR.csv")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	father, mother, stranger := people[0].Profile, people[1].Profile, people[2].Profile
	// The child inherits the first allele of each parent at every locus both typed.
	child := &dna.Profile{ID: "child", Kind: dna.Autosomal}
	for _, g := range father.Loci {
		if m, ok := mother.Genotype(g.Locus); ok {
			child.Loci = append(child.Loci, dna.Genotype{Locus: g.Locus, Alleles: sortedPair(g.Alleles[0], m.Alleles[0])})
		}
	}

	n := startLocal(t, Config{DNATables: tables})
	call := n.call
	sample := func(p *dna.Profile) map[string]any {
		js, _ := p.MarshalJSON()
		return map[string]any{"modality": "dna", "profile": json.RawMessage(js)}
	}
	type enrolled struct {
		PersonID  string `json:"person_id"`
		Conflicts []struct {
			OtherID string `json:"other_id"`
		}
	}
	var fa, ch, str, forged enrolled
	call("POST", "/v1/persons", map[string]any{"person": map[string]any{"name": "Hamid Saleh", "category": "detainee"}, "samples": []any{sample(father)}}, 201, &fa)
	call("POST", "/v1/persons", map[string]any{"person": map[string]any{"name": "Yusuf Saleh", "category": "family-member"}, "samples": []any{sample(child)}}, 201, &ch)
	call("POST", "/v1/persons", map[string]any{"person": map[string]any{"name": "Omar Nouri", "category": "displaced-person"}, "samples": []any{sample(stranger)}}, 201, &str)

	// The father's profile identifies him, with a score far beyond any finger's.
	var id struct {
		Decision   string
		Candidates []candidate
	}
	call("POST", "/v1/identify", map[string]any{"samples": []any{sample(father)}}, 200, &id)
	if id.Decision != "hit" || id.Candidates[0].PersonID != fa.PersonID || id.Candidates[0].DNA < 100 {
		t.Fatalf("identify by DNA: %+v", id)
	}
	// His profile under another name: a new record and an identity conflict.
	call("POST", "/v1/persons", map[string]any{"person": map[string]any{"name": "Hamid Karimi"}, "samples": []any{sample(father)}}, 201, &forged)
	if len(forged.Conflicts) != 1 || forged.Conflicts[0].OtherID != fa.PersonID {
		t.Errorf("same DNA under another name: %+v", forged)
	}

	// Claimed family links, tested by DNA.
	var link struct {
		Status string
		Note   string
	}
	call("POST", "/v1/persons/"+fa.PersonID+"/family", map[string]any{"relative_id": ch.PersonID, "relation": "child"}, 201, &link)
	if link.Status != "confirmed-dna" || !strings.Contains(link.Note, "LR") {
		t.Errorf("father and true child: %+v", link)
	}
	call("POST", "/v1/persons/"+fa.PersonID+"/family", map[string]any{"relative_id": str.PersonID, "relation": "child"}, 201, &link)
	if link.Status != "refuted-dna" {
		t.Errorf("father and a stranger claimed as his child: %+v", link)
	}
	call("POST", "/v1/persons/"+fa.PersonID+"/family", map[string]any{"relative_id": str.PersonID, "relation": "spouse"}, 201, &link)
	if link.Status != "claimed" {
		t.Errorf("a spouse is not a DNA question: %+v", link)
	}
	t.Logf("father–child: %s", strings.ReplaceAll(link.Note, "\n", " | "))

	// Familial search with the child's profile: the father leads the parent–child list.
	var fam struct {
		Candidates []familialCandidate
		Searched   int
	}
	js, _ := child.MarshalJSON()
	call("POST", "/v1/dna/familial", map[string]any{"profile": json.RawMessage(js), "relationship": "parent-child", "limit": 3}, 200, &fam)
	if len(fam.Candidates) == 0 || (fam.Candidates[0].PersonID != fa.PersonID && fam.Candidates[0].PersonID != forged.PersonID) || !fam.Candidates[0].Above {
		t.Errorf("familial search for the child's parent: %+v", fam)
	}
	call("POST", "/v1/dna/familial", map[string]any{"profile": json.RawMessage(js), "relationship": "spouse"}, 400, nil)

	// After a restart the DNA database is loaded from the store.
	srv2, err := New(context.Background(), n.st, Config{DNATables: tables, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv2.dna.db.Len(); got != 4 {
		t.Errorf("DNA database after restart: %d profiles, want 4", got)
	}
}

func sortedPair(a, b dna.Allele) []dna.Allele {
	if a == b {
		return []dna.Allele{a}
	}
	if b < a {
		a, b = b, a
	}
	return []dna.Allele{a, b}
}
