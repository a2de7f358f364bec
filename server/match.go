package server

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"

	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/store"
)

// fingerGallery is the in-memory 1:N gallery of enrolled fingers, keyed by person ID.
type fingerGallery struct {
	g *gallery.Gallery[*match.Candidate]
	// rederived counts the search forms load derived from templates (stored forms absent or
	// of another engine version); saveErr is why they could not be saved, if they could not.
	rederived int
	saveErr   error
}

func newFingerGallery() *fingerGallery {
	return &fingerGallery{g: gallery.New[*match.Candidate]()}
}

// load fills the gallery from the store. Templates are decoded and prepared on all cores;
// the store streams them in ID order, so each person's samples arrive in enrolment order.
func (f *fingerGallery) load(ctx context.Context, st store.Store) error {
	// A large gallery is a million small allocations made in a few seconds, nearly all of
	// which stay live: collecting at the default pace would rescan the growing heap many
	// times over. Collect less often while loading.
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	type item struct {
		person        string
		pos           int
		tpl, prepared []byte
		id            int64
	}
	type done struct {
		person string
		s      gallery.Sample[*match.Candidate]
		stale  int64 // the sample's ID when its stored form was not this engine's
	}
	workers := runtime.GOMAXPROCS(0)
	in := make(chan []item, workers*2)
	out := make(chan []done, workers*2)
	var wg sync.WaitGroup
	var firstErr error
	var errMu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range in {
				res := make([]done, 0, len(batch))
				cands := make([]match.Candidate, len(batch)) // one allocation per batch
				for k, it := range batch {
					// The stored gallery form, when it is of this engine's version; else the
					// candidate is derived from the template again. The sample's bytes are
					// the callback's to keep (sqlite.DB.EachTemplate), so the candidate keeps
					// them rather than a copy.
					if c := &cands[k]; len(it.prepared) > 0 && c.UnmarshalShared(it.prepared) == nil {
						res = append(res, done{it.person, gallery.Sample[*match.Candidate]{Position: it.pos, Template: c}, 0})
						continue
					}
					var t fingerprint.Template
					if err := t.UnmarshalBinary(it.tpl); err != nil {
						errMu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("sample %d of person %s: %w", it.id, it.person, err)
						}
						errMu.Unlock()
						continue
					}
					res = append(res, done{it.person, gallery.Sample[*match.Candidate]{Position: it.pos, Template: match.NewCandidate(&t)}, it.id})
				}
				out <- res
			}
		}()
	}
	// Collect results into per-person sample lists, then put each person once.
	byPerson := map[string][]gallery.Sample[*match.Candidate]{}
	var order []string
	var stale []store.PreparedForm
	collected := make(chan struct{})
	go func() {
		for res := range out {
			for _, d := range res {
				if d.stale != 0 {
					b, _ := d.s.Template.MarshalBinary()
					stale = append(stale, store.PreparedForm{SampleID: d.stale, Prepared: b})
				}
				if _, ok := byPerson[d.person]; !ok {
					order = append(order, d.person)
				}
				byPerson[d.person] = append(byPerson[d.person], d.s)
			}
		}
		close(collected)
	}()
	const batchLen = 512
	batch := make([]item, 0, batchLen)
	err := st.EachTemplate(ctx, store.Finger, func(s store.Sample) error {
		batch = append(batch, item{s.PersonID, s.Position, s.Template, s.Prepared, s.ID})
		if len(batch) == batchLen {
			in <- batch
			batch = make([]item, 0, batchLen)
		}
		return nil
	})
	if len(batch) > 0 {
		in <- batch
	}
	close(in)
	wg.Wait()
	close(out)
	<-collected
	if err != nil {
		return err
	}
	if firstErr != nil {
		return firstErr
	}
	for _, p := range order {
		f.g.Put(p, byPerson[p])
	}
	// Forms derived anew (stored before an engine upgrade, or never) are saved for the next
	// start. Failing to save them costs only time at that start.
	f.rederived = len(stale)
	if ps, ok := st.(store.PreparedSaver); ok && len(stale) > 0 {
		const chunk = 5000
		for len(stale) > 0 {
			n := min(chunk, len(stale))
			if err := ps.SetPrepared(ctx, stale[:n]); err != nil {
				f.saveErr = err
				break
			}
			stale = stale[n:]
		}
	}
	return nil
}

