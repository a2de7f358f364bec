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

// Search limits of SearchPersons.
const (
	DefaultSearchLimit = 100
	MaxSearchLimit     = 1000
)

const personCols = `id, org, name, aliases, dob, sex, nationality, category, custody,
	watch_level, watch_reason, watch_set_by, watch_set_org, watch_set_at, created, updated`

// normName is the form names are searched in: lower case (Unicode), runs of white space as
// one space, no leading or trailing space.
func normName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// searchText is persons.search: the normalised name and aliases, one per line, so that a
// substring (which normName keeps free of newlines) never spans two names.
func searchText(name string, aliases []string) string {
	parts := make([]string, 0, 1+len(aliases))
	parts = append(parts, normName(name))
	for _, a := range aliases {
		parts = append(parts, normName(a))
	}
	return strings.Join(parts, "\n")
}

func checkWatch(w store.WatchLevel) (store.WatchLevel, error) {
	if w == "" {
		return store.WatchNone, nil
	}
	if w.Severity() < 0 {
		return "", fmt.Errorf("unknown watch level %q", w)
	}
	return w, nil
}

// personArgs returns the biographic columns of p, from name to custody, as bound values.
func personArgs(p *store.Person) ([]any, error) {
	aliases := p.Aliases
	if aliases == nil {
		aliases = []string{}
	}
	js, err := json.Marshal(aliases)
	if err != nil {
		return nil, fmt.Errorf("aliases: %w", err)
	}
	return []any{p.Name, string(js), searchText(p.Name, p.Aliases), p.DateOfBirth, p.Sex,
		p.Nationality, p.Category, p.Custody}, nil
}

