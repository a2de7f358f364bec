package dna

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Table is one population's allele frequencies.
//
// Freq[l][a] is the frequency of allele a at locus l; N[l] is the number of alleles
// typed at l (2N for N people), which sets the NRC II floor 5/2N for rare and unseen
// alleles. A locus with N[l] == 0 (a table of frequencies that does not say how many
// were typed) uses MinFloor.
type Table struct {
	Population string
	Source     string
	Freq       map[Locus]map[Allele]float64
	N          map[Locus]int
	// Warnings lists what the loader skipped (unknown columns, non-STR markers).
	Warnings []string
}

// MinFloor is the floor used when a table does not give its sample size.
const MinFloor = 0.001

func newTable(pop, source string) *Table {
	return &Table{Population: pop, Source: source, Freq: map[Locus]map[Allele]float64{}, N: map[Locus]int{}}
}

// Loci returns the loci the table covers, sorted.
func (t *Table) Loci() []Locus {
	return slices.Sorted(maps.Keys(t.Freq))
}

// Floor returns the minimum allele frequency at l: 5/2N (NRC II, recommendation 4.3's
// companion for rare alleles), or MinFloor when N is unknown.
func (t *Table) Floor(l Locus) float64 {
	if n := t.N[l]; n > 0 {
		return math.Min(1, 5/float64(n))
	}
	return MinFloor
}

// Prob returns the frequency to use for allele a at l and whether the floor was applied
// (the allele is rarer than the floor or missing from the table). Off-ladder alleles
// <x and >x take the summed frequency of the table's alleles below/above x; OL and the
// wildcard take the floor. ok is false when the table does not cover the locus.
func (t *Table) Prob(l Locus, a Allele) (p float64, floored, ok bool) {
	f, ok := t.Freq[l]
	if !ok {
		return 0, false, false
	}
	floor := t.Floor(l)
	switch a.Class() {
	case Regular:
		p = f[a]
	case Below, Above:
		for b, q := range f {
			if b.Class() == Regular && ((a.Class() == Below && b.Tenths() < a.Tenths()) || (a.Class() == Above && b.Tenths() > a.Tenths())) {
				p += q
			}
		}
	}
	if p < floor {
		return floor, true, true
	}
	return p, false, true
}

// Tables is a set of population tables keyed by population name.
type Tables map[string]*Table

// Populations returns the population names, sorted.
func (ts Tables) Populations() []string { return slices.Sorted(maps.Keys(ts)) }

// ReadTables reads allele frequency tables in either of two layouts, detected from the
// header:
//
// Long (the documented biomesh format; comma or tab separated), one allele per row:
//
//	population,locus,allele,freq,n
//	Cauc,TH01,9.3,0.3045,722
//
// Columns may come in any order; freq (or frequency) or count must be present, and n
// (also n_alleles, N, 2N) is the number of alleles typed at the locus; with counts and
// no n, n is the sum of the counts at the locus. Extra columns are ignored. The NIST
// 1036 file (population locus allele count n_alleles freq) is this layout.
//
// Wide, one allele per row and one locus per column, as the FBI and UK tables are: an
// optional title line, a header "Allele,<locus>,<locus>,...", cells holding frequencies
// or counts (counts if any cell exceeds 1), and an optional row labelled N or n giving
// the alleles typed per locus. Columns that are not known STR loci (Y indel, AMEL) are
// skipped and listed in the table's Warnings; a repeated "Allele" column is ignored;
// rows after a row that does not start with an allele label ("Where N = ...") end the
// table. The population is pop (the caller's, e.g. from the file name).
//
// input labels errors.
func ReadTables(r io.Reader, input, pop string) (Tables, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &InputError{Input: input, Reason: err.Error(), Err: err}
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")) {
		cr.Comma = '\t'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	recs, err := cr.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		line := 0
		if errors.As(err, &pe) {
			line = pe.Line
		}
		return nil, &InputError{Input: input, Line: line, Reason: csvReason(err), Err: err}
	}
	if len(recs) == 0 {
		return nil, &InputError{Input: input, Reason: "empty table"}
	}
	for i := 0; i < len(recs) && i < 3; i++ {
		h := lower(recs[i])
		if slices.Contains(h, "locus") && slices.Contains(h, "allele") {
			return readLong(recs[i:], i, input, pop)
		}
		if len(h) > 0 && strings.TrimPrefix(h[0], "\ufeff") == "allele" {
			return readWide(recs[i:], i, input, pop)
		}
	}
	return nil, &InputError{Input: input, Line: 1, Reason: "neither a long table (header with locus and allele columns) nor a wide one (header starting with Allele)"}
}

