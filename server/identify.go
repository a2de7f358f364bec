package server

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/store"
)

type identifyRequest struct {
	Samples    []sampleIn `json:"samples"`
	Candidates int        `json:"candidates"` // candidate-list length; default from the configuration, at most 100
}

type identifyResponse struct {
	Decision   string      `json:"decision"` // "hit" or "no-hit"
	Threshold  float64     `json:"threshold"`
	FPIR       float64     `json:"fpir"`
	Gallery    int         `json:"gallery_persons"`
	Candidates []candidate `json:"candidates"`
	Warnings   []string    `json:"warnings,omitempty"`
}

// identify is POST /v1/identify: a 1:N search with a candidate list and a decision at the
// configured FPIR.
func (s *Server) identify(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "identify", ""); err != nil {
		return err
	}
	var req identifyRequest
	samples, err := s.readProbe(r, &req, &req.Samples, func() error {
		if req.Candidates < 0 || req.Candidates > 100 {
			return bad(http.StatusBadRequest, "candidates %d: from 1 to 100 (0 for the default)", req.Candidates)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if req.Candidates == 0 {
		req.Candidates = s.cfg.Candidates
	}
	subjects, _ := s.fingers.g.Len()
	cands, k, err := s.search(samples, req.Candidates)
	if err != nil {
		return err
	}
	thr := s.identifyThreshold(k, subjects)
	resp := identifyResponse{Decision: "no-hit", Threshold: round2(thr), FPIR: s.cfg.FPIR, Gallery: subjects, Warnings: warnings(samples)}
	if len(cands) > 0 && cands[0].Score >= thr {
		resp.Decision = "hit"
	}
	resp.Candidates = nonNil(s.visible(r, c, cands))
	result := resp.Decision
	if resp.Decision == "hit" {
		result += " " + cands[0].PersonID
	}
	if err := s.audit(r.Context(), c, "identify", "", result); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type verifyRequest struct {
	PersonID string     `json:"person_id"`
	Samples  []sampleIn `json:"samples"`
}

type verifyResponse struct {
	PersonID  string    `json:"person_id"`
	Match     bool      `json:"match"`
	Score     float64   `json:"score"`
	Threshold float64   `json:"threshold"`
	FMR       float64   `json:"fmr"`
	Fingers   []float64 `json:"finger_scores,omitempty"`
}

// verify is POST /v1/verify: the probe against the claimed person's enrolled samples only.
func (s *Server) verify(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "verify", ""); err != nil {
		return err
	}
	var req verifyRequest
	samples, err := s.readProbe(r, &req, &req.Samples, func() error {
		if req.PersonID == "" {
			return bad(http.StatusBadRequest, "person_id: the claimed identity is missing")
		}
		return nil
	})
	if err != nil {
		return err
	}
	enrolled, err := s.st.Samples(r.Context(), req.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		if _, derr := s.st.Deleted(r.Context(), req.PersonID); derr == nil {
			s.audit(r.Context(), c, "verify", req.PersonID, "gone: deleted")
			return bad(http.StatusGone, "person %s was deleted", req.PersonID)
		}
		s.audit(r.Context(), c, "verify", req.PersonID, "not found")
		return bad(http.StatusNotFound, "person %s: not found", req.PersonID)
	}
	if err != nil {
		return err
	}
	g := gallery.New[*match.Candidate]()
	var gs []gallery.Sample[*match.Candidate]
	for _, e := range enrolled {
		if e.Modality != store.Finger {
			continue
		}
		sm, err := decodeStoredFinger(e)
		if err != nil {
			return err
		}
		gs = append(gs, sm)
	}
	probes := fingerProbes(samples)
	if len(probes) == 0 {
		return bad(http.StatusUnprocessableEntity, "samples: no finger sample; only fingers can be verified on this node")
	}
	resp := verifyResponse{PersonID: req.PersonID, FMR: s.cfg.FMR, Threshold: round2(s.verifyThreshold(len(probes)))}
	if len(gs) > 0 {
		g.Put(req.PersonID, gs)
		found, err := g.Search(probes, 1)
		if err != nil {
			return err
		}
		if len(found) > 0 {
			resp.Score, resp.Fingers = round2(found[0].Score), roundAll(found[0].Scores)
		}
	}
	resp.Match = resp.Score >= resp.Threshold
	if err := s.audit(r.Context(), c, "verify", req.PersonID, fmt.Sprintf("match=%t score=%.1f", resp.Match, resp.Score)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type encounterRequest struct {
	Samples []sampleIn `json:"samples"`
	Time    time.Time  `json:"time"`
	Place   string     `json:"place"`
	Lat     *float64   `json:"lat"`
	Lon     *float64   `json:"lon"`
	Unit    string     `json:"unit"`
	Device  string     `json:"device"`
	Purpose string     `json:"purpose"`
	Outcome string     `json:"outcome"`
}

type encounterResponse struct {
	EncounterID string           `json:"encounter_id"`
	Hit         bool             `json:"hit"`
	Watch       store.WatchLevel `json:"watch"`               // none when no hit
	Action      string           `json:"action"`              // what the unit should do: green / yellow / red
	PersonID    string           `json:"person_id,omitempty"` // not for screeners
	Score       float64          `json:"score,omitempty"`     // not for screeners
	Person      *store.Person    `json:"person,omitempty"`    // analysts and admins of the owning organisation
	Threshold   float64          `json:"threshold,omitempty"` // not for screeners
	// PartnerRef is the reference of a partner's record the probe matched, when that
	// record is more wanted than any of this node's (not for screeners).
	PartnerRef string   `json:"partner_ref,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

// encounter is POST /v1/encounters, what a hand-held sends: identify and log in one call.
// The answer is hit/no-hit with the watch level (and red / yellow / green for the unit);
// person ID and score for roles that may see IDs, the record for those who may read it.
// An encounter with a person at watch level alert or detain is pushed to the alert stream.
func (s *Server) encounter(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "encounter", ""); err != nil {
		return err
	}
	var req encounterRequest
	samples, err := s.readProbe(r, &req, &req.Samples, func() error {
		if err := checkPlace(req.Lat, req.Lon); err != nil {
			return err
		}
		if len(req.Place) > 500 || len(req.Unit) > 200 || len(req.Device) > 200 || len(req.Purpose) > 200 || len(req.Outcome) > 200 {
			return bad(http.StatusBadRequest, "place, unit, device, purpose or outcome: too long")
		}
		return nil
	})
	if err != nil {
		return err
	}
	subjects, _ := s.fingers.g.Len()
	cands, k, err := s.search(samples, 5)
	if err != nil {
		return err
	}
	thr := s.identifyThreshold(k, subjects)
	now := s.cfg.Now().UTC()
	fillCaptured(samples, now)
	e := &store.Encounter{ID: newID("E"), Time: req.Time.UTC(), Place: req.Place, Lat: req.Lat, Lon: req.Lon, Org: c.Org, User: c.ID,
		Unit: req.Unit, Device: req.Device, Purpose: req.Purpose, Outcome: req.Outcome, Probes: records(samples)}
	if e.Time.IsZero() || e.Time.After(now.Add(time.Hour)) {
		e.Time = now
	}
	if e.Purpose == "" {
		e.Purpose = c.purpose
	}
	// Of the persons above the threshold (one person under two records, say, with an open
	// identity conflict), the unit is told about the one with the highest watch level, then
	// the best score: the answer must never be green or yellow because the less wanted of
	// two records matched slightly better.
	var person *store.Person
	for _, cd := range cands {
		if cd.Score < thr {
			break
		}
		p, err := s.st.Person(r.Context(), cd.PersonID)
		if err != nil {
			continue
		}
		if person == nil || p.Watch.Level.Severity() > person.Watch.Level.Severity() {
			person = p
			e.PersonID, e.Hit, e.Score, e.Watch = p.ID, true, round2(cd.Score), p.Watch.Level
		}
	}
	result := "no-hit"
	if e.Hit {
		result = fmt.Sprintf("hit %s watch %s", e.PersonID, e.Watch)
	}
	// Records partners shared with this node: a person a partner watches, seen here, is
	// reported when more wanted than any local match.
	pref, pscore, pwatch := s.searchPartners(samples, subjects)
	partnerHit := pref != "" && (!e.Hit || pwatch.Severity() > e.Watch.Severity())
	if partnerHit {
		result += fmt.Sprintf("; partner record %s watch %s", pref, pwatch)
	}
	var share []store.OutboxMessage
	if e.Hit {
		share = s.shared(federation.Change{ID: e.ID, Kind: federation.KindEncounter, Person: person, Encounter: e})
	}
	if err := s.st.AddEncounter(r.Context(), e, s.entry(c, "encounter", e.ID, result), share...); err != nil {
		return err
	}
	s.notifyPartners()
	resp := encounterResponse{EncounterID: e.ID, Hit: e.Hit, Watch: store.WatchNone, Action: "green", Warnings: warnings(samples)}
	if c.Role != store.RoleScreener {
		resp.Threshold = round2(thr)
	}
	if e.Hit {
		resp.Watch = e.Watch
		resp.Action = map[int]string{0: "yellow", 1: "yellow", 2: "red", 3: "red"}[e.Watch.Severity()]
		if c.Role != store.RoleScreener {
			resp.PersonID, resp.Score = e.PersonID, e.Score
			if c.seesRecords(person.Org) {
				resp.Person = person
			}
		}
		if e.Watch.Severity() >= store.WatchAlert.Severity() && !partnerHit {
			s.alerts.publish(alert{Time: now, EncounterID: e.ID, PersonID: person.ID, Owner: person.Org, Watch: e.Watch,
				Reason: person.Watch.Reason, Name: person.Name, Place: e.Place, Lat: e.Lat, Lon: e.Lon, Unit: e.Unit, Org: e.Org, Score: e.Score})
		}
	}
	if partnerHit {
		origin, _, _ := strings.Cut(pref, "/")
		resp.Hit, resp.Watch = true, pwatch
		resp.Action = map[int]string{0: "yellow", 1: "yellow", 2: "red", 3: "red"}[pwatch.Severity()]
		if c.Role != store.RoleScreener {
			// A weaker local match keeps its ID and record in the answer; the watch level
			// and the action are the partner's.
			resp.PartnerRef = pref
			if !e.Hit {
				resp.Score = round2(pscore)
			}
		}
		if pwatch.Severity() >= store.WatchAlert.Severity() {
			s.alerts.publish(alert{Time: now, EncounterID: e.ID, PersonID: pref, Owner: origin, Watch: pwatch,
				Place: e.Place, Lat: e.Lat, Lon: e.Lon, Unit: e.Unit, Org: e.Org, Score: round2(pscore)})
		}
	}
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

// readProbe decodes a search request into req, runs check on it, and turns its samples
// (*in, part of req) into probe templates: the steps identify, verify and encounters share.
// check runs before any image is decoded, so bad requests cost no extraction.
func (s *Server) readProbe(r *http.Request, req any, in *[]sampleIn, check func() error) ([]*sample, error) {
	if err := decodeRequest(r, req); err != nil {
		return nil, err
	}
	if err := check(); err != nil {
		return nil, err
	}
	if err := resolveParts(r, *in); err != nil {
		return nil, err
	}
	return s.decodeSamples(r.Context(), *in, false)
}

func checkPlace(lat, lon *float64) error {
	if (lat == nil) != (lon == nil) {
		return bad(http.StatusBadRequest, "lat and lon: give both or neither")
	}
	if lat != nil && (math.IsNaN(*lat) || *lat < -90 || *lat > 90) {
		return bad(http.StatusBadRequest, "lat %v: must be within -90..90", *lat)
	}
	if lon != nil && (math.IsNaN(*lon) || *lon < -180 || *lon > 180) {
		return bad(http.StatusBadRequest, "lon %v: must be within -180..180", *lon)
	}
	return nil
}

func decodeStoredFinger(e store.Sample) (gallery.Sample[*match.Candidate], error) {
	t, err := decodeFingerTemplate(e.Template)
	if err != nil {
		return gallery.Sample[*match.Candidate]{}, fmt.Errorf("stored sample %d of person %s: %w", e.ID, e.PersonID, err)
	}
	return gallery.Sample[*match.Candidate]{Position: e.Position, Template: match.NewCandidate(t)}, nil
}
