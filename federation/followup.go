package federation

import (
	"context"
	"encoding/json"
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

// decided: an analyst or the TTL decided, and the answer may not have left yet.
func (s FollowUpState) decided() bool { return s == Approved || s == Refused || s == Expired }

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
//
// With the store's outbox (Options.Outbox) the decision commits in the store, with its
// audit entry and the outbox message that answers the partner, before DecideFollowUp
// returns; the answer (the record read then) leaves from the outbox, so a node that stops
// right after the decision sends it when it starts again, once. The request is returned
// approved or refused, and becomes released (or refused, when the record can no longer be
// released) when the answer is in the partner's stream. Without an outbox the answer is
// sent before DecideFollowUp returns.
func (n *Node) DecideFollowUp(ctx context.Context, id string, by Caller, approve bool, note string) (*FollowUp, error) {
	f, err := n.opts.State.FollowUp(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.Direction != Incoming {
		return nil, fmt.Errorf("follow-up %s: this node's own request: %w", id, ErrNotPending)
	}
	pid := strings.TrimPrefix(f.Ref, n.cfg.Node+"/")
	entry := func(result string) audit.Entry {
		return audit.Entry{User: by.User, Org: by.Org, Role: by.Role, Purpose: f.Purpose, Action: "federation.follow-up.decide", Target: pid, Result: result}
	}
	p, err := n.opts.Records.Person(ctx, pid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if by.Role != store.RoleAnalyst || p == nil || by.Org != p.Org {
		n.audit(ctx, entry("denied"))
		return nil, ErrForbidden
	}
	if f.State == Pending && !n.now().Before(f.Expires) {
		if err := n.finish(ctx, f, Expired, "", Caller{}); err != nil {
			return nil, err
		}
	}
	if f.State != Pending {
		n.audit(ctx, entry("denied: "+string(f.State)))
		return f, fmt.Errorf("follow-up %s is %s: %w", id, f.State, ErrNotPending)
	}
	state := Refused
	if approve {
		state = Approved
	}
	if n.opts.Outbox == nil {
		if err := n.finish(ctx, f, state, note, by); err != nil {
			return nil, err
		}
		n.audit(ctx, entry(string(f.State)))
		return f, nil
	}
	err = n.finish(ctx, f, state, note, by)
	if errors.Is(err, ErrNotPending) {
		n.audit(ctx, entry("denied: decided already"))
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// finish moves a request to a decided state (approved, refused or expired) and answers
// the partner. With the outbox, the decision's audit entry (by the analyst, or the node's
// for an expiry) and the answer's outbox message commit together, then the State records
// the decision; the outbox publishes the answer (publishAnswer). A message of the request
// in the outbox already means it was decided already (ErrNotPending). Without, the State
// records it and the answer is sent at once.
func (n *Node) finish(ctx context.Context, f *FollowUp, state FollowUpState, note string, by Caller) error {
	d := *f
	d.State, d.Note, d.DecidedAt, d.DecidedBy, d.DecidedOrg = state, note, n.now().UTC(), by.User, by.Org
	if n.opts.Outbox == nil {
		*f = d
		if err := n.opts.State.PutFollowUp(ctx, f); err != nil {
			return err
		}
		return n.answer(ctx, f)
	}
	m, err := n.answerMessage(&d)
	if err != nil {
		return err
	}
	a := audit.Entry{User: by.User, Org: by.Org, Role: by.Role, Purpose: d.Purpose, Action: "federation.follow-up.decide",
		Target: strings.TrimPrefix(d.Ref, n.cfg.Node+"/"), Result: string(state), Time: n.now()}
	if by.User == "" {
		a.User, a.Role, a.Action = "federation", "system", "federation.follow-up.expire"
	}
	// Held until the State records the decision, so that the outbox does not publish the
	// answer, and record it answered, before the decision is recorded over it.
	n.answering.Lock()
	defer n.answering.Unlock()
	if err := n.opts.Outbox.AppendOutbox(ctx, &a, m); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("follow-up %s: decided already: %w", f.ID, ErrNotPending)
		}
		return err
	}
	*f = d
	// The decision is committed: should the State not record it now, publishing the
	// answer does.
	if err := n.opts.State.PutFollowUp(ctx, f); err != nil {
		n.log.Error("federation: follow-up decided, state not updated", "id", f.ID, "err", err)
	}
	n.Notify()
	return nil
}

// answerID is the ID of the event, and of the outbox message, that answers a request:
// one per request, so that a second decision or a second publication is refused.
func answerID(request string) string { return "follow-up-" + request }

// answerMessage is the outbox message of a decided request's answer. It holds the
// decided request whole (not the record, read when it is published), so that it can be
// published even by a node whose State lost the request.
func (n *Node) answerMessage(f *FollowUp) (store.OutboxMessage, error) {
	payload, err := json.Marshal(outboxChange{Kind: KindFollowUp, Time: f.DecidedAt, FollowUp: f})
	if err != nil {
		return store.OutboxMessage{}, err
	}
	return store.OutboxMessage{ID: answerID(f.ID), Topic: OutboxTopic, Payload: payload, Created: n.now().UTC()}, nil
}

// publishAnswer publishes the answer of a decided request from the outbox: the request
// as the message holds it (the decision), unless the State knows it answered already.
// After a crash between the publication and the State's update the event is in the
// partner's stream already (sent) and is not published again.
func (n *Node) publishAnswer(ctx context.Context, d *FollowUp) error {
	n.answering.Lock()
	defer n.answering.Unlock()
	f, err := n.opts.State.FollowUp(ctx, d.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		f = d
	case err != nil:
		return err
	case f.Answered:
		return nil
	default:
		f.State, f.Note, f.DecidedAt, f.DecidedBy, f.DecidedOrg = d.State, d.Note, d.DecidedAt, d.DecidedBy, d.DecidedOrg
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
		ID: answerID(f.ID), Origin: n.cfg.Node, To: f.Partner, Kind: KindFollowUp, Time: n.now().UTC(),
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
	if n.sent[ev.ID] {
		n.outboxSkipped.Add(1)
	} else if err := n.send(ctx, ev); err != nil {
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
			if err := n.finish(ctx, f, Expired, "no decision before "+f.Expires.Format(time.RFC3339), Caller{}); err != nil && !errors.Is(err, ErrNotPending) {
				errs = append(errs, err) // not pending: decided, the State not told yet
			}
		case f.State != Pending && !f.Answered && n.opts.Outbox == nil:
			errs = append(errs, n.answer(ctx, f))
		case f.State != Pending && !f.Answered:
			// Decided with its answer in the outbox (then the message is there still, or
			// was published and the State not told), or decided by a node of a version
			// before the outbox: the answer goes into the outbox unless it is there.
			if err := n.requeue(ctx, f); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// requeue writes the answer of a decided request into the outbox, unless it is there
// (or the request has been answered since the State was read).
func (n *Node) requeue(ctx context.Context, f *FollowUp) error {
	n.answering.Lock()
	defer n.answering.Unlock()
	if now, err := n.opts.State.FollowUp(ctx, f.ID); err != nil || now.Answered {
		return err
	}
	m, err := n.answerMessage(f)
	if err != nil {
		return err
	}
	a := audit.Entry{User: "federation", Role: "system", Purpose: f.Purpose, Action: "federation.follow-up.requeue",
		Target: strings.TrimPrefix(f.Ref, n.cfg.Node+"/"), Result: string(f.State), Time: n.now()}
	if err := n.opts.Outbox.AppendOutbox(ctx, &a, m); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	n.Notify()
	return nil
}
