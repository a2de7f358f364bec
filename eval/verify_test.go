package eval

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const eps = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) <= eps || (math.IsNaN(a) && math.IsNaN(b)) }

func TestVerifyGolden(t *testing.T) {
	tests := []struct {
		name              string
		genuine, impostor []float64
		want              Verification
	}{
		{
			// Thresholds t (match ⇔ score ≥ t), FNMR = #{g<t}/4, FMR = #{i≥t}/5:
			//   t    0.1  0.2  0.3  0.35 0.4  0.7  0.75 0.8  0.9  above
			//   FNMR 0    0    0    .25  .25  .25  .5   .5   .75  1
			//   FMR  1    .8   .6   .6   .4   .2   .2   0    0    0
			// t1 = max{t | FNMR ≤ FMR} = 0.4 (.25 ≤ .4; at 0.7 .25 > .2)
			// t2 = min{t | FNMR ≥ FMR} = 0.7 (.25 ≥ .2)
			// FNMR(t1)+FMR(t1) = .65 > FMR(t2)+FNMR(t2) = .45
			//   ⇒ [EERlow, EERhigh] = [FMR(t2), FNMR(t2)] = [.2, .25], EER = .225.
			// FMR ≤ 1%, 0.1%, 0.01% and = 0 first at t = 0.8: FNMR .5.
			// FNMR = 0 last at t = 0.3: FMR .6.
			name:     "brief example",
			genuine:  []float64{0.9, 0.8, 0.7, 0.3},
			impostor: []float64{0.1, 0.2, 0.35, 0.4, 0.75},
			want: Verification{Genuine: 4, Impostor: 5,
				EER: 0.225, EERLow: 0.2, EERHigh: 0.25, EERThreshold: 0.7,
				FMR100: 0.5, FMR100Threshold: 0.8, FMR1000: 0.5, FMR1000Threshold: 0.8,
				FMR10000: 0.5, FMR10000Threshold: 0.8,
				ZeroFMR: 0.5, ZeroFMRThreshold: 0.8, ZeroFNMR: 0.6, ZeroFNMRThreshold: 0.3},
		},
		{
			//   t    0.1  0.2  0.3  0.35 0.5  0.6  0.8  above
			//   FNMR 0    0    0    0    1/3  1/3  2/3  1
			//   FMR  1    .75  .5   .25  .25  0    0    0
			// t1 = 0.35, t2 = 0.5; .25 ≤ 1/3+.25 ⇒ [FNMR(t1), FMR(t1)] = [0, .25].
			name:     "lower interval branch",
			genuine:  []float64{0.35, 0.6, 0.8},
			impostor: []float64{0.1, 0.2, 0.3, 0.5},
			want: Verification{Genuine: 3, Impostor: 4,
				EER: 0.125, EERLow: 0, EERHigh: 0.25, EERThreshold: 0.35,
				FMR100: 1.0 / 3, FMR100Threshold: 0.6, FMR1000: 1.0 / 3, FMR1000Threshold: 0.6,
				FMR10000: 1.0 / 3, FMR10000Threshold: 0.6,
				ZeroFMR: 1.0 / 3, ZeroFMRThreshold: 0.6, ZeroFNMR: 0.25, ZeroFNMRThreshold: 0.35},
		},
		{
			//   t    0.1  0.2  0.3  0.4  0.6  0.7  0.8  0.9  above
			//   FNMR 0    0    0    .25  .25  .5   .5   .75  1
			//   FMR  1    .75  .5   .5   .25  .25  0    0    0
			// FNMR = FMR = .25 at t = 0.6, so t1 = t2 = 0.6.
			name:     "exact crossing",
			genuine:  []float64{0.3, 0.6, 0.8, 0.9},
			impostor: []float64{0.1, 0.2, 0.4, 0.7},
			want: Verification{Genuine: 4, Impostor: 4,
				EER: 0.25, EERLow: 0.25, EERHigh: 0.25, EERThreshold: 0.6,
				FMR100: 0.5, FMR100Threshold: 0.8, FMR1000: 0.5, FMR1000Threshold: 0.8,
				FMR10000: 0.5, FMR10000Threshold: 0.8,
				ZeroFMR: 0.5, ZeroFMRThreshold: 0.8, ZeroFNMR: 0.5, ZeroFNMRThreshold: 0.3},
		},
		{
			// Separated: at t = 0.6 FNMR = FMR = 0.
			name:     "perfectly separated",
			genuine:  []float64{0.6, 0.7, 0.8, 0.9},
			impostor: []float64{0.1, 0.2, 0.3, 0.4},
			want: Verification{Genuine: 4, Impostor: 4,
				EERThreshold: 0.6, FMR100Threshold: 0.6, FMR1000Threshold: 0.6, FMR10000Threshold: 0.6,
				ZeroFMRThreshold: 0.6, ZeroFNMRThreshold: 0.6},
		},
		{
			// Ties with the threshold match: at t = 0.5 the impostor 0.5 is a
			// false match and both genuine 0.5 are matches.
			//   t    0.3  0.5  0.7  above
			//   FNMR 0    0    2/3  1
			//   FMR  1    .5   0    0
			// t1 = 0.5, t2 = 0.7; .5 ≤ 2/3 ⇒ [0, .5], EER = .25.
			name:     "ties",
			genuine:  []float64{0.5, 0.5, 0.7},
			impostor: []float64{0.5, 0.3},
			want: Verification{Genuine: 3, Impostor: 2,
				EER: 0.25, EERLow: 0, EERHigh: 0.5, EERThreshold: 0.5,
				FMR100: 2.0 / 3, FMR100Threshold: 0.7, FMR1000: 2.0 / 3, FMR1000Threshold: 0.7,
				FMR10000: 2.0 / 3, FMR10000Threshold: 0.7,
				ZeroFMR: 2.0 / 3, ZeroFMRThreshold: 0.7, ZeroFNMR: 0.5, ZeroFNMRThreshold: 0.5},
		},
		{
			// Identical sets: FNMR = FMR = .5 at t = 3.
			name:     "identical sets",
			genuine:  []float64{1, 2, 3, 4},
			impostor: []float64{4, 3, 2, 1},
			want: Verification{Genuine: 4, Impostor: 4,
				EER: 0.5, EERLow: 0.5, EERHigh: 0.5, EERThreshold: 3,
				FMR100: 1, FMR100Threshold: math.Nextafter(4, 5), FMR1000: 1, FMR1000Threshold: math.Nextafter(4, 5),
				FMR10000: 1, FMR10000Threshold: math.Nextafter(4, 5),
				ZeroFMR: 1, ZeroFMRThreshold: math.Nextafter(4, 5), ZeroFNMR: 1, ZeroFNMRThreshold: 1},
		},
		{
			// One score value for all: t1 = 0.5 (FNMR 0, FMR 1), t2 = above
			// (FNMR 1, FMR 0); equal sums ⇒ [0, 1], EER = .5.
			name:     "all equal",
			genuine:  []float64{0.5, 0.5},
			impostor: []float64{0.5, 0.5, 0.5},
			want: Verification{Genuine: 2, Impostor: 3,
				EER: 0.5, EERLow: 0, EERHigh: 1, EERThreshold: 0.5,
				FMR100: 1, FMR100Threshold: math.Nextafter(0.5, 1), FMR1000: 1, FMR1000Threshold: math.Nextafter(0.5, 1),
				FMR10000: 1, FMR10000Threshold: math.Nextafter(0.5, 1),
				ZeroFMR: 1, ZeroFMRThreshold: math.Nextafter(0.5, 1), ZeroFNMR: 1, ZeroFNMRThreshold: 0.5},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g0, i0 := slices.Clone(tc.genuine), slices.Clone(tc.impostor)
			got, err := Verify(tc.genuine, tc.impostor)
			if err != nil {
				t.Fatal(err)
			}
			if !verificationNear(got, tc.want) {
				t.Errorf("Verify =\n%+v\nwant\n%+v", got, tc.want)
			}
			if !slices.Equal(g0, tc.genuine) || !slices.Equal(i0, tc.impostor) {
				t.Error("Verify modified its input")
			}
		})
	}
}

