package field

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/store"
)

// PreparedFingers is how many fingers of each person a node's package carries in their
// prepared comparison form (Package.Prepare), the others as templates. A prepared form is
// what a search compares against, so a kit opens them by checking them (about 5 µs a
// finger) where a template must be prepared first (about 170 µs); but deflated it takes
// about 570 bytes against 270 for a template, so four prepared fingers for 10,000 persons
// would make a package of about 23 MB, past the 20 MB a package may take. Two — the index
// fingers, which field checks probe first — keep it near 17 MB.
const PreparedFingers = 2

// probeRank orders finger positions by how likely a field check is to probe them: right
// and left index, right and left thumb, middle, ring and little fingers, then the rest, with
// unknown positions last (the order in which the node picks a package's fingers).
func probeRank(pos int) int {
	if pos < 0 || pos >= len(probeRanks) {
		return len(probeRanks)
	}
	return probeRanks[pos]
}

var probeRanks = [16]int{2: 0, 7: 1, 1: 2, 6: 3, 3: 4, 8: 5, 4: 6, 9: 7, 5: 8, 10: 9, 11: 10, 12: 10, 13: 10, 14: 10, 15: 10, 0: 11}

// Prepare readies a package for a kit: the first n fingers of each person in probing order
// (probeRank) are carried in their prepared form instead of their template — their stored
// form where it is this engine's, else one derived from the template — and the other
// fingers as templates only. It is for the node, before SealPackage; the derivations run on
// all cores. A finger with neither a usable prepared form nor a template that decodes is an
// error.
func (p *Package) Prepare(n int) error {
	var jobs []*Finger
	for i := range p.Persons {
		ps := &p.Persons[i]
		order := make([]int, len(ps.Fingers))
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int { return probeRank(ps.Fingers[a].Position) - probeRank(ps.Fingers[b].Position) })
		for k, idx := range order {
			f := &ps.Fingers[idx]
			switch {
			case k < n:
				jobs = append(jobs, f)
			case len(f.Template) > 0:
				f.Prepared = nil
			}
		}
	}
	errs := make([]error, len(jobs))
	parallel(len(jobs), func(i int) {
		f := jobs[i]
		if len(f.Prepared) > 0 && new(match.Candidate).UnmarshalShared(f.Prepared) == nil {
			f.Template = nil
			return
		}
		var t fingerprint.Template
		if err := t.UnmarshalBinary(f.Template); err != nil {
			errs[i] = err
			return
		}
		f.Prepared, errs[i] = match.NewCandidate(&t).MarshalBinary()
		f.Template = nil
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("field: finger at position %d: no usable prepared form and its template: %w", jobs[i].Position, err)
		}
	}
	return nil
}

// parallel calls fn(0) … fn(n−1) on all cores.
func parallel(n int, fn func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(n/64, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			const chunk = 64
			for {
				i := int(next.Add(chunk)) - chunk
				if i >= n {
					return
				}
				for k := i; k < min(i+chunk, n); k++ {
					fn(k)
				}
			}
		}()
	}
	wg.Wait()
}

// ProbeError reports a probe finger a check cannot use.
type ProbeError struct {
	Finger int // 1-based, in the probe's order
	Err    error
}

func (e *ProbeError) Error() string {
	return fmt.Sprintf("field: probe finger %d: %v", e.Finger, e.Err)
}
func (e *ProbeError) Unwrap() error { return e.Err }

// ErrClosed is returned by a matcher after Close.
var ErrClosed = errors.New("field: the watch list was closed and erased from memory (lease expired or kit wiped)")

// Matcher answers hit/no-hit against a decrypted package, in memory only. It is safe for
// concurrent use.
type Matcher struct {
	mu     sync.RWMutex // Check holds it for reading, Close for writing
	g      *gallery.Gallery[*sample]
	watch  map[string]store.WatchLevel
	fpir   float64
	n      int
	id     string
	pkg    *Package
	lazy   []*sample // fingers carried as templates: prepared on first use, or by Warm
	closed bool
}

// sample is a package finger in the gallery: its prepared form, or the template it is
// prepared from when a search first needs it.
type sample struct {
	c   atomic.Pointer[match.Candidate]
	mu  sync.Mutex
	tpl []byte
}