// add puts a person's new finger samples into the gallery.
func (f *fingerGallery) add(person string, samples []*sample) {
	var add []gallery.Sample[*match.Candidate]
	for _, s := range samples {
		if s.cand != nil {
			add = append(add, gallery.Sample[*match.Candidate]{Position: s.rec.Position, Template: s.cand})
		}
	}
	if len(add) > 0 {
		f.g.Add(person, add...)
	}
}

// probes turns finger samples into gallery probes (prepared once, shared by all workers).
func fingerProbes(samples []*sample) []gallery.Probe[*match.Candidate] {
	var ps []gallery.Probe[*match.Candidate]
	for _, s := range samples {
		if s.finger == nil {
			continue
		}
		p := match.Prepare(s.finger)
		ps = append(ps, gallery.Probe[*match.Candidate]{Position: s.rec.Position, Score: p.Compare})
	}
	return ps
}

// candidate is one person of a fused candidate list.
type candidate struct {
	PersonID string             `json:"person_id"`
	Score    float64            `json:"score"`
	Fingers  []float64          `json:"finger_scores,omitempty"` // per probe finger, in request order
	Iris     float64            `json:"iris_score,omitempty"`    // the irises' part of Score
	Face     float64            `json:"face_score,omitempty"`    // the faces' part of Score
	DNA      float64            `json:"dna_score,omitempty"`     // the DNA profiles' part of Score
	Person   *store.Person      `json:"person,omitempty"`        // for callers who may see it
	Watch    store.WatchLevel   `json:"watch,omitempty"`
	perMod   map[string]float64 // modality → fused score
}

// search runs the probe samples against every modality's gallery and fuses the results by
// adding calibrated scores per person. It returns the k best persons, best first, and the
// number of probe samples that took part (the fusion's degrees of freedom).
func (s *Server) search(samples []*sample, k int) ([]candidate, int, error) {
	probes := fingerProbes(samples)
	dnaScores, dnaProbes := s.searchDNA(samples)
	irisScores, irisProbes, err := s.searchIrises(samples, max(k, 50))
	if err != nil {
		return nil, 0, err
	}
	faceScores, faceProbes, err := s.searchFaces(samples, max(k, 50))
	if err != nil {
		return nil, 0, err
	}
	if len(probes) == 0 && dnaProbes == 0 && irisProbes == 0 && faceProbes == 0 {
		return nil, 0, bad(422, "no searchable sample: fingers, irises, faces (with a face engine) and DNA profiles (with frequency tables) are searched on this node")
	}
	var out []candidate
	if subjects, _ := s.fingers.g.Len(); len(probes) > 0 && subjects > 0 {
		// Ask each modality for more than k so that fusion across modalities rarely misses a
		// person who is strong in one and absent from another's top list.
		found, err := s.fingers.g.Search(probes, max(k, 50))
		if err != nil {
			return nil, 0, err
		}
		out = make([]candidate, 0, len(found))
		for _, c := range found {
			out = append(out, candidate{PersonID: c.Subject, Score: c.Score, Fingers: c.Scores, perMod: map[string]float64{"finger": c.Score}})
		}
	}
	// Other modalities add on the same scale; a person found by one of them alone is a
	// candidate too.
	out = fuseModality(out, irisScores, "iris")
	out = fuseModality(out, faceScores, "face")
	out = fuseModality(out, dnaScores, "dna")
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > k {
		out = out[:k]
	}
	return out, len(probes) + irisProbes + faceProbes + dnaProbes, nil
}

