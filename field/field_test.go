package field_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/field"
	"github.com/biomesh/biomesh/store"
)

// clock is the kit's injectable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// probe turns API samples into kit probe fingers.
func probe(samples []map[string]any) []field.Finger {
	var out []field.Finger
	for _, s := range samples {
		out = append(out, field.Finger{Position: s["position"].(int), Template: s["template"].([]byte)})
	}
	return out
}

type enrolled struct {
	id    string
	name  string
	watch store.WatchLevel
}

// enrolWatched enrols synthetic persons 0..len(levels)-1 with 4 fingers each on the node
// and sets their watch levels.
func enrolWatched(t *testing.T, n *testNode, levels []store.WatchLevel) []enrolled {
	t.Helper()
	var out []enrolled
	for i, lv := range levels {
		name := "Person Number " + string(rune('A'+i))
		var res struct {
			PersonID string `json:"person_id"`
		}
		if st := call(t, "POST", n.URL+"/v1/persons", n.Admin, map[string]any{"person": map[string]any{"name": name}, "samples": fingers(i, 4, 0)}, &res); st != 201 {
			t.Fatalf("enrol %d: %d", i, st)
		}
		if lv != store.WatchNone {
			if st := call(t, "PUT", n.URL+"/v1/persons/"+res.PersonID+"/watch", n.Admin, map[string]any{"level": lv, "reason": "test"}, nil); st != 200 {
				t.Fatalf("watch %d: %d", i, st)
			}
		}
		out = append(out, enrolled{res.PersonID, name, lv})
	}
	return out
}

