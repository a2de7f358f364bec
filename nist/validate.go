package nist

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Violation is one way a transaction breaks a profile's rules.
type Violation struct {
	Record int    // index of the record, 0 for Type-1; -1 for the whole transaction
	Type   int    // the record's type
	Field  string // the field's tag, "" when about the whole record
	Reason string
}

func (v Violation) String() string {
	s := ""
	if v.Record >= 0 {
		s = fmt.Sprintf("record %d (Type-%d)", v.Record, v.Type)
	}
	if v.Field != "" {
		if s != "" {
			s += ", "
		}
		s += "field " + v.Field
		if name := fieldName(v.Field); name != "" {
			s += " " + name
		}
	}
	if s == "" {
		return v.Reason
	}
	return s + ": " + v.Reason
}

// Profile is a set of rules a transaction must follow: the base standard plus what an
// implementation (FBI EBTS, INTERPOL INT-I, ...) adds.
type Profile struct {
	Name        string
	Description string
	// Required lists, per record type, the field numbers every record of that type must
	// have (LEN and IDC are always checked).
	Required map[int][]int
	// Type2 says where the profile keeps biographic data (see Transaction.Person).
	Type2 Type2Map
	// Check adds the profile's own rules; it runs after the base ones.
	Check func(t *Transaction, report func(rec int, field int, format string, a ...any))
}

// baseRequired are the fields ANSI/NIST-ITL 1-2011 makes mandatory, per record type.
var baseRequired = map[int][]int{
	1:  {2, 3, 4, 5, 7, 8, 9, 11, 12},
	2:  {2},
	9:  {2, 3, 4},
	10: {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 999},
	13: {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999},
	14: {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999},
	15: {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 999},
	16: {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 999},
	17: {2, 3, 4, 6, 7, 8, 9, 10, 11, 999},
	18: {2, 3, 4},
	99: {2, 4, 100, 101, 103, 104, 999},
}

// Profiles are the profiles Validate knows, by name.
var Profiles = map[string]*Profile{
	"base": {
		Name:        "base",
		Description: "ANSI/NIST-ITL 1-2011 update 2015: mandatory fields, formats, CNT and IDCs",
		Required:    baseRequired,
	},
	"ebts": {
		Name:        "ebts",
		Description: "FBI EBTS essentials: the base rules, and Type-2 NAM, DOB, SEX and RAC",
		Required:    merge(baseRequired, map[int][]int{2: {18, 22, 24, 25}}),
		Type2: Type2Map{Name: 18, PlaceBirth: 20, Citizenship: 21, DOB: 22, Sex: 24, Race: 25,
			Height: 27, Weight: 29, EyeColor: 31, HairColor: 32},
		Check: checkEBTS,
	},
	"int-i": {
		Name:        "int-i",
		Description: "INTERPOL INT-I essentials: the base rules, domain INT-I in 1.013 and Type-2 2.003",
		Required:    merge(baseRequired, map[int][]int{1: {13}, 2: {3}}),
		// INT-I's Type-2 numbering is taken to follow EBTS for these fields; confirm it
		// against the INT-I version a partner uses before relying on it.
		Type2: Type2Map{Name: 18, DOB: 22, Sex: 24, PlaceBirth: 20},
		Check: checkINTI,
	},
}

