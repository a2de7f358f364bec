package federation

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

func encounter(p *store.Person, place string) Change {
	lat := 12.5
	return Change{Kind: KindEncounter, Person: p, Encounter: &store.Encounter{
		ID: newID(), PersonID: p.ID, Time: time.Now().UTC(), Place: place, Lat: &lat, Org: "unit-a", User: "u1",
		Unit: "patrol-9", Hit: true, Watch: p.Watch.Level, Outcome: "detained",
	}}
}

// Encounters with watched persons reach a connected partner's feed within 2 s.
func TestEncounterFeedLatency(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()
	p := hq.enrol("P-1", "Wanted", "suspect", store.WatchAlert, []byte("T1")).Person
	calm := hq.enrol("P-2", "Nobody", "suspect", store.WatchNone, []byte("T2")).Person

	const n = 100
	var lat []time.Duration
	for i := range n {
		// An encounter with an unwatched person is no feed event.
		if evs, err := hq.Publish(ctx, encounter(calm, "gate 1")); err != nil || len(evs) != 0 {
			t.Fatalf("unwatched: %v, %v", evs, err)
		}
		start := time.Now()
		if _, err := hq.Publish(ctx, encounter(p, fmt.Sprintf("gate %d", i))); err != nil {
			t.Fatal(err)
		}
		ev := border.wait(1, 5*time.Second)[0]
		lat = append(lat, time.Since(start))
		if ev.Kind != KindEncounter || ev.Ref != "hq/P-1" || ev.Watch != store.WatchAlert || ev.Encounter.Place != fmt.Sprintf("gate %d", i) {
			t.Fatalf("feed event %d: %+v", i, ev)
		}
		if ev.Encounter.Lat != nil || ev.Encounter.Unit != "" || ev.Encounter.Outcome != "" {
			t.Fatalf("templates level carries full encounter details: %+v", ev.Encounter)
		}
	}
	slices.Sort(lat)
	t.Logf("encounter feed, publish to partner's handler (%d events): p50 %s, p95 %s, max %s", n, lat[n/2], lat[n*95/100], lat[n-1])
	if lat[n-1] > 2*time.Second {
		t.Fatalf("slowest feed event took %s", lat[n-1])
	}
}

