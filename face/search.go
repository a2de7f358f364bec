package face

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/biomesh/biomesh/face/internal/vec"
)

// Gallery is an exact 1:N index: unit-length embeddings of one model in one contiguous
// float32 matrix, row i belonging to ID i. Exactness is the point: approximate indexes
// tried here lost true neighbours. Add and Search may not run at the same time;
// concurrent Searches are safe.
//
// A large gallery is searched in two passes. The first scans an int8 copy of the matrix
// (a quarter of the memory traffic) and keeps, for every row, an upper bound on its
// float32 similarity; the rows with the best bounds, a window of k+searchWindow, are
// scored again in float32 and the best k returned. The result is then checked: when a
// row left out of the window could still have beaten the k-th hit (its bound reaches
// the k-th similarity), the gallery is scanned again in float32. Either way the hits and
// their similarities are those of the float32 scan, bit for bit.
//
// Memory per row of d components: 4d bytes of float32, d rounded up to a multiple of 32
// bytes of int8, and 8 bytes of scale and error bound, plus the ID; for d = 128,
// 648 bytes and the ID.
type Gallery struct {
	c    *Comparator
	dim  int
	ids  []string
	rows []float32 // n×dim, unit rows

	// The int8 copy: row r is approximately qscale[r]·qrows[r·stride:(r+1)·stride]
	// (zero-padded from dim to stride); qerr[r] bounds the Euclidean norm of the
	// difference between that and the float32 row, rounded up; qmaxErr is the largest.
	stride  int
	qrows   []int8
	qscale  []float32
	qerr    []float32
	qmaxErr float64

	// Workers is how many goroutines a search uses; 0 means GOMAXPROCS.
	Workers int
}

// Hit is one search result.
type Hit struct {
	ID         string  `json:"id"`
	Index      int     `json:"index"`      // row in the gallery, in order of Add
	Similarity float64 `json:"similarity"` // cosine
	Score      float64 `json:"score"`      // calibrated
}

// NewGallery returns an empty gallery for the comparator's model; the comparator must use
// the Cosine metric.
func NewGallery(c *Comparator) (*Gallery, error) {
	if c.metric != Cosine {
		return nil, fmt.Errorf("face: a gallery searches by cosine, not %s", c.metric)
	}
	return &Gallery{c: c}, nil
}

// Len is the number of rows.
func (g *Gallery) Len() int { return len(g.ids) }

// Add appends a template under id (ids need not be unique: a person may have several).
func (g *Gallery) Add(id string, t Template) error {
	if err := g.c.check(t); err != nil {
		return fmt.Errorf("gallery entry %s: %w", id, err)
	}
	if g.dim == 0 {
		g.dim = len(t.Vector)
		g.stride = (g.dim + vec.Block - 1) / vec.Block * vec.Block
	} else if len(t.Vector) != g.dim {
		return fmt.Errorf("gallery entry %s: dimension %d, gallery has %d", id, len(t.Vector), g.dim)
	}
	x := Normalize(t.Vector)
	g.ids = append(g.ids, id)
	g.rows = append(g.rows, x...)
	g.addQuantised(x)
	return nil
}

// addQuantised appends the int8 copy of the unit row x: components scaled by
// max|x|/127 and rounded, so no component saturates.
func (g *Gallery) addQuantised(x []float32) {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(float64(v)))
	}
	scale := float32(m / 127)
	q := make([]int8, g.stride)
	var e2 float64
	for j, v := range x {
		var k float64
		if scale > 0 {
			k = max(-127, min(127, math.Round(float64(v)/float64(scale))))
		}
		q[j] = int8(k)
		d := float64(v) - float64(scale)*k
		e2 += d * d
	}
	e := float32(math.Sqrt(e2) * (1 + 1e-9))
	if float64(e) < math.Sqrt(e2) {
		e = math.Nextafter32(e, 1)
	}
	g.qrows = append(g.qrows, q...)
	g.qscale = append(g.qscale, scale)
	g.qerr = append(g.qerr, e)
	g.qmaxErr = max(g.qmaxErr, float64(e))
}

// Grow makes room for n more rows without reallocating.
func (g *Gallery) Grow(n, dim int) {
	stride := (dim + vec.Block - 1) / vec.Block * vec.Block
	g.ids = slices.Grow(g.ids, n)
	g.rows = slices.Grow(g.rows, n*dim)
	g.qrows = slices.Grow(g.qrows, n*stride)
	g.qscale = slices.Grow(g.qscale, n)
	g.qerr = slices.Grow(g.qerr, n)
}

