package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Candidate is one gallery entry returned by a search.
type Candidate struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// Search is the candidate list returned for one probe, sorted by Score
// descending. Mated reports whether the probe's subject is enrolled in the
// gallery.
type Search struct {
	ProbeID    string      `json:"probe_id"`
	Mated      bool        `json:"mated"`
	Candidates []Candidate `json:"candidates"`
}

// Identification holds the outcome of a set of searches, from which rank and
// threshold metrics (NIST IREX/FRVT definitions) are derived. The candidate
// list length L is whatever the searches returned; to evaluate a shorter L,
// truncate the candidate lists before calling Identify.
type Identification struct {
	Mated    int `json:"mated"`     // number of mated searches
	NonMated int `json:"non_mated"` // number of non-mated searches

	// MateRanks[i] is the rank (1-based) of the mate in the i-th mated
	// search, or 0 if no mate was returned. Ties count against the mate: the
	// rank is 1 + the number of non-mate candidates scoring ≥ the best mate.
	MateRanks []int `json:"mate_ranks"`
	// MateScores[i] is the best mate score of the i-th mated search (0 when
	// MateRanks[i] is 0).
	MateScores []float64 `json:"mate_scores"`
	// NonMatedTop holds the top score of each non-mated search that returned
	// at least one candidate, sorted descending.
	NonMatedTop []float64 `json:"non_mated_top"`
}

