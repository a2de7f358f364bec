package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store/sqlite"
)

// localNode is a server with cfg over a new store, organisation "unit-a", served on
// loopback until the test ends: for tests that need the server's own types.
type localNode struct {
	t     *testing.T
	st    *sqlite.DB
	srv   *Server
	url   string
	admin string
}

func startLocal(t *testing.T, cfg Config) *localNode {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin, err := Bootstrap(ctx, st, "unit-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := New(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &localNode{t: t, st: st, srv: srv, url: hs.URL, admin: admin}
}

// send makes a JSON request as the admin and returns the status and the body.
func (n *localNode) send(method, path string, body any) (int, []byte) {
	n.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, n.url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+n.admin)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

// call is send that wants status want and decodes the answer into out.
func (n *localNode) call(method, path string, body any, want int, out any) {
	n.t.Helper()
	status, data := n.send(method, path, body)
	if status != want {
		n.t.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, data)
	}
	if out != nil {
		json.Unmarshal(data, out)
	}
}
