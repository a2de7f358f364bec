package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/biomesh/biomesh/store"
)

// OutboxTopic is the topic of the federation's messages in the node's outbox.
const OutboxTopic = "federation"

// outboxBatch is how many outbox messages are published before those published are removed
// from the outbox: after a crash at most this many are published again (and dropped as
// duplicates, see sentBefore).
const outboxBatch = 100

// outboxChange is what an outbox message keeps of a change: what is needed to make its
// events when it is published, no more. Names, images and templates are not copied: an
// enrolment or update is published with the record as the store holds it then, so that the
// outbox never keeps personal data the store has erased.
type outboxChange struct {
	Kind   Kind      `json:"kind"`
	Person string    `json:"person"`
	Time   time.Time `json:"time"` // of the change
	// Category and Watch are the person's at a deletion (the record is gone when the
	// message is published) and before an update (Previous).
	Category string           `json:"category,omitempty"`
	Watch    store.WatchLevel `json:"watch,omitempty"`
	Previous bool             `json:"previous,omitempty"` // Category and Watch are the previous ones
	// Encounter is the encounter of a watched person, without its probes.
	Encounter *store.Encounter `json:"encounter,omitempty"`
	// FollowUp is the decided follow-up request a KindFollowUp message answers (Person
	// is then empty: the record is read when the answer is published).
	FollowUp *FollowUp `json:"follow_up,omitempty"`
}

// Message makes the outbox message that shares a change with the partners once it has
// committed: the node's store writes it in the transaction of the change (store methods
// take it after the audit entry), and the node publishes it from the outbox (Options.Outbox)
// and removes it only when every partner's stream has stored its event. The change's ID is
// the message's and names its events for good (see Change.ID); a random one is chosen when
// it has none. Call Notify after the commit for the message to leave at once.
func (n *Node) Message(ch Change) (store.OutboxMessage, error) {
	if ch.Person == nil || ch.Person.ID == "" {
		return store.OutboxMessage{}, errors.New("federation: change without a person")
	}
	if ch.ID == "" {
		ch.ID = newID()
	}
	now := n.now().UTC()
	if ch.Time.IsZero() {
		ch.Time = now
	}
	oc := outboxChange{Kind: ch.Kind, Person: ch.Person.ID, Time: ch.Time.UTC()}
	switch ch.Kind {
	case KindEnrol:
	case KindUpdate:
		if ch.Previous != nil {
			oc.Previous, oc.Category, oc.Watch = true, ch.Previous.Category, watchOf(ch.Previous)
		}
	case KindDelete:
		oc.Category, oc.Watch = ch.Person.Category, watchOf(ch.Person)
	case KindEncounter:
		if ch.Encounter == nil {
			return store.OutboxMessage{}, errors.New("federation: encounter change without its encounter")
		}
		e := *ch.Encounter
		e.Probes = nil
		oc.Encounter = &e
	default:
		return store.OutboxMessage{}, fmt.Errorf("federation: change of kind %q cannot be published", ch.Kind)
	}
	payload, err := json.Marshal(oc)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	return store.OutboxMessage{ID: ch.ID, Topic: OutboxTopic, Payload: payload, Created: now}, nil
}

// HasOutbox reports whether the node publishes an outbox (Options.Outbox).
func (n *Node) HasOutbox() bool { return n.opts.Outbox != nil }

// Notify tells the node that messages wait in the outbox. It never blocks; without it
// they leave at the next look, within a second.
func (n *Node) Notify() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// outboxLoop publishes the outbox until the node stops. A failure (the NATS server down,
// a stream full) is retried, backing off to 10 s; messages wait in the outbox meanwhile,
// in order.
func (n *Node) outboxLoop() {
	defer n.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-n.stop; cancel() }()
	wait := time.Second
	for {
		err := n.drainOutbox(ctx)
		switch {
		case err == nil:
			wait = time.Second
		case ctx.Err() != nil:
			return
		default:
			n.log.Warn("federation: outbox", "err", err, "retry", wait)
			n.outboxFailures.Add(1)
		}
		select {
		case <-n.stop:
			return
		case <-n.kick:
		case <-time.After(wait):
		}
		if err != nil {
			wait = min(2*wait, 10*time.Second)
		}
	}
}