func verificationNear(a, b Verification) bool {
	fa := []float64{a.EER, a.EERLow, a.EERHigh, a.EERThreshold, a.FMR100, a.FMR100Threshold, a.FMR1000, a.FMR1000Threshold,
		a.FMR10000, a.FMR10000Threshold, a.ZeroFMR, a.ZeroFMRThreshold, a.ZeroFNMR, a.ZeroFNMRThreshold}
	fb := []float64{b.EER, b.EERLow, b.EERHigh, b.EERThreshold, b.FMR100, b.FMR100Threshold, b.FMR1000, b.FMR1000Threshold,
		b.FMR10000, b.FMR10000Threshold, b.ZeroFMR, b.ZeroFMRThreshold, b.ZeroFNMR, b.ZeroFNMRThreshold}
	return a.Genuine == b.Genuine && a.Impostor == b.Impostor && slices.EqualFunc(fa, fb, near)
}

func TestVerifyOverlapping(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	g, im := make([]float64, 20000), make([]float64, 20000)
	for i := range g {
		g[i], im[i] = r.NormFloat64(), r.NormFloat64()
	}
	v, err := Verify(g, im)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(v.EER-0.5) > 0.01 || v.EERHigh-v.EERLow > 0.001 {
		t.Errorf("same distribution: %v", v)
	}
}

