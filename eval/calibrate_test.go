package eval

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func sample(n int, seed uint64, draw func(r *rand.Rand) float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 99))
	x := make([]float64, n)
	for i := range x {
		x[i] = draw(r)
	}
	return x
}

func checkMonotone(t *testing.T, c Calibration) {
	t.Helper()
	k := c.Knots
	if len(k) < 3 || k[0].Score != 0 || k[len(k)-1].Score != MaxScore {
		t.Fatalf("knots %v: want ≥ 3 knots from score 0 to %v", k, MaxScore)
	}
	for i := 1; i < len(k); i++ {
		if k[i].Raw < k[i-1].Raw || k[i].Score < k[i-1].Score {
			t.Fatalf("knots %d, %d not monotone: %v %v", i-1, i, k[i-1], k[i])
		}
	}
	lo, hi := k[0].Raw, k[len(k)-1].Raw
	prev := c.Apply(lo - 1)
	if prev != 0 || c.Apply(hi+1) != MaxScore || c.Apply(math.MaxFloat64) != MaxScore || c.Apply(-math.MaxFloat64) != 0 {
		t.Errorf("Apply outside the table: %v %v", prev, c.Apply(hi+1))
	}
	probe := []float64{}
	for i := 0; i <= 5000; i++ {
		probe = append(probe, lo+(hi-lo)*float64(i)/5000)
	}
	for _, kn := range k { // exact knots and their neighbours
		probe = append(probe, math.Nextafter(kn.Raw, math.Inf(-1)), kn.Raw, math.Nextafter(kn.Raw, math.Inf(1)))
	}
	for _, raw := range probe {
		s := c.Apply(raw)
		if s < 0 || s > MaxScore {
			t.Fatalf("Apply(%v) = %v out of [0, %v]", raw, s, MaxScore)
		}
	}
	// Non-decreasing on the sorted probe set.
	slices.Sort(probe)
	for _, raw := range probe {
		s := c.Apply(raw)
		if s < prev {
			t.Fatalf("Apply decreases at %v: %v < %v", raw, s, prev)
		}
		prev = s
	}
}

// TestCalibrationExponential fits impostors drawn from offset + Exp(λ), whose
// true score is 10·λ·(r−offset)/ln 10, and requires the fit within 1 dB from
// the lowest impostor to FMR 1e-7, ten times below the lowest FMR the 1e6
// scores can show. (The tail scale is estimated from 20000 scores, ±0.7%,
// i.e. ±0.4 dB at 70 dB.)
func TestCalibrationExponential(t *testing.T) {
	tests := []struct {
		name           string
		lambda, offset float64
		seed           uint64
	}{
		{"lambda 2", 2, 5, 1},
		{"lambda 0.05", 0.05, -100, 2},
	}
	const n = 1_000_000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := sample(n, tc.seed, func(r *rand.Rand) float64 { return tc.offset + r.ExpFloat64()/tc.lambda })
			c, err := FitCalibration(x)
			if err != nil {
				t.Fatal(err)
			}
			checkMonotone(t, c)
			tailStart := -10 * math.Log10(20000.0/n) // 17 dB
			limit := 10*math.Log10(n) + 10           // 70 dB
			for s := 0.0; s <= limit; s += 0.05 {
				raw := tc.offset + s*math.Ln10/10/tc.lambda
				got := c.Apply(raw)
				tol := 1.0
				if s < tailStart {
					tol = 0.25
				}
				if math.Abs(got-s) > tol {
					t.Fatalf("Apply(%v) = %.3f, true %.3f", raw, got, s)
				}
			}
			if got := c.Apply(tc.offset - 1); got != 0 {
				t.Errorf("below all impostors: %v", got)
			}
		})
	}
}

// TestCalibrationGaussian checks that a tail lighter than exponential is
// extrapolated conservatively (never more than 0.5 dB above the truth, far
// below it at large raw).
func TestCalibrationGaussian(t *testing.T) {
	x := sample(1_000_000, 3, (*rand.Rand).NormFloat64)
	c, err := FitCalibration(x)
	if err != nil {
		t.Fatal(err)
	}
	checkMonotone(t, c)
	truth := func(r float64) float64 { return -10 * math.Log10(math.Erfc(r/math.Sqrt2)/2) }
	for raw := -3.0; raw <= 7; raw += 0.01 {
		if got, want := c.Apply(raw), truth(raw); got > want+0.5 {
			t.Fatalf("Apply(%v) = %.2f, true %.2f: not conservative", raw, got, want)
		}
	}
	if got, want := c.Apply(6), truth(6); got > want-10 {
		t.Errorf("Apply(6) = %.2f, true %.2f: want ≥ 10 dB conservative", got, want)
	}
}

