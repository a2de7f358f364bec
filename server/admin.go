package server

import (
	"context"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/dna"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/store"
)

func (s *Server) listConflicts(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "conflict.list", ""); err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status != "" && !slices.Contains([]string{store.ConflictOpen, store.ConflictSame, store.ConflictDifferent}, status) {
		return bad(http.StatusBadRequest, "status %q: one of open, same-person, different-persons", status)
	}
	all, err := s.st.Conflicts(r.Context(), status, r.URL.Query().Get("person_id"))
	if err != nil {
		return err
	}
	// Only conflicts that touch a record of the caller's organisation are shown.
	var out []store.Conflict
	for _, cf := range all {
		if s.ownsEither(r, c, cf) {
			out = append(out, cf)
		}
	}
	if err := s.audit(r.Context(), c, "conflict.list", status, fmt.Sprintf("ok: %d", len(out))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conflicts": nonNil(out)})
	return nil
}

func (s *Server) ownsEither(r *http.Request, c *caller, cf store.Conflict) bool {
	for _, id := range []string{cf.PersonID, cf.OtherID} {
		if p, err := s.st.Person(r.Context(), id); err == nil && p.Org == c.Org {
			return true
		}
	}
	return false
}

type resolveRequest struct {
	ConflictID string `json:"conflict_id"`
	Resolution string `json:"resolution"` // same-person or different-persons
	Note       string `json:"note"`
	// Merge (same-person only; default true) joins the two records into one, which keeps
	// both records' samples, encounters, links and names. Records of two organisations
	// are never merged: the conflict is resolved and both stay.
	Merge *bool `json:"merge"`
	// Keep names the record that stays in a merge; by default the older one (other_id,
	// the record the new enrolment matched).
	Keep string `json:"keep"`
}

type resolveResponse struct {
	Conflict *store.Conflict `json:"conflict"`
	Merge    *store.Merge    `json:"merge,omitempty"`  // when the records were merged
	Person   *store.Person   `json:"person,omitempty"` // the record that stays, as merged
}

// resolveConflict is POST /v1/conflicts: an analyst decides whether the two records are
// one person (false documents, or a re-enrolment under another name) or two. One person
// in one organisation's records is merged into one record, unless merge is false.
func (s *Server) resolveConflict(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "conflict.decide", ""); err != nil {
		return err
	}
	var req resolveRequest
	if err := decodeJSON(r.Body, "request body", &req); err != nil {
		return err
	}
	if req.Resolution != store.ConflictSame && req.Resolution != store.ConflictDifferent {
		return bad(http.StatusBadRequest, "resolution %q: same-person or different-persons", req.Resolution)
	}
	if req.Resolution == store.ConflictDifferent && (req.Keep != "" || (req.Merge != nil && *req.Merge)) {
		return bad(http.StatusBadRequest, "keep and merge: only for resolution same-person")
	}
	cf, err := s.st.Conflict(r.Context(), req.ConflictID)
	if err != nil {
		return bad(http.StatusNotFound, "conflict %q: not found", req.ConflictID)
	}
	if !s.ownsEither(r, c, *cf) {
		return bad(http.StatusForbidden, "conflict %s concerns no record of organisation %s", cf.ID, c.Org)
	}
	if cf.Status != store.ConflictOpen {
		return bad(http.StatusConflict, "conflict %s was already resolved as %s by %s", cf.ID, cf.Status, cf.ResolvedBy)
	}
	now := s.cfg.Now().UTC()
	if req.Resolution == store.ConflictSame && (req.Merge == nil || *req.Merge) {
		keep, gone := cf.OtherID, cf.PersonID
		switch req.Keep {
		case "", cf.OtherID:
		case cf.PersonID:
			keep, gone = cf.PersonID, cf.OtherID
		default:
			return bad(http.StatusBadRequest, "keep %q: must be %s or %s, the two records of conflict %s", req.Keep, cf.OtherID, cf.PersonID, cf.ID)
		}
		return s.mergeConflict(w, r, c, cf, keep, gone, req.Note, req.Merge != nil, now)
	}
	cf.Status, cf.Note, cf.ResolvedBy, cf.ResolvedAt = req.Resolution, req.Note, c.ID, now
	if err := s.st.ResolveConflict(r.Context(), cf, s.entry(c, "conflict.resolve", cf.ID, req.Resolution)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resolveResponse{Conflict: cf})
	return nil
}

