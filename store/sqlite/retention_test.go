package sqlite

import (
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

func TestInactive(t *testing.T) {
	db := openTemp(t)
	day := 24 * time.Hour
	mk := func(id, category string, created time.Time) {
		p := person(id, created)
		p.Category = category
		if err := db.CreatePerson(ctx, p, nil, entry("person.enrol", id)); err != nil {
			t.Fatal(err)
		}
	}
	mk("P-old", "traveller", t0)
	mk("P-seen", "traveller", t0)            // encountered later
	mk("P-more", "traveller", t0)            // samples added later
	mk("P-watched", "traveller", t0)         // under watch
	mk("P-conflict", "traveller", t0)        // in an open conflict
	mk("P-new", "traveller", t0.Add(50*day)) // recent
	mk("P-detainee", "detainee", t0)         // another category
	if err := db.AddEncounter(ctx, &store.Encounter{ID: "E-1", PersonID: "P-seen", Time: t0.Add(40 * day), Org: "org1", User: "u1", Hit: true}, entry("encounter", "E-1")); err != nil {
		t.Fatal(err)
	}
	s := samples(1)
	s[0].Captured = t0.Add(45 * day)
	if err := db.AddSamples(ctx, "P-more", s, entry("person.add-samples", "P-more")); err != nil {
		t.Fatal(err)
	}
	if err := db.SetWatch(ctx, "P-watched", store.Watch{Level: store.WatchMonitor, SetAt: t0}, entry("watch.set", "P-watched")); err != nil {
		t.Fatal(err)
	}
	if err := db.AddConflict(ctx, &store.Conflict{ID: "C-1", PersonID: "P-conflict", OtherID: "P-detainee", Created: t0}, entry("conflict.add", "C-1")); err != nil {
		t.Fatal(err)
	}
	ids := func(before time.Time) []string {
		ps, err := db.Inactive(ctx, "traveller", before, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	// Seen on day 40 and day 45: active after day 30, inactive by day 48.
	if got := ids(t0.Add(30 * day)); len(got) != 1 || got[0] != "P-old" {
		t.Errorf("no activity since day 30: %v, want only P-old", got)
	}
	if got := ids(t0.Add(48 * day)); len(got) != 3 {
		t.Errorf("no activity since day 48: %v, want P-old, P-seen, P-more", got)
	}
	if got := ids(t0); len(got) != 0 {
		t.Errorf("inactive before enrolment: %v", got)
	}
}
