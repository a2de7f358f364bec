package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// caller is the authenticated user of a request.
type caller struct {
	store.User
	purpose string
}

// can reports whether the caller's role allows an action. The table is the whole of the
// node's access policy; ownership of records (an analyst sees only their organisation's) is
// checked where records are read.
func (c *caller) can(action string) bool {
	allowed, ok := permissions[action]
	if !ok {
		return false
	}
	for _, r := range allowed {
		if r == c.Role {
			return true
		}
	}
	return false
}

// Actions and the roles that may perform them.
var permissions = map[string][]string{
	"enrol":            {store.RoleEnroller, store.RoleAdmin},
	"identify":         {store.RoleEnroller, store.RoleAnalyst, store.RoleAdmin},
	"verify":           {store.RoleEnroller, store.RoleScreener, store.RoleAnalyst, store.RoleAdmin},
	"encounter":        {store.RoleEnroller, store.RoleScreener, store.RoleAnalyst, store.RoleAdmin},
	"person.read":      {store.RoleAnalyst, store.RoleAdmin},
	"person.search":    {store.RoleAnalyst, store.RoleAdmin},
	"person.timeline":  {store.RoleAnalyst, store.RoleAdmin},
	"person.update":    {store.RoleAnalyst, store.RoleAdmin},
	"person.delete":    {store.RoleAdmin},
	"person.export":    {store.RoleAnalyst, store.RoleAdmin},
	"watch.set":        {store.RoleAnalyst, store.RoleAdmin},
	"family.add":       {store.RoleAnalyst, store.RoleAdmin},
	"alerts":           {store.RoleScreener, store.RoleEnroller, store.RoleAnalyst, store.RoleAdmin},
	"conflict.list":    {store.RoleAnalyst, store.RoleAdmin},
	"conflict.decide":  {store.RoleAnalyst, store.RoleAdmin},
	"user.list":        {store.RoleAdmin},
	"user.add":         {store.RoleAdmin},
	"audit.read":       {store.RoleAuditor, store.RoleAdmin},
	"me":               store.Roles,
	"partner.query":    {store.RoleEnroller, store.RoleScreener, store.RoleAnalyst, store.RoleAdmin},
	"followup.request": {store.RoleAnalyst, store.RoleAdmin},
	"followup.list":    {store.RoleAnalyst, store.RoleAdmin},
	"followup.decide":  {store.RoleAnalyst}, // the federation package lets analysts of the owning organisation alone decide
	"received.read":    {store.RoleAnalyst, store.RoleAdmin},
	"dna.familial":     {store.RoleAnalyst, store.RoleAdmin},
	"device.add":       {store.RoleAdmin},
	"device.read":      {store.RoleAdmin},
	"device.wipe":      {store.RoleAdmin},
	"device.pull":      {store.RoleScreener, store.RoleEnroller}, // and only the device's own user (ownDevice)
	"device.lease":     {store.RoleScreener, store.RoleEnroller},
	"device.sync":      {store.RoleScreener, store.RoleEnroller},
}

// seesRecords reports whether the caller may see biographic data and images of persons
// owned by org.
func (c *caller) seesRecords(org string) bool {
	return c.can("person.read") && c.Org == org
}

// HashToken returns the stored form of an API token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// handler is an authenticated handler: it returns an error to answer with (and audit), or
// nil once it has written its answer.
type handler func(w http.ResponseWriter, r *http.Request, c *caller) error

// auth authenticates a request by its bearer token and runs h. A missing or unknown token
// is answered 401 without touching the handler.
func (s *Server) auth(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="biomesh"`)
			writeError(w, http.StatusUnauthorized, "missing API token: send the header \"Authorization: Bearer <token>\"")
			return
		}
		u, err := s.st.UserByToken(r.Context(), HashToken(strings.TrimSpace(tok)))
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="biomesh", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unknown or disabled API token")
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if r.ContentLength > s.cfg.MaxBody {
			writeError(w, http.StatusRequestEntityTooLarge, "request body: %d bytes, larger than the limit of %d bytes", r.ContentLength, s.cfg.MaxBody)
			return
		}
		c := &caller{User: *u, purpose: strings.TrimSpace(r.Header.Get("X-Biomesh-Purpose"))}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		if err := h(w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
}

// require answers whether the caller may perform action; a refusal is audited and returned
// as a 403 error.
func (s *Server) require(r *http.Request, c *caller, action, target string) error {
	if c.can(action) {
		return nil
	}
	s.audit(r.Context(), c, action, target, "denied: role "+c.Role)
	return bad(http.StatusForbidden, "%s: not allowed for role %s", action, c.Role)
}

// entry makes the audit entry of an action by the caller.
func (s *Server) entry(c *caller, action, target, result string) *audit.Entry {
	return &audit.Entry{
		Time: s.cfg.Now(), User: c.ID, Org: c.Org, Role: c.Role, Purpose: c.purpose,
		Action: action, Target: target, Result: result,
	}
}

// audit appends an entry for an action that changes nothing else (a search, a read, a
// refusal). A failure to audit is logged; the handler decides whether it is fatal — for
// reads of personal data it is, see auditRead.
func (s *Server) audit(ctx context.Context, c *caller, action, target, result string) error {
	err := s.st.Audit(context.WithoutCancel(ctx), s.entry(c, action, target, result))
	if err != nil {
		s.cfg.Logger.Error("audit append failed", "action", action, "target", target, "err", err)
	}
	return err
}
