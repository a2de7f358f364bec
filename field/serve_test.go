package field_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomesh/biomesh/field"
	"github.com/biomesh/biomesh/store"
)

// safeClock is a kit clock a test sets while a resident kit reads it.
type safeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *safeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *safeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// residentKit registers a kit with the node, pulls its package and starts a resident kit on
// a unix socket in the kit's directory.
func residentKit(t *testing.T, n *testNode, clk *safeClock) (*field.Kit, *field.Client, field.Device, string) {
	t.Helper()
	ctx := context.Background()
	kit, err := field.Open(t.TempDir(), clk.now)
	if err != nil {
		t.Fatal(err)
	}
	c := &field.Client{Kit: kit}
	dev, err := c.Register(ctx, n.URL, n.Admin, "kit-r", "patrol 9", "screener", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	addr := field.DefaultSocket(kit)
	l, err := field.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &field.Server{Kit: kit, Client: c, Poll: 20 * time.Millisecond, Warm: true}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return kit, c, dev, addr
}

func ask(t *testing.T, addr string, req field.Request) field.Response {
	t.Helper()
	resp, err := field.Ask(context.Background(), addr, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestResidentKit: a resident kit answers checks on its socket from the package it holds,
// refuses bad requests clearly, refuses once the lease has expired and erases the package
// from memory, opens a renewed package, and obeys a wipe delivered to its own sync or to
// another process's.
func TestResidentKit(t *testing.T) {
	ctx := context.Background()
	n := startNode(t)
	enrolWatched(t, n, []store.WatchLevel{store.WatchDetain, store.WatchMonitor, store.WatchNone, store.WatchAlert})
	clk := &safeClock{t: time.Now()}
	kit, c, dev, addr := residentKit(t, n, clk)

	// Checks: the package is opened at the first and kept; each check is queued.
	for _, w := range []struct {
		person int
		action string
		pos    []int
	}{{0, "red", []int{2, 7}}, {1, "yellow", []int{1, 2}}, {2, "green", []int{1, 2}}, {3, "red", []int{1, 3}}, {99, "green", []int{1, 2}}} {
		probes := probe(fingers(w.person, 4, 3))
		var pf []field.Finger
		for _, p := range probes {
			for _, want := range w.pos {
				if p.Position == want {
					pf = append(pf, p)
				}
			}
		}
		resp := ask(t, addr, field.Request{Fingers: pf, Place: "gate 2"})
		if err := resp.Err(); err != nil || resp.Result == nil {
			t.Fatalf("person %d: %+v", w.person, resp)
		}
		t.Logf("person %d, fingers %v: %s in %.1f ms", w.person, w.pos, resp.Result.Action, resp.TookMS)
		if resp.Result.Action != w.action || resp.Queued == "" {
			t.Errorf("person %d: %+v, want %s, queued", w.person, resp, w.action)
		}
	}
	st := ask(t, addr, field.Request{Op: "status"})
	if st.Resident == nil || !st.Resident.Open || st.Resident.Persons != 3 || st.Status == nil || st.Status.Queued != 5 {
		t.Fatalf("status: %+v %+v", st.Resident, st.Status)
	}

	// Bad requests: clear errors, and the connection's server goes on answering.
	for _, line := range []string{`not json`, `{"op":"dance"}`, `{"op":"check"}`, `{"fingers":[{"position":2,"template":"AAAA"}]}`,
		`{"fingers":[{"position":99,"template":"AAAA"}]}`, `{"op":"check","colour":"red"}`, `{} {}`} {
		var resp field.Response
		srv := &field.Server{Kit: kit}
		var out bytes.Buffer
		if err := srv.ServeLines(ctx, strings.NewReader(line+"\n"+`{"op":"status"}`+"\n"), &out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%s: %d answer lines", line, len(lines))
		}
		if err := json.Unmarshal([]byte(lines[0]), &resp); err != nil || resp.Error == "" || resp.Result != nil {
			t.Errorf("%s: %s", line, lines[0])
		}
		t.Logf("%s → %s: %s", line, resp.Code, resp.Error)
		srv.Close()
	}
	long := `{"op":"check","place":"` + strings.Repeat("x", 2<<20) + `"}`
	var out bytes.Buffer
	(&field.Server{Kit: kit}).ServeLines(ctx, strings.NewReader(long+"\n"), &out)
	if !strings.Contains(out.String(), "longer than") {
		t.Errorf("a 2 MB request: %.200s", out.String())
	}

	// The lease runs out: refused, the package erased from memory (by the poll, with no
	// check coming), and refused again.
	lease, err := kit.Lease()
	if err != nil {
		t.Fatal(err)
	}
	clk.set(lease.Expires.Add(time.Second))
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := ask(t, addr, field.Request{Op: "status"})
		if st.Resident != nil && !st.Resident.Open {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("package still in memory 5 s after the lease expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 2 {
		resp := ask(t, addr, field.Request{Fingers: probe(fingers(0, 2, 3))})
		if !errors.Is(resp.Err(), field.ErrLeaseExpired) || resp.Result != nil || resp.Code != "lease_expired" {
			t.Fatalf("check after expiry: %+v", resp)
		}
	}

	// A sync through the resident kit pulls a new package and lease; checks go on.
	clk.set(time.Now())
	if resp := ask(t, addr, field.Request{Op: "sync"}); resp.Err() != nil || resp.Sync == nil || resp.Sync.Created != 5 || resp.Resident == nil || !resp.Resident.Open {
		t.Fatalf("sync: %+v", resp)
	}
	if resp := ask(t, addr, field.Request{Fingers: probe(fingers(0, 2, 3)), NoQueue: true}); resp.Err() != nil || resp.Result.Action != "red" || resp.Queued != "" {
		t.Fatalf("check after the sync: %+v", resp)
	}
	// Another process pulls a package meanwhile: the resident kit opens it at the next check.
	other, _ := field.Open(kit.Dir(), clk.now)
	if _, _, err := (&field.Client{Kit: other}).Pull(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ := kit.Lease()
	if resp := ask(t, addr, field.Request{Fingers: probe(fingers(3, 2, 3)), NoQueue: true}); resp.Err() != nil || resp.Result.Action != "red" {
		t.Fatalf("check after another pull: %+v", resp)
	}
	if st := ask(t, addr, field.Request{Op: "status"}); st.Resident.Package != cur.PackageID {
		t.Fatalf("resident kit holds %s, the kit's package is %s", st.Resident.Package, cur.PackageID)
	}

	// A wipe, delivered to the resident kit's own sync: erased, and every check refused.
	if st := call(t, "POST", n.URL+"/v1/devices/"+dev.ID+"/wipe", n.Admin, nil, nil); st != 200 {
		t.Fatalf("wipe: %d", st)
	}
	if resp := ask(t, addr, field.Request{Op: "sync"}); !errors.Is(resp.Err(), field.ErrWiped) {
		t.Fatalf("sync after a wipe order: %+v", resp)
	}
	if st := ask(t, addr, field.Request{Op: "status"}); st.Resident == nil || st.Resident.Open || st.Status == nil || st.Status.Wiped == "" {
		t.Fatalf("status after the wipe: %+v", st)
	}
	if resp := ask(t, addr, field.Request{Fingers: probe(fingers(0, 2, 3))}); !errors.Is(resp.Err(), field.ErrWiped) || resp.Result != nil {
		t.Fatalf("check after the wipe: %+v", resp)
	}
	if _, err := kit.Lease(); !errors.Is(err, field.ErrWiped) {
		t.Fatalf("kit after the wipe: %v", err)
	}
	_ = c
}

// TestResidentKitWipedElsewhere: a wipe that another process receives (biomesh field sync)
// is obeyed by the resident kit at its next check, and by its poll with no check coming.
func TestResidentKitWipedElsewhere(t *testing.T) {
	ctx := context.Background()
	n := startNode(t)
	enrolWatched(t, n, []store.WatchLevel{store.WatchDetain})
	clk := &safeClock{t: time.Now()}
	kit, _, dev, addr := residentKit(t, n, clk)
	if resp := ask(t, addr, field.Request{Fingers: probe(fingers(0, 2, 3))}); resp.Err() != nil || resp.Result.Action != "red" {
		t.Fatalf("check: %+v", resp)
	}
	if st := call(t, "POST", n.URL+"/v1/devices/"+dev.ID+"/wipe", n.Admin, nil, nil); st != 200 {
		t.Fatalf("wipe: %d", st)
	}
	other, _ := field.Open(kit.Dir(), clk.now)
	if _, err := (&field.Client{Kit: other}).Sync(ctx); !errors.Is(err, field.ErrWiped) {
		t.Fatalf("sync by another process: %v", err)
	}
	resp := ask(t, addr, field.Request{Fingers: probe(fingers(0, 2, 3))})
	if !errors.Is(resp.Err(), field.ErrWiped) || resp.Result != nil {
		t.Fatalf("check after a wipe received elsewhere: %+v", resp)
	}
	if st := ask(t, addr, field.Request{Op: "status"}); st.Resident.Open {
		t.Fatal("package still in memory after the wipe")
	}
}

// TestListen: a resident kit listens on loopback or a unix socket only, and not twice on one
// socket.
func TestListen(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", ":0", "nonsense"} {
		if l, err := field.Listen(addr); err == nil {
			l.Close()
			t.Errorf("listened on %s", addr)
		}
	}
	l, err := field.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	sock := "unix:" + filepath.Join(t.TempDir(), "s.sock")
	l, err = field.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if l2, err := field.Listen(sock); err == nil {
		l2.Close()
		t.Error("listened twice on one socket")
	}
}
