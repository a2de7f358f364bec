package fvc

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/biomesh/biomesh/eval"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/input"
	"github.com/biomesh/biomesh/fingerprint/match"
)

func testdata(t *testing.T) string {
	dir := os.Getenv("BIOMESH_TESTDATA")
	if dir == "" {
		t.Skip("BIOMESH_TESTDATA not set: skipping the test on the shared FVC data")
	}
	return dir
}

var databases = []string{
	"fvc2000/DB1_B", "fvc2000/DB2_B", "fvc2000/DB3_B", "fvc2000/DB4_B",
	"fvc2002/DB1_B", "fvc2002/DB2_B", "fvc2002/DB3_B", "fvc2002/DB4_B",
}

// TestAccuracy runs the FVC protocol on the eight shared databases and fails when accuracy
// regresses: the targets are a mean all-impostor EER ≤ 2.5 % and every database
// ≤ 6 %; the test fails if two or more databases pass 6 %, if the mean passes 3.0 % (the
// level measured when the test was written was 2.45 %), or if any image fails to enrol.
func TestAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
	dir := testdata(t)
	sum, over := 0.0, 0
	for _, db := range databases {
		opts := &Options{}
		if db == "fvc2002/DB2_B" {
			opts.Input.DPI = 569 // its TIFFs carry no resolution
		}
		r, err := Run(filepath.Join(dir, "fingerprint", db), opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Images != 80 || r.Fingers != 10 {
			t.Errorf("%s: %d images of %d fingers; want 80 of 10", db, r.Images, r.Fingers)
		}
		if len(r.Genuine) != 280 || len(r.Impostor) != 2880 || r.FVC.Impostor != 45 {
			t.Errorf("%s: %d genuine, %d impostor, %d FVC impostor pairs; want 280, 2880, 45", db, len(r.Genuine), len(r.Impostor), r.FVC.Impostor)
		}
		if r.FailedToEnrol > 0 {
			t.Errorf("%s: %d failures to enrol: %v", db, r.FailedToEnrol, r.Errors)
		}
		t.Logf("%s: EER %.2f%% (FVC impostors %.2f%%), rank-1 %.1f%%", db, 100*r.All.EER, 100*r.FVC.EER, 100*r.Rank1)
		sum += r.All.EER
		if r.All.EER > 0.06 {
			over++
		}
	}
	mean := sum / float64(len(databases))
	t.Logf("mean EER %.2f%%", 100*mean)
	if over >= 2 {
		t.Errorf("%d databases have an EER above 6%%", over)
	}
	if mean > 0.030 {
		t.Errorf("mean EER %.2f%% regressed past 3.0%%", 100*mean)
	}
}

// fitHeight undoes a vertical stretch: these vendor records claim a 300×400 image for the
// 300×300 FVC2002 DB3 images, and their y coordinates are scaled accordingly (by 4/3; the
// same-impression comparison scores about 3× higher once undone).

// TestVendorTemplates compares ISO/IEC 19794-2 records made by a commercial extractor from
// FVC2002 DB3_B with our own templates of the same images: a vendor record of one
// impression against our template of every other impression. Genuine pairs must score
// clearly above impostors, or records from other systems could not be searched.
func TestVendorTemplates(t *testing.T) {
	dir := testdata(t)
	var ours, theirs []*match.Probe
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			name := fmt.Sprintf("%d_%d", f, i)
			o, err := input.File(filepath.Join(dir, "fingerprint/fvc2002/DB3_B", name+".tif"), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "fingerprint/iso19794-2/fvc2002_DB3_B", name+".iso"))
			if err != nil {
				t.Fatal(err)
			}
			v, err := fingerprint.ParseTemplate(b)
			if err != nil {
				t.Fatalf("%s.iso: %v", name, err)
			}
			v = v.WithHeight(o.Height) // the records claim 300×400 for 300×300 images, y scaled to match
			ours, theirs = append(ours, match.Prepare(o)), append(theirs, match.Prepare(v))
		}
	}
	var gen, imp, same []float64
	for a := range theirs {
		for b := range ours {
			s := theirs[a].Compare(&ours[b].Candidate)
			switch {
			case a == b:
				same = append(same, s)
			case a/8 == b/8:
				gen = append(gen, s)
			default:
				imp = append(imp, s)
			}
		}
	}
	v, err := eval.Verify(gen, imp)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := eval.Verify(same, imp)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vendor record vs our template: other impressions EER %.2f%%; same impression EER %.2f%%", 100*v.EER, 100*sv.EER)
	if v.EER > 0.08 {
		t.Errorf("vendor vs our templates, other impressions: EER %.2f%%, want ≤ 8%%", 100*v.EER)
	}
	if sv.EER > 0.04 {
		t.Errorf("vendor vs our templates, same impression: EER %.2f%%, want ≤ 4%%", 100*sv.EER)
	}
}
