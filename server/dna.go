package server

// DNA on the node (package dna): STR profiles as samples, a database searched at
// identification and encounters with scores on the calibrated scale, and kinship tests of
// claimed family links.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/biomesh/biomesh/dna"
	"github.com/biomesh/biomesh/store"
)

// dnaGallery is the node's DNA database: profiles keyed by sample ID, with their persons.
type dnaGallery struct {
	db     *dna.Database
	mu     sync.RWMutex
	person map[string]string // sample ID → person ID
}

func newDNAGallery() *dnaGallery {
	return &dnaGallery{db: dna.NewDatabase(), person: map[string]string{}}
}

func (g *dnaGallery) put(personID string, sampleID int64, p *dna.Profile) error {
	id := strconv.FormatInt(sampleID, 10)
	q := *p
	q.ID = id
	if err := g.db.Add(&q); err != nil {
		return err
	}
	g.mu.Lock()
	g.person[id] = personID
	g.mu.Unlock()
	return nil
}

// removePerson drops every profile of a person.
func (g *dnaGallery) removePerson(personID string) {
	g.mu.Lock()
	var ids []string
	for id, p := range g.person {
		if p == personID {
			ids = append(ids, id)
			delete(g.person, id)
		}
	}
	g.mu.Unlock()
	for _, id := range ids {
		g.db.Remove(id)
	}
}

func (g *dnaGallery) personOf(sampleID string) string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.person[sampleID]
}

// load fills the database from the store.
func (g *dnaGallery) load(ctx context.Context, st store.Store) error {
	return st.EachTemplate(ctx, store.DNA, func(s store.Sample) error {
		var p dna.Profile
		if err := p.UnmarshalBinary(s.Template); err != nil {
			return fmt.Errorf("DNA sample %d of person %s: %w", s.ID, s.PersonID, err)
		}
		return g.put(s.PersonID, s.ID, &p)
	})
}

// add puts a person's new DNA samples into the database.
func (g *dnaGallery) add(personID string, samples []*sample) {
	for _, s := range samples {
		if s.profile != nil && s.rec.ID != 0 {
			g.put(personID, s.rec.ID, s.profile)
		}
	}
}

// decodeDNA reads the profile of a DNA sample: the JSON form of package dna, one profile.
func decodeDNA(name string, in *sampleIn) (*dna.Profile, string, error) {
	// The sample's ID is the node's: a profile sent without an "id" gets a placeholder.
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(in.Profile, &obj); err != nil {
		return nil, "", bad(http.StatusBadRequest, "%s.profile: a JSON object with \"loci\" is expected: %v", name, err)
	}
	if _, ok := obj["id"]; !ok {
		obj["id"] = json.RawMessage(`"sample"`)
	}
	data, _ := json.Marshal(obj)
	ps, err := dna.ReadProfilesJSON(bytes.NewReader(data), name+".profile")
	if err != nil {
		return nil, "", bad(http.StatusUnprocessableEntity, "%v", err)
	}
	if len(ps) != 1 {
		return nil, "", bad(http.StatusUnprocessableEntity, "%s.profile: %d profiles; a sample holds one", name, len(ps))
	}
	p := ps[0]
	if err := p.Validate(); err != nil {
		return nil, "", bad(http.StatusUnprocessableEntity, "%s.profile: %v", name, err)
	}
	if p.Counted() < dnaMinLoci {
		return nil, "", bad(http.StatusUnprocessableEntity, "%s.profile: %d typed loci; at least %d are needed to search", name, p.Counted(), dnaMinLoci)
	}
	return p.Profile, p.Population, nil
}

// dnaMinLoci is the fewest typed loci a DNA sample needs: the Prüm rule's six.
const dnaMinLoci = 6

// searchDNA searches the DNA samples among samples: for each person matched, the sum of
// the calibrated scores of their best match per probe, and the number of DNA probes that
// took part. Without frequency tables DNA cannot be scored, and is not searched.
func (s *Server) searchDNA(samples []*sample) (map[string]float64, int) {
	var probes []*dna.Profile
	for _, sm := range samples {
		if sm.profile != nil {
			probes = append(probes, sm.profile)
		}
	}
	if len(probes) == 0 || len(s.cfg.DNATables) == 0 {
		return nil, 0
	}
	out := map[string]float64{}
	for _, q := range probes {
		opt := dna.DefaultSearchOptions()
		opt.MinLoci = min(opt.MinLoci, max(dnaMinLoci, q.Counted()))
		if q.Mixture {
			opt.Stringency = dna.Moderate
		}
		res, err := s.dna.db.Search(q, opt)
		if err != nil {
			continue
		}
		best := map[string]float64{}
		for _, m := range res.Matches {
			person := s.dna.personOf(m.ID)
			if person == "" {
				continue
			}
			score, _, err := dna.MatchScore(q, m, s.cfg.DNATables, dna.DefaultStatOptions())
			if err != nil {
				continue
			}
			best[person] = max(best[person], score)
		}
		for p, sc := range best {
			out[p] += sc
		}
	}
	return out, len(probes)
}

// dnaRelationship maps a family link's relation onto the kinship hypothesis tested, or
// false for relations DNA says nothing about.
func dnaRelationship(relation string) (dna.Relationship, bool) {
	switch relation {
	case "parent", "child":
		return dna.ParentChild, true
	case "sibling":
		return dna.FullSiblings, true
	case "half-sibling":
		return dna.HalfSiblings, true
	case "grandparent", "grandchild":
		return dna.Grandparent, true
	case "uncle-aunt", "nephew-niece":
		return dna.Avuncular, true
	case "cousin":
		return dna.FirstCousins, true
	}
	return dna.Relationship{}, false
}

