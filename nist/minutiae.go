package nist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/biomesh/biomesh/fingerprint"
)

// LegacyMinutia is one minutia of a Type-9 record's standard (9.012 MRC) or FBI/IAFIS
// (9.023 MAT) block, as written: the standard keeps coordinates in units of 0.01 mm and
// directions in whole degrees.
type LegacyMinutia struct {
	Index       int
	X, Y        int // 0.01 mm
	Theta       int // degrees
	Quality     int
	Type        string   // "A" ridge ending, "B" bifurcation, "C" compound, "D" other (standard); as written
	RidgeCounts []string // the further items, as written ("048,01" = neighbour 48, 1 ridge)
}

// LegacyMinutiae returns the minutiae of a Type-9 record in the legacy formats: 9.012
// (standard format, 9.004 "S") or, failing that, 9.023 (FBI/IAFIS features). It returns
// nil and no error when the record has neither block.
func (r *Record) LegacyMinutiae() ([]LegacyMinutia, error) {
	if r.Type != 9 {
		return nil, fmt.Errorf("nist: Type-%d is not a minutiae record", r.Type)
	}
	f := r.Field(12)
	if f == nil {
		f = r.Field(23)
	}
	if f == nil {
		return nil, nil
	}
	sfs := f.Subfields()
	if len(sfs) == 1 && len(sfs[0]) == 1 && sfs[0][0] == "" {
		sfs = nil
	}
	// The count field (9.010 MIN for 9.012, 9.015 NMN for 9.023) must agree: readers
	// that loop on it and index the subfields crash when it does not (libbiomeval #11).
	countField := 10
	if f.Number == 23 {
		countField = 15
	}
	if c := r.Field(countField); c != nil {
		n, err := strconv.Atoi(strings.TrimSpace(c.String()))
		if err != nil || n != len(sfs) {
			return nil, &Error{Record: -1, Type: 9, Field: f.Tag, Offset: -1, Reason: fmt.Sprintf(
				"%d minutiae, but %s says %q", len(sfs), c.Tag, clip(c.Value, 16))}
		}
	}
	var out []LegacyMinutia
	for i, sf := range sfs {
		bad := func(what string) error {
			return &Error{Record: -1, Type: 9, Field: f.Tag, Offset: -1, Reason: fmt.Sprintf("minutia %d: %s", i+1, what)}
		}
		if len(sf) < 2 {
			return nil, bad(fmt.Sprintf("%d items, need at least index and position", len(sf)))
		}
		var m LegacyMinutia
		var err error
		if m.Index, err = strconv.Atoi(sf[0]); err != nil {
			return nil, bad(fmt.Sprintf("index %q is not a number", sf[0]))
		}
		p := sf[1]
		if len(p) != 11 {
			return nil, bad(fmt.Sprintf("position %q is not XXXXYYYYTTT", p))
		}
		x, ok1 := parseDigits([]byte(p[:4]))
		y, ok2 := parseDigits([]byte(p[4:8]))
		th, ok3 := parseDigits([]byte(p[8:]))
		if !ok1 || !ok2 || !ok3 {
			return nil, bad(fmt.Sprintf("position %q is not XXXXYYYYTTT", p))
		}
		m.X, m.Y, m.Theta = x, y, th
		if len(sf) > 2 {
			m.Quality, _ = strconv.Atoi(sf[2])
		}
		if len(sf) > 3 {
			m.Type = sf[3]
		}
		if len(sf) > 4 {
			m.RidgeCounts = append([]string(nil), sf[4:]...)
		}
		out = append(out, m)
	}
	return out, nil
}

// HasM1 reports whether r is a Type-9 record with an INCITS 378 ("M1") block: the fields
// 9.126–9.137 of ANSI/NIST-ITL 1-2011.
func (r *Record) HasM1() bool {
	return r.Type == 9 && r.Has(126) && r.Has(137)
}

// M1 fields of Type-9.
const (
	m1CBI = 126 // CBEFF format owner, type, product
	m1CEI = 127 // capture equipment compliance, ID
	m1HLL = 128
	m1VLL = 129
	m1SLC = 130 // 1 px/in, 2 px/cm
	m1HPS = 131
	m1VPS = 132
	m1FVW = 133 // finger view number
	m1FGP = 134
	m1FQD = 135 // finger quality: value, vendor, algorithm
	m1NOM = 136 // number of minutiae
	m1FMD = 137 // minutiae: index, x, y, angle in 2° units, type, quality
)