// CreatePerson stores a new person with its samples. p.ID must be set and never used before,
// not even by a deleted person (ErrConflict). A zero Created is set to now and a zero Updated
// to Created; an empty watch level is stored as none. On success the stored times and level
// and the samples' IDs and PersonID are written back.
func (db *DB) CreatePerson(ctx context.Context, p *store.Person, samples []store.Sample, a *audit.Entry, out ...store.OutboxMessage) error {
	if p == nil {
		return errors.New("create person: nil person")
	}
	what := fmt.Sprintf("create person %s", p.ID)
	if p.ID == "" {
		return errors.New("create person: empty ID")
	}
	level, err := checkWatch(p.Watch.Level)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	created := p.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC()
	updated := p.Updated
	if updated.IsZero() {
		updated = created
	}
	updated = updated.UTC()
	cr, err := nanos(created, "created")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	up, err := nanos(updated, "updated")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	setAt, err := nanos(p.Watch.SetAt, "watch set time")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	bio, err := personArgs(p)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := checkSamples(samples); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var ids []int64
	err = db.writeOut(ctx, what, a, out, func(tx *sql.Tx) error {
		if err := checkNewPersonID(ctx, tx, p.ID); err != nil {
			return err
		}
		args := append([]any{p.ID, p.Org}, bio...)
		args = append(args, string(level), p.Watch.Reason, p.Watch.SetBy, p.Watch.SetOrg, setAt, cr, up)
		if _, err := tx.ExecContext(ctx, `INSERT INTO persons (id, org, name, aliases, search, dob, sex,
			nationality, category, custody, watch_level, watch_reason, watch_set_by, watch_set_org,
			watch_set_at, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			return err
		}
		ids, err = insertSamples(ctx, tx, p.ID, samples)
		return err
	})
	if err != nil {
		return err
	}
	p.Created, p.Updated, p.Watch.Level = created, updated, level
	setSampleIDs(samples, ids, p.ID)
	return nil
}

// checkNewPersonID returns ErrConflict when id is taken by a person or a tombstone.
func checkNewPersonID(ctx context.Context, tx *sql.Tx, id string) error {
	taken, err := exists(ctx, tx, `SELECT 1 FROM persons WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if taken {
		return fmt.Errorf("person %s already exists: %w", id, store.ErrConflict)
	}
	deleted, err := exists(ctx, tx, `SELECT 1 FROM deletions WHERE person_id = ?`, id)
	if err != nil {
		return err
	}
	if deleted {
		return fmt.Errorf("person %s was deleted and its ID is not reused: %w", id, store.ErrConflict)
	}
	merged, err := exists(ctx, tx, `SELECT 1 FROM merges WHERE person_id = ?`, id)
	if err != nil {
		return err
	}
	if merged {
		return fmt.Errorf("person %s was merged into another record and its ID is not reused: %w", id, store.ErrConflict)
	}
	return nil
}

// personExists returns ErrNotFound, naming the tombstone if there is one, unless the person
// exists.
func personExists(ctx context.Context, q querier, id string) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM persons WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	return notFoundPerson(ctx, q, id)
}

func notFoundPerson(ctx context.Context, q querier, id string) error {
	if deleted, err := exists(ctx, q, `SELECT 1 FROM deletions WHERE person_id = ?`, id); err == nil && deleted {
		return fmt.Errorf("person %s (deleted): %w", id, store.ErrNotFound)
	}
	var into string
	if err := q.QueryRowContext(ctx, `SELECT into_id FROM merges WHERE person_id = ?`, id).Scan(&into); err == nil {
		return fmt.Errorf("person %s (merged into %s): %w", id, into, store.ErrNotFound)
	}
	return fmt.Errorf("person %s: %w", id, store.ErrNotFound)
}

// checkSamples validates samples before a transaction begins.
func checkSamples(samples []store.Sample) error {
	for i := range samples {
		s := &samples[i]
		if s.Modality == "" {
			return fmt.Errorf("sample %d: empty modality", i)
		}
		if _, err := nanos(s.Captured, fmt.Sprintf("sample %d capture time", i)); err != nil {
			return err
		}
	}
	return nil
}

// insertSamples inserts enrolled samples of personID and returns their IDs, in order.
func insertSamples(ctx context.Context, tx *sql.Tx, personID string, samples []store.Sample) ([]int64, error) {
	if len(samples) == 0 {
		return nil, nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO samples (person_id, modality, position, template,
		quality, device, captured, image_format, prepared) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer ins.Close()
	var img *sql.Stmt
	ids := make([]int64, len(samples))
	for i := range samples {
		s := &samples[i]
		captured, _ := nanos(s.Captured, "") // checked by checkSamples
		var prepared any
		if len(s.Prepared) > 0 {
			prepared = s.Prepared
		}
		res, err := ins.ExecContext(ctx, personID, string(s.Modality), s.Position, blob(s.Template),
			s.Quality, s.Device, captured, s.ImageFormat, prepared)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		if len(s.Image) == 0 {
			continue
		}
		if img == nil {
			if img, err = tx.PrepareContext(ctx, `INSERT INTO sample_images (sample_id, image) VALUES (?, ?)`); err != nil {
				return nil, err
			}
			defer img.Close()
		}
		if _, err := img.ExecContext(ctx, ids[i], s.Image); err != nil {
			return nil, fmt.Errorf("sample %d image: %w", i, err)
		}
	}
	return ids, nil
}

func setSampleIDs(samples []store.Sample, ids []int64, personID string) {
	for i := range samples {
		samples[i].ID = ids[i]
		samples[i].PersonID = personID
	}
}

// AddSamples adds samples to an existing person (ErrNotFound otherwise) and writes their IDs
// and PersonID back on success.
func (db *DB) AddSamples(ctx context.Context, personID string, samples []store.Sample, a *audit.Entry, out ...store.OutboxMessage) error {
	what := fmt.Sprintf("add samples to person %s", personID)
	if err := checkSamples(samples); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var ids []int64
	err := db.writeOut(ctx, what, a, out, func(tx *sql.Tx) error {
		if err := personExists(ctx, tx, personID); err != nil {
			return err
		}
		var err error
		if ids, err = insertSamples(ctx, tx, personID, samples); err != nil {
			return err
		}
		// New samples are activity: the person was seen. Updated moves to the latest
		// capture time, never back.
		var latest time.Time
		for _, s := range samples {
			if s.Captured.After(latest) {
				latest = s.Captured
			}
		}
		if latest.IsZero() {
			return nil
		}
		at, err := nanos(latest, "capture time")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE persons SET updated = ?1 WHERE id = ?2 AND (updated IS NULL OR updated < ?1)`, at, personID)
		return err
	})
	if err != nil {
		return err
	}
	setSampleIDs(samples, ids, personID)
	return nil
}

// UpdatePerson replaces the biographic fields of an existing person: name, aliases, date of
// birth, sex, nationality, category and custody. The owning organisation, the watch and the
// creation time are not changed by it; they are written back into p from the stored record,
// with Updated (now when zero).
func (db *DB) UpdatePerson(ctx context.Context, p *store.Person, a *audit.Entry, out ...store.OutboxMessage) error {
	if p == nil {
		return errors.New("update person: nil person")
	}
	what := fmt.Sprintf("update person %s", p.ID)
	updated := p.Updated
	if updated.IsZero() {
		updated = time.Now()
	}
	updated = updated.UTC()
	up, err := nanos(updated, "updated")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	bio, err := personArgs(p)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var stored *store.Person
	err = db.writeOut(ctx, what, a, out, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE persons SET name = ?, aliases = ?, search = ?, dob = ?,
			sex = ?, nationality = ?, category = ?, custody = ?, updated = ? WHERE id = ?`,
			append(bio, up, p.ID)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFoundPerson(ctx, tx, p.ID)
		}
		stored, err = scanPerson(tx.QueryRowContext(ctx, `SELECT `+personCols+` FROM persons WHERE id = ?`, p.ID))
		return err
	})
	if err != nil {
		return err
	}
	*p = *stored
	return nil
}

// SetWatch sets a person's watch status (ErrNotFound when absent). A zero SetAt is set to
// now; the person's Updated time becomes SetAt.
func (db *DB) SetWatch(ctx context.Context, personID string, w store.Watch, a *audit.Entry, out ...store.OutboxMessage) error {
	what := fmt.Sprintf("set watch of person %s", personID)
	level, err := checkWatch(w.Level)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if w.SetAt.IsZero() {
		w.SetAt = time.Now()
	}
	at, err := nanos(w.SetAt, "watch set time")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return db.writeOut(ctx, what, a, out, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE persons SET watch_level = ?, watch_reason = ?, watch_set_by = ?,
			watch_set_org = ?, watch_set_at = ?, updated = ? WHERE id = ?`,
			string(level), w.Reason, w.SetBy, w.SetOrg, at, at, personID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFoundPerson(ctx, tx, personID)
		}
		return nil
	})
}

// DeletePerson erases a person's biographic row, samples with their images, family links in
// either direction and the probe samples of the encounters that found them, and stores the
// tombstone d (a zero d.At is set to now). The encounters stay. ErrNotFound when the person
// does not exist (or is already deleted); ErrConflict while the person is under a watch
// above none, which must be cleared (and so audited) first.
//
// The writer runs with secure_delete, so erased rows are overwritten in the database file
// rather than left in free pages; older page images can remain in the WAL until the next
// checkpoint overwrites them.
func (db *DB) DeletePerson(ctx context.Context, d store.Deletion, a *audit.Entry, out ...store.OutboxMessage) error {
	what := fmt.Sprintf("delete person %s", d.PersonID)
	if d.At.IsZero() {
		d.At = time.Now()
	}
	at, err := nanos(d.At, "deletion time")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return db.writeOut(ctx, what, a, out, func(tx *sql.Tx) error {
		var level string
		err := tx.QueryRowContext(ctx, `SELECT watch_level FROM persons WHERE id = ?`, d.PersonID).Scan(&level)
		if errors.Is(err, sql.ErrNoRows) {
			return notFoundPerson(ctx, tx, d.PersonID)
		}
		if err != nil {
			return err
		}
		if store.WatchLevel(level).Severity() != 0 {
			return fmt.Errorf("person %s is under watch %q, which must be cleared first: %w", d.PersonID, level, store.ErrConflict)
		}
		for _, q := range []string{
			`DELETE FROM family_links WHERE person_id = ?1`,
			`DELETE FROM family_links WHERE relative_id = ?1`,
			`DELETE FROM encounter_probes WHERE encounter_id IN (SELECT id FROM encounters WHERE person_id = ?1)`,
			`DELETE FROM sample_images WHERE sample_id IN (SELECT id FROM samples WHERE person_id = ?1)`,
			`DELETE FROM samples WHERE person_id = ?1`,
			`DELETE FROM persons WHERE id = ?1`,
		} {
			if _, err := tx.ExecContext(ctx, q, d.PersonID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO deletions (person_id, reason, by, at) VALUES (?, ?, ?, ?)`,
			d.PersonID, d.Reason, d.By, at)
		return err
	})
}

