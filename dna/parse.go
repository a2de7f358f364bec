package dna

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// InputError is a parse error that names the input, the line, the field and the reason.
type InputError struct {
	Input  string // file name or other label given by the caller
	Line   int    // 1-based; 0 when unknown
	Field  string // column, JSON key or locus; "" when the error is not about one field
	Reason string
	Err    error // underlying error, if any
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Input)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// LocusCall is one locus of a profile as text, the way ANSI/NIST-ITL Type-18 records,
// lab exports and forms carry it: a locus name and allele calls. One call may hold
// several alleles separated by commas, slashes, semicolons or spaces ("12,13").
type LocusCall struct {
	Locus   string
	Alleles []string
}

// ProfileFromCalls builds a profile from locus/allele strings, for callers (such as the
// ANSI/NIST Type-18 reader) that have already split a record into loci. Errors are
// *InputError with Input set to input and Field to the locus.
func ProfileFromCalls(input, id string, kind Kind, mixture bool, calls []LocusCall) (*Profile, error) {
	b := NewProfileBuilder(id, kind, mixture)
	for _, c := range calls {
		l, err := LookupLocus(c.Locus)
		if err != nil {
			return nil, &InputError{Input: input, Field: c.Locus, Reason: err.Error(), Err: err}
		}
		var al []Allele
		for _, s := range c.Alleles {
			a, err := parseAlleleList(s)
			if err != nil {
				return nil, &InputError{Input: input, Field: c.Locus, Reason: err.Error(), Err: err}
			}
			al = append(al, a...)
		}
		if err := b.Add(l, al...); err != nil {
			return nil, &InputError{Input: input, Field: c.Locus, Reason: err.Error(), Err: err}
		}
	}
	p, err := b.Build()
	if err != nil {
		return nil, &InputError{Input: input, Field: id, Reason: err.Error(), Err: err}
	}
	return p, nil
}

