package federation

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

// A partner whose link drops receives, once it is back, every event published meanwhile,
// each exactly once and in order; a restart of the receiving or the sending node loses
// and repeats nothing either.
func TestLinkDropCatchUp(t *testing.T) {
	w := newWorld(t, "hq", "border")
	px := newProxy(t, w.cfgs["hq"].NATS.LeafListen)
	w.link("border", "hq", px.addr(), nil, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	hq.waitLinked("border")
	ctx := context.Background()

	sent := map[string]bool{}
	publish := func(i int) {
		ch := hq.enrol(fmt.Sprintf("P-%04d", i), "Name", "suspect", store.WatchAlert, []byte(fmt.Sprintf("tpl-%d", i)))
		evs, err := hq.Publish(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Fatalf("%d events for one partner", len(evs))
		}
		sent[evs[0].ID] = true
	}
	for i := range 5 {
		publish(i)
	}
	border.wait(5, 10*time.Second)

	px.cut()
	for hq.Linked("border") || border.Linked("hq") {
		time.Sleep(10 * time.Millisecond)
	}
	const down = 200
	for i := 5; i < 5+down; i++ {
		publish(i)
	}
	border.quiet(300 * time.Millisecond)
	start := time.Now()
	px.restore()
	border.wait(down, 30*time.Second)
	t.Logf("catch-up of %d events after the link returned: %s", down, time.Since(start))

	// The receiving node stops, events keep coming, it starts again.
	border.stop()
	for i := 5 + down; i < 5+down+20; i++ {
		publish(i)
	}
	border.restart()
	border.wait(20, 30*time.Second)

	// The link drops, events wait in hq's stream, hq stops and starts again: they are
	// still delivered when the link returns.
	px.cut()
	for i := 5 + down + 20; i < 5+down+30; i++ {
		publish(i)
	}
	hq.stop()
	hq.restart()
	px.restore()
	border.wait(10, 30*time.Second)
	border.quiet(500 * time.Millisecond)

	border.mu.Lock()
	defer border.mu.Unlock()
	if len(border.events) != len(sent) {
		t.Fatalf("received %d events, sent %d", len(border.events), len(sent))
	}
	seen := map[string]bool{}
	for i, ev := range border.events {
		if !sent[ev.ID] || seen[ev.ID] {
			t.Fatalf("event %d (%s): unknown or duplicate", i, ev.ID)
		}
		seen[ev.ID] = true
		if want := Ref("hq", fmt.Sprintf("P-%04d", i)); ev.Ref != want {
			t.Fatalf("event %d is %s, want %s (out of order)", i, ev.Ref, want)
		}
		if ev.Person != nil || len(ev.Samples) != 1 || ev.Samples[0].Modality != store.Finger || ev.Samples[0].Image != nil {
			t.Fatalf("event %d not stripped to the templates level: %+v", i, ev)
		}
	}
	r, err := border.state.Received(ctx, Ref("hq", "P-0100"))
	if err != nil || r.Origin != "hq" || r.Watch != store.WatchAlert {
		t.Fatalf("received copy: %+v, %v", r, err)
	}
}

// A link down for longer than the server's own retry intervals (BIOMESH_FED_OUTAGE, e.g.
// 2m; skipped when unset) catches up as soon as it returns.
func TestLongOutage(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("BIOMESH_FED_OUTAGE"))
	if err != nil {
		t.Skip("BIOMESH_FED_OUTAGE not set")
	}
	w := newWorld(t, "hq", "border")
	px := newProxy(t, w.cfgs["hq"].NATS.LeafListen)
	w.link("border", "hq", px.addr(), nil, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()
	px.cut()
	const total = 1000
	start := time.Now()
	for i := range total {
		if _, err := hq.Publish(ctx, hq.enrol(fmt.Sprintf("P-%d", i), "N", "suspect", store.WatchAlert, []byte(fmt.Sprint(i)))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(d - time.Since(start))
	border.quiet(0)
	back := time.Now()
	px.restore()
	got := border.wait(total, 60*time.Second)
	t.Logf("link down %s with %d events waiting: all delivered %s after it returned", d, total, time.Since(back))
	for i, ev := range got {
		if ev.Ref != fmt.Sprintf("hq/P-%d", i) {
			t.Fatalf("event %d is %s", i, ev.Ref)
		}
	}
	border.quiet(500 * time.Millisecond)
}

// Publishing the same change again (after a crash, or a Publish that failed half way)
// reaches the partner once.
func TestPublishAgain(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()
	ch := hq.enrol("P-1", "N", "suspect", store.WatchAlert, []byte("T1"))
	ch.ID = "audit-42"
	for range 3 {
		if _, err := hq.Publish(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	ch.ID = "audit-43"
	if _, err := hq.Publish(ctx, ch); err != nil {
		t.Fatal(err)
	}
	got := border.wait(2, 10*time.Second)
	if got[0].ID == got[1].ID {
		t.Fatal("two changes, one event ID")
	}
	border.quiet(500 * time.Millisecond)
	for _, e := range border.audits("federation.event") {
		if e.Result != "accepted enrol" {
			t.Fatalf("%+v", e)
		}
	}
}
