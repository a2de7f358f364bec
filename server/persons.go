package server

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/store"
)

// personIn is the biographic part of a request.
type personIn struct {
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases"`
	DateOfBirth string   `json:"date_of_birth"`
	Sex         string   `json:"sex"`
	Nationality string   `json:"nationality"`
	Category    string   `json:"category"`
	Custody     string   `json:"custody"`
}

var (
	dobPattern         = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)
	nationalityPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

func (p *personIn) check() error {
	p.Name = strings.TrimSpace(p.Name)
	if len(p.Name) > 200 {
		return bad(http.StatusBadRequest, "person.name: longer than 200 characters")
	}
	if len(p.Aliases) > 50 {
		return bad(http.StatusBadRequest, "person.aliases: more than 50")
	}
	for i, a := range p.Aliases {
		p.Aliases[i] = strings.TrimSpace(a)
		if p.Aliases[i] == "" || len(a) > 200 {
			return bad(http.StatusBadRequest, "person.aliases[%d]: empty or longer than 200 characters", i)
		}
	}
	if p.DateOfBirth != "" {
		if !dobPattern.MatchString(p.DateOfBirth) {
			return bad(http.StatusBadRequest, "person.date_of_birth %q: use YYYY, YYYY-MM or YYYY-MM-DD", p.DateOfBirth)
		}
		if len(p.DateOfBirth) == 10 {
			if _, err := time.Parse(time.DateOnly, p.DateOfBirth); err != nil {
				return bad(http.StatusBadRequest, "person.date_of_birth %q: not a calendar date", p.DateOfBirth)
			}
		}
	}
	p.Sex = strings.ToUpper(p.Sex)
	if p.Sex != "" && !slices.Contains([]string{"M", "F", "X", "U"}, p.Sex) {
		return bad(http.StatusBadRequest, "person.sex %q: use M, F, X or U", p.Sex)
	}
	p.Nationality = strings.ToUpper(p.Nationality)
	if p.Nationality != "" && !nationalityPattern.MatchString(p.Nationality) {
		return bad(http.StatusBadRequest, "person.nationality %q: use an ISO 3166-1 alpha-3 code such as IRQ", p.Nationality)
	}
	if p.Category != "" && !slices.Contains(store.Categories, p.Category) {
		return bad(http.StatusBadRequest, "person.category %q: one of %s", p.Category, strings.Join(store.Categories, ", "))
	}
	if len(p.Custody) > 2000 {
		return bad(http.StatusBadRequest, "person.custody: longer than 2000 characters")
	}
	return nil
}

func (p *personIn) apply(to *store.Person) {
	to.Name, to.Aliases, to.DateOfBirth, to.Sex = p.Name, p.Aliases, p.DateOfBirth, p.Sex
	to.Nationality, to.Category, to.Custody = p.Nationality, p.Category, p.Custody
}

type enrolRequest struct {
	PersonID string     `json:"person_id"` // add samples to this person instead of creating one
	Person   *personIn  `json:"person"`
	Samples  []sampleIn `json:"samples"`
}

type enrolResponse struct {
	PersonID  string           `json:"person_id"`
	Created   bool             `json:"created"`
	Duplicate bool             `json:"duplicate"` // the samples matched this already enrolled person, whose biographic data agree
	Samples   []sampleOut      `json:"samples"`
	Matches   []candidate      `json:"matches,omitempty"`   // persons the samples hit in the de-duplication search
	Conflicts []store.Conflict `json:"conflicts,omitempty"` // identity conflicts this enrolment raised
	Threshold float64          `json:"threshold"`
	Warnings  []string         `json:"warnings,omitempty"`
}

type sampleOut struct {
	ID       int64          `json:"id"`
	Modality store.Modality `json:"modality"`
	Position int            `json:"position"`
	Quality  int            `json:"quality"`
	Minutiae int            `json:"minutiae,omitempty"`
}