// drainOutbox publishes every message in the outbox, in commit order for each partner:
// each partner has its cursor (the last message whose events its stream stored), so a
// partner whose stream refuses is held back alone, and its messages wait for it in the
// outbox while the others go on. A message is removed once every partner's cursor has
// passed it. At start, what the streams hold last is read first, so that what was
// published before a crash, but not yet removed from the outbox, is not published twice.
func (n *Node) drainOutbox(ctx context.Context) error {
	ob := n.opts.Outbox
	if !n.tailRead {
		if err := n.readTails(ctx); err != nil {
			return err
		}
		n.tailRead = true
	}
	partners := slices.Sorted(maps.Keys(n.links))
	// A partner whose stream refused is tried again after its back-off (1 s doubling to
	// 10 s) only, so that the messages it holds back are not read again at every Notify.
	now := time.Now()
	var active []string
	for _, id := range partners {
		if !now.Before(n.retryAt[id]) {
			active = append(active, id)
		}
	}
	failed := map[string]error{}
	defer func() {
		for _, id := range active {
			if failed[id] == nil {
				delete(n.retryAt, id)
				delete(n.backoff, id)
				continue
			}
			n.backoff[id] = min(max(2*n.backoff[id], time.Second), 10*time.Second)
			n.retryAt[id] = now.Add(n.backoff[id])
		}
	}()
	if len(active) == 0 {
		return nil
	}
	from := n.minCursor(active)
	for {
		msgs, err := ob.OutboxMessagesAfter(ctx, OutboxTopic, from, outboxBatch)
		if err != nil {
			return errors.Join(err, failures(failed))
		}
		for _, m := range msgs {
			var out *outgoing
			prepared := false
			for _, id := range active {
				if failed[id] != nil || n.cursor[id] >= m.Seq {
					continue
				}
				if !prepared {
					if out, err = n.outgoingOf(ctx, m); err != nil {
						failed[id] = err
						continue // read again for the next partner, and at the next round
					}
					prepared = true
				}
				if err := n.deliver(ctx, out, id); err != nil {
					failed[id] = fmt.Errorf("partner %s: %w", id, err)
					continue
				}
				n.cursor[id] = m.Seq
			}
		}
		if len(msgs) > 0 {
			from = msgs[len(msgs)-1].Seq
			if err := n.removeDelivered(ctx, msgs, partners); err != nil {
				return errors.Join(err, failures(failed))
			}
		}
		if len(msgs) < outboxBatch {
			break
		}
	}
	if len(failed) == 0 && len(active) == len(partners) {
		n.sent = nil // every partner is past the streams' tails read at start
	}
	return failures(failed)
}

func failures(failed map[string]error) error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(failed)) {
		errs = append(errs, failed[id])
	}
	return errors.Join(errs...)
}

// minCursor is the cursor of the partner furthest behind (0 without partners).
func (n *Node) minCursor(partners []string) int64 {
	var low int64
	for i, id := range partners {
		if c := n.cursor[id]; i == 0 || c < low {
			low = c
		}
	}
	return low
}

// removeDelivered removes the messages of msgs that every partner's cursor has passed.
func (n *Node) removeDelivered(ctx context.Context, msgs []store.OutboxMessage, partners []string) error {
	low := n.minCursor(partners)
	var done []int64
	for _, m := range msgs {
		if m.Seq <= low || len(partners) == 0 {
			done = append(done, m.Seq)
		}
	}
	return n.opts.Outbox.DeleteOutbox(ctx, done)
}

// readTails reads what each partner's stream stored last: the IDs of its last events
// (sent), and the cursor, the outbox message that made the very last one (0 when it is
// no longer in the outbox: then every message left is looked at again for the partner,
// and sent keeps those it has already from being published twice).
func (n *Node) readTails(ctx context.Context) error {
	sent, last, err := n.lastSent(ctx)
	if err != nil {
		return err
	}
	n.sent, n.cursor = sent, map[string]int64{}
	n.retryAt, n.backoff = map[string]time.Time{}, map[string]time.Duration{}
	type answerAt struct {
		seq int64
		f   *FollowUp
	}
	var (
		seqs    []int64
		answers []answerAt
	)
	for after := int64(0); len(last) > 0; {
		msgs, err := n.opts.Outbox.OutboxMessagesAfter(ctx, OutboxTopic, after, 1000)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			seqs = append(seqs, m.Seq)
			var oc outboxChange
			if json.Unmarshal(m.Payload, &oc) == nil && oc.Kind == KindFollowUp && oc.FollowUp != nil {
				answers = append(answers, answerAt{m.Seq, oc.FollowUp})
			}
			for id, ev := range last {
				if ev == m.ID || ev == eventID(n.cfg.Node, m.ID, id) {
					n.cursor[id] = m.Seq
				}
			}
		}
		if len(msgs) < 1000 {
			break
		}
		after = msgs[len(msgs)-1].Seq
	}
	// An answer its partner's stream holds may not be recorded in the State: it is, now,
	// without publishing it again.
	isAnswer := map[int64]bool{}
	for _, a := range answers {
		isAnswer[a.seq] = true
		if n.cursor[a.f.Partner] >= a.seq {
			n.sent[answerID(a.f.ID)] = true
			if err := n.publishAnswer(ctx, a.f); err != nil {
				return err
			}
		}
	}
	// Messages every partner's stream is past were delivered before the crash.
	low := n.minCursor(slices.Sorted(maps.Keys(n.links)))
	var done []int64
	for _, seq := range seqs {
		for _, c := range n.cursor {
			if c >= seq && !isAnswer[seq] { // answers counted by answer
				n.outboxSkipped.Add(1)
			}
		}
		if seq <= low {
			done = append(done, seq)
		}
	}
	return n.opts.Outbox.DeleteOutbox(ctx, done)
}

