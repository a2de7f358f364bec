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

	"github.com/biomesh/biomesh/face/internal/vec"
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
			start, cpu0 := time.Now(), cpuTime()
			for b.Loop() {
				if _, err := g.Search(probe, 10); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/query")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/query")
		})
	}
}

// exactTop is the float32 scan alone, the reference the two-pass search must equal.
func exactTop(g *Gallery, probe Template, k int) []scored {
	return topK(g.rows, g.dim, Normalize(probe.Vector), k, 1)
}

// checkSameAsExact runs the gallery's search and the float32 scan and requires the same
// rows with the same similarities, in the same order.
func checkSameAsExact(t *testing.T, g *Gallery, probe Template, k int, what string) {
	t.Helper()
	hits, err := g.Search(probe, k)
	if err != nil {
		t.Fatal(err)
	}
	want := exactTop(g, probe, k)
	if len(hits) != len(want) {
		t.Fatalf("%s k=%d: %d hits, want %d", what, k, len(hits), len(want))
	}
	for i, h := range hits {
		if h.Index != want[i].row || float32(h.Similarity) != want[i].sim {
			t.Fatalf("%s k=%d: hit %d is row %d (%.7f), want row %d (%.7f)", what, k, i, h.Index, h.Similarity, want[i].row, want[i].sim)
		}
	}
}

// clustered returns n templates drawn around persons: a shared offset (face embeddings
// of one model are far from centred), a per-person centre and per-image noise, like
// several photos of each of n/4 people.
func clustered(r *rand.Rand, n, dim int) []Template {
	common := randomTemplate(r, dim).Vector
	var out []Template
	var centre []float32
	for i := range n {
		if i%4 == 0 {
			centre = randomTemplate(r, dim).Vector
		}
		v := make([]float32, dim)
		for j := range v {
			v[j] = 2*common[j] + centre[j] + 0.4*float32(r.NormFloat64())
		}
		out = append(out, Template{Model: DlibModel, Vector: v})
	}
	return out
}

// TestSearchQuantisedExact: the two-pass search returns exactly the float32 top-k on
// random rows, on clustered rows like real embeddings, and on a gallery where hundreds
// of rows are near-copies of the probe (where the window cannot hold them all and the
// check must send the search to the float32 scan). On the first two the check must
// pass without that second scan, or the window would be too small to be worth it.
func TestSearchQuantisedExact(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, dim = 40000, 128
	c := cosineComparator(t)
	for _, set := range []string{"random", "clustered", "near-copies"} {
		g, _ := NewGallery(c)
		var tpls []Template
		switch set {
		case "random":
			for range n {
				tpls = append(tpls, randomTemplate(r, dim))
			}
		case "clustered":
			tpls = clustered(r, n, dim)
		case "near-copies":
			for range n {
				tpls = append(tpls, randomTemplate(r, dim))
			}
			base := tpls[0].Vector
			for i := 1; i < 2000; i++ {
				v := slices.Clone(base)
				v[r.IntN(dim)] += 1e-3 * float32(r.NormFloat64())
				tpls[r.IntN(n)] = Template{Model: DlibModel, Vector: v}
			}
		}
		for i, tp := range tpls {
			if err := g.Add("p"+strconv.Itoa(i), tp); err != nil {
				t.Fatal(err)
			}
		}
		before := searchRescans.Load()
		probes := 0
		for q := range 10 {
			probe := tpls[r.IntN(n)]
			if q%2 == 1 { // a new face, not in the gallery
				probe = randomTemplate(r, dim)
				if set != "random" {
					probe = clustered(r, 1, dim)[0]
				}
			}
			if set == "near-copies" {
				probe = tpls[0]
			}
			for _, k := range []int{1, 10, 100} {
				for _, w := range []int{1, 3} {
					g.Workers = w
					checkSameAsExact(t, g, probe, k, fmt.Sprintf("%s probe %d workers %d", set, q, w))
					probes++
				}
			}
		}
		if hits, err := g.Search(tpls[0], math.MaxInt); err != nil || len(hits) != n {
			t.Fatalf("k = MaxInt: %d hits, %v", len(hits), err)
		}
		rescans := searchRescans.Load() - before
		t.Logf("%s: %d of %d searches scanned again in float32", set, rescans, probes)
		switch {
		case set == "near-copies" && rescans == 0:
			t.Error("near-copies: the check never failed, so the fallback went untested")
		case set != "near-copies" && rescans > 0:
			t.Errorf("%s: %d searches needed the float32 scan; the window is too small", set, rescans)
		}
	}
}

// TestQuantisedBound checks the bound itself: for random and awkward rows (one large
// component, components off the quantisation grid) and dimensions up to MaxDim, no
// row's float32 similarity exceeds rowBound + slack, and the two-pass search with a
// window of 10 still equals the float32 scan.
func TestQuantisedBound(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	c := cosineComparator(t)
	for _, dim := range []int{3, 128, 512, MaxDim} {
		g, _ := NewGallery(c)
		var tpls []Template
		for i := range 300 {
			tp := randomTemplate(r, dim)
			switch i % 3 {
			case 1:
				tp.Vector[r.IntN(dim)] = 50
			case 2:
				for j := range tp.Vector {
					tp.Vector[j] = float32(j%7) + 0.5
				}
			}
			tpls = append(tpls, tp)
			if err := g.Add("x", tp); err != nil {
				t.Fatal(err)
			}
		}
		sums := make([]int32, g.Len())
		var tightest float64 = math.Inf(1)
		for q := range 20 {
			probe := tpls[r.IntN(len(tpls))]
			if q%2 == 1 {
				probe = randomTemplate(r, dim)
			}
			y := Normalize(probe.Vector)
			qp := g.quantiseProbe(y)
			vec.DotsI8(qp.p, g.qrows, sums)
			for row, s := range sums {
				ub := float64(rowBound(s, g.qscale[row], g.qerr[row], qp.b)) + qp.slack
				sim := float64(dot(y, g.rows[row*dim:(row+1)*dim]))
				if sim > ub {
					t.Fatalf("dim %d probe %d row %d: similarity %.9f above its bound %.9f", dim, q, row, sim, ub)
				}
				tightest = min(tightest, ub-sim)
			}
			top := g.topKQuantised(y, 5, 10, 2)
			if want := exactTop(g, probe, 5); !slices.Equal(top, want) {
				t.Fatalf("dim %d probe %d: %v, want %v", dim, q, top, want)
			}
		}
		t.Logf("dim %d: largest error bound %.5f, smallest margin %.2g", dim, g.qmaxErr, tightest)
	}
}