// Identify evaluates searches. truth(probe, candidate) reports whether a
// candidate is a mate of the probe; it is consulted for every candidate.
// Identify returns an error if searches is empty, truth is nil, a score is
// NaN or infinite, a candidate list is not sorted by descending score, or a
// non-mated search returns a mate.
func Identify(searches []Search, truth func(probe, candidate string) bool) (Identification, error) {
	if len(searches) == 0 {
		return Identification{}, ErrEmpty
	}
	if truth == nil {
		return Identification{}, errors.New("eval: nil truth function")
	}
	var r Identification
	for _, s := range searches {
		c := s.Candidates
		mate := -1 // index of the first (best) mate
		for i, cd := range c {
			if math.IsNaN(cd.Score) || math.IsInf(cd.Score, 0) {
				return Identification{}, fmt.Errorf("%w (probe %q)", ErrScore, s.ProbeID)
			}
			if i > 0 && cd.Score > c[i-1].Score {
				return Identification{}, fmt.Errorf("eval: candidates of probe %q not sorted by descending score", s.ProbeID)
			}
			if mate < 0 && truth(s.ProbeID, cd.ID) {
				mate = i
			}
		}
		if !s.Mated {
			if mate >= 0 {
				return Identification{}, fmt.Errorf("eval: non-mated probe %q returned mate %q", s.ProbeID, c[mate].ID)
			}
			r.NonMated++
			if len(c) > 0 {
				r.NonMatedTop = append(r.NonMatedTop, c[0].Score)
			}
			continue
		}
		r.Mated++
		rank, score := 0, 0.0
		if mate >= 0 {
			score, rank = c[mate].Score, mate+1 // every candidate before the mate is a non-mate
			for _, cd := range c[mate+1:] {
				if cd.Score < score {
					break
				}
				if !truth(s.ProbeID, cd.ID) {
					rank++ // a non-mate tied with the mate
				}
			}
		}
		r.MateRanks = append(r.MateRanks, rank)
		r.MateScores = append(r.MateScores, score)
	}
	slices.SortFunc(r.NonMatedTop, func(a, b float64) int { return -cmpFloat(a, b) })
	return r, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// RankK returns the fraction of mated searches whose mate is at rank ≤ k
// (one point of the CMC curve), or NaN if there are no mated searches.
func (r Identification) RankK(k int) float64 {
	if r.Mated == 0 {
		return math.NaN()
	}
	n := 0
	for _, rk := range r.MateRanks {
		if rk >= 1 && rk <= k {
			n++
		}
	}
	return float64(n) / float64(r.Mated)
}

// CMC returns RankK(k) for k = 1..maxRank.
func (r Identification) CMC(maxRank int) []float64 {
	out := make([]float64, max(maxRank, 0))
	for k := range out {
		out[k] = r.RankK(k + 1)
	}
	return out
}

// FPIR returns the fraction of non-mated searches returning any candidate
// with score ≥ t, or NaN if there are no non-mated searches.
func (r Identification) FPIR(t float64) float64 {
	if r.NonMated == 0 {
		return math.NaN()
	}
	n := 0
	for _, s := range r.NonMatedTop {
		if s >= t {
			n++
		}
	}
	return float64(n) / float64(r.NonMated)
}

// FNIR returns the fraction of mated searches whose mate is not returned
// with score ≥ t, or NaN if there are no mated searches.
func (r Identification) FNIR(t float64) float64 {
	if r.Mated == 0 {
		return math.NaN()
	}
	n := 0
	for i, rk := range r.MateRanks {
		if rk == 0 || r.MateScores[i] < t {
			n++
		}
	}
	return float64(n) / float64(r.Mated)
}

// ThresholdAtFPIR returns the lowest threshold t with FPIR(t) ≤ fpir: with k
// the largest number of false positives allowed, t is just above the
// (k+1)-th highest non-mated top score, or −Inf if there are at most k of
// them. It returns NaN if there are no non-mated searches or fpir < 0.
func (r Identification) ThresholdAtFPIR(fpir float64) float64 {
	if r.NonMated == 0 || !(fpir >= 0) {
		return math.NaN()
	}
	if fpir >= 1 {
		return math.Inf(-1)
	}
	n := float64(r.NonMated)
	k := int(math.Floor(fpir * n))
	for k > 0 && float64(k)/n > fpir { // keep k consistent with FPIR's own division
		k--
	}
	for k < r.NonMated && float64(k+1)/n <= fpir {
		k++
	}
	if k >= len(r.NonMatedTop) {
		return math.Inf(-1)
	}
	return math.Nextafter(r.NonMatedTop[k], math.Inf(1))
}

// FNIRAtFPIR returns FNIR at ThresholdAtFPIR(fpir), or NaN if either is
// undefined.
func (r Identification) FNIRAtFPIR(fpir float64) float64 {
	t := r.ThresholdAtFPIR(fpir)
	if math.IsNaN(t) {
		return math.NaN()
	}
	return r.FNIR(t)
}

// String returns a one-line summary with rates in percent.
func (r Identification) String() string {
	return fmt.Sprintf("rank-1 %.2f%% rank-10 %.2f%% FNIR@FPIR=1%% %.2f%% FNIR@FPIR=0.1%% %.2f%% (%d mated, %d non-mated)",
		100*r.RankK(1), 100*r.RankK(10), 100*r.FNIRAtFPIR(0.01), 100*r.FNIRAtFPIR(0.001), r.Mated, r.NonMated)
}

// LeaveOneOut simulates non-mated searches for closed-set data (such as FVC,
// where every probe's subject is enrolled). It returns searches followed, for
// each mated search, by a non-mated copy (same ProbeID) whose candidate list
// has every mate removed according to truth — the search as it would be
// against the gallery without the probe's subject. Identify on the result
// measures FNIR on the original searches and FPIR on the copies, so the same
// probes serve both roles.
//
// The simulation is exact only if candidate scores do not depend on the
// gallery composition (no gallery-wide score normalisation) and candidate
// lists are longer than the number of mates: a list made only of mates
// becomes empty, hiding the non-mate that the smaller gallery would have
// returned, which biases FPIR low. Candidate slices are not modified; the
// returned searches share the input's candidate slices. A nil truth adds no
// copies.
func LeaveOneOut(searches []Search, truth func(probe, candidate string) bool) []Search {
	out := make([]Search, len(searches), 2*len(searches))
	copy(out, searches)
	for _, s := range searches {
		if !s.Mated || truth == nil {
			continue
		}
		var c []Candidate
		for _, cd := range s.Candidates {
			if !truth(s.ProbeID, cd.ID) {
				c = append(c, cd)
			}
		}
		out = append(out, Search{ProbeID: s.ProbeID, Candidates: c})
	}
	return out
}
