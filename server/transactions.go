package server

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/biomesh/biomesh/interchange"
	"github.com/biomesh/biomesh/nist"
	"github.com/biomesh/biomesh/store"

	_ "github.com/biomesh/biomesh/jpeg2000" // JPEG 2000 images of transactions (a clear error without the openjpeg tag)
	_ "github.com/biomesh/biomesh/wsq"      // WSQ finger images of transactions
)

// transactionMIME is the media type of ANSI/NIST-ITL traditional-encoding files.
const transactionMIME = "application/x-ansi-nist"

// importTransaction is POST /v1/transactions: an ANSI/NIST-ITL transaction (a ten-print
// card, a face and iris record, …) enrolled as one person, with the de-duplication search
// and conflict handling of POST /v1/persons. Query parameters: profile (ebts, int-i or
// base: where the Type-2 record keeps the person's data), category and custody for a new
// person, person_id to add the samples to an existing one.
func (s *Server) importTransaction(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "enrol", ""); err != nil {
		return err
	}
	q := r.URL.Query()
	profile := q.Get("profile")
	if profile == "" {
		profile = "ebts"
	}
	prof, err := nist.LookupProfile(profile)
	if err != nil {
		return bad(http.StatusBadRequest, "profile %q: one of %s", profile, strings.Join(nist.ProfileNames(), ", "))
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return bad(http.StatusRequestEntityTooLarge, "transaction: larger than the limit of %d bytes", mbe.Limit)
		}
		return bad(http.StatusBadRequest, "transaction: %v", err)
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "" && ct != transactionMIME && ct != "application/octet-stream" {
		return bad(http.StatusUnsupportedMediaType, "content type %q: send the transaction as %s", ct, transactionMIME)
	}
	if len(body) == 0 {
		return bad(http.StatusBadRequest, "transaction: empty body; send the ANSI/NIST-ITL file as %s", transactionMIME)
	}
	tx, err := nist.Decode(body)
	if err != nil {
		return bad(http.StatusUnprocessableEntity, "transaction: %v", err)
	}
	rec, err := interchange.Import(tx, prof)
	if err != nil {
		return bad(http.StatusUnprocessableEntity, "transaction: %v", err)
	}
	notes := rec.Warnings
	source := "ANSI/NIST"
	if rec.ORI != "" {
		source += " from " + rec.ORI
	}
	if rec.TCN != "" {
		source += ", TCN " + rec.TCN
	}
	req := enrolRequest{PersonID: q.Get("person_id")}
	for _, sm := range rec.Samples {
		pos := sm.Position
		in := sampleIn{Modality: sm.Modality, Position: &pos, Resolution: sm.Resolution, Device: source}
		switch {
		case sm.Modality == store.DNA:
			notes = append(notes, sm.Source+": DNA profile not enrolled: this node has no DNA engine")
			continue
		case sm.Modality == store.Iris:
			// A partner's iris that fails the quality gates is left out with a note
			// rather than refusing the whole transaction.
			in.Image = sm.Image
			var probe sample
			if err := decodeIris(sm.Source, &in, &probe); err != nil {
				notes = append(notes, fmt.Sprintf("%s: iris not enrolled: %v", sm.Source, err))
				continue
			}
		case len(sm.Image) > 0:
			// An image the node cannot read (lossless JPEG, say) is left out with a note.
			if _, _, err := image.DecodeConfig(bytes.NewReader(sm.Image)); err != nil {
				notes = append(notes, fmt.Sprintf("%s: %s image (%s) not readable here, not enrolled: %v", sm.Source, sm.Modality, sm.Format, err))
				continue
			}
			in.Image = sm.Image
		default:
			in.Template = sm.Template
		}
		if in.Resolution != 0 && (in.Resolution < 250 || in.Resolution > 1000) {
			notes = append(notes, fmt.Sprintf("%s: %d ppi is outside 250–1000: read as 500 ppi", sm.Source, in.Resolution))
			in.Resolution = 500
		}
		req.Samples = append(req.Samples, in)
	}
	if len(req.Samples) == 0 {
		return bad(http.StatusUnprocessableEntity, "transaction: no sample of the person to enrol (%s)", strings.Join(notes, "; "))
	}
	if req.PersonID == "" {
		name := rec.Person.Name
		if name == "" {
			name = "unknown"
			if rec.TCN != "" {
				name = "unknown (TCN " + rec.TCN + ")"
			}
			notes = append(notes, "the transaction names no person (Type-2 through profile "+prof.Name+"): enrolled as "+name)
		}
		req.Person = &personIn{Name: name, Aliases: rec.Person.Aliases, DateOfBirth: rec.Person.DateOfBirth,
			Sex: rec.Person.Sex, Nationality: rec.Person.Nationality, Category: q.Get("category"), Custody: q.Get("custody")}
	}
	return s.enrolDecoded(w, r, c, &req, notes)
}

var agencyPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// exportTransaction is GET /v1/persons/{id}/transaction: the person as an ANSI/NIST-ITL
// transaction for a partner, profile ebts (Type-14 fingers) or int-i (Type-4), addressed
// to the destination agency dai. What leaves the node is audited with its destination.
func (s *Server) exportTransaction(w http.ResponseWriter, r *http.Request, c *caller) error {
	q := r.URL.Query()
	profile, dai := q.Get("profile"), q.Get("dai")
	if profile == "" {
		profile = "ebts"
	}
	if !slices.Contains([]string{"ebts", "int-i"}, profile) {
		return bad(http.StatusBadRequest, "profile %q: ebts or int-i", profile)
	}
	if !agencyPattern.MatchString(dai) {
		return bad(http.StatusBadRequest, "dai %q: the destination agency identifier (1–32 letters, digits, '.', '_' or '-') is required", dai)
	}
	p, err := s.readablePerson(r, c, "person.export")
	if err != nil {
		return err
	}
	samples, err := s.st.Samples(r.Context(), p.ID)
	if err != nil {
		return err
	}
	tx, warns, err := interchange.Export(p, samples, interchange.ExportOptions{Profile: profile, ORI: c.Org, DAI: dai, Now: s.cfg.Now()})
	if err != nil {
		return fmt.Errorf("person %s: %w", p.ID, err)
	}
	data, err := tx.Encode()
	if err != nil {
		return err
	}
	// A record that leaves the node and cannot be audited does not leave.
	if err := s.audit(r.Context(), c, "person.export", p.ID, fmt.Sprintf("ok: %s to %s, %d records, TCN %s", profile, dai, len(tx.Records), tx.TCN())); err != nil {
		return err
	}
	w.Header().Set("Content-Type", transactionMIME)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", p.ID+"-"+profile+".an2"))
	w.Header().Set("Cache-Control", "no-store")
	for _, wn := range warns {
		w.Header().Add("X-Biomesh-Warning", wn)
	}
	w.Write(data)
	return nil
}
