package field_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store/sqlite"
)

// testNode is a real node over a SQLite file that a test can stop and start again on the
// same address, to cut the kit's link and restore it.
type testNode struct {
	t      testing.TB
	path   string
	addr   string
	URL    string
	Admin  string
	St     *sqlite.DB
	cancel context.CancelFunc
	done   chan struct{}
}

func startNode(t testing.TB) *testNode {
	t.Helper()
	n := &testNode{t: t, path: filepath.Join(t.TempDir(), "biomesh.db"), addr: "127.0.0.1:0"}
	n.start()
	tok, err := server.Bootstrap(context.Background(), n.St, "unit-a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n.Admin = tok
	t.Cleanup(n.stop)
	return n
}

func (n *testNode) start() {
	t := n.t
	t.Helper()
	st, err := sqlite.Open(n.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, st, server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var l net.Listener
	for range 50 { // the old listener's port may take a moment to be free again
		if l, err = net.Listen("tcp", n.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	n.addr = l.Addr().String()
	n.URL = "http://" + n.addr
	n.St, n.cancel, n.done = st, cancel, make(chan struct{})
	go func() { srv.Serve(ctx, l); close(n.done) }()
}

func (n *testNode) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	<-n.done
	n.St.Close()
	n.cancel = nil
}

// call sends a JSON request and decodes a JSON answer into out; it returns the status.
func call(t testing.TB, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, data)
		}
	}
	if res.StatusCode/100 != 2 {
		t.Logf("%s %s: %d %s", method, url, res.StatusCode, bytes.TrimSpace(data))
	}
	return res.StatusCode
}

// fingers returns the native templates of impression imp of a synthetic person's fingers
// 1..n (the node enrols impression 0; probes are other impressions).
func fingers(person, n, imp int) []map[string]any {
	var out []map[string]any
	for f := 1; f <= n; f++ {
		m := synthtpl.Finger(7, person, f-1, nil)
		b, _ := synthtpl.Impression(m, 7, imp, nil).MarshalBinary()
		out = append(out, map[string]any{"modality": "finger", "position": f, "template": b})
	}
	return out
}
