package federation

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// alertOnly is a templates agreement for suspects at watch level alert or detain: setting
// such a person's watch to none withdraws the record.
func alertOnly() Agreement {
	a := agree(Templates, "border-control")
	a.WatchLevels = []store.WatchLevel{store.WatchAlert, store.WatchDetain}
	return a
}

func sysEntry(action, target string) *audit.Entry {
	return &audit.Entry{Time: time.Now(), User: "u1", Org: "unit-a", Role: store.RoleAdmin, Action: action, Target: target, Result: "ok"}
}

// enrolShared enrols a suspect at watch level alert as the node does: the person and the
// outbox message that shares it in one transaction, then Notify (when the node runs).
func (tn *testNode) enrolShared(n *Node, id string) {
	tn.t.Helper()
	now := time.Now().UTC()
	p := &store.Person{ID: id, Org: "unit-a", Name: "Name " + id, Category: "suspect", Watch: store.Watch{Level: store.WatchAlert}, Created: now, Updated: now}
	ss := []store.Sample{{Modality: store.Finger, Position: 2, Template: []byte("tpl-" + id), Quality: 80, Captured: now}}
	m, err := n.Message(Change{Kind: KindEnrol, Person: p})
	if err != nil {
		tn.t.Fatal(err)
	}
	if err := tn.st.CreatePerson(context.Background(), p, ss, sysEntry("person.enrol", id), m); err != nil {
		tn.t.Fatal(err)
	}
	if tn.Node != nil {
		tn.Notify()
	}
}

// unwatchShared sets a person's watch to none with the outbox message of the update.
func (tn *testNode) unwatchShared(n *Node, id string) {
	tn.t.Helper()
	ctx := context.Background()
	prev, err := tn.st.Person(ctx, id)
	if err != nil {
		tn.t.Fatal(err)
	}
	p := *prev
	p.Watch = store.Watch{Level: store.WatchNone}
	m, err := n.Message(Change{Kind: KindUpdate, Person: &p, Previous: prev})
	if err != nil {
		tn.t.Fatal(err)
	}
	if err := tn.st.SetWatch(ctx, id, p.Watch, sysEntry("watch.set", id), m); err != nil {
		tn.t.Fatal(err)
	}
	if tn.Node != nil {
		tn.Notify()
	}
}

func (tn *testNode) outboxLen() int {
	tn.t.Helper()
	ms, err := tn.st.OutboxMessages(context.Background(), OutboxTopic, 10000)
	if err != nil {
		tn.t.Fatal(err)
	}
	return len(ms)
}

// checkOnce fails unless the events received are want, each exactly once, and no
// event was rejected (as a replay, say).
func checkOnce(t *testing.T, tn *testNode, want int) {
	t.Helper()
	tn.quiet(500 * time.Millisecond)
	tn.mu.Lock()
	defer tn.mu.Unlock()
	seen := map[string]bool{}
	for _, ev := range tn.events {
		if seen[ev.ID] {
			t.Errorf("event %s (%s %s) applied twice", ev.ID, ev.Kind, ev.Ref)
		}
		seen[ev.ID] = true
	}
	if len(tn.events) != want {
		t.Errorf("%d events received, want %d", len(tn.events), want)
	}
	for _, e := range tn.audits("federation.event") {
		if e.Result[:8] == "rejected" {
			t.Errorf("rejection audited: %+v", e)
		}
	}
}

