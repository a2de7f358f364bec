package iris

import (
	"os"
	"path/filepath"
	"testing"
)

// casiaDir returns the CASIA v1 folder, skipping the test when BIOMESH_TESTDATA is unset and
// failing it when the folder is missing.
func casiaDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA is not set; skipping the test on CASIA v1")
	}
	dir := filepath.Join(root, "iris", "casia-v1")
	if _, err := os.Stat(filepath.Join(dir, "1", "001_1_1.jpg")); err != nil {
		t.Fatalf("CASIA v1 missing: %v", err)
	}
	return dir
}

// TestCASIAAccuracyGuard runs the evaluation on the first 20 eyes of CASIA v1 (140 images,
// 420 genuine and 9,310 impostor pairs) and fails when accuracy falls clearly below what
// this engine reached when the bounds were set (on this subset, 2026-12-02, template
// version 4: EER 0.24 %, FNMR 0.5 % at FMR 1e-3, FTE 0, rank-1 100 %, mean distances
// 0.136 / 0.440). It takes about 6 s of CPU.
func TestCASIAAccuracyGuard(t *testing.T) {
	dir := casiaDir(t)
	r, err := Evaluate(dir, &EvalOptions{MaxEyes: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Images != 140 {
		t.Fatalf("%d images in the first 20 eyes, want 140", r.Images)
	}
	v := r.Verification
	if v.EER > 0.01 {
		t.Errorf("EER %.2f%%, bound 1%%", 100*v.EER)
	}
	if r.FNMRAt1e3 > 0.03 {
		t.Errorf("FNMR at FMR 1e-3 %.2f%%, bound 3%%", 100*r.FNMRAt1e3)
	}
	if r.FTE > 0.015 {
		t.Errorf("FTE %.2f%%, bound 1.5%%", 100*r.FTE)
	}
	if r.Rank1 < 0.97 {
		t.Errorf("rank-1 %.2f%%, bound 97%%", 100*r.Rank1)
	}
	if r.GenuineHD > 0.16 || r.ImpostorHD < 0.43 {
		t.Errorf("mean distances genuine %.3f, impostor %.3f", r.GenuineHD, r.ImpostorHD)
	}
}