func (s *sample) candidate() *match.Candidate {
	if c := s.c.Load(); c != nil {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.c.Load(); c != nil {
		return c
	}
	c := new(match.Candidate) // an empty candidate scores 0
	var t fingerprint.Template
	if t.UnmarshalBinary(s.tpl) == nil { // checked by NewMatcher, but the buffer may be erased since
		c = match.NewCandidate(&t)
	}
	s.c.Store(c)
	return c
}

// NewMatcher makes the matcher of a package: each prepared form is decoded and checked
// where it lies (the matcher keeps p, whose buffer Close erases), each template only
// checked, to be prepared when a probe of its finger position first needs it. Opening a
// package thus costs its decryption and a check per finger, not the preparation of every
// template. A prepared form of another engine version is prepared again from its template
// when the package has it, else refused: the node runs another version of the engine.
func NewMatcher(p *Package) (*Matcher, error) {
	m := &Matcher{g: gallery.New[*sample](), watch: make(map[string]store.WatchLevel, len(p.Persons)), fpir: p.FPIR, id: p.ID, pkg: p}
	samples := make([][]gallery.Sample[*sample], len(p.Persons))
	lazy := make([][]*sample, len(p.Persons))
	errs := make([]error, len(p.Persons))
	parallel(len(p.Persons), func(i int) {
		ps := &p.Persons[i]
		for k, f := range ps.Fingers {
			s := &sample{}
			var c match.Candidate
			err := errors.New("no prepared form")
			if len(f.Prepared) > 0 {
				err = c.UnmarshalShared(f.Prepared)
			}
			switch {
			case err == nil:
				s.c.Store(&c)
			case len(f.Template) > 0:
				var t fingerprint.Template
				if terr := t.UnmarshalBinary(f.Template); terr != nil {
					errs[i] = fmt.Errorf("field: package person %s finger %d: %w", ps.Ref, k+1, terr)
					return
				}
				s.tpl = f.Template
				lazy[i] = append(lazy[i], s)
			case errors.Is(err, match.ErrStaleCandidate):
				errs[i] = fmt.Errorf("field: package person %s finger %d: %w: the node runs another version of the fingerprint engine than this kit; update one of them and pull again", ps.Ref, k+1, err)
				return
			default:
				errs[i] = fmt.Errorf("field: package person %s finger %d: %w", ps.Ref, k+1, err)
				return
			}
			samples[i] = append(samples[i], gallery.Sample[*sample]{Position: f.Position, Template: s})
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for i, ps := range p.Persons {
		if len(samples[i]) > 0 {
			m.g.Put(ps.Ref, samples[i])
		}
		m.watch[ps.Ref] = ps.Watch
		m.lazy = append(m.lazy, lazy[i]...)
	}
	m.n, _ = m.g.Len()
	return m, nil
}

// Persons returns the number of persons with fingers the matcher searches.
func (m *Matcher) Persons() int { return m.n }

// PackageID returns the ID of the package the matcher searches.
func (m *Matcher) PackageID() string { return m.id }

// Fingers returns the number of fingers ready to search and of fingers still to prepare
// (carried as templates, prepared on first use or by Warm).
func (m *Matcher) Fingers() (ready, pending int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, all := m.g.Len()
	for _, s := range m.lazy {
		if s.c.Load() == nil {
			pending++
		}
	}
	return all - pending, pending
}

// Warm prepares the fingers carried as templates, one at a time (so that it leaves the
// other cores to checks), until all are or ctx is done; a resident kit runs it after
// opening so that a probe of any finger position finds its fingers prepared.
func (m *Matcher) Warm(ctx context.Context) error {
	for _, s := range m.lazy {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.mu.RLock()
		if m.closed {
			m.mu.RUnlock()
			return ErrClosed
		}
		s.candidate()
		m.mu.RUnlock()
	}
	return nil
}

// Close erases the package from memory (its buffer is overwritten; see Package.Erase) and
// makes every later Check fail with ErrClosed. It waits for checks under way.
func (m *Matcher) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	m.pkg.Erase()
	m.g, m.watch, m.lazy, m.pkg = nil, nil, nil, nil
}

// Check searches probe fingers (native templates) against the package on all cores, each
// probe finger of known position against that position's fingers only (and those of
// unknown position). Of the persons above the threshold, the one with the highest watch
// level is answered (then the best score), so a less wanted record matching slightly better
// never turns red into yellow.
func (m *Matcher) Check(probes []Finger) (Result, error) {
	if len(probes) == 0 {
		return Result{}, errors.New("field: no probe finger")
	}
	ps := make([]gallery.Probe[*sample], 0, len(probes))
	for i, f := range probes {
		if f.Position < 0 || f.Position > 15 {
			return Result{}, &ProbeError{i + 1, fmt.Errorf("position %d: ISO positions are 0 (unknown) to 15", f.Position)}
		}
		var t fingerprint.Template
		if err := t.UnmarshalBinary(f.Template); err != nil {
			return Result{}, &ProbeError{i + 1, err}
		}
		p := match.Prepare(&t)
		ps = append(ps, gallery.Probe[*sample]{Position: f.Position, Score: func(s *sample) float64 { return p.Compare(s.candidate()) }})
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return Result{}, ErrClosed
	}
	thr := Threshold(len(ps), m.fpir/float64(max(m.n, 1)))
	res := Result{Watch: store.WatchNone, Threshold: math.Round(thr*100) / 100, Persons: m.n}
	if m.n > 0 {
		found, err := m.g.Search(ps, 10)
		if err != nil {
			return Result{}, err
		}
		for _, c := range found {
			if c.Score < thr {
				break
			}
			w := m.watch[c.Subject]
			if !res.Hit || w.Severity() > res.Watch.Severity() {
				res.Hit, res.Ref, res.Watch, res.Score = true, c.Subject, w, math.Round(c.Score*100)/100
			}
		}
	}
	res.Action = Action(res.Hit, res.Watch)
	return res, nil
}

// Threshold returns the fused calibrated score t at which k independent impostor scores
// reach rate p: scores are −10·log10(false match rate), so one is exponential with rate
// λ = ln10/10 and their sum Gamma(k, λ), P(S ≥ t) = e^(−λt) Σ_{i<k} (λt)^i / i!. It is the
// node's rule (server.identifyThreshold with p = FPIR / persons), so kit and node decide
// alike.
func Threshold(k int, p float64) float64 {
	k = max(k, 1)
	tail := func(t float64) float64 {
		x := math.Ln10 / 10 * t
		term, sum := 1.0, 1.0
		for i := 1; i < k; i++ {
			term *= x / float64(i)
			sum += term
		}
		return math.Exp(-x) * sum
	}
	lo, hi := 0.0, 10.0
	for tail(hi) > p {
		hi *= 2
	}
	for range 60 {
		mid := (lo + hi) / 2
		if tail(mid) > p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