// parseAlleleList reads "12", "12,13", "9.3/10", "X Y"; an empty string is no allele.
func parseAlleleList(s string) ([]Allele, error) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '/' || r == ';' || r == ' ' || r == '\t' })
	out := make([]Allele, 0, len(f))
	for _, t := range f {
		a, err := ParseAllele(t)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// metaColumn reports the role of a non-locus CSV column.
func metaColumn(h string) string {
	switch strings.ToLower(strings.TrimSpace(h)) {
	case "id", "sample", "sample name", "sample_name", "samplename", "sample id", "sample_id", "specimen":
		return "id"
	case "pop", "population":
		return "pop"
	case "kind", "type":
		return "kind"
	case "mixture":
		return "mixture"
	}
	return ""
}

// CSVProfile is a profile read from CSV with the population label, if the file has one.
type CSVProfile struct {
	*Profile
	Population string
}

// ReadProfilesCSV reads profiles, one per row, from a CSV (comma or tab separated, the
// separator is taken from the header line). The header names an ID column (id, sample,
// Sample Name), optional pop/population, kind (autosomal/ystr) and mixture (true/false)
// columns, and locus columns: either one column per locus holding "12,13" or "12/13", or
// one column per allele named LOCUS_1, LOCUS_2, ... (the NIST 1036 layout). Empty cells
// are untyped. Any other column is an error naming it. input labels errors.
func ReadProfilesCSV(r io.Reader, input string) ([]CSVProfile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &InputError{Input: input, Reason: err.Error(), Err: err}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")) {
		cr.Comma = '\t'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, &InputError{Input: input, Line: 1, Reason: "no header: " + csvReason(err), Err: err}
	}
	type col struct {
		role  string
		locus Locus
	}
	cols := make([]col, len(header))
	idCol := -1
	for i, h := range header {
		h = strings.TrimPrefix(h, "\ufeff")
		if role := metaColumn(h); role != "" {
			cols[i].role = role
			if role == "id" {
				idCol = i
			}
			continue
		}
		name := h
		if j := strings.LastIndexByte(h, '_'); j > 0 && isDigits(h[j+1:]) {
			name = h[:j]
		} else if j > 0 && len(h)-j == 2 && (h[j+1] == 'a' || h[j+1] == 'b' || h[j+1] == 'A' || h[j+1] == 'B') {
			name = h[:j]
		}
		l, err := LookupLocus(name)
		if n := strings.TrimSpace(name); err != nil && len(n) > 1 && strings.ContainsRune("abAB", rune(n[len(n)-1])) {
			// Duplicated Y loci typed in two columns: DYS385a, DYS385b.
			if l2, err2 := LookupLocus(n[:len(n)-1]); err2 == nil && l2.Copies() > 1 {
				l, err = l2, nil
			}
		}
		if err != nil {
			if strings.TrimSpace(h) == "" {
				return nil, &InputError{Input: input, Line: 1, Field: fmt.Sprintf("column %d", i+1), Reason: "empty column name"}
			}
			return nil, &InputError{Input: input, Line: 1, Field: h, Reason: err.Error(), Err: err}
		}
		cols[i] = col{role: "locus", locus: l}
	}
	if idCol < 0 {
		return nil, &InputError{Input: input, Line: 1, Reason: "no ID column (id, sample or sample name)"}
	}
	var out []CSVProfile
	ids := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line := 0
		if err == nil {
			line, _ = cr.FieldPos(0)
		} else {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, &InputError{Input: input, Line: line, Reason: csvReason(err), Err: err}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, &InputError{Input: input, Line: line, Reason: fmt.Sprintf("%d fields, header has %d", len(rec), len(header))}
		}
		id := strings.TrimSpace(rec[idCol])
		if id == "" {
			return nil, &InputError{Input: input, Line: line, Field: header[idCol], Reason: "empty ID"}
		}
		if prev, dup := ids[id]; dup {
			return nil, &InputError{Input: input, Line: line, Field: header[idCol], Reason: fmt.Sprintf("ID %q repeated (first on line %d)", id, prev)}
		}
		ids[id] = line
		kind, mixture, pop := Autosomal, false, ""
		for i, c := range cols {
			v := strings.TrimSpace(rec[i])
			switch c.role {
			case "kind":
				if kind, err = ParseKind(v); err != nil {
					return nil, &InputError{Input: input, Line: line, Field: header[i], Reason: err.Error(), Err: err}
				}
			case "mixture":
				switch strings.ToLower(v) {
				case "", "0", "false", "no", "n":
				case "1", "true", "yes", "y":
					mixture = true
				default:
					return nil, &InputError{Input: input, Line: line, Field: header[i], Reason: fmt.Sprintf("want true or false, got %q", v)}
				}
			case "pop":
				pop = v
			}
		}
		b := NewProfileBuilder(id, kind, mixture)
		for i, c := range cols {
			if c.role != "locus" {
				continue
			}
			al, err := parseAlleleList(rec[i])
			if err == nil {
				err = b.Add(c.locus, al...)
			}
			if err != nil {
				return nil, &InputError{Input: input, Line: line, Field: header[i], Reason: err.Error(), Err: err}
			}
		}
		p, err := b.Build()
		if err != nil {
			return nil, &InputError{Input: input, Line: line, Field: header[idCol] + " " + id, Reason: err.Error(), Err: err}
		}
		out = append(out, CSVProfile{Profile: p, Population: pop})
	}
	return out, nil
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// jsonProfile is the JSON form of a profile:
//
//	{"id": "S1", "kind": "autosomal", "mixture": false, "population": "Cauc",
//	 "loci": {"D3S1358": ["15", "16"], "TH01": ["9.3"], "AMEL": ["X", "Y"]}}
//
// Alleles may be strings or numbers.
type jsonProfile struct {
	ID         string                       `json:"id"`
	Kind       string                       `json:"kind,omitempty"`
	Mixture    bool                         `json:"mixture,omitempty"`
	Population string                       `json:"population,omitempty"`
	Loci       map[string][]json.RawMessage `json:"loci"`
}

// MarshalJSON writes the JSON form ReadProfilesJSON reads.
func (p *Profile) MarshalJSON() ([]byte, error) {
	type out struct {
		ID      string              `json:"id"`
		Kind    string              `json:"kind"`
		Mixture bool                `json:"mixture,omitempty"`
		Loci    map[string][]string `json:"loci"`
	}
	o := out{ID: p.ID, Kind: p.Kind.String(), Mixture: p.Mixture, Loci: map[string][]string{}}
	for _, g := range p.Loci {
		s := make([]string, len(g.Alleles))
		for i, a := range g.Alleles {
			s[i] = a.String()
		}
		o.Loci[g.Locus.String()] = s
	}
	return json.Marshal(o)
}

