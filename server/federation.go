package server

// The node's side of federation (package federation): what it tells partners after every
// committed change, how it answers their hit/no-hit queries, the gallery of records partners
// shared with it (searched at encounters, so that a border post is told about a person on a
// partner's watch list), and the API for queries and follow-up requests.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/store"
)

// receivedState is what the node needs of the federation state beyond federation.State:
// the copies it holds, to load their gallery at start.
type receivedState interface {
	federation.State
	EachReceived(ctx context.Context, fn func(federation.Received) error) error
}

// partnerRecords is the gallery of partners' records (by reference number
// "<origin>/<person ID>") with their watch levels.
type partnerRecords struct {
	g     *fingerGallery
	mu    sync.RWMutex
	watch map[string]store.WatchLevel
}

func newPartnerRecords() *partnerRecords {
	return &partnerRecords{g: newFingerGallery(), watch: map[string]store.WatchLevel{}}
}

// put replaces the copy of ref with its finger templates and watch level.
func (p *partnerRecords) put(ref string, watch store.WatchLevel, samples []federation.SharedSample) {
	var fs []gallery.Sample[*match.Candidate]
	for _, sm := range samples {
		if sm.Modality != store.Finger || len(sm.Template) == 0 {
			continue
		}
		var t fingerprint.Template
		if t.UnmarshalBinary(sm.Template) != nil {
			continue // a template this engine cannot read is not searchable, not fatal
		}
		fs = append(fs, gallery.Sample[*match.Candidate]{Position: sm.Position, Template: match.NewCandidate(&t)})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(fs) == 0 {
		p.g.g.Remove(ref)
		delete(p.watch, ref)
		return
	}
	p.g.g.Put(ref, fs)
	p.watch[ref] = watch
}

func (p *partnerRecords) remove(ref string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.g.g.Remove(ref)
	delete(p.watch, ref)
}

func (p *partnerRecords) watchOf(ref string) store.WatchLevel {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.watch[ref]
}

// SetFederation connects the node to its federation node: from then on every committed
// change is offered to partners, and partners' records are searched at encounters. It
// loads the partners' records the state holds.
func (s *Server) SetFederation(ctx context.Context, n *federation.Node, st federation.State) error {
	if !n.HasOutbox() {
		// The node would write messages for partners that nothing publishes.
		return errors.New("federation node without the store's outbox (federation.Options.Outbox)")
	}
	s.fed, s.fedState = n, st
	if rs, ok := st.(receivedState); ok {
		err := rs.EachReceived(ctx, func(r federation.Received) error {
			s.partners.put(r.Ref, r.Watch, r.Samples)
			return nil
		})
		if err != nil {
			return fmt.Errorf("loading partners' records: %w", err)
		}
	}
	subjects, samples := s.partners.g.g.Len()
	s.cfg.Logger.Info("partners' records loaded", "records", subjects, "fingers", samples)
	return nil
}

// OnFederationEvent is federation.Options.OnEvent: it keeps the gallery of partners'
// records in step with the copies, and raises an alert for a partner's encounter with a
// person it watches at level alert or detain.
func (s *Server) OnFederationEvent(_ context.Context, ev *federation.Event) {
	switch ev.Kind {
	case federation.KindEnrol, federation.KindUpdate:
		s.partners.put(ev.Ref, ev.Watch, ev.Samples)
	case federation.KindFollowUp:
		if ev.FollowUp != nil && len(ev.Samples) > 0 {
			s.partners.put(ev.Ref, ev.Watch, ev.Samples)
		}
	case federation.KindDelete, federation.KindWithdraw:
		s.partners.remove(ev.Ref)
	case federation.KindEncounter:
		if ev.Watch.Severity() >= store.WatchAlert.Severity() && ev.Encounter != nil {
			a := alert{Time: ev.Time, EncounterID: ev.ID, PersonID: ev.Ref, Owner: ev.Origin, Watch: ev.Watch,
				Place: ev.Encounter.Place, Lat: ev.Encounter.Lat, Lon: ev.Encounter.Lon, Unit: ev.Encounter.Unit, Org: ev.Origin}
			if ev.Person != nil {
				a.Name, a.Reason = ev.Person.Name, ev.Person.WatchReason
			}
			s.alerts.publish(a)
		}
	}
}

// shared returns the outbox messages that share changes with the partners (none without
// federation), for the store to write in the transaction of the changes: a change that
// commits is shared even if the node stops at once, and one that fails is not. After the
// commit, notifyPartners sends them on their way.
func (s *Server) shared(chs ...federation.Change) []store.OutboxMessage {
	if s.fed == nil {
		return nil
	}
	var out []store.OutboxMessage
	for _, ch := range chs {
		m, err := s.fed.Message(ch)
		if err != nil { // a change the node never makes (no person): a bug, not a request's fault
			s.cfg.Logger.Error("federation: outbox message", "kind", ch.Kind, "err", err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// notifyPartners tells the federation node that committed changes wait in the outbox.
func (s *Server) notifyPartners() {
	if s.fed != nil {
		s.fed.Notify()
	}
}

// SearchProbes is federation.Searcher: a partner's hit/no-hit query against the node's
// own records. The probes live only for the search ("search and forget").
func (s *Server) SearchProbes(ctx context.Context, probes []federation.Probe) (*store.Person, error) {
	var samples []*sample
	for i, p := range probes {
		if p.Modality != store.Finger {
			continue
		}
		t, err := decodeFingerTemplate(p.Template)
		if err != nil {
			return nil, fmt.Errorf("probe %d: %w", i, err)
		}
		t.Position = p.Position
		samples = append(samples, &sample{finger: t, rec: store.Sample{Modality: store.Finger, Position: p.Position}})
	}
	if len(samples) == 0 {
		return nil, errors.New("no finger probe: only fingers are searched for partners")
	}
	subjects, _ := s.fingers.g.Len()
	cands, k, err := s.search(samples, 5)
	if err != nil {
		return nil, err
	}
	thr := s.identifyThreshold(k, subjects)
	var best *store.Person
	for _, c := range cands {
		if c.Score < thr {
			break
		}
		p, err := s.st.Person(ctx, c.PersonID)
		if err != nil {
			continue
		}
		if best == nil || p.Watch.Level.Severity() > best.Watch.Level.Severity() {
			best = p
		}
	}
	return best, nil
}

// searchPartners searches the partners' records: the best reference at or above the
// identification threshold (the most wanted of several), with its score.
func (s *Server) searchPartners(samples []*sample, localSubjects int) (ref string, score float64, watch store.WatchLevel) {
	probes := fingerProbes(samples)
	subjects, _ := s.partners.g.g.Len()
	if len(probes) == 0 || subjects == 0 {
		return "", 0, ""
	}
	found, err := s.partners.g.g.Search(probes, 5)
	if err != nil {
		return "", 0, ""
	}
	thr := s.identifyThreshold(len(probes), localSubjects+subjects)
	for _, c := range found {
		if c.Score < thr {
			break
		}
		w := s.partners.watchOf(c.Subject)
		if ref == "" || w.Severity() > watch.Severity() {
			ref, score, watch = c.Subject, c.Score, w
		}
	}
	return ref, score, watch
}

// fedCaller is the caller as the federation package names it.
func fedCaller(c *caller) federation.Caller {
	return federation.Caller{User: c.ID, Org: c.Org, Role: c.Role}
}

func (s *Server) needFederation() error {
	if s.fed == nil {
		return bad(http.StatusNotFound, "this node has no partners (serve --federation)")
	}
	return nil
}

type partnerQueryRequest struct {
	Purpose string     `json:"purpose"`
	Samples []sampleIn `json:"samples"`
}

// queryPartner is POST /v1/partners/{partner}/query: a hit/no-hit query to a partner with
// the probe's templates only (never names), for a purpose their agreement allows.
func (s *Server) queryPartner(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "partner.query", ""); err != nil {
		return err
	}
	var req partnerQueryRequest
	samples, err := s.readProbe(r, &req, &req.Samples, func() error {
		if strings.TrimSpace(req.Purpose) == "" {
			return bad(http.StatusBadRequest, "purpose: a query needs the purpose its sharing agreement names")
		}
		return s.needFederation()
	})
	if err != nil {
		return err
	}
	var probes []federation.Probe
	for _, sm := range samples {
		if sm.finger != nil {
			probes = append(probes, federation.Probe{Modality: store.Finger, Position: sm.rec.Position, Template: sm.rec.Template})
		}
	}
	if len(probes) == 0 {
		return bad(http.StatusUnprocessableEntity, "samples: no finger sample; partners are queried with fingers")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	ans, err := s.fed.Query(ctx, r.PathValue("partner"), req.Purpose, probes, fedCaller(c))
	switch {
	case errors.Is(err, federation.ErrRateLimited):
		w.Header().Set("Retry-After", "1")
		return bad(http.StatusTooManyRequests, "%v", err)
	case errors.Is(err, federation.ErrDenied):
		return bad(http.StatusForbidden, "%v", err)
	case err != nil && strings.Contains(err.Error(), "not a partner"):
		return bad(http.StatusNotFound, "%v", err)
	case err != nil:
		return bad(http.StatusBadGateway, "%v", err)
	}
	resp := map[string]any{"partner": r.PathValue("partner"), "hit": ans.Hit}
	if ans.Hit {
		resp["ref"], resp["watch"] = ans.Ref, ans.Watch
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type followUpRequest struct {
	Ref     string `json:"ref"`
	Purpose string `json:"purpose"`
	Reason  string `json:"reason"`
}

// requestFollowUp is POST /v1/followups: ask the owner of a reference for the full record.
func (s *Server) requestFollowUp(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "followup.request", ""); err != nil {
		return err
	}
	var req followUpRequest
	if err := decodeJSON(r.Body, "request body", &req); err != nil {
		return err
	}
	if err := s.needFederation(); err != nil {
		return err
	}
	if req.Ref == "" || req.Purpose == "" || strings.TrimSpace(req.Reason) == "" {
		return bad(http.StatusBadRequest, "ref, purpose and reason are all needed")
	}
	f, err := s.fed.RequestFollowUp(r.Context(), req.Ref, req.Purpose, req.Reason, fedCaller(c))
	switch {
	case errors.Is(err, federation.ErrRateLimited):
		w.Header().Set("Retry-After", "1")
		return bad(http.StatusTooManyRequests, "%v", err)
	case errors.Is(err, federation.ErrDenied):
		return bad(http.StatusForbidden, "%v", err)
	case err != nil && strings.Contains(err.Error(), "not a partner"):
		return bad(http.StatusNotFound, "%v", err)
	case err != nil:
		return bad(http.StatusBadGateway, "%v", err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"follow_up": f})
	return nil
}

// listFollowUps is GET /v1/followups: requests made by this node and those partners made
// of it, oldest first.
func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "followup.list", ""); err != nil {
		return err
	}
	if err := s.needFederation(); err != nil {
		return err
	}
	fs, err := s.fed.FollowUps(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"follow_ups": nonNil(fs)})
	return nil
}

type decideRequest struct {
	Approve bool   `json:"approve"`
	Note    string `json:"note"`
}

// decideFollowUp is POST /v1/followups/{id}: an analyst of the owning organisation
// releases the record to the partner or refuses.
func (s *Server) decideFollowUp(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "followup.decide", r.PathValue("id")); err != nil {
		return err
	}
	var req decideRequest
	if err := decodeJSON(r.Body, "request body", &req); err != nil {
		return err
	}
	if err := s.needFederation(); err != nil {
		return err
	}
	f, err := s.fed.DecideFollowUp(r.Context(), r.PathValue("id"), fedCaller(c), req.Approve, req.Note)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return bad(http.StatusNotFound, "follow-up %s: not found", r.PathValue("id"))
	case errors.Is(err, federation.ErrForbidden):
		return bad(http.StatusForbidden, "follow-up %s: only an analyst of the organisation that owns the record decides", r.PathValue("id"))
	case errors.Is(err, federation.ErrNotPending):
		return bad(http.StatusConflict, "%v", err)
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"follow_up": f})
	return nil
}

// receivedRecord is GET /v1/received/{origin}/{id}: the copy this node holds of a
// partner's record, as its agreement let it travel.
func (s *Server) receivedRecord(w http.ResponseWriter, r *http.Request, c *caller) error {
	ref := r.PathValue("origin") + "/" + r.PathValue("id")
	if err := s.require(r, c, "received.read", ref); err != nil {
		return err
	}
	if err := s.needFederation(); err != nil {
		return err
	}
	rec, err := s.fedState.Received(r.Context(), ref)
	if errors.Is(err, store.ErrNotFound) {
		s.audit(r.Context(), c, "received.read", ref, "not found")
		return bad(http.StatusNotFound, "no record %s from a partner", ref)
	}
	if err != nil {
		return err
	}
	if err := s.audit(r.Context(), c, "received.read", ref, "ok"); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": rec})
	return nil
}
