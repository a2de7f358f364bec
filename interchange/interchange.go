// Package interchange turns ANSI/NIST-ITL transactions into one person's record, and one
// person's record into a transaction a partner's system accepts (FBI EBTS or INTERPOL
// INT-I flavoured).
//
// Import reads the biographic data of the first Type-2 record through the profile's field
// map, and every image record that belongs to the person: fingerprints (Types 3–6 and 14,
// positions 0–10), faces (Type-10 with IMT FACE), irises (Type-17) and DNA profiles
// (Type-18); Type-9 minutiae stand in for a finger that has no image. Images stay in the
// form they arrived in (WSQ, JPEG, JPEG 2000, PNG), except uncompressed pixels, which
// become lossless PNG. What cannot become part of the record — latents, palms, slaps that
// would need segmenting, scars and tattoos, binary images — is listed in Warnings, never
// dropped silently.
//
// Export writes Type-1, Type-2, one finger image record per finger (Type-14 for EBTS,
// Type-4 for INT-I, WSQ at 500 ppi), Type-10 faces (JPEG) and Type-17 irises.
package interchange

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"strings"

	"github.com/biomesh/biomesh/nist"
	"github.com/biomesh/biomesh/store"
)

// Person is the biographic part of an imported record, in the node's conventions: date of
// birth YYYY-MM-DD, nationality as an ISO 3166-1 alpha-3 code.
type Person struct {
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases,omitempty"`
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Sex         string   `json:"sex,omitempty"`
	Nationality string   `json:"nationality,omitempty"`
}

// Sample is one biometric sample of an imported record.
type Sample struct {
	Modality store.Modality `json:"modality"`
	Position int            `json:"position"`
	// Image is the image as the file had it, or lossless PNG for uncompressed pixels;
	// Format names it ("wsq", "jpeg", "jp2", "j2k", "png").
	Image  []byte `json:"-"`
	Format string `json:"format,omitempty"`
	// Resolution is the image's pixel density in pixels per inch, 0 when unknown.
	Resolution int `json:"resolution,omitempty"`
	// Template is an INCITS 378 minutiae record (fingers without an image, from Type-9
	// M1 data).
	Template []byte `json:"-"`
	// STR is a Type-18 DNA profile: one entry per locus, the record's items as written.
	STR [][]string `json:"str,omitempty"`
	// Source names the record, for messages: "record 3 (Type-14, IDC 2)".
	Source string `json:"source"`
}

// Record is what Import found in a transaction.
type Record struct {
	// The Type-1 identification of the transaction.
	TOT, ORI, TCN, DAT string
	Person             Person
	Samples            []Sample
	// Warnings lists what the transaction holds that is not part of the record, and
	// values that were not understood.
	Warnings []string
}

