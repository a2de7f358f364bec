package face

import (
	"os"
	"path/filepath"
	"testing"
)

// testData returns $BIOMESH_TESTDATA/face/set, skipping when the variable is unset and
// failing when it is set but the folder is missing.
func testData(t testing.TB, set string) string {
	t.Helper()
	root := os.Getenv("BIOMESH_TESTDATA")
	if root == "" {
		t.Skip("BIOMESH_TESTDATA not set")
	}
	d := filepath.Join(root, "face", set)
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("BIOMESH_TESTDATA is set but %v", err)
	}
	return d
}
