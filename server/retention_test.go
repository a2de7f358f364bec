package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
)

func TestRetention(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day := 24 * time.Hour
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	admin, err := Bootstrap(ctx, st, "unit-a", t0)
	if err != nil {
		t.Fatal(err)
	}
	policy := Retention{
		"traveller": {ExpireAfter: Duration(90 * day)},
		"detainee":  {KeepFor: Duration(10 * 365 * day), ExpireAfter: Duration(365 * day)},
	}
	srv, err := New(ctx, st, Config{Now: clock, Retention: policy, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ id, cat string }{{"P-trav", "traveller"}, {"P-trav2", "traveller"}, {"P-det", "detainee"}, {"P-dp", "displaced-person"}} {
		a := &audit.Entry{Time: t0, User: "test", Org: "unit-a", Role: "admin", Action: "person.enrol", Target: p.id}
		if err := st.CreatePerson(ctx, &store.Person{ID: p.id, Org: "unit-a", Name: p.id, Category: p.cat, Created: t0, Updated: t0}, nil, a); err != nil {
			t.Fatal(err)
		}
	}
	// P-trav2 is seen at a checkpoint on day 60.
	a := &audit.Entry{Time: t0, User: "test", Org: "unit-a", Role: "admin", Action: "encounter"}
	if err := st.AddEncounter(ctx, &store.Encounter{ID: "E-1", PersonID: "P-trav2", Time: t0.Add(60 * day), Org: "unit-a", User: "u", Hit: true}, a); err != nil {
		t.Fatal(err)
	}

	// Day 100: the unseen traveller is erased; the one seen on day 60 stays.
	mu.Lock()
	now = t0.Add(100 * day)
	mu.Unlock()
	if n, err := srv.expire(ctx); err != nil || n != 1 {
		t.Fatalf("sweep on day 100: %d erased, %v; want 1", n, err)
	}
	d, err := st.Deleted(ctx, "P-trav")
	if err != nil || d.By != "system" || !strings.Contains(d.Reason, "no activity for 90d") {
		t.Fatalf("tombstone of P-trav: %+v %v", d, err)
	}
	if _, err := st.Person(ctx, "P-trav2"); err != nil {
		t.Errorf("P-trav2, seen on day 60, was erased: %v", err)
	}

	// A detainee's record is held for ten years: by hand and by expiry alike.
	hs := httptest.NewServer(srv)
	defer hs.Close()
	req, _ := http.NewRequest("DELETE", hs.URL+"/v1/persons/P-det?reason=test", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 409 || !strings.Contains(string(body), "kept for 10y") || !strings.Contains(string(body), "2035-12-30") {
		t.Errorf("deleting a detainee within ten years: %d %s", res.StatusCode, body)
	}
	mu.Lock()
	now = t0.Add(3 * 365 * day)
	mu.Unlock()
	if n, err := srv.expire(ctx); err != nil || n != 1 {
		t.Fatalf("sweep in year 3: %d erased, %v; want 1 (P-trav2, not the held detainee)", n, err)
	}
	if _, err := st.Person(ctx, "P-det"); err != nil {
		t.Errorf("the held detainee was erased: %v", err)
	}
	mu.Lock()
	now = t0.Add(10*365*day + day)
	mu.Unlock()
	if n, err := srv.expire(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after ten years: %d erased, %v; want the detainee", n, err)
	}
	if _, err := st.Person(ctx, "P-dp"); err != nil {
		t.Errorf("a category without a rule was erased: %v", err)
	}
	var v audit.Verifier
	if err := st.EachAudit(ctx, 0, v.Next); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRetention(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "r.json")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	r, err := LoadRetention(write(`{"traveller": {"expire_after": "90d"}, "detainee": {"keep_for": "10y"}}`))
	if err != nil || time.Duration(r["traveller"].ExpireAfter) != 90*24*time.Hour || r["detainee"].KeepFor.String() != "10y" {
		t.Fatalf("%+v %v", r, err)
	}
	for _, c := range []struct{ in, want string }{
		{`{"tourist": {"expire_after": "90d"}}`, `category "tourist"`},
		{`{"traveller": {"expire_after": "soon"}}`, `duration "soon"`},
		{`{"traveller": {"expire_after": "10m"}}`, "under an hour"},
		{`{"traveller": {"expires": "90d"}}`, "unknown field"},
		{`[1]`, "cannot unmarshal"},
	} {
		if _, err := LoadRetention(write(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.in, err, c.want)
		}
	}
}
