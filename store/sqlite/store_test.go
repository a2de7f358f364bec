package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

var ctx = context.Background()

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func entry(action, target string) *audit.Entry {
	return &audit.Entry{Time: time.Now(), User: "u1", Org: "org1", Role: store.RoleAdmin,
		Purpose: "test", Action: action, Target: target, Result: "ok"}
}

var t0 = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

func person(id string, created time.Time) *store.Person {
	return &store.Person{ID: id, Org: "org1", Name: "Ahmad Karim " + id, Aliases: []string{"Abu Zaid", "Ahmed K."},
		DateOfBirth: "1984-06", Sex: "M", Nationality: "IRQ", Category: "detainee",
		Custody: "held at post 3", Created: created, Updated: created}
}

func samples(n int) []store.Sample {
	out := make([]store.Sample, n)
	for i := range out {
		out[i] = store.Sample{Modality: store.Finger, Position: i%10 + 1, Template: []byte(fmt.Sprintf("tpl-%d", i)),
			Quality: 50 + i, Device: "dev-1", Captured: t0.Add(time.Duration(i) * time.Second)}
		if i%2 == 0 {
			out[i].Image, out[i].ImageFormat = []byte(fmt.Sprintf("png-%d", i)), "png"
		}
	}
	return out
}

// verifyChain runs the audit chain through audit.Verifier and returns the count.
func verifyChain(t testing.TB, db *DB) int64 {
	t.Helper()
	var v audit.Verifier
	if err := db.EachAudit(ctx, 0, v.Next); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	return v.Count()
}

func mustErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func TestPersonRoundTrip(t *testing.T) {
	db := openTemp(t)
	p := person("P-1", t0)
	p.Watch = store.Watch{Level: store.WatchMonitor, Reason: "r", SetBy: "u2", SetOrg: "org1", SetAt: t0}
	ss := samples(3)
	if err := db.CreatePerson(ctx, p, ss, entry("person.enrol", p.ID)); err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		if s.ID == 0 || s.PersonID != "P-1" {
			t.Fatalf("sample %d: ID %d PersonID %q not written back", i, s.ID, s.PersonID)
		}
	}
	got, err := db.Person(ctx, "P-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("person round trip:\n got %+v\nwant %+v", got, p)
	}
	if got.Created.Location() != time.UTC {
		t.Fatalf("created not UTC: %v", got.Created.Location())
	}
	gotS, err := db.Samples(ctx, "P-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotS, ss) {
		t.Fatalf("samples round trip:\n got %+v\nwant %+v", gotS, ss)
	}

	// Duplicate ID.
	mustErr(t, db.CreatePerson(ctx, person("P-1", t0), nil, entry("person.enrol", "P-1")), store.ErrConflict, "duplicate person")
	_, err = db.Person(ctx, "P-404")
	mustErr(t, err, store.ErrNotFound, "missing person")
	_, err = db.Samples(ctx, "P-404")
	mustErr(t, err, store.ErrNotFound, "samples of missing person")

	// AddSamples.
	more := samples(2)
	more[0].Modality, more[1].Modality = store.Face, store.Iris
	if err := db.AddSamples(ctx, "P-1", more, entry("person.samples", "P-1")); err != nil {
		t.Fatal(err)
	}
	if more[0].ID <= ss[2].ID || more[1].ID <= more[0].ID {
		t.Fatalf("sample IDs not increasing: %d %d after %d", more[0].ID, more[1].ID, ss[2].ID)
	}
	mustErr(t, db.AddSamples(ctx, "P-404", samples(1), entry("person.samples", "P-404")), store.ErrNotFound, "add samples to missing")
	gotS, _ = db.Samples(ctx, "P-1")
	if len(gotS) != 5 {
		t.Fatalf("%d samples, want 5", len(gotS))
	}

	// UpdatePerson replaces biographic fields, keeps org, watch, created.
	u := &store.Person{ID: "P-1", Org: "other-org", Name: "Ahmad  KARIM", Aliases: nil, DateOfBirth: "1984-06-02",
		Sex: "M", Nationality: "SYR", Category: "suspect", Custody: "released", Updated: t0.Add(time.Hour),
		Watch: store.Watch{Level: store.WatchDetain}}
	if err := db.UpdatePerson(ctx, u, entry("person.update", "P-1")); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Person(ctx, "P-1")
	if !reflect.DeepEqual(got, u) {
		t.Fatalf("update not written back:\n got %+v\nwant %+v", got, u)
	}
	if got.Org != "org1" || got.Watch.Level != store.WatchMonitor || !got.Created.Equal(t0) || got.Name != "Ahmad  KARIM" || got.Aliases != nil {
		t.Fatalf("after update: %+v", got)
	}
	mustErr(t, db.UpdatePerson(ctx, person("P-404", t0), entry("person.update", "P-404")), store.ErrNotFound, "update missing")

	// SetWatch.
	w := store.Watch{Level: store.WatchAlert, Reason: "seen with X", SetBy: "u3", SetOrg: "org2", SetAt: t0.Add(2 * time.Hour)}
	if err := db.SetWatch(ctx, "P-1", w, entry("person.watch", "P-1")); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Person(ctx, "P-1")
	if !reflect.DeepEqual(got.Watch, w) || !got.Updated.Equal(w.SetAt) {
		t.Fatalf("watch: got %+v, want %+v", got.Watch, w)
	}
	mustErr(t, db.SetWatch(ctx, "P-404", w, entry("person.watch", "P-404")), store.ErrNotFound, "watch missing")
	if err := db.SetWatch(ctx, "P-1", store.Watch{Level: "bogus"}, entry("person.watch", "P-1")); err == nil {
		t.Fatal("bogus watch level accepted")
	}

	if n := verifyChain(t, db); n != 4 {
		t.Fatalf("%d audit entries, want 4 (failed operations must not be logged)", n)
	}
}

