package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/biomesh/biomesh/store"
)

// EachTemplate calls fn for every enrolled sample of modality m, in ID order, without its
// image, with PersonID set. It streams from one read transaction, so fn sees one consistent
// snapshot and writes meanwhile neither wait nor appear. fn may keep the Sample (its Template
// and Prepared are its own: no other Sample's bytes overlap them). An error from fn stops
// the scan and is returned as is.
//
// A gallery load reads a million rows here, so the blobs are scanned without the copy
// database/sql would make, then copied into shared chunks (one allocation per chunk rather
// than two per row), and a person's ID, repeated on each of their consecutive samples, is
// made a string once.
func (db *DB) EachTemplate(ctx context.Context, m store.Modality, fn func(store.Sample) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT id, person_id, position, template, quality, device,
		captured, image_format, prepared FROM samples WHERE modality = ? ORDER BY id`, string(m))
	if err != nil {
		return fmt.Errorf("templates of %s: %w", m, err)
	}
	defer rows.Close()
	var (
		person, tpl, prepared sql.RawBytes
		lastPerson            string
		tplChunk, prepChunk   chunk
	)
	for rows.Next() {
		s := store.Sample{Modality: m}
		var captured sql.NullInt64
		if err := rows.Scan(&s.ID, &person, &s.Position, &tpl, &s.Quality, &s.Device,
			&captured, &s.ImageFormat, &prepared); err != nil {
			return fmt.Errorf("templates of %s: %w", m, err)
		}
		if string(person) != lastPerson {
			lastPerson = string(person)
		}
		s.PersonID = lastPerson
		s.Captured = fromNanos(captured)
		s.Template = tplChunk.copy(tpl)
		s.Prepared = prepChunk.copy(prepared)
		if err := fn(s); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("templates of %s: %w", m, err)
	}
	return nil
}

// chunk hands out copies of small byte slices from larger allocations. Each copy is capped
// at its length, so appending to one never writes into the next.
type chunk struct{ buf []byte }

const chunkSize = 64 << 10

// copy returns a copy of b, or nil when b is empty.
func (c *chunk) copy(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(b) > chunkSize/8 {
		return bytes.Clone(b)
	}
	if len(c.buf)+len(b) > cap(c.buf) {
		c.buf = make([]byte, 0, chunkSize)
	}
	start := len(c.buf)
	c.buf = append(c.buf, b...)
	return c.buf[start:len(c.buf):len(c.buf)]
}