// mergeConflict resolves cf as the same person by merging record gone into keep. When the
// two are not both the caller's organisation's, an explicit merge is refused and a default
// one becomes a plain resolution.
func (s *Server) mergeConflict(w http.ResponseWriter, r *http.Request, c *caller, cf *store.Conflict, keep, gone, note string, explicit bool, now time.Time) error {
	kp, err := s.st.Person(r.Context(), keep)
	if err != nil {
		return err
	}
	gp, err := s.st.Person(r.Context(), gone)
	if err != nil {
		return err
	}
	if kp.Org != c.Org || gp.Org != c.Org {
		if explicit {
			return bad(http.StatusConflict, "conflict %s: records %s (organisation %s) and %s (organisation %s) are not both of %s and are not merged; resolve with merge false",
				cf.ID, kp.ID, kp.Org, gp.ID, gp.Org, c.Org)
		}
		cf.Status, cf.Note, cf.ResolvedBy, cf.ResolvedAt = store.ConflictSame, note, c.ID, now
		if err := s.st.ResolveConflict(r.Context(), cf, s.entry(c, "conflict.resolve", cf.ID, store.ConflictSame+" (records of two organisations: not merged)")); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, resolveResponse{Conflict: cf})
		return nil
	}
	// No enrolment may search while the gallery holds the records half moved.
	s.enrolMu.Lock()
	defer s.enrolMu.Unlock()
	m := store.Merge{Keep: keep, Gone: gone, ConflictID: cf.ID, By: c.ID, At: now, Note: note}
	p, err := s.st.MergePersons(r.Context(), m, s.entry(c, "conflict.resolve", cf.ID, fmt.Sprintf("%s: merged %s into %s", store.ConflictSame, gone, keep)),
		s.shared(federation.Change{Kind: federation.KindDelete, Person: gp}, federation.Change{Kind: federation.KindUpdate, Person: kp, Previous: kp})...)
	if err != nil {
		return err
	}
	s.notifyPartners()
	// The merge is committed; the gallery follows it. Should reading the samples back fail,
	// the node would search stale fingers until restarted, so that is logged loudly.
	s.fingers.g.Remove(gone)
	s.dna.removePerson(gone)
	ss, err := s.st.Samples(r.Context(), keep)
	if err == nil {
		var fs []gallery.Sample[*match.Candidate]
		if fs, err = fingerSamples(ss); err == nil {
			s.fingers.g.Put(keep, fs)
		}
		s.irises.put(keep, ss)
		s.irises.g.Remove(gone)
		s.faces.put(keep, ss)
		s.faces.g.Remove(gone)
		s.dna.removePerson(keep)
		for _, sm := range ss {
			var p dna.Profile
			if sm.Modality == store.DNA && p.UnmarshalBinary(sm.Template) == nil {
				s.dna.put(keep, sm.ID, &p)
			}
		}
	}
	if err != nil {
		s.cfg.Logger.Error("gallery not updated after a merge; restart the node to reload it", "keep", keep, "gone", gone, "err", err)
	}
	if stored, err := s.st.Conflict(r.Context(), cf.ID); err == nil {
		cf = stored
	}
	writeJSON(w, http.StatusOK, resolveResponse{Conflict: cf, Merge: &m, Person: p})
	return nil
}

// fingerSamples returns the gallery form of the finger samples among ss.
func fingerSamples(ss []store.Sample) ([]gallery.Sample[*match.Candidate], error) {
	var out []gallery.Sample[*match.Candidate]
	for _, sm := range ss {
		if sm.Modality != store.Finger || len(sm.Template) == 0 {
			continue
		}
		var t fingerprint.Template
		if err := t.UnmarshalBinary(sm.Template); err != nil {
			return nil, fmt.Errorf("sample %d of person %s: %w", sm.ID, sm.PersonID, err)
		}
		out = append(out, gallery.Sample[*match.Candidate]{Position: sm.Position, Template: match.NewCandidate(&t)})
	}
	return out, nil
}

type userRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
	Org  string `json:"org"` // default: the admin's own; another organisation is created when new
}

// addUser is POST /v1/users: an admin creates a user and receives its token, shown once.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "user.add", ""); err != nil {
		return err
	}
	var req userRequest
	if err := decodeJSON(r.Body, "request body", &req); err != nil {
		return err
	}
	if req.Org == "" {
		req.Org = c.Org
	}
	// An admin administers their own organisation only: a user made in another would read
	// that organisation's records. Other organisations' first users are made with
	// `biomesh user add` by whoever runs the node.
	if req.Org != c.Org {
		s.audit(r.Context(), c, "user.add", req.Org+"/"+req.Name, "denied: other organisation")
		return bad(http.StatusForbidden, "org %q: admins of %s create users of %s only", req.Org, c.Org, c.Org)
	}
	u, tok, err := AddUser(r.Context(), s.st, req.Name, req.Org, req.Role, s.entry(c, "user.add", "", ""))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": u, "token": tok})
	return nil
}