// ProfileNames lists the known profiles, sorted.
func ProfileNames() []string {
	var out []string
	for n := range Profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupProfile returns the profile called name.
func LookupProfile(name string) (*Profile, error) {
	p, ok := Profiles[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("nist: unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}

func merge(a, b map[int][]int) map[int][]int {
	out := map[int][]int{}
	for k, v := range a {
		out[k] = append([]int(nil), v...)
	}
	for k, v := range b {
		out[k] = append(out[k], v...)
	}
	return out
}

var (
	gmtPattern = regexp.MustCompile(`^\d{14}Z$`)
	resPattern = regexp.MustCompile(`^\d{2}\.\d{2}$`)
	versions   = map[string]bool{"0300": true, "0400": true, "0500": true, "0501": true, "0502": true, "0600": true}
	// Compression names the tagged image records may declare (2011 Table 15, and the
	// "WSQ20" spelling older files use).
	tagCompressions = map[string]bool{"NONE": true, "WSQ20": true, "WSQ": true, "JPEGB": true, "JPEGL": true,
		"JP2": true, "JP2L": true, "PNG": true}
)

// validDate checks YYYYMMDD as a real calendar date.
func validDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	_, err := time.Parse("20060102", s)
	return err == nil
}

// Validate checks t against p (nil means "base") and returns every violation found, in
// record order. An empty result means the transaction follows the profile as far as
// this package checks it.
func (t *Transaction) Validate(p *Profile) []Violation {
	if p == nil {
		p = Profiles["base"]
	}
	var out []Violation
	report := func(rec, field int, format string, a ...any) {
		v := Violation{Record: rec, Reason: fmt.Sprintf(format, a...)}
		if rec >= 0 && rec < len(t.Records) {
			v.Type = t.Records[rec].Type
			if field > 0 {
				v.Field = fmt.Sprintf("%d.%03d", v.Type, field)
			}
		}
		out = append(out, v)
	}
	if t.Header() == nil {
		report(-1, 0, "the transaction does not start with a Type-1 record")
		return out
	}
	t.checkHeader(report)
	t.checkContents(report)
	for i, r := range t.Records {
		t.checkRecord(i, r, p, report)
	}
	if p.Check != nil {
		p.Check(t, report)
	}
	return out
}

func (t *Transaction) checkHeader(report func(int, int, string, ...any)) {
	h := t.Header()
	if v := h.Get(FieldVER); h.Has(FieldVER) && !versions[v] {
		report(0, FieldVER, "version %q is not one of 0300, 0400, 0500, 0501, 0502, 0600", v)
	}
	if v := h.Get(FieldDAT); h.Has(FieldDAT) && !validDate(v) {
		report(0, FieldDAT, "date %q is not a calendar date YYYYMMDD", v)
	}
	if v := h.Get(FieldGMT); h.Has(FieldGMT) && !gmtPattern.MatchString(v) {
		report(0, FieldGMT, "%q is not YYYYMMDDhhmmssZ", v)
	}
	for _, n := range []int{FieldNSR, FieldNTR} {
		if v := h.Get(n); h.Has(n) && !resPattern.MatchString(v) {
			report(0, n, "resolution %q is not NN.NN pixels per millimetre", v)
		}
	}
	if v := h.Get(FieldTOT); h.Has(FieldTOT) && (len(v) < 1 || len(v) > 16) {
		report(0, FieldTOT, "type of transaction %q must have 1–16 characters", v)
	}
	if v := h.Get(FieldPRY); h.Has(FieldPRY) && (len(v) != 1 || v[0] < '1' || v[0] > '9') {
		report(0, FieldPRY, "priority %q is not a digit 1–9", v)
	}
	if h.Has(FieldDCS) && t.Encoding() == Unknown {
		report(0, FieldDCS, "character encoding %q is not one this package knows", h.Get(FieldDCS))
	}
}

// checkContents compares CNT with the records found.
func (t *Transaction) checkContents(report func(int, int, string, ...any)) {
	h := t.Header()
	f := h.Field(FieldCNT)
	if f == nil {
		return
	}
	entries, stated := t.Contents()
	if sf := f.Subfields()[0]; sf[0] != "1" {
		report(0, FieldCNT, "the first subfield must start with 1 (the Type-1 record), not %q", sf[0])
	}
	if stated != len(entries) {
		report(0, FieldCNT, "says %d records follow Type-1 but lists %d", stated, len(entries))
	}
	if stated != len(t.Records)-1 {
		report(0, FieldCNT, "says %d records follow Type-1 but the file has %d", stated, len(t.Records)-1)
	}
	for i, e := range entries {
		if i+1 >= len(t.Records) {
			break
		}
		r := t.Records[i+1]
		if e.Type != r.Type {
			report(0, FieldCNT, "entry %d lists Type-%d but record %d is Type-%d", i+1, e.Type, i+1, r.Type)
			continue
		}
		idc, err := strconv.Atoi(e.IDC)
		if err != nil {
			report(0, FieldCNT, "entry %d: IDC %q is not a number", i+1, e.IDC)
		} else if idc != r.IDC() {
			report(0, FieldCNT, "entry %d lists IDC %d but record %d (Type-%d) has IDC %d", i+1, idc, i+1, r.Type, r.IDC())
		}
	}
	for i := len(entries) + 1; i < len(t.Records); i++ {
		report(i, 0, "not listed in CNT")
	}
	// IDCs identify records: two records of one type may not share one. (Records of
	// different types with one IDC belong together, e.g. a Type-9 and its Type-13.)
	// Type-10 records of different image types (a tattoo and a close-up of the same
	// mark, as in NIST's own reference files) may share an IDC.
	type key struct {
		typ, idc int
		imt      string
	}
	seen := map[key]int{}
	for i, r := range t.Records[1:] {
		k := key{typ: r.Type, idc: r.IDC()}
		if r.Type == 10 {
			k.imt = strings.ToUpper(r.Get(3))
		}
		if r.IDC() < 0 {
			continue
		}
		if j, dup := seen[k]; dup {
			field := 2
			if r.Binary() {
				field = 0
			}
			report(i+1, field, "IDC %d is already used by record %d (Type-%d)", r.IDC(), j, r.Type)
		} else {
			seen[k] = i + 1
		}
	}
}

func (t *Transaction) checkRecord(i int, r *Record, p *Profile, report func(int, int, string, ...any)) {
	if r.Binary() {
		t.checkBinary(i, r, report)
		return
	}
	counts := map[int]int{}
	for _, f := range r.Fields {
		counts[f.Number]++
		if f.Type != r.Type {
			report(i, 0, "field %s belongs to Type-%d, not Type-%d", f.Tag, f.Type, r.Type)
		}
	}
	var dups []int
	for n, c := range counts {
		if c > 1 {
			dups = append(dups, n)
		}
	}
	sort.Ints(dups)
	for _, n := range dups {
		report(i, n, "appears %d times", counts[n])
	}
	for _, n := range p.Required[r.Type] {
		if counts[n] == 0 {
			report(i, n, "mandatory field missing")
		}
	}
	if r.Type != 1 && r.Has(2) && r.IDC() < 0 {
		report(i, 2, "IDC %q is not a number", r.Get(2))
	}
	// Capture and photo dates of the image records.
	switch r.Type {
	case 10, 13, 14, 15, 16, 17:
		if v := r.Get(5); r.Has(5) && !validDate(v) {
			report(i, 5, "date %q is not a calendar date YYYYMMDD", v)
		}
	}
	if HasImage(r.Type) {
		for _, n := range []int{6, 7} {
			if v, err := strconv.Atoi(r.Get(n)); r.Has(n) && (err != nil || v <= 0) {
				report(i, n, "image size %q is not a positive number", r.Get(n))
			}
		}
		if v := r.Get(8); r.Has(8) && v != "0" && v != "1" && v != "2" {
			report(i, 8, "scale units %q are not 0, 1 or 2", v)
		}
		if v := r.Get(11); r.Has(11) && !tagCompressions[strings.ToUpper(v)] {
			report(i, 11, "compression %q is not one of NONE, WSQ20, JPEGB, JPEGL, JP2, JP2L, PNG", v)
		}
		if f := r.Field(999); f != nil && len(f.Value) == 0 {
			report(i, 999, "no image data")
		}
	}
	if r.HasM1() {
		if _, err := r.M1Bytes(); err != nil {
			reportError(i, err, 137, report)
		}
	}
	if r.Type == 9 {
		if _, err := r.LegacyMinutiae(); err != nil {
			reportError(i, err, 12, report)
		}
	}
}

// reportError reports an accessor's error as a violation of the field it names.
func reportError(i int, err error, field int, report func(int, int, string, ...any)) {
	var e *Error
	if !errors.As(err, &e) {
		report(i, field, "%v", err)
		return
	}
	if _, n, ok := parseTag([]byte(e.Field)); ok {
		field = n
	}
	report(i, field, "%s", e.Reason)
}

func (t *Transaction) checkBinary(i int, r *Record, report func(int, int, string, ...any)) {
	switch r.Type {
	case 3, 4, 5, 6:
		h, ok := r.ImageHeader()
		if !ok {
			report(i, 0, "Type-%d header of %d bytes, not %d", r.Type, len(r.Header), binaryHeaderLen(r.Type))
			return
		}
		for k, p := range h.Positions {
			if p > 15 && p != 255 {
				report(i, 0, "finger position byte %d is %d, not 0–15 or 255", k+1, p)
			}
		}
		if h.Positions[0] == 255 {
			report(i, 0, "the first finger position byte is 255 (unused)")
		}
		if h.ScanRes > 1 {
			report(i, 0, "ISR %d is not 0 or 1", h.ScanRes)
		}
		if h.Width == 0 || h.Height == 0 {
			report(i, 0, "image size %d×%d", h.Width, h.Height)
		}
		if r.Type <= 4 && h.Compression >= len(binaryCompression) {
			report(i, 0, "compression code %d is not 0–%d", h.Compression, len(binaryCompression)-1)
		}
		if h.Compression == 0 {
			want := h.Width * h.Height
			if r.Type >= 5 {
				want = (h.Width + 7) / 8 * h.Height
			}
			if len(r.Data) != want {
				report(i, 0, "uncompressed %d×%d image needs %d bytes of data, the record has %d", h.Width, h.Height, want, len(r.Data))
			}
		}
		if len(r.Data) == 0 {
			report(i, 0, "no image data")
		}
	case 8:
		if len(r.Header) != binaryHeaderLen(8) {
			report(i, 0, "Type-8 header of %d bytes, not %d", len(r.Header), binaryHeaderLen(8))
			return
		}
		if r.Header[1] > 1 {
			report(i, 0, "signature type %d is not 0 or 1", r.Header[1])
		}
		if r.Header[2] > 2 {
			report(i, 0, "signature representation %d is not 0, 1 or 2", r.Header[2])
		}
	}
}

// EBTS single-letter codes.
var (
	ebtsSex  = map[string]bool{"M": true, "F": true, "X": true, "U": true}
	ebtsRace = map[string]bool{"A": true, "B": true, "I": true, "U": true, "W": true}
	ebtsName = regexp.MustCompile(`^[A-Za-z' .-]+,[A-Za-z' .-]*$`)
)

func checkEBTS(t *Transaction, report func(int, int, string, ...any)) {
	for i, r := range t.Records {
		switch r.Type {
		case 2:
			if v := r.Get(22); r.Has(22) && !validDate(v) {
				report(i, 22, "date of birth %q is not a calendar date YYYYMMDD", v)
			}
			if v := r.Get(24); r.Has(24) && !ebtsSex[v] {
				report(i, 24, "sex %q is not M, F, X or U", v)
			}
			if v := r.Get(25); r.Has(25) && !ebtsRace[v] {
				report(i, 25, "race %q is not A, B, I, U or W", v)
			}
			if v := r.Get(18); r.Has(18) && !ebtsName.MatchString(strings.SplitN(v, "\x1e", 2)[0]) {
				report(i, 18, "name %q is not SURNAME,GIVEN NAMES", v)
			}
		case 4:
			if h, _ := r.ImageHeader(); h.Compression != 0 && h.Compression != 1 {
				report(i, 0, "EBTS Type-4 images are uncompressed or WSQ, not %s", binaryName(h.Compression))
			}
		}
	}
}

func binaryName(c int) string {
	if c < len(binaryCompression) {
		return binaryCompression[c]
	}
	return fmt.Sprintf("code %d", c)
}

func checkINTI(t *Transaction, report func(int, int, string, ...any)) {
	if name, _ := t.Domain(); t.Header().Has(FieldDOM) && name != "INT-I" {
		report(0, FieldDOM, "domain %q is not INT-I", name)
	}
	for i, r := range t.Records {
		if r.Type == 2 && r.Has(3) && r.Get(3) == "" {
			report(i, 3, "empty; INT-I puts its format version here")
		}
	}
}