// ReadProfilesJSON reads one JSON profile, an array of them, or a stream of them (JSON
// lines). The form is {"id", "kind", "mixture", "population", "loci": {LOCUS: [alleles]}}.
func ReadProfilesJSON(r io.Reader, input string) ([]CSVProfile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &InputError{Input: input, Reason: err.Error(), Err: err}
	}
	lineAt := func(off int64) int {
		if off > int64(len(data)) {
			off = int64(len(data))
		}
		return 1 + bytes.Count(data[:off], []byte("\n"))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []CSVProfile
	ids := map[string]bool{}
	add := func(raw json.RawMessage, off int64) error {
		line := lineAt(off)
		var jp jsonProfile
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&jp); err != nil {
			return &InputError{Input: input, Line: line, Reason: "bad profile: " + err.Error(), Err: err}
		}
		if strings.TrimSpace(jp.ID) == "" {
			return &InputError{Input: input, Line: line, Field: "id", Reason: "empty ID"}
		}
		if ids[jp.ID] {
			return &InputError{Input: input, Line: line, Field: "id", Reason: fmt.Sprintf("ID %q repeated", jp.ID)}
		}
		ids[jp.ID] = true
		kind, err := ParseKind(jp.Kind)
		if err != nil {
			return &InputError{Input: input, Line: line, Field: "kind", Reason: err.Error(), Err: err}
		}
		var calls []LocusCall
		for name, vals := range jp.Loci {
			c := LocusCall{Locus: name}
			for _, v := range vals {
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					var n json.Number
					if err2 := json.Unmarshal(v, &n); err2 != nil {
						return &InputError{Input: input, Line: line, Field: jp.ID + " " + name, Reason: fmt.Sprintf("allele %s is neither a string nor a number", v)}
					}
					s = n.String()
				}
				if strings.TrimSpace(s) == "" {
					return &InputError{Input: input, Line: line, Field: jp.ID + " " + name, Reason: "empty allele"}
				}
				c.Alleles = append(c.Alleles, s)
			}
			calls = append(calls, c)
		}
		// Sort calls so that the first error reported does not depend on map order.
		sortCalls(calls)
		p, err := ProfileFromCalls(input, jp.ID, kind, jp.Mixture, calls)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				ie.Line = line
				if ie.Field != jp.ID {
					ie.Field = jp.ID + " " + ie.Field
				}
			}
			return err
		}
		out = append(out, CSVProfile{Profile: p, Population: jp.Population})
		return nil
	}
	for {
		off := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = se.Offset
			}
			return nil, &InputError{Input: input, Line: lineAt(off), Reason: "bad JSON: " + err.Error(), Err: err}
		}
		// Skip whitespace to point the line at the value.
		for off < int64(len(data)) && (data[off] == ' ' || data[off] == '\n' || data[off] == '\r' || data[off] == '\t') {
			off++
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
			var arr []json.RawMessage
			if err := json.Unmarshal(raw, &arr); err != nil {
				return nil, &InputError{Input: input, Line: lineAt(off), Reason: "bad JSON array: " + err.Error(), Err: err}
			}
			// Find each element's offset for line numbers.
			sub := json.NewDecoder(bytes.NewReader(raw))
			if _, err := sub.Token(); err != nil {
				return nil, &InputError{Input: input, Line: lineAt(off), Reason: err.Error(), Err: err}
			}
			for range arr {
				eoff := sub.InputOffset()
				var el json.RawMessage
				if err := sub.Decode(&el); err != nil {
					return nil, &InputError{Input: input, Line: lineAt(off + eoff), Reason: err.Error(), Err: err}
				}
				for int(eoff) < len(raw) && (raw[eoff] == ',' || raw[eoff] == ' ' || raw[eoff] == '\n' || raw[eoff] == '\r' || raw[eoff] == '\t') {
					eoff++
				}
				if err := add(el, off+eoff); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := add(raw, off); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, &InputError{Input: input, Reason: "no profile"}
	}
	return out, nil
}

func sortCalls(c []LocusCall) {
	slices.SortFunc(c, func(a, b LocusCall) int { return strings.Compare(a.Locus, b.Locus) })
}
