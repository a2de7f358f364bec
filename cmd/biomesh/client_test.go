package main

// Tests of the client commands against a real node (server.New over a SQLite store on a
// loopback port), with synthetic fingerprint images from fingerprint/synth.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/biomesh/biomesh/internal/nodetest"
	"image"
	"image/png"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/fingerprint/synth"
	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store/sqlite"
)

// testNode is a node served in-process on a loopback port.
type testNode struct {
	url   string
	st    *sqlite.DB
	admin string
}

func startTestNode(t *testing.T) *testNode {
	n := nodetest.Start(t)
	return &testNode{url: n.URL, st: n.Store, admin: n.Admin}
}

// user creates a user directly in the store and returns its token.
func (n *testNode) user(t *testing.T, name, role string) string {
	t.Helper()
	a := &audit.Entry{Time: time.Now(), User: "test", Org: "unit-a", Role: "admin"}
	_, tok, err := server.AddUser(context.Background(), n.st, name, "unit-a", role, a)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// runCtx runs the command line in-process with a context.
func runCtx(ctx context.Context, stdout, stderr io.Writer, args ...string) error {
	root := newRoot()
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// syncBuffer is a buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writePrints writes impressions of synthetic fingers as PNG files: the returned
// paths[f][i] is impression i of finger f, for impressions[f] impressions.
func writePrints(t *testing.T, dir string, impressions []int) [][]string {
	t.Helper()
	paths := make([][]string, len(impressions))
	errs := make([]error, len(impressions))
	var wg sync.WaitGroup
	for f, n := range impressions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := synth.NewMaster(synth.MasterSeed(7, f), nil)
			if err != nil {
				errs[f] = err
				return
			}
			for i := range n {
				im, err := m.Impression(uint64(100*f+i), nil)
				if err != nil {
					errs[f] = err
					return
				}
				var b bytes.Buffer
				png.Encode(&b, im.Image)
				p := filepath.Join(dir, fmt.Sprintf("f%d_%d.png", f, i))
				errs[f] = os.WriteFile(p, b.Bytes(), 0o600)
				paths[f] = append(paths[f], p)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// proxy forwards TCP connections to a node and can cut them, to test reconnection.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	refuse bool
}

func startProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target}
	t.Cleanup(func() { l.Close(); p.cut(false) })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			refuse := p.refuse
			p.mu.Unlock()
			if refuse {
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

// cut closes every open connection; refuse says whether new ones are refused until the
// next cut(false).
func (p *proxy) cut(refuse bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns, p.refuse = nil, refuse
}

var personIDPattern = regexp.MustCompile(`P-[A-Z2-7]{16}`)

func TestClientCommands(t *testing.T) {
	n := startTestNode(t)
	t.Setenv("BIOMESH_NODE", n.url)
	t.Setenv("BIOMESH_TOKEN", n.admin)
	enroller := n.user(t, "enroller", "enroller")
	analyst := n.user(t, "analyst", "analyst")
	screener := n.user(t, "patrol", "screener")
	dir := t.TempDir()
	// Fingers 0–2 of person A (impression 0 enrolled, 1 for searches), 3–4 of someone
	// never enrolled.
	prints := writePrints(t, dir, []int{2, 2, 2, 1, 1})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := runCtx(ctx, &out, &errOut, args...)
		return out.String(), errOut.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, stderr, err := run(args...)
		if err != nil {
			t.Fatalf("biomesh %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return out
	}

	// Enrolment of A with three fingers (the third at an unknown position) and a face.
	face := filepath.Join(dir, "face.png")
	writePNG(t, face, 64, 80)
	out, stderr, err := run("enroll", "--token", enroller, "--purpose", "case 42", "--name", "Ahmad Karim", "--alias", "Abu Karim",
		"--dob", "1980-02-03", "--sex", "M", "--nationality", "IRQ", "--category", "detainee", "--custody", "camp 1",
		"--face", face, "2="+prints[0][0], "7="+prints[1][0], prints[2][0])
	if err != nil {
		t.Fatalf("enroll: %v\n%s", err, stderr)
	}
	a := personIDPattern.FindString(out)
	if a == "" || !strings.Contains(out, "new person") || strings.Count(out, "finger") != 3 || !strings.Contains(out, "face") {
		t.Fatalf("enroll output:\n%s", out)
	}
	if !strings.Contains(stderr, "warning:") {
		t.Errorf("the face sample should bring a warning (not searchable):\n%s", stderr)
	}

	// A second person from templates (native .bmt), with --json.
	var tpls []string
	for f := 1; f <= 2; f++ {
		b, _ := synthtpl.Impression(synthtpl.Finger(3, 1, f, nil), 3, 0, nil).MarshalBinary()
		p := filepath.Join(dir, fmt.Sprintf("b%d.bmt", f))
		os.WriteFile(p, b, 0o600)
		tpls = append(tpls, fmt.Sprintf("%d=%s", f, p))
	}
	var enr struct {
		PersonID string `json:"person_id"`
		Created  bool   `json:"created"`
	}
	if err := json.Unmarshal([]byte(must(append([]string{"enroll", "--token", enroller, "--json", "--name", "Layla Hassan"}, tpls...)...)), &enr); err != nil || !enr.Created {
		t.Fatalf("enroll --json of templates: %v %+v", err, enr)
	}

	// Identification with the other impressions: a hit on A, whose name the analyst sees.
	out = must("identify", "--token", analyst, "--candidates", "3", "2="+prints[0][1], "7="+prints[1][1])
	if !strings.HasPrefix(out, "HIT "+a+" Ahmad Karim") || !strings.Contains(out, "*1") {
		t.Fatalf("identify:\n%s", out)
	}
	var id struct {
		Decision   string `json:"decision"`
		Candidates []struct {
			PersonID string `json:"person_id"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(must("identify", "--token", analyst, "--json", "2="+prints[0][1])), &id); err != nil || id.Decision != "hit" || id.Candidates[0].PersonID != a {
		t.Errorf("identify --json: %v %+v", err, id)
	}
	out = must("verify", "--token", screener, "--person", a, "2="+prints[0][1], "7="+prints[1][1])
	if !strings.HasPrefix(out, "MATCH "+a) {
		t.Errorf("verify:\n%s", out)
	}
	out = must("verify", "--token", screener, "--person", enr.PersonID, "2="+prints[0][1])
	if !strings.HasPrefix(out, "NO MATCH "+enr.PersonID) {
		t.Errorf("verify against the wrong person:\n%s", out)
	}

	// Watch, then encounters while an analyst follows the alerts through a proxy that
	// cuts the connection once.
	out = must("watch", "set", a, "--token", analyst, "--level", "detain", "--reason", "wanted for questioning")
	if !strings.Contains(out, a+": watch detain: wanted for questioning") {
		t.Errorf("watch set:\n%s", out)
	}
	defer func(b time.Duration) { minBackoff = b }(minBackoff)
	minBackoff = 20 * time.Millisecond
	px := startProxy(t, strings.TrimPrefix(n.url, "http://"))
	var alertsOut, alertsErr syncBuffer
	alertsDone := make(chan error, 1)
	actx, acancel := context.WithTimeout(ctx, 20*time.Second)
	defer acancel()
	go func() {
		alertsDone <- runCtx(actx, &alertsOut, &alertsErr, "alerts", "--node", "http://"+px.l.Addr().String(), "--token", analyst, "--count", "2")
	}()
	waitFor(t, "the alert stream", 5*time.Second, func() bool { return strings.Contains(alertsErr.String(), "following alerts") })

	out = must("encounter", "--token", screener, "--place", "checkpoint 4", "--lat", "36.19", "--lon", "44.01", "--unit", "patrol 1", "--outcome", "detained",
		"2="+prints[0][1], "7="+prints[1][1])
	if !strings.HasPrefix(out, "HIT watch detain → RED\n") || strings.Contains(out, a) {
		t.Errorf("a screener's encounter should say HIT watch detain → RED without the person:\n%s", out)
	}
	waitFor(t, "the first alert", 5*time.Second, func() bool { return strings.Count(alertsOut.String(), "\n") == 1 })
	px.cut(true) // the stream drops and reconnections fail ...
	out = must("encounter", "--token", analyst, "--place", "checkpoint 5", "2="+prints[0][1])
	if !strings.HasPrefix(out, "HIT "+a+" watch detain → RED\n") || !strings.Contains(out, "Ahmad Karim") {
		t.Errorf("an analyst's encounter:\n%s", out)
	}
	waitFor(t, "a failed reconnection", 5*time.Second, func() bool { return strings.Count(alertsErr.String(), "reconnecting") >= 2 })
	px.cut(false) // ... until the proxy lets them through: the missed alert comes by Last-Event-ID
	select {
	case err := <-alertsDone:
		if err != nil {
			t.Fatalf("alerts: %v\n%s", err, alertsErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("alerts did not stop after 2 alerts:\n%s\n%s", alertsOut.String(), alertsErr.String())
	}
	lines := strings.Split(strings.TrimSpace(alertsOut.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "checkpoint 4 (36.1900, 44.0100)") || !strings.Contains(lines[1], "checkpoint 5") {
		t.Errorf("alerts:\n%s", alertsOut.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, "DETAIN") || !strings.Contains(l, a) || !strings.Contains(l, `"Ahmad Karim"`) {
			t.Errorf("alert line %q: want DETAIN, the person and the name (the analyst owns the record)", l)
		}
	}
	if !strings.Contains(alertsErr.String(), "reconnected (after alert ") {
		t.Errorf("alerts should have reconnected after alert 1:\n%s", alertsErr.String())
	}
	// A screener asking for the kept alerts (--after 0) sees them without the person; --json prints the data.
	out = must("alerts", "--token", screener, "--count", "1", "--after", "0", "--json")
	var al map[string]any
	if err := json.Unmarshal([]byte(out), &al); err != nil || al["watch"] != "detain" || al["person_id"] != nil {
		t.Errorf("alerts --json for a screener: %v %s", err, out)
	}

	out = must("encounter", "--token", screener, "2="+prints[3][0], "7="+prints[4][0])
	if !strings.HasPrefix(out, "no hit → GREEN\n") {
		t.Errorf("encounter of someone never enrolled:\n%s", out)
	}

	// Records.
	out = must("person", "show", a, "--token", analyst)
	for _, want := range []string{a + "  Ahmad Karim", "Abu Karim", "1980-02-03", "IRQ", "detainee", "camp 1", "detain — wanted for questioning", "samples (4):", "png"} {
		if !strings.Contains(out, want) {
			t.Errorf("person show: no %q in\n%s", want, out)
		}
	}
	out = must("person", "timeline", a, "--token", analyst)
	if strings.Count(out, "encounter") != 2 || !strings.Contains(out, "enrolled") || !strings.Contains(out, "watch") || !strings.Contains(out, "checkpoint 4") {
		t.Errorf("person timeline:\n%s", out)
	}
	out = must("person", "search", "--token", analyst, "--name", "karim")
	if !strings.Contains(out, a) || strings.Contains(out, enr.PersonID) {
		t.Errorf("person search --name karim:\n%s", out)
	}
	if out := must("person", "search", "--token", analyst, "--nationality", "FRA"); !strings.Contains(out, "no person found") {
		t.Errorf("person search with no result:\n%s", out)
	}

	// A false name: A's fingers under another name raise an identity conflict.
	out = must("enroll", "--token", enroller, "--name", "Walid Mansour", "--dob", "1991", "2="+prints[0][1], "7="+prints[1][1])
	w := personIDPattern.FindString(out)
	cid := regexp.MustCompile(`identity conflict (C-[A-Z2-7]{16})`).FindStringSubmatch(out)
	if w == "" || w == a || cid == nil || !strings.Contains(out, a) {
		t.Fatalf("enrolment under a false name should raise a conflict with %s:\n%s", a, out)
	}
	out = must("conflicts", "--token", analyst, "--status", "open")
	if !strings.Contains(out, cid[1]) || !strings.Contains(out, "open") {
		t.Errorf("conflicts --status open:\n%s", out)
	}
	out = must("conflicts", "resolve", cid[1], "--token", analyst, "--as", "same-person", "--note", "false papers")
	if !strings.Contains(out, "resolved as same-person by unit-a/analyst") || !strings.Contains(out, "record "+w+" merged into "+a) {
		t.Errorf("conflicts resolve:\n%s", out)
	}
	if _, _, err := run("person", "show", w, "--token", analyst); err == nil || !strings.Contains(err.Error(), "410 Gone") || !strings.Contains(err.Error(), "merged into "+a) {
		t.Errorf("reading a merged record: %v", err)
	}
	if _, _, err := run("conflicts", "resolve", cid[1], "--token", analyst, "--as", "different-persons", "--keep", a); err == nil || !strings.Contains(err.Error(), "--keep and --no-merge") {
		t.Errorf("--keep with different-persons: %v", err)
	}
	if out := must("conflicts", "--token", analyst, "--status", "open"); !strings.Contains(out, "no identity conflict") {
		t.Errorf("no open conflict should be left:\n%s", out)
	}

	// Deletion: refused while A is watched (the node's message and status), allowed for
	// Layla Hassan's record (admin token from BIOMESH_TOKEN), after which it is gone.
	w = enr.PersonID
	_, _, err = run("person", "delete", a, "--reason", "test")
	if err == nil || !strings.Contains(err.Error(), "409 Conflict") || !strings.Contains(err.Error(), "lift the watch") {
		t.Errorf("deleting a watched person: %v", err)
	}
	if out := must("person", "delete", w, "--reason", "duplicate record"); !strings.Contains(out, "deleted "+w) {
		t.Errorf("person delete:\n%s", out)
	}
	if _, _, err := run("person", "show", w); err == nil || !strings.Contains(err.Error(), "410 Gone") || !strings.Contains(err.Error(), "duplicate record") {
		t.Errorf("reading a deleted person: %v", err)
	}

	// --purpose reached the audit log.
	found := false
	n.st.EachAudit(ctx, 0, func(e *audit.Entry) error {
		found = found || (e.Purpose == "case 42" && e.Action == "person.enrol")
		return nil
	})
	if !found {
		t.Error("--purpose was not recorded in the audit entry of the enrolment")
	}

	// Errors.
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("not a fingerprint"), 0o600)
	fakeTpl := filepath.Join(dir, "fake.iso")
	os.WriteFile(fakeTpl, []byte("not a template"), 0o600)
	tiny := filepath.Join(dir, "tiny.png")
	writePNG(t, tiny, 20, 20)
	for _, c := range []struct {
		env  string // BIOMESH_TOKEN
		args []string
		want []string
	}{
		{"", []string{"identify", prints[0][1]}, []string{"no API token", "BIOMESH_TOKEN"}},
		{"", []string{"identify", "--token", "bm_wrong", prints[0][1]}, []string{"401 Unauthorized", "unknown or disabled API token"}},
		{analyst, []string{"identify", filepath.Join(dir, "missing.png")}, []string{"missing.png", "no such file"}},
		{analyst, []string{"identify", "2=" + notes}, []string{"notes.txt", "not an image"}},
		{analyst, []string{"identify", fakeTpl}, []string{"fake.iso", "not a fingerprint template"}},
		{analyst, []string{"identify", "11=" + prints[0][1]}, []string{"position 11"}},
		{analyst, []string{"identify", "2=" + prints[0][1], "2=" + prints[1][1]}, []string{"position 2 already given"}},
		{analyst, []string{"identify"}, []string{"no FINGER given"}},
		{analyst, []string{"enroll", "--name", "x", "2=" + tiny}, []string{"403 Forbidden", "not allowed for role analyst"}},
		{enroller, []string{"enroll", "--name", "x", "2=" + tiny}, []string{"422", "finger 2=" + tiny}},
		{screener, []string{"identify", prints[0][1]}, []string{"403 Forbidden", "not allowed for role screener"}},
		{analyst, []string{"person", "show", "P-NOSUCHPERSON"}, []string{"404 Not Found", "P-NOSUCHPERSON"}},
		{analyst, []string{"identify", "--node", "http://127.0.0.1:1", prints[0][1]}, []string{"cannot reach the node at http://127.0.0.1:1"}},
		{analyst, []string{"watch", "set", a, "--level", "shoot"}, []string{"--level \"shoot\""}},
		{analyst, []string{"encounter", "--lat", "1", prints[0][1]}, []string{"--lat and --lon"}},
		{screener, []string{"alerts", "--token", "bm_wrong"}, []string{"401"}},
	} {
		t.Setenv("BIOMESH_TOKEN", c.env)
		_, _, err := run(c.args...)
		if err == nil {
			t.Errorf("%v: want an error", c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not say %q", c.args, err, w)
			}
		}
		if strings.Contains(err.Error(), "samples[") {
			t.Errorf("%v: error %q should name the file, not samples[i]", c.args, err)
		}
	}
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
