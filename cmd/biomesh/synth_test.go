package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSynthCommands(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := run("synth", "fingerprints", "--persons", "1", "--fingers", "2", "--impressions", "2", "--seed", "7", "--out", dir); err != nil {
		t.Fatalf("synth fingerprints: %v\n%s", err, stderr)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	isos, _ := filepath.Glob(filepath.Join(dir, "truth", "*.iso"))
	if len(pngs) != 4 || len(isos) < 4 {
		t.Errorf("wrote %d images and %d ground-truth records, want 4 and at least 4", len(pngs), len(isos))
	}
	// The generated images go through the normal pipeline.
	if _, stderr, err := run("fingerprint", "extract", "--out", filepath.Join(dir, "t"), pngs[0]); err != nil {
		t.Fatalf("extract of a synthetic image: %v\n%s", err, stderr)
	}
	out := filepath.Join(dir, "tpl.bin")
	if _, stderr, err := run("synth", "templates", "--persons", "20", "--fingers", "10", "--impressions", "2", "--seed", "1", "--out", out); err != nil {
		t.Fatalf("synth templates: %v\n%s", err, stderr)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() < 400*20 {
		t.Errorf("template stream: %v, size %v", err, fi)
	}
	for _, args := range [][]string{
		{"synth", "fingerprints", "--persons", "0", "--out", dir},
		{"synth", "templates", "--persons", "-3", "--out", out},
	} {
		if _, _, err := run(args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}
