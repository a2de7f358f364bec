package store

import "context"

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