// M1Bytes returns the INCITS 378 ("M1") block of a Type-9 record re-encoded as the
// binary ANSI INCITS 378-2004 record it transcribes: one finger view with the record's
// position, view number, impression type (9.003), quality and minutiae. Ridge counts,
// cores and deltas (9.138–9.141) are not carried: fingerprint.Template has no place
// for them. Resolutions given in pixels per inch become pixels per centimetre, rounded.
func (r *Record) M1Bytes() ([]byte, error) {
	if !r.HasM1() {
		return nil, fmt.Errorf("nist: Type-%d record has no INCITS 378 (M1) block 9.126–9.137", r.Type)
	}
	fail := func(num int, format string, a ...any) error {
		return &Error{Record: -1, Type: 9, Field: fmt.Sprintf("9.%03d", num), Offset: -1, Reason: fmt.Sprintf(format, a...)}
	}
	number := func(num int, item, lo, hi int) (int, error) {
		f := r.Field(num)
		if f == nil {
			return 0, fail(num, "missing")
		}
		sf := f.Subfields()[0]
		if item >= len(sf) {
			return 0, fail(num, "no item %d", item+1)
		}
		v, err := strconv.Atoi(strings.TrimSpace(sf[item]))
		if err != nil || v < lo || v > hi {
			return 0, fail(num, "%q is not a number %d–%d", clip([]byte(sf[item]), 16), lo, hi)
		}
		return v, nil
	}
	var err error
	var width, height, slc, hps, vps, view, pos, nom int
	for _, p := range []struct {
		dst    *int
		num    int
		lo, hi int
	}{
		{&width, m1HLL, 0, math.MaxUint16}, {&height, m1VLL, 0, math.MaxUint16},
		{&slc, m1SLC, 0, 2}, {&hps, m1HPS, 0, math.MaxUint16}, {&vps, m1VPS, 0, math.MaxUint16},
		{&view, m1FVW, 0, 15}, {&pos, m1FGP, 0, 255}, {&nom, m1NOM, 0, 255},
	} {
		if *p.dst, err = number(p.num, 0, p.lo, p.hi); err != nil {
			return nil, err
		}
	}
	if slc == 1 {
		hps = int(math.Round(float64(hps) / 2.54))
		vps = int(math.Round(float64(vps) / 2.54))
	}
	// Capture equipment: compliance ("APPF": Appendix F certified, the high bit of the
	// 4-bit field, or a number) and a 12-bit device ID.
	var equipment uint16
	if f := r.Field(m1CEI); f != nil {
		sf := f.Subfields()[0]
		switch c := strings.ToUpper(strings.TrimSpace(sf[0])); c {
		case "APPF":
			equipment = 0x8 << 12
		case "", "NONE":
		default:
			if n, err := strconv.Atoi(c); err == nil && n >= 0 && n < 16 {
				equipment = uint16(n) << 12
			}
		}
		if len(sf) > 1 {
			if id, err := strconv.Atoi(strings.TrimSpace(sf[1])); err == nil && id >= 0 && id < 1<<12 {
				equipment |= uint16(id)
			}
		}
	}
	// Quality above 100 (254 "not available", 255 "failed") has no INCITS 378 value: 0.
	quality := 0
	if q, err := number(m1FQD, 0, 0, 255); err == nil && q <= 100 {
		quality = q
	}
	impression := 0
	if n, err := strconv.Atoi(r.Get(3)); err == nil && n >= 0 && n < 16 {
		impression = n
	}
	fmd := r.Field(m1FMD)
	sfs := fmd.Subfields()
	if len(sfs) == 1 && len(sfs[0]) == 1 && sfs[0][0] == "" {
		sfs = nil
	}
	if len(sfs) != nom {
		return nil, fail(m1FMD, "%d minutiae, but 9.136 NOM says %d", len(sfs), nom)
	}
	b := make([]byte, 0, 26+4+6*len(sfs)+2)
	b = append(b, "FMR\x00 20\x00"...)
	size := 26 + 4 + 6*len(sfs) + 2
	b = binary.BigEndian.AppendUint16(b, uint16(size))
	b = binary.BigEndian.AppendUint32(b, 0) // product ID: the CBI names the format, not the product
	b = binary.BigEndian.AppendUint16(b, equipment)
	for _, v := range []int{width, height, hps, vps} {
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	b = append(b, 1, 0)
	b = append(b, uint8(pos), uint8(view<<4|impression), uint8(quality), uint8(len(sfs)))
	for i, sf := range sfs {
		if len(sf) < 6 {
			return nil, fail(m1FMD, "minutia %d: %d items, need 6 (index, x, y, angle, type, quality)", i+1, len(sf))
		}
		var v [5]int
		lim := [5]int{1<<14 - 1, 1<<14 - 1, 179, 3, 100}
		for k := range v {
			n, err := strconv.Atoi(strings.TrimSpace(sf[k+1]))
			if err != nil || n < 0 || n > lim[k] {
				return nil, fail(m1FMD, "minutia %d: item %d %q is not a number 0–%d", i+1, k+2, clip([]byte(sf[k+1]), 16), lim[k])
			}
			v[k] = n
		}
		b = binary.BigEndian.AppendUint16(b, uint16(v[3])<<14|uint16(v[0]))
		b = binary.BigEndian.AppendUint16(b, uint16(v[1]))
		b = append(b, uint8(v[2]), uint8(v[4]))
	}
	b = binary.BigEndian.AppendUint16(b, 0) // no extended data
	return b, nil
}

// M1Record decodes the record's INCITS 378 block with the fingerprint package's codec.
func (r *Record) M1Record() (*fingerprint.Record, error) {
	b, err := r.M1Bytes()
	if err != nil {
		return nil, err
	}
	return fingerprint.DecodeRecord(b)
}

// M1Template returns the record's INCITS 378 block as a fingerprint.Template at the
// record's resolution (call Rescaled(fingerprint.DefaultResolution) to compare it).
func (r *Record) M1Template() (*fingerprint.Template, error) {
	rec, err := r.M1Record()
	if err != nil {
		return nil, err
	}
	return rec.Template(0)
}

// LegacyTemplate converts the standard-format minutiae (9.004 "S", field 9.012) of
// record i into a fingerprint.Template at fingerprint.DefaultResolution. The format
// measures in 0.01 mm from the bottom-left corner, with directions in degrees pointing
// the opposite way to INCITS 378 (the NIST reference files give the same finger in both
// forms, 180° apart), so the conversion needs the image: the record of an image type
// with the same IDC gives its height and resolution. Minutia types A and B become
// endings and bifurcations, C and D Other; qualities are not carried (0).
//
// FBI/IAFIS minutiae (9.023) are not converted: their axis conventions are not checked
// against reference data here.
func (t *Transaction) LegacyTemplate(i int) (*fingerprint.Template, error) {
	if i < 0 || i >= len(t.Records) || t.Records[i].Type != 9 {
		return nil, fmt.Errorf("nist: record %d is not a Type-9 record", i)
	}
	r := t.Records[i]
	if !r.Has(12) {
		return nil, &Error{Record: i, Type: 9, Field: "9.012", Offset: -1, Reason: "no standard-format minutiae (FBI/IAFIS 9.023 minutiae are not converted)"}
	}
	ms, err := r.LegacyMinutiae()
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Record = i
		}
		return nil, err
	}
	var im *Image
	for j, o := range t.Records {
		switch o.Type {
		case 3, 4, 5, 6, 7, 13, 14:
			if o.IDC() == r.IDC() {
				if x, err := t.Image(j); err == nil && x.VerticalPPI > 0 && x.HorizontalPPI > 0 {
					im = x
				}
			}
		}
		if im != nil {
			break
		}
	}
	if im == nil {
		return nil, &Error{Record: i, Type: 9, Field: "9.002", Offset: -1, Reason: fmt.Sprintf(
			"no image record with IDC %d and a known resolution to place the minutiae on", r.IDC())}
	}
	const ppi = fingerprint.DefaultResolution
	px := func(v float64) int { return int(math.Round(v * ppi / 25.4)) } // mm to pixels
	heightMM := float64(im.Height) / im.VerticalPPI * 25.4
	tpl := &fingerprint.Template{
		Width:      int(math.Round(float64(im.Width) * ppi / im.HorizontalPPI)),
		Height:     px(heightMM),
		Resolution: ppi,
		Minutiae:   make([]fingerprint.Minutia, 0, len(ms)),
	}
	if p, err := strconv.Atoi(strings.TrimSpace(r.Get(6))); err == nil && p >= 0 && p <= 10 {
		tpl.Position = p
	}
	for _, m := range ms {
		fm := fingerprint.Minutia{
			X:         px(float64(m.X) / 100),
			Y:         px(heightMM - float64(m.Y)/100),
			Direction: fingerprint.NormalizeAngle(float64(m.Theta+180) * math.Pi / 180),
		}
		switch strings.ToUpper(m.Type) {
		case "A":
			fm.Type = fingerprint.Ending
		case "B":
			fm.Type = fingerprint.Bifurcation
		}
		tpl.Minutiae = append(tpl.Minutiae, fm)
	}
	return tpl, nil
}