var namePattern = func(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// AddUser creates a user (and its organisation, when new) with a fresh token, and returns
// the token: only its hash is stored, so it cannot be shown again. a is the audit entry to
// record it with (its Action, Target and Result are filled in).
func AddUser(ctx context.Context, st store.Store, name, org, role string, a *audit.Entry) (*store.User, string, error) {
	if !namePattern(name) {
		return nil, "", bad(http.StatusBadRequest, "name %q: 1–64 letters, digits, '-', '_' or '.'", name)
	}
	if !namePattern(org) {
		return nil, "", bad(http.StatusBadRequest, "org %q: 1–64 letters, digits, '-', '_' or '.'", org)
	}
	if !slices.Contains(store.Roles, role) {
		return nil, "", bad(http.StatusBadRequest, "role %q: one of %s", role, strings.Join(store.Roles, ", "))
	}
	if _, err := st.Org(ctx, org); errors.Is(err, store.ErrNotFound) {
		oa := *a
		oa.Action, oa.Target, oa.Result = "org.add", org, "ok"
		if err := st.CreateOrg(ctx, &store.Org{ID: org, Name: org, Created: a.Time}, &oa); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, "", err
		}
	} else if err != nil {
		return nil, "", err
	}
	tok := NewToken()
	u := &store.User{ID: org + "/" + name, Name: name, Org: org, Role: role, TokenHash: HashToken(tok), Created: a.Time}
	a.Action, a.Target, a.Result = "user.add", u.ID, "ok: role "+role
	if err := st.CreateUser(ctx, u, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, "", bad(http.StatusConflict, "user %s already exists", u.ID)
		}
		return nil, "", err
	}
	return u, tok, nil
}

// Bootstrap makes the first organisation and its admin when the store has no user, and
// returns the admin's token ("" when users already exist).
func Bootstrap(ctx context.Context, st store.Store, org string, now time.Time) (string, error) {
	users, err := st.Users(ctx, "")
	if err != nil {
		return "", err
	}
	if len(users) > 0 {
		return "", nil
	}
	a := &audit.Entry{Time: now, User: "system", Org: org, Role: store.RoleAdmin, Purpose: "first start"}
	_, tok, err := AddUser(ctx, st, "admin", org, store.RoleAdmin, a)
	return tok, err
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "user.list", ""); err != nil {
		return err
	}
	us, err := s.st.Users(r.Context(), c.Org)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": nonNil(us)})
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *caller) error {
	writeJSON(w, http.StatusOK, map[string]any{"user": c.User})
	return nil
}

// auditLog is GET /v1/audit?from=N&limit=M: entries after sequence number N.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "audit.read", ""); err != nil {
		return err
	}
	from, limit := int64(0), 1000
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return bad(http.StatusBadRequest, "from %q: a sequence number ≥ 0", v)
		}
		from = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return bad(http.StatusBadRequest, "limit %q: from 1 to 10000", v)
		}
		limit = n
	}
	var out []audit.Entry
	errStop := errors.New("stop")
	err := s.st.EachAudit(r.Context(), from, func(e *audit.Entry) error {
		out = append(out, *e)
		if len(out) >= limit {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if err := s.audit(r.Context(), c, "audit.read", strconv.FormatInt(from, 10), fmt.Sprintf("ok: %d entries", len(out))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": nonNil(out)})
	return nil
}

// VerifyAudit checks the whole audit chain of a store; it returns the number of entries and
// the head hash.
func VerifyAudit(ctx context.Context, st store.Store) (int64, string, error) {
	var v audit.Verifier
	err := st.EachAudit(ctx, 0, func(e *audit.Entry) error { return v.Next(e) })
	return v.Count(), v.Head(), err
}

func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "audit.read", ""); err != nil {
		return err
	}
	n, head, err := VerifyAudit(r.Context(), s.st)
	var ae *audit.Error
	if errors.As(err, &ae) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "entries": n, "error": ae.Error(), "break_at": ae.Seq})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "entries": n, "head": head})
	return nil
}

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"internal: response encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, format string, a ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, a...)})
}

// fail answers an error: 4xx with its message for request errors, 500 with a reference
// (and the detail in the log) for anything else.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	st := statusOf(err)
	if st == http.StatusInternalServerError {
		var ref [4]byte
		copy(ref[:], HashToken(err.Error()))
		s.cfg.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "ref", hex.EncodeToString(ref[:]), "err", err)
		writeError(w, st, "internal error (reference %s); nothing was changed unless the response said so", hex.EncodeToString(ref[:]))
		return
	}
	if st == 499 {
		return
	}
	writeError(w, st, "%s", err.Error())
}

func decodeFingerTemplate(b []byte) (*fingerprint.Template, error) {
	var t fingerprint.Template
	if err := t.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &t, nil
}
