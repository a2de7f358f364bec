package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// AddFamilyLink stores a relationship between two existing, different persons (ErrNotFound
// when either is missing). An empty Status is stored as "claimed" and a zero Created as now;
// on success the ID, Status and Created are written back.
func (db *DB) AddFamilyLink(ctx context.Context, l *store.FamilyLink, a *audit.Entry) error {
	if l == nil {
		return errors.New("add family link: nil link")
	}
	what := fmt.Sprintf("add family link %s -> %s", l.PersonID, l.RelativeID)
	switch {
	case l.PersonID == "" || l.RelativeID == "":
		return fmt.Errorf("%s: both persons must be set", what)
	case l.PersonID == l.RelativeID:
		return fmt.Errorf("%s: a person cannot be their own relative", what)
	case l.Relation == "":
		return fmt.Errorf("%s: empty relation", what)
	}
	status := l.Status
	if status == "" {
		status = "claimed"
	}
	created := l.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC()
	cr, err := nanos(created, "created")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var id int64
	err = db.write(ctx, what, a, func(tx *sql.Tx) error {
		for _, p := range []string{l.PersonID, l.RelativeID} {
			if err := personExists(ctx, tx, p); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO family_links (person_id, relative_id, relation, status,
			note, created, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			l.PersonID, l.RelativeID, l.Relation, status, l.Note, cr, l.CreatedBy)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return err
	}
	l.ID, l.Status, l.Created = id, status, created
	return nil
}

// FamilyLinks returns the links in which a person is either side, in ID order; ErrNotFound
// when the person does not exist.
func (db *DB) FamilyLinks(ctx context.Context, personID string) ([]store.FamilyLink, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, person_id, relative_id, relation, status, note, created, created_by
		FROM family_links WHERE person_id = ?1
		UNION ALL
		SELECT id, person_id, relative_id, relation, status, note, created, created_by
		FROM family_links WHERE relative_id = ?1
		ORDER BY id`, personID)
	if err != nil {
		return nil, fmt.Errorf("family links of person %s: %w", personID, err)
	}
	defer rows.Close()
	out := []store.FamilyLink{}
	for rows.Next() {
		var (
			l  store.FamilyLink
			cr sql.NullInt64
		)
		if err := rows.Scan(&l.ID, &l.PersonID, &l.RelativeID, &l.Relation, &l.Status, &l.Note, &cr, &l.CreatedBy); err != nil {
			return nil, fmt.Errorf("family links of person %s: %w", personID, err)
		}
		l.Created = fromNanos(cr)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("family links of person %s: %w", personID, err)
	}
	if len(out) == 0 {
		if err := personExists(ctx, db.r, personID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const conflictCols = `id, person_id, other_id, score, modalities, reason, status, created, resolved_by, resolved_at, note`

func scanConflict(row scanner) (*store.Conflict, error) {
	var (
		c       store.Conflict
		mods    string
		cr, res sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.PersonID, &c.OtherID, &c.Score, &mods, &c.Reason, &c.Status, &cr,
		&c.ResolvedBy, &res, &c.Note); err != nil {
		return nil, err
	}
	if mods != "" && mods != "[]" {
		if err := json.Unmarshal([]byte(mods), &c.Modalities); err != nil {
			return nil, fmt.Errorf("conflict %s: stored modalities are not a JSON string list: %w", c.ID, err)
		}
	}
	c.Created, c.ResolvedAt = fromNanos(cr), fromNanos(res)
	return &c, nil
}

// AddConflict stores a new identity conflict between two existing persons. c.ID must be set
// and unused (ErrConflict). An empty Status is stored as open and a zero Created as now; both
// are written back on success.
func (db *DB) AddConflict(ctx context.Context, c *store.Conflict, a *audit.Entry) error {
	if c == nil {
		return errors.New("add conflict: nil conflict")
	}
	what := fmt.Sprintf("add conflict %s", c.ID)
	switch {
	case c.ID == "":
		return errors.New("add conflict: empty ID")
	case c.PersonID == "" || c.OtherID == "":
		return fmt.Errorf("%s: both persons must be set", what)
	}
	status := c.Status
	if status == "" {
		status = store.ConflictOpen
	}
	if status != store.ConflictOpen && status != store.ConflictSame && status != store.ConflictDifferent {
		return fmt.Errorf("%s: unknown status %q", what, status)
	}
	created := c.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC()
	cr, err := nanos(created, "created")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	resAt, err := nanos(c.ResolvedAt, "resolution time")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	mods := c.Modalities
	if mods == nil {
		mods = []string{}
	}
	js, err := json.Marshal(mods)
	if err != nil {
		return fmt.Errorf("%s: modalities: %w", what, err)
	}
	err = db.write(ctx, what, a, func(tx *sql.Tx) error {
		taken, err := exists(ctx, tx, `SELECT 1 FROM conflicts WHERE id = ?`, c.ID)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("conflict %s already exists: %w", c.ID, store.ErrConflict)
		}
		for _, p := range []string{c.PersonID, c.OtherID} {
			if err := personExists(ctx, tx, p); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO conflicts (`+conflictCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.PersonID, c.OtherID, c.Score, string(js), c.Reason, status, cr, c.ResolvedBy, resAt, c.Note)
		return err
	})
	if err != nil {
		return err
	}
	c.Status, c.Created = status, created
	return nil
}

