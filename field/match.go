package field

import (
	"errors"
	"fmt"
	"math"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/store"
)

// Matcher answers hit/no-hit against a decrypted package, in memory only.
type Matcher struct {
	g     *gallery.Gallery[*match.Candidate]
	watch map[string]store.WatchLevel
	fpir  float64
	n     int
}

// NewMatcher prepares a package's templates for search.
func NewMatcher(p *Package) (*Matcher, error) {
	m := &Matcher{g: gallery.New[*match.Candidate](), watch: make(map[string]store.WatchLevel, len(p.Persons)), fpir: p.FPIR}
	for _, ps := range p.Persons {
		samples := make([]gallery.Sample[*match.Candidate], 0, len(ps.Fingers))
		for i, f := range ps.Fingers {
			var t fingerprint.Template
			if err := t.UnmarshalBinary(f.Template); err != nil {
				return nil, fmt.Errorf("field: package person %s finger %d: %w", ps.Ref, i, err)
			}
			samples = append(samples, gallery.Sample[*match.Candidate]{Position: f.Position, Template: match.NewCandidate(&t)})
		}
		if len(samples) > 0 {
			m.g.Put(ps.Ref, samples)
		}
		m.watch[ps.Ref] = ps.Watch
	}
	m.n, _ = m.g.Len()
	return m, nil
}

// Persons returns the number of persons with fingers the matcher searches.
func (m *Matcher) Persons() int { return m.n }

// Check searches probe fingers (native templates) against the package. Of the persons above
// the threshold, the one with the highest watch level is answered (then the best score),
// so a less wanted record matching slightly better never turns red into yellow.
func (m *Matcher) Check(probes []Finger) (Result, error) {
	if len(probes) == 0 {
		return Result{}, errors.New("field: no probe finger")
	}
	ps := make([]gallery.Probe[*match.Candidate], 0, len(probes))
	for i, f := range probes {
		var t fingerprint.Template
		if err := t.UnmarshalBinary(f.Template); err != nil {
			return Result{}, fmt.Errorf("field: probe finger %d: %w", i+1, err)
		}
		ps = append(ps, gallery.Probe[*match.Candidate]{Position: f.Position, Score: match.Prepare(&t).Compare})
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
