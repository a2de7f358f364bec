package sqlite

import (
	"reflect"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

func TestMergePersons(t *testing.T) {
	db := openTemp(t)
	keep, gone, other := person("P-1", t0), person("P-2", t0.Add(time.Minute)), person("P-3", t0)
	keep.Aliases, keep.Nationality, keep.Custody = []string{"Abu Zaid"}, "", "held at post 3"
	gone.Name, gone.Aliases, gone.Nationality, gone.Custody = "Karim Hassan", []string{"abu  ZAID", "K. Hassan"}, "SYR", "released to elders"
	gone.Watch = store.Watch{Level: store.WatchAlert, Reason: "wanted", SetBy: "u2", SetOrg: "org1", SetAt: t0}
	for i, p := range []*store.Person{keep, gone, other} {
		if err := db.CreatePerson(ctx, p, samples(2+i), entry("person.enrol", p.ID)); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []*store.Encounter{{ID: "E-1", PersonID: "P-2", Time: t0, Org: "org1", User: "u1", Hit: true}} {
		if err := db.AddEncounter(ctx, e, entry("encounter", e.ID)); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []*store.FamilyLink{
		{PersonID: "P-2", RelativeID: "P-3", Relation: "child", Status: "claimed"},
		{PersonID: "P-1", RelativeID: "P-2", Relation: "sibling", Status: "claimed"}, // becomes a self-link: dropped
	} {
		if err := db.AddFamilyLink(ctx, l, entry("family.link", l.PersonID)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*store.Conflict{
		{ID: "C-1", PersonID: "P-2", OtherID: "P-1", Created: t0},
		{ID: "C-2", PersonID: "P-1", OtherID: "P-2", Created: t0}, // the same finding again
		{ID: "C-3", PersonID: "P-3", OtherID: "P-2", Created: t0},
	} {
		if err := db.AddConflict(ctx, c, entry("conflict.add", c.ID)); err != nil {
			t.Fatal(err)
		}
	}

	// Refusals first: nothing may change.
	_, err := db.MergePersons(ctx, store.Merge{Keep: "P-1", Gone: "P-3", ConflictID: "C-1"}, entry("person.merge", "P-3"))
	mustErr(t, err, store.ErrConflict, "merge naming a conflict between other persons")
	foreign := person("P-9", t0)
	foreign.Org = "org2"
	if err := db.CreatePerson(ctx, foreign, nil, entry("person.enrol", "P-9")); err != nil {
		t.Fatal(err)
	}
	_, err = db.MergePersons(ctx, store.Merge{Keep: "P-1", Gone: "P-9"}, entry("person.merge", "P-9"))
	mustErr(t, err, store.ErrConflict, "merge across organisations")
	_, err = db.MergePersons(ctx, store.Merge{Keep: "P-1", Gone: "P-404"}, entry("person.merge", "P-404"))
	mustErr(t, err, store.ErrNotFound, "merge of a missing person")

	m := store.Merge{Keep: "P-1", Gone: "P-2", ConflictID: "C-1", By: "admin1", At: t0.Add(time.Hour), Note: "same man, false papers"}
	got, err := db.MergePersons(ctx, m, entry("person.merge", "P-2"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Abu Zaid", "Karim Hassan", "K. Hassan"}; !reflect.DeepEqual(got.Aliases, want) {
		t.Errorf("aliases %q, want %q", got.Aliases, want)
	}
	if got.Nationality != "SYR" || got.Custody != "held at post 3\n[from P-2] released to elders" {
		t.Errorf("nationality %q, custody %q", got.Nationality, got.Custody)
	}
	if got.Watch.Level != store.WatchAlert || got.Watch.Reason != "wanted" {
		t.Errorf("watch %+v: the stricter watch must stay", got.Watch)
	}
	if ss, _ := db.Samples(ctx, "P-1"); len(ss) != 5 {
		t.Errorf("P-1 has %d samples after the merge, want 2+3", len(ss))
	}
	if es, _ := db.Encounters(ctx, "P-1"); len(es) != 1 || es[0].ID != "E-1" {
		t.Errorf("P-1's encounters %+v, want E-1", es)
	}
	links, _ := db.FamilyLinks(ctx, "P-1")
	if len(links) != 1 || links[0].PersonID != "P-1" || links[0].RelativeID != "P-3" {
		t.Errorf("P-1's links %+v, want only P-1 → P-3", links)
	}
	for id, want := range map[string]string{"C-1": store.ConflictSame, "C-2": store.ConflictSame, "C-3": store.ConflictOpen} {
		c, err := db.Conflict(ctx, id)
		if err != nil || c.Status != want {
			t.Errorf("conflict %s: %+v %v, want %s", id, c, err, want)
		}
		if id == "C-3" && c.OtherID != "P-1" {
			t.Errorf("C-3 names %s, want it moved to P-1", c.OtherID)
		}
	}
	_, err = db.Person(ctx, "P-2")
	mustErr(t, err, store.ErrNotFound, "merged person")
	if err == nil || err.Error() != "person P-2 (merged into P-1): not found" {
		t.Errorf("read of a merged person: %v", err)
	}
	mg, err := db.Merged(ctx, "P-2")
	if err != nil || mg.Keep != "P-1" || mg.ConflictID != "C-1" || mg.By != "admin1" || !mg.At.Equal(m.At) || mg.Note != m.Note {
		t.Errorf("merge record %+v %v", mg, err)
	}
	mustErr(t, db.CreatePerson(ctx, person("P-2", t0), nil, entry("person.enrol", "P-2")), store.ErrConflict, "re-using a merged ID")
	if ps, _ := db.SearchPersons(ctx, store.PersonQuery{Name: "k. hassan"}); len(ps) != 1 || ps[0].ID != "P-1" {
		t.Errorf("search by the merged record's alias: %+v", ps)
	}
	verifyChain(t, db)
}