func lower(rec []string) []string {
	out := make([]string, len(rec))
	for i, s := range rec {
		out[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	}
	return out
}

func readLong(recs [][]string, skip int, input, defaultPop string) (Tables, error) {
	h := lower(recs[0])
	col := func(names ...string) int {
		for _, n := range names {
			if i := slices.Index(h, n); i >= 0 {
				return i
			}
		}
		return -1
	}
	cPop, cLocus, cAllele := col("population", "pop"), col("locus"), col("allele")
	cFreq, cCount, cN := col("freq", "frequency"), col("count"), col("n", "n_alleles", "2n", "nalleles")
	if cFreq < 0 && cCount < 0 {
		return nil, &InputError{Input: input, Line: skip + 1, Reason: "no freq or count column"}
	}
	ts := Tables{}
	sums := map[*Table]map[Locus]int{}
	for i, rec := range recs[1:] {
		line := skip + i + 2
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(h) {
			return nil, &InputError{Input: input, Line: line, Reason: fmt.Sprintf("%d fields, header has %d", len(rec), len(h))}
		}
		pop := defaultPop
		if cPop >= 0 {
			pop = strings.TrimSpace(rec[cPop])
		}
		if pop == "" {
			return nil, &InputError{Input: input, Line: line, Field: "population", Reason: "empty population"}
		}
		l, err := LookupLocus(rec[cLocus])
		if err != nil {
			return nil, &InputError{Input: input, Line: line, Field: "locus", Reason: err.Error(), Err: err}
		}
		a, err := ParseAllele(rec[cAllele])
		if err != nil {
			return nil, &InputError{Input: input, Line: line, Field: "allele", Reason: err.Error(), Err: err}
		}
		t := ts[pop]
		if t == nil {
			t = newTable(pop, input)
			ts[pop] = t
			sums[t] = map[Locus]int{}
		}
		if t.Freq[l] == nil {
			t.Freq[l] = map[Allele]float64{}
		}
		if _, dup := t.Freq[l][a]; dup {
			return nil, &InputError{Input: input, Line: line, Field: "allele", Reason: fmt.Sprintf("allele %s repeated at %s in %s", a, l, pop)}
		}
		var count int
		if cCount >= 0 {
			count, err = strconv.Atoi(strings.TrimSpace(rec[cCount]))
			if err != nil || count < 0 {
				return nil, &InputError{Input: input, Line: line, Field: "count", Reason: fmt.Sprintf("want a count ≥ 0, got %q", rec[cCount])}
			}
			sums[t][l] += count
		}
		if cN >= 0 {
			n, err := strconv.Atoi(strings.TrimSpace(rec[cN]))
			if err != nil || n <= 0 {
				return nil, &InputError{Input: input, Line: line, Field: "n", Reason: fmt.Sprintf("want a number of alleles > 0, got %q", rec[cN])}
			}
			if old := t.N[l]; old != 0 && old != n {
				return nil, &InputError{Input: input, Line: line, Field: "n", Reason: fmt.Sprintf("n %d at %s in %s, earlier rows say %d", n, l, pop, old)}
			}
			t.N[l] = n
		}
		if cFreq >= 0 {
			f, err := parseFreq(rec[cFreq])
			if err != nil {
				return nil, &InputError{Input: input, Line: line, Field: "freq", Reason: err.Error()}
			}
			t.Freq[l][a] = f
		} else {
			t.Freq[l][a] = float64(count) // divided below
		}
	}
	if len(ts) == 0 {
		return nil, &InputError{Input: input, Reason: "no allele rows"}
	}
	for _, t := range ts {
		for l, f := range t.Freq {
			if cFreq < 0 {
				if t.N[l] == 0 {
					t.N[l] = sums[t][l]
				}
				if t.N[l] == 0 {
					return nil, &InputError{Input: input, Field: l.String(), Reason: "all counts are zero in " + t.Population}
				}
				for a := range f {
					f[a] /= float64(t.N[l])
				}
			}
			if err := checkSum(f); err != nil {
				return nil, &InputError{Input: input, Field: l.String(), Reason: t.Population + ": " + err.Error()}
			}
		}
	}
	return ts, nil
}

func parseFreq(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("want a frequency in [0, 1], got %q", s)
	}
	return f, nil
}

// checkSum rejects a locus whose frequencies are far from summing to one (a column
// shifted or a table truncated); rounding in published tables is allowed for.
func checkSum(f map[Allele]float64) error {
	s := 0.0
	for _, v := range f {
		s += v
	}
	if s < 0.95 || s > 1.05 {
		return fmt.Errorf("frequencies sum to %.4f, not 1", s)
	}
	return nil
}

