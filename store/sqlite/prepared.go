package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// SetPrepared replaces the stored search form (store.Sample.Prepared) of existing samples,
// in one transaction. A search form is derived from the sample's template by the modality
// engine and changes nothing a person's record says, so this writes no audit entry: it is
// how a node, after an engine upgrade made the stored forms stale, keeps the forms it
// derived again at start for the next start. Unknown sample IDs are ignored.
func (db *DB) SetPrepared(ctx context.Context, forms []store.PreparedForm) error {
	if len(forms) == 0 {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set prepared: begin: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE samples SET prepared = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("set prepared: %w", err)
	}
	defer stmt.Close()
	for _, f := range forms {
		if _, err := stmt.ExecContext(ctx, f.Prepared, f.SampleID); err != nil {
			return fmt.Errorf("set prepared: sample %d: %w", f.SampleID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set prepared: commit: %w", err)
	}
	return nil
}

// ReplaceTemplates replaces the templates (and quality) of existing samples and clears their
// search forms, with the audit entry a, in one transaction. Unknown sample IDs are ignored.
func (db *DB) ReplaceTemplates(ctx context.Context, updates []store.TemplateUpdate, a *audit.Entry) error {
	return db.write(ctx, "replace templates", a, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE samples SET template = ?, quality = ?, prepared = NULL WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, u := range updates {
			if len(u.Template) == 0 {
				return fmt.Errorf("sample %d: empty template", u.SampleID)
			}
			if _, err := stmt.ExecContext(ctx, u.Template, u.Quality, u.SampleID); err != nil {
				return fmt.Errorf("sample %d: %w", u.SampleID, err)
			}
		}
		return nil
	})
}
