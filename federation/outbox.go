package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// drainOutbox publishes every message in the outbox, in commit order, one batch at a time,
// and removes each batch once all of it is stored in the partners' streams. At start, what
// the streams hold last is read first, so that what was published before a crash, but not
// yet removed from the outbox, is not published twice.
func (n *Node) drainOutbox(ctx context.Context) error {
	ob := n.opts.Outbox
	for {
		msgs, err := ob.OutboxMessages(ctx, OutboxTopic, outboxBatch)
		if err != nil || len(msgs) == 0 {
			return err
		}
		if !n.tailRead {
			if n.sent, err = n.lastSent(ctx); err != nil {
				return err
			}
			n.tailRead = true
		}
		var done []int64
		for _, m := range msgs {
			if err := n.publishMessage(ctx, m); err != nil {
				return errors.Join(err, ob.DeleteOutbox(ctx, done))
			}
			done = append(done, m.Seq)
		}
		if err := ob.DeleteOutbox(ctx, done); err != nil {
			return err
		}
		n.sent = nil // the streams' tails are needed only until the first batch left again
		if len(msgs) < outboxBatch {
			return nil
		}
	}
}

// lastSent returns the IDs of the events each partner's stream stored last, as many as a
// crash can have left in the outbox after they were stored. JetStream's own de-duplication
// (by Nats-Msg-Id) covers a window of 10 minutes; this covers a restart any time later.
func (n *Node) lastSent(ctx context.Context) (map[string]bool, error) {
	ids := map[string]bool{}
	for id, l := range n.links {
		s, err := l.js.Stream(ctx, outStream(n.cfg.Node))
		if err != nil {
			return nil, fmt.Errorf("stream %s for %s: %w", outStream(n.cfg.Node), id, err)
		}
		st := s.CachedInfo().State
		for seq := st.LastSeq; seq >= st.FirstSeq && seq > 0 && st.LastSeq-seq < 2*outboxBatch; seq-- {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				continue // removed (age) or never there
			}
			if h := m.Header.Get(nats.MsgIdHdr); h != "" {
				ids[h] = true
			}
		}
	}
	return ids, nil
}

// publishMessage publishes the events of one outbox message. A message this node cannot
// read is logged and dropped: kept, it would hold back every message behind it.
func (n *Node) publishMessage(ctx context.Context, m store.OutboxMessage) error {
	var oc outboxChange
	if err := json.Unmarshal(m.Payload, &oc); err == nil && oc.Kind == KindFollowUp {
		if oc.FollowUp == nil || oc.FollowUp.Direction != Incoming || !oc.FollowUp.State.decided() {
			n.log.Error("federation: outbox message dropped", "id", m.ID, "err", "follow-up answer without a decided request")
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return n.publishAnswer(pctx, oc.FollowUp)
	}
	ch, err := n.changeOf(ctx, m)
	var bad *malformedMessage
	switch {
	case errors.As(err, &bad):
		n.log.Error("federation: outbox message dropped", "id", m.ID, "err", err)
		return nil
	case err != nil:
		return err
	case ch == nil:
		return nil // the person is gone; the deletion or merge has its own message
	}
	for _, ev := range n.cfg.Outgoing(*ch, n.now()) {
		if n.sent[ev.ID] {
			n.outboxSkipped.Add(1)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := n.send(pctx, ev)
		cancel()
		if err != nil {
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
