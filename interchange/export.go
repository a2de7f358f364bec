package interchange

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"strconv"
	"strings"
	"time"

	"github.com/biomesh/biomesh/nist"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/wsq"

	_ "image/png" // stored images
)

// ExportOptions say how a record is written.
type ExportOptions struct {
	// Profile is "ebts" (finger images as Type-14) or "int-i" (Type-4).
	Profile string
	// TOT is the type of transaction; default "CAR" for EBTS (criminal ten-print
	// submission) and "CPS" for INT-I (criminal person search).
	TOT string
	// ORI and DAI are the originating and destination agencies; TCN the transaction
	// control number (default: ORI, date and time).
	ORI, DAI, TCN string
	// Now is the transaction date (default the current time).
	Now time.Time
}

// versionWritten is the ANSI/NIST-ITL version of exported transactions: 1-2011, which both
// the current EBTS and INT-I build on.
const versionWritten = "0500"

// Export writes person p with its samples as a transaction. Finger images are written as
// WSQ at 500 ppi (re-encoded from the stored form unless already WSQ), faces as JPEG (or
// PNG as stored), irises as stored. Samples that cannot be written are listed in the
// warnings.
func Export(p *store.Person, samples []store.Sample, o ExportOptions) (*nist.Transaction, []string, error) {
	prof, err := nist.LookupProfile(o.Profile)
	if err != nil {
		return nil, nil, err
	}
	if prof.Name != "ebts" && prof.Name != "int-i" {
		return nil, nil, fmt.Errorf("interchange: profile %q: export writes ebts or int-i", o.Profile)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	if o.TOT == "" {
		o.TOT = map[string]string{"ebts": "CAR", "int-i": "CPS"}[prof.Name]
	}
	if o.ORI == "" {
		o.ORI = "BIOMESH"
	}
	if o.TCN == "" {
		o.TCN = o.ORI + o.Now.Format("20060102150405")
	}
	date := o.Now.Format("20060102")
	var warnings []string
	warn := func(format string, a ...any) { warnings = append(warnings, fmt.Sprintf(format, a...)) }

	t1, _ := nist.NewRecord(1)
	set := func(r *nist.Record, num int, v string) {
		if err == nil {
			err = r.SetString(num, v)
		}
	}
	set(t1, nist.FieldVER, versionWritten)
	set(t1, nist.FieldCNT, "1"+string(rune(nist.US))+"0")
	set(t1, nist.FieldTOT, o.TOT)
	set(t1, nist.FieldDAT, date)
	set(t1, nist.FieldDAI, o.DAI)
	set(t1, nist.FieldORI, o.ORI)
	set(t1, nist.FieldTCN, o.TCN)
	// Tagged image records state their own resolution; binary Type-4 records rely on
	// NTR, 19.69 px/mm being 500 ppi.
	set(t1, nist.FieldNSR, "19.69")
	set(t1, nist.FieldNTR, "19.69")
	if prof.Name == "int-i" {
		set(t1, nist.FieldDOM, "INT-I"+string(rune(nist.US))+"5.0")
	}
	set(t1, nist.FieldGMT, o.Now.Format("20060102150405")+"Z")
	if o.DAI == "" {
		err = fmt.Errorf("interchange: a destination agency (DAI) is needed")
	}
	if err != nil {
		return nil, nil, err
	}
	t := &nist.Transaction{Records: []*nist.Record{t1}}

	t2, _ := nist.NewRecord(2)
	set(t2, 2, "00")
	if prof.Name == "int-i" {
		set(t2, 3, "0500")
	}
	m := prof.Type2
	if m.Name != 0 {
		set(t2, m.Name, nistName(p.Name))
	}
	if m.DOB != 0 {
		dob, partial := nistDate(p.DateOfBirth)
		if partial {
			warn("date of birth %q is not a full date: written as %s, with 00 for what is unknown", p.DateOfBirth, dob)
		}
		if dob != "" {
			set(t2, m.DOB, dob)
		} else if prof.Name == "ebts" {
			warn("no date of birth: EBTS requires one (2.022)")
		}
	}
	if m.Sex != 0 {
		sex := p.Sex
		if sex == "" {
			sex = "U"
		}
		set(t2, m.Sex, sex)
	}
	if m.Race != 0 {
		set(t2, m.Race, "U") // the node does not record race
	}
	if m.Citizenship != 0 && p.Nationality != "" {
		set(t2, m.Citizenship, p.Nationality)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := t.AddRecord(t2); err != nil {
		return nil, nil, err
	}

	idc := 1
	for _, s := range bestPerPosition(samples, warn) {
		var r *nist.Record
		var why string
		switch s.Modality {
		case store.Finger:
			r, why = fingerRecord(s, idc, prof.Name, o.ORI, date)
		case store.Face:
			r, why = faceRecord(s, idc, o.ORI, date)
		case store.Iris:
			r, why = irisRecord(s, idc, o.ORI, date)
		default:
			why = "not written: no record type for it in this export"
		}
		if why != "" {
			warn("sample %d (%s %d): %s", s.ID, s.Modality, s.Position, why)
			continue
		}
		if err := t.AddRecord(r); err != nil {
			return nil, nil, err
		}
		idc++
	}
	return t, warnings, nil
}

// nistName writes "Given Names Surname" as EBTS's "SURNAME,GIVEN NAMES": the last word is
// taken as the surname.
func nistName(name string) string {
	words := strings.Fields(strings.ToUpper(name))
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ',' || r < ' ' {
				return -1
			}
			return r
		}, s)
	}
	switch len(words) {
	case 0:
		return "UNKNOWN,UNKNOWN"
	case 1:
		return clean(words[0]) + ","
	}
	return clean(words[len(words)-1]) + "," + clean(strings.Join(words[:len(words)-1], " "))
}

