package federation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/biomesh/biomesh/store"
)

// SQLState is a State in its own SQLite file (WAL, synchronous=FULL: durable when a
// method returns). Records are kept as JSON: the federation reads them whole by key and
// never queries inside them.
type SQLState struct {
	db *sql.DB
}

var _ State = (*SQLState)(nil)

const sqlSchema = `
CREATE TABLE IF NOT EXISTS applied (origin TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (origin, id));
CREATE TABLE IF NOT EXISTS received (ref TEXT PRIMARY KEY, origin TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS follow_ups (id TEXT PRIMARY KEY, requested INTEGER NOT NULL, record TEXT NOT NULL);
`

// OpenSQLState opens (creating when needed) the state file at path.
func OpenSQLState(path string) (*SQLState, error) {
	// The pure-Go driver takes PRAGMAs as _pragma parameters, run on every new connection.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "secure_delete(1)") // erased copies are overwritten
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("federation state %s: %w", path, err)
	}
	// One connection: writes are serialised in the process and never wait on each other.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(sqlSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("federation state %s: %w", path, err)
	}
	return &SQLState{db: db}, nil
}

// Close closes the file.
func (s *SQLState) Close() error { return s.db.Close() }

// AppliedAt implements State.
func (s *SQLState) AppliedAt(ctx context.Context, origin, id string) (uint64, bool, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM applied WHERE origin = ? AND id = ?`, origin, id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return uint64(seq), true, nil
}

// Apply implements State.
func (s *SQLState) Apply(ctx context.Context, a Applied) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO applied (origin, id, seq) VALUES (?, ?, ?)`, a.Event.Origin, a.Event.ID, int64(a.Seq)); err != nil {
		return err
	}
	if a.Erase {
		if _, err := tx.ExecContext(ctx, `DELETE FROM received WHERE ref = ?`, a.Event.Ref); err != nil {
			return err
		}
	}
	if a.Put != nil {
		b, err := json.Marshal(a.Put)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO received (ref, origin, record) VALUES (?, ?, ?)
			ON CONFLICT (ref) DO UPDATE SET origin = excluded.origin, record = excluded.record`, a.Event.Ref, a.Event.Origin, string(b)); err != nil {
			return err
		}
	}
	if a.FollowUp != nil {
		if err := putFollowUp(ctx, tx, a.FollowUp); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Received implements State.
func (s *SQLState) Received(ctx context.Context, ref string) (*Received, error) {
	var b string
	err := s.db.QueryRowContext(ctx, `SELECT record FROM received WHERE ref = ?`, ref).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var r Received
	if err := json.Unmarshal([]byte(b), &r); err != nil {
		return nil, fmt.Errorf("federation state: received %s: %w", ref, err)
	}
	return &r, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func putFollowUp(ctx context.Context, db execer, f *FollowUp) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO follow_ups (id, requested, record) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET record = excluded.record`, f.ID, f.Requested.UnixNano(), string(b))
	return err
}

// PutFollowUp implements State.
func (s *SQLState) PutFollowUp(ctx context.Context, f *FollowUp) error {
	return putFollowUp(ctx, s.db, f)
}

// FollowUp implements State.
func (s *SQLState) FollowUp(ctx context.Context, id string) (*FollowUp, error) {
	var b string
	err := s.db.QueryRowContext(ctx, `SELECT record FROM follow_ups WHERE id = ?`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var f FollowUp
	if err := json.Unmarshal([]byte(b), &f); err != nil {
		return nil, fmt.Errorf("federation state: follow-up %s: %w", id, err)
	}
	return &f, nil
}

// FollowUps implements State.
func (s *SQLState) FollowUps(ctx context.Context) ([]FollowUp, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT record FROM follow_ups ORDER BY requested, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FollowUp
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var f FollowUp
		if err := json.Unmarshal([]byte(b), &f); err != nil {
			return nil, fmt.Errorf("federation state: follow-up: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
