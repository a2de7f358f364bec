package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// applicationID marks a SQLite file as a biomesh store (PRAGMA application_id; "BMSH").
const applicationID = 0x424d5348

// migrations are the schema steps in order: migrations[i] brings the schema from version i
// to i+1 (PRAGMA user_version). Each runs in its own transaction together with the version
// bump, so a file is always at exactly one version. Steps are append-only: a released step
// is never edited, a change is a new step.
//
// Layout choices:
//   - images live in sample_images, apart from samples, so that the scan behind
//     EachTemplate reads small rows (template and metadata) densely packed in pages instead
//     of rows that each drag an image's overflow pages along;
//   - probe samples of encounters live in encounter_probes, so galleries never see them;
//   - AUTOINCREMENT keeps sample and link IDs from ever being reused after a deletion, so
//     an ID a gallery or a log once named always means the same sample;
//   - encounters, conflicts and deletions name persons without foreign keys: they outlive
//     the person's record by design;
//   - persons.search is the lower-cased name and aliases (Go's Unicode case mapping, since
//     SQLite's lower() folds ASCII only), one per line, for substring search.
var migrations = []string{
	// 1: initial schema.
	`
CREATE TABLE orgs (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	created INTEGER
);

CREATE TABLE users (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	org        TEXT NOT NULL REFERENCES orgs(id),
	role       TEXT NOT NULL,
	token_hash BLOB NOT NULL UNIQUE,
	created    INTEGER,
	disabled   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_org ON users(org);

CREATE TABLE persons (
	id           TEXT PRIMARY KEY,
	org          TEXT NOT NULL,
	name         TEXT NOT NULL,
	aliases      TEXT NOT NULL,  -- JSON array of strings
	search       TEXT NOT NULL,  -- normalised lower-case name and aliases, one per line
	dob          TEXT NOT NULL,
	sex          TEXT NOT NULL,
	nationality  TEXT NOT NULL,
	category     TEXT NOT NULL,
	custody      TEXT NOT NULL,
	watch_level  TEXT NOT NULL,
	watch_reason TEXT NOT NULL,
	watch_set_by TEXT NOT NULL,
	watch_set_org TEXT NOT NULL,
	watch_set_at INTEGER,
	created      INTEGER,
	updated      INTEGER
);
-- Newest-first search walks one of these indexes backwards and stops at the limit. A
-- substring match cannot use a B-tree index, so there is deliberately no index on search:
-- the name filter is applied to the rows walked.
CREATE INDEX persons_created ON persons(created);
CREATE INDEX persons_org_created ON persons(org, created);

CREATE TABLE samples (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	person_id    TEXT NOT NULL REFERENCES persons(id),
	modality     TEXT NOT NULL,
	position     INTEGER NOT NULL,
	template     BLOB NOT NULL,
	quality      INTEGER NOT NULL,
	device       TEXT NOT NULL,
	captured     INTEGER,
	image_format TEXT NOT NULL
);
CREATE INDEX samples_modality ON samples(modality, id);
CREATE INDEX samples_person ON samples(person_id, id);

CREATE TABLE sample_images (
	sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
	image     BLOB NOT NULL
);

CREATE TABLE encounters (
	id        TEXT PRIMARY KEY,
	person_id TEXT NOT NULL,  -- '' when no hit
	time      INTEGER,
	place     TEXT NOT NULL,
	lat       REAL,
	lon       REAL,
	org       TEXT NOT NULL,
	user      TEXT NOT NULL,
	unit      TEXT NOT NULL,
	device    TEXT NOT NULL,
	purpose   TEXT NOT NULL,
	outcome   TEXT NOT NULL,
	hit       INTEGER NOT NULL,
	score     REAL NOT NULL,
	watch     TEXT NOT NULL
);
CREATE INDEX encounters_person_time ON encounters(person_id, time);
CREATE INDEX encounters_time ON encounters(time);

CREATE TABLE encounter_probes (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	encounter_id TEXT NOT NULL REFERENCES encounters(id),
	modality     TEXT NOT NULL,
	position     INTEGER NOT NULL,
	template     BLOB NOT NULL,
	quality      INTEGER NOT NULL,
	device       TEXT NOT NULL,
	captured     INTEGER,
	image_format TEXT NOT NULL,
	image        BLOB NOT NULL
);
CREATE INDEX encounter_probes_encounter ON encounter_probes(encounter_id);

CREATE TABLE family_links (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	person_id   TEXT NOT NULL REFERENCES persons(id),
	relative_id TEXT NOT NULL REFERENCES persons(id),
	relation    TEXT NOT NULL,
	status      TEXT NOT NULL,
	note        TEXT NOT NULL,
	created     INTEGER,
	created_by  TEXT NOT NULL
);
CREATE INDEX family_links_person ON family_links(person_id);
CREATE INDEX family_links_relative ON family_links(relative_id);

CREATE TABLE conflicts (
	id          TEXT PRIMARY KEY,
	person_id   TEXT NOT NULL,
	other_id    TEXT NOT NULL,
	score       REAL NOT NULL,
	modalities  TEXT NOT NULL,  -- JSON array of strings
	reason      TEXT NOT NULL,
	status      TEXT NOT NULL,
	created     INTEGER,
	resolved_by TEXT NOT NULL,
	resolved_at INTEGER,
	note        TEXT NOT NULL
);
CREATE INDEX conflicts_status_created ON conflicts(status, created);
CREATE INDEX conflicts_created ON conflicts(created);
CREATE INDEX conflicts_person ON conflicts(person_id);
CREATE INDEX conflicts_other ON conflicts(other_id);

CREATE TABLE deletions (
	person_id TEXT PRIMARY KEY,
	reason    TEXT NOT NULL,
	by        TEXT NOT NULL,
	at        INTEGER
);

CREATE TABLE audit (
	seq     INTEGER PRIMARY KEY,
	time    INTEGER NOT NULL,
	user    TEXT NOT NULL,
	org     TEXT NOT NULL,
	role    TEXT NOT NULL,
	purpose TEXT NOT NULL,
	action  TEXT NOT NULL,
	target  TEXT NOT NULL,
	result  TEXT NOT NULL,
	prev    BLOB NOT NULL,
	hash    BLOB NOT NULL
);
`,
	// 2: the search form of a sample (store.Sample.Prepared), so galleries load without
	// re-deriving it; NULL for samples stored before, which the loader prepares anew.
	`ALTER TABLE samples ADD COLUMN prepared BLOB;`,
	// 3: merges of two records found to be one person (store.Merge); the row outlives the
	// removed record, like a deletion's tombstone.
	`CREATE TABLE merges (
	person_id   TEXT PRIMARY KEY,
	into_id     TEXT NOT NULL,
	conflict_id TEXT NOT NULL,
	by          TEXT NOT NULL,
	at          INTEGER,
	note        TEXT NOT NULL
);
CREATE INDEX merges_into ON merges(into_id);`,
	// 4: field kits (store.Device), the opaque references of their watch-list packages, and
	// what each queued item became, so that a resent batch duplicates nothing.
	`CREATE TABLE devices (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	org           TEXT NOT NULL REFERENCES orgs(id),
	unit          TEXT NOT NULL,
	user_id       TEXT NOT NULL REFERENCES users(id),
	role          TEXT NOT NULL,
	status        TEXT NOT NULL,
	lease         INTEGER NOT NULL,
	ref_key       BLOB NOT NULL,
	private_key   BLOB NOT NULL,
	lease_key     BLOB,
	package_id    TEXT NOT NULL,
	lease_expires INTEGER,
	created       INTEGER,
	last_seen     INTEGER
);
CREATE UNIQUE INDEX devices_user ON devices(user_id);
CREATE TABLE device_refs (
	device_id TEXT NOT NULL,
	ref       TEXT NOT NULL,
	person_id TEXT NOT NULL,
	PRIMARY KEY (device_id, ref)
) WITHOUT ROWID;
CREATE TABLE device_sync (
	device_id TEXT NOT NULL,
	client_id TEXT NOT NULL,
	result    TEXT NOT NULL,
	PRIMARY KEY (device_id, client_id)
) WITHOUT ROWID;`,
	// 5: how many fingers per person a device's packages carry (store.Device.Fingers).
	`ALTER TABLE devices ADD COLUMN fingers INTEGER NOT NULL DEFAULT 4;`,
	// 6: the transactional outbox (store.OutboxMessage): messages written in the
	// transaction of the change they report, removed once delivered. seq is the commit
	// order; AUTOINCREMENT keeps a removed message's seq from being given to another.
	`CREATE TABLE outbox (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	id      TEXT NOT NULL UNIQUE,
	topic   TEXT NOT NULL,
	payload BLOB NOT NULL,
	created INTEGER
);
CREATE INDEX outbox_topic ON outbox(topic, seq);`,
}