// kinship tests a claimed relation between two persons with their DNA profiles. It
// returns nil when either has no profile, the relation is not one DNA tests, or the node
// has no frequency tables.
func (s *Server) kinship(ctx context.Context, a, b, relation string) (*dna.KinshipResult, error) {
	rel, ok := dnaRelationship(relation)
	if !ok || len(s.cfg.DNATables) == 0 {
		return nil, nil
	}
	pa, err := s.profileOf(ctx, a)
	if err != nil || pa == nil {
		return nil, err
	}
	pb, err := s.profileOf(ctx, b)
	if err != nil || pb == nil {
		return nil, err
	}
	_, res, err := dna.KinshipMin(pa, pb, rel, s.cfg.DNATables, dna.DefaultKinshipOptions())
	if err != nil {
		return nil, err
	}
	return res, nil
}

// profileOf returns a person's autosomal profile with the most typed loci, or nil.
func (s *Server) profileOf(ctx context.Context, person string) (*dna.Profile, error) {
	ss, err := s.st.Samples(ctx, person)
	if err != nil {
		return nil, err
	}
	var best *dna.Profile
	for _, sm := range ss {
		if sm.Modality != store.DNA {
			continue
		}
		var p dna.Profile
		if p.UnmarshalBinary(sm.Template) != nil || p.Kind != dna.Autosomal || p.Mixture {
			continue
		}
		if best == nil || p.Counted() > best.Counted() {
			best = &p
		}
	}
	return best, nil
}

type familialRequest struct {
	Profile      json.RawMessage `json:"profile"`
	Relationship string          `json:"relationship"` // parent-child, full-siblings, half-siblings, grandparent, avuncular, first-cousins
	Limit        int             `json:"limit"`        // default 20, at most 100
}

type familialCandidate struct {
	PersonID   string        `json:"person_id"`
	KI         float64       `json:"ki"`
	Log10KI    float64       `json:"log10_ki"`
	Population string        `json:"population"`
	Compared   int           `json:"compared"`
	Above      bool          `json:"above_threshold"`
	Person     *store.Person `json:"person,omitempty"`
}

// familialSearch is POST /v1/dna/familial: the node's DNA profiles ranked by kinship index
// against a query profile for a relationship (a lead for a relative not in the database
// himself). Only the caller's organisation's persons are listed.
func (s *Server) familialSearch(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "dna.familial", ""); err != nil {
		return err
	}
	var req familialRequest
	if err := decodeJSON(r.Body, "request body", &req); err != nil {
		return err
	}
	rel, err := dna.ParseRelationship(req.Relationship)
	if err != nil {
		return bad(http.StatusBadRequest, "relationship %q: parent-child, full-siblings, half-siblings, grandparent, avuncular or first-cousins", req.Relationship)
	}
	if req.Limit < 0 || req.Limit > 100 {
		return bad(http.StatusBadRequest, "limit %d: 1–100 (0 for 20)", req.Limit)
	}
	if req.Limit == 0 {
		req.Limit = 20
	}
	if len(req.Profile) == 0 {
		return bad(http.StatusBadRequest, "profile: the query's STR profile is missing")
	}
	q, _, err := decodeDNA("profile", &sampleIn{Profile: req.Profile})
	if err != nil {
		return err
	}
	if len(s.cfg.DNATables) == 0 {
		return bad(http.StatusUnprocessableEntity, "familial search needs allele frequency tables (serve --dna-frequencies)")
	}
	// Ask for more than the limit: candidates of other organisations are not listed.
	res, err := s.dna.db.Familial(q, s.cfg.DNATables, dna.FamilialOptions{Relationship: rel, Kinship: dna.DefaultKinshipOptions(), Limit: 5 * req.Limit})
	if err != nil {
		return bad(http.StatusUnprocessableEntity, "familial search: %v", err)
	}
	// The query's own profile (a direct match) is not a relative of it.
	direct := map[string]bool{}
	if dm, err := s.dna.db.Search(q, dna.DefaultSearchOptions()); err == nil {
		for _, m := range dm.Matches {
			if m.Kind == dna.FullMatch {
				direct[m.ID] = true
			}
		}
	}
	warnings := nonNil(res.Warnings)
	if len(direct) > 0 {
		warnings = append(warnings, fmt.Sprintf("%d direct match(es) of the query itself left out", len(direct)))
	}
	out := []familialCandidate{}
	seen := map[string]bool{}
	for _, fc := range res.Candidates {
		pid := s.dna.personOf(fc.ID)
		if pid == "" || seen[pid] || direct[fc.ID] {
			continue
		}
		p, err := s.st.Person(r.Context(), pid)
		if err != nil || p.Org != c.Org {
			continue
		}
		seen[pid] = true
		out = append(out, familialCandidate{PersonID: pid, KI: fc.KI, Log10KI: fc.Log10KI, Population: fc.Population,
			Compared: fc.Compared, Above: fc.Above, Person: p})
		if len(out) == req.Limit {
			break
		}
	}
	result := fmt.Sprintf("ok: %s, %d listed, %d above threshold", rel.Name, len(out), res.Above)
	if err := s.audit(r.Context(), c, "dna.familial", "", result); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"relationship": res.Relationship, "threshold": res.Threshold,
		"searched": res.Searched, "candidates": out, "warnings": warnings})
	return nil
}
