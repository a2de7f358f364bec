package federation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// FollowUpState is where a follow-up request stands.
//
//	pending --approve--> approved --record sent--> released
//	pending --refuse---> refused
//	pending --TTL------> expired
//
// Only released carries the record; refused and expired are answered too. approved is
// the moment between an analyst's decision and the record's publication (a node that
// stops then publishes it at its next sweep).
type FollowUpState string

// Follow-up states.
const (
	Pending  FollowUpState = "pending"
	Approved FollowUpState = "approved"
	Released FollowUpState = "released"
	Refused  FollowUpState = "refused"
	Expired  FollowUpState = "expired"
)

func (s FollowUpState) final() bool { return s == Released || s == Refused || s == Expired }

// Direction of a follow-up request as seen by this node.
type Direction string

// Directions.
const (
	Incoming Direction = "incoming" // a partner asks this node for one of its records
	Outgoing Direction = "outgoing" // this node asked a partner
)

// FollowUp is a request for the full record behind a reference number from a hit.
type FollowUp struct {
	ID          string        `json:"id"`
	Direction   Direction     `json:"direction"`
	Partner     string        `json:"partner"` // the other node
	Ref         string        `json:"ref"`
	Purpose     string        `json:"purpose"`
	Reason      string        `json:"reason,omitempty"`       // the requester's justification
	RequestedBy string        `json:"requested_by,omitempty"` // user at the requesting node
	State       FollowUpState `json:"state"`
	Requested   time.Time     `json:"requested"`
	Expires     time.Time     `json:"expires,omitzero"`
	DecidedBy   string        `json:"decided_by,omitempty"`
	DecidedOrg  string        `json:"decided_org,omitempty"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
	Note        string        `json:"note,omitempty"`
	Answered    bool          `json:"answered,omitempty"` // the final answer is in the partner's stream
}

// FollowUpRequest is a follow-up request as it travels (signed by From).
type FollowUpRequest struct {
	ID          string    `json:"id"`
	From        string    `json:"from"`
	To          string    `json:"to"`
	Ref         string    `json:"ref"`
	Purpose     string    `json:"purpose"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requested_by"`
	Time        time.Time `json:"time"`
}

// FollowUpAnswer is the owner's answer: at once (pending or refused) as the reply, and
// finally (released, refused or expired) as an event in the owner's stream, so that it
// reaches the requester even if the link was down when the analyst decided.
type FollowUpAnswer struct {
	Request string        `json:"request"`
	State   FollowUpState `json:"state"`
	Note    string        `json:"note,omitempty"`
	Denied  string        `json:"denied,omitempty"`
	// RateLimited: refused because the partner asked more than its rate.
	RateLimited bool `json:"rate_limited,omitempty"`
}

// Errors of DecideFollowUp.
var (
	ErrNotPending = errors.New("follow-up request is not pending")
	ErrForbidden  = errors.New("only an analyst of the record's owning organisation may decide")
)

// RequestFollowUp asks the partner that owns ref for the full record, for a purpose and
// with a reason. The request is queued there until an analyst of the owning organisation
// decides; the answer arrives later as an event (Options.OnEvent, FollowUp).
func (n *Node) RequestFollowUp(ctx context.Context, ref, purpose, reason string, by Caller) (*FollowUp, error) {
	partner, _, _ := strings.Cut(ref, "/")
	l := n.links[partner]
	if l == nil {
		return nil, fmt.Errorf("federation: reference %q: not a partner's", ref)
	}
	now := n.now().UTC()
	req := FollowUpRequest{ID: newID(), From: n.cfg.Node, To: partner, Ref: ref, Purpose: purpose, Reason: reason, RequestedBy: by.User, Time: now}
	f := &FollowUp{ID: req.ID, Direction: Outgoing, Partner: partner, Ref: ref, Purpose: purpose, Reason: reason, RequestedBy: by.User, State: Pending, Requested: now}
	// Stored before it is sent, so that an answer can never arrive for a request this node
	// does not know.
	if err := n.opts.State.PutFollowUp(ctx, f); err != nil {
		return nil, err
	}
	var ans FollowUpAnswer
	err := n.request(ctx, l, "follow-up", ctxFollowUp, req, &ans)
	result := "pending"
	switch {
	case err != nil:
		result = "error: " + err.Error()
	case ans.Request != req.ID:
		err, result = errors.New("federation: answer to another request"), "error: answer to another request"
	case ans.Denied != "":
		err, result = deniedErr(partner, ans.Denied, ans.RateLimited), "denied: "+ans.Denied
	}
	n.audit(ctx, audit.Entry{User: by.User, Org: by.Org, Role: by.Role, Purpose: purpose, Action: "federation.follow-up.sent", Target: ref, Result: result})
	if err != nil {
		f.State, f.Note = Refused, result
		n.opts.State.PutFollowUp(ctx, f)
		return nil, err
	}
	return f, nil
}

