package face

import (
	"cmp"
	"container/heap"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Gallery is an exact 1:N index: unit-length embeddings of one model in one contiguous
// float32 matrix, row i belonging to ID i, searched by brute force over every row.
// Exactness is the point: approximate indexes tried here lost true neighbours. Add and
// Search may not run at the same time; concurrent Searches are safe.
type Gallery struct {
	c    *Comparator
	dim  int
	ids  []string
	rows []float32

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
	} else if len(t.Vector) != g.dim {
		return fmt.Errorf("gallery entry %s: dimension %d, gallery has %d", id, len(t.Vector), g.dim)
	}
	g.ids = append(g.ids, id)
	g.rows = append(g.rows, Normalize(t.Vector)...)
	return nil
}

// Grow makes room for n more rows without reallocating.
func (g *Gallery) Grow(n, dim int) {
	g.ids = slices.Grow(g.ids, n)
	g.rows = slices.Grow(g.rows, n*dim)
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
	top := topK(g.rows, g.dim, Normalize(probe.Vector), k, w)
	hits := make([]Hit, len(top))
	for i, s := range top {
		hits[i] = Hit{ID: g.ids[s.row], Index: s.row, Similarity: float64(s.sim), Score: g.c.cal.Apply(float64(s.sim))}
	}
	return hits, nil
}

type scored struct {
	row int
	sim float32
}

// worse orders results: lower similarity, then later row, is worse.
func worse(a, b scored) bool { return a.sim < b.sim || (a.sim == b.sim && a.row > b.row) }

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

// topK scans rows (n×dim, unit vectors) against q on workers goroutines; each keeps its
// own heap of k and the heaps are merged at the end.
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
	slices.SortFunc(all, func(a, b scored) int {
		if c := cmp.Compare(b.sim, a.sim); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
	return all[:min(k, len(all))]
}
