//go:build dlib && cgo

package face

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// realEmbeddings returns every face dlib finds in the johns chips and goface photos.
func realEmbeddings(t *testing.T) []Template {
	p := openTestPipeline(t)
	var out []Template
	for _, set := range []string{"johns", "goface"} {
		samples, err := LoadSet(testData(t, set))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			img, err := DecodeFile(s.Path)
			if err != nil {
				t.Fatal(err)
			}
			if set == "johns" {
				if tpl, _, err := p.ExtractAligned(s.Path, img); err == nil {
					out = append(out, tpl)
				}
				continue
			}
			res, err := p.ExtractAll(s.Path, img)
			if err != nil {
				continue
			}
			for _, r := range res {
				out = append(out, r.Template)
			}
		}
	}
	return out
}

// TestSearchQuantisedReal: on dlib embeddings of the shared photos the two-pass search
// equals the float32 scan, (a) on the real rows alone with a window of only k+4, which
// puts the bound to work on real values, and (b) on a gallery of 40,000 rows made from
// them, each a blend of three real embeddings plus noise (a crowd in the region of
// embedding space where dlib puts faces, since there are not 40,000 real ones here),
// with the default window, where the check must not send searches to the float32 scan.
func TestSearchQuantisedReal(t *testing.T) {
	real := realEmbeddings(t)
	if len(real) < 50 {
		t.Fatalf("only %d embeddings", len(real))
	}
	c := cosineComparator(t)
	g, _ := NewGallery(c)
	for i, tp := range real {
		if err := g.Add(strconv.Itoa(i), tp); err != nil {
			t.Fatal(err)
		}
	}
	for i, probe := range real {
		for _, k := range []int{1, 5} {
			top := g.topKQuantised(Normalize(probe.Vector), k, k+4, 2)
			want := exactTop(g, probe, k)
			for j := range want {
				if top[j] != want[j] {
					t.Fatalf("real probe %d k %d: %v, want %v", i, k, top, want)
				}
			}
		}
	}

	r := rand.New(rand.NewPCG(15, 16))
	const n = 40000
	g, _ = NewGallery(c)
	blend := func() Template {
		v := make([]float32, len(real[0].Vector))
		for range 3 {
			w := float32(r.Float64())
			for j, x := range real[r.IntN(len(real))].Vector {
				v[j] += w * x
			}
		}
		for j := range v {
			v[j] += 0.01 * float32(r.NormFloat64())
		}
		return Template{Model: DlibModel, Vector: v}
	}
	for i, tp := range real {
		g.Add("real"+strconv.Itoa(i), tp)
	}
	for i := g.Len(); i < n; i++ {
		g.Add("blend"+strconv.Itoa(i), blend())
	}
	before := searchRescans.Load()
	searches := 0
	for i, probe := range real {
		for _, k := range []int{1, 10} {
			checkSameAsExact(t, g, probe, k, "real probe "+strconv.Itoa(i))
			searches++
		}
	}
	rescans := searchRescans.Load() - before
	t.Logf("%d real embeddings; %d of %d searches in the blended gallery scanned again in float32", len(real), rescans, searches)
	if rescans > 0 {
		t.Errorf("%d searches needed the float32 scan", rescans)
	}
}
