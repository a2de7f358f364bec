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

var _ store.DeviceStore = (*DB)(nil)

// CreateDevice stores a new device and its user in one transaction. The user must be of
// the device's organisation, which must exist (ErrNotFound); either ID taken is ErrConflict.
func (db *DB) CreateDevice(ctx context.Context, d *store.Device, u *store.User, a *audit.Entry) error {
	if d == nil || u == nil {
		return errors.New("create device: nil device or user")
	}
	what := fmt.Sprintf("create device %s", d.ID)
	switch {
	case d.ID == "" || u.ID == "":
		return fmt.Errorf("%s: empty device or user ID", what)
	case d.UserID != u.ID || d.Org != u.Org || d.Role != u.Role:
		return fmt.Errorf("%s: the device's user, organisation and role must be its user's", what)
	case !slices.Contains(store.Roles, u.Role):
		return fmt.Errorf("%s: unknown role %q", what, u.Role)
	case len(u.TokenHash) != sha256.Size:
		return fmt.Errorf("%s: token hash is %d bytes, not a SHA-256 hash", what, len(u.TokenHash))
	case len(d.RefKey) == 0 || len(d.PrivateKey) == 0:
		return fmt.Errorf("%s: no reference or private key", what)
	case d.Fingers < 1 || d.Fingers > 10:
		return fmt.Errorf("%s: %d fingers per person: from 1 to 10", what, d.Fingers)
	}
	if d.Created.IsZero() {
		d.Created = time.Now()
	}
	d.Created = d.Created.UTC()
	u.Created = d.Created
	cr, err := nanos(d.Created, "created")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return db.write(ctx, what, a, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM orgs WHERE id = ?`, d.Org); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("organisation %s: %w", d.Org, store.ErrNotFound)
		}
		for _, q := range []struct {
			sql string
			arg any
		}{
			{`SELECT 1 FROM devices WHERE id = ?`, d.ID},
			{`SELECT 1 FROM users WHERE id = ?`, u.ID},
			{`SELECT 1 FROM users WHERE token_hash = ?`, u.TokenHash},
		} {
			if ok, err := exists(ctx, tx, q.sql, q.arg); err != nil {
				return err
			} else if ok {
				return fmt.Errorf("device %s or its user is already taken: %w", d.ID, store.ErrConflict)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, name, org, role, token_hash, created, disabled)
			VALUES (?, ?, ?, ?, ?, ?, 0)`, u.ID, u.Name, u.Org, u.Role, u.TokenHash, cr); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (id, name, org, unit, user_id, role, status, lease,
			ref_key, private_key, lease_key, package_id, lease_expires, created, last_seen, fingers)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', NULL, ?, NULL, ?)`,
			d.ID, d.Name, d.Org, d.Unit, d.UserID, d.Role, d.Status, int64(d.Lease), d.RefKey, d.PrivateKey, cr, d.Fingers)
		return err
	})
}

const deviceCols = `id, name, org, unit, user_id, role, status, lease, ref_key, private_key, lease_key,
	package_id, lease_expires, created, last_seen, fingers`

// Device returns one device.
func (db *DB) Device(ctx context.Context, id string) (*store.Device, error) {
	var (
		d             store.Device
		lease         int64
		exp, cr, seen sql.NullInt64
	)
	err := db.r.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM devices WHERE id = ?`, id).Scan(
		&d.ID, &d.Name, &d.Org, &d.Unit, &d.UserID, &d.Role, &d.Status, &lease, &d.RefKey, &d.PrivateKey,
		&d.LeaseKey, &d.PackageID, &exp, &cr, &seen, &d.Fingers)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("device %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", id, err)
	}
	d.Lease = time.Duration(lease)
	d.LeaseExpires, d.Created, d.LastSeen = fromNanos(exp), fromNanos(cr), fromNanos(seen)
	return &d, nil
}

// UpdateDevice replaces the device's status, lease key, package, lease expiry and last
// contact, and adds refs; a wiped device's user is disabled in the same transaction, so its
// token is refused from the moment the change commits.
func (db *DB) UpdateDevice(ctx context.Context, d *store.Device, refs map[string]string, a *audit.Entry) error {
	what := fmt.Sprintf("update device %s", d.ID)
	exp, err := nanos(d.LeaseExpires, "lease_expires")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	seen, err := nanos(d.LastSeen, "last_seen")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return db.write(ctx, what, a, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET status = ?, lease_key = ?, package_id = ?,
			lease_expires = ?, last_seen = ? WHERE id = ?`, d.Status, d.LeaseKey, d.PackageID, exp, seen, d.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("device %s: %w", d.ID, store.ErrNotFound)
		}
		if d.Status == store.DeviceWiped {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = 1 WHERE id = ?`, d.UserID); err != nil {
				return err
			}
		}
		if len(refs) == 0 {
			return nil
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO device_refs (device_id, ref, person_id) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for ref, person := range refs {
			if _, err := stmt.ExecContext(ctx, d.ID, ref, person); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeviceRef resolves a package reference of a device.
func (db *DB) DeviceRef(ctx context.Context, device, ref string) (string, error) {
	var person string
	err := db.r.QueryRowContext(ctx, `SELECT person_id FROM device_refs WHERE device_id = ? AND ref = ?`, device, ref).Scan(&person)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("reference %s of device %s: %w", ref, device, store.ErrNotFound)
	}
	return person, err
}

// HasEncounter reports whether encounter id is stored.
func (db *DB) HasEncounter(ctx context.Context, id string) (bool, error) {
	return exists(ctx, db.r, `SELECT 1 FROM encounters WHERE id = ?`, id)
}

// SyncResult returns what a device's queued item became.
func (db *DB) SyncResult(ctx context.Context, device, clientID string) (string, error) {
	var res string
	err := db.r.QueryRowContext(ctx, `SELECT result FROM device_sync WHERE device_id = ? AND client_id = ?`, device, clientID).Scan(&res)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("item %s of device %s: %w", clientID, device, store.ErrNotFound)
	}
	return res, err
}

// AddSyncResult records what a device's queued item became.
func (db *DB) AddSyncResult(ctx context.Context, device, clientID, result string, a *audit.Entry) error {
	return db.write(ctx, "record sync of "+clientID, a, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM device_sync WHERE device_id = ? AND client_id = ?`, device, clientID); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("item %s of device %s already synced: %w", clientID, device, store.ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO device_sync (device_id, client_id, result) VALUES (?, ?, ?)`, device, clientID, result)
		return err
	})
}

// Watched returns the persons at watch level monitor or above.
func (db *DB) Watched(ctx context.Context) (map[string]store.WatchLevel, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, watch_level FROM persons WHERE watch_level IN (?, ?, ?)`,
		string(store.WatchMonitor), string(store.WatchAlert), string(store.WatchDetain))
	if err != nil {
		return nil, fmt.Errorf("watched persons: %w", err)
	}
	defer rows.Close()
	out := map[string]store.WatchLevel{}
	for rows.Next() {
		var id, level string
		if err := rows.Scan(&id, &level); err != nil {
			return nil, fmt.Errorf("watched persons: %w", err)
		}
		out[id] = store.WatchLevel(level)
	}
	return out, rows.Err()
}
