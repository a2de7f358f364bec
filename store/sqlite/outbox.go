package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// appendOutbox inserts outbox messages inside the transaction of their change; the store
// assigns their Seq.
func appendOutbox(ctx context.Context, tx *sql.Tx, out []store.OutboxMessage) error {
	for i, m := range out {
		if m.ID == "" || m.Topic == "" {
			return fmt.Errorf("outbox message %d: ID and Topic are required", i)
		}
		created, err := nanos(m.Created, "outbox message time")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, topic, payload, created) VALUES (?, ?, ?, ?)`, m.ID, m.Topic, blob(m.Payload), created); err != nil {
			return fmt.Errorf("outbox message %s: %w", m.ID, err)
		}
	}
	return nil
}

// AppendOutbox implements store.Outbox.
func (db *DB) AppendOutbox(ctx context.Context, a *audit.Entry, out ...store.OutboxMessage) error {
	if len(out) == 0 {
		return errors.New("append outbox: no message")
	}
	return db.writeOut(ctx, "append outbox "+out[0].ID, a, out, nil)
}

// OutboxMessages implements store.Outbox.
func (db *DB) OutboxMessages(ctx context.Context, topic string, limit int) ([]store.OutboxMessage, error) {
	return db.OutboxMessagesAfter(ctx, topic, 0, limit)
}

// OutboxMessagesAfter implements store.Outbox.
func (db *DB) OutboxMessagesAfter(ctx context.Context, topic string, after int64, limit int) ([]store.OutboxMessage, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.r.QueryContext(ctx, `SELECT seq, id, topic, payload, created FROM outbox WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`, topic, after, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", topic, err)
	}
	defer rows.Close()
	var out []store.OutboxMessage
	for rows.Next() {
		var m store.OutboxMessage
		var created sql.NullInt64
		if err := rows.Scan(&m.Seq, &m.ID, &m.Topic, &m.Payload, &created); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", topic, err)
		}
		m.Payload, m.Created = unblob(m.Payload), fromNanos(created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox %s: %w", topic, err)
	}
	return out, nil
}

// DeleteOutbox implements store.Outbox. Removing a delivered message changes no record,
// so it is not audited.
func (db *DB) DeleteOutbox(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	args := make([]any, len(seqs))
	for i, s := range seqs {
		args[i] = s
	}
	q := `DELETE FROM outbox WHERE seq IN (?` + strings.Repeat(", ?", len(seqs)-1) + `)`
	if _, err := db.w.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("outbox: delete %d messages: %w", len(seqs), err)
	}
	return nil
}
