package synthtpl

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/biomesh/biomesh/fingerprint"
)

// stream runs generate on workers goroutines and returns the concatenated native templates.
func stream(t *testing.T, workers int, seed uint64, persons, fingers, impressions int) []byte {
	t.Helper()
	var buf bytes.Buffer
	next := 0
	err := generate(context.Background(), workers, seed, nil, persons, fingers, impressions,
		func(person, finger, impression int, tp *fingerprint.Template) error {
			if want := (person*fingers+finger)*impressions + impression; want != next {
				t.Fatalf("template %d/%d/%d out of order (position %d, want %d)", person, finger, impression, next, want)
			}
			next++
			return fingerprint.Encode(&buf, tp)
		})
	if err != nil {
		t.Fatal(err)
	}
	if next != persons*fingers*impressions {
		t.Fatalf("%d templates, want %d", next, persons*fingers*impressions)
	}
	return buf.Bytes()
}

func TestDeterminism(t *testing.T) {
	a := stream(t, 1, 42, 37, 3, 2)
	for _, w := range []int{2, 3, 8} {
		if b := stream(t, w, 42, 37, 3, 2); !bytes.Equal(a, b) {
			t.Errorf("%d workers: output differs from 1 worker's", w)
		}
	}
	if b := stream(t, 2, 43, 37, 3, 2); bytes.Equal(a, b) {
		t.Error("seeds 42 and 43 give the same output")
	}
	// Generate is Finger + Impression.
	p := DefaultParams()
	var want bytes.Buffer
	for person := range 37 {
		for f := range 3 {
			m := Finger(42, person, f, p)
			for k := range 2 {
				if err := fingerprint.Encode(&want, Impression(m, 42, k, p)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if !bytes.Equal(a, want.Bytes()) {
		t.Error("Generate differs from Finger + Impression")
	}
	// Impressions of different fingers under one seed are not alike.
	m0, m1 := Finger(1, 0, 0, p), Finger(1, 0, 1, p)
	i0, i1 := Impression(m0, 1, 0, p), Impression(m1, 1, 0, p)
	if len(i0.Minutiae) == len(i1.Minutiae) && i0.Quality == i1.Quality {
		t.Error("impressions of two fingers look correlated")
	}
}

func TestGenerateStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := generate(context.Background(), 2, 1, nil, 1000, 10, 1, func(int, int, int, *fingerprint.Template) error {
		if n++; n == 777 {
			return stop
		}
		return nil
	})
	if err != stop || n != 777 {
		t.Errorf("fn error: got %v after %d calls, want %v after 777", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = generate(ctx, 2, 1, nil, 1000, 10, 1, func(int, int, int, *fingerprint.Template) error {
		if n++; n == 100 {
			cancel()
		}
		return nil
	})
	if err != context.Canceled || n >= 10000 {
		t.Errorf("cancelled: got %v after %d calls", err, n)
	}
}

func TestStatistics(t *testing.T) {
	p := DefaultParams()
	var counts, icounts []float64
	var endings, total, smooth, pairs int
	var dirDiff float64
	for f := range 300 {
		m := Finger(5, f/10, f%10, p)
		if _, err := m.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, float64(len(m.Minutiae)))
		for i, a := range m.Minutiae {
			total++
			if a.Type == fingerprint.Ending {
				endings++
			}
			for _, b := range m.Minutiae[i+1:] {
				d := math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
				if d < p.MinSpacing {
					t.Fatalf("finger %d: minutiae %v and %v %.1f px apart", f, a, b, d)
				}
				if d < 30 {
					// Ridge orientation (direction modulo π) changes little between neighbours.
					o := math.Mod(math.Abs(a.Direction-b.Direction), math.Pi)
					o = min(o, math.Pi-o)
					dirDiff += o
					pairs++
					if o < math.Pi/8 {
						smooth++
					}
				}
			}
		}
		im := Impression(m, 5, 0, p)
		if _, err := im.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
		icounts = append(icounts, float64(len(im.Minutiae)))
		for i, a := range im.Minutiae {
			if a.X < p.BorderMargin || a.Y < p.BorderMargin || a.X >= p.Width-p.BorderMargin || a.Y >= p.Height-p.BorderMargin {
				t.Fatalf("impression of finger %d: minutia %v in the border", f, a)
			}
			for _, b := range im.Minutiae[i+1:] {
				if math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y)) < p.MinSpacing/2 {
					t.Fatalf("impression of finger %d: minutiae %v and %v on top of each other", f, a, b)
				}
			}
		}
	}
	mean := func(s []float64) (m, sd float64) {
		for _, v := range s {
			m += v
		}
		m /= float64(len(s))
		for _, v := range s {
			sd += (v - m) * (v - m)
		}
		return m, math.Sqrt(sd / float64(len(s)))
	}
	cm, csd := mean(counts)
	im, isd := mean(icounts)
	er := float64(endings) / float64(total)
	t.Logf("master minutiae %.1f ± %.1f; impression %.1f ± %.1f; endings %.2f; neighbours (< 30 px) orientation difference mean %.1f°, %.0f%% under 22.5°",
		cm, csd, im, isd, er, dirDiff/float64(pairs)*180/math.Pi, 100*float64(smooth)/float64(pairs))
	if math.Abs(cm-p.MinutiaeMean) > 4 || math.Abs(csd-p.MinutiaeSpread) > 4 {
		t.Errorf("master count %.1f ± %.1f, want about %g ± %g", cm, csd, p.MinutiaeMean, p.MinutiaeSpread)
	}
	if im < 24 || im > 52 {
		t.Errorf("impression count mean %.1f outside FVC's 24–52", im)
	}
	if math.Abs(er-p.EndingRatio) > 0.05 {
		t.Errorf("ending fraction %.2f, want about %g", er, p.EndingRatio)
	}
	// Random directions would give a mean of 45° and 50 % under 22.5°.
	if dirDiff/float64(pairs) > 15*math.Pi/180 || float64(smooth) < 0.8*float64(pairs) {
		t.Errorf("ridge flow not smooth: mean orientation difference between neighbours %.1f°, %.0f%% under 22.5°",
			dirDiff/float64(pairs)*180/math.Pi, 100*float64(smooth)/float64(pairs))
	}
}

func TestRolled(t *testing.T) {
	p := RolledParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	n, ni := 0, 0
	for f := range 50 {
		m := Finger(1, f, 0, p)
		n += len(m.Minutiae)
		ni += len(Impression(m, 1, 0, p).Minutiae)
	}
	t.Logf("rolled: master %d, impression %d minutiae on average", n/50, ni/50)
	if n/50 < 95 || n/50 > 125 || ni/50 < 60 {
		t.Errorf("rolled: master %d, impression %d minutiae on average, want about 110 and 75", n/50, ni/50)
	}
}

func TestBadParams(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("DefaultParams: %v", err)
	}
	cases := []struct {
		name string
		set  func(p *Params)
		want string
	}{
		{"zero", func(p *Params) { *p = Params{} }, "image size"},
		{"negative width", func(p *Params) { p.Width = -1 }, "image size"},
		{"huge image", func(p *Params) { p.Height = 1 << 20 }, "image size"},
		{"finger too big", func(p *Params) { p.FingerWidth = 1000 }, "larger than the image"},
		{"no minutiae", func(p *Params) { p.MinMinutiae = 0 }, "MinMinutiae"},
		{"max below min", func(p *Params) { p.MaxMinutiae = 10 }, "MaxMinutiae"},
		{"too many", func(p *Params) { p.MaxMinutiae = 5000 }, "MaxMinutiae"},
		{"mean out of range", func(p *Params) { p.MinutiaeMean = 500 }, "MinutiaeMean"},
		{"negative spread", func(p *Params) { p.MinutiaeSpread = -1 }, "MinutiaeSpread"},
		{"NaN", func(p *Params) { p.Distortion = math.NaN() }, "NaN"},
		{"packing", func(p *Params) { p.MaxMinutiae = 900; p.MinSpacing = 12 }, "do not fit"},
		{"missing ≥ 1", func(p *Params) { p.MissingMax = 1 }, "missing"},
		{"contact", func(p *Params) { p.ContactMin = 0 }, "contact"},
		{"ending ratio", func(p *Params) { p.EndingRatio = 1.5 }, "EndingRatio"},
	}
	for _, c := range cases {
		p := DefaultParams()
		c.set(p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error about %q", c.name, err, c.want)
		}
		if err := Generate(context.Background(), 1, p, 1, 1, 1, nil); err == nil {
			t.Errorf("%s: Generate accepted bad parameters", c.name)
		}
	}
	for _, n := range [][3]int{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {-5, 1, 1}, {1, 1 << 20, 1}, {1, 1, 1 << 20}} {
		if err := Generate(context.Background(), 1, nil, n[0], n[1], n[2], nil); err == nil {
			t.Errorf("counts %v accepted", n)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Finger accepted bad parameters")
		}
	}()
	Finger(1, 0, 0, &Params{})
}

func TestImpressionOfRealTemplate(t *testing.T) {
	// Any template can serve as a master; the master is left as it was.
	m := Finger(3, 0, 0, nil)
	c := slices.Clone(m.Minutiae)
	Impression(m, 3, 0, nil)
	if !slices.Equal(c, m.Minutiae) {
		t.Error("Impression modified the master")
	}
}
