package eval

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// mates maps probe → mate ID; truthOf reports candidate == mate.
func truthOf(mates map[string]string) func(probe, candidate string) bool {
	return func(p, c string) bool { return mates[p] == c }
}

func goldenSearches() ([]Search, func(string, string) bool) {
	mates := map[string]string{"p1": "a", "p2": "c", "p3": "q", "p4": "h", "p5": "h"}
	return []Search{
		{ProbeID: "p1", Mated: true, Candidates: []Candidate{{"a", 0.9}, {"b", 0.5}}},             // rank 1, 0.9
		{ProbeID: "p2", Mated: true, Candidates: []Candidate{{"d", 0.8}, {"c", 0.7}, {"e", 0.1}}}, // rank 2, 0.7
		{ProbeID: "p3", Mated: true, Candidates: []Candidate{{"f", 0.6}}},                         // mate absent
		{ProbeID: "p4", Mated: true, Candidates: []Candidate{{"g", 0.5}, {"h", 0.5}}},             // tie: rank 2, 0.5
		{ProbeID: "p5", Mated: true, Candidates: []Candidate{{"h", 0.5}, {"g", 0.5}}},             // same tie, other order: rank 2
		{ProbeID: "n1", Candidates: []Candidate{{"x", 0.85}, {"y", 0.2}}},
		{ProbeID: "n2", Candidates: []Candidate{{"z", 0.4}}},
		{ProbeID: "n3"}, // no candidates: never a false positive
		{ProbeID: "n4", Candidates: []Candidate{{"w", 0.65}}},
	}, truthOf(mates)
}

