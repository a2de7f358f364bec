package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/internal/nodetest"
	"github.com/biomesh/biomesh/server"
)

// The federation commands between two linked nodes: hq enrols and watches a detainee; at
// border, "partner query" finds him, "followups request" asks for his record, and at hq
// "followups" lists the request and "followups decide --approve" releases it.
func TestFederationCommands(t *testing.T) {
	hq, border := nodetest.StartLinked(t)
	user := func(n *nodetest.Node, org, name, role string) string {
		a := &audit.Entry{Time: time.Now(), User: "test", Org: org, Role: "admin"}
		_, tok, err := server.AddUser(context.Background(), n.Store, name, org, role, a)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	hqAnalyst := user(hq, "hq", "analyst", "analyst")
	bOfficer := user(border, "border-police", "officer", "enroller")
	bAnalyst := user(border, "border-police", "analyst", "analyst")
	dir := t.TempDir()
	prints := writePrints(t, dir, []int{2, 2})
	run := func(node string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := runCtx(context.Background(), &out, &errOut, append(args, "--node", node)...)
		return out.String() + errOut.String(), err
	}
	must := func(node string, args ...string) string {
		t.Helper()
		out, err := run(node, args...)
		if err != nil {
			t.Fatalf("biomesh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	out := must(hq.URL, "enroll", "--token", hq.Admin, "--name", "Abu Bakr", "--category", "detainee", "1="+prints[0][0], "2="+prints[1][0])
	id := personIDPattern.FindString(out)
	must(hq.URL, "watch", "set", id, "--token", hqAnalyst, "--level", "alert", "--reason", "escaped")

	out = must(border.URL, "partner", "query", "hq", "--purpose", "border-control", "--token", bOfficer, "1="+prints[0][1], "2="+prints[1][1])
	if !strings.Contains(out, "HIT at hq: hq/"+id+", watch alert") {
		t.Fatalf("partner query:\n%s", out)
	}
	if out, err := run(border.URL, "partner", "query", "hq", "--purpose", "tourism", "--token", bOfficer, "1="+prints[0][1]); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("query for a purpose no agreement names: %v\n%s", err, out)
	}
	out = must(border.URL, "followups", "request", "hq/"+id, "--purpose", "border-control", "--reason", "seen at crossing 3", "--token", bAnalyst)
	if !strings.Contains(out, "pending") {
		t.Errorf("followups request:\n%s", out)
	}
	out = must(hq.URL, "followups", "--token", hqAnalyst)
	fid := regexp.MustCompile(`(?m)^(\S+)\s+incoming\s+border`).FindStringSubmatch(out)
	if fid == nil || !strings.Contains(out, "seen at crossing 3") {
		t.Fatalf("followups at hq:\n%s", out)
	}
	out = must(hq.URL, "followups", "decide", fid[1], "--approve", "--note", "wanted", "--token", hqAnalyst)
	if !strings.Contains(out, "released") && !strings.Contains(out, "approved") {
		t.Errorf("followups decide:\n%s", out)
	}
}