func samplesOut(ss []*sample) []sampleOut {
	out := make([]sampleOut, len(ss))
	for i, s := range ss {
		out[i] = sampleOut{ID: s.rec.ID, Modality: s.rec.Modality, Position: s.rec.Position, Quality: s.rec.Quality}
		if s.finger != nil {
			out[i].Minutiae = len(s.finger.Minutiae)
		}
	}
	return out
}

// enrol handles POST /v1/persons: a new person, or samples added to one. Every enrolment is
// searched first; a hit on a person whose biographic data differ raises an identity
// conflict, a hit on one whose data agree is a re-enrolment of that person.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "enrol", ""); err != nil {
		return err
	}
	var req enrolRequest
	if err := decodeRequest(r, &req); err != nil {
		return err
	}
	if err := resolveParts(r, req.Samples); err != nil {
		return err
	}
	return s.enrolDecoded(w, r, c, &req, nil)
}

// enrolDecoded runs an enrolment request already read from its body (JSON, multipart or
// an ANSI/NIST transaction); notes are warnings of the decoding that the answer repeats.
func (s *Server) enrolDecoded(w http.ResponseWriter, r *http.Request, c *caller, req *enrolRequest, notes []string) error {
	if req.PersonID == "" && req.Person == nil {
		return bad(http.StatusBadRequest, "person: missing; give the biographic data of a new person, or person_id to add samples to one")
	}
	if req.PersonID != "" && req.Person != nil {
		return bad(http.StatusBadRequest, "person and person_id: give one — person_id adds samples to an existing person, whose data are changed with PUT /v1/persons/{id}")
	}
	if req.Person != nil {
		if err := req.Person.check(); err != nil {
			return err
		}
	}
	var existing *store.Person
	if req.PersonID != "" {
		p, err := s.st.Person(r.Context(), req.PersonID)
		if err != nil {
			return err
		}
		if p.Org != c.Org {
			return bad(http.StatusForbidden, "person %s belongs to organisation %s: samples can only be added by its owner", p.ID, p.Org)
		}
		existing = p
	}
	samples, err := s.decodeSamples(r.Context(), req.Samples, true)
	if err != nil {
		return err
	}

	// De-duplication search on the best fingers, outside the enrolment lock.
	probe := dedupSamples(samples, s.cfg.DedupFingers)
	mark := s.recent.mark()
	subjects, _ := s.fingers.g.Len()
	var matches []candidate
	k := 0
	if len(probe) > 0 {
		if matches, k, err = s.search(probe, 5); err != nil {
			return err
		}
	}

	s.enrolMu.Lock()
	defer s.enrolMu.Unlock()
	if len(probe) > 0 {
		matches = append(matches, s.searchRecent(probe, mark)...)
		slices.SortStableFunc(matches, func(a, b candidate) int { return cmpScore(b.Score, a.Score) })
	}
	thr := s.identifyThreshold(max(k, 1), subjects+1)
	var hits []candidate
	for _, m := range matches {
		if m.Score >= thr && (existing == nil || m.PersonID != existing.ID) && !slices.ContainsFunc(hits, func(h candidate) bool { return h.PersonID == m.PersonID }) {
			hits = append(hits, m)
		}
	}
	resp := enrolResponse{Threshold: round2(thr), Warnings: append(notes, warnings(samples)...)}
	now := s.cfg.Now().UTC()
	fillCaptured(samples, now)

	// The samples hit an existing person whose biographic data agree with the request:
	// this is that person again; add the samples to their record instead of creating a
	// second one.
	if existing == nil && len(hits) > 0 {
		best, err := s.st.Person(r.Context(), hits[0].PersonID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if best != nil && best.Org == c.Org && len(biographicDiff(req.Person, best)) == 0 {
			a := s.entry(c, "person.add-samples", best.ID, fmt.Sprintf("ok: %d samples (re-enrolment, score %.1f)", len(samples), hits[0].Score))
			recs := records(samples)
			if err := s.st.AddSamples(r.Context(), best.ID, recs, a, s.shared(federation.Change{Kind: federation.KindUpdate, Person: best})...); err != nil {
				return err
			}
			for i := range samples {
				samples[i].rec.ID = recs[i].ID
			}
			s.fingers.add(best.ID, samples)
			s.dna.add(best.ID, samples)
			s.irises.add(best.ID, samples)
			s.faces.add(best.ID, samples)
			s.recent.add(best.ID, samples)
			s.notifyPartners()
			resp.PersonID, resp.Duplicate, resp.Samples = best.ID, true, samplesOut(samples)
			if resp.Conflicts, err = s.raiseConflicts(r, c, best, hits[1:], now); err != nil {
				return err
			}
			resp.Matches = s.visible(r, c, hits)
			writeJSON(w, http.StatusOK, resp)
			return nil
		}
	}

	recs := records(samples)
	if existing != nil {
		a := s.entry(c, "person.add-samples", existing.ID, fmt.Sprintf("ok: %d samples", len(samples)))
		if err := s.st.AddSamples(r.Context(), existing.ID, recs, a, s.shared(federation.Change{Kind: federation.KindUpdate, Person: existing})...); err != nil {
			return err
		}
		resp.PersonID = existing.ID
	} else {
		p := &store.Person{ID: newID("P"), Org: c.Org, Created: now, Updated: now, Watch: store.Watch{Level: store.WatchNone}}
		req.Person.apply(p)
		a := s.entry(c, "person.enrol", p.ID, fmt.Sprintf("ok: %d samples, %d hits", len(samples), len(hits)))
		if err := s.st.CreatePerson(r.Context(), p, recs, a, s.shared(federation.Change{Kind: federation.KindEnrol, Person: p})...); err != nil {
			return err
		}
		resp.PersonID, resp.Created = p.ID, true
		existing = p
	}
	for i := range samples {
		samples[i].rec.ID = recs[i].ID
	}
	s.fingers.add(resp.PersonID, samples)
	s.dna.add(resp.PersonID, samples)
	s.irises.add(resp.PersonID, samples)
	s.faces.add(resp.PersonID, samples)
	s.recent.add(resp.PersonID, samples)
	resp.Samples = samplesOut(samples)
	s.notifyPartners()

	if resp.Conflicts, err = s.raiseConflicts(r, c, existing, hits, now); err != nil {
		return err
	}
	resp.Matches = s.visible(r, c, hits)
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

// raiseConflicts records an identity conflict between person p and every hit on another
// person: the same biometrics under two records. Biographic differences say which fields
// disagree.
func (s *Server) raiseConflicts(r *http.Request, c *caller, p *store.Person, hits []candidate, now time.Time) ([]store.Conflict, error) {
	var out []store.Conflict
	for _, h := range hits {
		if h.PersonID == p.ID {
			continue
		}
		other, err := s.st.Person(r.Context(), h.PersonID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		diff := biographicDiff(personOf(p), other)
		reason := "biometric match to another record"
		if len(diff) > 0 {
			reason += "; biographic data differ: " + strings.Join(diff, ", ")
		}
		cf := &store.Conflict{ID: newID("C"), PersonID: p.ID, OtherID: other.ID, Score: round2(h.Score),
			Modalities: []string{"finger"}, Reason: reason, Status: store.ConflictOpen, Created: now}
		if err := s.st.AddConflict(r.Context(), cf, s.entry(c, "conflict.raise", cf.ID, p.ID+" ~ "+other.ID)); err != nil {
			return nil, err
		}
		out = append(out, *cf)
	}
	return out, nil
}

func personOf(p *store.Person) *personIn {
	return &personIn{Name: p.Name, Aliases: p.Aliases, DateOfBirth: p.DateOfBirth, Sex: p.Sex, Nationality: p.Nationality}
}

// dedupSamples picks the finger samples searched for duplicates at enrolment: the n of best
// quality, ties kept in request order.
func dedupSamples(samples []*sample, n int) []*sample {
	var fs, profiles []*sample
	for _, s := range samples {
		switch {
		case s.finger != nil:
			fs = append(fs, s)
		case s.profile != nil, s.iris != nil, s.face != nil:
			profiles = append(profiles, s)
		}
	}
	slices.SortStableFunc(fs, func(a, b *sample) int { return b.rec.Quality - a.rec.Quality })
	if len(fs) > n {
		fs = fs[:n]
	}
	// Irises and DNA profiles are all searched: their searches are cheap.
	return append(fs, profiles...)
}

func cmpScore(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func round2(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
	return r
}

// biographicDiff lists the biographic fields, set on both sides, on which the request and
// a stored person disagree. Names agree when either side's name is among the other's names
// or aliases, compared case- and space-insensitively.
func biographicDiff(p *personIn, q *store.Person) []string {
	var diff []string
	if p.Name != "" && q.Name != "" {
		a := append([]string{p.Name}, p.Aliases...)
		b := append([]string{q.Name}, q.Aliases...)
		same := false
		for _, x := range a {
			for _, y := range b {
				if normName(x) == normName(y) {
					same = true
				}
			}
		}
		if !same {
			diff = append(diff, "name")
		}
	}
	if p.DateOfBirth != "" && q.DateOfBirth != "" && !strings.HasPrefix(p.DateOfBirth, q.DateOfBirth) && !strings.HasPrefix(q.DateOfBirth, p.DateOfBirth) {
		diff = append(diff, "date_of_birth")
	}
	if p.Sex != "" && q.Sex != "" && p.Sex != "U" && q.Sex != "U" && p.Sex != q.Sex {
		diff = append(diff, "sex")
	}
	if p.Nationality != "" && q.Nationality != "" && p.Nationality != q.Nationality {
		diff = append(diff, "nationality")
	}
	return diff
}

func normName(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// visible fills in what the caller may see of each candidate: the watch level always for
// roles that may see person IDs, and the biographic record for analysts and admins of the
// owning organisation.
func (s *Server) visible(r *http.Request, c *caller, cs []candidate) []candidate {
	out := make([]candidate, len(cs))
	for i, cd := range cs {
		cd.Score, cd.Fingers = round2(cd.Score), roundAll(cd.Fingers)
		p, err := s.st.Person(r.Context(), cd.PersonID)
		if err == nil {
			cd.Watch = p.Watch.Level
			if c.seesRecords(p.Org) {
				cd.Person = p
			}
		}
		out[i] = cd
	}
	return out
}

func roundAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = round2(x)
	}
	return out
}

// readablePerson loads a person the caller may read or change. Persons of another
// organisation are refused (403) without saying more than that they exist. Refusals are
// audited; so is the read itself for the read actions (person.read, person.timeline) —
// a change is audited by its own entry, in the same transaction as the change.
func (s *Server) readablePerson(r *http.Request, c *caller, action string) (*store.Person, error) {
	id := r.PathValue("id")
	if err := s.require(r, c, action, id); err != nil {
		return nil, err
	}
	p, err := s.st.Person(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		if d, derr := s.st.Deleted(r.Context(), id); derr == nil {
			s.audit(r.Context(), c, action, id, "gone: deleted")
			return nil, bad(http.StatusGone, "person %s was deleted on %s: %s", id, d.At.Format(time.DateOnly), d.Reason)
		}
		if m, merr := s.st.Merged(r.Context(), id); merr == nil {
			s.audit(r.Context(), c, action, id, "gone: merged into "+m.Keep)
			return nil, bad(http.StatusGone, "person %s was merged into %s on %s (the same person: conflict %s); read %s", id, m.Keep, m.At.Format(time.DateOnly), m.ConflictID, m.Keep)
		}
		s.audit(r.Context(), c, action, id, "not found")
		return nil, bad(http.StatusNotFound, "person %s: not found", id)
	}
	if err != nil {
		return nil, err
	}
	if p.Org != c.Org {
		s.audit(r.Context(), c, action, id, "denied: owned by "+p.Org)
		return nil, bad(http.StatusForbidden, "person %s belongs to organisation %s: only its analysts may read it", id, p.Org)
	}
	// A read of personal data that cannot be audited does not happen.
	if action == "person.read" || action == "person.timeline" {
		if err := s.audit(r.Context(), c, action, id, "ok"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

type personResponse struct {
	Person    *store.Person      `json:"person"`
	Samples   []store.Sample     `json:"samples"`
	Family    []store.FamilyLink `json:"family"`
	Conflicts []store.Conflict   `json:"conflicts"`
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.readablePerson(r, c, "person.read")
	if err != nil {
		return err
	}
	samples, err := s.st.Samples(r.Context(), p.ID)
	if err != nil {
		return err
	}
	fam, err := s.st.FamilyLinks(r.Context(), p.ID)
	if err != nil {
		return err
	}
	cfs, err := s.st.Conflicts(r.Context(), "", p.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, personResponse{Person: p, Samples: nonNil(samples), Family: nonNil(fam), Conflicts: nonNil(cfs)})
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) sampleImage(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.readablePerson(r, c, "person.read")
	if err != nil {
		return err
	}
	sid, err := strconv.ParseInt(r.PathValue("sample"), 10, 64)
	if err != nil {
		return bad(http.StatusBadRequest, "sample %q: not a sample number", r.PathValue("sample"))
	}
	samples, err := s.st.Samples(r.Context(), p.ID)
	if err != nil {
		return err
	}
	for _, sm := range samples {
		if sm.ID == sid {
			if len(sm.Image) == 0 {
				return bad(http.StatusNotFound, "sample %d of person %s has no image (template only)", sid, p.ID)
			}
			w.Header().Set("Content-Type", imageMIME(sm.ImageFormat))
			w.Header().Set("Cache-Control", "no-store")
			w.Write(sm.Image)
			return nil
		}
	}
	return bad(http.StatusNotFound, "person %s has no sample %d", p.ID, sid)
}

func (s *Server) updatePerson(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "person.update", r.PathValue("id")); err != nil {
		return err
	}
	var in personIn
	if err := decodeJSON(r.Body, "request body", &in); err != nil {
		return err
	}
	if err := in.check(); err != nil {
		return err
	}
	p, err := s.readablePerson(r, c, "person.update")
	if err != nil {
		return err
	}
	prev := *p
	in.apply(p)
	p.Updated = s.cfg.Now().UTC()
	if err := s.st.UpdatePerson(r.Context(), p, s.entry(c, "person.update", p.ID, "ok"), s.shared(federation.Change{Kind: federation.KindUpdate, Person: p, Previous: &prev})...); err != nil {
		return err
	}
	s.notifyPartners()
	writeJSON(w, http.StatusOK, map[string]any{"person": p})
	return nil
}

type deleteRequest struct {
	Reason string `json:"reason"`
}

// deletePerson erases a person. Retention rules: a person under any watch level
// cannot be deleted until the watch is lifted, and a person with open identity conflicts
// not until they are resolved — deleting either would destroy evidence others rely on.
func (s *Server) deletePerson(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "person.delete", r.PathValue("id")); err != nil {
		return err
	}
	var req deleteRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r.Body, "request body", &req); err != nil {
			return err
		}
	}
	if req.Reason == "" {
		req.Reason = r.URL.Query().Get("reason")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return bad(http.StatusBadRequest, "reason: a deletion needs a reason (JSON {\"reason\": ...} or ?reason=)")
	}
	p, err := s.readablePerson(r, c, "person.delete")
	if err != nil {
		return err
	}
	if p.Watch.Level.Severity() > 0 {
		s.audit(r.Context(), c, "person.delete", p.ID, "refused: watch "+string(p.Watch.Level))
		return bad(http.StatusConflict, "person %s is on watch level %s: lift the watch before deleting (retention rule)", p.ID, p.Watch.Level)
	}
	open, err := s.st.Conflicts(r.Context(), store.ConflictOpen, p.ID)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		s.audit(r.Context(), c, "person.delete", p.ID, "refused: open conflict")
		return bad(http.StatusConflict, "person %s has %d open identity conflict(s) (%s): resolve them before deleting (retention rule)", p.ID, len(open), open[0].ID)
	}
	if why := s.cfg.Retention.held(p, s.cfg.Now()); why != "" {
		s.audit(r.Context(), c, "person.delete", p.ID, "refused: retention")
		return bad(http.StatusConflict, "%s (retention rule)", why)
	}
	d := store.Deletion{PersonID: p.ID, Reason: req.Reason, By: c.ID, At: s.cfg.Now().UTC()}
	if err := s.st.DeletePerson(r.Context(), d, s.entry(c, "person.delete", p.ID, "ok: "+req.Reason), s.shared(federation.Change{Kind: federation.KindDelete, Person: p})...); err != nil {
		return err
	}
	s.fingers.g.Remove(p.ID)
	s.dna.removePerson(p.ID)
	s.irises.g.Remove(p.ID)
	s.faces.g.Remove(p.ID)
	s.notifyPartners()
	writeJSON(w, http.StatusOK, map[string]any{"deleted": p.ID})
	return nil
}

type watchRequest struct {
	Level  store.WatchLevel `json:"level"`
	Reason string           `json:"reason"`
}

func (s *Server) setWatch(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "watch.set", r.PathValue("id")); err != nil {
		return err
	}
	var req watchRequest
	if err := decodeJSON(r.Body, "request body", &req); err != nil {
		return err
	}
	if req.Level == "" || req.Level.Severity() < 0 {
		return bad(http.StatusBadRequest, "level %q: one of none, monitor, alert, detain", req.Level)
	}
	if req.Level != store.WatchNone && strings.TrimSpace(req.Reason) == "" {
		return bad(http.StatusBadRequest, "reason: setting watch level %s needs a reason", req.Level)
	}
	p, err := s.readablePerson(r, c, "watch.set")
	if err != nil {
		return err
	}
	wt := store.Watch{Level: req.Level, Reason: req.Reason, SetBy: c.ID, SetOrg: c.Org, SetAt: s.cfg.Now().UTC()}
	prev := *p
	p.Watch = wt
	if err := s.st.SetWatch(r.Context(), p.ID, wt, s.entry(c, "watch.set", p.ID, "ok: "+string(req.Level)), s.shared(federation.Change{Kind: federation.KindUpdate, Person: p, Previous: &prev})...); err != nil {
		return err
	}
	s.notifyPartners()
	writeJSON(w, http.StatusOK, map[string]any{"person_id": p.ID, "watch": wt})
	return nil
}

