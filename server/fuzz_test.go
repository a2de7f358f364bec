package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store/sqlite"
)

// FuzzRequests sends arbitrary bodies to the endpoints that parse outside data: the answer
// must be a 2xx or 4xx with a JSON error, never a 500 or a panic.
func FuzzRequests(f *testing.F) {
	for _, s := range []string{
		`{"person":{"name":"a"},"samples":[{"position":1,"template":"Qk1GVAE="}]}`,
		`{"samples":[{"modality":"finger","position":3,"image":"iVBORw0KGgo="}]}`,
		`{"samples":[{"modality":"face","image":"/9j/4AAQ"}]}`,
		`{"person_id":"P-X","samples":[]}`,
		`{"samples":[{"position":-1}]}`,
		`{"level":"detain","reason":"x"}`,
		`{"conflict_id":"C-1","resolution":"same-person"}`,
		`{"samples":[{"template":"Rk1SACAyMAA="}],"lat":1e400}`,
		`[]`, `null`, `{"samples":[{"position":1e99}]}`,
	} {
		for _, path := range []int{0, 1, 2, 3, 4} {
			f.Add(path, []byte(s))
		}
	}
	st, err := sqlite.Open(f.TempDir() + "/biomesh.db")
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	tok, _ := server.Bootstrap(ctx, st, "unit-a", time.Now())
	srv, err := server.New(ctx, st, server.Config{Logger: quiet})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	routes := []struct{ method, path string }{
		{"POST", "/v1/persons"}, {"POST", "/v1/identify"}, {"POST", "/v1/encounters"},
		{"PUT", "/v1/persons/P-NONE/watch"}, {"POST", "/v1/conflicts"},
	}
	f.Fuzz(func(t *testing.T, route int, body []byte) {
		r := routes[(route%len(routes)+len(routes))%len(routes)]
		rec := newRecorder()
		h.ServeHTTP(rec, newRequest(r.method, r.path, tok, body))
		if rec.code >= 500 || rec.code < 200 {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, rec.code, rec.buf.String())
		}
	})
}