// A hub shares with each member what that member's agreement allows and nothing else; a
// member holds the hub's records only as the hub sent them.
func TestHubSharesPerAgreement(t *testing.T) {
	w := newWorld(t, "hub", "m1", "m2")
	m1Agree := agree(Full, "counter-terrorism")
	m2Agree := agree(Templates, "border-control")
	m2Agree.Categories = []string{"detainee"}
	w.link("m1", "hub", "", nil, []Agreement{m1Agree})
	w.link("m2", "hub", "", nil, []Agreement{m2Agree})
	hub, m1, m2 := w.start("hub"), w.start("m1"), w.start("m2")
	m1.waitLinked("hub")
	m2.waitLinked("hub")
	ctx := context.Background()

	if _, err := hub.Publish(ctx, hub.enrol("P-1", "Suspect One", "suspect", store.WatchAlert, []byte("T1"))); err != nil {
		t.Fatal(err)
	}
	det := hub.enrol("P-2", "Detainee Two", "detainee", store.WatchMonitor, []byte("T2"))
	if _, err := hub.Publish(ctx, det); err != nil {
		t.Fatal(err)
	}
	got := m1.wait(2, 10*time.Second)
	if got[0].Person == nil || got[0].Person.Name != "Suspect One" || string(got[0].Samples[0].Image) != "png-bytes" {
		t.Fatalf("m1 (full): %+v", got[0])
	}
	e := m2.wait(1, 10*time.Second)[0]
	if e.Ref != "hub/P-2" || e.Person != nil || e.Samples[0].Image != nil || len(e.Samples) != 1 {
		t.Fatalf("m2 (templates, detainees): %+v", e)
	}
	m2.quiet(300 * time.Millisecond)

	// The detainee is released: m2's agreement no longer covers the record, so m2 is told
	// to withdraw its copy; m1 gets the update.
	prev := *det.Person
	now := *det.Person
	now.Category = "traveller"
	if _, err := hub.Publish(ctx, Change{Kind: KindUpdate, Person: &now, Previous: &prev, Samples: det.Samples}); err != nil {
		t.Fatal(err)
	}
	if e := m2.wait(1, 10*time.Second)[0]; e.Kind != KindWithdraw || e.Samples != nil {
		t.Fatalf("m2 withdraw: %+v", e)
	}
	if _, err := m2.state.Received(ctx, "hub/P-2"); err == nil {
		t.Fatal("m2 still holds the withdrawn record")
	}
	if e := m1.wait(1, 10*time.Second)[0]; e.Kind != KindWithdraw {
		t.Fatalf("m1 (traveller is outside its agreement too): %+v", e)
	}
	// A deletion goes to every member whose agreement covers the person as it was; one
	// outside every agreement goes nowhere.
	for _, c := range []struct{ id, category string }{{"P-3", "detainee"}, {"P-4", "traveller"}} {
		if _, err := hub.Publish(ctx, Change{Kind: KindDelete, Person: hub.enrol(c.id, "X", c.category, store.WatchNone, []byte(c.id)).Person}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*testNode{m1, m2} {
		if e := m.wait(1, 10*time.Second)[0]; e.Kind != KindDelete || e.Ref != "hub/P-3" {
			t.Fatalf("%s: %+v", m.id, e)
		}
		m.quiet(200 * time.Millisecond)
	}
}

// A hub relays to many members (BIOMESH_FED_NODES, default 20 nodes in all): every member
// gets every event once.
func TestHubManyMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many servers")
	}
	nodes := 20
	if s := os.Getenv("BIOMESH_FED_NODES"); s != "" {
		nodes, _ = strconv.Atoi(s)
	}
	ids := []string{"hub"}
	for i := 1; i < nodes; i++ {
		ids = append(ids, fmt.Sprintf("m%02d", i))
	}
	w := newWorld(t, ids...)
	for _, id := range ids[1:] {
		w.link(id, "hub", "", nil, []Agreement{agree(Templates, "police-cooperation")})
	}
	start := time.Now()
	hub := w.start("hub")
	members := make([]*testNode, 0, nodes-1)
	for _, id := range ids[1:] {
		members = append(members, w.start(id))
	}
	for _, m := range members {
		m.waitLinked("hub")
	}
	t.Logf("%d nodes started and linked in %s", nodes, time.Since(start))
	ctx := context.Background()
	const events = 50
	start = time.Now()
	for i := range events {
		if evs, err := hub.Publish(ctx, hub.enrol(fmt.Sprintf("P-%d", i), "N", "suspect", store.WatchAlert, []byte(fmt.Sprint(i)))); err != nil || len(evs) != nodes-1 {
			t.Fatalf("%d events, %v", len(evs), err)
		}
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			got := m.wait(events, 60*time.Second)
			for i, ev := range got {
				if ev.Ref != fmt.Sprintf("hub/P-%d", i) || ev.To != m.id {
					t.Errorf("%s: event %d is %s for %s", m.id, i, ev.Ref, ev.To)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d enrolments to each of %d members (%d events) in %s", events, nodes-1, events*(nodes-1), time.Since(start))
	for _, m := range members {
		m.quiet(0)
	}
}

// Enrolments replicated to a partner at a sustained rate (BIOMESH_FED_RATE per second,
// default 250; 0 for as fast as one publisher goes), BIOMESH_FED_EVENTS of them (default
// 2000): achieved rate, and delay from publication to the partner's handler.
func TestReplicationThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("throughput figure")
	}
	total := 2000
	if s := os.Getenv("BIOMESH_FED_EVENTS"); s != "" {
		total, _ = strconv.Atoi(s)
	}
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()
	changes := make([]Change, total)
	tpl := make([]byte, 600) // the size of a finger template with ~50 minutiae
	for i := range changes {
		p := &store.Person{ID: fmt.Sprintf("P-%d", i), Org: "unit-a", Category: "suspect", Watch: store.Watch{Level: store.WatchAlert}}
		changes[i] = Change{Kind: KindEnrol, Person: p, Samples: []store.Sample{{Modality: store.Finger, Position: 1, Template: tpl}}}
	}
	rate := 250
	if s := os.Getenv("BIOMESH_FED_RATE"); s != "" {
		rate, _ = strconv.Atoi(s)
	}
	start := time.Now()
	go func() {
		for i, ch := range changes {
			if rate > 0 {
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
			}
			if _, err := hq.Publish(ctx, ch); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	delays := make([]time.Duration, 0, total)
	for range total {
		select {
		case ev := <-border.got:
			delays = append(delays, time.Since(ev.Time))
			if want := fmt.Sprintf("hq/P-%d", len(delays)-1); ev.Ref != want {
				t.Fatalf("got %s, want %s", ev.Ref, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d after a 30 s pause", len(delays), total)
		}
	}
	el := time.Since(start)
	slices.Sort(delays)
	t.Logf("%d enrolments offered at %d/s replicated in %s: %.0f/s; delay p50 %s, p95 %s, max %s", total, rate, el, float64(total)/el.Seconds(),
		delays[total/2], delays[total*95/100], delays[total-1])
}
