package main

// End-to-end tests of `biomesh serve` as a separate process: durability under SIGKILL and
// 50 concurrent clients. They build the binary once and talk to it over loopback.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint/synthtpl"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store/sqlite"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func biomeshBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "biomesh-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "biomesh")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// serveProc is a running `biomesh serve`.
type serveProc struct {
	cmd   *exec.Cmd
	url   string
	token string
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe starts a node on data dir (with more serve flags args) and waits until it
// answers. The admin token is read from the token file written on first start
// (dir/admin.token).
func startServe(t *testing.T, dir string, args ...string) *serveProc {
	t.Helper()
	addr := freePort(t)
	tokFile := filepath.Join(dir, "admin.token")
	cmd := exec.Command(biomeshBinary(t), append([]string{"serve", "--data", filepath.Join(dir, "data"), "--listen", addr, "--admin-token-file", tokFile}, args...)...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(p.url + "/v1/health")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	p.token = strings.TrimSpace(string(tok))
	return p
}

// post sends a JSON request and decodes the answer; it returns the status.
func (p *serveProc) do(client *http.Client, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(data, out)
	}
	return res.StatusCode, nil
}

// synthPerson returns the enrolment and probe samples of synthetic person k: templates of
// fingers 1..fingers, and a mated impression of fingers 2 and 7 for searches.
func synthPerson(seed uint64, k, fingers int) (enrol, probe []map[string]any) {
	for f := 1; f <= fingers; f++ {
		m := synthtpl.Finger(seed, k, f, nil)
		e := synthtpl.Impression(m, seed, 0, nil)
		if len(e.Minutiae) < 10 {
			continue // a finger the node would refuse to enrol (too few minutiae)
		}
		b, _ := e.MarshalBinary()
		enrol = append(enrol, map[string]any{"modality": "finger", "position": f, "template": b})
		if f == 2 || f == 7 {
			q := synthtpl.Impression(m, seed, 1, nil)
			b, _ := q.MarshalBinary()
			probe = append(probe, map[string]any{"modality": "finger", "position": f, "template": b})
		}
	}
	return enrol, probe
}

func auditVerify(t *testing.T, dataDir string) {
	t.Helper()
	out, err := exec.Command(biomeshBinary(t), "audit", "verify", "--data", dataDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit chain intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// TestServeSurvivesSIGKILL kills the node with SIGKILL during an enrolment load and checks
// that every acknowledged person is there after a restart and the audit chain verifies.
func TestServeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	dir := t.TempDir()
	p := startServe(t, dir)
	client := &http.Client{Timeout: 30 * time.Second}
	var (
		mu    sync.Mutex
		acked []string
	)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; ; k += 8 {
				select {
				case <-stop:
					return
				default:
				}
				enrol, _ := synthPerson(11, k, 4)
				var r struct {
					PersonID string `json:"person_id"`
				}
				if _, err := p.do(client, "POST", "/v1/persons", map[string]any{"person": map[string]any{"name": fmt.Sprintf("Killed %d", k)}, "samples": enrol}, &r); err != nil {
					return // the kill cuts requests short; only acknowledged ones count
				}
				mu.Lock()
				acked = append(acked, r.PersonID)
				mu.Unlock()
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	close(stop)
	wg.Wait()
	t.Logf("%d enrolments acknowledged before SIGKILL", len(acked))

	p = startServe(t, dir)
	for _, id := range acked {
		if _, err := p.do(client, "GET", "/v1/persons/"+id, nil, nil); err != nil {
			t.Errorf("acknowledged person lost: %v", err)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
	auditVerify(t, filepath.Join(dir, "data"))
}

// TestServeConcurrentClients runs 50 clients mixing enrolment, identification and
// encounters (60 s in CI, 15 s otherwise; BIOMESH_LOAD_SECONDS overrides): no request may
// fail, and every acknowledged person and encounter must be in the store afterwards.
func TestServeConcurrentClients(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	seconds := 15
	if os.Getenv("CI") != "" {
		seconds = 60
	}
	if v := os.Getenv("BIOMESH_LOAD_SECONDS"); v != "" {
		fmt.Sscan(v, &seconds)
	}
	dir := t.TempDir()
	p := startServe(t, dir)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer cancel()

	var (
		mu         sync.Mutex
		persons    = map[string]bool{}
		encounters = map[string]bool{}
		enrolled   []int // synthetic person numbers acknowledged
		next       atomic.Int64
		counts     [3]atomic.Int64
		failures   atomic.Int64
		firstErr   atomic.Value
	)
	var wg sync.WaitGroup
	for c := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for ctx.Err() == nil {
				op := rng.IntN(3)
				mu.Lock()
				var known int = -1
				if len(enrolled) > 0 {
					known = enrolled[rng.IntN(len(enrolled))]
				}
				mu.Unlock()
				if known < 0 {
					op = 0
				}
				var err error
				switch op {
				case 0:
					k := int(next.Add(1))
					enrol, _ := synthPerson(21, k, 10)
					var r struct {
						PersonID string `json:"person_id"`
					}
					if _, err = p.do(client, "POST", "/v1/persons", map[string]any{"person": map[string]any{"name": fmt.Sprintf("Load %d", k)}, "samples": enrol}, &r); err == nil {
						mu.Lock()
						persons[r.PersonID] = true
						enrolled = append(enrolled, k)
						mu.Unlock()
					}
				case 1:
					_, probe := synthPerson(21, known, 10)
					var r struct{ Decision string }
					_, err = p.do(client, "POST", "/v1/identify", map[string]any{"samples": probe}, &r)
				case 2:
					_, probe := synthPerson(21, known, 10)
					var r struct {
						EncounterID string `json:"encounter_id"`
					}
					if _, err = p.do(client, "POST", "/v1/encounters", map[string]any{"samples": probe, "place": "gate", "unit": fmt.Sprint("client ", c)}, &r); err == nil {
						mu.Lock()
						encounters[r.EncounterID] = true
						mu.Unlock()
					}
				}
				if err != nil {
					if ctx.Err() != nil && strings.Contains(err.Error(), "context") {
						return
					}
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				counts[op].Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d s, 50 clients: %d enrolments (10 fingers), %d identifications, %d encounters, %d failures",
		seconds, counts[0].Load(), counts[1].Load(), counts[2].Load(), failures.Load())
	if f := failures.Load(); f > 0 {
		t.Fatalf("%d requests failed; first: %v", f, firstErr.Load())
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()

	// Every acknowledged write is in the store.
	st, err := sqlite.Open(filepath.Join(dir, "data", "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bg := context.Background()
	seen := map[string]bool{}
	for id := range persons {
		if _, err := st.Person(bg, id); err != nil {
			t.Errorf("acknowledged person lost: %v", err)
		}
		es, err := st.Encounters(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			seen[e.ID] = true
		}
	}
	es, err := st.Encounters(bg, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		seen[e.ID] = true
	}
	for id := range encounters {
		if !seen[id] {
			t.Errorf("acknowledged encounter %s lost", id)
		}
	}
	if n, _, err := server.VerifyAudit(bg, st); err != nil {
		t.Fatalf("audit chain after load: %v", err)
	} else {
		t.Logf("audit chain intact: %d entries", n)
	}
}
