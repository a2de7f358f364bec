package sqlite

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/store"
)

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePerson(ctx, person("P-1", t0), samples(2), entry("person.enrol", "P-1")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if _, err := db.Person(ctx, "P-1"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if err := db.Audit(ctx, entry("x", "")); err != nil {
		t.Fatal(err)
	}
	if n := verifyChain(t, db); n != 2 {
		t.Fatalf("%d audit entries after reopen, want 2", n)
	}
	var v int
	if err := db.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d (%v), want %d", v, err, len(migrations))
	}
}

// rawExec runs SQL on the file with a plain connection, outside the store.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawExec(t, path, "PRAGMA user_version = 99")
	_, err = Open(path)
	if err == nil {
		t.Fatal("opened a file with a newer schema")
	}
	for _, want := range []string{path, "99", "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestForeignFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	rawExec(t, path, "CREATE TABLE t (x)")
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "not a biomesh store") {
		t.Fatalf("opened another program's database: %v", err)
	}
	path2 := filepath.Join(t.TempDir(), "other2.db")
	rawExec(t, path2, "PRAGMA application_id = 1234")
	if _, err := Open(path2); err == nil || !strings.Contains(err.Error(), "not a biomesh store") {
		t.Fatalf("opened a file with another application id: %v", err)
	}
	path3 := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(path3, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path3); err == nil {
		t.Fatal("opened a garbage file")
	}
}

// TestMigrationSteps checks that each step runs once, in its own transaction, and that a
// failing step leaves the file at the version before it.
func TestMigrationSteps(t *testing.T) {
	saved := migrations
	defer func() { migrations = saved }()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	migrations = append(append([]string(nil), saved...),
		`CREATE TABLE extra (x INTEGER); INSERT INTO extra VALUES (1);`,
		`INSERT INTO extra VALUES (2); INSERT INTO no_such_table VALUES (1);`)
	if _, err := Open(path); err == nil {
		t.Fatal("a failing migration did not fail the open")
	}
	migrations = migrations[:len(saved)+1]
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, v int
	if err := db.w.QueryRow(`SELECT count(*) FROM extra`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("extra rows %d (%v): the failed step must leave nothing, the good one must run once", n, err)
	}
	if err := db.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(saved)+1 {
		t.Fatalf("schema version %d (%v)", v, err)
	}
	if _, err := db.Person(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}

// TestPragmas checks the settings durability and integrity rest on, on both pools.
func TestPragmas(t *testing.T) {
	db := openTemp(t)
	for _, c := range []struct {
		pool   *sql.DB
		pragma string
		want   string
	}{
		{db.w, "journal_mode", "wal"},
		{db.w, "synchronous", "2"}, // FULL
		{db.w, "foreign_keys", "1"},
		{db.w, "secure_delete", "1"},
		{db.w, "busy_timeout", "10000"},
		{db.r, "synchronous", "2"},
		{db.r, "busy_timeout", "10000"},
		{db.r, "query_only", "1"},
	} {
		var got string
		if err := c.pool.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.pragma, got, c.want)
		}
	}
	if _, err := db.r.Exec(`DELETE FROM audit`); err == nil {
		t.Error("a reader connection could write")
	}
}