func TestIdentifyGolden(t *testing.T) {
	s, truth := goldenSearches()
	r, err := Identify(s, truth)
	if err != nil {
		t.Fatal(err)
	}
	want := Identification{Mated: 5, NonMated: 4,
		MateRanks:   []int{1, 2, 0, 2, 2},
		MateScores:  []float64{0.9, 0.7, 0, 0.5, 0.5},
		NonMatedTop: []float64{0.85, 0.65, 0.4}}
	if r.Mated != want.Mated || r.NonMated != want.NonMated || !slices.Equal(r.MateRanks, want.MateRanks) ||
		!slices.Equal(r.MateScores, want.MateScores) || !slices.Equal(r.NonMatedTop, want.NonMatedTop) {
		t.Fatalf("Identify = %+v, want %+v", r, want)
	}
	if got := r.CMC(3); !slices.EqualFunc(got, []float64{0.2, 0.8, 0.8}, near) {
		t.Errorf("CMC(3) = %v", got)
	}
	for _, tc := range []struct{ k, want float64 }{{0, 0}, {1, 0.2}, {2, 0.8}, {10, 0.8}} {
		if got := r.RankK(int(tc.k)); !near(got, tc.want) {
			t.Errorf("RankK(%v) = %v, want %v", tc.k, got, tc.want)
		}
	}
	// Non-mated tops .85 .65 .4 of 4 searches; mate scores .9 .7 – .5 .5.
	for _, tc := range []struct{ t, fpir, fnir float64 }{
		{0.9, 0, 0.2 * 4}, // mates ≥ .9: p1 only
		{0.7, 0.25, 0.6},  // p1, p2
		{0.5, 0.5, 0.2},   // p1 p2 p4 p5 (ties with t count)
		{0.4, 0.75, 0.2},
		{math.Inf(-1), 0.75, 0.2}, // p3's mate was never returned
	} {
		if got := r.FPIR(tc.t); !near(got, tc.fpir) {
			t.Errorf("FPIR(%v) = %v, want %v", tc.t, got, tc.fpir)
		}
		if got := r.FNIR(tc.t); !near(got, tc.fnir) {
			t.Errorf("FNIR(%v) = %v, want %v", tc.t, got, tc.fnir)
		}
	}
	// k = ⌊fpir·4⌋ false positives allowed ⇒ threshold just above the
	// (k+1)-th highest non-mated top score.
	for _, tc := range []struct{ fpir, thr, fnir float64 }{
		{0, math.Nextafter(0.85, 1), 0.8},    // k=0: only p1's .9 ≥ t
		{0.2, math.Nextafter(0.85, 1), 0.8},  // k=0
		{0.25, math.Nextafter(0.65, 1), 0.6}, // k=1: p1, p2
		{0.29, math.Nextafter(0.65, 1), 0.6}, // k=1
		{0.5, math.Nextafter(0.4, 1), 0.2},   // k=2: p1 p2 p4 p5
		{0.75, math.Inf(-1), 0.2},            // k=3 ≥ 3 non-empty: any t
		{1, math.Inf(-1), 0.2},               //
		{-0.1, math.NaN(), math.NaN()},       // invalid target
		{math.NaN(), math.NaN(), math.NaN()}, //
		{math.Inf(1), math.Inf(-1), 0.2},     //
	} {
		if got := r.ThresholdAtFPIR(tc.fpir); !near(got, tc.thr) && got != tc.thr {
			t.Errorf("ThresholdAtFPIR(%v) = %v, want %v", tc.fpir, got, tc.thr)
		}
		if got := r.FNIRAtFPIR(tc.fpir); !near(got, tc.fnir) {
			t.Errorf("FNIRAtFPIR(%v) = %v, want %v", tc.fpir, got, tc.fnir)
		}
		if thr := r.ThresholdAtFPIR(tc.fpir); !math.IsNaN(thr) && r.FPIR(thr) > tc.fpir {
			t.Errorf("FPIR(ThresholdAtFPIR(%v)) = %v exceeds target", tc.fpir, r.FPIR(thr))
		}
	}
	const wantStr = "rank-1 20.00% rank-10 80.00% FNIR@FPIR=1% 80.00% FNIR@FPIR=0.1% 80.00% (5 mated, 4 non-mated)"
	if got := r.String(); got != wantStr {
		t.Errorf("String =\n%s\nwant\n%s", got, wantStr)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"mate_ranks":[1,2,0,2,2]`) {
		t.Errorf("JSON = %s, %v", b, err)
	}
}

// TestThresholdAtFPIRRounding checks targets whose product with the count is
// not exact in floating point (0.29·100 = 28.999…).
func TestThresholdAtFPIRRounding(t *testing.T) {
	r := Identification{NonMated: 100}
	for i := range 100 {
		r.NonMatedTop = append(r.NonMatedTop, float64(100-i)) // 100 … 1
	}
	for _, f := range []float64{0.07, 0.29, 0.57, 0.58} {
		thr := r.ThresholdAtFPIR(f)
		if got := r.FPIR(thr); got > f || got < f-0.005 {
			t.Errorf("FPIR(ThresholdAtFPIR(%v)) = %v", f, got)
		}
	}
}

func TestIdentifyNoNonMated(t *testing.T) {
	s, truth := goldenSearches()
	r, err := Identify(s[:5], truth)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(r.FPIR(0.5)) || !math.IsNaN(r.FNIRAtFPIR(0.01)) || !math.IsNaN(r.ThresholdAtFPIR(0.01)) {
		t.Error("FPIR metrics without non-mated searches should be NaN")
	}
	r, _ = Identify(s[5:], truth)
	if !math.IsNaN(r.RankK(1)) || !math.IsNaN(r.FNIR(0)) {
		t.Error("rank metrics without mated searches should be NaN")
	}
}

func TestLeaveOneOut(t *testing.T) {
	// Closed set: every probe is mated; gallery entries "s1", "s1b" belong to
	// subject 1 (two impressions), "s2", "s3" to subjects 2 and 3.
	subject := map[string]string{"s1": "1", "s1b": "1", "s2": "2", "s3": "3", "p1": "1", "p2": "2", "p3": "3"}
	truth := func(p, c string) bool { return subject[p] == subject[c] }
	in := []Search{
		{ProbeID: "p1", Mated: true, Candidates: []Candidate{{"s1", 0.9}, {"s2", 0.3}, {"s1b", 0.2}, {"s3", 0.1}}},
		{ProbeID: "p2", Mated: true, Candidates: []Candidate{{"s1", 0.6}, {"s2", 0.5}, {"s3", 0.4}}},
		{ProbeID: "p3", Mated: true, Candidates: []Candidate{{"s3", 0.8}}}, // only its mate: empty after removal
	}
	out := LeaveOneOut(in, truth)
	want := []Search{
		in[0], in[1], in[2],
		{ProbeID: "p1", Candidates: []Candidate{{"s2", 0.3}, {"s3", 0.1}}},
		{ProbeID: "p2", Candidates: []Candidate{{"s1", 0.6}, {"s3", 0.4}}},
		{ProbeID: "p3"},
	}
	if len(out) != len(want) {
		t.Fatalf("LeaveOneOut returned %d searches, want %d", len(out), len(want))
	}
	for i := range want {
		if out[i].ProbeID != want[i].ProbeID || out[i].Mated != want[i].Mated || !slices.Equal(out[i].Candidates, want[i].Candidates) {
			t.Errorf("search %d = %+v, want %+v", i, out[i], want[i])
		}
	}
	r, err := Identify(out, truth)
	if err != nil {
		t.Fatal(err)
	}
	if r.Mated != 3 || r.NonMated != 3 || !slices.Equal(r.NonMatedTop, []float64{0.6, 0.3}) {
		t.Errorf("Identify(LeaveOneOut) = %+v", r)
	}
	// FPIR ≤ 1/3 ⇒ t just above .3: mates .9 (p1) and .8 (p3) pass, p2's .5 too.
	if got := r.FNIRAtFPIR(1.0 / 3); !near(got, 0) {
		t.Errorf("FNIRAtFPIR(1/3) = %v, want 0", got)
	}
	// FPIR = 0 ⇒ t just above .6: p2's mate .5 misses.
	if got := r.FNIRAtFPIR(0); !near(got, 1.0/3) {
		t.Errorf("FNIRAtFPIR(0) = %v, want 1/3", got)
	}
	if in[0].Candidates[0].ID != "s1" || len(in[0].Candidates) != 4 {
		t.Error("LeaveOneOut modified its input")
	}
}

func TestIdentifyErrors(t *testing.T) {
	truth := truthOf(map[string]string{"p": "a"})
	tests := []struct {
		name     string
		searches []Search
		truth    func(string, string) bool
		want     string
	}{
		{"empty", nil, truth, "empty"},
		{"nil truth", []Search{{ProbeID: "p"}}, nil, "nil truth"},
		{"NaN", []Search{{ProbeID: "p", Mated: true, Candidates: []Candidate{{"a", math.NaN()}}}}, truth, "NaN"},
		{"unsorted", []Search{{ProbeID: "p", Mated: true, Candidates: []Candidate{{"b", 0.1}, {"a", 0.2}}}}, truth, "sorted"},
		{"mate in non-mated", []Search{{ProbeID: "p", Candidates: []Candidate{{"a", 0.2}}}}, truth, "non-mated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Identify(tc.searches, tc.truth)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Identify error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Identify(nil, truth); !errors.Is(err, ErrEmpty) {
		t.Errorf("Identify(nil) error = %v, want ErrEmpty", err)
	}
}
