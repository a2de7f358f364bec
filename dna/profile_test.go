package dna

import (
	"errors"
	"strings"
	"testing"
)

func TestLookupLocus(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"vWA", "vWA"}, {"VWA", "vWA"}, {"HUMVWA31A", "vWA"}, {"TH01", "TH01"}, {"THO1", "TH01"},
		{"TH-01", "TH01"}, {"HUMTH01", "TH01"}, {"Penta D", "Penta D"}, {"PENTA_D", "Penta D"},
		{"Penta_E", "Penta E"}, {"PentaE", "Penta E"}, {"FIBRA", "FGA"}, {"fga", "FGA"},
		{"ACTBP2", "SE33"}, {"Amelogenin", "AMEL"}, {"F13A1", "F13A01"}, {"FES/FPS", "FESFPS"},
		{"d3s1358", "D3S1358"}, {"DYS389 II", "DYS389II"}, {"Y-GATA-H4", "YGATAH4"}, {"HUMCSF1PO", "CSF1PO"},
	} {
		l, err := LookupLocus(c.in)
		if err != nil || l.String() != c.want {
			t.Errorf("LookupLocus(%q) = %v, %v; want %s", c.in, l, err, c.want)
		}
	}
	for _, bad := range []string{"", "D99S99", "Y indel", "HUM", "PENTA"} {
		if _, err := LookupLocus(bad); err == nil {
			t.Errorf("LookupLocus(%q): no error", bad)
		}
	}
	if len(CODIS20) != 20 || len(ESS) != 12 || len(CODIS13) != 13 || len(DNA17) != 16 {
		t.Errorf("kit sizes %d %d %d %d", len(CODIS20), len(ESS), len(CODIS13), len(DNA17))
	}
	seen := map[string]bool{}
	for _, l := range AllLoci() {
		if seen[l.String()] {
			t.Errorf("locus %s registered twice", l)
		}
		seen[l.String()] = true
		if got, err := LookupLocus(l.String()); err != nil || got != l {
			t.Errorf("canonical name %s does not round-trip", l)
		}
	}
}

func TestParseAllele(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"9", "9"}, {"9.3", "9.3"}, {" 13.2 ", "13.2"}, {"<8", "<8"}, {">24", ">24"}, {"< 8", "<8"},
		{"OL", "OL"}, {"ol", "OL"}, {"X", "X"}, {"y", "Y"}, {"*", "*"}, {"2.2000000000000002", "2.2"},
		{"10.199999999999999", "10.2"}, {"35.200000000000003", "35.2"}, {"8.3000000000000007", "8.3"},
		{"6.0", "6"}, {"819.1", "819.1"}, {"<9.3", "<9.3"},
	} {
		a, err := ParseAllele(c.in)
		if err != nil || a.String() != c.want {
			t.Errorf("ParseAllele(%q) = %v, %v; want %s", c.in, a, err, c.want)
			continue
		}
		b, err := ParseAllele(a.String())
		if err != nil || b != a {
			t.Errorf("%q does not round-trip", c.in)
		}
	}
	for _, bad := range []string{"", "0", "-1", "9.33", "9.", ".3", "1e3", "abc", "NaN", "Inf", "9,3", "<", ">x", "820", "99999", "9.3.1", "10.25", "+9"} {
		if a, err := ParseAllele(bad); err == nil {
			t.Errorf("ParseAllele(%q) = %v, want error", bad, a)
		} else if !errors.Is(err, ErrAllele) {
			t.Errorf("ParseAllele(%q): %v does not wrap ErrAllele", bad, err)
		}
	}
	if a, _ := ParseAllele("9.3"); !a.Designated() || a.Repeat() != 9.3 {
		t.Errorf("9.3: designated %v repeat %v", a.Designated(), a.Repeat())
	}
	for _, s := range []string{"<8", "OL", "*", "X"} {
		if a, _ := ParseAllele(s); a.Designated() {
			t.Errorf("%s designated", s)
		}
	}
}