func TestFieldKitOffline(t *testing.T) {
	ctx := context.Background()
	n := startNode(t)
	persons := enrolWatched(t, n, []store.WatchLevel{store.WatchDetain, store.WatchMonitor, store.WatchNone, store.WatchAlert})
	clk := &clock{time.Now()}
	kit, err := field.Open(t.TempDir(), clk.now)
	if err != nil {
		t.Fatal(err)
	}
	c := &field.Client{Kit: kit, BatchSize: 2}
	if _, err := kit.Matcher(); !errors.Is(err, field.ErrNotEnrolled) {
		t.Fatalf("unregistered kit: %v, want ErrNotEnrolled", err)
	}
	dev, err := c.Register(ctx, n.URL, n.Admin, "kit-1", "patrol 7", "enroller", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kit.Matcher(); !errors.Is(err, field.ErrNoPackage) {
		t.Fatalf("kit without package: %v, want ErrNoPackage", err)
	}
	lease, size, err := c.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(lease.Expires); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("lease for %v, want the 72 h default", d)
	}
	t.Logf("package: %d bytes for %d watched persons", size, 3)

	// At rest: neither names nor person IDs nor templates in clear; inside, only watched
	// persons, under references.
	sealed, err := os.ReadFile(filepath.Join(kit.Dir(), "package.bin"))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := kit.Package()
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := p.MarshalBinary()
	tpl := fingers(0, 1, 0)[0]["template"].([]byte)
	for _, e := range persons {
		for what, b := range map[string][]byte{"sealed package": sealed, "package": plain} {
			if bytes.Contains(b, []byte(e.name)) || bytes.Contains(b, []byte(e.id)) {
				t.Errorf("%s holds the name or ID of %s", what, e.id)
			}
		}
	}
	if bytes.Contains(sealed, tpl[8:40]) {
		t.Error("sealed package holds template bytes in clear")
	}
	if len(p.Persons) != 3 {
		t.Fatalf("package has %d persons, want the 3 watched", len(p.Persons))
	}

	// The link goes down: the kit answers from its package.
	n.stop()
	m, err := kit.Matcher()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		person int
		watch  store.WatchLevel
		action string
	}{{0, store.WatchDetain, "red"}, {1, store.WatchMonitor, "yellow"}, {2, store.WatchNone, "green"}, {3, store.WatchAlert, "red"}, {99, store.WatchNone, "green"}}
	refs := map[int]string{}
	for _, w := range want {
		t0 := time.Now()
		res, err := m.Check(probe(fingers(w.person, 2, 3)))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("person %d: %s %s score %.1f (threshold %.1f) in %v", w.person, res.Action, res.Watch, res.Score, res.Threshold, time.Since(t0))
		if res.Action != w.action || res.Watch != w.watch || res.Hit != (w.action != "green") {
			t.Errorf("person %d: %+v, want %s %s", w.person, res, w.action, w.watch)
		}
		refs[w.person] = res.Ref
		// Queue the encounter with the kit's answer.
		r := res
		if _, err := kit.Enqueue(field.Item{Kind: field.KindEncounter, Encounter: &field.Encounter{Time: clk.t, Place: "checkpoint 4",
			Fingers: probe(fingers(w.person, 2, 3)), Offline: &r}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kit.Enqueue(field.Item{Kind: field.KindEnrolment, Enrolment: &field.Enrolment{Time: clk.t,
		Person: field.PersonIn{Name: "Enrolled Offline", Category: "traveller"}, Fingers: probe(fingers(50, 4, 0))}}); err != nil {
		t.Fatal(err)
	}
	// Queued items are sealed to the node: the queue holds no template in clear.
	q, _ := os.ReadFile(filepath.Join(kit.Dir(), "queue.log"))
	if probeTpl := fingers(0, 1, 3)[0]["template"].([]byte); bytes.Contains(q, probeTpl[8:40]) || bytes.Contains(q, []byte(base64.StdEncoding.EncodeToString(probeTpl)[12:60])) || bytes.Contains(q, []byte("Enrolled Offline")) {
		t.Error("queue holds a probe template or a name in clear")
	}
	if _, err := c.Sync(ctx); err == nil {
		t.Fatal("sync with the node down: no error")
	}
	if pend, _ := kit.Pending(); len(pend) != 6 {
		t.Fatalf("%d pending after a failed sync, want 6", len(pend))
	}

	// The link returns: everything arrives once.
	n.start()
	pending, _ := kit.Pending()
	rep, err := c.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 6 || rep.Duplicate+rep.Rejected+rep.Failed != 0 {
		t.Fatalf("sync: %+v, want 6 created", rep)
	}
	if pend, _ := kit.Pending(); len(pend) != 0 {
		t.Fatalf("%d pending after sync", len(pend))
	}
	// The first answer was lost on the way: the kit sends the same batch again, twice.
	var items []map[string]any
	for _, q := range pending {
		items = append(items, map[string]any{"client_id": q.ClientID, "sealed": q.Sealed})
	}
	for range 2 {
		var res struct {
			Results []struct{ ClientID, Status, Kind, ID string }
		}
		if st := call(t, "POST", n.URL+"/v1/devices/"+dev.ID+"/sync", dev.Token, map[string]any{"items": items}, &res); st != 200 {
			t.Fatalf("resend: %d", st)
		}
		for _, r := range res.Results {
			if r.Status != "duplicate" || r.ID == "" {
				t.Errorf("resent %s: %+v, want duplicate with its ID", r.ClientID, r)
			}
		}
	}
	for i, e := range persons {
		encs, err := n.St.Encounters(ctx, e.id)
		if err != nil {
			t.Fatal(err)
		}
		wantHits := 1
		if e.watch == store.WatchNone {
			wantHits = 0 // not in the package: the kit answered green
		}
		if len(encs) != wantHits {
			t.Errorf("person %d: %d encounters stored, want %d", i, len(encs), wantHits)
		}
		for _, en := range encs {
			if en.Device != dev.ID || en.Watch != e.watch || en.Place != "checkpoint 4" || en.Unit != "patrol 7" {
				t.Errorf("person %d: encounter %+v", i, en)
			}
		}
	}
	found, err := n.St.SearchPersons(ctx, store.PersonQuery{Name: "Enrolled Offline"})
	if err != nil || len(found) != 1 {
		t.Fatalf("offline enrolment: %d persons stored (%v), want 1", len(found), err)
	}

	// The lease runs out: the kit erases the key and refuses; a renewal brings it back.
	clk.t = lease.Expires.Add(time.Second)
	if _, err := kit.Matcher(); !errors.Is(err, field.ErrLeaseExpired) {
		t.Fatalf("after expiry: %v, want ErrLeaseExpired", err)
	}
	if _, err := os.Stat(filepath.Join(kit.Dir(), "lease.json")); !os.IsNotExist(err) {
		t.Fatalf("lease file still there after expiry: %v", err)
	}
	if _, err := kit.Matcher(); !errors.Is(err, field.ErrLeaseExpired) {
		t.Fatalf("again after expiry: %v, want ErrLeaseExpired", err)
	}
	clk.t = time.Now()
	if _, err := c.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := kit.Matcher(); err != nil {
		t.Fatalf("after renewal: %v", err)
	}

	// Tampered package, wrong key: refused with ErrKey, the installed package kept.
	bad := append([]byte(nil), sealed...)
	bad[len(bad)/2] ^= 1
	if _, err := field.OpenPackage(bad, lease.Key); !errors.Is(err, field.ErrKey) {
		t.Errorf("tampered package: %v, want ErrKey", err)
	}
	cur, _ := kit.Lease()
	wrong := cur
	wrong.Key = bytes.Repeat([]byte{7}, 32)
	if err := kit.Install(sealed, wrong); !errors.Is(err, field.ErrKey) {
		t.Errorf("install with a wrong key: %v, want ErrKey", err)
	}
	if err := os.WriteFile(filepath.Join(kit.Dir(), "package.bin"), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kit.Matcher(); !errors.Is(err, field.ErrKey) || !strings.Contains(err.Error(), "altered") {
		t.Errorf("tampered package on disk: %v, want ErrKey", err)
	}
	if _, _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}

	// Remote wipe: the next contact erases the kit; the token is refused from then on.
	if st := call(t, "POST", n.URL+"/v1/devices/"+dev.ID+"/wipe", n.Admin, nil, nil); st != 200 {
		t.Fatalf("wipe: %d", st)
	}
	kit.Enqueue(field.Item{Kind: field.KindEncounter, Encounter: &field.Encounter{Fingers: probe(fingers(1, 1, 4))}})
	if _, err := c.Sync(ctx); !errors.Is(err, field.ErrWiped) {
		t.Fatalf("sync after a wipe order: %v, want ErrWiped", err)
	}
	left, _ := os.ReadDir(kit.Dir())
	if len(left) != 1 || left[0].Name() != "wiped" {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("after the wipe the kit holds %v, want only the wiped note", names)
	}
	if _, err := kit.Matcher(); !errors.Is(err, field.ErrWiped) {
		t.Errorf("check after wipe: %v, want ErrWiped", err)
	}
	if st := call(t, "POST", n.URL+"/v1/devices/"+dev.ID+"/lease", dev.Token, nil, nil); st != 401 {
		t.Errorf("wiped device's token: %d, want 401", st)
	}

	// Every step is in the node's audit log.
	seen := map[string]int{}
	n.St.EachAudit(ctx, 0, func(e *audit.Entry) error {
		if strings.HasPrefix(e.Action, "device.") || (e.Action == "encounter" && strings.Contains(e.Result, dev.ID)) {
			seen[e.Action]++
		}
		return nil
	})
	for _, a := range []string{"device.add", "device.pull", "device.lease", "device.sync", "device.sync.item", "device.wipe", "encounter"} {
		if seen[a] == 0 {
			t.Errorf("no %s entry in the audit log (%v)", a, seen)
		}
	}
	_ = refs
}