// TestVerifyBruteForce checks Verify against a direct O(n²) evaluation of the
// definitions on integer scores with many ties.
func TestVerifyBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := range 300 {
		g := make([]float64, 1+r.IntN(40))
		im := make([]float64, 1+r.IntN(300))
		shift := float64(r.IntN(8))
		for i := range g {
			g[i] = float64(r.IntN(12)) + shift
		}
		for i := range im {
			im[i] = float64(r.IntN(12))
		}
		got, err := Verify(g, im)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteVerify(g, im); !verificationNear(got, want) {
			t.Fatalf("iter %d: g=%v im=%v\n got %+v\nwant %+v", iter, g, im, got, want)
		}
		c, _ := DET(g, im)
		for _, p := range c {
			if p != brutePoint(g, im, p.Threshold) {
				t.Fatalf("iter %d: DET point %+v, want %+v", iter, p, brutePoint(g, im, p.Threshold))
			}
		}
	}
}

func brutePoint(g, im []float64, t float64) Point {
	var fr, fa int
	for _, s := range g {
		if s < t {
			fr++
		}
	}
	for _, s := range im {
		if s >= t {
			fa++
		}
	}
	return Point{t, float64(fa) / float64(len(im)), float64(fr) / float64(len(g))}
}

func bruteVerify(g, im []float64) Verification {
	ts := slices.Concat(g, im)
	slices.Sort(ts)
	ts = slices.Compact(ts)
	ts = append(ts, math.Nextafter(ts[len(ts)-1], math.Inf(1)))
	v := Verification{Genuine: len(g), Impostor: len(im)}
	var t1, t2 Point
	t2.Threshold = math.NaN()
	for _, t := range ts {
		p := brutePoint(g, im, t)
		if p.FNMR <= p.FMR {
			t1 = p // max t
		}
		if p.FNMR >= p.FMR && math.IsNaN(t2.Threshold) {
			t2 = p // min t
		}
	}
	if t1.FNMR+t1.FMR <= t2.FMR+t2.FNMR {
		v.EERLow, v.EERHigh, v.EERThreshold = t1.FNMR, t1.FMR, t1.Threshold
	} else {
		v.EERLow, v.EERHigh, v.EERThreshold = t2.FMR, t2.FNMR, t2.Threshold
	}
	v.EER = (v.EERLow + v.EERHigh) / 2
	best := func(ok func(Point) bool) Point { // lowest FNMR, then lowest threshold
		b := Point{FNMR: math.Inf(1)}
		for _, t := range ts {
			if p := brutePoint(g, im, t); ok(p) && p.FNMR < b.FNMR {
				b = p
			}
		}
		return b
	}
	p := best(func(p Point) bool { return p.FMR <= 0.01 })
	v.FMR100, v.FMR100Threshold = p.FNMR, p.Threshold
	p = best(func(p Point) bool { return p.FMR <= 0.001 })
	v.FMR1000, v.FMR1000Threshold = p.FNMR, p.Threshold
	p = best(func(p Point) bool { return p.FMR <= 0.0001 })
	v.FMR10000, v.FMR10000Threshold = p.FNMR, p.Threshold
	p = best(func(p Point) bool { return p.FMR == 0 })
	v.ZeroFMR, v.ZeroFMRThreshold = p.FNMR, p.Threshold
	b := Point{FMR: math.Inf(1)} // lowest FMR at FNMR = 0
	for _, t := range ts {
		if p := brutePoint(g, im, t); p.FNMR == 0 && p.FMR <= b.FMR {
			b = p
		}
	}
	v.ZeroFNMR, v.ZeroFNMRThreshold = b.FMR, b.Threshold
	return v
}