// lastSent returns the IDs of the events each partner's stream stored last, as many as a
// crash can have left in the outbox after they were stored, and the ID of each stream's
// very last event. JetStream's own de-duplication (by Nats-Msg-Id) covers a window of 10
// minutes; this covers a restart any time later.
func (n *Node) lastSent(ctx context.Context) (ids map[string]bool, last map[string]string, err error) {
	ids, last = map[string]bool{}, map[string]string{}
	for id, l := range n.links {
		s, err := l.js.Stream(ctx, outStream(n.cfg.Node))
		if err != nil {
			return nil, nil, fmt.Errorf("stream %s for %s: %w", outStream(n.cfg.Node), id, err)
		}
		st := s.CachedInfo().State
		for seq := st.LastSeq; seq >= st.FirstSeq && seq > 0 && st.LastSeq-seq < 2*outboxBatch; seq-- {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				continue // removed (age) or never there
			}
			if h := m.Header.Get(nats.MsgIdHdr); h != "" {
				ids[h] = true
				if _, ok := last[id]; !ok {
					last[id] = h
				}
			}
		}
	}
	return ids, last, nil
}

// outgoing is what one outbox message sends: events by partner, or the answer to a
// follow-up request (for answer.Partner).
type outgoing struct {
	events map[string][]*Event
	answer *FollowUp
}

// outgoingOf makes the events of one outbox message, with the records as the store holds
// them now; nil when it sends nothing. A message this node cannot read is logged and
// dropped: kept, it would hold back every message behind it.
func (n *Node) outgoingOf(ctx context.Context, m store.OutboxMessage) (*outgoing, error) {
	var oc outboxChange
	if err := json.Unmarshal(m.Payload, &oc); err == nil && oc.Kind == KindFollowUp {
		if oc.FollowUp == nil || oc.FollowUp.Direction != Incoming || !oc.FollowUp.State.decided() {
			n.log.Error("federation: outbox message dropped", "id", m.ID, "err", "follow-up answer without a decided request")
			return nil, nil
		}
		return &outgoing{answer: oc.FollowUp}, nil
	}
	ch, err := n.changeOf(ctx, m)
	var bad *malformedMessage
	switch {
	case errors.As(err, &bad):
		n.log.Error("federation: outbox message dropped", "id", m.ID, "err", err)
		return nil, nil
	case err != nil:
		return nil, err
	case ch == nil:
		return nil, nil // the person is gone; the deletion or merge has its own message
	}
	out := &outgoing{events: map[string][]*Event{}}
	for _, ev := range n.cfg.Outgoing(*ch, n.now()) {
		out.events[ev.To] = append(out.events[ev.To], ev)
	}
	return out, nil
}

// deliver stores what an outbox message sends one partner in that partner's stream.
func (n *Node) deliver(ctx context.Context, out *outgoing, partner string) error {
	if out == nil {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if out.answer != nil {
		if out.answer.Partner != partner {
			return nil
		}
		return n.publishAnswer(pctx, out.answer)
	}
	for _, ev := range out.events[partner] {
		if n.sent[ev.ID] {
			n.outboxSkipped.Add(1)
			continue
		}
		if err := n.send(pctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// publishMessage publishes the events of one outbox message to every partner.
func (n *Node) publishMessage(ctx context.Context, m store.OutboxMessage) error {
	out, err := n.outgoingOf(ctx, m)
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(n.links)) {
		if err := n.deliver(ctx, out, id); err != nil {
			return err
		}
	}
	return nil
}

type malformedMessage struct{ err error }

func (e *malformedMessage) Error() string { return "malformed outbox message: " + e.err.Error() }

// changeOf rebuilds the change of an outbox message, with the person's record and samples
// as the store holds them now; nil when the person no longer exists.
func (n *Node) changeOf(ctx context.Context, m store.OutboxMessage) (*Change, error) {
	var oc outboxChange
	if err := json.Unmarshal(m.Payload, &oc); err != nil {
		return nil, &malformedMessage{err}
	}
	ch := &Change{ID: m.ID, Kind: oc.Kind, Time: oc.Time}
	if oc.Kind == KindDelete {
		ch.Person = &store.Person{ID: oc.Person, Category: oc.Category, Watch: store.Watch{Level: oc.Watch}}
		return ch, nil
	}
	p, err := n.opts.Records.Person(ctx, oc.Person)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ch.Person = p
	switch oc.Kind {
	case KindEnrol, KindUpdate:
		if ch.Samples, err = n.opts.Records.Samples(ctx, p.ID); err != nil {
			return nil, err
		}
		if oc.Previous {
			ch.Previous = &store.Person{ID: p.ID, Category: oc.Category, Watch: store.Watch{Level: oc.Watch}}
		}
	case KindEncounter:
		if oc.Encounter == nil {
			return nil, &malformedMessage{errors.New("encounter without its encounter")}
		}
		ch.Encounter = oc.Encounter
	default:
		return nil, &malformedMessage{fmt.Errorf("kind %q", oc.Kind)}
	}
	return ch, nil
}
