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

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/internal/fedtest"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store/sqlite"
)

// Node is a running node.
type Node struct {
	URL   string     // http://127.0.0.1:PORT
	Store *sqlite.DB // its store, for checks behind the API
	Admin string     // the token of the first admin, of organisation "unit-a"
	// Federation is the node's federation side (StartLinked), nil otherwise.
	Federation *federation.Node

	org, db string
	fed     *fedtest.Side
	state   *federation.MemState // kept across Restart, as a node's state file would be
	stop    func()
}

// Start starts a node whose first organisation is "unit-a"; it stops when the test ends.
func Start(t testing.TB) *Node {
	t.Helper()
	return start(t, "unit-a", nil, "")
}

// start starts a node of organisation org, with a federation side when fed is given, over
// the store at db (a new one in a temporary directory when "").
func start(t testing.TB, org string, fed *fedtest.Side, db string) *Node {
	t.Helper()
	if db == "" {
		db = filepath.Join(t.TempDir(), "biomesh.db")
	}
	n := &Node{org: org, db: db, fed: fed}
	if fed != nil {
		n.state = federation.NewMemState()
	}
	n.run(t)
	t.Cleanup(n.Stop)
	return n
}

// run opens the node's store and starts its server (and federation side).
func (n *Node) run(t testing.TB) {
	t.Helper()
	st, err := sqlite.Open(n.db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if n.Admin == "" && n.stop == nil {
		if n.Admin, err = server.Bootstrap(ctx, st, n.org, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(ctx, st, server.Config{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	n.Store, n.Federation = st, nil
	if n.fed != nil {
		n.Federation, err = federation.Start(ctx, federation.Options{Config: n.fed.Config, Key: n.fed.Key, State: n.state,
			Searcher: srv, Records: st, Audit: st, Outbox: st, OnEvent: srv.OnFederationEvent, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.SetFederation(ctx, n.Federation, n.state); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, l); close(done) }()
	fedNode := n.Federation
	n.stop = func() {
		cancel()
		<-done
		if fedNode != nil {
			fedNode.Shutdown()
		}
		st.Close()
	}
	n.URL = "http://" + l.Addr().String()
}

// Stop stops the node: its server, its federation side and its store. What it committed
// is in its store and what it published in its streams, as after a crash.
func (n *Node) Stop() {
	if n.stop != nil {
		n.stop()
		n.stop = func() {}
	}
}

// Restart starts a stopped node again over the same store, federation configuration and
// state (in memory, kept as the node's state file would be), on a new port: URL, Store
// and Federation change, Admin stays.
func (n *Node) Restart(t testing.TB) {
	t.Helper()
	n.Stop()
	n.run(t)
}

// StartLinked starts two nodes linked as fedtest.Pair describes: "hq" (organisation hq)
// and "border" (organisation border-police), and waits until the link is up.
func StartLinked(t testing.TB) (hq, border *Node) {
	t.Helper()
	return StartLinkedAt(t, "", nil)
}

// StartLinkedAt is StartLinked with hq over the store at hqDB ("" for a new one; an
// existing store keeps its users, and Admin is then "") and the pair's configurations
// first passed to tune, when not nil (e.g. to widen the agreement).
func StartLinkedAt(t testing.TB, hqDB string, tune func(hq, border *fedtest.Side)) (hq, border *Node) {
	t.Helper()
	h, b := fedtest.Pair(t)
	if tune != nil {
		tune(&h, &b)
	}
	hq = start(t, "hq", &h, hqDB)
	border = start(t, "border-police", &b, "")
	for deadline := time.Now().Add(20 * time.Second); !border.Federation.Linked("hq") || !hq.Federation.Linked("border"); {
		if time.Now().After(deadline) {
			t.Fatal("the nodes did not link")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return hq, border
}
