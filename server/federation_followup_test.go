package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/internal/nodetest"
)

// An analyst at hq approves border's follow-up request and refuses another through the
// API while hq's federation side is down, as after a crash between the decision's commit
// and the answer's publication; hq restarts (store, server and federation) and border gets
// the released record and the refusal, each exactly once; a second restart sends nothing.
func TestFollowUpRestartBetweenCommitAndPublish(t *testing.T) {
	hq, border := nodetest.StartLinked(t)
	H := &node{t: t, url: hq.URL, st: hq.Store, admin: hq.Admin}
	B := &node{t: t, url: border.URL, st: border.Store, admin: border.Admin}
	hqAnalyst := H.user("analyst", "hq", "analyst")
	bAnalyst := B.user("analyst", "border-police", "analyst")
	prints := fingerPrints(t)
	var enr enrolResp
	H.must(H.call("POST", "/v1/persons", hq.Admin, map[string]any{
		"person":  map[string]any{"name": "Abu Bakr", "category": "detainee"},
		"samples": []any{fingerSample(2, prints[0][0]), fingerSample(7, prints[1][0])}}, &enr), 201)
	ref := "hq/" + enr.PersonID
	ask := func(reason string) string {
		var out struct {
			FollowUp federation.FollowUp `json:"follow_up"`
		}
		B.must(B.call("POST", "/v1/followups", bAnalyst, map[string]any{"ref": ref, "purpose": "border-control", "reason": reason}, &out), 201)
		return out.FollowUp.ID
	}
	release, refuse := ask("seen at crossing 3"), ask("seen again")

	hq.Federation.Shutdown()
	var d struct {
		FollowUp federation.FollowUp `json:"follow_up"`
	}
	H.must(H.call("POST", "/v1/followups/"+release, hqAnalyst, map[string]any{"approve": true, "note": "wanted"}, &d), 200)
	if d.FollowUp.State != federation.Approved {
		t.Fatalf("decided: %+v", d.FollowUp)
	}
	H.must(H.call("POST", "/v1/followups/"+refuse, hqAnalyst, map[string]any{"approve": false, "note": "no"}, nil), 200)
	H.must(H.call("POST", "/v1/followups/"+release, hqAnalyst, map[string]any{"approve": false}, nil), 409)
	if ms, err := hq.Store.OutboxMessages(context.Background(), federation.OutboxTopic, 0); err != nil || len(ms) != 2 {
		t.Fatalf("hq's outbox: %d messages, %v; want the 2 answers", len(ms), err)
	}
	time.Sleep(300 * time.Millisecond)
	if f, _ := border.Federation.FollowUps(context.Background()); len(f) != 2 || f[0].State != federation.Pending || f[1].State != federation.Pending {
		t.Fatalf("border heard an answer with hq's federation down: %+v", f)
	}

	hq.Restart(t)
	H.url, H.st = hq.URL, hq.Store
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var got struct {
			Received federation.Received `json:"received"`
		}
		if B.call("GET", "/v1/received/"+ref, bAnalyst, nil, &got) == 200 && got.Received.Level == federation.Full {
			if got.Received.Person == nil || got.Received.Person.Name != "Abu Bakr" || len(got.Received.Samples) != 2 {
				t.Fatalf("border's copy: %+v", got.Received)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the released record never reached border")
		}
	}
	waitStates := func(n *nodetest.Node, want map[string]federation.FollowUpState) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			fs, _ := n.Federation.FollowUps(context.Background())
			ok := len(fs) == len(want)
			for _, f := range fs {
				ok = ok && f.State == want[f.ID]
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("follow-ups: %+v, want %v", fs, want)
			}
		}
	}
	want := map[string]federation.FollowUpState{release: federation.Released, refuse: federation.Refused}
	waitStates(border, want)
	waitStates(hq, want)

	hq.Restart(t) // nothing is left to send
	time.Sleep(1500 * time.Millisecond)
	if ms, _ := hq.Store.OutboxMessages(context.Background(), federation.OutboxTopic, 0); len(ms) != 0 {
		t.Fatalf("hq's outbox keeps %d", len(ms))
	}
	accepted := map[string]int{}
	err := border.Store.EachAudit(context.Background(), 0, func(e *audit.Entry) error {
		if e.Action == "federation.event" {
			if !strings.HasPrefix(e.Result, "accepted") {
				t.Errorf("border: %s %s", e.Target, e.Result)
			}
			accepted[e.Result]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if accepted["accepted follow-up"] != 2 {
		t.Errorf("border accepted %v, want 2 follow-up answers", accepted)
	}
	decisions := map[string]int{}
	hq.Store.EachAudit(context.Background(), 0, func(e *audit.Entry) error {
		if strings.HasPrefix(e.Action, "federation.follow-up.") {
			decisions[e.Action+" "+e.Result]++
		}
		return nil
	})
	for k, n := range map[string]int{"federation.follow-up.decide approved": 1, "federation.follow-up.decide refused": 1,
		"federation.follow-up.decide denied: approved": 1, "federation.follow-up.answer released": 1, "federation.follow-up.answer refused": 1} {
		if decisions[k] != n {
			t.Errorf("hq audited %q %d times, want %d (all: %v)", k, decisions[k], n, decisions)
		}
	}
}