// Import reads a transaction through profile p (nil for "base", which has no Type-2 map:
// the person's data are then empty).
func Import(t *nist.Transaction, p *nist.Profile) (*Record, error) {
	if len(t.Records) == 0 || t.Records[0].Type != 1 {
		return nil, fmt.Errorf("interchange: the transaction has no Type-1 record")
	}
	if p == nil {
		var err error
		if p, err = nist.LookupProfile("base"); err != nil {
			return nil, err
		}
	}
	rec := &Record{TOT: t.TOT(), ORI: t.ORI(), TCN: t.TCN(), DAT: t.DAT()}
	warn := func(format string, a ...any) { rec.Warnings = append(rec.Warnings, fmt.Sprintf(format, a...)) }
	if ps, ok := t.Person(p); ok {
		rec.Person = importPerson(ps, warn)
	}
	nsr, ntr := t.Resolutions()
	fallbackPPI := 0
	if ntr > 0 {
		fallbackPPI = int(math.Round(ntr * 25.4))
	} else if nsr > 0 {
		fallbackPPI = int(math.Round(nsr * 25.4))
	}

	fingers := map[int]bool{}   // positions with an image
	notPerson := map[int]bool{} // IDCs of images that are not the person's (latents, palms)
	for i, r := range t.Records {
		if !nist.HasImage(r.Type) {
			continue
		}
		src := fmt.Sprintf("record %d (Type-%d, IDC %d)", i, r.Type, r.IDC())
		im, err := t.Image(i)
		if err != nil {
			warn("%s: image not readable: %v", src, err)
			continue
		}
		s, why := imageSample(im, src, fallbackPPI)
		if why != "" {
			warn("%s: %s", src, why)
			if r.Type == 7 || r.Type == 13 || r.Type == 15 {
				notPerson[r.IDC()] = true
			}
			continue
		}
		if s.Modality == store.Finger {
			if fingers[s.Position] && s.Position != 0 {
				warn("%s: a second image of finger %d: kept the first", src, s.Position)
				continue
			}
			fingers[s.Position] = true
		}
		rec.Samples = append(rec.Samples, s)
	}
	for i, r := range t.Records {
		src := fmt.Sprintf("record %d (Type-%d, IDC %d)", i, r.Type, r.IDC())
		switch r.Type {
		case 9:
			if notPerson[r.IDC()] {
				warn("%s: minutiae of a latent or palm image (same IDC): not imported", src)
				continue
			}
			if !r.HasM1() {
				warn("%s: minutiae in a legacy or vendor block only: not imported (the image, when present, is used)", src)
				continue
			}
			fr, err := r.M1Record()
			if err != nil {
				warn("%s: INCITS 378 minutiae not readable: %v", src, err)
				continue
			}
			if len(fr.Views) == 0 {
				warn("%s: INCITS 378 record without a finger view", src)
				continue
			}
			pos := fr.Views[0].Position
			if fingers[pos] {
				continue // the image of this finger gives a better template than a foreign extractor's
			}
			data, err := r.M1Bytes()
			if err != nil {
				warn("%s: %v", src, err)
				continue
			}
			fingers[pos] = true
			rec.Samples = append(rec.Samples, Sample{Modality: store.Finger, Position: pos, Template: data, Source: src})
		case 18:
			d, err := r.DNA()
			if err != nil || len(d.STR) == 0 {
				warn("%s: no STR profile (18.016)", src)
				continue
			}
			rec.Samples = append(rec.Samples, Sample{Modality: store.DNA, STR: d.STR, Source: src})
		}
	}
	return rec, nil
}

// imageSample turns one image record into a sample, or says why it is not one.
func imageSample(im *nist.Image, src string, fallbackPPI int) (Sample, string) {
	s := Sample{Source: src, Format: im.Format, Image: im.Data}
	s.Resolution = int(math.Round(im.HorizontalPPI))
	if s.Resolution == 0 {
		s.Resolution = fallbackPPI
	}
	switch im.Type {
	case 3, 4, 5, 6, 14:
		s.Modality = store.Finger
		if len(im.Positions) == 0 {
			s.Position = 0
		} else {
			s.Position = im.Positions[0]
		}
		switch {
		case s.Position == 11: // plain right thumb
			s.Position = 1
		case s.Position == 12: // plain left thumb
			s.Position = 6
		case s.Position >= 13 && s.Position <= 15:
			return s, fmt.Sprintf("finger position %d (a slap of several fingers) is not segmented into fingers: not imported", s.Position)
		case s.Position > 15:
			return s, fmt.Sprintf("finger position %d (not a single finger: EJI, tip or unknown palm area): not imported", s.Position)
		}
	case 10:
		if k := strings.ToUpper(strings.TrimSpace(im.Kind)); k != "FACE" {
			return s, fmt.Sprintf("%s image (scars, marks and tattoos are not kept)", strings.ToLower(k))
		}
		s.Modality = store.Face
	case 17:
		s.Modality = store.Iris
		switch strings.TrimSpace(im.Kind) {
		case "1":
			s.Position = 1
		case "2":
			s.Position = 2
		}
	case 7, 13:
		return s, "latent or user-defined image: not part of a person's record"
	case 15:
		return s, "palm print: no palm modality"
	default:
		return s, fmt.Sprintf("Type-%d image: not imported", im.Type)
	}
	switch im.Format {
	case "wsq", "jpeg", "png", "jp2", "j2k":
	case "raw":
		b, err := rawPNG(im)
		if err != nil {
			return s, err.Error()
		}
		s.Image, s.Format = b, "png"
	default:
		return s, fmt.Sprintf("image compression %q (%s) is not one the node stores", im.Compression, im.Format)
	}
	if len(s.Image) == 0 {
		return s, "empty image"
	}
	return s, ""
}

