package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/fingerprint/synthtpl"
)

// writeFingers writes impression imp of a synthetic person's fingers 1..n as native
// templates and returns them as POS=PATH arguments.
func writeFingers(t *testing.T, dir string, person, n, imp int) []string {
	t.Helper()
	var args []string
	for f := 1; f <= n; f++ {
		b, err := synthtpl.Impression(synthtpl.Finger(11, person, f-1, nil), 11, imp, nil).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "p"+string(rune('a'+person))+"-"+string(rune('0'+f))+"-"+string(rune('0'+imp))+".bmt")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, string(rune('0'+f))+"="+p)
	}
	return args
}

// apiJSON sends a JSON request to the node and decodes the answer.
func apiJSON(t *testing.T, method, url, token string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d", method, url, res.StatusCode)
	}
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
}

func TestFieldCommands(t *testing.T) {
	n := startTestNode(t)
	files := t.TempDir()
	kit := filepath.Join(t.TempDir(), "kit")
	// Two persons on the node, one wanted.
	for i, level := range []string{"detain", ""} {
		var samples []map[string]any
		for f := 1; f <= 4; f++ {
			b, _ := synthtpl.Impression(synthtpl.Finger(11, i, f-1, nil), 11, 0, nil).MarshalBinary()
			samples = append(samples, map[string]any{"modality": "finger", "position": f, "template": b})
		}
		var res struct {
			PersonID string `json:"person_id"`
		}
		apiJSON(t, "POST", n.url+"/v1/persons", n.admin, map[string]any{"person": map[string]any{"name": "Wanted Person"}, "samples": samples}, &res)
		if level != "" {
			apiJSON(t, "PUT", n.url+"/v1/persons/"+res.PersonID+"/watch", n.admin, map[string]any{"level": level, "reason": "test"}, nil)
		}
	}
	ctx := context.Background()
	fieldRun := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := runCtx(ctx, &out, &errOut, append([]string{"field", "--dir", kit}, args...)...)
		return out.String(), err
	}
	out, err := fieldRun("enroll-device", "--node", n.url, "--token", n.admin, "--name", "kit-7", "--unit", "patrol", "--role", "enroller")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "registered as device D-") || !strings.Contains(out, "lease until") {
		t.Fatalf("enroll-device: %q", out)
	}
	out, err = fieldRun("check", "--place", "gate", writeFingers(t, files, 0, 2, 2)[0], writeFingers(t, files, 0, 2, 2)[1])
	if err != nil || !strings.HasPrefix(out, "RED  watch detain") {
		t.Fatalf("check of the wanted person: %q %v", out, err)
	}
	out, err = fieldRun(append([]string{"check"}, writeFingers(t, files, 1, 2, 2)...)...)
	if err != nil || !strings.HasPrefix(out, "GREEN") {
		t.Fatalf("check of an unwatched person: %q %v", out, err)
	}
	if strings.Contains(out, "Wanted Person") {
		t.Fatal("the kit printed a name")
	}
	if out, err = fieldRun(append([]string{"enrol", "--name", "New Person", "--category", "traveller"}, writeFingers(t, files, 5, 3, 0)...)...); err != nil || !strings.Contains(out, "enrolment queued") {
		t.Fatalf("enrol: %q %v", out, err)
	}
	if out, err = fieldRun("status"); err != nil || !strings.Contains(out, "3 items queued") || !strings.Contains(out, "lease valid") {
		t.Fatalf("status: %q %v", out, err)
	}
	if out, err = fieldRun("sync"); err != nil || !strings.Contains(out, "sent 3 queued items") || !strings.Contains(out, "3 stored") {
		t.Fatalf("sync: %q %v", out, err)
	}
	if out, err = fieldRun("status", "--json"); err != nil || !strings.Contains(out, `"queued": 0`) {
		t.Fatalf("status after sync: %q %v", out, err)
	}
	if out, err = fieldRun("pull"); err != nil || !strings.Contains(out, "package WL-") {
		t.Fatalf("pull: %q %v", out, err)
	}

	// A resident kit: field check asks it on the kit's socket.
	sctx, stop := context.WithCancel(ctx)
	var serveOut, serveErr syncBuffer
	served := make(chan error, 1)
	go func() { served <- runCtx(sctx, &serveOut, &serveErr, "field", "--dir", kit, "serve") }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(serveErr.String(), "answering on"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("field serve did not start: %q", serveErr.String())
		}
	}
	out, err = fieldRun("check", "--no-queue", writeFingers(t, files, 0, 2, 2)[0])
	if err != nil || !strings.HasPrefix(out, "RED  watch detain") || !strings.Contains(out, "by the resident kit") {
		t.Fatalf("check through the resident kit: %q %v", out, err)
	}
	stop()
	if err := <-served; err != nil {
		t.Fatalf("field serve: %v", err)
	}
	// Gone: field check opens the package itself again; --via insists on a resident kit.
	if out, err = fieldRun("check", "--no-queue", writeFingers(t, files, 0, 2, 2)[0]); err != nil || !strings.Contains(out, "package opened in") {
		t.Fatalf("check with no resident kit: %q %v", out, err)
	}
	if _, err = fieldRun("check", "--via", "unix:"+filepath.Join(kit, "serve.sock"), writeFingers(t, files, 0, 2, 2)[0]); err == nil {
		t.Fatal("check --via with no resident kit: no error")
	}
	// Over standard input and output.
	var in bytes.Buffer
	tpl, _ := synthtpl.Impression(synthtpl.Finger(11, 0, 1, nil), 11, 2, nil).MarshalBinary()
	json.NewEncoder(&in).Encode(map[string]any{"op": "check", "no_queue": true, "fingers": []map[string]any{{"position": 2, "template": tpl}}})
	in.WriteString("{\"op\":\"status\"}\n")
	root := newRoot()
	var stdout, stderr bytes.Buffer
	root.SetIn(&in)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"field", "--dir", kit, "serve", "--stdio"})
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(stdout.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"action":"red"`) || !strings.Contains(lines[1], `"lease_valid":true`) {
		t.Fatalf("serve --stdio: %s", stdout.String())
	}
}
