package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// TestConcurrentUse runs 16 goroutines writing and reading at once for a bounded time, over
// two DB handles on the same file (as a second process, e.g. the CLI, would be), and checks
// that no operation failed (no SQLITE_BUSY), that every write is there once, and that the
// audit chain verifies.
func TestConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db1, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()

	const workers = 16
	duration := 1500 * time.Millisecond
	if testing.Short() {
		duration = 300 * time.Millisecond
	}
	deadline := time.Now().Add(duration)
	var (
		persons, encounters, entries atomic.Int64
		wg                           sync.WaitGroup
		errMu                        sync.Mutex
		errs                         []error
	)
	report := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	for w := range workers {
		db := db1
		if w%4 == 3 {
			db = db2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("P-%d-%d", w, i)
				var err error
				switch w % 4 {
				case 0, 3: // writers
					if err = db.CreatePerson(ctx, person(id, time.Now()), samples(2), entry("person.enrol", id)); err == nil {
						persons.Add(1)
						entries.Add(1)
						if err = db.AddEncounter(ctx, &store.Encounter{ID: "E-" + id, PersonID: id}, entry("encounter", id)); err == nil {
							encounters.Add(1)
							entries.Add(1)
						}
					}
				case 1: // audited reads
					if err = db.Audit(ctx, entry("identify", id)); err == nil {
						entries.Add(1)
						_, err = db.SearchPersons(ctx, store.PersonQuery{Name: "karim", Limit: 20})
					}
				case 2: // plain reads, including full scans
					n := 0
					err = db.EachTemplate(ctx, store.Finger, func(store.Sample) error { n++; return nil })
					if err == nil {
						var v audit.Verifier
						err = db.EachAudit(ctx, 0, v.Next)
					}
					if err == nil {
						if _, err = db.Person(ctx, fmt.Sprintf("P-0-%d", i)); errors.Is(err, store.ErrNotFound) {
							err = nil
						}
					}
				}
				if err != nil {
					report(fmt.Errorf("worker %d op %d: %w", w, i, err))
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	var np, ne, na int64
	db1.w.QueryRow(`SELECT count(*) FROM persons`).Scan(&np)
	db1.w.QueryRow(`SELECT count(*) FROM encounters`).Scan(&ne)
	db1.w.QueryRow(`SELECT count(*) FROM audit`).Scan(&na)
	if np != persons.Load() || ne != encounters.Load() || na != entries.Load() {
		t.Errorf("stored %d persons, %d encounters, %d entries; acknowledged %d, %d, %d",
			np, ne, na, persons.Load(), encounters.Load(), entries.Load())
	}
	if n := verifyChain(t, db1); n != entries.Load() {
		t.Errorf("chain has %d entries, want %d", n, entries.Load())
	}
	t.Logf("%d persons, %d encounters, %d audit entries in %v", np, ne, na, duration)
}

// TestReadersDoNotWaitForWriter holds the writer inside an uncommitted transaction and
// checks that reads return at once with the last committed state.
func TestReadersDoNotWaitForWriter(t *testing.T) {
	db := openTemp(t)
	if err := db.CreatePerson(ctx, person("P-1", t0), nil, entry("person.enrol", "P-1")); err != nil {
		t.Fatal(err)
	}
	tx, err := db.w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM persons WHERE id = 'P-1'`); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := db.Person(rctx, "P-1"); err != nil {
		t.Fatalf("read during an open write: %v", err)
	}
	if ps, err := db.SearchPersons(rctx, store.PersonQuery{}); err != nil || len(ps) != 1 {
		t.Fatalf("search during an open write: %v %v", ps, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("reads took %v while the writer was busy", d)
	}
	// A write waits for the writer; with a short deadline it fails cleanly, storing nothing.
	wctx, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if err := db.Audit(wctx, entry("x", "")); err == nil {
		t.Fatal("write succeeded while the writer was held")
	}
}
