package face

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLoadSet(t *testing.T) {
	flat := t.TempDir()
	for _, n := range []string{"bona.jpg", "bona2.jpg", "jimin_3.png", "x1.JPG", "notes.txt"} {
		os.WriteFile(filepath.Join(flat, n), nil, 0o644)
	}
	s, err := LoadSet(flat)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range s {
		got = append(got, x.Person+"="+filepath.Base(x.Path))
	}
	want := []string{"bona=bona.jpg", "bona=bona2.jpg", "jimin=jimin_3.png", "x=x1.JPG"}
	if !slices.Equal(got, want) {
		t.Errorf("flat set: %v, want %v", got, want)
	}

	nested := t.TempDir()
	for _, p := range []string{"Ann/a.jpg", "Ann/b.png", "Bob/c.jpg"} {
		os.MkdirAll(filepath.Join(nested, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(nested, p), nil, 0o644)
	}
	s, err = LoadSet(nested)
	if err != nil || len(s) != 3 || s[0].Person != "Ann" || s[2].Person != "Bob" {
		t.Errorf("nested set: %v, %v", s, err)
	}
	os.WriteFile(filepath.Join(nested, "loose.jpg"), nil, 0o644)
	if _, err := LoadSet(nested); err == nil {
		t.Error("mixed layout accepted")
	}
	if _, err := LoadSet(t.TempDir()); err == nil {
		t.Error("empty folder accepted")
	}
}

// TestDataSetsListed checks the shared sets' layout as LoadSet reads them.
func TestDataSetsListed(t *testing.T) {
	for _, tc := range []struct {
		set             string
		images, persons int
	}{{"johns", 55, 5}, {"goface", 34, 18}} {
		s, err := LoadSet(testData(t, tc.set))
		if err != nil {
			t.Fatal(err)
		}
		persons := map[string]bool{}
		for _, x := range s {
			persons[x.Person] = true
		}
		if len(s) != tc.images || len(persons) != tc.persons {
			t.Errorf("%s: %d images of %d persons, want %d of %d", tc.set, len(s), len(persons), tc.images, tc.persons)
		}
	}
}
