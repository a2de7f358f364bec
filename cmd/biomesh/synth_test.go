package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/fingerprint/synthtpl"
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
	// The stream reads back with synthtpl's reader: 400 records, in order, then the end.
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := synthtpl.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Seed != 1 || h.Persons != 20 || h.Fingers != 10 || h.Impressions != 2 || h.Preset != synthtpl.Plain {
		t.Errorf("stream header %+v", h)
	}
	n := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := [3]int{n / 20, n / 2 % 10, n % 2}; [3]int{rec.Person, rec.Finger, rec.Impression} != want || rec.Template == nil {
			t.Fatalf("record %d: %d/%d/%d, want %v", n, rec.Person, rec.Finger, rec.Impression, want)
		}
		n++
	}
	if n != 400 {
		t.Errorf("%d templates in the stream, want 400", n)
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