const csvGood = `id,pop,D3S1358_1,D3S1358_2,vWA,TH01_1,TH01_2,AMEL,Penta D
A1,Cauc,15,16,17/18,9.3,9.3,X/Y,
A2,AA,14,14,16,6,<5,X,9
`

func TestReadProfilesCSV(t *testing.T) {
	ps, err := ReadProfilesCSV(strings.NewReader(csvGood), "good.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("%d profiles", len(ps))
	}
	if got := ps[0].String(); got != "A1 AMEL=X,Y D3S1358=15,16 TH01=9.3,9.3 vWA=17,18" {
		t.Errorf("A1: %s", got)
	}
	if got := ps[1].String(); got != "A2 AMEL=X,X D3S1358=14,14 TH01=6,<5 vWA=16,16 Penta D=9,9" {
		t.Errorf("A2: %s", got)
	}
	if ps[0].Population != "Cauc" || ps[0].Sex() != "XY" || ps[1].Sex() != "X" {
		t.Errorf("population %q sex %q %q", ps[0].Population, ps[0].Sex(), ps[1].Sex())
	}
	if ps[0].Counted() != 3 || ps[1].FullyDesignated() != 3 {
		t.Errorf("counted %d, fully designated %d", ps[0].Counted(), ps[1].FullyDesignated())
	}
	tab := strings.ReplaceAll("id\tTH01\tFGA\nT1\t6,7\t22\n", "\\t", "\t")
	if ps, err := ReadProfilesCSV(strings.NewReader(tab), "tab.tsv"); err != nil || ps[0].String() != "T1 FGA=22,22 TH01=6,7" {
		t.Errorf("tab separated: %v %v", ps, err)
	}
	mix := "id,mixture,TH01\nM1,true,6/7/8\n"
	if ps, err := ReadProfilesCSV(strings.NewReader(mix), "mix.csv"); err != nil || !ps[0].Mixture || len(ps[0].Loci[0].Alleles) != 3 {
		t.Errorf("mixture: %v %v", ps, err)
	}
	y := "id,kind,DYS19,DYS385,DYS390\nY1,ystr,14,11/14,24\n"
	if ps, err := ReadProfilesCSV(strings.NewReader(y), "y.csv"); err != nil || ps[0].Kind != YSTR {
		t.Errorf("ystr: %v %v", ps, err)
	}
}

func TestReadProfilesCSVErrors(t *testing.T) {
	for _, c := range []struct {
		name, in string
		line     int
		field    string
		reason   string
	}{
		{"unknown locus", "id,TH01,D99S1\nA,6,7\n", 1, "D99S1", "unknown locus"},
		{"no id", "TH01\n6\n", 1, "", "no ID column"},
		{"bad allele", "id,TH01,FGA\nA,6,22\nB,6x,22\n", 3, "TH01", "malformed allele"},
		{"three alleles", "id,TH01\nA,6/7/8\n", 2, "TH01", "3 alleles in a single-source profile"},
		{"empty profile", "id,TH01,AMEL\nA,,X\n", 2, "id A", "no typed locus"},
		{"repeated id", "id,TH01\nA,6\nA,7\n", 3, "id", "repeated"},
		{"field count", "id,TH01\nA,6,7\n", 2, "", "3 fields"},
		{"amel allele", "id,AMEL\nA,6\n", 2, "AMEL", "not X or Y"},
		{"xy at str", "id,TH01\nA,X\n", 2, "TH01", "only valid at Amelogenin"},
		{"y locus in autosomal", "id,DYS19\nA,14\n", 2, "DYS19", "is ystr"},
		{"bad mixture flag", "id,mixture,TH01\nA,maybe,6\n", 2, "mixture", "want true or false"},
		{"empty id", "id,TH01\n,6\n", 2, "id", "empty ID"},
		{"quote", "id,TH01\n\"A,6\n", 2, "", "quote"},
		{"empty input", "", 1, "", "no header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadProfilesCSV(strings.NewReader(c.in), "in.csv")
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			if ie.Input != "in.csv" || ie.Line != c.line || ie.Field != c.field || !strings.Contains(ie.Reason, c.reason) {
				t.Errorf("got %q (line %d field %q), want line %d field %q reason ~%q", err, ie.Line, ie.Field, c.line, c.field, c.reason)
			}
		})
	}
}

