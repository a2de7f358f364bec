package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/internal/fedtest"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// fedNode is a node with its federation node, served on loopback.
type fedNode struct {
	st    *sqlite.DB
	srv   *Server
	node  *federation.Node
	url   string
	admin string
}

// startFedNode starts a node of organisation org with federation configuration cfg.
func startFedNode(t *testing.T, org string, cfg *federation.Config, key ed25519.PrivateKey) *fedNode {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, err := Bootstrap(ctx, st, org, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(ctx, st, Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	state := federation.NewMemState()
	node, err := federation.Start(ctx, federation.Options{Config: cfg, Key: key, State: state, Searcher: srv,
		Records: st, Audit: st, Outbox: st, OnEvent: srv.OnFederationEvent, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Shutdown)
	if err := srv.SetFederation(ctx, node, state); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fedNode{st: st, srv: srv, node: node, url: hs.URL, admin: admin}
}

// linkedNodes starts "hq" (organisation hq) and "border" (organisation border-police)
// with the configurations of fedtest.Pair, and waits until they are linked.
func linkedNodes(t *testing.T) (hq, border *fedNode) {
	t.Helper()
	h, b := fedtest.Pair(t)
	hq = startFedNode(t, "hq", h.Config, h.Key)
	border = startFedNode(t, "border-police", b.Config, b.Key)
	for deadline := time.Now().Add(20 * time.Second); !border.node.Linked("hq") || !hq.node.Linked("border"); {
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not link")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return hq, border
}

func (n *fedNode) user(t *testing.T, org, name, role string) string {
	t.Helper()
	a := n.srv.entry(&caller{User: store.User{ID: org + "/admin", Org: org, Role: store.RoleAdmin}}, "user.add", name, "")
	_, tok, err := AddUser(context.Background(), n.st, name, org, role, a)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestFederationAPI: a detainee enrolled and put on the alert list at hq reaches border as
// templates; border's encounter with him is red with hq's reference; border queries hq
// and asks for the full record, which hq's analyst releases. Every federation operation
// is checked against the OpenAPI document.
func TestFederationAPI(t *testing.T) {
	hq, border := linkedNodes(t)
	doc := loadOpenAPI(t)
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[int]bool{}
	at := func(n *fedNode) *apiCheck { return &apiCheck{t: t, url: n.url, router: router, seen: seen} }
	H, B := at(hq), at(border)
	hqAnalyst := hq.user(t, "hq", "analyst", store.RoleAnalyst)
	bEnroller := border.user(t, "border-police", "officer", store.RoleEnroller)
	bScreener := border.user(t, "border-police", "guard", store.RoleScreener)
	bAnalyst := border.user(t, "border-police", "analyst", store.RoleAnalyst)

	var enr struct {
		PersonID string `json:"person_id"`
	}
	H.call("POST", "/v1/persons", hq.admin, map[string]any{
		"person":  map[string]any{"name": "Abu Bakr", "category": "detainee"},
		"samples": tplSamples(21, 4, 0)}, 201, &enr)
	// Not yet watched: nothing goes to border. On the alert list: his templates do.
	H.call("PUT", "/v1/persons/"+enr.PersonID+"/watch", hqAnalyst, map[string]any{"level": "alert", "reason": "escaped"}, 200, nil)
	ref := "hq/" + enr.PersonID
	for deadline := time.Now().Add(10 * time.Second); border.srv.partners.watchOf(ref) != store.WatchAlert; {
		if time.Now().After(deadline) {
			t.Fatal("border never received hq's watched detainee")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The guard's hand-held: red, with no name and no reference; the officer sees hq's
	// reference.
	probe := tplSamples(21, 2, 1)
	var guard, officer encounterResponse
	B.call("POST", "/v1/encounters", bScreener, map[string]any{"samples": probe, "place": "crossing 3"}, 201, &guard)
	if !guard.Hit || guard.Watch != store.WatchAlert || guard.Action != "red" || guard.PartnerRef != "" || guard.PersonID != "" {
		t.Errorf("guard's encounter: %+v", guard)
	}
	B.call("POST", "/v1/encounters", bEnroller, map[string]any{"samples": probe, "place": "crossing 3"}, 201, &officer)
	if officer.PartnerRef != ref {
		t.Errorf("officer's encounter: partner_ref %q, want %s", officer.PartnerRef, ref)
	}

	// Hit/no-hit query to hq.
	var ans struct {
		Hit   bool
		Ref   string
		Watch store.WatchLevel
	}
	B.call("POST", "/v1/partners/hq/query", bEnroller, map[string]any{"purpose": "border-control", "samples": probe}, 200, &ans)
	if !ans.Hit || ans.Ref != ref || ans.Watch != store.WatchAlert {
		t.Errorf("query: %+v", ans)
	}
	B.call("POST", "/v1/partners/hq/query", bEnroller, map[string]any{"purpose": "border-control", "samples": tplSamples(22, 2, 1)}, 200, &ans)
	if ans.Hit {
		t.Errorf("query with someone else's fingers: %+v", ans)
	}
	B.call("POST", "/v1/partners/hq/query", bEnroller, map[string]any{"purpose": "tourism", "samples": probe}, 403, nil)
	B.call("POST", "/v1/partners/nope/query", bEnroller, map[string]any{"purpose": "border-control", "samples": probe}, 404, nil)
	B.call("POST", "/v1/partners/hq/query", bEnroller, map[string]any{"samples": probe}, 400, nil)
	B.call("POST", "/v1/partners/hq/query", bEnroller, map[string]any{"purpose": "border-control",
		"samples": []any{map[string]any{"modality": "face", "image": pngBytes(t)}}}, 422, nil)
	B.call("POST", "/v1/partners/hq/query", bAnalyst+"x", map[string]any{"purpose": "border-control", "samples": probe}, 401, nil)
	H.call("POST", "/v1/partners/border/query", hq.user(t, "hq", "auditor", store.RoleAuditor), map[string]any{"purpose": "border-control", "samples": probe}, 403, nil)

	// Follow-up: border's analyst asks for the record; hq's analyst releases it.
	var fu struct {
		FollowUp federation.FollowUp `json:"follow_up"`
	}
	B.call("POST", "/v1/followups", bAnalyst, map[string]any{"ref": ref, "purpose": "border-control", "reason": "seen at crossing 3"}, 201, &fu)
	B.call("POST", "/v1/followups", bAnalyst, map[string]any{"ref": ref, "purpose": "border-control"}, 400, nil)
	B.call("POST", "/v1/followups", bAnalyst, map[string]any{"ref": "nope/P-1", "purpose": "border-control", "reason": "x"}, 404, nil)
	B.call("POST", "/v1/followups", bAnalyst, map[string]any{"ref": ref, "purpose": "tourism", "reason": "x"}, 403, nil)
	B.call("POST", "/v1/followups", bScreener, map[string]any{"ref": ref, "purpose": "border-control", "reason": "x"}, 403, nil)
	var list struct {
		FollowUps []federation.FollowUp `json:"follow_ups"`
	}
	H.call("GET", "/v1/followups", hqAnalyst, nil, 200, &list)
	var incoming string
	for _, f := range list.FollowUps {
		if f.Direction == federation.Incoming && f.Ref == ref && f.State == federation.Pending {
			incoming = f.ID
		}
	}
	if incoming == "" {
		t.Fatalf("hq has no pending request for %s: %+v", ref, list.FollowUps)
	}
	H.call("GET", "/v1/followups", hq.user(t, "hq", "clerk", store.RoleEnroller), nil, 403, nil)
	H.call("POST", "/v1/followups/"+incoming, hq.admin, map[string]any{"approve": true}, 403, nil)
	H.call("POST", "/v1/followups/"+incoming, hqAnalyst, map[string]any{"approve": "yes"}, 400, nil)
	H.call("POST", "/v1/followups/F-NOPE", hqAnalyst, map[string]any{"approve": true}, 404, nil)
	H.call("POST", "/v1/followups/"+incoming, hqAnalyst, map[string]any{"approve": true, "note": "wanted"}, 200, nil)
	H.call("POST", "/v1/followups/"+incoming, hqAnalyst, map[string]any{"approve": false}, 409, nil)

	// Border holds the copy; an enroller may not read it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var got struct {
			Received federation.Received `json:"received"`
		}
		B.call("GET", "/v1/received/"+ref, bAnalyst, nil, 200, &got)
		if got.Received.Watch == store.WatchAlert {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("border's copy of %s: %+v", ref, got.Received)
		}
		time.Sleep(50 * time.Millisecond)
	}
	B.call("GET", "/v1/received/hq/P-NOPE", bAnalyst, nil, 404, nil)
	B.call("GET", "/v1/received/"+ref, bEnroller, nil, 403, nil)

	// Faster than hq's rate for border (fedtest's default, 20 a second in bursts of 40):
	// refused, 429, and the follow-up requests share the rate.
	limited := false
	for i := 0; i < 500 && !limited; i++ {
		code, _ := B.send("POST", "/v1/partners/hq/query", bEnroller, map[string]any{"purpose": "border-control", "samples": probe}, nil)
		limited = code == 429
	}
	if !limited {
		t.Error("500 queries at once, none refused for the rate")
	}
	limited = false
	for i := 0; i < 500 && !limited; i++ {
		code, _ := B.send("POST", "/v1/followups", bAnalyst, map[string]any{"ref": ref, "purpose": "border-control", "reason": "again"}, nil)
		limited = code == 429
	}
	if !limited {
		t.Error("500 follow-up requests at once, none refused for the rate")
	}

	// hq unreachable: 502.
	hq.node.Shutdown()
	B.call("POST", "/v1/partners/hq/query", bEnroller, map[string]any{"purpose": "border-control", "samples": probe}, 502, nil)
	B.call("POST", "/v1/followups", bAnalyst, map[string]any{"ref": ref, "purpose": "border-control", "reason": "again"}, 502, nil)

	// A node without partners says so.
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lone, err := Bootstrap(context.Background(), st, "alone", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), st, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	(&apiCheck{t: t, url: hs.URL, router: router, seen: seen}).call("GET", "/v1/followups", lone, nil, 404, nil)

	// Every documented status of the federation operations was seen (a 413 is what the
	// main document test checks for every operation with a body).
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !slices.Contains([]string{"queryPartner", "listFollowUps", "requestFollowUp", "decideFollowUp", "receivedRecord"}, op.OperationID) {
				continue
			}
			for code := range op.Responses.Map() {
				n, _ := strconv.Atoi(code)
				if n == 500 || n == 413 || n == 401 && op.OperationID != "queryPartner" {
					continue
				}
				if !seen[op.OperationID][n] {
					t.Errorf("%s %s (%s): documented status %d never seen", method, path, op.OperationID, n)
				}
			}
		}
	}
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pngEncode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