// Search returns the k best rows for the probe, best first (ties by row order).
func (g *Gallery) Search(probe Template, k int) ([]Hit, error) {
	if err := g.c.check(probe); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	if g.dim != 0 && len(probe.Vector) != g.dim {
		return nil, fmt.Errorf("probe: dimension %d, gallery has %d", len(probe.Vector), g.dim)
	}
	if k <= 0 || g.Len() == 0 {
		return nil, nil
	}
	w := g.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	k = min(k, g.Len()) // also keeps k+searchWindow from overflowing
	q := Normalize(probe.Vector)
	var top []scored
	if n, win := g.Len(), k+searchWindow; n >= quantisedMinRows && n >= 4*win {
		top = g.topKQuantised(q, k, win, w)
	} else {
		top = topK(g.rows, g.dim, q, k, w)
	}
	hits := make([]Hit, len(top))
	for i, s := range top {
		hits[i] = Hit{ID: g.ids[s.row], Index: s.row, Similarity: float64(s.sim), Score: g.c.cal.Apply(float64(s.sim))}
	}
	return hits, nil
}

// Parameters of the two-pass search.
var (
	// searchWindow is how many rows beyond k the first pass hands to the float32 pass.
	// On 1,000,000 random 128-D rows the bounds of about 10 rows beyond the top 10
	// reach the 10th similarity, so a few hundred leaves a wide margin; a gallery of
	// near-duplicates may need the second scan, which keeps the result exact.
	searchWindow = 256
	// quantisedMinRows: smaller galleries are scanned in float32 only.
	quantisedMinRows = 20000
	// searchRescans counts searches whose check failed (for tests).
	searchRescans atomic.Int64
)

// topKQuantised is the two-pass search: an int8 scan keeping the win rows with the best
// upper bounds, a float32 re-scoring of those, and the check that no other row can
// belong to the top k (else the float32 scan of all rows).
//
// The bound. Let x be a float32 row and y the float32 probe, both of norm at most
// 1+ε (ε = 1e-5 covers the rounding of Normalize). The row is stored as a·q + e with q
// in int8 and ‖e‖ ≤ E (qerr, rounded up), the probe as b·p + f with p in int16, b a
// float32 and ‖f‖ = F (quantiseProbe). Then
//
//	x·y = a·b·(q·p) + a·q·f + e·y,  |a·q·f| ≤ (‖x‖+E)·F,  |e·y| ≤ E·‖y‖,
//
// q·p is computed exactly in int32, and the float32 inner product that the second pass
// computes differs from x·y by at most γ·‖x‖·‖y‖ with γ = d·u/(1−d·u), u = 2⁻²⁴
// (fused or not). So the float32 similarity of every row is at most
// a·b·(q·p) + E·(1+ε) (rowBound) + slack, slack = (1+ε+max E)·F + γ·(1+ε)² + 1e-6, the
// last term covering the float32 arithmetic of rowBound (four roundings of values below
// 1.2, under 3e-7).
func (g *Gallery) topKQuantised(y []float32, k, win, workers int) []scored {
	n, dim, stride := g.Len(), g.dim, g.stride
	qp := g.quantiseProbe(y)

	// First pass: per worker, a heap of the win best bounds. A row that is not in a
	// worker's final heap has a bound at most that heap's final minimum (the minimum
	// only rises), which is what `outside` keeps.
	const block = 256
	chunks := (n + chunkRows - 1) / chunkRows
	workers = max(1, min(workers, chunks))
	var next atomic.Int64
	heaps := make([]minHeap, workers)
	outside := make([]float32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := make(minHeap, 0, win)
			var sums [block]int32
			seen := 0
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					break
				}
				for lo, hi := c*chunkRows, min((c+1)*chunkRows, n); lo < hi; lo += block {
					m := min(block, hi-lo)
					vec.DotsI8(qp.p, g.qrows[lo*stride:(lo+m)*stride], sums[:m])
					sc, er := g.qscale[lo:lo+m], g.qerr[lo:lo+m]
					for i, s := range sums[:m] {
						ub := rowBound(s, sc[i], er[i], qp.b)
						if len(h) < win {
							heap.Push(&h, scored{lo + i, ub})
						} else if ub > h[0].sim {
							h[0] = scored{lo + i, ub}
							heap.Fix(&h, 0)
						}
					}
					seen += m
				}
			}
			heaps[w] = h
			outside[w] = float32(math.Inf(-1))
			if seen > len(h) {
				outside[w] = h[0].sim
			}
		}()
	}
	wg.Wait()

	// Second pass: float32 similarities of every row kept by any worker.
	var all []scored
	limit := math.Inf(-1)
	for w, h := range heaps {
		for _, s := range h {
			all = append(all, scored{s.row, dot(y, g.rows[s.row*dim:(s.row+1)*dim])})
		}
		limit = max(limit, float64(outside[w]))
	}
	sortScored(all)
	all = all[:min(k, len(all))]
	if len(all) == k && limit+qp.slack < float64(all[k-1].sim) {
		return all
	}
	searchRescans.Add(1)
	return topK(g.rows, dim, y, k, workers)
}

