package federation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

// Follow-up answers leave through the outbox: decided while the owner's federation side is
// down (as after a crash right after the decision's commit), they reach the requester when
// it starts again; a decision whose State update was lost still holds, and a second
// decision is refused, audited, and changes nothing; an answer published just before a
// crash (the State not told) is not published again. Each answer arrives once.
func TestFollowUpOutboxCrash(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(HitNoHit, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	hq.waitLinked("border")
	ctx := context.Background()
	hq.enrol("P-1", "Wanted Person", "suspect", store.WatchDetain, []byte("T1"))
	by := Caller{User: "officer-3", Org: "border-police", Role: store.RoleAnalyst}
	analyst := Caller{User: "a1", Org: "unit-a", Role: store.RoleAnalyst}
	ask := func(reason string) string {
		t.Helper()
		f, err := border.RequestFollowUp(ctx, "hq/P-1", "border-control", reason, by)
		if err != nil {
			t.Fatal(err)
		}
		return f.ID
	}
	f1, f2, f3 := ask("one"), ask("two"), ask("three")

	n := hq.Node
	hq.stop()
	if d, err := n.DecideFollowUp(ctx, f1, analyst, true, "release"); err != nil || d.State != Approved {
		t.Fatalf("approve: %+v, %v", d, err)
	}
	if _, err := n.DecideFollowUp(ctx, f2, analyst, false, "not needed"); err != nil {
		t.Fatal(err)
	}
	// The State lost f1's decision (a crash between the store's commit and the State's
	// write): the decision committed with its outbox message stands, and another is refused.
	lost, _ := hq.state.FollowUp(ctx, f1)
	lost.State, lost.DecidedBy = Pending, ""
	if err := hq.state.PutFollowUp(ctx, lost); err != nil {
		t.Fatal(err)
	}
	if _, err := n.DecideFollowUp(ctx, f1, analyst, false, "changed my mind"); !errors.Is(err, ErrNotPending) {
		t.Fatalf("second decision: %v", err)
	}
	if got := hq.outboxLen(); got != 2 {
		t.Fatalf("outbox holds %d, want 2 answers", got)
	}
	border.quiet(300 * time.Millisecond)

	hq.restart()
	got := map[string]*Event{}
	for _, ev := range border.wait(2, 20*time.Second) {
		got[ev.FollowUp.Request] = ev
	}
	if ev := got[f1]; ev == nil || ev.FollowUp.State != Released || ev.Person == nil || ev.Person.Name != "Wanted Person" || ev.FollowUp.Note != "release" {
		t.Fatalf("f1: %+v", ev)
	}
	if ev := got[f2]; ev == nil || ev.FollowUp.State != Refused || ev.Person != nil || ev.Samples != nil {
		t.Fatalf("f2: %+v", ev)
	}

	// Published, then the node died before the State or the outbox knew: the node that
	// starts again finds the answer in the stream and does not publish it again.
	n = hq.Node
	hq.stop()
	if _, err := n.DecideFollowUp(ctx, f3, analyst, true, ""); err != nil {
		t.Fatal(err)
	}
	opts := hq.opts
	opts.Outbox, opts.State = nil, NewMemState()
	crashing, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := hq.st.OutboxMessages(ctx, OutboxTopic, 100)
	if err != nil || len(ms) != 1 {
		t.Fatalf("outbox: %d, %v", len(ms), err)
	}
	if err := crashing.publishMessage(ctx, ms[0]); err != nil {
		t.Fatal(err)
	}
	if ev := border.wait(1, 20*time.Second)[0]; ev.FollowUp.Request != f3 || ev.FollowUp.State != Released {
		t.Fatalf("f3: %+v", ev)
	}
	crashing.Shutdown()
	hq.restart()
	for deadline := time.Now().Add(10 * time.Second); hq.outboxLen() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the outbox keeps f3's answer")
		}
	}
	if s := hq.outboxSkipped.Load(); s != 1 {
		t.Errorf("%d answers found already published, want 1", s)
	}
	for id, want := range map[string]FollowUpState{f1: Released, f2: Refused, f3: Released} {
		if f, _ := hq.state.FollowUp(ctx, id); f.State != want || !f.Answered {
			t.Errorf("hq's %s: %+v, want %s and answered", id, f, want)
		}
		if f, _ := border.state.FollowUp(ctx, id); f.State != want {
			t.Errorf("border's %s: %+v, want %s", id, f, want)
		}
	}
	checkOnce(t, border, 3)
	var denied int
	for _, e := range hq.audits("federation.follow-up.decide") {
		if e.Result == "denied: decided already" {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("%d refused second decisions audited, want 1", denied)
	}
}