type familyRequest struct {
	RelativeID string `json:"relative_id"`
	Relation   string `json:"relation"`
	Note       string `json:"note"`
}

var relations = []string{"parent", "child", "sibling", "half-sibling", "spouse", "grandparent", "grandchild", "uncle-aunt", "nephew-niece", "cousin", "other"}

func (s *Server) addFamily(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "family.add", r.PathValue("id")); err != nil {
		return err
	}
	var req familyRequest
	if err := decodeJSON(r.Body, "request body", &req); err != nil {
		return err
	}
	if !slices.Contains(relations, req.Relation) {
		return bad(http.StatusBadRequest, "relation %q: one of %s", req.Relation, strings.Join(relations, ", "))
	}
	p, err := s.readablePerson(r, c, "family.add")
	if err != nil {
		return err
	}
	if req.RelativeID == p.ID {
		return bad(http.StatusBadRequest, "relative_id: a person cannot be their own relative")
	}
	// The same answer for a person that does not exist and one of another organisation, so
	// the call cannot be used to probe other organisations' IDs.
	if rel, err := s.st.Person(r.Context(), req.RelativeID); err != nil || rel.Org != c.Org {
		return bad(http.StatusBadRequest, "relative_id %q: no such person in organisation %s", req.RelativeID, c.Org)
	}
	l := &store.FamilyLink{PersonID: p.ID, RelativeID: req.RelativeID, Relation: req.Relation, Status: "claimed",
		Note: req.Note, Created: s.cfg.Now().UTC(), CreatedBy: c.ID}
	// A claim both persons' DNA can test is tested: confirmed, refuted or left claimed,
	// with the likelihood ratio (the smallest over the populations of the tables).
	if k, err := s.kinship(r.Context(), p.ID, req.RelativeID, req.Relation); err != nil {
		return err
	} else if k != nil {
		switch k.Verdict {
		case "supported":
			l.Status = "confirmed-dna"
		case "contradicted":
			l.Status = "refuted-dna"
		}
		dnaNote := fmt.Sprintf("DNA %s: LR %.3g (%s, %s), %d loci", k.Relationship, k.LR, k.Verbal, k.Population, len(k.Loci))
		if k.Inconsistent > 0 {
			dnaNote += fmt.Sprintf(", %d inconsistent", k.Inconsistent)
		}
		l.Note = strings.TrimSpace(l.Note + "\n" + dnaNote)
	}
	if err := s.st.AddFamilyLink(r.Context(), l, s.entry(c, "family.add", p.ID, "ok: "+req.Relation+" "+req.RelativeID)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

// searchPersons is the biographic search, GET /v1/persons?name=…; only the caller's
// organisation's records are searched.
func (s *Server) searchPersons(w http.ResponseWriter, r *http.Request, c *caller) error {
	q := r.URL.Query()
	query := store.PersonQuery{Name: q.Get("name"), DateOfBirth: q.Get("date_of_birth"), Nationality: strings.ToUpper(q.Get("nationality")),
		Category: q.Get("category"), Org: c.Org}
	desc := fmt.Sprintf("name=%q dob=%q nationality=%q category=%q", query.Name, query.DateOfBirth, query.Nationality, query.Category)
	if err := s.require(r, c, "person.search", desc); err != nil {
		return err
	}
	if query.Name == "" && query.DateOfBirth == "" && query.Nationality == "" && query.Category == "" {
		return bad(http.StatusBadRequest, "search: give at least one of name, date_of_birth, nationality, category")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return bad(http.StatusBadRequest, "limit %q: a number from 1 to 1000", l)
		}
		query.Limit = n
	}
	ps, err := s.st.SearchPersons(r.Context(), query)
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), c, "person.search", desc, fmt.Sprintf("ok: %d results", len(ps))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"persons": nonNil(ps)})
	return nil
}

