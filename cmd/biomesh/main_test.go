package main

import (
	"math"

	"bytes"
	"encoding/json"
	"fmt"
	"github.com/biomesh/biomesh/fingerprint"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// run executes the command line in-process and returns stdout, stderr and the error.
func run(args ...string) (string, string, error) {
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func fvcDir(t *testing.T, db string) string {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set: skipping the command-line test on shared FVC images")
	}
	return filepath.Join(dir, "fingerprint", db)
}

func TestExtractAndCompare(t *testing.T) {
	db := fvcDir(t, "fvc2002/DB1_B")
	out := t.TempDir()
	imgs := []string{filepath.Join(db, "101_1.tif"), filepath.Join(db, "101_2.tif"), filepath.Join(db, "102_1.tif")}
	for _, f := range []string{"iso", "ansi", "native"} {
		dst := filepath.Join(out, f)
		stdout, stderr, err := run(append([]string{"fingerprint", "extract", "--format", f, "--out", dst}, imgs...)...)
		if err != nil {
			t.Fatalf("extract --format %s: %v\n%s", f, err, stderr)
		}
		if n := strings.Count(stdout, "minutiae"); n != 3 {
			t.Errorf("extract --format %s: %d report lines, want 3:\n%s", f, n, stdout)
		}
	}
	// ISO → ANSI → native → ISO keeps the minutiae.
	if _, stderr, err := run("fingerprint", "convert", "--format", "ansi", "--out", filepath.Join(out, "c1"), filepath.Join(out, "iso", "101_1.iso")); err != nil {
		t.Fatalf("convert to ansi: %v\n%s", err, stderr)
	}
	if _, stderr, err := run("fingerprint", "convert", "--format", "native", "--out", filepath.Join(out, "c2"), filepath.Join(out, "c1", "101_1.ansi")); err != nil {
		t.Fatalf("convert to native: %v\n%s", err, stderr)
	}
	if _, stderr, err := run("fingerprint", "convert", "--format", "iso", "--out", filepath.Join(out, "c3"), filepath.Join(out, "c2", "101_1.bmt")); err != nil {
		t.Fatalf("convert to iso: %v\n%s", err, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(out, "iso", "101_1.iso"))
	c, _ := os.ReadFile(filepath.Join(out, "c3", "101_1.iso"))
	ta, errA := fingerprint.ParseTemplate(a)
	tc, errC := fingerprint.ParseTemplate(c)
	if errA != nil || errC != nil || len(ta.Minutiae) != len(tc.Minutiae) {
		t.Fatalf("ISO→ANSI→native→ISO: %v %v", errA, errC)
	}
	for i := range ta.Minutiae {
		ma, mc := ta.Minutiae[i], tc.Minutiae[i]
		if ma.X != mc.X || ma.Y != mc.Y || ma.Type != mc.Type || math.Abs(ma.Direction-mc.Direction) > 2*math.Pi/180+1e-9 && math.Abs(ma.Direction-mc.Direction) < 2*math.Pi-0.04 {
			t.Errorf("minutia %d: %+v became %+v", i, ma, mc)
		}
	}
	if _, _, err := run("fingerprint", "convert", "--format", "iso", "--out", out, imgs[0]); err == nil {
		t.Error("convert of an image: want an error")
	}

	debug := filepath.Join(out, "debug")
	if _, stderr, err := run("fingerprint", "extract", "--debug-dir", debug, "--out", filepath.Join(out, "d"), imgs[0]); err != nil {
		t.Fatalf("extract --debug-dir: %v\n%s", err, stderr)
	}
	if pngs, _ := filepath.Glob(filepath.Join(debug, "*.png")); len(pngs) < 5 {
		t.Errorf("--debug-dir wrote %d PNGs, want one per stage (at least 5)", len(pngs))
	}

	// Pairs mixing images and every template format, in a fixed order.
	pairs := [][2]string{
		{imgs[0], imgs[1]},
		{filepath.Join(out, "iso", "101_1.iso"), filepath.Join(out, "ansi", "101_2.ansi")},
		{filepath.Join(out, "native", "101_1.bmt"), imgs[1]},
		{imgs[0], imgs[2]},
		{filepath.Join(out, "iso", "101_1.iso"), filepath.Join(out, "native", "102_1.bmt")},
	}
	var list strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&list, "%s %s\n", p[0], p[1])
	}
	pf := filepath.Join(out, "pairs.txt")
	if err := os.WriteFile(pf, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := run("fingerprint", "compare", "--pairs", pf)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(pairs) {
		t.Fatalf("compare printed %d lines, want %d:\n%s", len(lines), len(pairs), stdout)
	}
	scores := make([]float64, len(lines))
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != pairs[i][0] || f[1] != pairs[i][1] {
			t.Fatalf("line %d = %q, want %q %q SCORE", i+1, l, pairs[i][0], pairs[i][1])
		}
		if scores[i], err = strconv.ParseFloat(f[2], 64); err != nil {
			t.Fatalf("line %d: score %q: %v", i+1, f[2], err)
		}
	}
	// Mates (lines 1–3, through any format) score far above non-mates (lines 4–5).
	for _, g := range scores[:3] {
		for _, i := range scores[3:] {
			if g <= i+10 {
				t.Errorf("mated scores %v not clearly above non-mated %v", scores[:3], scores[3:])
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.tif")
	os.WriteFile(bad, []byte("II*\x00garbage"), 0o644)
	trunc := filepath.Join(dir, "short.iso")
	os.WriteFile(trunc, []byte("FMR\x00 20\x00\x00\x00\x00\x40"), 0o644)
	_, stderr, err := run("fingerprint", "extract", "--out", filepath.Join(dir, "out"), bad, trunc)
	if err == nil || !strings.Contains(stderr, "broken.tif") || !strings.Contains(stderr, "short.iso") {
		t.Errorf("extract of bad files: err %v, stderr %q; want an error naming each file", err, stderr)
	}
	if _, _, err := run("fingerprint", "extract", "--format", "xml", "--out", dir, bad); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Errorf("unknown format: %v", err)
	}
	pf := filepath.Join(dir, "pairs.txt")
	os.WriteFile(pf, []byte("a b c\n"), 0o644)
	if _, _, err := run("fingerprint", "compare", "--pairs", pf); err == nil || !strings.Contains(err.Error(), "pairs.txt:1") {
		t.Errorf("pairs line with three fields: %v; want an error naming pairs.txt:1", err)
	}
	os.WriteFile(pf, []byte(bad+" "+trunc+"\n"), 0o644)
	stdout, stderr, err := run("fingerprint", "compare", "--pairs", pf)
	if err == nil || !strings.Contains(stdout, "error") || !strings.Contains(stderr, "broken.tif") {
		t.Errorf("compare of bad files: err %v, stdout %q, stderr %q", err, stdout, stderr)
	}
	if _, _, err := run("eval", "fvc", filepath.Join(dir, "nothing")); err == nil {
		t.Error("eval fvc on a missing folder: want an error")
	}
	if _, _, err := run("eval", "fvc", dir+"@abc"); err == nil || !strings.Contains(err.Error(), "@") {
		t.Errorf("eval fvc DIR@abc: %v", err)
	}
}

func TestEvalFVC(t *testing.T) {
	db := fvcDir(t, "fvc2002/DB4_B")
	stdout, stderr, err := run("eval", "fvc", "--json", db)
	if err != nil {
		t.Fatalf("eval fvc: %v\n%s", err, stderr)
	}
	var got struct {
		Databases []struct {
			Images int `json:"images"`
			All    struct {
				Genuine  int     `json:"genuine"`
				Impostor int     `json:"impostor"`
				EER      float64 `json:"eer"`
			} `json:"all"`
			FVC struct {
				Impostor int `json:"impostor"`
			} `json:"fvc"`
			Rank1 float64 `json:"rank1"`
		} `json:"databases"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("eval fvc --json: %v\n%s", err, stdout)
	}
	d := got.Databases[0]
	if d.Images != 80 || d.All.Genuine != 280 || d.All.Impostor != 2880 || d.FVC.Impostor != 45 {
		t.Errorf("protocol counts: %+v", d)
	}
	if d.All.EER > 0.05 || d.Rank1 < 0.9 {
		t.Errorf("FVC2002 DB4: EER %.2f%%, rank-1 %.1f%%", 100*d.All.EER, 100*d.Rank1)
	}
}