func TestFailedWriteKeepsNothing(t *testing.T) {
	db := openTemp(t)
	if err := db.CreatePerson(ctx, person("P-1", t0), nil, entry("person.enrol", "P-1")); err != nil {
		t.Fatal(err)
	}
	// The second sample violates nothing in Go but the whole operation must fail on the
	// duplicate ID before any sample is kept.
	a := entry("person.enrol", "P-1")
	ss := samples(2)
	if err := db.CreatePerson(ctx, person("P-1", t0), ss, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("got %v", err)
	}
	if a.Seq != 0 || a.Hash != nil || ss[0].ID != 0 {
		t.Fatalf("failed write left Seq %d Hash %x sample ID %d", a.Seq, a.Hash, ss[0].ID)
	}
	// A cancelled context fails the write and stores nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.CreatePerson(cctx, person("P-2", t0), samples(1), entry("person.enrol", "P-2")); err == nil {
		t.Fatal("write with a cancelled context succeeded")
	}
	if _, err := db.Person(ctx, "P-2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("P-2 after cancelled write: %v", err)
	}
	if err := db.CreatePerson(ctx, person("P-3", t0), nil, nil); err == nil {
		t.Fatal("nil audit entry accepted")
	}
	if err := db.CreatePerson(ctx, person("", t0), nil, entry("person.enrol", "")); err == nil {
		t.Fatal("empty person ID accepted")
	}
	bad := samples(1)
	bad[0].Captured = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := db.CreatePerson(ctx, person("P-4", t0), bad, entry("person.enrol", "P-4")); err == nil {
		t.Fatal("unrepresentable capture time accepted")
	}
	if err := db.Audit(ctx, &audit.Entry{Time: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), Action: "x"}); err == nil {
		t.Fatal("unrepresentable audit time accepted")
	}
	if n := verifyChain(t, db); n != 1 {
		t.Fatalf("%d audit entries, want 1", n)
	}
}