// fuseModality adds one modality's fused score per person to the candidates (and makes
// candidates of persons only it found).
func fuseModality(out []candidate, scores map[string]float64, modality string) []candidate {
	set := func(c *candidate, sc float64) {
		c.Score += sc
		c.perMod[modality] = sc
		switch modality {
		case "iris":
			c.Iris = round2(sc)
		case "face":
			c.Face = round2(sc)
		case "dna":
			c.DNA = round2(sc)
		}
	}
	for i := range out {
		if sc, ok := scores[out[i].PersonID]; ok {
			set(&out[i], sc)
			delete(scores, out[i].PersonID)
		}
	}
	for id, sc := range scores {
		c := candidate{PersonID: id, perMod: map[string]float64{}}
		set(&c, sc)
		out = append(out, c)
	}
	return out
}

// searchRecent compares the samples against persons enrolled since the recent log's
// sequence number seq (see recentLog) and returns the best of them, if any.
func (s *Server) searchRecent(samples []*sample, since uint64) []candidate {
	probes := fingerProbes(samples)
	if len(probes) == 0 {
		return nil
	}
	var out []candidate
	for _, e := range s.recent.since(since) {
		g := gallery.New[*match.Candidate]()
		g.Put(e.person, e.fingers)
		found, err := g.Search(probes, 1)
		if err != nil || len(found) == 0 {
			continue
		}
		out = append(out, candidate{PersonID: e.person, Score: found[0].Score, Fingers: found[0].Scores})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// recentLog remembers the finger samples of the last enrolments, so that an enrolment can
// be checked against persons enrolled while its main search was running (see enrolMu).
type recentLog struct {
	mu      sync.Mutex
	seq     uint64
	entries []recentEntry
}

type recentEntry struct {
	seq     uint64
	person  string
	fingers []gallery.Sample[*match.Candidate]
}

func newRecentLog() *recentLog { return &recentLog{} }

// mark returns the current sequence number.
func (l *recentLog) mark() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

func (l *recentLog) add(person string, samples []*sample) {
	var fs []gallery.Sample[*match.Candidate]
	for _, s := range samples {
		if s.cand != nil {
			fs = append(fs, gallery.Sample[*match.Candidate]{Position: s.rec.Position, Template: s.cand})
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	l.entries = append(l.entries, recentEntry{l.seq, person, fs})
	// Keep the last 1,024: a main search takes well under the time 1,024 enrolments need.
	if len(l.entries) > 1024 {
		l.entries = append(l.entries[:0:0], l.entries[len(l.entries)-1024:]...)
	}
}

func (l *recentLog) since(seq uint64) []recentEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq > seq })
	return append([]recentEntry(nil), l.entries[i:]...)
}

// lambda is the rate of the impostor score distribution on the calibrated scale:
// P(score ≥ x) = 10^(−x/10) = e^(−λx).
var lambda = math.Ln10 / 10

// fusedTail returns P(S ≥ t) for the sum S of k independent impostor scores on the
// calibrated scale: S is Gamma(k, λ), so P(S ≥ t) = e^(−λt) Σ_{i<k} (λt)^i / i!.
func fusedTail(k int, t float64) float64 {
	if t <= 0 {
		return 1
	}
	x := lambda * t
	term, sum := 1.0, 1.0
	for i := 1; i < k; i++ {
		term *= x / float64(i)
		sum += term
	}
	return math.Exp(-x) * sum
}

// threshold returns the fused score at which k independent impostor scores reach rate p
// (P(S ≥ t) = p), by bisection.
func threshold(k int, p float64) float64 {
	if k < 1 {
		k = 1
	}
	lo, hi := 0.0, 10.0
	for fusedTail(k, hi) > p {
		hi *= 2
	}
	for range 60 {
		mid := (lo + hi) / 2
		if fusedTail(k, mid) > p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// identifyThreshold is the fused score above which a 1:N search of k probe samples against
// n persons is a hit at the configured FPIR: each of the n non-mated persons may exceed it
// with probability FPIR/n.
func (s *Server) identifyThreshold(k, n int) float64 {
	return threshold(k, s.cfg.FPIR/float64(max(n, 1)))
}

// verifyThreshold is the fused score above which a 1:1 comparison of k probe samples is a
// match at the configured FMR.
func (s *Server) verifyThreshold(k int) float64 {
	return threshold(k, s.cfg.FMR)
}
