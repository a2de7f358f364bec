package federation

import (
	"path/filepath"
	"testing"
)

func TestSQLStatePragmas(t *testing.T) {
	s, err := OpenSQLState(filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode string
	var sync, sd int
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	s.db.QueryRow("PRAGMA synchronous").Scan(&sync)
	s.db.QueryRow("PRAGMA secure_delete").Scan(&sd)
	if mode != "wal" || sync != 2 || sd != 1 {
		t.Errorf("journal_mode %q, synchronous %d, secure_delete %d; want wal, 2 (FULL), 1", mode, sync, sd)
	}
}
