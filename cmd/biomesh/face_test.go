package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/face"
)

func TestFaceNotBuilt(t *testing.T) {
	if face.DlibBuiltIn {
		t.Skip("built with dlib")
	}
	_, _, err := run("face", "detect", "photo.jpg")
	if err == nil || !strings.Contains(err.Error(), "face support not built in (build with -tags dlib)") {
		t.Errorf("face detect without dlib: %v", err)
	}
}

// TestFaceCompareTemplates compares stored templates, which needs no native backend.
func TestFaceCompareTemplates(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, v []float32) string {
		b, err := face.Template{Model: face.DlibModel, Vector: v}.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.bmf", []float32{1, 0.1, 0})
	b := write("b.bmf", []float32{1, 0.1, 0.001})
	c := write("c.bmf", []float32{0, 1, 0})
	score := func(x, y string, extra ...string) float64 {
		t.Helper()
		out, stderr, err := run(append(append([]string{"face", "compare"}, extra...), x, y)...)
		if err != nil {
			t.Fatalf("compare: %v\n%s", err, stderr)
		}
		f := strings.Fields(out)
		if len(f) < 3 {
			t.Fatalf("compare output %q", out)
		}
		s, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			t.Fatalf("compare output %q: %v", out, err)
		}
		return s
	}
	if same, other := score(a, b), score(a, c); !(same > 30 && other == 0) {
		t.Errorf("cosine: near-identical %.2f, orthogonal %.2f", same, other)
	}
	if same, other := score(a, b, "--metric", "l2"), score(a, c, "--metric", "l2"); !(same > other) {
		t.Errorf("l2: near-identical %.2f, far %.2f", same, other)
	}
	if _, _, err := run("face", "compare", "--metric", "hamming", a, b); err == nil {
		t.Error("unknown metric accepted")
	}
	bad := filepath.Join(dir, "bad.bmf")
	os.WriteFile(bad, []byte("BMFC\x07"), 0o644)
	if _, _, err := run("face", "compare", a, bad); err == nil || !strings.Contains(err.Error(), "bad.bmf") {
		t.Errorf("corrupt template: %v", err)
	}
}

// TestFaceEvalJohns runs the evaluation command on the johns chips.
func TestFaceEvalJohns(t *testing.T) {
	if !face.DlibBuiltIn {
		t.Skip("needs -tags dlib")
	}
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	dir := filepath.Join(root, "face", "johns")
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := run("face", "eval", "--json", dir)
	if err != nil {
		if strings.Contains(err.Error(), "setup-face") {
			t.Skipf("no model files: %v", err)
		}
		t.Fatalf("face eval: %v\n%s", err, stderr)
	}
	var res struct {
		Sets []face.EvalReport `json:"sets"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Sets) != 1 || res.Sets[0].Enrolled != 55 || res.Sets[0].Rank1 < 0.98 {
		t.Errorf("johns: %+v", res.Sets)
	}
}
