package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/iris"
	"github.com/biomesh/biomesh/store"
)

// TestIris enrols eyes of CASIA v1 and finds them again with other images of the same
// eye; another person's eye does not hit; a non-eye image is refused with the failed gates.
func TestIris(t *testing.T) {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	eye := func(n, session, i int) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "iris", "casia-v1", itoa(n), pad3(n)+"_"+itoa(session)+"_"+itoa(i)+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	n := startLocal(t, Config{})
	call := n.call
	irisSample := func(b []byte) map[string]any { return map[string]any{"modality": "iris", "position": 1, "image": b} }
	var ids []string
	for n := 1; n <= 5; n++ {
		var enr struct {
			PersonID string `json:"person_id"`
		}
		call("POST", "/v1/persons", map[string]any{"person": map[string]any{"name": "Eye " + itoa(n)}, "samples": []any{irisSample(eye(n, 1, 1))}}, 201, &enr)
		ids = append(ids, enr.PersonID)
	}
	var id struct {
		Decision   string
		Candidates []candidate
	}
	for n := 1; n <= 5; n++ {
		call("POST", "/v1/identify", map[string]any{"samples": []any{irisSample(eye(n, 2, 1))}}, 200, &id)
		if id.Decision != "hit" || id.Candidates[0].PersonID != ids[n-1] || id.Candidates[0].Iris == 0 {
			t.Errorf("eye %d, second session: %+v", n, id)
		}
	}
	call("POST", "/v1/identify", map[string]any{"samples": []any{irisSample(eye(40, 2, 1))}}, 200, &id)
	if id.Decision != "no-hit" {
		t.Errorf("an eye never enrolled: %+v", id)
	}
	call("POST", "/v1/identify", map[string]any{"samples": []any{irisSample(pngBytes(t))}}, 422, nil)

	// After a restart the irises are searched again.
	srv2, err := New(context.Background(), n.st, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if subjects, samples := srv2.irises.g.Len(); subjects != 5 || samples != 5 {
		t.Errorf("iris gallery after restart: %d persons, %d irises", subjects, samples)
	}

	// Codes of an older template version (as after an engine upgrade) are extracted anew
	// from the stored images at start, kept, audited, and searched.
	ctx := context.Background()
	var old []store.TemplateUpdate
	err = n.st.EachTemplate(ctx, store.Iris, func(s store.Sample) error {
		b := append([]byte(nil), s.Template...)
		b[3]-- // the version before this engine's
		old = append(old, store.TemplateUpdate{SampleID: s.ID, Template: b, Quality: s.Quality})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &audit.Entry{User: "test", Role: store.RoleAdmin, Action: "test.downgrade", Target: "irises", Result: "ok"}
	if err := n.st.ReplaceTemplates(ctx, old, a); err != nil {
		t.Fatal(err)
	}
	srv3, err := New(ctx, n.st, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if subjects, samples := srv3.irises.g.Len(); subjects != 5 || samples != 5 {
		t.Errorf("iris gallery after the codes went stale: %d persons, %d irises, want 5 and 5", subjects, samples)
	}
	fresh := 0
	n.st.EachTemplate(ctx, store.Iris, func(s store.Sample) error {
		var tpl iris.Template
		if tpl.UnmarshalBinary(s.Template) == nil {
			fresh++
		}
		return nil
	})
	if fresh != 5 {
		t.Errorf("%d of 5 stored iris codes readable after re-extraction", fresh)
	}
	audited := 0
	n.st.EachAudit(ctx, 0, func(e *audit.Entry) error {
		if e.Action == "sample.reextract" {
			audited++
		}
		return nil
	})
	if audited != 5 {
		t.Errorf("%d audit entries of re-extraction, want 5 (one per person)", audited)
	}
	srv4, err := New(ctx, n.st, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, samples := srv4.irises.g.Len(); samples != 5 {
		t.Errorf("after a further restart: %d irises", samples)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func pad3(n int) string { return fmt.Sprintf("%03d", n) }
