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

// AddEncounter logs an encounter with its probe samples. e.ID must be set and unused
// (ErrConflict); a non-empty PersonID must name an existing person (ErrNotFound). A zero Time
// is set to now. On success the probes' IDs are written back; probe IDs are their own
// sequence, apart from enrolled samples', and probes never reach a gallery.
func (db *DB) AddEncounter(ctx context.Context, e *store.Encounter, a *audit.Entry, out ...store.OutboxMessage) error {
	if e == nil {
		return errors.New("add encounter: nil encounter")
	}
	what := fmt.Sprintf("add encounter %s", e.ID)
	if e.ID == "" {
		return errors.New("add encounter: empty ID")
	}
	if e.Watch != "" && e.Watch.Severity() < 0 {
		return fmt.Errorf("%s: unknown watch level %q", what, e.Watch)
	}
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	t = t.UTC()
	tn, err := nanos(t, "time")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := checkSamples(e.Probes); err != nil {
		return fmt.Errorf("%s: probe %w", what, err)
	}
	var ids []int64
	err = db.writeOut(ctx, what, a, out, func(tx *sql.Tx) error {
		taken, err := exists(ctx, tx, `SELECT 1 FROM encounters WHERE id = ?`, e.ID)
		if err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("encounter %s already exists: %w", e.ID, store.ErrConflict)
		}
		if e.PersonID != "" {
			if err := personExists(ctx, tx, e.PersonID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO encounters (id, person_id, time, place, lat, lon, org,
			user, unit, device, purpose, outcome, hit, score, watch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.PersonID, tn, e.Place, nullFloat(e.Lat), nullFloat(e.Lon), e.Org, e.User, e.Unit,
			e.Device, e.Purpose, e.Outcome, e.Hit, e.Score, string(e.Watch)); err != nil {
			return err
		}
		ids, err = insertProbes(ctx, tx, e.ID, e.Probes)
		return err
	})
	if err != nil {
		return err
	}
	e.Time = t
	for i := range e.Probes {
		e.Probes[i].ID = ids[i]
	}
	return nil
}

func insertProbes(ctx context.Context, tx *sql.Tx, encounterID string, probes []store.Sample) ([]int64, error) {
	if len(probes) == 0 {
		return nil, nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO encounter_probes (encounter_id, modality, position,
		template, quality, device, captured, image_format, image) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer ins.Close()
	ids := make([]int64, len(probes))
	for i := range probes {
		s := &probes[i]
		captured, _ := nanos(s.Captured, "") // checked by checkSamples
		res, err := ins.ExecContext(ctx, encounterID, string(s.Modality), s.Position, blob(s.Template),
			s.Quality, s.Device, captured, s.ImageFormat, blob(s.Image))
		if err != nil {
			return nil, fmt.Errorf("probe %d: %w", i, err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("probe %d: %w", i, err)
		}
	}
	return ids, nil
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

func floatPtr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	v := f.Float64
	return &v
}

// Encounters returns a person's encounters, oldest first, without probe samples. They remain
// after the person is deleted. An unknown person has none (no error); personID "" lists the
// encounters without a hit.
func (db *DB) Encounters(ctx context.Context, personID string) ([]store.Encounter, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, time, place, lat, lon, org, user, unit, device,
		purpose, outcome, hit, score, watch FROM encounters WHERE person_id = ? ORDER BY time, rowid`, personID)
	if err != nil {
		return nil, fmt.Errorf("encounters of person %s: %w", personID, err)
	}
	defer rows.Close()
	out := []store.Encounter{}
	for rows.Next() {
		e := store.Encounter{PersonID: personID}
		var (
			t        sql.NullInt64
			lat, lon sql.NullFloat64
			watch    string
		)
		if err := rows.Scan(&e.ID, &t, &e.Place, &lat, &lon, &e.Org, &e.User, &e.Unit, &e.Device,
			&e.Purpose, &e.Outcome, &e.Hit, &e.Score, &watch); err != nil {
			return nil, fmt.Errorf("encounters of person %s: %w", personID, err)
		}
		e.Time, e.Lat, e.Lon, e.Watch = fromNanos(t), floatPtr(lat), floatPtr(lon), store.WatchLevel(watch)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("encounters of person %s: %w", personID, err)
	}
	return out, nil
}
