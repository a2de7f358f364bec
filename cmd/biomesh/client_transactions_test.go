package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/nist"
)

// biomesh import sends NIST's reference ten-print card to a node and biomesh export
// writes the enrolled person back as an INT-I transaction.
func TestImportExportCommands(t *testing.T) {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	card := filepath.Join(dir, "nist", "ansi-nist-references", "type-4-tpcard.an2")
	n := startTestNode(t)
	enroller := n.user(t, "enroller", "enroller")
	analyst := n.user(t, "analyst", "analyst")
	run := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := runCtx(context.Background(), &out, &errOut, append(args, "--node", n.url)...)
		return out.String(), errOut.String(), err
	}

	out, stderr, err := run("import", "--dry-run", card)
	if err != nil || strings.Count(out, "finger ") != 10 || !strings.Contains(stderr, "slap") {
		t.Fatalf("import --dry-run: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = run("import", card, "--token", enroller, "--category", "detainee")
	if err != nil || !strings.Contains(out, "(new person)") || strings.Count(out, " finger ") != 10 {
		t.Fatalf("import: %v\n%s%s", err, out, stderr)
	}
	id := personIDPattern.FindString(out)
	out, _, err = run("import", card, "--token", enroller)
	if err != nil || !strings.Contains(out, "already enrolled as "+id) {
		t.Errorf("second import of the same card: %v\n%s", err, out)
	}
	if _, _, err := run("import", card, "--token", enroller, "--profile", "nope"); err == nil || !strings.Contains(err.Error(), "profile") {
		t.Errorf("import with an unknown profile: %v", err)
	}

	file := filepath.Join(t.TempDir(), "out.an2")
	out, _, err = run("export", id, "--token", analyst, "--profile", "int-i", "--dai", "LY0000001", "-o", file)
	if err != nil || !strings.Contains(out, "wrote "+file) {
		t.Fatalf("export: %v\n%s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := nist.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.Count(4); got != 10 || tx.DAI() != "LY0000001" {
		t.Errorf("exported %d Type-4 records for %q, want 10 for LY0000001", got, tx.DAI())
	}
	if _, _, err := run("export", id, "--token", enroller, "--dai", "X"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("export by an enroller: %v, want 403", err)
	}
}