// migrate brings the file's schema to len(migrations), one step per transaction. BEGIN
// IMMEDIATE (the writer's transaction mode) makes the read of the version and the step one
// atomic unit even when two processes open a new file at once.
func migrate(ctx context.Context, w *sql.DB, path string) error {
	known := len(migrations)
	for {
		done, err := migrateStep(ctx, w, path, known)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the next migration, or reports done when the schema is current.
func migrateStep(ctx context.Context, w *sql.DB, path string, known int) (done bool, err error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite store %s: migrate: %w", path, err)
	}
	defer func() {
		if err != nil || done {
			tx.Rollback()
		}
	}()
	var version, appID int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("sqlite store %s: read schema version: %w", path, err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return false, fmt.Errorf("sqlite store %s: read application id: %w", path, err)
	}
	if appID != 0 && appID != applicationID {
		return false, fmt.Errorf("sqlite store %s: not a biomesh store (application id %#x)", path, appID)
	}
	if version > known {
		return false, fmt.Errorf("sqlite store %s: schema version %d is newer than this program knows (%d); use a newer biomesh", path, version, known)
	}
	if version == known {
		return true, nil
	}
	if version == 0 {
		var tables int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).Scan(&tables); err != nil {
			return false, fmt.Errorf("sqlite store %s: read schema: %w", path, err)
		}
		if tables > 0 {
			return false, fmt.Errorf("sqlite store %s: not a biomesh store (has %d tables but no schema version)", path, tables)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return false, fmt.Errorf("sqlite store %s: set application id: %w", path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("sqlite store %s: migrate schema to version %d: %w", path, version+1, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
		return false, fmt.Errorf("sqlite store %s: set schema version %d: %w", path, version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite store %s: commit schema version %d: %w", path, version+1, err)
	}
	return false, nil
}