func readWide(recs [][]string, skip int, input, pop string) (Tables, error) {
	if pop == "" {
		pop = input
	}
	t := newTable(pop, input)
	header := recs[0]
	cols := make([]Locus, len(header))
	for i, h := range header[1:] {
		h = strings.TrimSpace(h)
		if h == "" || strings.EqualFold(h, "allele") {
			continue
		}
		l, err := LookupLocus(h)
		if err != nil {
			t.Warnings = append(t.Warnings, fmt.Sprintf("column %q skipped: %v", h, err))
			continue
		}
		if l.IsSex() || l.Kind() != Autosomal {
			t.Warnings = append(t.Warnings, fmt.Sprintf("column %q skipped: not an autosomal STR", h))
			continue
		}
		if slices.Contains(cols, l) {
			return nil, &InputError{Input: input, Line: skip + 1, Field: h, Reason: "locus repeated"}
		}
		cols[i+1] = l
	}
	vals := map[Locus]map[Allele]float64{}
	counts := false
	for i, rec := range recs[1:] {
		line := skip + i + 2
		label := strings.TrimSpace(rec[0])
		if label == "" || strings.EqualFold(label, "allele") {
			continue // blank rows and a repeated header
		}
		if label == "N" || label == "n" {
			for j, c := range rec {
				if j >= len(cols) || cols[j] == 0 || strings.TrimSpace(c) == "" {
					continue
				}
				n, err := strconv.Atoi(strings.TrimSpace(c))
				if err != nil || n < 0 {
					return nil, &InputError{Input: input, Line: line, Field: header[j], Reason: fmt.Sprintf("want a number of alleles, got %q", c)}
				}
				t.N[cols[j]] = n
			}
			continue
		}
		a, err := ParseAllele(label)
		if err != nil {
			if a2, err2 := parseAlleleList(label); err2 == nil && len(a2) > 0 && (a2[0] == AlleleX || a2[0] == AlleleY) {
				continue // Amelogenin genotype rows ("X,X") of a table with an AMEL column
			}
			if !startsWithDigit(label) {
				break // footnotes ("Where N = number of alleles typed") end the table
			}
			return nil, &InputError{Input: input, Line: line, Field: "Allele", Reason: err.Error(), Err: err}
		}
		if len(rec) > len(header) {
			extra := rec[len(header):]
			for _, e := range extra {
				if strings.TrimSpace(e) != "" {
					return nil, &InputError{Input: input, Line: line, Reason: fmt.Sprintf("%d fields, header has %d", len(rec), len(header))}
				}
			}
		}
		for j, c := range rec {
			if j >= len(cols) || cols[j] == 0 || strings.TrimSpace(c) == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(c), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return nil, &InputError{Input: input, Line: line, Field: header[j], Reason: fmt.Sprintf("want a frequency or count ≥ 0, got %q", c)}
			}
			if v > 1 {
				counts = true
			}
			if v == 0 {
				continue
			}
			if vals[cols[j]] == nil {
				vals[cols[j]] = map[Allele]float64{}
			}
			if _, dup := vals[cols[j]][a]; dup {
				return nil, &InputError{Input: input, Line: line, Field: header[j], Reason: fmt.Sprintf("allele %s repeated", a)}
			}
			vals[cols[j]][a] = v
		}
	}
	for l, f := range vals {
		if counts {
			s := 0.0
			for _, v := range f {
				s += v
			}
			if t.N[l] == 0 {
				t.N[l] = int(s)
			}
			for a := range f {
				f[a] /= float64(t.N[l])
			}
		}
		if err := checkSum(f); err != nil {
			return nil, &InputError{Input: input, Field: l.String(), Reason: err.Error()}
		}
		t.Freq[l] = f
	}
	if len(t.Freq) == 0 {
		return nil, &InputError{Input: input, Reason: "no STR locus column with values"}
	}
	return Tables{pop: t}, nil
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// LoadTables reads a table file with ReadTables. For a wide table the population is the
// file name without extension and without any prefix up to a double underscore
// (FBI2015_Moretti2016__Caucasian.csv is Caucasian).
func LoadTables(path string) (Tables, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pop := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if i := strings.LastIndex(pop, "__"); i >= 0 {
		pop = pop[i+2:]
	}
	return ReadTables(f, path, pop)
}

// Merge adds the tables of o to ts; a population present in both is an error.
func (ts Tables) Merge(o Tables) error {
	for k, v := range o {
		if _, dup := ts[k]; dup {
			return fmt.Errorf("population %q loaded twice (from %s and %s)", k, ts[k].Source, v.Source)
		}
		ts[k] = v
	}
	return nil
}
