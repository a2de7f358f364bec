package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/biomesh/biomesh/store"
)

// Inactive lists persons of category with no activity since before (see store.Store).
// AddSamples, UpdatePerson and SetWatch move Updated; encounters are checked separately,
// since logging one does not touch the person's row.
func (db *DB) Inactive(ctx context.Context, category string, before time.Time, limit int) ([]store.Person, error) {
	what := fmt.Sprintf("inactive persons of category %q", category)
	cut, err := nanos(before, "cut-off")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if limit <= 0 || limit > MaxSearchLimit {
		limit = MaxSearchLimit
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+personCols+` FROM persons p
		WHERE category = ? AND watch_level = ? AND updated < ?
		AND NOT EXISTS (SELECT 1 FROM encounters e WHERE e.person_id = p.id AND e.time >= ?)
		AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.status = ? AND (c.person_id = p.id OR c.other_id = p.id))
		ORDER BY updated LIMIT ?`, category, string(store.WatchNone), cut, cut, store.ConflictOpen, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []store.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
