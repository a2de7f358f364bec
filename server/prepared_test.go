package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
)

// TestStaleSearchFormsSaved: samples whose stored search form is of another engine version
// (or absent) are derived again at start, found by a search, and saved, so that the next
// start reads them.
func TestStaleSearchFormsSaved(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir() + "/biomesh.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	const persons = 3
	for k := range persons {
		p := &store.Person{ID: fmt.Sprint("stale-", k), Org: "unit-a", Name: fmt.Sprint("Stale ", k), Created: now, Updated: now, Watch: store.Watch{Level: store.WatchNone}}
		var ss []store.Sample
		for f := 1; f <= 2; f++ {
			tpl := synthtpl.Impression(synthtpl.Finger(11, k, f, nil), 11, 0, nil)
			tpl.Position = f
			bt, _ := tpl.MarshalBinary()
			// A form of version 1 (an older engine) for the first finger, none for the second.
			var prepared []byte
			if f == 1 {
				prepared = []byte{'B', 'M', 'C', 1, 0, 0, 0, 0}
			}
			ss = append(ss, store.Sample{Modality: store.Finger, Position: f, Template: bt, Prepared: prepared, Quality: tpl.Quality, Captured: now})
		}
		a := &audit.Entry{Time: now, User: "test", Org: "unit-a", Role: "admin", Action: "person.enrol", Target: p.ID, Result: "ok"}
		if err := st.CreatePerson(ctx, p, ss, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := server.New(ctx, st, server.Config{Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = st.EachTemplate(ctx, store.Finger, func(s store.Sample) error {
		var c match.Candidate
		if err := c.UnmarshalBinary(s.Prepared); err != nil {
			return fmt.Errorf("sample %d of %s: stored form after start: %w", s.ID, s.PersonID, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2*persons {
		t.Fatalf("%d samples, want %d", n, 2*persons)
	}
}
