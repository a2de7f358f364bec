package federation

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/biomesh/biomesh/store"
)

// Received is a partner's record as this node holds it: what the latest accepted event of
// its origin said. Only events signed by Origin change it.
type Received struct {
	Origin   string           `json:"origin"`
	Ref      string           `json:"ref"`
	Purpose  string           `json:"purpose"`
	Level    Level            `json:"level"`
	Category string           `json:"category,omitempty"`
	Watch    store.WatchLevel `json:"watch,omitempty"`
	Person   *SharedPerson    `json:"person,omitempty"`
	Samples  []SharedSample   `json:"samples,omitempty"`
	Updated  time.Time        `json:"updated"` // time of the event that last set it
	Event    string           `json:"event"`   // ID of that event
}

// Applied is one accepted event and its effect on the received copies.
type Applied struct {
	Event *Event
	Seq   uint64    // sequence in this node's stream of events received from Event.Origin
	Put   *Received // the copy of Event.Ref to store, or nil
	Erase bool      // erase the copy of Event.Ref
	// FollowUp, when set, is this node's follow-up request the event answers, in its new
	// state, to store with the rest.
	FollowUp *FollowUp
}

// State is the federation's persistence, implemented by the node (or MemState). Every
// method is safe for concurrent use and durable when it returns nil.
type State interface {
	// AppliedAt returns the stream sequence at which the event with this ID from origin
	// was applied; ok is false when it never was.
	AppliedAt(ctx context.Context, origin, id string) (seq uint64, ok bool, err error)
	// Apply records the event as applied, changes the received copy and stores the
	// follow-up, atomically: after a crash either all happened or none.
	Apply(ctx context.Context, a Applied) error
	// Received returns the copy held of a partner's record (store.ErrNotFound if none).
	Received(ctx context.Context, ref string) (*Received, error)
	// PutFollowUp inserts or replaces a follow-up request by ID.
	PutFollowUp(ctx context.Context, f *FollowUp) error
	// FollowUp returns one (store.ErrNotFound if none).
	FollowUp(ctx context.Context, id string) (*FollowUp, error)
	// FollowUps lists all, oldest first.
	FollowUps(ctx context.Context) ([]FollowUp, error)
}

// MemState is a State in memory: for tests and for nodes that accept losing federation
// state on restart (a node that restarts with an empty State applies every event still in
// its stream again).
type MemState struct {
	mu        sync.Mutex
	applied   map[[2]string]uint64
	received  map[string]Received
	followUps map[string]FollowUp
}

// NewMemState returns an empty MemState.
func NewMemState() *MemState {
	return &MemState{applied: map[[2]string]uint64{}, received: map[string]Received{}, followUps: map[string]FollowUp{}}
}

// AppliedAt implements State.
func (m *MemState) AppliedAt(_ context.Context, origin, id string) (uint64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seq, ok := m.applied[[2]string{origin, id}]
	return seq, ok, nil
}

// Apply implements State.
func (m *MemState) Apply(_ context.Context, a Applied) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applied[[2]string{a.Event.Origin, a.Event.ID}] = a.Seq
	if a.Erase {
		delete(m.received, a.Event.Ref)
	}
	if a.Put != nil {
		m.received[a.Event.Ref] = *a.Put
	}
	if a.FollowUp != nil {
		m.followUps[a.FollowUp.ID] = *a.FollowUp
	}
	return nil
}

// Received implements State.
func (m *MemState) Received(_ context.Context, ref string) (*Received, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.received[ref]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &r, nil
}

// PutFollowUp implements State.
func (m *MemState) PutFollowUp(_ context.Context, f *FollowUp) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.followUps[f.ID] = *f
	return nil
}

// FollowUp implements State.
func (m *MemState) FollowUp(_ context.Context, id string) (*FollowUp, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.followUps[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &f, nil
}

// FollowUps implements State.
func (m *MemState) FollowUps(context.Context) ([]FollowUp, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []FollowUp
	for _, f := range m.followUps {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b FollowUp) int { return a.Requested.Compare(b.Requested) })
	return out, nil
}
