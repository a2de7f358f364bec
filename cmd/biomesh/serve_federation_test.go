package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/internal/fedtest"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
)

// writeFedConfig writes a side of fedtest.Pair as the YAML file `biomesh serve
// --federation` reads, with its key file, and returns the file's path. The agreement is
// the pair's, widened to detainees under no watch (as enrolled), so that every enrolled
// detainee is shared and every other person is not.
func writeFedConfig(t *testing.T, dir string, s fedtest.Side) string {
	t.Helper()
	c := s.Config
	keyFile := filepath.Join(dir, c.Node+".key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(s.Key.Seed())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := c.Partners[0]
	var b strings.Builder
	fmt.Fprintf(&b, "node: %s\nkey_file: %s\nnats:\n  store_dir: %s\n", c.Node, keyFile, c.NATS.StoreDir)
	if c.NATS.LeafListen != "" {
		fmt.Fprintf(&b, "  leaf_listen: %s\n", c.NATS.LeafListen)
	}
	fmt.Fprintf(&b, "  tls: {cert: %s, key: %s, ca: %s}\n", c.NATS.TLS.Cert, c.NATS.TLS.Key, c.NATS.TLS.CA)
	fmt.Fprintf(&b, "partners:\n  - id: %s\n    public_key: %s\n    link: {secret: %q", p.ID, p.PublicKey, p.Link.Secret)
	if p.Link.Dial != "" {
		fmt.Fprintf(&b, ", dial: %q, server_name: %s", p.Link.Dial, p.Link.ServerName)
	}
	b.WriteString("}\n")
	agreement := fmt.Sprintf(`
      - purpose: %s
        level: templates
        categories: [detainee]
        watch_levels: [none, alert, detain]
        modalities: [finger]
        expires: %s
`, fedtest.Purpose, time.Now().Add(365*24*time.Hour).UTC().Format(time.RFC3339))
	send, receive := " []\n", agreement
	if len(p.Send) > 0 {
		send, receive = agreement, " []\n"
	}
	b.WriteString("    send:" + send + "    receive:" + receive)
	path := filepath.Join(dir, c.Node+".yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeFederatedSurvivesSIGKILL kills `biomesh serve` (hq) with SIGKILL while it shares
// an enrolment load with border, another `biomesh serve`, then starts it again: border
// ends with every enrolled detainee whose enrolment hq acknowledged, each enrolment event
// accepted exactly once and none rejected, and nothing the agreement does not cover (no
// other category, no names, no images).
func TestServeFederatedSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	h, b := fedtest.Pair(t)
	hqDir, bDir := t.TempDir(), t.TempDir()
	hqArgs := []string{"--org", "hq", "--federation", writeFedConfig(t, hqDir, h)}
	bArgs := []string{"--org", "border-police", "--federation", writeFedConfig(t, bDir, b)}
	hq := startServe(t, hqDir, hqArgs...)
	border := startServe(t, bDir, bArgs...)
	client := &http.Client{Timeout: 30 * time.Second}
	received := func(id string) bool {
		code, _ := border.do(client, "GET", "/v1/received/hq/"+id, nil, nil)
		return code == 200
	}
	// The link is up once a first shared enrolment arrives.
	enrol := func(k int) (string, bool, error) {
		shared := k%2 == 0
		cat := "suspect"
		if shared {
			cat = "detainee"
		}
		samples, _ := synthPerson(13, k, 4)
		var r struct {
			PersonID string `json:"person_id"`
		}
		_, err := hq.do(client, "POST", "/v1/persons", map[string]any{
			"person": map[string]any{"name": fmt.Sprintf("Person %d", k), "category": cat}, "samples": samples}, &r)
		return r.PersonID, shared, err
	}
	first, _, err := enrol(0)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for !received(first) {
		if time.Since(t0) > 30*time.Second {
			t.Fatal("the first shared enrolment never reached border")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("link up and first enrolment at border after %.1f s", time.Since(t0).Seconds())

	var (
		mu     sync.Mutex
		acked  = map[string]bool{first: true} // person ID → shared
		shared = 1
	)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 1 + w; ; k += 4 {
				select {
				case <-stop:
					return
				default:
				}
				id, sh, err := enrol(k)
				if err != nil {
					return // the kill cuts requests short; only acknowledged ones count
				}
				mu.Lock()
				acked[id] = sh
				if sh {
					shared++
				}
				mu.Unlock()
			}
		}()
	}
	for {
		mu.Lock()
		n := shared
		mu.Unlock()
		if n >= 100 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	hq.cmd.Process.Signal(syscall.SIGKILL)
	hq.cmd.Wait()
	close(stop)
	wg.Wait()
	var missing []string
	for id, sh := range acked {
		if sh && !received(id) {
			missing = append(missing, id)
		}
	}
	pending := -1
	if st, err := sqlite.Open(filepath.Join(hqDir, "data", "biomesh.db")); err == nil {
		ms, _ := st.OutboxMessages(context.Background(), federation.OutboxTopic, 100000)
		pending = len(ms)
		st.Close()
	}
	t.Logf("hq killed with %d enrolments acknowledged (%d shared), %d of them not yet at border, %d messages left in its outbox",
		len(acked), shared, len(missing), pending)

	t1 := time.Now()
	hq = startServe(t, hqDir, hqArgs...)
	for len(missing) > 0 {
		if time.Since(t1) > 30*time.Second {
			t.Fatalf("%d acknowledged shared enrolments never reached border, e.g. %s", len(missing), missing[0])
		}
		time.Sleep(100 * time.Millisecond)
		var still []string
		for _, id := range missing {
			if !received(id) {
				still = append(still, id)
			}
		}
		missing = still
	}
	t.Logf("every acknowledged shared enrolment at border %.1f s after hq's restart began", time.Since(t1).Seconds())
	time.Sleep(time.Second) // anything published twice would arrive by now
	for _, p := range []*serveProc{hq, border} {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}

	ctx := context.Background()
	hqSt, err := sqlite.Open(filepath.Join(hqDir, "data", "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer hqSt.Close()
	bSt, err := sqlite.Open(filepath.Join(bDir, "data", "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bSt.Close()
	accepted := map[string]int{}
	err = bSt.EachAudit(ctx, 0, func(e *audit.Entry) error {
		if e.Action != "federation.event" {
			return nil
		}
		if e.Result != "accepted enrol" {
			t.Errorf("border: %s %s", e.Target, e.Result)
		}
		accepted[e.Target]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, sh := range acked {
		switch n := accepted["hq/"+id]; {
		case sh && n != 1:
			t.Errorf("border accepted %d enrolments of shared %s, want 1", n, id)
		case !sh && n != 0:
			t.Errorf("border accepted %d enrolments of %s, a suspect no agreement covers", n, id)
		}
	}
	// Enrolments hq committed but never acknowledged (cut by the kill) may be shared too;
	// nothing else: every copy border holds is a detainee's, of templates only.
	state, err := federation.OpenSQLState(filepath.Join(bDir, "data", "federation.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()
	copies := 0
	err = state.EachReceived(ctx, func(r federation.Received) error {
		copies++
		p, err := hqSt.Person(ctx, strings.TrimPrefix(r.Ref, "hq/"))
		if err != nil || p.Category != "detainee" || r.Category != "detainee" || r.Person != nil || r.Level != federation.Templates {
			t.Errorf("border holds %s (%s, %s, person %v): hq's %+v, %v", r.Ref, r.Category, r.Level, r.Person, p, err)
		}
		for _, s := range r.Samples {
			if s.Modality != store.Finger || len(s.Image) != 0 {
				t.Errorf("border holds %s sample %d of %s with %d image bytes", r.Ref, s.Position, s.Modality, len(s.Image))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if copies != len(accepted) {
		t.Errorf("border holds %d copies, accepted %d enrolments", copies, len(accepted))
	}
	if copies < shared {
		t.Errorf("border holds %d copies, fewer than the %d acknowledged shared enrolments", copies, shared)
	}
	t.Logf("border holds %d copies (%d acknowledged, %d committed without an acknowledgement)", copies, shared, copies-shared)
	auditVerify(t, filepath.Join(hqDir, "data"))
	auditVerify(t, filepath.Join(bDir, "data"))
}
