package dna

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goldenCase is one hand-computed case in testdata/golden; the comment in each file
// works the formula out. A new case is a new file.
type goldenCase struct {
	Comment      string                        `json:"comment"`
	Kind         string                        `json:"kind"` // pair, trio, rmp
	Relationship string                        `json:"relationship"`
	Method       string                        `json:"method"`
	Theta        float64                       `json:"theta"`
	Mutation     *Mutation                     `json:"mutation"`
	N            int                           `json:"n"`
	Freqs        map[string]map[string]float64 `json:"freqs"`
	A            map[string][]string           `json:"a"`
	B            map[string][]string           `json:"b"`
	Mother       map[string][]string           `json:"mother"`
	Want         float64                       `json:"want"`
	Inconsistent int                           `json:"inconsistent"`
	Warnings     int                           `json:"warnings"`
}

func goldenProfile(t *testing.T, id string, m map[string][]string) *Profile {
	t.Helper()
	var calls []LocusCall
	for l, a := range m {
		calls = append(calls, LocusCall{Locus: l, Alleles: a})
	}
	p, err := ProfileFromCalls("golden", id, Autosomal, false, calls)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func goldenTable(t *testing.T, c goldenCase) *Table {
	t.Helper()
	tb := newTable("golden", "golden")
	for ln, fs := range c.Freqs {
		l := MustLocus(ln)
		tb.Freq[l] = map[Allele]float64{}
		for as, f := range fs {
			a, err := ParseAllele(as)
			if err != nil {
				t.Fatal(err)
			}
			tb.Freq[l][a] = f
		}
		tb.N[l] = c.N
		if c.N == 0 {
			tb.N[l] = 1_000_000 // floor 5e-6: below every golden frequency
		}
	}
	return tb
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(files) == 0 {
		t.Fatal("no golden cases", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c goldenCase
			d := json.NewDecoder(strings.NewReader(string(data)))
			d.DisallowUnknownFields()
			if err := d.Decode(&c); err != nil {
				t.Fatal(err)
			}
			tb := goldenTable(t, c)
			var got float64
			var inconsistent, warnings int
			switch c.Kind {
			case "rmp":
				m, err := ParseMethod(c.Method)
				if err != nil {
					t.Fatal(err)
				}
				r, err := RMP(goldenProfile(t, "a", c.A), tb, StatOptions{Method: m, Theta: c.Theta})
				if err != nil {
					t.Fatal(err)
				}
				got, warnings = r.RMP, len(r.Warnings)
			case "pair", "trio":
				opt := KinshipOptions{Theta: c.Theta}
				if c.Mutation != nil {
					opt.Mutation = *c.Mutation
				}
				var r *KinshipResult
				if c.Kind == "trio" {
					r, err = Paternity(goldenProfile(t, "child", c.B), goldenProfile(t, "mother", c.Mother), goldenProfile(t, "af", c.A), tb, opt)
				} else {
					rel, err2 := ParseRelationship(c.Relationship)
					if err2 != nil {
						t.Fatal(err2)
					}
					r, err = Kinship(goldenProfile(t, "a", c.A), goldenProfile(t, "b", c.B), rel, tb, opt)
				}
				if err != nil {
					t.Fatal(err)
				}
				got, inconsistent, warnings = r.LR, r.Inconsistent, len(r.Warnings)
			default:
				t.Fatalf("unknown kind %q", c.Kind)
			}
			if math.Abs(got-c.Want) > 1e-12*math.Max(1, math.Abs(c.Want)) {
				t.Errorf("got %.17g, want %.17g\n%s", got, c.Want, c.Comment)
			}
			if inconsistent != c.Inconsistent {
				t.Errorf("inconsistent loci %d, want %d", inconsistent, c.Inconsistent)
			}
			if warnings != c.Warnings {
				t.Errorf("warnings %d, want %d", warnings, c.Warnings)
			}
		})
	}
}

// TestKinshipSymmetry: for the k-coefficient relationships without θ the LR does not
// depend on which person is first.
func TestKinshipSymmetry(t *testing.T) {
	tb := goldenTable(t, goldenCase{Freqs: map[string]map[string]float64{"TH01": {"6": 0.1, "7": 0.2, "8": 0.3, "9": 0.4}}})
	gs := [][]string{{"6", "7"}, {"6"}, {"8", "9"}, {"7", "9"}, {"9"}}
	for _, rel := range []Relationship{FullSiblings, HalfSiblings, FirstCousins, Identical, Unrelated} {
		for _, x := range gs {
			for _, y := range gs {
				a := goldenProfile(t, "a", map[string][]string{"TH01": x})
				b := goldenProfile(t, "b", map[string][]string{"TH01": y})
				r1, err1 := Kinship(a, b, rel, tb, KinshipOptions{})
				r2, err2 := Kinship(b, a, rel, tb, KinshipOptions{})
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				if math.Abs(r1.LR-r2.LR) > 1e-12*r1.LR {
					t.Errorf("%s %v %v: %g vs %g", rel.Name, x, y, r1.LR, r2.LR)
				}
				if rel.Name == "unrelated" && math.Abs(r1.LR-1) > 1e-12 {
					t.Errorf("unrelated LR %g, want 1", r1.LR)
				}
			}
		}
	}
}

// TestKinshipExpectation: a likelihood ratio's expectation under the alternative is 1:
// Σ over genotype pairs of P(x, y | unrelated)·LR(x, y) = Σ P(x, y | related) = 1.
func TestKinshipExpectation(t *testing.T) {
	freqs := map[string]float64{"6": 0.1, "7": 0.2, "8": 0.3, "9": 0.4}
	tb := goldenTable(t, goldenCase{Freqs: map[string]map[string]float64{"TH01": freqs}})
	var gs [][]string
	var ps []float64
	keys := []string{"6", "7", "8", "9"}
	for i, a := range keys {
		for _, b := range keys[i:] {
			gs = append(gs, []string{a, b})
			p := freqs[a] * freqs[b]
			if a != b {
				p *= 2
			}
			ps = append(ps, p)
		}
	}
	for _, theta := range []float64{0, 0.03} {
		for _, rel := range append(slices.Clone(Relationships), Unrelated) {
			sum := 0.0
			for i, x := range gs {
				for j, y := range gs {
					a := goldenProfile(t, "a", map[string][]string{"TH01": x})
					b := goldenProfile(t, "b", map[string][]string{"TH01": y})
					r, err := Kinship(a, b, rel, tb, KinshipOptions{Theta: theta})
					if err != nil {
						t.Fatal(err)
					}
					// P(x, y | unrelated) with θ is the four-allele sampling formula.
					s := &alleleSampler{t: tb, l: MustLocus("TH01"), theta: theta, floored: map[Allele]bool{}}
					p0 := 0.0
					for _, xo := range orders(a.Loci[0].Alleles) {
						for _, yo := range orders(b.Loci[0].Alleles) {
							p0 += s.seq(xo[0], xo[1], yo[0], yo[1])
						}
					}
					if theta == 0 && math.Abs(p0-ps[i]*ps[j]) > 1e-15 {
						t.Fatalf("P0 %g, want %g", p0, ps[i]*ps[j])
					}
					sum += p0 * r.LR
				}
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Errorf("θ=%g %s: E[LR | unrelated] = %.12f, want 1", theta, rel.Name, sum)
			}
		}
	}
}