// nistDate writes YYYY, YYYY-MM or YYYY-MM-DD as YYYYMMDD, with 00 for the unknown parts;
// partial reports that some were.
func nistDate(d string) (string, bool) {
	switch len(d) {
	case 4:
		return d + "0000", true
	case 7:
		return d[:4] + d[5:7] + "00", true
	case 10:
		return d[:4] + d[5:7] + d[8:], false
	}
	return "", false
}

// stored decodes a stored image.
func stored(s store.Sample) (image.Image, error) {
	if len(s.Image) == 0 {
		return nil, fmt.Errorf("no image stored (template only)")
	}
	img, _, err := image.Decode(bytes.NewReader(s.Image))
	if err != nil {
		return nil, fmt.Errorf("stored %s image: %v", s.ImageFormat, err)
	}
	return img, nil
}

// fingerRecord writes a finger image as Type-14 (EBTS) or Type-4 (INT-I), WSQ-compressed.
func fingerRecord(s store.Sample, idc int, profile, ori, date string) (*nist.Record, string) {
	data := s.Image
	img, err := stored(s)
	if err != nil {
		return nil, err.Error()
	}
	b := img.Bounds()
	if s.ImageFormat != "wsq" {
		var buf bytes.Buffer
		if err := wsq.Encode(&buf, img, &wsq.Options{PPI: 500}); err != nil {
			return nil, fmt.Sprintf("WSQ encoding: %v", err)
		}
		data = buf.Bytes()
	}
	pos := s.Position
	if profile == "int-i" {
		if b.Dx() > 65535 || b.Dy() > 65535 {
			return nil, "image too large for a Type-4 record"
		}
		r, _ := nist.NewRecord(4)
		// IDC, IMP (0: live-scan plain), FGP (six bytes, 255 for unused), ISR (0: the
		// minimum scanning resolution), HLL, VLL, GCA (1: WSQ).
		h := r.Header
		h[0], h[1] = byte(idc), 0
		h[2] = byte(pos)
		for i := 3; i < 8; i++ {
			h[i] = 255
		}
		h[8] = 0
		h[9], h[10] = byte(b.Dx()>>8), byte(b.Dx())
		h[11], h[12] = byte(b.Dy()>>8), byte(b.Dy())
		h[13] = 1
		r.Data = data
		return r, ""
	}
	r, _ := nist.NewRecord(14)
	var err2 error
	for _, f := range []struct {
		n int
		v string
	}{
		{2, strconv.Itoa(idc)}, {3, "0"}, {4, ori}, {5, date},
		{6, strconv.Itoa(b.Dx())}, {7, strconv.Itoa(b.Dy())}, {8, "1"}, {9, "500"}, {10, "500"},
		{11, "WSQ20"}, {12, "8"}, {13, strconv.Itoa(pos)},
	} {
		if err2 == nil {
			err2 = r.SetString(f.n, f.v)
		}
	}
	if err2 == nil {
		err2 = r.Set(999, data)
	}
	if err2 != nil {
		return nil, err2.Error()
	}
	return r, ""
}