// A node that stops (crashes) after changes committed and before they were published
// publishes them when it starts again; one that crashed after publishing, before the
// outbox knew, publishes nothing twice. The partner receives each event once.
func TestOutboxCrash(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{alertOnly()})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	hq.waitLinked("border")

	// Running: a change leaves at once.
	n := hq.Node
	start := time.Now()
	hq.enrolShared(n, "P-0")
	if ev := border.wait(1, 10*time.Second)[0]; ev.Ref != "hq/P-0" || ev.Kind != KindEnrol {
		t.Fatalf("%+v", ev)
	}
	t.Logf("commit to partner through the outbox: %s", time.Since(start))

	// Committed, then the node died before publishing.
	hq.stop()
	for i := 1; i <= 20; i++ {
		hq.enrolShared(n, fmt.Sprintf("P-%d", i))
	}
	for i := 1; i <= 5; i++ {
		hq.unwatchShared(n, fmt.Sprintf("P-%d", i)) // withdrawals
	}
	if got := hq.outboxLen(); got != 25 {
		t.Fatalf("outbox holds %d, want 25", got)
	}
	border.quiet(300 * time.Millisecond)
	hq.restart()
	// In commit order, and each as the record is when published: P-1 to P-5, withdrawn
	// before they left, are not sent; their withdrawals are.
	evs := border.wait(20, 20*time.Second)
	for i, ev := range evs {
		want, kind := fmt.Sprintf("hq/P-%d", i+6), KindEnrol
		if i >= 15 {
			want, kind = fmt.Sprintf("hq/P-%d", i-14), KindWithdraw
		}
		if ev.Ref != want || ev.Kind != kind {
			t.Fatalf("event %d: %s %s, want %s %s", i, ev.Kind, ev.Ref, kind, want)
		}
	}
	for hq.outboxLen() != 0 {
		time.Sleep(10 * time.Millisecond)
	}

	// Published, then the node died before the outbox was emptied: a node without the
	// outbox publishes the messages, and the node that starts again finds the messages
	// still there and their events already in the stream.
	hq.stop()
	for i := 21; i <= 30; i++ {
		hq.enrolShared(n, fmt.Sprintf("P-%d", i))
	}
	opts := hq.opts
	opts.Outbox = nil
	crashing, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := hq.st.OutboxMessages(context.Background(), OutboxTopic, 100)
	if err != nil || len(ms) != 10 {
		t.Fatalf("outbox: %d, %v", len(ms), err)
	}
	for _, m := range ms {
		if err := crashing.publishMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	border.wait(10, 20*time.Second)
	crashing.Shutdown()
	hq.restart()
	for hq.outboxLen() != 0 {
		time.Sleep(10 * time.Millisecond)
	}
	if s := hq.outboxSkipped.Load(); s != 10 {
		t.Errorf("%d events found already published, want 10", s)
	}
	checkOnce(t, border, 1+20+10)
}

// A node whose NATS server (external, nats.url) is down when changes commit publishes them
// when the server is back; the partner receives each once, in order.
func TestOutboxNATSDown(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{alertOnly()})
	hqCfg := w.cfgs["hq"]
	secret := w.cfgs["border"].Partners[0].Link.Secret
	_, port, err := listenAddr("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir, leaf, certs := t.TempDir(), hqCfg.NATS.LeafListen, hqCfg.NATS.TLS
	ext := startExternal(t, certs, leaf, secret, dir, port)
	t.Cleanup(func() { ext.Shutdown() })
	hqCfg.NATS = NATS{URL: "nats://" + net.JoinHostPort("127.0.0.1", itoa(port))}
	hqCfg.Partners[0].Link = Link{User: "hq-node", Password: "node-password-123"}
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	n := hq.Node
	hq.enrolShared(n, "P-0")
	border.wait(1, 15*time.Second)

	ext.Shutdown()
	ext.WaitForShutdown()
	for hq.links["border"].nc.IsConnected() {
		time.Sleep(10 * time.Millisecond)
	}
	for i := 1; i <= 20; i++ {
		hq.enrolShared(n, fmt.Sprintf("P-%d", i))
	}
	hq.unwatchShared(n, "P-3")
	for deadline := time.Now().Add(20 * time.Second); hq.outboxFailures.Load() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt to publish while NATS was down")
		}
	}
	if got := hq.outboxLen(); got != 21 {
		t.Fatalf("outbox holds %d with NATS down, want 21", got)
	}

	ext = startExternal(t, certs, leaf, secret, dir, port)
	start := time.Now()
	// P-3 was withdrawn before it left: its withdrawal is sent, not its enrolment.
	evs := border.wait(20, 60*time.Second)
	t.Logf("20 events delivered %s after NATS returned", time.Since(start))
	i := 0
	for k := 1; k <= 20; k++ {
		if k == 3 {
			continue
		}
		if evs[i].Ref != fmt.Sprintf("hq/P-%d", k) || evs[i].Kind != KindEnrol {
			t.Fatalf("event %d: %s %s", i, evs[i].Kind, evs[i].Ref)
		}
		i++
	}
	if evs[19].Kind != KindWithdraw || evs[19].Ref != "hq/P-3" {
		t.Fatalf("last event: %s %s", evs[19].Kind, evs[19].Ref)
	}
	for hq.outboxLen() != 0 {
		time.Sleep(10 * time.Millisecond)
	}
	checkOnce(t, border, 21)
}

