// Package gallery searches a probe against an in-memory set of enrolled templates (1:N) on
// all cores and returns a ranked candidate list, fusing several samples per subject.
//
// The gallery knows subjects, sample positions and scores, not people or modalities: any
// template type C works, given a function that scores a probe sample against it on the
// project's calibrated scale, score = −10·log10(estimated false match rate). On that scale
// independent evidence adds up, so a subject's fused score is the sum over probe samples of
// each sample's best score against that subject, corrected for the number of templates it
// was allowed to pick from (picking the best of m impostor comparisons multiplies the false
// match rate by about m, so 10·log10(m) is subtracted).
package gallery

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
)

// Sample is one enrolled template of a subject. Position identifies which finger, eye, … it
// is (for fingerprints the ISO finger position 1–10); 0 means unknown and compares with
// every position.
type Sample[C any] struct {
	Position int
	Template C
}

// Probe is one probe sample: its position and a function scoring it against a template.
// Score must be safe for concurrent use.
type Probe[C any] struct {
	Position int
	Score    func(C) float64
}

// Candidate is one subject of a candidate list.
type Candidate struct {
	Subject string    `json:"subject"`
	Score   float64   `json:"score"`  // fused calibrated score
	Scores  []float64 `json:"scores"` // per probe sample, in probe order
}

type subject[C any] struct {
	id      string
	samples []Sample[C]
}

// Gallery is a set of subjects with their templates. It is safe for concurrent use: searches
// run concurrently with each other and wait for updates.
type Gallery[C any] struct {
	mu       sync.RWMutex
	subjects []subject[C]
	index    map[string]int
	samples  int
}

// New returns an empty gallery.
func New[C any]() *Gallery[C] {
	return &Gallery[C]{index: make(map[string]int)}
}

// Put sets the samples of a subject, replacing any it had.
func (g *Gallery[C]) Put(id string, samples []Sample[C]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := subject[C]{id: id, samples: append([]Sample[C](nil), samples...)}
	if i, ok := g.index[id]; ok {
		g.samples += len(samples) - len(g.subjects[i].samples)
		g.subjects[i] = s
		return
	}
	g.index[id] = len(g.subjects)
	g.subjects = append(g.subjects, s)
	g.samples += len(samples)
}

// Add appends samples to a subject, creating it when needed.
func (g *Gallery[C]) Add(id string, samples ...Sample[C]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if i, ok := g.index[id]; ok {
		g.subjects[i].samples = append(g.subjects[i].samples, samples...)
	} else {
		g.index[id] = len(g.subjects)
		g.subjects = append(g.subjects, subject[C]{id: id, samples: append([]Sample[C](nil), samples...)})
	}
	g.samples += len(samples)
}

// Remove deletes a subject; it reports whether the subject was there.
func (g *Gallery[C]) Remove(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	i, ok := g.index[id]
	if !ok {
		return false
	}
	g.samples -= len(g.subjects[i].samples)
	last := len(g.subjects) - 1
	g.subjects[i] = g.subjects[last]
	g.index[g.subjects[i].id] = i
	g.subjects[last] = subject[C]{}
	g.subjects = g.subjects[:last]
	delete(g.index, id)
	return true
}

// Len returns the number of subjects and of samples.
func (g *Gallery[C]) Len() (subjects, samples int) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.subjects), g.samples
}

// Search scores the probe samples against every subject and returns the k best subjects,
// best first. Ties are broken by subject ID so results are reproducible.
func (g *Gallery[C]) Search(probe []Probe[C], k int) ([]Candidate, error) {
	if len(probe) == 0 {
		return nil, fmt.Errorf("gallery: search with no probe sample")
	}
	if k <= 0 {
		return nil, fmt.Errorf("gallery: candidate list length %d: must be positive", k)
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	workers := min(runtime.GOMAXPROCS(0), max(1, len(g.subjects)/64))
	var next int64
	const chunk = 64 // subjects per claim: small, so that the workers finish together
	results := make([][]Candidate, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			top := newTopK(k)
			buf := make([]float64, len(probe))
			for {
				mu.Lock()
				start := int(next)
				next += chunk
				mu.Unlock()
				if start >= len(g.subjects) {
					break
				}
				for i := start; i < min(start+chunk, len(g.subjects)); i++ {
					s := &g.subjects[i]
					fused := fuse(probe, s.samples, buf)
					if top.admits(fused, s.id) {
						top.push(Candidate{Subject: s.id, Score: fused, Scores: append([]float64(nil), buf...)})
					}
				}
			}
			results[w] = top.items
		}()
	}
	wg.Wait()
	var all []Candidate
	for _, r := range results {
		all = append(all, r...)
	}
	sortCandidates(all)
	if len(all) > k {
		all = all[:k]
	}
	return all, nil
}

// fuse returns the subject's fused score and puts the per-probe-sample scores in scores.
func fuse[C any](probe []Probe[C], samples []Sample[C], scores []float64) float64 {
	total := 0.0
	for pi, p := range probe {
		best, tried := math.Inf(-1), 0
		for _, s := range samples {
			if p.Position != 0 && s.Position != 0 && s.Position != p.Position {
				continue
			}
			tried++
			if v := p.Score(s.Template); v > best {
				best = v
			}
		}
		if tried == 0 {
			scores[pi] = 0
			continue
		}
		if tried > 1 {
			best -= 10 * math.Log10(float64(tried))
		}
		scores[pi] = best
		total += max(best, 0)
	}
	return total
}

func sortCandidates(c []Candidate) {
	sort.Slice(c, func(i, j int) bool {
		if c[i].Score != c[j].Score {
			return c[i].Score > c[j].Score
		}
		return c[i].Subject < c[j].Subject
	})
}

// topK keeps the k best candidates seen (a small sorted slice: k is small).
type topK struct {
	k     int
	items []Candidate
}

func newTopK(k int) *topK { return &topK{k: k} }

func (t *topK) admits(score float64, id string) bool {
	if len(t.items) < t.k {
		return true
	}
	w := t.items[len(t.items)-1]
	return score > w.Score || (score == w.Score && id < w.Subject)
}

func (t *topK) push(c Candidate) {
	i := sort.Search(len(t.items), func(i int) bool {
		x := t.items[i]
		return c.Score > x.Score || (c.Score == x.Score && c.Subject < x.Subject)
	})
	if len(t.items) < t.k {
		t.items = append(t.items, Candidate{})
	}
	copy(t.items[i+1:], t.items[i:len(t.items)-1])
	t.items[i] = c
}