// answerFollowUp queues a partner's follow-up request.
func (n *Node) answerFollowUp(l *link, m *nats.Msg) {
	ctx := context.Background()
	var req FollowUpRequest
	signer, err := open(m.Data, ctxFollowUp, n.keyOf, &req)
	deny := func(reason string) {
		n.audit(ctx, partnerEntry(l.p.ID, req.Purpose, "federation.follow-up", req.Ref, "denied: "+reason))
		n.reply(m, FollowUpAnswer{Request: req.ID, State: Refused, Denied: reason})
	}
	switch {
	case err != nil:
		deny(err.Error())
		return
	case signer != l.p.ID || req.From != signer || req.To != n.cfg.Node:
		deny(fmt.Sprintf("request from %q to %q signed by %q on %s's link", req.From, req.To, signer, l.p.ID))
		return
	}
	if why := n.limited(l); why != "" {
		n.audit(ctx, partnerEntry(l.p.ID, req.Purpose, "federation.follow-up", req.Ref, "denied: "+why))
		n.reply(m, FollowUpAnswer{Request: req.ID, State: Refused, Denied: why, RateLimited: true})
		return
	}
	if err := n.fresh(req.ID, req.Time); err != nil {
		deny(err.Error())
		return
	}
	id, ok := strings.CutPrefix(req.Ref, n.cfg.Node+"/")
	if !ok || id == "" {
		deny(fmt.Sprintf("reference %q is not this node's", req.Ref))
		return
	}
	if n.agreementFor(l.p, req.Purpose, nil) == nil {
		deny(fmt.Sprintf("no agreement in force for purpose %q", req.Purpose))
		return
	}
	if _, err := n.opts.Records.Person(ctx, id); err != nil {
		deny("no such record")
		return
	}
	if _, err := n.opts.State.FollowUp(ctx, req.ID); err == nil {
		deny("request ID already used")
		return
	}
	ttl := time.Duration(n.cfg.FollowUpTTL)
	if ttl <= 0 {
		ttl = 14 * 24 * time.Hour
	}
	now := n.now().UTC()
	f := &FollowUp{
		ID: req.ID, Direction: Incoming, Partner: l.p.ID, Ref: req.Ref, Purpose: req.Purpose, Reason: req.Reason,
		RequestedBy: req.RequestedBy, State: Pending, Requested: now, Expires: now.Add(ttl),
	}
	if err := n.opts.State.PutFollowUp(ctx, f); err != nil {
		n.reply(m, FollowUpAnswer{Request: req.ID, State: Refused, Denied: "could not queue the request"})
		return
	}
	n.audit(ctx, partnerEntry(l.p.ID, req.Purpose, "federation.follow-up", id, "queued "+req.ID))
	n.reply(m, FollowUpAnswer{Request: req.ID, State: Pending})
}

// FollowUps lists the follow-up requests this node holds, both directions, oldest first.
func (n *Node) FollowUps(ctx context.Context) ([]FollowUp, error) { return n.opts.State.FollowUps(ctx) }

