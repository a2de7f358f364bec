//go:build dlib && cgo

package face

import (
	"errors"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openTestPipeline opens the dlib pipeline, skipping when the model files are absent
// (scripts/setup-face installs them).
func openTestPipeline(t testing.TB) *Pipeline {
	t.Helper()
	if err := checkHash(filepath.Join(ModelDir(), ResNetFile.Name), ""); err != nil {
		t.Skipf("no dlib models: %v", err)
	}
	p, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestAlignMatchesDlib checks the Go alignment against dlib's extract_image_chip on the
// same landmarks: the chips and, what matters, the embeddings must agree.
func TestAlignMatchesDlib(t *testing.T) {
	p := openTestPipeline(t)
	b := p.emb.(*dlibBackend)
	for _, name := range []string{"bona.jpg", "tzuyu2.jpg", "chaeyeon3.jpg"} {
		img, err := DecodeFile(goface(t, name))
		if err != nil {
			t.Fatal(err)
		}
		rgb, faces, err := p.detect(name, img)
		if err != nil || len(faces) != 1 {
			t.Fatalf("%s: %d faces, %v", name, len(faces), err)
		}
		l := faces[0].Landmarks
		ours, err := Align(rgb, l, DlibChip)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := b.dlibChip(rgb, l)
		if err != nil {
			t.Fatal(err)
		}
		var sad float64
		for i := range ours.Pix {
			sad += math.Abs(float64(ours.Pix[i]) - float64(theirs.Pix[i]))
		}
		mae := sad / float64(len(ours.Pix))
		v, err := b.Embed([]*RGB{ours, theirs})
		if err != nil {
			t.Fatal(err)
		}
		d := l2(v[0], v[1])
		t.Logf("%s: chip mean abs difference %.2f grey levels, embedding distance %.4f", name, mae, d)
		if mae > 12 || d > 0.15 {
			t.Errorf("%s: Go chip differs from dlib's: mean abs difference %.2f, embedding distance %.4f", name, mae, d)
		}
	}
}

func l2(a, b []float32) float64 {
	var s float64
	for i := range a {
		e := float64(a[i] - b[i])
		s += e * e
	}
	return math.Sqrt(s)
}

// TestEvaluateJohns: on the aligned johns chips dlib separates the five men completely.
func TestEvaluateJohns(t *testing.T) {
	p := openTestPipeline(t)
	r, err := Evaluate(p, testData(t, "johns"), EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Aligned != 55 || r.Enrolled != 55 || r.Verification.Genuine != 275 || r.Verification.Impostor != 1210 {
		t.Fatalf("counts: %d aligned, %d enrolled, %d genuine, %d impostor", r.Aligned, r.Enrolled, r.Verification.Genuine, r.Verification.Impostor)
	}
	if r.Verification.EER > 0.01 || r.Rank1 < 0.98 {
		t.Errorf("EER %.2f%%, rank-1 %.1f%%; want ≤ 1%% and ≥ 98%%", 100*r.Verification.EER, 100*r.Rank1)
	}
}

// TestPhotoPipeline: a portrait gives one frontal face passing the gates whose template
// matches another photo of the same person better than other people's; a group photo is
// refused for enrolment with its count; a blank image has no face.
func TestPhotoPipeline(t *testing.T) {
	p := openTestPipeline(t)
	extract := func(name string) (Template, Quality, error) {
		img, err := DecodeFile(goface(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return p.Extract(name, img)
	}
	bona, q, err := extract("bona.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if q.FaceSize < 150 || q.EyeDistance < 60 || math.Abs(q.Yaw) > 0.2 {
		t.Errorf("bona.jpg quality: %s", q)
	}
	bona3, _, err := extract("bona3.jpg")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := p.Comparator()
	mate, _ := c.Raw(bona, bona3)
	for _, other := range []string{"luda.jpg", "joy.jpg", "seulgi.jpg"} {
		o, _, err := extract(other)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := c.Raw(bona, o); s >= mate {
			t.Errorf("bona.jpg is closer to %s (%.4f) than to bona3.jpg (%.4f)", other, s, mate)
		}
	}
	_, _, err = extract("pristin.jpg")
	var fc *FaceCountError
	if !errors.As(err, &fc) || fc.Count < 5 {
		t.Errorf("group photo: %v, want a FaceCountError with several faces", err)
	}
	img, _ := DecodeFile(goface(t, "pristin.jpg"))
	all, err := p.ExtractAll("pristin.jpg", img)
	if err != nil || len(all) != fc.Count {
		t.Errorf("ExtractAll on the group photo: %d results, %v", len(all), err)
	}
	blank := image.NewGray(image.Rect(0, 0, 640, 480))
	if _, _, err := p.Extract("blank", blank); !errors.As(err, &fc) || fc.Count != 0 || err.Error() != "blank: no face found" {
		t.Errorf("blank image: %v", err)
	}
}

// TestBadInputNative feeds the native calls what Go must refuse before them.
func TestBadInputNative(t *testing.T) {
	p := openTestPipeline(t)
	b := p.emb.(*dlibBackend)
	if _, err := b.Detect(&RGB{W: 100, H: 100, Pix: make([]byte, 10)}); err == nil {
		t.Error("short pixel buffer reached the detector")
	}
	if _, err := b.Embed([]*RGB{NewRGB(149, 150)}); err == nil {
		t.Error("wrong chip size reached the network")
	}
	if _, err := b.Embed(nil); err == nil {
		t.Error("no chips reached the network")
	}
	if _, _, err := p.ExtractAligned("wide", image.NewGray(image.Rect(0, 0, 300, 150))); err == nil {
		t.Error("non-square chip accepted")
	}
}

// TestCorruptModel: a model file whose hash is wrong is refused by name.
func TestCorruptModel(t *testing.T) {
	openTestPipeline(t)
	dir := t.TempDir()
	for _, m := range []ModelFile{ShapePredictorFile, ResNetFile} {
		os.WriteFile(filepath.Join(dir, m.Name), []byte("not a model"), 0o644)
	}
	_, err := Open(Options{ModelDir: dir})
	if err == nil || !strings.Contains(err.Error(), ShapePredictorFile.Name) || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("corrupt model: %v", err)
	}
}

func BenchmarkEmbed(b *testing.B) {
	p := openTestPipeline(b)
	chip := texturedChip()
	for b.Loop() {
		if _, err := p.emb.Embed([]*RGB{chip}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPhoto is detection to embedding of a 640×480 photo (bona.jpg scaled down).
func BenchmarkPhoto(b *testing.B) {
	p := openTestPipeline(b)
	img, err := DecodeFile(goface(b, "bona.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	rgb, _ := ToRGB(img)
	small := resize(rgb, 0.48).Image() // 480×480
	photo := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(photo, image.Rect(80, 0, 560, 480), small, image.Point{}, draw.Src)
	for b.Loop() {
		if _, _, err := p.Extract("photo", photo); err != nil {
			b.Fatal(err)
		}
	}
}

func goface(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(testData(t, "goface"), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("BIOMESH_TESTDATA is set but %v", err)
	}
	return p
}

// TestCNNFallback: where the HOG detector finds no face (jimin.jpg, a tilted head), the
// CNN detector, when its model file is installed, finds the one face.
func TestCNNFallback(t *testing.T) {
	p := openTestPipeline(t)
	if !p.det.(*dlibBackend).hasCNN {
		t.Skipf("no %s in the model folder", CNNDetectorFile.Name)
	}
	img, err := DecodeFile(goface(t, "jimin.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	faces, err := p.Detect("jimin.jpg", img)
	if err != nil || len(faces) != 1 {
		t.Fatalf("jimin.jpg: %d faces, %v", len(faces), err)
	}
	if _, _, err := p.Extract("jimin.jpg", img); err != nil {
		t.Errorf("jimin.jpg: %v", err)
	}
}

// TestCorruptCNNModel: the optional CNN detector file, when present, is checked too.
func TestCorruptCNNModel(t *testing.T) {
	openTestPipeline(t)
	dir := t.TempDir()
	for _, m := range []ModelFile{ShapePredictorFile, ResNetFile} {
		if err := os.Symlink(filepath.Join(ModelDir(), m.Name), filepath.Join(dir, m.Name)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, CNNDetectorFile.Name), []byte("not a model"), 0o644)
	_, err := Open(Options{ModelDir: dir})
	if err == nil || !strings.Contains(err.Error(), CNNDetectorFile.Name) || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("corrupt CNN model: %v", err)
	}
}
