package nist

import (
	"strings"
)

// Type2Map says which Type-2 fields hold a person's data under a profile. The standard
// leaves Type-2 to the profile (EBTS, INT-I, national ones), so every accessor of Type-2
// content takes one. A zero number means the profile has no such field.
type Type2Map struct {
	Name        int // full name "SURNAME,GIVEN MIDDLE" (EBTS 2.018 NAM)
	Surname     int // surname alone, for profiles that split the name
	GivenName   int // given names alone
	DOB         int // date of birth YYYYMMDD (EBTS 2.022)
	Sex         int // EBTS 2.024 SEX: M, F, X, U
	Race        int // EBTS 2.025 RAC
	PlaceBirth  int // EBTS 2.020 POB
	Citizenship int // EBTS 2.021 CTZ
	Height      int // EBTS 2.027 HGT
	Weight      int // EBTS 2.029 WGT
	EyeColor    int // EBTS 2.031 EYE
	HairColor   int // EBTS 2.032 HAI
}

// Person is the biographic data of a Type-2 record read through a profile's Type2Map,
// as text in UTF-8. Fields the record lacks are empty.
type Person struct {
	Name, Surname, GivenName string
	DOB                      string // as written, normally YYYYMMDD
	Sex, Race                string
	PlaceBirth, Citizenship  string
	Height, Weight           string
	EyeColor, HairColor      string
}

// Person reads the first Type-2 record of t through p's Type2Map. When the profile gives
// only a full "SURNAME,GIVEN" name, Surname and GivenName are split from it at the first
// comma. It returns false when t has no Type-2 record.
func (t *Transaction) Person(p *Profile) (Person, bool) {
	recs := t.RecordsOfType(2)
	if len(recs) == 0 {
		return Person{}, false
	}
	r, m := recs[0], p.Type2
	get := func(num int) string {
		if num == 0 {
			return ""
		}
		return t.Text(r, num)
	}
	ps := Person{
		Name: get(m.Name), Surname: get(m.Surname), GivenName: get(m.GivenName),
		DOB: get(m.DOB), Sex: get(m.Sex), Race: get(m.Race),
		PlaceBirth: get(m.PlaceBirth), Citizenship: get(m.Citizenship),
		Height: get(m.Height), Weight: get(m.Weight), EyeColor: get(m.EyeColor), HairColor: get(m.HairColor),
	}
	// A name field may repeat (aliases in other fields aside): the first subfield is the name.
	if i := strings.IndexByte(ps.Name, RS); i >= 0 {
		ps.Name = ps.Name[:i]
	}
	if ps.Surname == "" && ps.GivenName == "" && ps.Name != "" {
		if s, g, ok := strings.Cut(ps.Name, ","); ok {
			ps.Surname, ps.GivenName = strings.TrimSpace(s), strings.TrimSpace(g)
		} else {
			ps.Surname = ps.Name
		}
	}
	return ps, true
}
