package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// MergePersons joins person m.Gone into m.Keep in one transaction (see store.Store). When
// m.ConflictID is set the conflict must be open and between the two persons; it is resolved
// as the same person by m.By at m.At (now when zero) with m.Note. Other conflicts naming
// Gone are moved to Keep; one that would then name Keep twice is resolved as the same
// person too. Family links move as well, and a link between the two is dropped.
func (db *DB) MergePersons(ctx context.Context, m store.Merge, a *audit.Entry, out ...store.OutboxMessage) (*store.Person, error) {
	what := fmt.Sprintf("merge person %s into %s", m.Gone, m.Keep)
	if m.Keep == "" || m.Gone == "" || m.Keep == m.Gone {
		return nil, fmt.Errorf("%s: two different person IDs are needed", what)
	}
	if m.At.IsZero() {
		m.At = time.Now()
	}
	at, err := nanos(m.At, "merge time")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var merged *store.Person
	err = db.writeOut(ctx, what, a, out, func(tx *sql.Tx) error {
		get := func(id string) (*store.Person, error) {
			p, err := scanPerson(tx.QueryRowContext(ctx, `SELECT `+personCols+` FROM persons WHERE id = ?`, id))
			if errors.Is(err, sql.ErrNoRows) {
				return nil, notFoundPerson(ctx, tx, id)
			}
			return p, err
		}
		keep, err := get(m.Keep)
		if err != nil {
			return err
		}
		gone, err := get(m.Gone)
		if err != nil {
			return err
		}
		if keep.Org != gone.Org {
			return fmt.Errorf("persons %s (%s) and %s (%s) belong to different organisations, whose records are not merged: %w",
				keep.ID, keep.Org, gone.ID, gone.Org, store.ErrConflict)
		}
		if m.ConflictID != "" {
			c, err := scanConflict(tx.QueryRowContext(ctx, `SELECT `+conflictCols+` FROM conflicts WHERE id = ?`, m.ConflictID))
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("conflict %s: %w", m.ConflictID, store.ErrNotFound)
			}
			if err != nil {
				return err
			}
			if c.Status != store.ConflictOpen {
				return fmt.Errorf("conflict %s is %s, not open: %w", c.ID, c.Status, store.ErrConflict)
			}
			if !(c.PersonID == m.Keep && c.OtherID == m.Gone || c.PersonID == m.Gone && c.OtherID == m.Keep) {
				return fmt.Errorf("conflict %s is between %s and %s, not %s and %s: %w", c.ID, c.PersonID, c.OtherID, m.Keep, m.Gone, store.ErrConflict)
			}
		}

		joinPersons(keep, gone)
		bio, err := personArgs(keep)
		if err != nil {
			return err
		}
		var setAt any
		if !keep.Watch.SetAt.IsZero() {
			if setAt, err = nanos(keep.Watch.SetAt, "watch set time"); err != nil {
				return err
			}
		}
		steps := []struct {
			q    string
			args []any
		}{
			{`UPDATE persons SET name = ?, aliases = ?, search = ?, dob = ?, sex = ?, nationality = ?,
				category = ?, custody = ?, watch_level = ?, watch_reason = ?, watch_set_by = ?,
				watch_set_org = ?, watch_set_at = ?, updated = ? WHERE id = ?`,
				append(bio, string(keep.Watch.Level), keep.Watch.Reason, keep.Watch.SetBy, keep.Watch.SetOrg, setAt, at, keep.ID)},
			{`UPDATE samples SET person_id = ?1 WHERE person_id = ?2`, []any{keep.ID, gone.ID}},
			{`UPDATE encounters SET person_id = ?1 WHERE person_id = ?2`, []any{keep.ID, gone.ID}},
			{`DELETE FROM family_links WHERE (person_id = ?1 AND relative_id = ?2) OR (person_id = ?2 AND relative_id = ?1)`, []any{keep.ID, gone.ID}},
			{`UPDATE family_links SET person_id = ?1 WHERE person_id = ?2`, []any{keep.ID, gone.ID}},
			{`UPDATE family_links SET relative_id = ?1 WHERE relative_id = ?2`, []any{keep.ID, gone.ID}},
			{`UPDATE conflicts SET status = ?, resolved_by = ?, resolved_at = ?, note = ? WHERE id = ?`,
				[]any{store.ConflictSame, m.By, at, m.Note, m.ConflictID}},
			// Other open conflicts between the two are the same finding: resolved with it.
			{`UPDATE conflicts SET status = ?, resolved_by = ?, resolved_at = ?, note = ?
				WHERE status = ? AND ((person_id = ? AND other_id = ?) OR (person_id = ? AND other_id = ?))`,
				[]any{store.ConflictSame, m.By, at, "resolved by the merge of " + gone.ID + " into " + keep.ID,
					store.ConflictOpen, keep.ID, gone.ID, gone.ID, keep.ID}},
			{`UPDATE conflicts SET person_id = ?1 WHERE person_id = ?2`, []any{keep.ID, gone.ID}},
			{`UPDATE conflicts SET other_id = ?1 WHERE other_id = ?2`, []any{keep.ID, gone.ID}},
			{`DELETE FROM persons WHERE id = ?`, []any{gone.ID}},
			{`INSERT INTO merges (person_id, into_id, conflict_id, by, at, note) VALUES (?, ?, ?, ?, ?, ?)`,
				[]any{gone.ID, keep.ID, m.ConflictID, m.By, at, m.Note}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return err
			}
		}
		merged, err = get(keep.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return merged, nil
}

// joinPersons folds gone's biographic data into keep: gone's name and aliases become
// aliases (each once, never keep's own name), empty fields are filled from gone, custody
// notes are kept from both, and the stricter watch stays with its reason.
func joinPersons(keep, gone *store.Person) {
	seen := map[string]bool{normName(keep.Name): true}
	var aliases []string
	for _, a := range append(append(append([]string{}, keep.Aliases...), gone.Name), gone.Aliases...) {
		if n := normName(a); n != "" && !seen[n] {
			seen[n] = true
			aliases = append(aliases, a)
		}
	}
	keep.Aliases = aliases
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&keep.DateOfBirth, gone.DateOfBirth)
	fill(&keep.Sex, gone.Sex)
	fill(&keep.Nationality, gone.Nationality)
	fill(&keep.Category, gone.Category)
	if gone.Custody != "" && gone.Custody != keep.Custody {
		if keep.Custody == "" {
			keep.Custody = gone.Custody
		} else {
			keep.Custody += "\n[from " + gone.ID + "] " + gone.Custody
		}
	}
	if gone.Watch.Level.Severity() > keep.Watch.Level.Severity() {
		keep.Watch = gone.Watch
	}
}

// Merged returns the merge that removed person id; ErrNotFound otherwise.
func (db *DB) Merged(ctx context.Context, id string) (*store.Merge, error) {
	m := store.Merge{Gone: id}
	var at sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT into_id, conflict_id, by, at, note FROM merges WHERE person_id = ?`, id).
		Scan(&m.Keep, &m.ConflictID, &m.By, &at, &m.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("merge of person %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("merge of person %s: %w", id, err)
	}
	m.At = fromNanos(at)
	return &m, nil
}
