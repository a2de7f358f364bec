package federation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

func countTemplates(t *testing.T, tn *testNode) int {
	t.Helper()
	n := 0
	for _, m := range []store.Modality{store.Finger, store.Face} {
		if err := tn.st.EachTemplate(context.Background(), m, func(store.Sample) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// Hit/no-hit: a partner's probe finds a reference number and watch level, nothing about a
// person outside the agreement, nothing for a purpose not agreed; the probe is not kept;
// both sides audit the query.
func TestHitNoHitQuery(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(HitNoHit, "border-control")})
	w.cfgs["hq"].Partners[0].QueryRate = 1e6 // the round trips below go flat out
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()
	hq.enrol("P-1", "Wanted", "suspect", store.WatchDetain, []byte("T1"))
	hq.enrol("P-2", "Visitor", "traveller", store.WatchAlert, []byte("T2"))
	before := countTemplates(t, hq)
	by := Caller{User: "guard-7", Org: "border-police", Role: store.RoleScreener}
	probe := func(tpl string) []Probe { return []Probe{{Modality: store.Finger, Position: 2, Template: []byte(tpl)}} }

	a, err := border.Query(ctx, "hq", "border-control", probe("T1"), by)
	if err != nil || !a.Hit || a.Ref != "hq/P-1" || a.Watch != store.WatchDetain {
		t.Fatalf("hit: %+v, %v", a, err)
	}
	// The hit/no-hit agreement pushes nothing.
	border.quiet(100 * time.Millisecond)
	for _, tpl := range []string{"T-unknown", "T2"} { // unknown; a traveller, outside the agreement
		a, err := border.Query(ctx, "hq", "border-control", probe(tpl), by)
		if err != nil || a.Hit || a.Ref != "" || a.Watch != "" {
			t.Fatalf("%s: %+v, %v", tpl, a, err)
		}
	}
	if _, err := border.Query(ctx, "hq", "tax-collection", probe("T1"), by); !errors.Is(err, ErrDenied) {
		t.Fatalf("purpose not agreed: %v", err)
	}
	if _, err := border.Query(ctx, "hq", "border-control", []Probe{{Modality: store.Face, Template: []byte("face-P-1")}}, by); !errors.Is(err, ErrDenied) {
		t.Fatalf("modality not agreed: %v", err)
	}

	// A query with a name in it is malformed; a replayed query is refused.
	l := border.links["hq"]
	type namedProbe struct {
		Probe
		Name string `json:"name"`
	}
	named := struct {
		Query
		Probes []namedProbe `json:"probes"`
	}{Query: Query{ID: newID(), From: "border", To: "hq", Purpose: "border-control", Time: time.Now().UTC()}, Probes: []namedProbe{{probe("T1")[0], "Wanted"}}}
	var ans Answer
	if err := border.request(ctx, l, "hit-no-hit", ctxQuery, named, &ans); err != nil || !strings.Contains(ans.Denied, "unknown field") {
		t.Fatalf("query with a name: %+v, %v", ans, err)
	}
	q := Query{ID: newID(), From: "border", To: "hq", Purpose: "border-control", Time: time.Now().UTC(), Probes: probe("T1")}
	for i, want := range []string{"", "replay"} {
		ans = Answer{}
		if err := border.request(ctx, l, "hit-no-hit", ctxQuery, q, &ans); err != nil || !strings.Contains(ans.Denied, want) || (want == "") != ans.Hit {
			t.Fatalf("send %d of the same query: %+v, %v", i+1, ans, err)
		}
	}

	if n := countTemplates(t, hq); n != before {
		t.Fatalf("the queried node holds %d templates, had %d: a probe was kept", n, before)
	}
	var results []string
	for _, e := range hq.audits("federation.query") {
		if e.Org != "border" || e.Role != "partner" {
			t.Errorf("hq audit entry: %+v", e)
		}
		results = append(results, e.Result)
	}
	want := []string{"hit detain", "no-hit", "no-hit", "denied", "denied", "denied", "hit detain", "denied"}
	if len(results) != len(want) {
		t.Fatalf("hq audited %q", results)
	}
	for i := range want {
		if !strings.HasPrefix(results[i], want[i]) {
			t.Fatalf("hq audited %q, want prefixes %q", results, want)
		}
	}
	sent := border.audits("federation.query.sent")
	if len(sent) != 5 || sent[0].User != "guard-7" || sent[0].Result != "hit hq/P-1 detain" || sent[0].Purpose != "border-control" {
		t.Fatalf("border audited %+v", sent)
	}

	// Round trip, for the figures.
	var rtt []time.Duration
	for range 100 {
		start := time.Now()
		if _, err := border.Query(ctx, "hq", "border-control", probe("T1"), by); err != nil {
			t.Fatal(err)
		}
		rtt = append(rtt, time.Since(start))
	}
	slices.Sort(rtt)
	t.Logf("hit/no-hit round trip over the link (100 queries, 2-person gallery): p50 %s, p95 %s, max %s", rtt[50], rtt[95], rtt[99])
}

// A follow-up request waits for an analyst of the owning organisation; the record is
// released only after approval; refused and expired requests are answered so.
func TestFollowUp(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(HitNoHit, "border-control")})
	w.cfgs["hq"].FollowUpTTL = Duration(24 * time.Hour)
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()
	hq.enrol("P-1", "Wanted Person", "suspect", store.WatchDetain, []byte("T1"))
	by := Caller{User: "officer-3", Org: "border-police", Role: store.RoleAnalyst}

	if _, err := border.RequestFollowUp(ctx, "hq/P-1", "tax-collection", "no agreement", by); !errors.Is(err, ErrDenied) {
		t.Fatalf("purpose not agreed: %v", err)
	}
	if _, err := border.RequestFollowUp(ctx, "hq/P-404", "border-control", "no such record", by); !errors.Is(err, ErrDenied) {
		t.Fatalf("unknown record: %v", err)
	}
	f, err := border.RequestFollowUp(ctx, "hq/P-1", "border-control", "detained at crossing 4", by)
	if err != nil || f.State != Pending {
		t.Fatalf("request: %+v, %v", f, err)
	}
	border.quiet(200 * time.Millisecond) // nothing is released before a decision
	if _, err := border.state.Received(ctx, "hq/P-1"); err == nil {
		t.Fatal("record held before approval")
	}
	fs, err := hq.FollowUps(ctx)
	if err != nil || len(fs) != 1 || fs[0].ID != f.ID || fs[0].State != Pending || fs[0].Reason != "detained at crossing 4" {
		t.Fatalf("queued at hq: %+v, %v", fs, err)
	}
	for _, c := range []Caller{
		{User: "e1", Org: "unit-a", Role: store.RoleEnroller},
		{User: "a9", Org: "unit-b", Role: store.RoleAnalyst},
	} {
		if _, err := hq.DecideFollowUp(ctx, f.ID, c, true, ""); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%+v decided: %v", c, err)
		}
	}
	analyst := Caller{User: "a1", Org: "unit-a", Role: store.RoleAnalyst}
	d, err := hq.DecideFollowUp(ctx, f.ID, analyst, true, "ok for detention review")
	if err != nil || d.State != Approved {
		t.Fatalf("approve: %+v, %v", d, err) // released once the outbox published the record
	}
	ev := border.wait(1, 10*time.Second)[0]
	if ev.Kind != KindFollowUp || ev.FollowUp.State != Released || ev.Person == nil || ev.Person.Name != "Wanted Person" ||
		len(ev.Samples) != 1 || ev.Samples[0].Modality != store.Finger || string(ev.Samples[0].Image) != "png-bytes" {
		t.Fatalf("released: %+v", ev)
	}
	r, err := border.state.Received(ctx, "hq/P-1")
	if err != nil || r.Person.Name != "Wanted Person" || r.Origin != "hq" {
		t.Fatalf("copy: %+v, %v", r, err)
	}
	if got, _ := border.state.FollowUp(ctx, f.ID); got.State != Released {
		t.Fatalf("border's request: %+v", got)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, _ := hq.state.FollowUp(ctx, f.ID)
		if got.State == Released && got.Answered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hq's request: %+v", got)
		}
	}
	if _, err := hq.DecideFollowUp(ctx, f.ID, analyst, false, ""); !errors.Is(err, ErrNotPending) {
		t.Fatalf("decided twice: %v", err)
	}

	refused, err := border.RequestFollowUp(ctx, "hq/P-1", "border-control", "again", by)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hq.DecideFollowUp(ctx, refused.ID, analyst, false, "not needed"); err != nil {
		t.Fatal(err)
	}
	ev = border.wait(1, 10*time.Second)[0]
	if ev.FollowUp.State != Refused || ev.FollowUp.Note != "not needed" || ev.Person != nil || ev.Samples != nil {
		t.Fatalf("refused: %+v", ev)
	}

	late, err := border.RequestFollowUp(ctx, "hq/P-1", "border-control", "once more", by)
	if err != nil {
		t.Fatal(err)
	}
	hq.clock.advance(25 * time.Hour)
	if err := hq.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	ev = border.wait(1, 10*time.Second)[0]
	if ev.FollowUp.Request != late.ID || ev.FollowUp.State != Expired || ev.Person != nil {
		t.Fatalf("expired: %+v", ev)
	}
	if _, err := hq.DecideFollowUp(ctx, late.ID, analyst, true, ""); !errors.Is(err, ErrNotPending) {
		t.Fatalf("approved after expiry: %v", err)
	}
	var results []string
	for _, e := range hq.audits("federation.follow-up") {
		results = append(results, e.Action+" "+e.Result)
	}
	for _, want := range []string{"federation.follow-up.decide denied", "federation.follow-up.decide approved", "federation.follow-up.decide denied: released",
		"federation.follow-up.expire expired", "federation.follow-up.answer released", "federation.follow-up.answer refused", "federation.follow-up.answer expired"} {
		if !slices.Contains(results, want) {
			t.Errorf("hq audit lacks %q: %q", want, results)
		}
	}
}
