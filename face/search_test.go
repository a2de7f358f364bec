package face

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

func randomTemplate(r *rand.Rand, dim int) Template {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return Template{Model: DlibModel, Vector: v}
}

func cosineComparator(t testing.TB) *Comparator {
	c, err := NewComparator(DlibModel, Cosine)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSearchExact compares the parallel top-K with a brute-force sort, for several worker
// counts, with duplicated rows to exercise ties.
func TestSearchExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := cosineComparator(t)
	g, err := NewGallery(c)
	if err != nil {
		t.Fatal(err)
	}
	const n, dim = 20000, 128
	var tpls []Template
	for i := range n {
		tpl := randomTemplate(r, dim)
		if i%1000 == 7 { // a duplicate of an earlier row: equal similarity, order by row
			tpl = tpls[i-5]
		}
		tpls = append(tpls, tpl)
		if err := g.Add("p"+strconv.Itoa(i), tpl); err != nil {
			t.Fatal(err)
		}
	}
	for q := 0; q < 5; q++ {
		probe := tpls[r.IntN(n)]
		if q == 4 {
			probe = randomTemplate(r, dim)
		}
		pn := Normalize(probe.Vector)
		type rs struct {
			row int
			sim float32
		}
		all := make([]rs, n)
		for i := range all {
			all[i] = rs{i, dot(pn, g.rows[i*dim:(i+1)*dim])}
		}
		slices.SortStableFunc(all, func(a, b rs) int {
			if a.sim != b.sim {
				if a.sim > b.sim {
					return -1
				}
				return 1
			}
			return a.row - b.row
		})
		for _, workers := range []int{1, 2, 7} {
			g.Workers = workers
			for _, k := range []int{1, 10, 100} {
				hits, err := g.Search(probe, k)
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) != k {
					t.Fatalf("k=%d: %d hits", k, len(hits))
				}
				for i, h := range hits {
					if h.Index != all[i].row || float32(h.Similarity) != all[i].sim {
						t.Fatalf("workers %d k %d: hit %d is row %d (%.6f), want row %d (%.6f)", workers, k, i, h.Index, h.Similarity, all[i].row, all[i].sim)
					}
					if h.ID != "p"+strconv.Itoa(h.Index) {
						t.Fatalf("hit %d: ID %s for row %d", i, h.ID, h.Index)
					}
					if i > 0 && h.Score > hits[i-1].Score {
						t.Fatalf("scores not descending at %d", i)
					}
				}
			}
		}
	}
	// A probe that is in the gallery finds itself with similarity 1.
	hits, _ := g.Search(tpls[123], 1)
	if hits[0].Index != 123 || math.Abs(hits[0].Similarity-1) > 1e-5 {
		t.Errorf("self search: %+v", hits[0])
	}
}

func TestGalleryErrors(t *testing.T) {
	c := cosineComparator(t)
	g, _ := NewGallery(c)
	if hits, err := g.Search(Template{Model: DlibModel, Vector: []float32{1}}, 5); err != nil || hits != nil {
		t.Errorf("empty gallery: %v, %v", hits, err)
	}
	if err := g.Add("a", Template{Model: DlibModel, Vector: []float32{1, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := g.Add("b", Template{Model: DlibModel, Vector: []float32{1, 0, 0}}); err == nil {
		t.Error("dimension mismatch accepted")
	}
	if err := g.Add("c", Template{Model: "other", Vector: []float32{1, 0}}); err == nil {
		t.Error("other model accepted")
	}
	if _, err := g.Search(Template{Model: DlibModel, Vector: []float32{0, 1, 0}}, 1); err == nil {
		t.Error("probe of another dimension accepted")
	}
	l2, _ := NewComparator(DlibModel, L2)
	if _, err := NewGallery(l2); err == nil {
		t.Error("L2 gallery accepted")
	}
}

func TestComparator(t *testing.T) {
	c := cosineComparator(t)
	a := Template{Model: DlibModel, Vector: []float32{1, 0, 0}}
	b := Template{Model: DlibModel, Vector: []float32{0, 3, 0}}
	if raw, _ := c.Raw(a, a); math.Abs(raw-1) > 1e-6 {
		t.Errorf("self cosine %v", raw)
	}
	if raw, _ := c.Raw(a, b); math.Abs(raw) > 1e-6 {
		t.Errorf("orthogonal cosine %v", raw)
	}
	same, _ := c.Compare(a, a)
	orth, _ := c.Compare(a, b)
	if !(same > 30 && orth == 0) {
		t.Errorf("calibrated: identical %v, orthogonal %v", same, orth)
	}
	l2, _ := NewComparator(DlibModel, L2)
	if d, _ := l2.Raw(a, b); math.Abs(d+math.Sqrt(10)) > 1e-6 {
		t.Errorf("L2 raw %v, want −√10", d)
	}
	if _, err := c.Compare(a, Template{Model: "x", Vector: []float32{1, 0, 0}}); err == nil {
		t.Error("other model compared")
	}
	if _, err := NewComparator("unknown", Cosine); err == nil {
		t.Error("comparator without calibration")
	}
}

// TestCalibrationMonotone: both dlib tables rise with the raw similarity and cover 0..120.
func TestCalibrationMonotone(t *testing.T) {
	for _, m := range []Metric{Cosine, L2} {
		c, ok := CalibrationOf(DlibModel, m)
		if !ok {
			t.Fatalf("%s: no calibration", m)
		}
		k := c.Knots
		for i := 1; i < len(k); i++ {
			if k[i].Raw < k[i-1].Raw || k[i].Score < k[i-1].Score {
				t.Fatalf("%s: knot %d not monotone", m, i)
			}
		}
		if k[0].Score != 0 || k[len(k)-1].Score != 120 {
			t.Errorf("%s: scores span %v..%v", m, k[0].Score, k[len(k)-1].Score)
		}
	}
}

// BenchmarkSearch measures one query against BIOMESH_BENCH_FACES rows of 128-D (default
// 100,000; the figure is for 1,000,000) on one core and on all cores.
func BenchmarkSearch(b *testing.B) {
	n := 100000
	if s := os.Getenv("BIOMESH_BENCH_FACES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	r := rand.New(rand.NewPCG(5, 6))
	g, _ := NewGallery(cosineComparator(b))
	g.Grow(n, 128)
	for range n {
		if err := g.Add("x", randomTemplate(r, 128)); err != nil {
			b.Fatal(err)
		}
	}
	probe := randomTemplate(r, 128)
	for _, w := range []int{1, 0} {
		b.Run(fmt.Sprintf("rows=%d/workers=%d", n, w), func(b *testing.B) {
			g.Workers = w
			start := time.Now()
			for b.Loop() {
				if _, err := g.Search(probe, 10); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/query")
		})
	}
}
