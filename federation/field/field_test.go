package field

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

func equal(_ store.Modality, a, b []byte) bool { return bytes.Equal(a, b) }

func list(n int) []Entry {
	levels := []store.WatchLevel{store.WatchNone, store.WatchMonitor, store.WatchAlert, store.WatchDetain}
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{Ref: fmt.Sprintf("hq/P-%d", i), Watch: levels[i%4], Name: fmt.Sprintf("Name %d", i),
			Templates: []Template{{Modality: store.Finger, Position: 2, Data: []byte(fmt.Sprintf("T%d", i))}}}
	}
	return es
}

func TestKit(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	pkg, lease, err := Grant("hq", key, "dev-1", list(8), false, now, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pkg, []byte("hq/P-")) || bytes.Contains(pkg, []byte("T1")) {
		t.Fatal("package readable without its key")
	}
	path := filepath.Join(t.TempDir(), "watchlist.pkg")
	os.WriteFile(path, pkg, 0o600)
	k, err := OpenFile(path, lease, pub, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 6 { // the two unwatched entries are not carried
		t.Fatalf("%d entries", k.Len())
	}
	probe := func(s string) []Template { return []Template{{Modality: store.Finger, Data: []byte(s)}} }
	for _, c := range []struct {
		probe string
		want  Result
	}{
		{"T3", Result{Hit: true, Ref: "hq/P-3", Watch: store.WatchDetain}}, // no names: the lease does not allow them
		{"T1", Result{Hit: true, Ref: "hq/P-1", Watch: store.WatchMonitor}},
		{"T0", Result{}}, // unwatched: not on the list
		{"nobody", Result{}},
	} {
		got, err := k.Check(probe(c.probe), equal, now.Add(time.Hour))
		if err != nil || got != c.want {
			t.Fatalf("%s: %+v, %v", c.probe, got, err)
		}
	}
	// The most wanted of several matches.
	if got, _ := k.Check(append(probe("T1"), probe("T7")...), equal, now); got.Ref != "hq/P-7" {
		t.Fatalf("%+v", got)
	}

	// Altered lease, another device's lease, expired lease, clock set back.
	bad := *lease
	bad.Expires = bad.Expires.Add(24 * time.Hour)
	if _, err := Open(pkg, &bad, pub, now); !errors.Is(err, ErrLease) {
		t.Fatalf("extended lease: %v", err)
	}
	_, other, err := Grant("hq", key, "dev-2", list(8), false, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(pkg, other, pub, now); err == nil {
		t.Fatal("opened with another device's lease")
	}
	if _, err := Open(pkg, lease, pub, now.Add(8*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := Open(pkg, lease, pub, now.Add(-time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("clock set back: %v", err)
	}
	// An opened kit stops answering at expiry, and forgets.
	if _, err := k.Check(probe("T3"), equal, now.Add(9*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("after expiry: %v", err)
	}
	if _, err := k.Check(probe("T3"), equal, now); !errors.Is(err, ErrWiped) {
		t.Fatalf("after expiry, clock set back: %v", err)
	}
}

func TestWipeOrder(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, rogue, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	pkg, lease, err := Grant("hq", key, "dev-1", list(4), true, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "watchlist.pkg")
	os.WriteFile(path, pkg, 0o600)
	k, err := OpenFile(path, lease, pub, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := k.Check([]Template{{Modality: store.Finger, Data: []byte("T2")}}, equal, now); got.Name != "Name 2" {
		t.Fatalf("names allowed: %+v", got)
	}
	for _, o := range []*WipeOrder{NewWipeOrder("hq", rogue, "dev-1", now), NewWipeOrder("hq", key, "dev-2", now)} {
		if err := k.Obey(o, pub); err == nil {
			t.Fatal("obeyed a forged or misaddressed order")
		}
	}
	if k.Len() != 3 {
		t.Fatal("a refused order changed the kit")
	}
	if err := k.Obey(NewWipeOrder("hq", key, "dev-1", now), pub); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Check([]Template{{Modality: store.Finger, Data: []byte("T2")}}, equal, now); !errors.Is(err, ErrWiped) {
		t.Fatalf("wiped kit answered: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("package file still there: %v", err)
	}
	if !bytes.Equal(lease.Key, make([]byte, 32)) {
		t.Fatal("the lease's key survived the wipe")
	}
}

// Package size and offline check time for 10,000 listed persons (two 600-byte finger
// templates each, random bytes: incompressible, the worst case).
func TestPackageSize(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	es := make([]Entry, 10000)
	for i := range es {
		es[i] = Entry{Ref: fmt.Sprintf("hq/P-%06d", i), Watch: store.WatchAlert}
		for pos := 1; pos <= 2; pos++ {
			b := make([]byte, 600)
			rand.Read(b)
			es[i].Templates = append(es[i].Templates, Template{Modality: store.Finger, Position: pos, Data: b})
		}
	}
	now := time.Now()
	pkg, lease, err := Grant("hq", key, "dev-1", es, false, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	k, err := Open(pkg, lease, pub, now)
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Since(start)
	start = time.Now()
	got, err := k.Check([]Template{{Modality: store.Finger, Data: es[9999].Templates[1].Data}}, equal, now)
	if err != nil || got.Ref != "hq/P-009999" {
		t.Fatal(got, err)
	}
	t.Logf("10,000 persons, 2 fingers each: package %.1f MB, opened in %s, checked in %s (byte-equality matcher)", float64(len(pkg))/1e6, opened, time.Since(start))
	if len(pkg) > 20e6 {
		t.Fatalf("package of %d bytes", len(pkg))
	}
}
