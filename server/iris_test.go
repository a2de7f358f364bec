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
}

func itoa(n int) string { return strconv.Itoa(n) }

func pad3(n int) string { return fmt.Sprintf("%03d", n) }