type timelineEvent struct {
	Time      time.Time        `json:"time"`
	Kind      string           `json:"kind"` // enrolled, sample, encounter, watch
	Encounter *store.Encounter `json:"encounter,omitempty"`
	Detail    string           `json:"detail,omitempty"`
}

// timeline lists what is known of a person over time: enrolment, later samples, every
// encounter and the current watch status, oldest first.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.readablePerson(r, c, "person.timeline")
	if err != nil {
		return err
	}
	events := []timelineEvent{{Time: p.Created, Kind: "enrolled", Detail: p.Category}}
	samples, err := s.st.Samples(r.Context(), p.ID)
	if err != nil {
		return err
	}
	for _, sm := range samples {
		events = append(events, timelineEvent{Time: sm.Captured, Kind: "sample", Detail: fmt.Sprintf("%s %d (quality %d)", sm.Modality, sm.Position, sm.Quality)})
	}
	encs, err := s.st.Encounters(r.Context(), p.ID)
	if err != nil {
		return err
	}
	for i := range encs {
		events = append(events, timelineEvent{Time: encs[i].Time, Kind: "encounter", Encounter: &encs[i]})
	}
	if !p.Watch.SetAt.IsZero() {
		events = append(events, timelineEvent{Time: p.Watch.SetAt, Kind: "watch", Detail: string(p.Watch.Level) + ": " + p.Watch.Reason})
	}
	slices.SortStableFunc(events, func(a, b timelineEvent) int { return a.Time.Compare(b.Time) })
	writeJSON(w, http.StatusOK, map[string]any{"person_id": p.ID, "events": events})
	return nil
}