type scanner interface{ Scan(...any) error }

func scanPerson(row scanner) (*store.Person, error) {
	var (
		p              store.Person
		aliases, level string
		setAt, cr, up  sql.NullInt64
	)
	if err := row.Scan(&p.ID, &p.Org, &p.Name, &aliases, &p.DateOfBirth, &p.Sex, &p.Nationality,
		&p.Category, &p.Custody, &level, &p.Watch.Reason, &p.Watch.SetBy, &p.Watch.SetOrg, &setAt,
		&cr, &up); err != nil {
		return nil, err
	}
	if aliases != "" && aliases != "[]" {
		if err := json.Unmarshal([]byte(aliases), &p.Aliases); err != nil {
			return nil, fmt.Errorf("person %s: stored aliases are not a JSON string list: %w", p.ID, err)
		}
	}
	p.Watch.Level = store.WatchLevel(level)
	p.Watch.SetAt, p.Created, p.Updated = fromNanos(setAt), fromNanos(cr), fromNanos(up)
	return &p, nil
}

// Person returns one person; ErrNotFound when absent or deleted.
func (db *DB) Person(ctx context.Context, id string) (*store.Person, error) {
	p, err := scanPerson(db.r.QueryRowContext(ctx, `SELECT `+personCols+` FROM persons WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFoundPerson(ctx, db.r, id)
	}
	if err != nil {
		return nil, fmt.Errorf("person %s: %w", id, err)
	}
	return p, nil
}

// Deleted returns the tombstone of a deleted person; ErrNotFound otherwise.
func (db *DB) Deleted(ctx context.Context, id string) (*store.Deletion, error) {
	d := store.Deletion{PersonID: id}
	var at sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT reason, by, at FROM deletions WHERE person_id = ?`, id).Scan(&d.Reason, &d.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("deletion of person %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("deletion of person %s: %w", id, err)
	}
	d.At = fromNanos(at)
	return &d, nil
}

// SearchPersons runs a biographic search, newest first (by Created, then by insertion).
// Name is a case-insensitive substring of the name or of one alias, white space normalised.
// DateOfBirth matches dates that agree at the coarser of the two precisions ("1980" matches
// "1980-05-02" and the other way round); a person without a date of birth does not match.
// Nationality, Category and Org match exactly. Limit defaults to 100 and is capped at 1000.
func (db *DB) SearchPersons(ctx context.Context, q store.PersonQuery) ([]store.Person, error) {
	var (
		where []string
		args  []any
	)
	if n := normName(q.Name); n != "" {
		where = append(where, `instr(search, ?) > 0`)
		args = append(args, n)
	}
	if q.DateOfBirth != "" {
		where = append(where, `(dob = ? OR (dob <> '' AND (substr(dob, 1, length(?) + 1) = ? || '-' OR substr(?, 1, length(dob) + 1) = dob || '-')))`)
		args = append(args, q.DateOfBirth, q.DateOfBirth, q.DateOfBirth, q.DateOfBirth)
	}
	for _, f := range []struct{ col, val string }{
		{"nationality", q.Nationality}, {"category", q.Category}, {"org", q.Org},
	} {
		if f.val != "" {
			where = append(where, f.col+` = ?`)
			args = append(args, f.val)
		}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	query := `SELECT ` + personCols + ` FROM persons`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY created DESC, rowid DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search persons: %w", err)
	}
	defer rows.Close()
	out := []store.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("search persons: %w", err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search persons: %w", err)
	}
	return out, nil
}

// Samples returns a person's samples in ID order, with images and templates; ErrNotFound
// when the person does not exist.
func (db *DB) Samples(ctx context.Context, personID string) ([]store.Sample, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT s.id, s.modality, s.position, s.template, s.quality,
		s.device, s.captured, s.image_format, i.image
		FROM samples s LEFT JOIN sample_images i ON i.sample_id = s.id
		WHERE s.person_id = ? ORDER BY s.id`, personID)
	if err != nil {
		return nil, fmt.Errorf("samples of person %s: %w", personID, err)
	}
	defer rows.Close()
	out := []store.Sample{}
	for rows.Next() {
		s := store.Sample{PersonID: personID}
		var (
			modality string
			captured sql.NullInt64
		)
		if err := rows.Scan(&s.ID, &modality, &s.Position, &s.Template, &s.Quality, &s.Device,
			&captured, &s.ImageFormat, &s.Image); err != nil {
			return nil, fmt.Errorf("samples of person %s: %w", personID, err)
		}
		s.Modality, s.Captured = store.Modality(modality), fromNanos(captured)
		s.Template, s.Image = unblob(s.Template), unblob(s.Image)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("samples of person %s: %w", personID, err)
	}
	if len(out) == 0 {
		if err := personExists(ctx, db.r, personID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