func TestReadProfilesJSON(t *testing.T) {
	in := `[
  {"id": "J1", "loci": {"TH01": ["9.3", 6], "vWA": ["17"], "AMEL": ["X", "Y"]}},
  {"id": "J2", "kind": "ystr", "loci": {"DYS19": [14], "DYS385": ["11", "14"]}}
]
{"id": "J3", "mixture": true, "population": "Cauc", "loci": {"FGA": ["20", "21", "22"]}}
`
	ps, err := ReadProfilesJSON(strings.NewReader(in), "in.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].String() != "J1 AMEL=X,Y TH01=6,9.3 vWA=17,17" || ps[1].Kind != YSTR || !ps[2].Mixture || ps[2].Population != "Cauc" {
		t.Fatalf("%v", ps)
	}
	// MarshalJSON output reads back.
	b, err := ps[0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ReadProfilesJSON(strings.NewReader(string(b)), "back")
	if err != nil || back[0].String() != ps[0].String() {
		t.Errorf("round trip: %s -> %v %v", b, back, err)
	}
	for _, c := range []struct {
		name, in string
		line     int
		reason   string
	}{
		{"syntax", "{\"id\": \"A\",\n \"loci\": {\"TH01\": [6,]}}", 2, "bad JSON"},
		{"unknown locus", "\n\n{\"id\": \"A\", \"loci\": {\"XX1\": [\"6\"]}}", 3, "unknown locus"},
		{"bad allele", "[{\"id\": \"A\", \"loci\": {\"TH01\": [\"6\"]}},\n {\"id\": \"B\", \"loci\": {\"TH01\": [\"6q\"]}}]", 2, "malformed allele"},
		{"unknown key", `{"id": "A", "locus": {}}`, 1, "unknown field"},
		{"empty", "  ", 0, "no profile"},
		{"no id", `{"loci": {"TH01": [6]}}`, 1, "empty ID"},
		{"object allele", `{"id": "A", "loci": {"TH01": [{}]}}`, 1, "neither a string nor a number"},
		{"three alleles", `{"id": "A", "loci": {"TH01": [6, 7, 8]}}`, 1, "3 alleles"},
		{"bad kind", `{"id": "A", "kind": "mito", "loci": {"TH01": [6]}}`, 1, "unknown profile kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadProfilesJSON(strings.NewReader(c.in), "in.json")
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			if ie.Line != c.line || !strings.Contains(ie.Reason, c.reason) {
				t.Errorf("got %q (line %d), want line %d reason ~%q", err, ie.Line, c.line, c.reason)
			}
		})
	}
}

func TestProfileFromCalls(t *testing.T) {
	p, err := ProfileFromCalls("type18", "S1", Autosomal, false, []LocusCall{
		{Locus: "D3S1358", Alleles: []string{"15", "16"}}, {Locus: "THO1", Alleles: []string{"9.3,6"}}, {Locus: "AMEL", Alleles: []string{"X", "Y"}},
	})
	if err != nil || p.String() != "S1 AMEL=X,Y D3S1358=15,16 TH01=6,9.3" {
		t.Fatalf("%v %v", p, err)
	}
	_, err = ProfileFromCalls("type18", "S1", Autosomal, false, []LocusCall{{Locus: "TH01", Alleles: []string{"6", "zz"}}})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "TH01" || !strings.Contains(err.Error(), `"zz"`) {
		t.Errorf("bad allele error: %v", err)
	}
	if _, err := ProfileFromCalls("type18", "S1", Autosomal, false, nil); !errors.Is(err, ErrEmptyProfile) {
		t.Errorf("empty: %v", err)
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	ps, err := ReadProfilesCSV(strings.NewReader(csvGood), "good.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var q Profile
		if err := q.UnmarshalBinary(b); err != nil || q.String() != p.String() {
			t.Errorf("%s -> %s %v", p, &q, err)
		}
		for i := range b {
			var r Profile
			_ = r.UnmarshalBinary(b[:i]) // must not panic
		}
	}
}
