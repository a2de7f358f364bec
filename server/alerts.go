package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/biomesh/biomesh/store"
)

// alert is one encounter with a person at watch level alert or detain.
type alert struct {
	ID          uint64           `json:"id"`
	Time        time.Time        `json:"time"`
	EncounterID string           `json:"encounter_id"`
	Watch       store.WatchLevel `json:"watch"`
	Place       string           `json:"place,omitempty"`
	Lat         *float64         `json:"lat,omitempty"`
	Lon         *float64         `json:"lon,omitempty"`
	Unit        string           `json:"unit,omitempty"`
	Org         string           `json:"org"` // the organisation whose unit made the encounter
	PersonID    string           `json:"person_id,omitempty"`
	Owner       string           `json:"owner,omitempty"` // the organisation that owns the person's record
	Reason      string           `json:"reason,omitempty"`
	Name        string           `json:"name,omitempty"`
	Score       float64          `json:"score,omitempty"`
}

// forCaller strips what the caller may not see: screeners get the watch level, where, when
// and the encounter reference; other roles also the person ID; analysts and admins of the
// owning organisation also the name and the watch reason.
func (a alert) forCaller(c *caller) alert {
	if !c.seesRecords(a.Owner) {
		a.Name, a.Reason = "", ""
	}
	if c.Role == store.RoleScreener {
		a.PersonID, a.Owner, a.Score = "", "", 0
	}
	return a
}

// hub fans alerts out to the connected streams and keeps the last few for clients that
// reconnect with Last-Event-ID.
type hub struct {
	mu     sync.Mutex
	next   uint64
	subs   map[chan alert]struct{}
	ring   []alert
	keep   int
	closed bool
}

// newHub returns a hub whose alert IDs continue above those of earlier runs of the node:
// they start at the start time in microseconds, so a client reconnecting with the last ID
// it saw from a previous run gets everything this run kept.
func newHub(keep int) *hub {
	return &hub{subs: map[chan alert]struct{}{}, keep: keep, next: uint64(time.Now().UnixMicro())}
}

// publish assigns the alert its ID and delivers it. A subscriber too slow to take it (its
// buffer full) misses it live but can catch up from the ring with Last-Event-ID.
func (h *hub) publish(a alert) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	a.ID = h.next
	h.ring = append(h.ring, a)
	if len(h.ring) > h.keep {
		h.ring = h.ring[len(h.ring)-h.keep:]
	}
	for ch := range h.subs {
		select {
		case ch <- a:
		default:
		}
	}
}

// subscribe returns a channel of new alerts and, when replay is set, the kept alerts with
// an ID above after.
func (h *hub) subscribe(after uint64, replay bool) (chan alert, []alert) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan alert, 64)
	if h.closed {
		close(ch)
		return ch, nil
	}
	h.subs[ch] = struct{}{}
	var backlog []alert
	for _, a := range h.ring {
		if replay && a.ID > after {
			backlog = append(backlog, a)
		}
	}
	return ch, backlog
}

func (h *hub) unsubscribe(ch chan alert) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// alertStream is GET /v1/alerts, a server-sent-event stream: one "alert" event per
// encounter with a person at watch level alert or detain, as it happens, and a comment
// every 15 s to keep proxies from closing the connection.
func (s *Server) alertStream(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.require(r, c, "alerts", ""); err != nil {
		return err
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("alerts: the response writer cannot stream")
	}
	var after uint64
	id := r.Header.Get("Last-Event-ID")
	if id != "" {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return bad(http.StatusBadRequest, "Last-Event-ID %q: not an alert ID", id)
		}
		after = n
	}
	if err := s.audit(r.Context(), c, "alerts.subscribe", "", "ok"); err != nil {
		return err
	}
	ch, backlog := s.alerts.subscribe(after, id != "")
	defer s.alerts.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": biomesh alerts\n\n")
	send := func(a alert) error {
		b, _ := json.Marshal(a.forCaller(c))
		_, err := fmt.Fprintf(w, "id: %d\nevent: alert\ndata: %s\n\n", a.ID, b)
		fl.Flush()
		return err
	}
	for _, a := range backlog {
		if send(a) != nil {
			return nil
		}
	}
	fl.Flush()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case a, ok := <-ch:
			if !ok {
				return nil
			}
			if send(a) != nil {
				return nil
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			fl.Flush()
		}
	}
}
