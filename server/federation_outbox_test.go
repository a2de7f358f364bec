package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/internal/fedtest"
	"github.com/biomesh/biomesh/store"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Changes committed through the API while hq's federation side is down (as after a crash
// between the commit and the publication) reach border when hq starts again: each event
// once, none rejected.
func TestFederationOutboxRestart(t *testing.T) {
	h, b := fedtest.Pair(t)
	hq := startFedNode(t, "hq", h.Config, h.Key)
	border := startFedNode(t, "border-police", b.Config, b.Key)
	for deadline := time.Now().Add(20 * time.Second); !border.node.Linked("hq") || !hq.node.Linked("border"); {
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not link")
		}
		time.Sleep(50 * time.Millisecond)
	}
	doc := loadOpenAPI(t)
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	H := &apiCheck{t: t, url: hq.url, router: router, seen: map[string]map[int]bool{}}
	analyst := hq.user(t, "hq", "analyst", store.RoleAnalyst)
	enrol := func(seed int) string {
		var enr struct {
			PersonID string `json:"person_id"`
		}
		H.call("POST", "/v1/persons", hq.admin, map[string]any{
			"person": map[string]any{"name": "Detainee", "category": "detainee"}, "samples": tplSamples(seed, 2, 0)}, 201, &enr)
		return enr.PersonID
	}
	watched := func(id string) bool { return border.srv.partners.watchOf("hq/"+id) == store.WatchAlert }

	p0 := enrol(31)
	H.call("PUT", "/v1/persons/"+p0+"/watch", analyst, map[string]any{"level": "alert", "reason": "r"}, 200, nil)
	for deadline := time.Now().Add(10 * time.Second); !watched(p0); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("border never received the first watched detainee")
		}
	}

	// hq's federation side dies; the API goes on committing.
	hq.node.Shutdown()
	ids := []string{enrol(32), enrol(33), enrol(34)}
	for _, id := range ids {
		H.call("PUT", "/v1/persons/"+id+"/watch", analyst, map[string]any{"level": "alert", "reason": "r"}, 200, nil)
	}
	pending, err := hq.st.OutboxMessages(context.Background(), federation.OutboxTopic, 0)
	if err != nil || len(pending) != 6 {
		t.Fatalf("outbox: %d messages, %v; want 6 (3 enrolments, 3 watch changes)", len(pending), err)
	}
	time.Sleep(300 * time.Millisecond)
	for _, id := range ids {
		if watched(id) {
			t.Fatalf("%s reached border with hq's federation down", id)
		}
	}

	// hq starts again over the same store and streams.
	ctx := context.Background()
	srv, err := New(ctx, hq.st, Config{Logger: hq.srv.cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	state := federation.NewMemState()
	node, err := federation.Start(ctx, federation.Options{Config: h.Config, Key: h.Key, State: state, Searcher: srv,
		Records: hq.st, Audit: hq.st, Outbox: hq.st, OnEvent: srv.OnFederationEvent, Logger: hq.srv.cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Shutdown)
	if err := srv.SetFederation(ctx, node, state); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !watched(ids[0]) || !watched(ids[1]) || !watched(ids[2]); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the changes committed while hq's federation was down never reached border")
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if pending, _ = hq.st.OutboxMessages(ctx, federation.OutboxTopic, 0); len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d", len(pending))
		}
	}
	time.Sleep(500 * time.Millisecond)
	// Each message is published with the record as it is then: p0's enrolment, published
	// while he was not watched, sent nothing; the others', published after the watch
	// changes, sent the enrolment and the update. Border accepted each event once and
	// rejected nothing (a second copy of an event would be rejected as a replay).
	accepted := map[string]int{}
	err = border.st.EachAudit(ctx, 0, func(e *audit.Entry) error {
		if e.Action != "federation.event" {
			return nil
		}
		if !strings.HasPrefix(e.Result, "accepted") {
			t.Errorf("border: %s %s", e.Target, e.Result)
		}
		accepted[e.Target]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"hq/" + p0: 1}
	for _, id := range ids {
		want["hq/"+id] = 2
	}
	if len(accepted) != len(want) {
		t.Errorf("border accepted events for %v, want %v", accepted, want)
	}
	for ref, n := range want {
		if accepted[ref] != n {
			t.Errorf("border accepted %d events for %s, want %d", accepted[ref], ref, n)
		}
	}
}