// Enrolments committed with their outbox messages by four writers as fast as the store
// takes them reach the partner each once: the rate and the delay from the commit to the
// partner's OnEvent (BIOMESH_FED_OUTBOX_N enrolments, default 500).
func TestOutboxThroughput(t *testing.T) {
	total := 500
	if v := os.Getenv("BIOMESH_FED_OUTBOX_N"); v != "" {
		total, _ = strconv.Atoi(v)
	}
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{alertOnly()})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	hq.waitLinked("border")
	var mu sync.Mutex
	committed := map[string]time.Time{}
	start := time.Now()
	const writers = 4 // as concurrent requests would; the store serialises the commits
	for k := range writers {
		go func() {
			for i := k; i < total; i += writers {
				id := fmt.Sprintf("P-%05d", i)
				hq.enrolShared(hq.Node, id)
				mu.Lock()
				committed["hq/"+id] = time.Now()
				mu.Unlock()
			}
		}()
	}
	seen := map[string]bool{}
	var delays []time.Duration
	deadline := time.After(120 * time.Second)
	for i := range total {
		select {
		case ev := <-border.got:
			at := time.Now()
			if seen[ev.Ref] {
				t.Fatalf("event %d: %s again", i, ev.Ref)
			}
			seen[ev.Ref] = true
			mu.Lock()
			c, ok := committed[ev.Ref]
			mu.Unlock()
			if ok { // else it arrived before enrolShared returned
				delays = append(delays, at.Sub(c))
			} else {
				delays = append(delays, 0)
			}
		case <-deadline:
			t.Fatalf("%d of %d events after 120 s", i, total)
		}
	}
	elapsed := time.Since(start)
	slices.Sort(delays)
	t.Logf("%d enrolments through the outbox in %.2f s (%.0f a second): delay from commit p50 %s, p95 %s, max %s",
		total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), delays[len(delays)/2], delays[len(delays)*95/100], delays[len(delays)-1])
	for hq.outboxLen() != 0 {
		time.Sleep(10 * time.Millisecond)
	}
	border.mu.Lock()
	border.events = border.events[:0] // checked above; checkOnce counts what follows
	border.mu.Unlock()
	checkOnce(t, border, 0)
}

// refuse makes the stream of what tn sends partner refuse new events (on) or take them
// again (off), as a full stream or a broken disk would.
func (tn *testNode) refuse(partner string, on bool) {
	tn.t.Helper()
	ctx := context.Background()
	l := tn.links[partner]
	s, err := l.js.Stream(ctx, outStream(tn.id))
	if err != nil {
		tn.t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxMsgs, cfg.Discard = -1, jetstream.DiscardOld
	if on {
		cfg.MaxMsgs, cfg.Discard = int64(s.CachedInfo().State.Msgs), jetstream.DiscardNew
	}
	if _, err := l.js.UpdateStream(ctx, cfg); err != nil {
		tn.t.Fatal(err)
	}
}

// Order is kept per partner: a partner whose stream refuses is held back alone, and gets
// its events in order when it takes them again, or after a restart; the others are not
// held, and get nothing twice after the restart.
func TestOutboxPartnerRefuses(t *testing.T) {
	w := newWorld(t, "hq", "border", "hub")
	w.link("border", "hq", "", nil, []Agreement{alertOnly()})
	w.link("hub", "hq", "", nil, []Agreement{alertOnly()})
	hq, border, hub := w.start("hq"), w.start("border"), w.start("hub")
	border.waitLinked("hq")
	hub.waitLinked("hq")
	hq.waitLinked("border", "hub")
	n := hq.Node
	hq.enrolShared(n, "P-0")
	border.wait(1, 10*time.Second)
	hub.wait(1, 10*time.Second)
	inOrder := func(evs []*Event, from int) {
		t.Helper()
		for i, ev := range evs {
			if want := fmt.Sprintf("hq/P-%d", from+i); ev.Ref != want {
				t.Fatalf("event %d: %s, want %s", i, ev.Ref, want)
			}
		}
	}

	hq.refuse("border", true)
	for i := 1; i <= 5; i++ {
		hq.enrolShared(n, fmt.Sprintf("P-%d", i))
	}
	inOrder(hub.wait(5, 10*time.Second), 1)
	border.quiet(500 * time.Millisecond)
	if got := hq.outboxLen(); got != 5 {
		t.Fatalf("outbox holds %d, want the 5 border has not taken", got)
	}
	if hq.outboxFailures.Load() == 0 {
		t.Error("no failure counted for border's refusals")
	}
	hq.refuse("border", false)
	inOrder(border.wait(5, 20*time.Second), 1)
	for deadline := time.Now().Add(10 * time.Second); hq.outboxLen() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("outbox holds %d", hq.outboxLen())
		}
	}

	// Held back again, then hq restarts: hub is not sent again what it has.
	hq.refuse("border", true)
	for i := 6; i <= 10; i++ {
		hq.enrolShared(n, fmt.Sprintf("P-%d", i))
	}
	inOrder(hub.wait(5, 10*time.Second), 6)
	border.quiet(300 * time.Millisecond)
	hq.stop()
	hq.restart() // its streams set up again: border's takes events again
	inOrder(border.wait(5, 20*time.Second), 6)
	for deadline := time.Now().Add(10 * time.Second); hq.outboxLen() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("outbox holds %d", hq.outboxLen())
		}
	}
	checkOnce(t, hub, 11)
	checkOnce(t, border, 11)
}
