package sqlite

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// Outbox messages commit with their change and only with it, come back in commit order
// after a reopen, and are gone once deleted.
func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "biomesh.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	msg := func(id string) store.OutboxMessage {
		return store.OutboxMessage{ID: id, Topic: "federation", Payload: []byte("payload " + id), Created: t0}
	}
	if err := db.CreatePerson(ctx, person("P-1", t0), samples(1), entry("person.enrol", "P-1"), msg("m1")); err != nil {
		t.Fatal(err)
	}
	if err := db.SetWatch(ctx, "P-1", store.Watch{Level: store.WatchAlert, Reason: "r"}, entry("watch.set", "P-1"), msg("m2"), msg("m3")); err != nil {
		t.Fatal(err)
	}
	// A change that fails leaves no message; a message ID used before fails the change.
	mustErr(t, db.DeletePerson(ctx, store.Deletion{PersonID: "P-1", Reason: "x"}, entry("person.delete", "P-1"), msg("m4")), store.ErrConflict, "delete under watch")
	mustErr(t, db.SetWatch(ctx, "P-1", store.Watch{Level: store.WatchNone}, entry("watch.set", "P-1"), msg("m1")), store.ErrConflict, "message ID reused")
	if p, _ := db.Person(ctx, "P-1"); p.Watch.Level != store.WatchAlert {
		t.Fatalf("the change with a reused message ID was kept: %+v", p.Watch)
	}
	if err := db.AddEncounter(ctx, &store.Encounter{ID: "E-1", PersonID: "P-1", Time: t0, Org: "org1", User: "u1"}, entry("encounter", "E-1"), msg("E-1")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.OutboxMessages(ctx, "federation", 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, m := range got {
		ids = append(ids, m.ID)
		if i > 0 && m.Seq <= got[i-1].Seq || string(m.Payload) != "payload "+m.ID || !m.Created.Equal(t0) || m.Topic != "federation" {
			t.Errorf("message %d: %+v", i, m)
		}
	}
	if len(ids) != 4 || ids[0] != "m1" || ids[1] != "m2" || ids[2] != "m3" || ids[3] != "E-1" {
		t.Fatalf("outbox holds %v, want m1 m2 m3 E-1", ids)
	}
	if other, err := db.OutboxMessages(ctx, "other", 0); err != nil || len(other) != 0 {
		t.Fatalf("another topic: %v, %v", other, err)
	}
	if err := db.DeleteOutbox(ctx, []int64{got[0].Seq, got[2].Seq, 999}); err != nil {
		t.Fatal(err)
	}
	if got, _ = db.OutboxMessages(ctx, "federation", 1); len(got) != 1 || got[0].ID != "m2" {
		t.Fatalf("after delete, first of limit 1: %+v", got)
	}
	if after, _ := db.OutboxMessagesAfter(ctx, "federation", got[0].Seq, 0); len(after) != 1 || after[0].ID != "E-1" {
		t.Fatalf("after m2: %+v", after)
	}
	if err := db.SetWatch(ctx, "P-1", store.Watch{Level: store.WatchNone}, entry("watch.set", "P-1"), store.OutboxMessage{Topic: "federation"}); err == nil || errors.Is(err, store.ErrConflict) {
		t.Fatalf("message without ID: %v", err)
	}
	verifyChain(t, db)
}

// Messages of a decision recorded only by its audit entry commit with the entry: both or
// neither; a message ID used before fails both.
func TestAppendOutbox(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	msg := store.OutboxMessage{ID: "follow-up-F1", Topic: "federation", Payload: []byte("{}"), Created: t0}
	if err := db.AppendOutbox(ctx, entry("federation.follow-up.decide", "P-1"), msg); err != nil {
		t.Fatal(err)
	}
	mustErr(t, db.AppendOutbox(ctx, entry("federation.follow-up.decide", "P-1"), msg), store.ErrConflict, "message ID reused")
	if err := db.AppendOutbox(ctx, entry("federation.follow-up.decide", "P-1")); err == nil {
		t.Fatal("no message: accepted")
	}
	entries := 0
	if err := db.EachAudit(ctx, 0, func(*audit.Entry) error { entries++; return nil }); err != nil {
		t.Fatal(err)
	}
	if entries != 1 {
		t.Errorf("%d audit entries, want 1 (the refused appends wrote none)", entries)
	}
	if got, err := db.OutboxMessages(ctx, "federation", 0); err != nil || len(got) != 1 || got[0].ID != msg.ID {
		t.Fatalf("outbox: %+v, %v", got, err)
	}
	verifyChain(t, db)
}