// Conflict returns one conflict; ErrNotFound when absent.
func (db *DB) Conflict(ctx context.Context, id string) (*store.Conflict, error) {
	c, err := scanConflict(db.r.QueryRowContext(ctx, `SELECT `+conflictCols+` FROM conflicts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("conflict %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("conflict %s: %w", id, err)
	}
	return c, nil
}

// Conflicts lists conflicts with the given status ("" for all) in which personID is either
// side ("" for every person), newest first.
func (db *DB) Conflicts(ctx context.Context, status, personID string) ([]store.Conflict, error) {
	var (
		where []string
		args  []any
	)
	if status != "" {
		where = append(where, `status = ?`)
		args = append(args, status)
	}
	if personID != "" {
		where = append(where, `(person_id = ? OR other_id = ?)`)
		args = append(args, personID, personID)
	}
	query := `SELECT ` + conflictCols + ` FROM conflicts`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY created DESC, rowid DESC`
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("conflicts (status %q, person %q): %w", status, personID, err)
	}
	defer rows.Close()
	out := []store.Conflict{}
	for rows.Next() {
		c, err := scanConflict(rows)
		if err != nil {
			return nil, fmt.Errorf("conflicts (status %q, person %q): %w", status, personID, err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conflicts (status %q, person %q): %w", status, personID, err)
	}
	return out, nil
}

// ResolveConflict sets an open conflict's status (same-person or different-persons),
// resolver, time (now when zero) and note. ErrNotFound when the conflict does not exist,
// ErrConflict when it is not open. On success *c is the stored conflict.
func (db *DB) ResolveConflict(ctx context.Context, c *store.Conflict, a *audit.Entry) error {
	if c == nil {
		return errors.New("resolve conflict: nil conflict")
	}
	what := fmt.Sprintf("resolve conflict %s", c.ID)
	if c.Status != store.ConflictSame && c.Status != store.ConflictDifferent {
		return fmt.Errorf("%s: status %q is not a resolution (%s or %s)", what, c.Status, store.ConflictSame, store.ConflictDifferent)
	}
	resolved := c.ResolvedAt
	if resolved.IsZero() {
		resolved = time.Now()
	}
	at, err := nanos(resolved, "resolution time")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var stored *store.Conflict
	err = db.write(ctx, what, a, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE conflicts SET status = ?, resolved_by = ?, resolved_at = ?, note = ?
			WHERE id = ? AND status = ?`, c.Status, c.ResolvedBy, at, c.Note, c.ID, store.ConflictOpen)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			var status string
			err := tx.QueryRowContext(ctx, `SELECT status FROM conflicts WHERE id = ?`, c.ID).Scan(&status)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("conflict %s: %w", c.ID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("conflict %s is %s, not open: %w", c.ID, status, store.ErrConflict)
		}
		stored, err = scanConflict(tx.QueryRowContext(ctx, `SELECT `+conflictCols+` FROM conflicts WHERE id = ?`, c.ID))
		return err
	})
	if err != nil {
		return err
	}
	*c = *stored
	return nil
}