// TestCalibrationDiscrete uses integer raw scores (many ties): in the body,
// Apply at an observed integer r must match the empirical −10·log10 P(X ≥ r)
// exactly (to the table's 0.001 dB rounding) when r's run spans a grid level,
// and within the 0.5 dB grid step otherwise.
func TestCalibrationDiscrete(t *testing.T) {
	const n = 100_000
	x := sample(n, 4, func(r *rand.Rand) float64 { // Binomial(40, 0.15)
		k := 0
		for range 40 {
			if r.Float64() < 0.15 {
				k++
			}
		}
		return float64(k)
	})
	c, err := FitCalibration(x)
	if err != nil {
		t.Fatal(err)
	}
	checkMonotone(t, c)
	var count [41]int
	for _, v := range x {
		count[int(v)]++
	}
	ge := n // #{x ≥ r}
	exact := 0
	for r := 0; r <= 40 && ge >= 5000; r++ { // body: S ≥ 5%
		want := -10 * math.Log10(float64(ge)/n)
		span := -10*math.Log10(float64(ge-count[r]+1)/n) - want // dB between the run's ends
		tol := 0.5
		if span >= 1 {
			tol, exact = 0.001, exact+1
		}
		if got := c.Apply(float64(r)); math.Abs(got-want) > tol {
			t.Errorf("Apply(%d) = %.3f, empirical %.3f", r, got, want)
		}
		ge -= count[r]
	}
	if exact < 4 {
		t.Errorf("only %d exact runs", exact)
	}
}

func TestFitCalibrationErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  []float64
		want error
	}{
		{"nil", nil, ErrTooFew},
		{"too few", make([]float64, MinCalibrationScores-1), ErrTooFew},
		{"NaN", append(make([]float64, 99), math.NaN()), ErrScore},
		{"Inf", append(make([]float64, 99), math.Inf(1)), ErrScore},
		{"flat tail", make([]float64, 100), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FitCalibration(tc.raw)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || c.Knots != nil {
				t.Errorf("FitCalibration = %v, %v, want error %v", c, err, tc.want)
			}
		})
	}
	var empty Calibration
	if !math.IsNaN(empty.Apply(1)) {
		t.Error("empty calibration should give NaN")
	}
	c, _ := FitCalibration(sample(1000, 5, (*rand.Rand).ExpFloat64))
	if !math.IsNaN(c.Apply(math.NaN())) {
		t.Error("Apply(NaN) should be NaN")
	}
}

// TestCalibrationGoString parses the Go literal back and compares it with the
// fitted table bit for bit.
func TestCalibrationGoString(t *testing.T) {
	c, err := FitCalibration(sample(10_000, 6, func(r *rand.Rand) float64 { return r.NormFloat64() - 3 }))
	if err != nil {
		t.Fatal(err)
	}
	src := c.GoString()
	if !strings.HasPrefix(src, "eval.Calibration{Knots: []eval.Knot{\n\t{Raw: -") {
		t.Fatalf("GoString = %s", src)
	}
	expr, err := parser.ParseExpr(src)
	if err != nil {
		t.Fatalf("GoString is not Go: %v\n%s", err, src)
	}
	outer := expr.(*ast.CompositeLit)
	elts := outer.Elts[0].(*ast.KeyValueExpr).Value.(*ast.CompositeLit).Elts
	if len(elts) != len(c.Knots) {
		t.Fatalf("%d knots in source, want %d", len(elts), len(c.Knots))
	}
	num := func(e ast.Expr) float64 {
		sign := 1.0
		if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.SUB {
			sign, e = -1, u.X
		}
		v, err := strconv.ParseFloat(e.(*ast.BasicLit).Value, 64)
		if err != nil {
			t.Fatal(err)
		}
		return sign * v
	}
	for i, e := range elts {
		kv := e.(*ast.CompositeLit).Elts
		got := Knot{num(kv[0].(*ast.KeyValueExpr).Value), num(kv[1].(*ast.KeyValueExpr).Value)}
		if got != c.Knots[i] {
			t.Errorf("knot %d: source %v, fitted %v", i, got, c.Knots[i])
		}
	}
	if got := (Calibration{}).GoString(); got != "eval.Calibration{}" {
		t.Errorf("empty GoString = %q", got)
	}
	if s := c.String(); !strings.HasPrefix(s, "raw\tscore\n") || strings.Count(s, "\n") != len(c.Knots)+1 {
		t.Errorf("String = %q", s)
	}
	b, err := json.Marshal(c)
	var back Calibration
	if err != nil || json.Unmarshal(b, &back) != nil || len(back.Knots) != len(c.Knots) || back.Knots[3] != c.Knots[3] {
		t.Errorf("JSON round trip failed: %s, %v", b, err)
	}
}

func BenchmarkCalibrationApply(b *testing.B) {
	c, _ := FitCalibration(sample(1_000_000, 7, (*rand.Rand).ExpFloat64))
	raw := sample(1024, 8, func(r *rand.Rand) float64 { return 20 * r.Float64() })
	b.ResetTimer()
	var s float64
	for i := 0; b.Loop(); i++ {
		s += c.Apply(raw[i&1023])
	}
	_ = s
}

func BenchmarkFitCalibration(b *testing.B) {
	x := sample(1_000_000, 9, (*rand.Rand).ExpFloat64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitCalibration(x); err != nil {
			b.Fatal(err)
		}
	}
}
