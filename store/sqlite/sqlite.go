// Package sqlite is the embedded implementation of store.Store: one SQLite file in WAL mode,
// through the pure-Go driver modernc.org/sqlite (no cgo).
//
// Connections. A DB holds two connection pools on the same file:
//   - the writer, a pool of exactly one connection. Every change runs on it in a transaction
//     begun with BEGIN IMMEDIATE, so writes are serialised in the process, a transaction
//     never has to upgrade a read lock to a write lock (the usual source of SQLITE_BUSY that
//     busy_timeout cannot cure), and the order in which audit entries are sealed is the order
//     in which they commit;
//   - the readers, a pool of query-only connections. In WAL mode a reader sees the last
//     committed state and neither waits for the writer nor holds it up.
//
// busy_timeout covers the remaining waits (another process holding the write lock, WAL
// recovery after a crash).
//
// Durability. synchronous=FULL: each commit fsyncs the WAL before it returns, so a method
// that returned nil survives a kill -9 of the process and, as far as the disk honours fsync,
// a power loss. fullfsync is also on, which matters only on macOS.
//
// Times are stored as INTEGER Unix nanoseconds in UTC (NULL for the zero time) and are
// returned in UTC. Times outside the years 1678–2261, which nanoseconds cannot represent,
// are refused rather than stored wrong.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is a store.Store on one SQLite file. It is safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // the one writer connection
	r    *sql.DB // query-only readers
}

var _ store.Store = (*DB)(nil)

// busyTimeout is how long a connection waits for a lock held by another connection (in
// practice another process, since this process has a single writer) before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open opens the store in the SQLite file at path, creating the file when it does not exist,
// and brings its schema up to date. It refuses a file whose schema is newer than this
// program knows, or that is not a biomesh store.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite store: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	_, statErr := os.Stat(abs)
	created := errors.Is(statErr, os.ErrNotExist)

	db := &DB{path: abs}
	common := url.Values{}
	common.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	common.Set("_foreign_keys", "1")
	common.Set("_synchronous", "FULL")
	common.Add("_pragma", "fullfsync(1)")

	wq := cloneValues(common)
	wq.Set("_journal_mode", "WAL")
	wq.Set("_txlock", "immediate")
	// Erased personal data is overwritten, not left in free pages (see DeletePerson).
	wq.Add("_pragma", "secure_delete(1)")
	db.w, err = sql.Open("sqlite", dsn(abs, wq))
	if err != nil {
		return nil, fmt.Errorf("sqlite store %s: %w", abs, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)

	ctx := context.Background()
	var mode string
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite store %s: open: %w", abs, err)
	}
	if mode != "wal" {
		db.w.Close()
		return nil, fmt.Errorf("sqlite store %s: journal mode is %q, not wal (does the file system support shared memory?)", abs, mode)
	}
	if err := migrate(ctx, db.w, abs); err != nil {
		db.w.Close()
		return nil, err
	}
	if created {
		// The new file's directory entry must reach the disk too, or a power loss could
		// lose the whole file with every write acknowledged in it.
		if err := syncDir(filepath.Dir(abs)); err != nil {
			db.w.Close()
			return nil, fmt.Errorf("sqlite store %s: %w", abs, err)
		}
	}

	rq := cloneValues(common)
	rq.Set("_query_only", "1")
	db.r, err = sql.Open("sqlite", dsn(abs, rq))
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", abs, err)
	}
	// No limit on open readers: a callback of EachTemplate or EachAudit may itself read, and
	// a bound pool could then deadlock. Idle readers are kept for reuse.
	db.r.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	if err := db.r.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite store %s: open reader: %w", abs, err)
	}
	return db, nil
}

// Path returns the absolute path of the store's file.
func (db *DB) Path() string { return db.path }

// Close closes both pools. Every acknowledged write is already durable; closing the last
// connection also checkpoints the WAL into the main file.
func (db *DB) Close() error {
	var errR error
	if db.r != nil {
		errR = db.r.Close()
	}
	errW := db.w.Close()
	if err := errors.Join(errR, errW); err != nil {
		return fmt.Errorf("sqlite store %s: close: %w", db.path, err)
	}
	return nil
}

// dsn builds a file: URI for path, so that characters such as '?' and '#' in the path are
// escaped rather than taken as the start of a query.
func dsn(path string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if u.Path != "" && u.Path[0] != '/' { // Windows drive letter: file:///C:/…
		u.Path = "/" + u.Path
	}
	return u.String()
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// write runs fn and the audit entry a in one transaction on the writer. Inside it the last
// (seq, hash) of the audit table is read, a is sealed after it and inserted, and the
// transaction commits; it is all-or-nothing. On failure a's Seq, Prev and Hash are cleared,
// since the entry was not stored, and whatever fn wrote back must not be used: callers copy
// assigned IDs into their arguments only after write returns nil.
func (db *DB) write(ctx context.Context, what string, a *audit.Entry, fn func(tx *sql.Tx) error) error {
	return db.writeOut(ctx, what, a, nil, fn)
}

// writeOut is write that also inserts the outbox messages out in the transaction, after
// fn, so that they exist exactly when the change does.
func (db *DB) writeOut(ctx context.Context, what string, a *audit.Entry, out []store.OutboxMessage, fn func(tx *sql.Tx) error) (err error) {
	if a == nil {
		return fmt.Errorf("%s: audit entry is nil", what)
	}
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	if _, err := nanos(a.Time, "audit entry time"); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer func() {
		if err != nil {
			a.Seq, a.Prev, a.Hash = 0, nil, nil
		}
	}()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if fn != nil {
		if err := fn(tx); err != nil {
			return fmt.Errorf("%s: %w", what, mapErr(err))
		}
	}
	if err := appendOutbox(ctx, tx, out); err != nil {
		return fmt.Errorf("%s: %w", what, mapErr(err))
	}
	if err := appendAudit(ctx, tx, a); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// appendAudit seals a after the last entry in the audit table and inserts it, inside tx.
func appendAudit(ctx context.Context, tx *sql.Tx, a *audit.Entry) error {
	var (
		seq  int64
		prev []byte
	)
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		seq, prev = 0, audit.Genesis
	case err != nil:
		return fmt.Errorf("audit: read the chain head: %w", err)
	}
	a.Seal(seq+1, prev)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (seq, time, user, org, role, purpose, action, target, result, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Seq, a.Time.UnixNano(), a.User, a.Org, a.Role, a.Purpose, a.Action, a.Target, a.Result, a.Prev, a.Hash)
	if err != nil {
		return fmt.Errorf("audit: insert entry %d: %w", a.Seq, err)
	}
	return nil
}

// mapErr turns SQLite's uniqueness violations into store.ErrConflict, for the races and
// cases that the explicit checks before an insert do not name better.
func mapErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("%w: %v", store.ErrConflict, err)
		}
	}
	return err
}

// Representable range of Unix nanoseconds in an int64.
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

// nanos returns t as Unix nanoseconds for an INTEGER column, or nil (NULL) for the zero time.
// field names the value in the error for a time nanoseconds cannot represent.
func nanos(t time.Time, field string) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, fmt.Errorf("%s %s is outside the storable range %d–%d", field, t.UTC().Format(time.RFC3339Nano), minTime.Year(), maxTime.Year())
	}
	return t.UnixNano(), nil
}

// fromNanos is the inverse of nanos: NULL is the zero time, others are UTC.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// blob returns b for a BLOB NOT NULL column: nil is stored as an empty blob.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// unblob returns nil for an empty blob, so that what was stored nil reads back nil.
func unblob(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// exists reports whether query (which selects one row or none) finds a row.
func exists(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}
