package dna

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Allele is one allele call, packed in 16 bits so that a million profiles stay small.
// The top three bits hold the class ([Allele.Class]); the low 13 bits hold ten times the
// repeat number (13.2 is 132) or, for specials, which special it is.
type Allele uint16

// AlleleClass tells regular alleles from off-ladder and special values.
type AlleleClass uint8

const (
	// Regular is a designated allele: repeat number and microvariant (9.3).
	Regular AlleleClass = iota
	// Below is an off-ladder allele below the ladder, written <8.
	Below
	// Above is an off-ladder allele above the ladder, written >24.
	Above
	// Special is X, Y, OL (off-ladder, unsized) or the Prüm wildcard *.
	Special
)

const (
	classShift = 13
	valueMask  = 1<<classShift - 1
	maxTenths  = valueMask
)

// The special alleles.
const (
	AlleleX        = Allele(uint16(Special)<<classShift | 1)
	AlleleY        = Allele(uint16(Special)<<classShift | 2)
	OffLadder      = Allele(uint16(Special)<<classShift | 3) // OL: off-ladder, size not given
	Wildcard       = Allele(uint16(Special)<<classShift | 4) // Prüm *: matches any allele
	noAllele       = Allele(0)
	maxRegularText = "819.1"
)

// Class returns the allele's class.
func (a Allele) Class() AlleleClass { return AlleleClass(a >> classShift) }

// Tenths returns ten times the repeat number of a regular or off-ladder bound allele.
func (a Allele) Tenths() int { return int(a & valueMask) }

// Designated reports whether the allele is a regular, sized allele (what Prüm calls a
// designated value): not off-ladder, not a wildcard, not X/Y.
func (a Allele) Designated() bool { return a.Class() == Regular && a != 0 }

func (a Allele) valid() bool {
	switch a.Class() {
	case Regular, Below, Above:
		return a.Tenths() > 0
	case Special:
		return a >= AlleleX && a <= Wildcard
	}
	return false
}

// Repeat returns the repeat number, 9.3 for the allele 9.3.
func (a Allele) Repeat() float64 { return float64(a.Tenths()) / 10 }

// RegularAllele returns the allele with the given repeat number in tenths (93 for 9.3).
func RegularAllele(tenths int) (Allele, error) {
	if tenths <= 0 || tenths > maxTenths {
		return 0, fmt.Errorf("repeat number %d/10 out of range (0.1..%s)", tenths, maxRegularText)
	}
	return Allele(tenths), nil
}

func (a Allele) String() string {
	switch a.Class() {
	case Regular:
		return tenthsString(a.Tenths())
	case Below:
		return "<" + tenthsString(a.Tenths())
	case Above:
		return ">" + tenthsString(a.Tenths())
	}
	switch a {
	case AlleleX:
		return "X"
	case AlleleY:
		return "Y"
	case OffLadder:
		return "OL"
	case Wildcard:
		return "*"
	}
	return fmt.Sprintf("Allele(%#x)", uint16(a))
}

func tenthsString(t int) string {
	if t%10 == 0 {
		return strconv.Itoa(t / 10)
	}
	return strconv.Itoa(t/10) + "." + strconv.Itoa(t%10)
}

// MarshalText writes the allele as ParseAllele reads it.
func (a Allele) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an allele with ParseAllele.
func (a *Allele) UnmarshalText(b []byte) error {
	v, err := ParseAllele(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ErrAllele is wrapped by every allele parse error.
var ErrAllele = errors.New("malformed allele")

// ParseAllele reads an allele call: a repeat number with at most one decimal digit
// (9, 9.3, 13.2), an off-ladder value (<8, >24, OL), X or Y, or the
// wildcard *. Labels with binary float noise, as spreadsheets write them
// (2.2000000000000002, 10.199999999999999), are read as the tenth they stand for.
func ParseAllele(s string) (Allele, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%w: empty", ErrAllele)
	}
	switch strings.ToUpper(t) {
	case "X":
		return AlleleX, nil
	case "Y":
		return AlleleY, nil
	case "OL", "OFF-LADDER", "OFFLADDER":
		return OffLadder, nil
	case "*", "W", "WILDCARD":
		return Wildcard, nil
	}
	class := Regular
	switch t[0] {
	case '<':
		class, t = Below, strings.TrimSpace(t[1:])
	case '>':
		class, t = Above, strings.TrimSpace(t[1:])
	}
	tenths, err := parseTenths(t)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %v", ErrAllele, s, err)
	}
	return Allele(uint16(class)<<classShift | uint16(tenths)), nil
}

func parseTenths(t string) (int, error) {
	if t == "" {
		return 0, errors.New("no repeat number")
	}
	whole, frac, hasDot := strings.Cut(t, ".")
	if isDigits(whole) && (!hasDot || (len(frac) == 1 && isDigits(frac))) && len(whole) <= 4 {
		w, _ := strconv.Atoi(whole)
		f := 0
		if hasDot {
			f = int(frac[0] - '0')
		}
		v := w*10 + f
		if v <= 0 || v > maxTenths {
			return 0, fmt.Errorf("repeat number out of range (0.1..%s)", maxRegularText)
		}
		return v, nil
	}
	// Float noise from spreadsheets: accept only a number within 1e-6 of a tenth.
	if !isDigits(whole) || !hasDot || !isDigits(frac) || len(frac) > 20 {
		return 0, errors.New("want a repeat number such as 9, 9.3 or 13.2")
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("want a repeat number such as 9, 9.3 or 13.2")
	}
	r := math.Round(f * 10)
	if math.Abs(f*10-r) > 1e-6 {
		return 0, errors.New("more than one decimal digit (microvariants are .1, .2 or .3)")
	}
	if r <= 0 || r > maxTenths {
		return 0, fmt.Errorf("repeat number out of range (0.1..%s)", maxRegularText)
	}
	return int(r), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