func TestDeletePerson(t *testing.T) {
	db := openTemp(t)
	for _, id := range []string{"P-1", "P-2", "P-3"} {
		if err := db.CreatePerson(ctx, person(id, t0), samples(2), entry("person.enrol", id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []*store.FamilyLink{
		{PersonID: "P-1", RelativeID: "P-2", Relation: "sibling"},
		{PersonID: "P-3", RelativeID: "P-1", Relation: "parent"},
		{PersonID: "P-2", RelativeID: "P-3", Relation: "spouse"},
	} {
		if err := db.AddFamilyLink(ctx, l, entry("family.link", l.PersonID)); err != nil {
			t.Fatal(err)
		}
	}
	lat := 33.3
	enc := &store.Encounter{ID: "E-1", PersonID: "P-1", Time: t0, Lat: &lat, Org: "org1", User: "u1", Hit: true,
		Score: 0.9, Probes: samples(2)}
	if err := db.AddEncounter(ctx, enc, entry("encounter", "E-1")); err != nil {
		t.Fatal(err)
	}
	if err := db.SetWatch(ctx, "P-1", store.Watch{Level: store.WatchAlert}, entry("person.watch", "P-1")); err != nil {
		t.Fatal(err)
	}
	d := store.Deletion{PersonID: "P-1", Reason: "court order 12", By: "admin1", At: t0.Add(time.Hour)}
	mustErr(t, db.DeletePerson(ctx, d, entry("person.delete", "P-1")), store.ErrConflict, "delete under watch")
	if err := db.SetWatch(ctx, "P-1", store.Watch{Level: store.WatchNone}, entry("person.watch", "P-1")); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePerson(ctx, d, entry("person.delete", "P-1")); err != nil {
		t.Fatal(err)
	}

	_, err := db.Person(ctx, "P-1")
	mustErr(t, err, store.ErrNotFound, "deleted person")
	got, err := db.Deleted(ctx, "P-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, d) {
		t.Fatalf("tombstone: got %+v, want %+v", *got, d)
	}
	_, err = db.Deleted(ctx, "P-2")
	mustErr(t, err, store.ErrNotFound, "tombstone of a living person")
	_, err = db.Samples(ctx, "P-1")
	mustErr(t, err, store.ErrNotFound, "samples of deleted person")
	mustErr(t, db.DeletePerson(ctx, d, entry("person.delete", "P-1")), store.ErrNotFound, "delete twice")
	mustErr(t, db.CreatePerson(ctx, person("P-1", t0), nil, entry("person.enrol", "P-1")), store.ErrConflict, "reuse a deleted ID")

	// Links in both directions are gone; P-2—P-3 stays.
	links, err := db.FamilyLinks(ctx, "P-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Relation != "spouse" {
		t.Fatalf("P-2 links after deleting P-1: %+v", links)
	}
	// Encounters stay, probes go.
	encs, err := db.Encounters(ctx, "P-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(encs) != 1 || encs[0].ID != "E-1" {
		t.Fatalf("encounters after deletion: %+v", encs)
	}
	// Nothing of P-1 is left in any table but encounters and the tombstone.
	for q, want := range map[string]int{
		`SELECT count(*) FROM samples WHERE person_id = 'P-1'`:                                 0,
		`SELECT count(*) FROM sample_images`:                                                   2, // one imaged sample each of P-2, P-3
		`SELECT count(*) FROM encounter_probes`:                                                0,
		`SELECT count(*) FROM family_links WHERE 'P-1' IN (person_id, relative_id)`:            0,
		`SELECT count(*) FROM persons WHERE id = 'P-1'`:                                        0,
		`SELECT count(*) FROM persons`:                                                         2,
		`SELECT count(*) FROM samples`:                                                         4,
		`SELECT count(*) FROM encounters WHERE person_id = 'P-1'`:                              1,
		`SELECT count(*) FROM deletions WHERE person_id = 'P-1' AND reason = 'court order 12'`: 1,
	} {
		var n int
		if err := db.w.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d, want %d", q, n, want)
		}
	}
	// Templates of P-1 no longer reach galleries.
	err = db.EachTemplate(ctx, store.Finger, func(s store.Sample) error {
		if s.PersonID == "P-1" {
			return fmt.Errorf("template %d of deleted person", s.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	verifyChain(t, db)
}

func TestSearchPersons(t *testing.T) {
	db := openTemp(t)
	mk := func(id, name string, aliases []string, dob, nat, cat, org string, created time.Time) {
		p := &store.Person{ID: id, Org: org, Name: name, Aliases: aliases, DateOfBirth: dob, Nationality: nat,
			Category: cat, Created: created}
		if err := db.CreatePerson(ctx, p, nil, entry("person.enrol", id)); err != nil {
			t.Fatal(err)
		}
	}
	mk("P-1", "Ahmad Karim", []string{"Abu Zaid"}, "1984-06-02", "IRQ", "detainee", "org1", t0)
	mk("P-2", "Ahmed Kareem", nil, "1984", "IRQ", "suspect", "org1", t0.Add(time.Minute))
	mk("P-3", "Layla Hassan", []string{"Umm ZAID"}, "1990-01-01", "SYR", "displaced-person", "org2", t0.Add(2*time.Minute))
	mk("P-4", "ÖZLEM Çelik", nil, "", "TUR", "traveller", "org2", t0.Add(3*time.Minute))
	mk("P-5", "100% _real_", nil, "1984-07", "IRQ", "other", "org1", t0.Add(4*time.Minute))

	ids := func(q store.PersonQuery) []string {
		t.Helper()
		ps, err := db.SearchPersons(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	for _, c := range []struct {
		q    store.PersonQuery
		want []string
	}{
		{store.PersonQuery{}, []string{"P-5", "P-4", "P-3", "P-2", "P-1"}},
		{store.PersonQuery{Name: "zaid"}, []string{"P-3", "P-1"}},
		{store.PersonQuery{Name: "  AHM  "}, []string{"P-2", "P-1"}},
		{store.PersonQuery{Name: "ad kar"}, []string{"P-1"}},
		{store.PersonQuery{Name: "özlem çel"}, []string{"P-4"}},
		{store.PersonQuery{Name: "karim\nabu"}, []string{}}, // no match across name and alias
		{store.PersonQuery{Name: "%"}, []string{"P-5"}},     // no LIKE wildcards
		{store.PersonQuery{Name: "_"}, []string{"P-5"}},
		{store.PersonQuery{DateOfBirth: "1984"}, []string{"P-5", "P-2", "P-1"}},
		{store.PersonQuery{DateOfBirth: "1984-06"}, []string{"P-2", "P-1"}},
		{store.PersonQuery{DateOfBirth: "1984-06-02"}, []string{"P-2", "P-1"}},
		{store.PersonQuery{DateOfBirth: "1984-06-03"}, []string{"P-2"}},
		{store.PersonQuery{DateOfBirth: "198"}, []string{}},
		{store.PersonQuery{Nationality: "IRQ", Category: "suspect"}, []string{"P-2"}},
		{store.PersonQuery{Org: "org2"}, []string{"P-4", "P-3"}},
		{store.PersonQuery{Org: "org1", Name: "a", Limit: 2}, []string{"P-5", "P-2"}},
	} {
		if got := ids(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.q, got, c.want)
		}
	}
}

func TestSearchLimits(t *testing.T) {
	db := openTemp(t)
	tx, err := db.w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1100 {
		if _, err := tx.Exec(`INSERT INTO persons (id, org, name, aliases, search, dob, sex, nationality, category,
			custody, watch_level, watch_reason, watch_set_by, watch_set_org, created, updated)
			VALUES (?, 'o', 'n', '[]', 'n', '', '', '', '', '', 'none', '', '', '', ?, ?)`, fmt.Sprintf("P-%d", i), i, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for limit, want := range map[int]int{0: 100, -1: 100, 5: 5, 1000: 1000, 5000: 1000} {
		ps, err := db.SearchPersons(ctx, store.PersonQuery{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != want {
			t.Errorf("limit %d: %d results, want %d", limit, len(ps), want)
		}
		if ps[0].ID != "P-1099" {
			t.Errorf("limit %d: first %s, want the newest P-1099", limit, ps[0].ID)
		}
	}
}

func TestEncounters(t *testing.T) {
	db := openTemp(t)
	if err := db.CreatePerson(ctx, person("P-1", t0), nil, entry("person.enrol", "P-1")); err != nil {
		t.Fatal(err)
	}
	lat, lon := 36.19, 44.01
	e2 := &store.Encounter{ID: "E-2", PersonID: "P-1", Time: t0.Add(time.Hour), Place: "checkpoint 4", Lat: &lat, Lon: &lon,
		Org: "org1", User: "u1", Unit: "unit 7", Device: "d9", Purpose: "screening", Outcome: "released", Hit: true,
		Score: 0.87, Watch: store.WatchMonitor, Probes: samples(3)}
	e1 := &store.Encounter{ID: "E-1", PersonID: "P-1", Time: t0.In(time.FixedZone("AST", 3*3600)), Org: "org1", User: "u2"}
	miss := &store.Encounter{ID: "E-3", Time: t0, Org: "org1", User: "u2", Outcome: "no-hit"}
	for _, e := range []*store.Encounter{e2, e1, miss} {
		if err := db.AddEncounter(ctx, e, entry("encounter", e.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if e2.Probes[0].ID == 0 || e2.Probes[2].ID <= e2.Probes[0].ID {
		t.Fatalf("probe IDs not written back: %+v", e2.Probes)
	}
	mustErr(t, db.AddEncounter(ctx, &store.Encounter{ID: "E-1"}, entry("encounter", "E-1")), store.ErrConflict, "duplicate encounter")
	mustErr(t, db.AddEncounter(ctx, &store.Encounter{ID: "E-9", PersonID: "P-404"}, entry("encounter", "E-9")), store.ErrNotFound, "encounter of missing person")

	got, err := db.Encounters(ctx, "P-1")
	if err != nil {
		t.Fatal(err)
	}
	want2 := *e2
	want2.Probes = nil
	want1 := *e1
	want1.Time = t0
	if len(got) != 2 || !reflect.DeepEqual(got[0], want1) || !reflect.DeepEqual(got[1], want2) {
		t.Fatalf("encounters:\n got %+v\nwant %+v\n     %+v", got, want1, want2)
	}
	if got[0].Lat != nil || got[0].Lon != nil {
		t.Fatal("nil coordinates came back non-nil")
	}
	if got, _ := db.Encounters(ctx, ""); len(got) != 1 || got[0].ID != "E-3" {
		t.Fatalf("no-hit encounters: %+v", got)
	}
	if got, err := db.Encounters(ctx, "P-404"); err != nil || len(got) != 0 {
		t.Fatalf("encounters of unknown person: %v %v", got, err)
	}
	var n int
	if err := db.w.QueryRow(`SELECT count(*) FROM encounter_probes WHERE encounter_id = 'E-2' AND length(image) > 0`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("probe images stored: %d %v", n, err)
	}
}

func TestFamilyLinks(t *testing.T) {
	db := openTemp(t)
	for _, id := range []string{"P-1", "P-2", "P-3"} {
		if err := db.CreatePerson(ctx, person(id, t0), nil, entry("person.enrol", id)); err != nil {
			t.Fatal(err)
		}
	}
	l1 := &store.FamilyLink{PersonID: "P-1", RelativeID: "P-2", Relation: "parent", Note: "said so", Created: t0, CreatedBy: "u1"}
	l2 := &store.FamilyLink{PersonID: "P-3", RelativeID: "P-1", Relation: "sibling", Status: "confirmed-dna", Created: t0}
	for _, l := range []*store.FamilyLink{l1, l2} {
		if err := db.AddFamilyLink(ctx, l, entry("family.link", l.PersonID)); err != nil {
			t.Fatal(err)
		}
	}
	if l1.ID == 0 || l2.ID <= l1.ID || l1.Status != "claimed" {
		t.Fatalf("write-back: %+v %+v", l1, l2)
	}
	got, err := db.FamilyLinks(ctx, "P-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []store.FamilyLink{*l1, *l2}) {
		t.Fatalf("links of P-1:\n got %+v\nwant %+v %+v", got, *l1, *l2)
	}
	if got, err := db.FamilyLinks(ctx, "P-2"); err != nil || len(got) != 1 || got[0].ID != l1.ID {
		t.Fatalf("links of P-2: %+v %v", got, err)
	}
	_, err = db.FamilyLinks(ctx, "P-404")
	mustErr(t, err, store.ErrNotFound, "links of missing person")
	mustErr(t, db.AddFamilyLink(ctx, &store.FamilyLink{PersonID: "P-1", RelativeID: "P-404", Relation: "child"},
		entry("family.link", "P-1")), store.ErrNotFound, "link to missing person")
	if err := db.AddFamilyLink(ctx, &store.FamilyLink{PersonID: "P-1", RelativeID: "P-1", Relation: "child"}, entry("family.link", "P-1")); err == nil {
		t.Fatal("self link accepted")
	}
}

func TestConflicts(t *testing.T) {
	db := openTemp(t)
	for _, id := range []string{"P-1", "P-2", "P-3"} {
		if err := db.CreatePerson(ctx, person(id, t0), nil, entry("person.enrol", id)); err != nil {
			t.Fatal(err)
		}
	}
	c1 := &store.Conflict{ID: "C-1", PersonID: "P-2", OtherID: "P-1", Score: 0.97, Modalities: []string{"finger", "face"},
		Reason: "name, date_of_birth", Created: t0}
	c2 := &store.Conflict{ID: "C-2", PersonID: "P-3", OtherID: "P-2", Score: 0.91, Created: t0.Add(time.Minute)}
	for _, c := range []*store.Conflict{c1, c2} {
		if err := db.AddConflict(ctx, c, entry("conflict.add", c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	mustErr(t, db.AddConflict(ctx, &store.Conflict{ID: "C-1", PersonID: "P-1", OtherID: "P-2"}, entry("conflict.add", "C-1")), store.ErrConflict, "duplicate conflict")
	mustErr(t, db.AddConflict(ctx, &store.Conflict{ID: "C-9", PersonID: "P-1", OtherID: "P-404"}, entry("conflict.add", "C-9")), store.ErrNotFound, "conflict with missing person")

	got, err := db.Conflict(ctx, "C-1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c1) || got.Status != store.ConflictOpen {
		t.Fatalf("conflict round trip:\n got %+v\nwant %+v", got, c1)
	}
	_, err = db.Conflict(ctx, "C-404")
	mustErr(t, err, store.ErrNotFound, "missing conflict")

	list := func(status, person string) []string {
		t.Helper()
		cs, err := db.Conflicts(ctx, status, person)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if got := list("", ""); !reflect.DeepEqual(got, []string{"C-2", "C-1"}) {
		t.Fatalf("all conflicts: %v", got)
	}
	if got := list(store.ConflictOpen, "P-1"); !reflect.DeepEqual(got, []string{"C-1"}) {
		t.Fatalf("open conflicts of P-1: %v", got)
	}

	r := &store.Conflict{ID: "C-1", Status: store.ConflictSame, ResolvedBy: "admin1", ResolvedAt: t0.Add(time.Hour), Note: "same man"}
	if err := db.ResolveConflict(ctx, r, entry("conflict.resolve", "C-1")); err != nil {
		t.Fatal(err)
	}
	want := *c1
	want.Status, want.ResolvedBy, want.ResolvedAt, want.Note = store.ConflictSame, "admin1", t0.Add(time.Hour), "same man"
	if !reflect.DeepEqual(*r, want) {
		t.Fatalf("resolved conflict:\n got %+v\nwant %+v", *r, want)
	}
	again := &store.Conflict{ID: "C-1", Status: store.ConflictDifferent}
	mustErr(t, db.ResolveConflict(ctx, again, entry("conflict.resolve", "C-1")), store.ErrConflict, "resolve twice")
	mustErr(t, db.ResolveConflict(ctx, &store.Conflict{ID: "C-404", Status: store.ConflictSame}, entry("conflict.resolve", "C-404")), store.ErrNotFound, "resolve missing")
	if err := db.ResolveConflict(ctx, &store.Conflict{ID: "C-2", Status: store.ConflictOpen}, entry("conflict.resolve", "C-2")); err == nil {
		t.Fatal("resolving to open accepted")
	}
	if got := list(store.ConflictOpen, ""); !reflect.DeepEqual(got, []string{"C-2"}) {
		t.Fatalf("open conflicts after resolving: %v", got)
	}
	if got := list(store.ConflictSame, "P-2"); !reflect.DeepEqual(got, []string{"C-1"}) {
		t.Fatalf("same-person conflicts of P-2: %v", got)
	}
}

func TestOrgsAndUsers(t *testing.T) {
	db := openTemp(t)
	o := &store.Org{ID: "org1", Name: "Border Police", Created: t0}
	if err := db.CreateOrg(ctx, o, entry("org.create", "org1")); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateOrg(ctx, &store.Org{ID: "org2", Name: "UNHCR"}, entry("org.create", "org2")); err != nil {
		t.Fatal(err)
	}
	mustErr(t, db.CreateOrg(ctx, &store.Org{ID: "org1"}, entry("org.create", "org1")), store.ErrConflict, "duplicate org")
	got, err := db.Org(ctx, "org1")
	if err != nil || !reflect.DeepEqual(got, o) {
		t.Fatalf("org: %+v %v", got, err)
	}
	_, err = db.Org(ctx, "org404")
	mustErr(t, err, store.ErrNotFound, "missing org")

	hash := func(tok string) []byte { h := sha256.Sum256([]byte(tok)); return h[:] }
	u1 := &store.User{ID: "u1", Name: "Sami", Org: "org1", Role: store.RoleEnroller, TokenHash: hash("t1"), Created: t0}
	u2 := &store.User{ID: "u2", Name: "Nour", Org: "org2", Role: store.RoleAuditor, TokenHash: hash("t2"), Created: t0}
	u3 := &store.User{ID: "u3", Name: "Old", Org: "org1", Role: store.RoleAdmin, TokenHash: hash("t3"), Created: t0, Disabled: true}
	for _, u := range []*store.User{u1, u2, u3} {
		if err := db.CreateUser(ctx, u, entry("user.create", u.ID)); err != nil {
			t.Fatal(err)
		}
	}
	mustErr(t, db.CreateUser(ctx, &store.User{ID: "u1", Org: "org1", Role: store.RoleAdmin, TokenHash: hash("x")}, entry("user.create", "u1")), store.ErrConflict, "duplicate user")
	mustErr(t, db.CreateUser(ctx, &store.User{ID: "u4", Org: "org1", Role: store.RoleAdmin, TokenHash: hash("t1")}, entry("user.create", "u4")), store.ErrConflict, "duplicate token")
	mustErr(t, db.CreateUser(ctx, &store.User{ID: "u5", Org: "org404", Role: store.RoleAdmin, TokenHash: hash("t5")}, entry("user.create", "u5")), store.ErrNotFound, "user of missing org")
	if err := db.CreateUser(ctx, &store.User{ID: "u6", Org: "org1", Role: "god", TokenHash: hash("t6")}, entry("user.create", "u6")); err == nil {
		t.Fatal("unknown role accepted")
	}
	if err := db.CreateUser(ctx, &store.User{ID: "u7", Org: "org1", Role: store.RoleAdmin, TokenHash: []byte("short")}, entry("user.create", "u7")); err == nil {
		t.Fatal("short token hash accepted")
	}

	gotU, err := db.UserByToken(ctx, hash("t1"))
	if err != nil || !reflect.DeepEqual(gotU, u1) {
		t.Fatalf("user by token: %+v %v", gotU, err)
	}
	_, err = db.UserByToken(ctx, hash("t3"))
	mustErr(t, err, store.ErrNotFound, "disabled user by token")
	_, err = db.UserByToken(ctx, hash("nope"))
	mustErr(t, err, store.ErrNotFound, "unknown token")

	all, err := db.Users(ctx, "")
	if err != nil || !reflect.DeepEqual(all, []store.User{*u1, *u3, *u2}) {
		t.Fatalf("all users: %+v %v", all, err)
	}
	org2, err := db.Users(ctx, "org2")
	if err != nil || !reflect.DeepEqual(org2, []store.User{*u2}) {
		t.Fatalf("users of org2: %+v %v", org2, err)
	}
	if n := verifyChain(t, db); n != 5 {
		t.Fatalf("%d audit entries, want 5", n)
	}
}

func TestAuditEntriesRoundTrip(t *testing.T) {
	db := openTemp(t)
	var want []*audit.Entry
	for i := range 5 {
		a := entry("identify", fmt.Sprintf("probe-%d", i))
		a.Time = t0.In(time.FixedZone("X", 3600)).Add(time.Duration(i))
		if err := db.Audit(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.Seq != int64(i+1) {
			t.Fatalf("entry %d sealed with seq %d", i, a.Seq)
		}
		want = append(want, a)
	}
	zero := &audit.Entry{Action: "x"}
	if err := db.Audit(ctx, zero); err != nil || zero.Time.IsZero() {
		t.Fatalf("zero-time entry: %v, time %v", err, zero.Time)
	}
	var got []*audit.Entry
	if err := db.EachAudit(ctx, 2, func(e *audit.Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || !reflect.DeepEqual(got[:3], want[2:]) {
		t.Fatalf("entries after 2:\n got %+v\nwant %+v", got, want[2:])
	}
	if !bytes.Equal(got[0].Prev, want[1].Hash) {
		t.Fatal("prev does not link")
	}
	stop := errors.New("stop")
	n := 0
	if err := db.EachAudit(ctx, 0, func(*audit.Entry) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("callback error: %v after %d", err, n)
	}
	if err := db.Audit(ctx, nil); err == nil {
		t.Fatal("nil entry accepted")
	}
}

func TestEachTemplate(t *testing.T) {
	db := openTemp(t)
	ss := samples(4)
	ss[1].Modality = store.Face
	ss[0].Prepared, ss[2].Prepared = []byte("prepared-0"), []byte("prepared-2")
	if err := db.CreatePerson(ctx, person("P-1", t0), ss, entry("person.enrol", "P-1")); err != nil {
		t.Fatal(err)
	}
	more := samples(2)
	more[1].Prepared = []byte("prepared-1")
	if err := db.CreatePerson(ctx, person("P-2", t0), more, entry("person.enrol", "P-2")); err != nil {
		t.Fatal(err)
	}
	var got []store.Sample
	if err := db.EachTemplate(ctx, store.Finger, func(s store.Sample) error { got = append(got, s); return nil }); err != nil {
		t.Fatal(err)
	}
	var want []store.Sample
	for _, s := range append(ss, more...) {
		if s.Modality == store.Finger {
			s.Image = nil
			want = append(want, s)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("finger templates:\n got %+v\nwant %+v", got, want)
	}
	// Each kept sample's bytes are its own: writing into one, or appending to it, changes
	// no other.
	for i := range got {
		for _, b := range [][]byte{got[i].Template, got[i].Prepared} {
			for k := range b {
				b[k] ^= 0xff
			}
		}
		got[i].Template = append(got[i].Template, 1, 2, 3)
		got[i].Prepared = append(got[i].Prepared, 1, 2, 3)
		for j := i + 1; j < len(got); j++ {
			if !reflect.DeepEqual(got[j], want[j]) {
				t.Fatalf("changing sample %d changed sample %d", i, j)
			}
		}
	}
	n := 0
	if err := db.EachTemplate(ctx, store.Iris, func(store.Sample) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("iris: %d %v", n, err)
	}
	stop := errors.New("stop")
	if err := db.EachTemplate(ctx, store.Finger, func(store.Sample) error { return stop }); err != stop {
		t.Fatalf("callback error: %v", err)
	}
	// A callback may read and write the store while the scan runs.
	err := db.EachTemplate(ctx, store.Finger, func(s store.Sample) error {
		if _, err := db.Person(ctx, s.PersonID); err != nil {
			return err
		}
		return db.Audit(ctx, entry("gallery.load", s.PersonID))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOddPaths(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?with#odd%chars")
	for _, p := range []string{dir + "/store.db"} {
		if err := mkdirAll(dir); err != nil {
			t.Fatal(err)
		}
		db, err := Open(p)
		if err != nil {
			t.Fatalf("open %q: %v", p, err)
		}
		if err := db.Audit(ctx, entry("x", "")); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if !fileExists(p) {
			t.Fatalf("%q was not created at that path", p)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil {
		t.Fatal("opened a file in a missing directory")
	}
}
