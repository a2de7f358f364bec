package federation

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

// Both States keep the same contract; the SQLite one keeps it across a reopen.
func TestState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "federation.db")
	for _, c := range []struct {
		name   string
		open   func() State
		reopen bool
	}{
		{"mem", func() State { return NewMemState() }, false},
		{"sqlite", func() State {
			s, err := OpenSQLState(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s := c.open()
			ev := &Event{ID: "e1", Origin: "hq", Ref: "hq/P-1", Time: time.Unix(100, 0).UTC()}
			if _, ok, err := s.AppliedAt(ctx, "hq", "e1"); ok || err != nil {
				t.Fatal(ok, err)
			}
			fu := &FollowUp{ID: "f1", Direction: Outgoing, Partner: "hq", Ref: "hq/P-1", State: Released, Requested: time.Unix(50, 0).UTC()}
			if err := s.Apply(ctx, Applied{Event: ev, Seq: 7, Put: received(ev), FollowUp: fu}); err != nil {
				t.Fatal(err)
			}
			if err := s.PutFollowUp(ctx, &FollowUp{ID: "f0", State: Pending, Requested: time.Unix(10, 0).UTC()}); err != nil {
				t.Fatal(err)
			}
			if c.reopen {
				s.(*SQLState).Close()
				s = c.open()
			}
			if seq, ok, err := s.AppliedAt(ctx, "hq", "e1"); seq != 7 || !ok || err != nil {
				t.Fatal(seq, ok, err)
			}
			if _, ok, _ := s.AppliedAt(ctx, "other", "e1"); ok {
				t.Fatal("applied IDs are per origin")
			}
			if r, err := s.Received(ctx, "hq/P-1"); err != nil || r.Event != "e1" || r.Origin != "hq" {
				t.Fatal(r, err)
			}
			fs, err := s.FollowUps(ctx)
			if err != nil || len(fs) != 2 || fs[0].ID != "f0" || fs[1].State != Released {
				t.Fatal(fs, err)
			}
			// Erase, and a second event ID.
			del := &Event{ID: "e2", Origin: "hq", Ref: "hq/P-1"}
			if err := s.Apply(ctx, Applied{Event: del, Seq: 8, Erase: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Received(ctx, "hq/P-1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			if _, err := s.FollowUp(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
		})
	}
}

// A receiving node whose state is on disk applies nothing twice across a restart, even
// when its stream is replayed from the start (a lost consumer position).
func TestRestartWithSQLState(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	path := filepath.Join(t.TempDir(), "federation.db")
	reopen := func() {
		s, err := OpenSQLState(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		border.opts.State = s
	}
	border.stop()
	reopen()
	border.restart()
	border.waitLinked("hq")
	ctx := context.Background()
	for i := range 10 {
		if _, err := hq.Publish(ctx, hq.enrol("P-"+itoa(i), "N", "suspect", store.WatchAlert, []byte(itoa(i)))); err != nil {
			t.Fatal(err)
		}
	}
	border.wait(10, 10*time.Second)
	border.stop()
	// Lose the consumer's position: every event is delivered again from the stream.
	reopen()
	border.restart()
	if err := border.links["hq"].js.DeleteConsumer(ctx, inStream("hq"), "apply"); err != nil {
		t.Fatal(err)
	}
	border.stop()
	border.restart()
	border.quiet(time.Second)
	r, err := border.opts.State.Received(ctx, "hq/P-9")
	if err != nil || r.Origin != "hq" {
		t.Fatal(r, err)
	}
	// Each event came again at the sequence it was applied at: a redelivery, acknowledged
	// without being applied again or audited as a replay.
	if got := border.redelivered.Load(); got != 10 {
		t.Fatalf("%d redeliveries, want 10", got)
	}
	for _, e := range border.audits("federation.event") {
		if e.Result != "accepted enrol" {
			t.Fatalf("audit after redelivery: %+v", e)
		}
	}
}
