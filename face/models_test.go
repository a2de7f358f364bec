package face

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModelDir(t *testing.T) {
	t.Setenv("BIOMESH_FACE_MODELS", "/m")
	if d := ModelDir(); d != "/m" {
		t.Errorf("with BIOMESH_FACE_MODELS: %s", d)
	}
	t.Setenv("BIOMESH_FACE_MODELS", "")
	t.Setenv("XDG_CACHE_HOME", "/c")
	if d := ModelDir(); d != filepath.Join("/c", "biomesh", "face-models") {
		t.Errorf("with XDG_CACHE_HOME: %s", d)
	}
}

func TestCheckModels(t *testing.T) {
	dir := t.TempDir()
	err := CheckModels(dir)
	if err == nil || !strings.Contains(err.Error(), "setup-face") {
		t.Errorf("empty folder: %v", err)
	}
	for _, m := range []ModelFile{ShapePredictorFile, ResNetFile} {
		os.WriteFile(filepath.Join(dir, m.Name), []byte("x"), 0o644)
	}
	err = CheckModels(dir)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("wrong files: %v", err)
	}
}
