package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/face"
	"github.com/biomesh/biomesh/store"
)

// TestFace enrols photos of faces and finds a person again from another photo; it runs on
// nodes built with -tags dlib and the models of scripts/setup-face.
func TestFace(t *testing.T) {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	p, err := face.Open(face.Options{})
	if errors.Is(err, face.ErrNotBuilt) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	photo := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "face", "goface", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	n := startLocal(t, Config{Face: p})
	faceSample := func(b []byte) map[string]any { return map[string]any{"modality": "face", "image": b} }
	// The HOG detector misses some photos (tilted faces): enrol what it finds.
	try := func(name, file string) string {
		status, data := n.send("POST", "/v1/persons", map[string]any{"person": map[string]any{"name": name}, "samples": []any{faceSample(photo(file))}})
		var enr struct {
			PersonID string `json:"person_id"`
			Error    string
		}
		json.Unmarshal(data, &enr)
		if status != 201 {
			t.Logf("%s: %d %s", file, status, enr.Error)
		}
		return enr.PersonID
	}
	jimin := ""
	var probes []string
	for _, f := range []string{"jimin.jpg", "jimin2.jpg", "jimin3.jpg", "jimin4.jpg", "jimin5.jpg", "jimin6.jpg", "jimin7.jpg"} {
		if jimin == "" {
			jimin = try("Jimin", f)
		} else {
			probes = append(probes, f)
		}
	}
	if jimin == "" {
		t.Fatal("no photo of Jimin enrolled")
	}
	for _, other := range []string{"bona.jpg", "chaeyeon.jpg", "eunseo.jpg", "tzuyu.jpg"} {
		try(other, other)
	}
	var id struct {
		Candidates []candidate
	}
	probe := ""
	for _, f := range probes {
		status, data := n.send("POST", "/v1/identify", map[string]any{"samples": []any{faceSample(photo(f))}})
		if status == 200 && json.Unmarshal(data, &id) == nil {
			probe = f
			break
		}
	}
	if probe == "" || len(id.Candidates) == 0 || id.Candidates[0].Face == 0 {
		t.Fatalf("identify by face: no probe photo searched (%v): %+v", probes, id)
	}
	t.Logf("%s → %s (Jimin is %s), face score %.1f", probe, id.Candidates[0].PersonID, jimin, id.Candidates[0].Face)
	// A group photo cannot enrol one person.
	n.call("POST", "/v1/persons", map[string]any{"person": map[string]any{"name": "group"}, "samples": []any{faceSample(photo("pristin.jpg"))}}, 422, nil)

	// Templates of another model (as after switching the node's face model) are extracted
	// anew from the stored photos at start, kept, audited and searched.
	ctx := context.Background()
	_, enrolled := n.srv.faces.g.Len()
	var old []store.TemplateUpdate
	err = n.st.EachTemplate(ctx, store.Face, func(s store.Sample) error {
		var tpl face.Template
		if err := tpl.UnmarshalBinary(s.Template); err != nil {
			return err
		}
		tpl.Model = "an-older-model"
		b, err := tpl.MarshalBinary()
		old = append(old, store.TemplateUpdate{SampleID: s.ID, Template: b, Quality: s.Quality})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &audit.Entry{User: "test", Role: store.RoleAdmin, Action: "test.other-model", Target: "faces", Result: "ok"}
	if err := n.st.ReplaceTemplates(ctx, old, a); err != nil {
		t.Fatal(err)
	}
	srv2, err := New(ctx, n.st, Config{Face: p, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, samples := srv2.faces.g.Len(); samples != enrolled || enrolled == 0 {
		t.Errorf("face gallery after a model change: %d faces, want %d", samples, enrolled)
	}
	audited := 0
	n.st.EachAudit(ctx, 0, func(e *audit.Entry) error {
		if e.Action == "sample.reextract" {
			audited++
		}
		return nil
	})
	if audited != enrolled {
		t.Errorf("%d audit entries of re-extraction, want %d (one per person with one face)", audited, enrolled)
	}
}
