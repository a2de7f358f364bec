package server

import (
	"context"
	"crypto/ecdh"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/field"
	"github.com/biomesh/biomesh/store/sqlite"
)

// TestDeviceAPI runs the field-kit operations against a real node, validating requests and
// answers against openapi.json, and sees every documented status of them.
func TestDeviceAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	admin, err := Bootstrap(ctx, st, "org-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const maxBody = 1 << 20
	srv, err := New(ctx, st, Config{MaxBody: maxBody, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer srv.alerts.close()
	a := &apiCheck{t: t, url: hs.URL, router: router, seen: map[string]map[int]bool{}}
	ae := &audit.Entry{Time: time.Now(), User: "test"}
	_, screener, err := AddUser(ctx, st, "screener", "org-a", "screener", ae)
	if err != nil {
		t.Fatal(err)
	}
	_, otherAdmin, err := AddUser(ctx, st, "admin", "org-b", "admin", &audit.Entry{Time: time.Now(), User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var enrolled struct {
		PersonID string `json:"person_id"`
	}
	a.call("POST", "/v1/persons", admin, map[string]any{"person": map[string]any{"name": "Watched One"}, "samples": tplSamples(1, 4, 0)}, 201, &enrolled)
	a.call("PUT", "/v1/persons/"+enrolled.PersonID+"/watch", admin, map[string]any{"level": "detain", "reason": "test"}, 200, nil)

	// Registration.
	var reg deviceResponse
	a.call("POST", "/v1/devices", admin, map[string]any{"name": "kit-1", "unit": "patrol 7", "role": "screener", "lease_hours": 12, "fingers": 2}, 201, &reg)
	if reg.Token == "" || len(reg.NodeKey) != 32 || reg.LeaseHours != 12 || reg.Device.Fingers != 2 || reg.Device.Status != "active" {
		t.Fatalf("registration: %+v", reg)
	}
	dev, tok := reg.Device.ID, reg.Token
	var reg2 deviceResponse
	a.call("POST", "/v1/devices", admin, map[string]any{"name": "kit-2"}, 201, &reg2)
	a.call("POST", "/v1/devices", admin, map[string]any{"name": "bad name!"}, 400, nil)
	a.call("POST", "/v1/devices", admin, map[string]any{"name": "kit-3", "role": "admin"}, 400, nil)
	a.call("POST", "/v1/devices", admin, map[string]any{"name": "kit-3", "lease_hours": 9999}, 400, nil)
	a.call("POST", "/v1/devices", screener, map[string]any{"name": "kit-3"}, 403, nil)
	a.call("POST", "/v1/devices", "", map[string]any{"name": "kit-3"}, 401, nil)
	a.call("POST", "/v1/devices", admin, `{"x":"`+strings.Repeat("a", maxBody)+`"}`, 413, nil)

	a.call("GET", "/v1/devices/"+dev, admin, nil, 200, nil)
	a.call("GET", "/v1/devices/"+dev, otherAdmin, nil, 403, nil)
	a.call("GET", "/v1/devices/D-NONE", admin, nil, 404, nil)
	a.call("GET", "/v1/devices/"+dev, "", nil, 401, nil)

	// Package and lease: only the device itself.
	a.call("POST", "/v1/devices/"+dev+"/lease", tok, nil, 409, nil)
	st200, sealed := a.send("GET", "/v1/devices/"+dev+"/package", tok, nil, nil)
	if st200 != 200 {
		t.Fatalf("package: %d", st200)
	}
	a.call("GET", "/v1/devices/"+dev+"/package", screener, nil, 403, nil)
	a.call("GET", "/v1/devices/"+dev+"/package", reg2.Token, nil, 403, nil)
	a.call("GET", "/v1/devices/"+dev+"/package", "", nil, 401, nil)
	var lease leaseResponse
	a.call("POST", "/v1/devices/"+dev+"/lease", tok, nil, 200, &lease)
	if d := time.Until(lease.Expires); d < 11*time.Hour || d > 13*time.Hour {
		t.Errorf("lease for %v, want 12 h", d)
	}
	a.call("POST", "/v1/devices/"+dev+"/lease", screener, nil, 403, nil)
	a.call("POST", "/v1/devices/"+dev+"/lease", "", nil, 401, nil)
	p, err := field.OpenPackage(sealed, lease.Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Persons) != 1 || len(p.Persons[0].Fingers) != 2 || p.Persons[0].Watch != "detain" || p.Device != dev {
		t.Fatalf("package: %+v", p)
	}
	// Index fingers first: positions 2 and 7 when the person has them, else 2 and 1.
	if pos := []int{p.Persons[0].Fingers[0].Position, p.Persons[0].Fingers[1].Position}; !slices.Contains(pos, 2) {
		t.Errorf("package fingers at positions %v, want the right index among them", pos)
	}

	// Sync: a sealed encounter, a garbage item, an item sealed to another key.
	pub, _ := ecdh.X25519().NewPublicKey(reg.NodeKey)
	item, _ := json.Marshal(field.Item{Kind: field.KindEncounter, Encounter: &field.Encounter{Time: time.Now(), Place: "gate",
		Fingers: []field.Finger{{Position: 2, Template: tplSamples(1, 1, 2)[0]["template"].([]byte)}},
		Offline: &field.Result{Hit: true, Ref: p.Persons[0].Ref, Watch: "detain", Score: 80}}})
	sealedItem, _ := field.SealItem(pub, "Q-1", item)
	otherKey, _ := ecdh.X25519().GenerateKey(nil)
	foreign, _ := field.SealItem(otherKey.PublicKey(), "Q-3", item)
	badRef, _ := json.Marshal(field.Item{Kind: field.KindEncounter, Encounter: &field.Encounter{Fingers: []field.Finger{{Position: 2, Template: tplSamples(1, 1, 2)[0]["template"].([]byte)}},
		Offline: &field.Result{Hit: true, Ref: "R-FORGED", Watch: "detain"}}})
	sealedBadRef, _ := field.SealItem(pub, "Q-4", badRef)
	batch := map[string]any{"items": []map[string]any{
		{"client_id": "Q-1", "sealed": sealedItem}, {"client_id": "Q-2", "sealed": []byte("junk")},
		{"client_id": "Q-3", "sealed": foreign}, {"client_id": "Q-4", "sealed": sealedBadRef}}}
	for round := range 2 {
		var res syncResponse
		a.call("POST", "/v1/devices/"+dev+"/sync", tok, batch, 200, &res)
		want := []string{"created", "rejected", "rejected", "rejected"}
		if round == 1 {
			want[0] = "duplicate"
		}
		for i, r := range res.Results {
			if r.Status != want[i] {
				t.Errorf("round %d item %s: %+v, want %s", round, r.ClientID, r, want[i])
			}
		}
	}
	encs, err := st.Encounters(ctx, enrolled.PersonID)
	if err != nil || len(encs) != 1 || encs[0].Device != dev || encs[0].Watch != "detain" || encs[0].Unit != "patrol 7" {
		t.Fatalf("encounters after two syncs: %+v %v", encs, err)
	}
	a.call("POST", "/v1/devices/"+dev+"/sync", tok, map[string]any{"items": make([]map[string]any, maxSyncItems+1)}, 400, nil)
	a.call("POST", "/v1/devices/"+dev+"/sync", tok, map[string]any{"items": []any{}, "extra": 1}, 400, nil)
	a.call("POST", "/v1/devices/"+dev+"/sync", screener, map[string]any{"items": []any{}}, 403, nil)
	a.call("POST", "/v1/devices/"+dev+"/sync", "", map[string]any{"items": []any{}}, 401, nil)
	a.call("POST", "/v1/devices/"+dev+"/sync", tok, `{"x":"`+strings.Repeat("a", maxBody)+`"}`, 413, nil)
	// A screener device cannot enrol.
	enr, _ := json.Marshal(field.Item{Kind: field.KindEnrolment, Enrolment: &field.Enrolment{Person: field.PersonIn{Name: "X"}, Fingers: []field.Finger{{Position: 2, Template: tplSamples(9, 1, 0)[0]["template"].([]byte)}}}})
	sealedEnr, _ := field.SealItem(pub, "Q-5", enr)
	var res syncResponse
	a.call("POST", "/v1/devices/"+dev+"/sync", tok, map[string]any{"items": []map[string]any{{"client_id": "Q-5", "sealed": sealedEnr}}}, 200, &res)
	if res.Results[0].Status != "rejected" || !strings.Contains(res.Results[0].Error, "not allowed") {
		t.Errorf("enrolment from a screener device: %+v", res.Results[0])
	}

	// Wipe: ordered by an admin of the organisation, delivered at the next contact.
	a.call("POST", "/v1/devices/"+dev+"/wipe", otherAdmin, nil, 403, nil)
	a.call("POST", "/v1/devices/D-NONE/wipe", admin, nil, 404, nil)
	a.call("POST", "/v1/devices/"+dev+"/wipe", "", nil, 401, nil)
	a.call("POST", "/v1/devices/"+dev+"/wipe", admin, nil, 200, nil)
	a.call("POST", "/v1/devices/"+dev+"/lease", tok, nil, 410, nil)
	a.call("GET", "/v1/devices/"+dev+"/package", tok, nil, 401, nil)
	// The other devices' wipes, delivered by each endpoint.
	for i, path := range []string{"/package", "/sync"} {
		var r deviceResponse
		a.call("POST", "/v1/devices", admin, map[string]any{"name": "kit-w" + strconv.Itoa(i)}, 201, &r)
		a.call("POST", "/v1/devices/"+r.Device.ID+"/wipe", admin, nil, 200, nil)
		if path == "/sync" {
			a.call("POST", "/v1/devices/"+r.Device.ID+path, r.Token, map[string]any{"items": []any{}}, 410, nil)
		} else {
			a.call("GET", "/v1/devices/"+r.Device.ID+path, r.Token, nil, 410, nil)
		}
	}
	var after deviceResponse
	a.call("GET", "/v1/devices/"+dev, admin, nil, 200, &after)
	if after.Device.Status != "wiped" {
		t.Errorf("device after the wipe was delivered: %s", after.Device.Status)
	}

	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.HasPrefix(path, "/v1/devices") {
				continue
			}
			for code := range op.Responses.Map() {
				n, _ := strconv.Atoi(code)
				if n != 500 && !a.seen[op.OperationID][n] {
					t.Errorf("%s %s (%s): documented status %d never seen", method, path, op.OperationID, n)
				}
			}
		}
	}
}