func TestDETGolden(t *testing.T) {
	c, err := DET([]float64{0.9, 0.8, 0.7, 0.3}, []float64{0.1, 0.2, 0.35, 0.4, 0.75})
	if err != nil {
		t.Fatal(err)
	}
	want := Curve{
		{0.1, 1, 0}, {0.2, 0.8, 0}, {0.3, 0.6, 0}, {0.35, 0.6, 0.25}, {0.4, 0.4, 0.25},
		{0.7, 0.2, 0.25}, {0.75, 0.2, 0.5}, {0.8, 0, 0.5}, {0.9, 0, 0.75}, {math.Nextafter(0.9, 1), 0, 1},
	}
	if !slices.Equal(c, want) {
		t.Errorf("DET =\n%v\nwant\n%v", c, want)
	}
	for _, tc := range []struct{ fmr, fnmr, thr float64 }{
		{1, 0, 0.1}, {0.8, 0, 0.2}, {0.7, 0, 0.3}, {0.6, 0, 0.3}, {0.5, 0.25, 0.4},
		{0.2, 0.25, 0.7}, {0.19, 0.5, 0.8}, {0, 0.5, 0.8}, {-0.1, math.NaN(), math.NaN()},
	} {
		p := c.AtFMR(tc.fmr)
		if !near(p.FNMR, tc.fnmr) || !near(p.Threshold, tc.thr) || !near(c.FNMRAt(tc.fmr), tc.fnmr) {
			t.Errorf("AtFMR(%v) = %+v, want FNMR %v at %v", tc.fmr, p, tc.fnmr, tc.thr)
		}
	}
	if got := Curve(nil).FNMRAt(0.1); !math.IsNaN(got) {
		t.Errorf("empty curve FNMRAt = %v, want NaN", got)
	}
}

func TestVerifyErrors(t *testing.T) {
	tests := []struct {
		name              string
		genuine, impostor []float64
		want              error
	}{
		{"nil", nil, nil, ErrEmpty},
		{"no genuine", nil, []float64{1}, ErrEmpty},
		{"no impostor", []float64{1}, []float64{}, ErrEmpty},
		{"NaN", []float64{math.NaN()}, []float64{1}, ErrScore},
		{"Inf", []float64{1}, []float64{math.Inf(-1)}, ErrScore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(tc.genuine, tc.impostor); !errors.Is(err, tc.want) {
				t.Errorf("Verify error = %v, want %v", err, tc.want)
			}
			if c, err := DET(tc.genuine, tc.impostor); !errors.Is(err, tc.want) || c != nil {
				t.Errorf("DET = %v, %v, want nil, %v", c, err, tc.want)
			}
		})
	}
}

func TestVerificationReport(t *testing.T) {
	v, _ := Verify([]float64{0.9, 0.8, 0.7, 0.3}, []float64{0.1, 0.2, 0.35, 0.4, 0.75})
	const want = "EER 22.50% [20.00%, 25.00%] FMR100 50.00% FMR1000 50.00% FMR10000 50.00% ZeroFMR 50.00% ZeroFNMR 60.00% (4 genuine, 5 impostor)"
	if got := v.String(); got != want {
		t.Errorf("String =\n%s\nwant\n%s", got, want)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"eer":0.225`, `"eer_low":0.2`, `"eer_high":0.25`, `"fmr100":0.5`, `"zero_fnmr":0.6`, `"genuine":4`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
	var back Verification
	if err := json.Unmarshal(b, &back); err != nil || back != v {
		t.Errorf("JSON round trip = %+v, %v", back, err)
	}
}

func benchScores(n int) (g, im []float64) {
	r := rand.New(rand.NewPCG(5, 6))
	g, im = make([]float64, n/10), make([]float64, n-n/10)
	for i := range g {
		g[i] = 3 + r.NormFloat64()
	}
	for i := range im {
		im[i] = r.NormFloat64()
	}
	return g, im
}

// BenchmarkVerify uses 1e6 scores: 1e5 genuine, 9e5 impostor.
func BenchmarkVerify(b *testing.B) {
	g, im := benchScores(1e6)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(g, im); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDET uses 1e6 scores: 1e5 genuine, 9e5 impostor.
func BenchmarkDET(b *testing.B) {
	g, im := benchScores(1e6)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DET(g, im); err != nil {
			b.Fatal(err)
		}
	}
}
