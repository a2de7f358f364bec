package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// CreateOrg adds an organisation. o.ID must be set and unused (ErrConflict). A zero Created
// is set to now and written back on success.
func (db *DB) CreateOrg(ctx context.Context, o *store.Org, a *audit.Entry) error {
	if o == nil {
		return errors.New("create org: nil org")
	}
	what := fmt.Sprintf("create org %s", o.ID)
	if o.ID == "" {
		return errors.New("create org: empty ID")
	}
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC()
	cr, err := nanos(created, "created")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = db.write(ctx, what, a, func(tx *sql.Tx) error {
		taken, err := exists(ctx, tx, `SELECT 1 FROM orgs WHERE id = ?`, o.ID)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("org %s already exists: %w", o.ID, store.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO orgs (id, name, created) VALUES (?, ?, ?)`, o.ID, o.Name, cr)
		return err
	})
	if err != nil {
		return err
	}
	o.Created = created
	return nil
}

// CreateUser adds a user of an existing organisation (ErrNotFound otherwise). u.ID must be
// set and unused, and u.TokenHash, a SHA-256 hash, must not be another user's (ErrConflict
// for either). The role must be one of store.Roles. A zero Created is set to now and
// written back on success.
func (db *DB) CreateUser(ctx context.Context, u *store.User, a *audit.Entry) error {
	if u == nil {
		return errors.New("create user: nil user")
	}
	what := fmt.Sprintf("create user %s", u.ID)
	switch {
	case u.ID == "":
		return errors.New("create user: empty ID")
	case !slices.Contains(store.Roles, u.Role):
		return fmt.Errorf("%s: unknown role %q", what, u.Role)
	case len(u.TokenHash) != sha256.Size:
		return fmt.Errorf("%s: token hash is %d bytes, not a SHA-256 hash (%d)", what, len(u.TokenHash), sha256.Size)
	}
	created := u.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC()
	cr, err := nanos(created, "created")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	err = db.write(ctx, what, a, func(tx *sql.Tx) error {
		taken, err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = ?`, u.ID)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("user %s already exists: %w", u.ID, store.ErrConflict)
		}
		if taken, err = exists(ctx, tx, `SELECT 1 FROM users WHERE token_hash = ?`, u.TokenHash); err != nil {
			return err
		} else if taken {
			return fmt.Errorf("token hash already belongs to another user: %w", store.ErrConflict)
		}
		if ok, err := exists(ctx, tx, `SELECT 1 FROM orgs WHERE id = ?`, u.Org); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("org %s: %w", u.Org, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO users (id, name, org, role, token_hash, created, disabled)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Name, u.Org, u.Role, u.TokenHash, cr, u.Disabled)
		return err
	})
	if err != nil {
		return err
	}
	u.Created = created
	return nil
}

const userCols = `id, name, org, role, token_hash, created, disabled`

func scanUser(row scanner) (*store.User, error) {
	var (
		u  store.User
		cr sql.NullInt64
	)
	if err := row.Scan(&u.ID, &u.Name, &u.Org, &u.Role, &u.TokenHash, &cr, &u.Disabled); err != nil {
		return nil, err
	}
	u.Created = fromNanos(cr)
	return &u, nil
}

// UserByToken returns the enabled user whose token hashes to hash; ErrNotFound when there is
// none or that user is disabled. The error does not show the hash.
func (db *DB) UserByToken(ctx context.Context, hash []byte) (*store.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE token_hash = ? AND disabled = 0`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user by token: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("user by token: %w", err)
	}
	return u, nil
}

// Users lists the users of one organisation, or all when org is "", by organisation and ID.
func (db *DB) Users(ctx context.Context, org string) ([]store.User, error) {
	query, args := `SELECT `+userCols+` FROM users ORDER BY org, id`, []any(nil)
	if org != "" {
		query, args = `SELECT `+userCols+` FROM users WHERE org = ? ORDER BY id`, []any{org}
	}
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("users of org %q: %w", org, err)
	}
	defer rows.Close()
	out := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users of org %q: %w", org, err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users of org %q: %w", org, err)
	}
	return out, nil
}

// Org returns one organisation; ErrNotFound when absent.
func (db *DB) Org(ctx context.Context, id string) (*store.Org, error) {
	o := store.Org{ID: id}
	var cr sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT name, created FROM orgs WHERE id = ?`, id).Scan(&o.Name, &cr)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("org %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("org %s: %w", id, err)
	}
	o.Created = fromNanos(cr)
	return &o, nil
}

// Audit appends an entry on its own, sealed after the current head of the chain. A zero
// Time is set to now.
func (db *DB) Audit(ctx context.Context, a *audit.Entry) error {
	return db.write(ctx, "audit "+auditName(a), a, nil)
}

func auditName(a *audit.Entry) string {
	if a == nil {
		return "entry"
	}
	return a.Action
}

// EachAudit calls fn for every audit entry after sequence number from, in sequence order,
// from one read snapshot. Each call gets its own Entry, which fn may keep. An error from fn
// stops the scan and is returned as is.
func (db *DB) EachAudit(ctx context.Context, from int64, fn func(*audit.Entry) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, time, user, org, role, purpose, action, target,
		result, prev, hash FROM audit WHERE seq > ? ORDER BY seq`, from)
	if err != nil {
		return fmt.Errorf("audit entries after %d: %w", from, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e audit.Entry
			t int64
		)
		if err := rows.Scan(&e.Seq, &t, &e.User, &e.Org, &e.Role, &e.Purpose, &e.Action, &e.Target,
			&e.Result, &e.Prev, &e.Hash); err != nil {
			return fmt.Errorf("audit entries after %d: %w", from, err)
		}
		e.Time = time.Unix(0, t).UTC()
		if err := fn(&e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit entries after %d: %w", from, err)
	}
	return nil
}
