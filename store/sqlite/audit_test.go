package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// mixedOps runs n rounds of every kind of write and returns the number of audit entries
// they made.
func mixedOps(t *testing.T, db *DB, n int) int64 {
	t.Helper()
	var entries int64
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		entries++
	}
	fail := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("expected an error")
		}
	}
	ok(db.CreateOrg(ctx, &store.Org{ID: "org1", Name: "o"}, entry("org.create", "org1")))
	for i := range n {
		id, rel := fmt.Sprintf("P-%d", i), fmt.Sprintf("R-%d", i)
		ok(db.CreatePerson(ctx, person(id, t0), samples(2), entry("person.enrol", id)))
		ok(db.CreatePerson(ctx, person(rel, t0), nil, entry("person.enrol", rel)))
		fail(db.CreatePerson(ctx, person(id, t0), nil, entry("person.enrol", id)))
		ok(db.AddSamples(ctx, id, samples(1), entry("person.samples", id)))
		ok(db.UpdatePerson(ctx, person(id, t0), entry("person.update", id)))
		ok(db.SetWatch(ctx, id, store.Watch{Level: store.WatchMonitor}, entry("person.watch", id)))
		ok(db.AddFamilyLink(ctx, &store.FamilyLink{PersonID: id, RelativeID: rel, Relation: "sibling"}, entry("family.link", id)))
		ok(db.AddEncounter(ctx, &store.Encounter{ID: "E-" + id, PersonID: id, Probes: samples(1)}, entry("encounter", id)))
		ok(db.AddConflict(ctx, &store.Conflict{ID: "C-" + id, PersonID: id, OtherID: rel}, entry("conflict.add", id)))
		ok(db.ResolveConflict(ctx, &store.Conflict{ID: "C-" + id, Status: store.ConflictDifferent}, entry("conflict.resolve", id)))
		fail(db.ResolveConflict(ctx, &store.Conflict{ID: "C-" + id, Status: store.ConflictSame}, entry("conflict.resolve", id)))
		ok(db.CreateUser(ctx, &store.User{ID: "u-" + id, Org: "org1", Role: store.RoleEnroller, TokenHash: []byte(fmt.Sprintf("%032d", i))}, entry("user.create", id)))
		ok(db.Audit(ctx, entry("person.read", id)))
		fail(db.DeletePerson(ctx, store.Deletion{PersonID: id}, entry("person.delete", id)))
		ok(db.SetWatch(ctx, id, store.Watch{}, entry("person.watch", id)))
		ok(db.DeletePerson(ctx, store.Deletion{PersonID: rel, Reason: "r"}, entry("person.delete", rel)))
	}
	return entries
}

func TestAuditChainOverMixedOperations(t *testing.T) {
	db := openTemp(t)
	want := mixedOps(t, db, 20)
	if got := verifyChain(t, db); got != want {
		t.Fatalf("%d audit entries, want %d", got, want)
	}
	// Entries are contiguous from 1 and each is exactly what was sealed.
	var max int64
	if err := db.w.QueryRow(`SELECT max(seq) FROM audit`).Scan(&max); err != nil || max != want {
		t.Fatalf("max seq %d (%v), want %d", max, err, want)
	}
}

func TestAuditTamperingDetected(t *testing.T) {
	for _, c := range []struct {
		name    string
		stmts   []string
		wantSeq int64
	}{
		{"edit result", []string{`UPDATE audit SET result = 'no-hit' WHERE seq = 7`}, 7},
		{"edit time", []string{`UPDATE audit SET time = time + 1 WHERE seq = 3`}, 3},
		{"delete entry", []string{`DELETE FROM audit WHERE seq = 5`}, 6},
		{"delete last", []string{`DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)`}, 0}, // undetectable without the head: see below
		{"swap seq", []string{
			`UPDATE audit SET seq = -1 WHERE seq = 4`,
			`UPDATE audit SET seq = 4 WHERE seq = 5`,
			`UPDATE audit SET seq = 5 WHERE seq = -1`,
		}, 4},
		{"insert entry", []string{`INSERT INTO audit SELECT seq + 1000, time, user, org, role, purpose, action, target, result, prev, hash FROM audit WHERE seq = 2`}, 1002},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.db")
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if err := db.Audit(ctx, &audit.Entry{Time: t0.Add(time.Duration(i)), User: "u", Action: "read", Target: fmt.Sprint(i), Result: "ok"}); err != nil {
					t.Fatal(err)
				}
			}
			var before audit.Verifier
			if err := db.EachAudit(ctx, 0, before.Next); err != nil {
				t.Fatal(err)
			}
			for _, s := range c.stmts {
				if _, err := db.w.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			var v audit.Verifier
			err = db.EachAudit(ctx, 0, v.Next)
			db.Close()
			if c.wantSeq == 0 {
				// Truncating the tail leaves a valid shorter chain; it shows only against a
				// head kept elsewhere.
				if err != nil || v.Head() == before.Head() {
					t.Fatalf("truncation: err %v, head unchanged %v", err, v.Head() == before.Head())
				}
				return
			}
			var ae *audit.Error
			if !errors.As(err, &ae) {
				t.Fatalf("tampering not detected: %v", err)
			}
			if ae.Seq != c.wantSeq {
				t.Fatalf("break reported at %d, want %d: %v", ae.Seq, c.wantSeq, err)
			}
		})
	}
}
