package server

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/face"
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
}