// normSlack bounds the norm of a normalised float32 vector above 1 (Normalize rounds
// each component once).
const normSlack = 1e-5

// qprobe is a unit probe prepared for the int8 pass: y ≈ b·p.
type qprobe struct {
	p     []int16 // stride components, zero-padded
	b     float32
	slack float64 // added to every row's bound (see topKQuantised)
}

// quantiseProbe rounds y to int16, as finely as int32 sums allow
// (stride·127·max|p| < 2³¹), and works out the slack of the bound.
func (g *Gallery) quantiseProbe(y []float32) qprobe {
	pmax := min(32767, (math.MaxInt32-1)/(g.stride*127))
	var m float64
	for _, v := range y {
		m = max(m, math.Abs(float64(v)))
	}
	b := float64(float32(m / float64(pmax)))
	p := make([]int16, g.stride)
	var f2 float64
	for j, v := range y {
		var k float64
		if b > 0 {
			k = max(-float64(pmax), min(float64(pmax), math.Round(float64(v)/b)))
		}
		p[j] = int16(k)
		d := float64(v) - b*k
		f2 += d * d
	}
	u := math.Ldexp(1, -24)
	gamma := float64(g.dim) * u / (1 - float64(g.dim)*u)
	slack := (1+normSlack+g.qmaxErr)*math.Sqrt(f2) + gamma*(1+normSlack)*(1+normSlack) + 1e-6
	return qprobe{p: p, b: float32(b), slack: slack}
}

// rowBound is a row's bound less the probe's slack, from the int8 inner product s, the
// row's scale and error bound, and the probe's scale.
func rowBound(s int32, scale, err, b float32) float32 {
	return float32(s)*(scale*b) + err*(1+normSlack)
}

type scored struct {
	row int
	sim float32
}

// worse orders results: lower similarity, then later row, is worse.
func worse(a, b scored) bool { return a.sim < b.sim || (a.sim == b.sim && a.row > b.row) }

// sortScored sorts best first: higher similarity, then earlier row.
func sortScored(s []scored) {
	slices.SortFunc(s, func(a, b scored) int {
		if c := cmp.Compare(b.sim, a.sim); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
}

// minHeap keeps the k best seen so far with the worst on top.
type minHeap []scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// chunkRows is the share of rows a worker takes at a time: large enough to amortise the
// hand-out, small enough to balance the cores.
const chunkRows = 8192

// topK scans rows (n×dim, unit vectors) against q in float32 on workers goroutines; each
// keeps its own heap of k and the heaps are merged at the end.
func topK(rows []float32, dim int, q []float32, k, workers int) []scored {
	n := len(rows) / dim
	k = min(k, n)
	chunks := (n + chunkRows - 1) / chunkRows
	workers = max(1, min(workers, chunks))
	var next atomic.Int64
	heaps := make([]minHeap, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := make(minHeap, 0, k)
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					break
				}
				lo, hi := c*chunkRows, min((c+1)*chunkRows, n)
				for r := lo; r < hi; r++ {
					s := scored{r, dot(q, rows[r*dim:(r+1)*dim])}
					if len(h) < k {
						heap.Push(&h, s)
					} else if worse(h[0], s) {
						h[0] = s
						heap.Fix(&h, 0)
					}
				}
			}
			heaps[w] = h
		}()
	}
	wg.Wait()
	var all []scored
	for _, h := range heaps {
		all = append(all, h...)
	}
	sortScored(all)
	return all[:min(k, len(all))]
}
