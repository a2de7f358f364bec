package main

import (
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/iris"
)

// writeSynthEyes writes eyes × captures synthetic eye images in the CASIA layout and
// returns the folder.
func writeSynthEyes(t *testing.T, eyes, captures int) string {
	t.Helper()
	dir := t.TempDir()
	for e := 1; e <= eyes; e++ {
		sub := filepath.Join(dir, strconv.Itoa(e))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for c := 1; c <= captures; c++ {
			img := iris.Synthesize(iris.SynthEye{Texture: uint64(100 + e), Capture: uint64(10*e + c), Reflections: 2,
				Rotation: 0.03 * float64(c-2), Pupil: iris.Circle{X: 160, Y: 140, R: 30 + 4*float64(c)}})
			f, err := os.Create(filepath.Join(sub, fmt.Sprintf("%03d_1_%d.png", e, c)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return dir
}

func TestIrisExtractCompareRecord(t *testing.T) {
	dir := writeSynthEyes(t, 2, 2)
	a, b, c := filepath.Join(dir, "1", "001_1_1.png"), filepath.Join(dir, "1", "001_1_2.png"), filepath.Join(dir, "2", "002_1_1.png")
	out := t.TempDir()
	stdout, stderr, err := run("iris", "extract", "--eye", "left", "--out", out, a, b, c)
	if err != nil {
		t.Fatalf("extract: %v\n%s", err, stderr)
	}
	if n := strings.Count(stdout, "usable bits"); n != 3 {
		t.Errorf("%d report lines, want 3:\n%s", n, stdout)
	}
	recs := t.TempDir()
	if _, stderr, err := run("iris", "record", "--eye", "left", "--out", recs, b); err != nil {
		t.Fatalf("record: %v\n%s", err, stderr)
	}
	// Template against template, template against an ISO record, and an impostor.
	pairs := filepath.Join(out, "pairs.txt")
	os.WriteFile(pairs, []byte(filepath.Join(out, "001_1_1.bic")+" "+filepath.Join(out, "001_1_2.bic")+"\n"+
		filepath.Join(out, "001_1_1.bic")+" "+filepath.Join(recs, "001_1_2.iir")+"\n"+
		a+" "+filepath.Join(out, "002_1_1.bic")+"\n"), 0o644)
	stdout, stderr, err = run("iris", "compare", "--pairs", pairs)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("compare printed %d lines:\n%s", len(lines), stdout)
	}
	score := func(l string) float64 {
		v, err := strconv.ParseFloat(strings.Fields(l)[2], 64)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		return v
	}
	g1, g2, im := score(lines[0]), score(lines[1]), score(lines[2])
	if g1 != g2 || g1 < 40 || im > 15 {
		t.Errorf("scores genuine %.2f / %.2f (template vs record), impostor %.2f", g1, g2, im)
	}
	if _, _, err := run("iris", "compare", a, filepath.Join(dir, "missing.png")); err == nil {
		t.Error("compare with a missing file succeeded")
	}
	bad := filepath.Join(out, "bad.jpg")
	os.WriteFile(bad, []byte("not a jpeg"), 0o644)
	if _, stderr, err := run("iris", "extract", "--out", out, bad); err == nil || !strings.Contains(stderr, "bad.jpg") {
		t.Errorf("extract of a corrupt file: %v, stderr %q", err, stderr)
	}
}

func TestIrisEval(t *testing.T) {
	dir := writeSynthEyes(t, 4, 3)
	debug := t.TempDir()
	stdout, stderr, err := run("iris", "eval", "--json", "--debug-dir", debug, dir)
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	var r iris.EvalResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if r.Images != 12 || r.Verification.Genuine != 12 || r.Verification.Impostor != 54 || r.Searches != 8 {
		t.Errorf("counts: %+v", r)
	}
	if r.FTE != 0 || r.Verification.EER != 0 || r.Rank1 != 1 || math.IsNaN(r.FNMRAt1e4) {
		t.Errorf("synthetic eyes: FTE %v EER %v rank-1 %v", r.FTE, r.Verification.EER, r.Rank1)
	}
	for _, f := range []string{"001_1_1-overlay.png", "001_1_1-strip.png"} {
		if _, err := os.Stat(filepath.Join(debug, f)); err != nil {
			t.Error(err)
		}
	}
}