// DecideFollowUp approves or refuses a partner's pending follow-up request. Only an
// analyst of the organisation that owns the record may decide. On approval the full
// record (of the modalities the purpose's agreement names) is sent to the partner.
func (n *Node) DecideFollowUp(ctx context.Context, id string, by Caller, approve bool, note string) (*FollowUp, error) {
	f, err := n.opts.State.FollowUp(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.Direction != Incoming {
		return nil, fmt.Errorf("follow-up %s: this node's own request: %w", id, ErrNotPending)
	}
	pid := strings.TrimPrefix(f.Ref, n.cfg.Node+"/")
	p, err := n.opts.Records.Person(ctx, pid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if by.Role != store.RoleAnalyst || p == nil || by.Org != p.Org {
		n.audit(ctx, audit.Entry{User: by.User, Org: by.Org, Role: by.Role, Purpose: f.Purpose, Action: "federation.follow-up.decide", Target: pid, Result: "denied"})
		return nil, ErrForbidden
	}
	if f.State == Pending && !n.now().Before(f.Expires) {
		if err := n.finish(ctx, f, Expired, "", Caller{}); err != nil {
			return nil, err
		}
	}
	if f.State != Pending {
		return f, fmt.Errorf("follow-up %s is %s: %w", id, f.State, ErrNotPending)
	}
	state := Refused
	if approve {
		state = Approved
	}
	if err := n.finish(ctx, f, state, note, by); err != nil {
		return nil, err
	}
	n.audit(ctx, audit.Entry{User: by.User, Org: by.Org, Role: by.Role, Purpose: f.Purpose, Action: "federation.follow-up.decide", Target: pid, Result: string(f.State)})
	return f, nil
}

// finish moves a request to a decided state and sends the answer.
func (n *Node) finish(ctx context.Context, f *FollowUp, state FollowUpState, note string, by Caller) error {
	f.State, f.Note, f.DecidedAt, f.DecidedBy, f.DecidedOrg = state, note, n.now().UTC(), by.User, by.Org
	if err := n.opts.State.PutFollowUp(ctx, f); err != nil {
		return err
	}
	return n.answer(ctx, f)
}

// answer publishes the final answer of a decided request (the record, when approved) and
// marks it answered. It may be called again for the same request: the event ID is the
// request's, so the stream keeps one copy.
func (n *Node) answer(ctx context.Context, f *FollowUp) error {
	pt := n.cfg.Partner(f.Partner)
	if pt == nil {
		return fmt.Errorf("follow-up %s: %s is no longer a partner", f.ID, f.Partner)
	}
	ev := &Event{
		ID: "follow-up-" + f.ID, Origin: n.cfg.Node, To: f.Partner, Kind: KindFollowUp, Time: n.now().UTC(),
		Purpose: f.Purpose, Level: HitNoHit, Ref: f.Ref, FollowUp: &FollowUpAnswer{Request: f.ID, State: f.State, Note: f.Note},
	}
	next := f.State
	if f.State == Approved {
		a := n.agreementFor(pt, f.Purpose, nil)
		pid := strings.TrimPrefix(f.Ref, n.cfg.Node+"/")
		p, err := n.opts.Records.Person(ctx, pid)
		if a == nil || err != nil {
			// The agreement ended or the record was deleted since the approval.
			next, ev.FollowUp.Note = Refused, "the record can no longer be released"
		} else {
			ss, err := n.opts.Records.Samples(ctx, pid)
			if err != nil {
				return err
			}
			full := *a
			full.Level = Full
			full.Modalities = nil
			for _, b := range pt.Send {
				if b.Purpose == f.Purpose && b.Active(n.now()) {
					full.Modalities = append(full.Modalities, b.Modalities...)
				}
			}
			slices.Sort(full.Modalities)
			ev.Level, ev.Category, ev.Watch = Full, p.Category, watchOf(p)
			ev.Person, ev.Samples = sharePerson(p), shareSamples(ss, &full)
			next = Released
		}
		ev.FollowUp.State = next
	}
	if err := n.send(ctx, ev); err != nil {
		return err
	}
	f.State, f.Answered = next, true
	if err := n.opts.State.PutFollowUp(ctx, f); err != nil {
		return err
	}
	n.audit(ctx, partnerEntry(f.Partner, f.Purpose, "federation.follow-up.answer", strings.TrimPrefix(f.Ref, n.cfg.Node+"/"), string(next)))
	return nil
}

// Sweep expires pending incoming follow-up requests past their time and sends answers
// that were decided but not yet sent. The node runs it every minute.
func (n *Node) Sweep(ctx context.Context) error {
	fs, err := n.opts.State.FollowUps(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for i := range fs {
		f := &fs[i]
		if f.Direction != Incoming {
			continue
		}
		switch {
		case f.State == Pending && !n.now().Before(f.Expires):
			errs = append(errs, n.finish(ctx, f, Expired, "no decision before "+f.Expires.Format(time.RFC3339), Caller{}))
		case f.State != Pending && !f.Answered:
			errs = append(errs, n.answer(ctx, f))
		}
	}
	return errors.Join(errs...)
}