// rawPNG wraps uncompressed grey (8-bit) or colour (24-bit) pixels as lossless PNG.
func rawPNG(im *nist.Image) ([]byte, error) {
	w, h := im.Width, im.Height
	if w <= 0 || h <= 0 || w > 1<<15 || h > 1<<15 {
		return nil, fmt.Errorf("uncompressed image of %d×%d pixels", w, h)
	}
	var img image.Image
	switch im.Depth {
	case 8, 0:
		if len(im.Data) < w*h {
			return nil, fmt.Errorf("uncompressed %d×%d grey image needs %d bytes, the record has %d", w, h, w*h, len(im.Data))
		}
		img = &image.Gray{Pix: im.Data[:w*h], Stride: w, Rect: image.Rect(0, 0, w, h)}
	case 24:
		if len(im.Data) < 3*w*h {
			return nil, fmt.Errorf("uncompressed %d×%d colour image needs %d bytes, the record has %d", w, h, 3*w*h, len(im.Data))
		}
		rgba := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < w*h; i++ {
			copy(rgba.Pix[4*i:4*i+3], im.Data[3*i:3*i+3])
			rgba.Pix[4*i+3] = 255
		}
		img = rgba
	default:
		return nil, fmt.Errorf("uncompressed image of %d bits per pixel (8 or 24 are read)", im.Depth)
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// importPerson maps Type-2 values onto the node's conventions, warning about values it
// cannot carry over.
func importPerson(ps nist.Person, warn func(string, ...any)) Person {
	var p Person
	given, sur := strings.TrimSpace(ps.GivenName), strings.TrimSpace(ps.Surname)
	switch {
	case given != "" && sur != "":
		p.Name = titleCase(given) + " " + titleCase(sur)
	case sur != "":
		p.Name = titleCase(sur)
	default:
		p.Name = titleCase(strings.TrimSpace(ps.Name))
	}
	if d := strings.TrimSpace(ps.DOB); d != "" {
		if len(d) == 8 && isDigits(d) {
			p.DateOfBirth = d[:4] + "-" + d[4:6] + "-" + d[6:]
			if d[4:] == "0000" {
				p.DateOfBirth = d[:4] // year only
			} else if d[6:] == "00" {
				p.DateOfBirth = d[:4] + "-" + d[4:6]
			}
		} else {
			warn("Type-2 date of birth %q is not YYYYMMDD: not imported", d)
		}
	}
	switch sx := strings.ToUpper(strings.TrimSpace(ps.Sex)); sx {
	case "":
	case "M", "F", "X", "U":
		p.Sex = sx
	default:
		warn("Type-2 sex %q (M, F, X or U): not imported", ps.Sex)
	}
	if c := strings.ToUpper(strings.TrimSpace(ps.Citizenship)); c != "" {
		if len(c) == 3 && isUpper(c) {
			p.Nationality = c
		} else {
			warn("Type-2 citizenship %q is not an ISO 3166-1 alpha-3 code: not imported", ps.Citizenship)
		}
	}
	return p
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func isUpper(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// titleCase turns "KARIM" into "Karim", leaving names already in mixed case alone.
func titleCase(s string) string {
	if s != strings.ToUpper(s) {
		return s
	}
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		r := []rune(w)
		r[0] = []rune(strings.ToUpper(string(r[0])))[0]
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}
