package dna

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseAllele(f *testing.F) {
	for _, s := range []string{"9", "9.3", "<8", ">24", "OL", "X", "*", "2.2000000000000002", "", "1e5", "9.33"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAllele(s)
		if err != nil {
			if !errors.Is(err, ErrAllele) {
				t.Fatalf("%q: error %v does not wrap ErrAllele", s, err)
			}
			return
		}
		b, err := ParseAllele(a.String())
		if err != nil || b != a {
			t.Fatalf("%q -> %v does not round-trip (%v, %v)", s, a, b, err)
		}
	})
}

func FuzzLookupLocus(f *testing.F) {
	for _, s := range []string{"vWA", "Penta D", "HUMTH01", "HUM", "", "DYS389 II"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := LookupLocus(s)
		if err == nil {
			if back, err := LookupLocus(l.String()); err != nil || back != l {
				t.Fatalf("%q -> %v does not round-trip", s, l)
			}
		}
	})
}

// checkParsed checks what every profile parser promises: an *InputError or valid
// profiles that survive the binary and JSON encodings.
func checkParsed(t *testing.T, ps []CSVProfile, err error) {
	t.Helper()
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *InputError", err)
		}
		return
	}
	for _, p := range ps {
		if err := p.Validate(); err != nil {
			t.Fatalf("parser returned an invalid profile %s: %v", p.Profile, err)
		}
		b, _ := p.MarshalBinary()
		var q Profile
		if err := q.UnmarshalBinary(b); err != nil || q.String() != p.String() {
			t.Fatalf("binary round trip of %s: %v", p.Profile, err)
		}
		j, _ := p.MarshalJSON()
		back, err := ReadProfilesJSON(strings.NewReader(string(j)), "back")
		if err != nil || back[0].String() != p.String() {
			t.Fatalf("JSON round trip of %s: %s %v", p.Profile, j, err)
		}
	}
}

func FuzzReadProfilesCSV(f *testing.F) {
	f.Add(csvGood)
	f.Add("id,mixture,TH01\nM1,true,6/7/8\n")
	f.Add("id,kind,DYS19,DYS385\nY1,ystr,14,11/14\n")
	f.Add("Sample,Pop,CSF1PO_1,CSF1PO_2\nGT1,AA,11,12\n")
	f.Add("id\tTH01\nA\t<5,OL\n")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ReadProfilesCSV(strings.NewReader(s), "fuzz.csv")
		checkParsed(t, ps, err)
	})
}

func FuzzReadProfilesJSON(f *testing.F) {
	f.Add(`{"id": "J1", "loci": {"TH01": ["9.3", 6], "AMEL": ["X", "Y"]}}`)
	f.Add(`[{"id": "A", "kind": "ystr", "loci": {"DYS19": [14]}}, {"id": "B", "mixture": true, "loci": {"FGA": [20, 21, 22]}}]`)
	f.Add("{\"id\": \"A\", \"loci\": {}}\n{\"id\": \"B\"}")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ReadProfilesJSON(strings.NewReader(s), "fuzz.json")
		checkParsed(t, ps, err)
	})
}

func FuzzReadTables(f *testing.F) {
	f.Add("population,locus,allele,freq,n\nCauc,TH01,9.3,0.5,100\nCauc,TH01,6,0.5,100\n")
	f.Add("population\tlocus\tallele\tcount\tn_alleles\tfreq\nAfAm\tCSF1PO\t7\t38\t684\t0.5\nAfAm\tCSF1PO\t8\t342\t684\t0.5\n")
	f.Add("locus,allele,count\nTH01,6,3\nTH01,7,5\n")
	f.Add("TITLE,,\nAllele,TH01,Y indel\n6,0.5,\n2.2000000000000002,0.5,1\nN,404,97\nWhere N = number,,\n")
	f.Add("Allele,vWA,TH01\n5,,2\n6,3,8\nn,3,10\n")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ReadTables(strings.NewReader(s), "fuzz.csv", "pop")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			return
		}
		for _, tb := range ts {
			for l, fs := range tb.Freq {
				sum := 0.0
				for _, v := range fs {
					if !(v >= 0 && v <= 1) {
						t.Fatalf("%s %s: frequency %v", tb.Population, l, v)
					}
					sum += v
				}
				if sum < 0.95 || sum > 1.05 {
					t.Fatalf("%s %s: sum %v", tb.Population, l, sum)
				}
				if fl := tb.Floor(l); !(fl > 0 && fl <= 1) {
					t.Fatalf("floor %v", fl)
				}
			}
		}
	})
}

func FuzzUnmarshalBinary(f *testing.F) {
	p := prof(f, "S1", "TH01=6,9.3 vWA=17 AMEL=X,Y", false)
	b, _ := p.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var q Profile
		if err := q.UnmarshalBinary(b); err == nil {
			if err := q.Validate(); err != nil {
				t.Fatalf("decoded an invalid profile: %v", err)
			}
		}
	})
}
