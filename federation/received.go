package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
)

// EachReceived calls fn for every received copy, in reference order; the node loads its
// gallery of partners' records from it at start.
func (s *SQLState) EachReceived(ctx context.Context, fn func(Received) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT ref, record FROM received ORDER BY ref`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ref, b string
		if err := rows.Scan(&ref, &b); err != nil {
			return err
		}
		var r Received
		if err := json.Unmarshal([]byte(b), &r); err != nil {
			return fmt.Errorf("federation state: received %s: %w", ref, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachReceived calls fn for every received copy, in reference order.
func (m *MemState) EachReceived(_ context.Context, fn func(Received) error) error {
	m.mu.Lock()
	all := make([]Received, 0, len(m.received))
	for _, r := range m.received {
		all = append(all, r)
	}
	m.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Ref < all[j].Ref })
	for _, r := range all {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
