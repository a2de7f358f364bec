package synthtpl

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/biomesh/biomesh/fingerprint"
)

// batchTemplates is about how many templates a worker makes per batch.
const batchTemplates = 512

// Limits on Generate's counts.
const (
	MaxPersons     = 1<<31 - 1 // persons per run
	MaxFingers     = 1000      // fingers per person
	MaxImpressions = 1000      // impressions per finger
)

// Generate makes impressions impressions of each of fingers fingers of persons persons,
// on all cores, and calls fn for each, from a single goroutine, in the order person,
// finger, impression (all starting at 0). Impression i of finger f of person n is
// Impression(Finger(seed, n, f, p), seed, i, p): the output does not depend on the number
// of cores. The template passed to fn, and its minutiae, are reused after fn returns:
// copy what must be kept. Generate stops at fn's first error, or when ctx is done, and
// returns that error. A nil p means DefaultParams.
func Generate(ctx context.Context, seed uint64, p *Params, persons, fingers, impressions int,
	fn func(person, finger, impression int, t *fingerprint.Template) error) error {
	return generate(ctx, runtime.GOMAXPROCS(0), seed, p, persons, fingers, impressions, fn)
}

// CheckCounts reports whether Generate accepts these counts.
func CheckCounts(persons, fingers, impressions int) error {
	switch {
	case persons < 1 || persons > MaxPersons:
		return fmt.Errorf("synthtpl: %d persons: must be 1–%d", persons, MaxPersons)
	case fingers < 1 || fingers > MaxFingers:
		return fmt.Errorf("synthtpl: %d fingers per person: must be 1–%d", fingers, MaxFingers)
	case impressions < 1 || impressions > MaxImpressions:
		return fmt.Errorf("synthtpl: %d impressions per finger: must be 1–%d", impressions, MaxImpressions)
	}
	return nil
}

// batch is a run of consecutive persons made by one worker.
type batch struct {
	first, n int                    // persons first … first+n−1
	ts       []fingerprint.Template // their templates, in output order
	done     chan struct{}
}

func generate(ctx context.Context, workers int, seed uint64, p *Params, persons, fingers, impressions int,
	fn func(person, finger, impression int, t *fingerprint.Template) error) error {
	if p == nil {
		p = DefaultParams()
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := CheckCounts(persons, fingers, impressions); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	per := max(1, batchTemplates/(fingers*impressions)) // persons per batch
	nb := (persons + per - 1) / per
	workers = max(1, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Batches circulate: free → dispatcher → (order, work) → worker → consumer → free.
	// There are 2·workers of them, so the channels below never hold more.
	nbuf := 2 * workers
	free := make(chan *batch, nbuf)
	for range nbuf {
		free <- &batch{done: make(chan struct{}, 1)}
	}
	work := make(chan *batch, nbuf)
	order := make(chan *batch, nbuf)
	go func() {
		defer close(order)
		defer close(work)
		for i := 0; i < nb; i++ {
			var b *batch
			select {
			case b = <-free:
			case <-ctx.Done():
				return
			}
			b.first = i * per
			b.n = min(per, persons-b.first)
			order <- b
			work <- b
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGen()
			var master fingerprint.Template
			for b := range work {
				if ctx.Err() == nil {
					g.fill(b, &master, seed, p, fingers, impressions)
				}
				b.done <- struct{}{}
			}
		}()
	}

	var err error
	consumed := 0
	for b := range order {
		if err != nil {
			continue // drain
		}
		<-b.done
		if err = ctx.Err(); err != nil {
			continue
		}
		i := 0
		for person := b.first; person < b.first+b.n && err == nil; person++ {
			for f := 0; f < fingers && err == nil; f++ {
				for k := 0; k < impressions && err == nil; k++ {
					err = fn(person, f, k, &b.ts[i])
					i++
				}
			}
		}
		if err != nil {
			cancel()
			continue
		}
		consumed++
		free <- b
	}
	wg.Wait()
	if err == nil && consumed < nb {
		err = ctx.Err()
	}
	return err
}

// fill makes batch b's templates.
func (g *gen) fill(b *batch, master *fingerprint.Template, seed uint64, p *Params, fingers, impressions int) {
	n := b.n * fingers * impressions
	if cap(b.ts) < n {
		b.ts = append(b.ts[:cap(b.ts)], make([]fingerprint.Template, n-cap(b.ts))...)
	}
	b.ts = b.ts[:n]
	i := 0
	for person := b.first; person < b.first+b.n; person++ {
		for f := range fingers {
			g.finger(master, seed, person, f, p)
			for k := range impressions {
				g.impression(&b.ts[i], master, seed, k, p)
				i++
			}
		}
	}
}
