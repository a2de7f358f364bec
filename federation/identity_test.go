package federation

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

// A partner's certificate decides whose account its link enters: police, a partner with a
// certificate from the same authority and border's leaked secret, cannot link as border.
// On its own link, police cannot send events or queries as border either. Every refusal
// is audited on hq and changes nothing there.
func TestPartnerIdentityBound(t *testing.T) {
	w := newWorld(t, "hq", "border", "police")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	w.link("police", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	w.cfgs["hq"].Partners[0].Send = []Agreement{agree(HitNoHit, "border-control")}
	w.cfgs["hq"].Partners[1].Send = []Agreement{agree(HitNoHit, "border-control")}
	hq := w.start("hq")
	hq.enrol("P-1", "Wanted", "suspect", store.WatchDetain, []byte("T1"))

	// The impostor: border's configuration and secret, police's certificate and key.
	real := *w.cfgs["border"]
	fake := real
	fake.NATS.StoreDir, fake.NATS.LeafListen, fake.NATS.TLS = t.TempDir(), "", w.cfgs["police"].NATS.TLS
	fake.Partners = append([]Partner(nil), real.Partners...)
	w.cfgs["border"], w.keys["border"] = &fake, w.keys["police"]
	impostor := w.start("border")
	time.Sleep(3 * time.Second)
	if hq.Linked("border") || impostor.Linked("hq") {
		t.Fatal("police's certificate with border's secret linked as border")
	}
	var refused []string
	for _, e := range hq.audits("federation.link") {
		refused = append(refused, e.Result)
	}
	if len(refused) == 0 || !strings.HasPrefix(refused[0], "rejected: ") || !strings.Contains(refused[0], "authentication") {
		t.Fatalf("hq audited %q for the refused link", refused)
	}
	// Once a minute per remote host and reason, not once per retry.
	if len(refused) > 1 {
		t.Errorf("%d audit entries for one refused partner in 3 s: %q", len(refused), refused)
	}
	impostor.stop()

	police := w.start("police")
	police.waitLinked("hq")
	hq.waitLinked("police")

	// Police, on its own link, asks as border: refused.
	ctx := context.Background()
	q := Query{ID: newID(), From: "border", To: "hq", Purpose: "border-control", Time: time.Now().UTC(),
		Probes: []Probe{{Modality: store.Finger, Template: []byte("T1")}}}
	var ans Answer
	if err := police.request(ctx, police.links["hq"], "hit-no-hit", ctxQuery, q, &ans); err != nil || ans.Hit || !strings.Contains(ans.Denied, "signed by \"police\"") {
		t.Fatalf("query as border on police's link: %+v, %v", ans, err)
	}
	// And publishes an event about one of border's records.
	ev := &Event{ID: newID(), Origin: "border", To: "hq", Kind: KindEnrol, Time: time.Now().UTC(), Purpose: "border-control",
		Level: Templates, Ref: "border/B-1", Category: "suspect", Watch: store.WatchAlert}
	if err := police.send(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var got []string
		for _, e := range hq.audits("federation.event") {
			got = append(got, e.Result)
		}
		if len(got) == 1 && strings.Contains(got[0], `signed by "police" for origin "border"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hq audited %q for police's event as border", got)
		}
	}
	if _, err := hq.state.Received(ctx, "border/B-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("hq stored police's event as border's: %v", err)
	}
	denied := hq.audits("federation.query")
	if len(denied) != 1 || denied[0].Org != "police" || !strings.HasPrefix(denied[0].Result, "denied: ") {
		t.Fatalf("hq audited %+v for police's query as border", denied)
	}
}

// A partner asking faster than its rate is refused before any search, clearly and with
// an audit entry; follow-up requests share the rate; the rate comes back with time.
func TestQueryRateLimit(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(HitNoHit, "border-control")})
	w.cfgs["hq"].Partners[0].QueryRate, w.cfgs["hq"].Partners[0].QueryBurst = 2, 3
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	hq.enrol("P-1", "Wanted", "suspect", store.WatchDetain, []byte("T1"))
	ctx := context.Background()
	by := Caller{User: "guard-7", Org: "border-police", Role: store.RoleScreener}
	probe := []Probe{{Modality: store.Finger, Position: 2, Template: []byte("T1")}}
	for i := range 3 {
		if a, err := border.Query(ctx, "hq", "border-control", probe, by); err != nil || !a.Hit {
			t.Fatalf("query %d within the burst: %+v, %v", i+1, a, err)
		}
	}
	_, err := border.Query(ctx, "hq", "border-control", probe, by)
	if !errors.Is(err, ErrRateLimited) || !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "more than 2 requests a second (bursts of 3)") {
		t.Fatalf("fourth query at once: %v", err)
	}
	if _, err := border.RequestFollowUp(ctx, "hq/P-1", "border-control", "seen", by); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("follow-up beyond the rate: %v", err)
	}
	if fs, _ := hq.state.FollowUps(ctx); len(fs) != 0 {
		t.Fatalf("hq queued a follow-up refused for the rate: %+v", fs)
	}
	if hq.search.queries != 3 {
		t.Fatalf("hq searched %d times for 3 queries allowed", hq.search.queries)
	}
	var results []string
	for _, e := range append(hq.audits("federation.query"), hq.audits("federation.follow-up")...) {
		results = append(results, e.Result)
	}
	if len(results) != 5 || !strings.HasPrefix(results[3], "denied: rate limited") || !strings.HasPrefix(results[4], "denied: rate limited") {
		t.Fatalf("hq audited %q", results)
	}
	time.Sleep(600 * time.Millisecond) // one request's worth at 2 a second
	if a, err := border.Query(ctx, "hq", "border-control", probe, by); err != nil || !a.Hit {
		t.Fatalf("query after the rate came back: %+v, %v", a, err)
	}
}

// The dialling side accepts only a server certificate that names the partner: border,
// told that hq's certificate names "hq-central", refuses the one that names "hq", and
// audits it.
func TestDialerChecksPartnerCertificate(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", nil, []Agreement{agree(Templates, "border-control")})
	w.cfgs["border"].Partners[0].Link.CertName = "hq-central"
	hq, border := w.start("hq"), w.start("border")
	time.Sleep(3 * time.Second)
	if hq.Linked("border") || border.Linked("hq") {
		t.Fatal("linked to a server whose certificate does not name the partner")
	}
	got := border.audits("federation.link")
	if len(got) != 1 || !strings.Contains(got[0].Result, `does not name "hq-central"`) {
		t.Fatalf("border audited %+v", got)
	}
}
