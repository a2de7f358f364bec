package federation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// Probe is one probe template of a hit/no-hit query. It has no room for a name or any
// other biographic field: a query carrying one is malformed and refused.
type Probe struct {
	Modality store.Modality `json:"modality"`
	Position int            `json:"position"`
	Template []byte         `json:"template"`
}

// Searcher is the node's 1:N search as partners' queries use it.
type Searcher interface {
	// SearchProbes returns the enrolled person the probes identify above the node's
	// threshold (the most wanted, when several), or nil for none. It must not store the
	// probes or anything derived from them ("search and forget").
	SearchProbes(ctx context.Context, probes []Probe) (*store.Person, error)
}

// Caller is who, on this node, asks or decides: for the audit log and role checks.
type Caller struct {
	User string
	Org  string
	Role string
}

// Query is a hit/no-hit query as it travels (signed by From).
type Query struct {
	ID      string    `json:"id"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Purpose string    `json:"purpose"`
	Time    time.Time `json:"time"`
	Probes  []Probe   `json:"probes"`
}

// Answer is the reply to a Query (signed by the queried node).
type Answer struct {
	Query  string           `json:"query"`
	Hit    bool             `json:"hit"`
	Ref    string           `json:"ref,omitempty"`
	Watch  store.WatchLevel `json:"watch,omitempty"`
	Denied string           `json:"denied,omitempty"` // why the query was refused, if it was
	// RateLimited: refused because the partner asked more than its rate (Denied says so).
	RateLimited bool `json:"rate_limited,omitempty"`
}

// ErrDenied wraps a partner's refusal of a query or request; ErrRateLimited (with
// ErrDenied) one for asking faster than the partner's rate allows.
var (
	ErrDenied      = errors.New("denied by partner")
	ErrRateLimited = errors.New("over the partner's request rate")
)

// limited refuses a partner's request beyond its rate (Partner.QueryRate): the reason, or
// "" when the request may go on.
func (n *Node) limited(l *link) string {
	if l.limit.allow(n.now()) {
		return ""
	}
	return fmt.Sprintf("rate limited: more than %g requests a second (bursts of %d) from %s", l.p.QueryRate, l.p.QueryBurst, l.p.ID)
}

// deniedErr is the error of a partner's refusal.
func deniedErr(partner, why string, rateLimited bool) error {
	if rateLimited {
		return fmt.Errorf("federation: %s: %w: %w: %s", partner, ErrDenied, ErrRateLimited, why)
	}
	return fmt.Errorf("federation: %s: %w: %s", partner, ErrDenied, why)
}

// queryWindow bounds the clock difference accepted on queries and how long their IDs are
// remembered to refuse replays.
const queryWindow = 2 * time.Minute

// Query asks a partner whether the probes identify a person it holds, for a purpose its
// agreement with this node allows. The query is audited here (and on the partner's side).
func (n *Node) Query(ctx context.Context, partner, purpose string, probes []Probe, by Caller) (*Answer, error) {
	l := n.links[partner]
	if l == nil {
		return nil, fmt.Errorf("federation: %s is not a partner", partner)
	}
	q := Query{ID: newID(), From: n.cfg.Node, To: partner, Purpose: purpose, Time: n.now().UTC(), Probes: probes}
	var ans Answer
	err := n.request(ctx, l, "hit-no-hit", ctxQuery, q, &ans)
	result := ""
	switch {
	case err != nil:
		result = "error: " + err.Error()
	case ans.Query != q.ID:
		err, result = errors.New("federation: answer to another query"), "error: answer to another query"
	case ans.Denied != "":
		err, result = deniedErr(partner, ans.Denied, ans.RateLimited), "denied: "+ans.Denied
	case ans.Hit:
		result = "hit " + ans.Ref + " " + string(ans.Watch)
	default:
		result = "no-hit"
	}
	n.audit(ctx, audit.Entry{User: by.User, Org: by.Org, Role: by.Role, Purpose: purpose, Action: "federation.query.sent", Target: partner, Result: result})
	if err != nil {
		return nil, err
	}
	return &ans, nil
}

// request sends a signed request to a partner and opens its signed answer.
func (n *Node) request(ctx context.Context, l *link, what, sigctx string, req, ans any) error {
	data, err := seal(n.cfg.Node, n.opts.Key, sigctx, req)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	m, err := l.nc.RequestWithContext(ctx, "fed.q."+l.p.ID+"."+what, data)
	if err != nil {
		return fmt.Errorf("federation: %s %s: %w", what, l.p.ID, err)
	}
	signer, err := open(m.Data, ctxAnswer, n.keyOf, ans)
	if err == nil && signer != l.p.ID {
		err = fmt.Errorf("answer signed by %q", signer)
	}
	return err
}

func (n *Node) reply(m *nats.Msg, ans any) {
	data, err := seal(n.cfg.Node, n.opts.Key, ctxAnswer, ans)
	if err == nil {
		err = m.Respond(data)
	}
	if err != nil {
		n.log.Error("federation: reply", "err", err)
	}
}

// fresh checks a request's time and ID against replays; IDs are kept for queryWindow.
func (n *Node) fresh(id string, t time.Time) error {
	now := n.now()
	if d := now.Sub(t); d > queryWindow || d < -queryWindow {
		return fmt.Errorf("request time %s is more than %s from this node's clock", t.Format(time.RFC3339), queryWindow)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, seen := range n.queries {
		if now.Sub(seen) > 2*queryWindow {
			delete(n.queries, k)
		}
	}
	if _, dup := n.queries[id]; dup || id == "" {
		return fmt.Errorf("replay of request %q", id)
	}
	n.queries[id] = now
	return nil
}

// agreementFor returns a send agreement in force with the partner for this purpose whose
// modalities include every probe's, or nil. Any level allows queries.
func (n *Node) agreementFor(p *Partner, purpose string, mods []store.Modality) *Agreement {
	var b *Agreement
	for i := range p.Send {
		a := &p.Send[i]
		if a.Purpose != purpose || !a.Active(n.now()) {
			continue
		}
		if !all(mods, func(m store.Modality) bool { return slices.Contains(a.Modalities, m) }) {
			continue
		}
		if b == nil || a.Level.rank() > b.Level.rank() {
			b = a
		}
	}
	return b
}

func all[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if !f(v) {
			return false
		}
	}
	return true
}

// answerQuery answers a partner's hit/no-hit query. Messages on this subject can only
// come through that partner's link (its own account); the signature must be its too.
func (n *Node) answerQuery(l *link, m *nats.Msg) {
	ctx := context.Background()
	var q Query
	signer, err := open(m.Data, ctxQuery, n.keyOf, &q)
	deny := func(reason string) {
		n.audit(ctx, partnerEntry(l.p.ID, q.Purpose, "federation.query", "", "denied: "+reason))
		n.reply(m, Answer{Query: q.ID, Denied: reason})
	}
	switch {
	case err != nil:
		deny(err.Error())
		return
	case signer != l.p.ID || q.From != signer || q.To != n.cfg.Node:
		deny(fmt.Sprintf("query from %q to %q signed by %q on %s's link", q.From, q.To, signer, l.p.ID))
		return
	case len(q.Probes) == 0:
		deny("no probes")
		return
	}
	if why := n.limited(l); why != "" {
		n.audit(ctx, partnerEntry(l.p.ID, q.Purpose, "federation.query", "", "denied: "+why))
		n.reply(m, Answer{Query: q.ID, Denied: why, RateLimited: true})
		return
	}
	if err := n.fresh(q.ID, q.Time); err != nil {
		deny(err.Error())
		return
	}
	var mods []store.Modality
	for _, p := range q.Probes {
		if len(p.Template) == 0 {
			deny("empty probe template")
			return
		}
		mods = append(mods, p.Modality)
	}
	a := n.agreementFor(l.p, q.Purpose, mods)
	if a == nil {
		deny(fmt.Sprintf("no agreement in force for purpose %q and modalities %v", q.Purpose, mods))
		return
	}
	p, err := n.opts.Searcher.SearchProbes(ctx, q.Probes)
	if err != nil {
		n.audit(ctx, partnerEntry(l.p.ID, q.Purpose, "federation.query", "", "error: "+err.Error()))
		n.reply(m, Answer{Query: q.ID, Denied: "search failed"})
		return
	}
	ans := Answer{Query: q.ID}
	// A hit on a person outside the agreement (category, watch level) reads as no hit.
	if p != nil && a.covers(p.Category, p.Watch.Level, n.now()) {
		ans.Hit, ans.Ref, ans.Watch = true, Ref(n.cfg.Node, p.ID), watchOf(p)
		n.audit(ctx, partnerEntry(l.p.ID, q.Purpose, "federation.query", p.ID, "hit "+string(ans.Watch)))
	} else {
		n.audit(ctx, partnerEntry(l.p.ID, q.Purpose, "federation.query", "", "no-hit"))
	}
	n.reply(m, ans)
}
