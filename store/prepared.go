package store

import (
	"context"

	"github.com/biomesh/biomesh/audit"
)

// PreparedForm is a sample's search form (Sample.Prepared) derived anew.
type PreparedForm struct {
	SampleID int64
	Prepared []byte
}

// PreparedSaver is implemented by stores that can replace stored search forms without a
// change of record (store/sqlite does): a node whose engine no longer reads the stored forms
// derives them again at start and saves them, so that only the first start after an engine
// upgrade pays for the derivation.
type PreparedSaver interface {
	SetPrepared(ctx context.Context, forms []PreparedForm) error
}

// TemplateUpdate is a sample's template extracted anew from its stored image.
type TemplateUpdate struct {
	SampleID int64
	Template []byte
	Quality  int
}

// TemplateReplacer is implemented by stores that can replace the templates of existing
// samples (store/sqlite does): after an engine upgrade changed a template format, a node
// extracts the templates again from the stored images and keeps them. The search form
// (Prepared) of each such sample is cleared, since it was derived from the old template.
type TemplateReplacer interface {
	ReplaceTemplates(ctx context.Context, updates []TemplateUpdate, a *audit.Entry) error
}