// faceRecord writes a face as Type-10: JPEG as stored, anything else re-encoded as JPEG.
func faceRecord(s store.Sample, idc int, ori, date string) (*nist.Record, string) {
	img, err := stored(s)
	if err != nil {
		return nil, err.Error()
	}
	data := s.Image
	if s.ImageFormat != "jpeg" {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
			return nil, fmt.Sprintf("JPEG encoding: %v", err)
		}
		data = buf.Bytes()
	}
	b := img.Bounds()
	return taggedImage(10, idc, data, []field{
		{3, "FACE"}, {4, ori}, {5, date}, {6, strconv.Itoa(b.Dx())}, {7, strconv.Itoa(b.Dy())},
		{8, "0"}, {9, "1"}, {10, "1"}, {11, "JPEGB"}, {12, "YCC"},
	})
}

// irisRecord writes an iris as Type-17 with its stored image (PNG or JPEG).
func irisRecord(s store.Sample, idc int, ori, date string) (*nist.Record, string) {
	img, err := stored(s)
	if err != nil {
		return nil, err.Error()
	}
	cga := map[string]string{"png": "PNG", "jpeg": "JPEGB", "jp2": "JP2", "j2k": "JP2"}[s.ImageFormat]
	if cga == "" {
		return nil, fmt.Sprintf("stored %s image: not written to Type-17", s.ImageFormat)
	}
	b := img.Bounds()
	return taggedImage(17, idc, s.Image, []field{
		{3, strconv.Itoa(s.Position)}, {4, ori}, {5, date}, {6, strconv.Itoa(b.Dx())}, {7, strconv.Itoa(b.Dy())},
		{8, "0"}, {9, "1"}, {10, "1"}, {11, cga}, {12, "8"}, {13, "GRAY"},
	})
}

type field struct {
	n int
	v string
}

func taggedImage(typ, idc int, data []byte, fields []field) (*nist.Record, string) {
	r, _ := nist.NewRecord(typ)
	if err := r.SetString(2, strconv.Itoa(idc)); err != nil {
		return nil, err.Error()
	}
	for _, f := range fields {
		if err := r.SetString(f.n, f.v); err != nil {
			return nil, err.Error()
		}
	}
	if err := r.Set(999, data); err != nil {
		return nil, err.Error()
	}
	return r, ""
}

// bestPerPosition keeps, of several images of one finger or one eye, the one of best
// quality (the latest among equals): a transaction carries one image per position.
// Faces are all kept, and the order of first appearance is kept.
func bestPerPosition(samples []store.Sample, warn func(string, ...any)) []store.Sample {
	type key struct {
		m   store.Modality
		pos int
	}
	best := map[key]int{}
	count := map[key]int{}
	var order []key
	var out []store.Sample
	for i, s := range samples {
		if s.Modality == store.Face || s.Position == 0 || len(s.Image) == 0 {
			continue
		}
		k := key{s.Modality, s.Position}
		count[k]++
		j, ok := best[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || s.Quality >= samples[j].Quality {
			best[k] = i
		}
	}
	keep := map[int]bool{}
	for _, k := range order {
		keep[best[k]] = true
		if count[k] > 1 {
			warn("%s %d: %d images stored, the best (sample %d, quality %d) written", k.m, k.pos, count[k], samples[best[k]].ID, samples[best[k]].Quality)
		}
	}
	for i, s := range samples {
		if keep[i] || s.Modality == store.Face || s.Position == 0 || len(s.Image) == 0 {
			out = append(out, s)
		}
	}
	return out
}
