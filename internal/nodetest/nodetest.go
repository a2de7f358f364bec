// Package nodetest starts a real node for tests: a server.Server over a SQLite store in a
// temporary directory, serving on a random loopback port until the test ends.
package nodetest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store/sqlite"
)

// Node is a running node.
type Node struct {
	URL   string     // http://127.0.0.1:PORT
	Store *sqlite.DB // its store, for checks behind the API
	Admin string     // the token of the first admin, of organisation "unit-a"
}

// Start starts a node whose first organisation is "unit-a"; it stops when the test ends.
func Start(t testing.TB) *Node {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tok, err := server.Bootstrap(ctx, st, "unit-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, st, server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	return &Node{URL: "http://" + l.Addr().String(), Store: st, Admin: tok}
}
