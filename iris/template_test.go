package iris

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// randomTemplate returns a template with random bits, a mask of about frac valid bits.
func randomTemplate(rng *rand.Rand, frac float64) *Template {
	p := &defaultParams
	w := codeWords(p)
	t := &Template{Width: 320, Height: 280, Eye: EyeLeft, Quality: 70,
		Pupil: Circle{160, 140, 35}, Iris: Circle{161, 139, 100},
		Rows: p.codeRows, Cols: p.codeCols, Code: make([]uint64, w), Mask: make([]uint64, w)}
	for i := range t.Code {
		t.Code[i] = rng.Uint64()
		for b := range 64 {
			if rng.Float64() < frac {
				t.Mask[i] |= 1 << b
			}
		}
	}
	return t
}

func TestTemplateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tp := randomTemplate(rng, 0.8)
	b, err := tp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := templateHeader + 16*codeWords(&defaultParams); len(b) != want {
		t.Errorf("%d bytes, want %d", len(b), want)
	}
	var back Template
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := back.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Error("round trip changed the template")
	}
	stale := append([]byte(nil), b...)
	for _, v := range []byte{1, 2, 3, templateVersion + 1} { // versions 1 to 3 sampled other rings of the iris
		stale[3] = v
		if err := back.UnmarshalBinary(stale); !errors.Is(err, ErrStaleTemplate) {
			t.Errorf("version %d: %v, want ErrStaleTemplate", v, err)
		}
	}
	for _, n := range []int{0, 3, 10, templateHeader, len(b) - 1} {
		if err := back.UnmarshalBinary(b[:n]); err == nil {
			t.Errorf("%d-byte prefix accepted", n)
		}
	}
}

func FuzzUnmarshalTemplate(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 6))
	b, _ := randomTemplate(rng, 0.7).MarshalBinary()
	f.Add(b)
	f.Add(b[:templateHeader])
	f.Add([]byte("BIC\x01"))
	f.Add([]byte("BIC\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tp Template
		if err := tp.UnmarshalBinary(data); err != nil {
			return
		}
		// Whatever decodes must compare and encode back to the same bytes.
		p := Prepare(&tp)
		if s := p.Compare(&tp); s != s {
			t.Fatal("NaN score")
		}
		out, err := tp.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, data) {
			t.Fatal("decoded template does not encode back to its input")
		}
	})
}

// TestRotateAndShift turns a real (synthetic-eye) code: the coarse-to-fine shift search
// relies on the smoothness of iris codes along the angle, which random bits lack.
func TestRotateAndShift(t *testing.T) {
	a, _, err := Extract(Synthesize(SynthEye{Texture: 5, Capture: 1}), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, shift := range []int{-8, -7, -5, -3, 0, 1, 2, 4, 7, 8} {
		b := *a
		b.Code, b.Mask = make([]uint64, len(a.Code)), make([]uint64, len(a.Code))
		rotate(b.Code, a.Code, a.Rows, a.Cols, shift)
		rotate(b.Mask, a.Mask, a.Rows, a.Cols, shift)
		r := Prepare(a).Detail(&b)
		if r.Raw != 0 || r.Shift != shift {
			t.Errorf("turned by %d: raw distance %.3f at shift %d, want 0 at %d", shift, r.Raw, r.Shift, shift)
		}
		back := make([]uint64, len(a.Code))
		rotate(back, b.Code, a.Rows, a.Cols, -shift)
		for i := range back {
			if back[i] != a.Code[i] {
				t.Fatalf("rotate by %d and back is not the identity", shift)
			}
		}
	}
	// Independent codes: about half the bits differ.
	c := randomTemplate(rand.New(rand.NewPCG(7, 8)), 0.9)
	if r := Prepare(a).Detail(c); r.Raw < 0.4 || r.Raw > 0.55 {
		t.Errorf("independent codes at raw distance %.3f", r.Raw)
	}
}

// TestNormalisation checks Daugman's normalisation: equal raw distances on fewer bits are
// pulled towards 0.5.
func TestNormalisation(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	a := randomTemplate(rng, 0.95)
	b := *a
	b.Code = append([]uint64(nil), a.Code...)
	for i := range b.Code {
		b.Code[i] ^= rng.Uint64() & rng.Uint64() & rng.Uint64() // about 1/8 of bits flipped
	}
	full := Prepare(a).Detail(&b)
	few := *a
	few.Mask = append([]uint64(nil), a.Mask...)
	for i := range few.Mask {
		few.Mask[i] &= 0x0000_FFFF_0000_FFFF // half the bits
	}
	half := Prepare(&few).Detail(&b)
	if half.Distance <= full.Distance {
		t.Errorf("distance on %d bits %.3f not above the one on %d bits %.3f", half.Bits, half.Distance, full.Bits, full.Distance)
	}
}

func TestIndexSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var idx Index
	var ts []*Template
	for i := range 600 {
		tp := randomTemplate(rng, 0.8)
		ts = append(ts, tp)
		if err := idx.Add(string(rune('A'+i%26))+string(rune('a'+i/26)), tp); err != nil {
			t.Fatal(err)
		}
	}
	probe := *ts[123]
	probe.Code = append([]uint64(nil), probe.Code...)
	for i := range probe.Code {
		probe.Code[i] ^= rng.Uint64() & rng.Uint64() & rng.Uint64()
	}
	m := idx.Search(Prepare(&probe), 5)
	want := string(rune('A'+123%26)) + string(rune('a'+123/26))
	if len(m) != 5 || m[0].ID != want {
		t.Fatalf("top candidates %+v, want %s first", m, want)
	}
	for i := 1; i < len(m); i++ {
		if m[i].Distance < m[i-1].Distance {
			t.Fatal("candidates not sorted")
		}
	}
	if m[0].Score < 40 || m[1].Score > 20 {
		t.Errorf("mate score %.1f, best non-mate %.1f", m[0].Score, m[1].Score)
	}
}

func TestFuseEyes(t *testing.T) {
	if got := FuseEyes(30, 25); got != 55 {
		t.Errorf("FuseEyes(30, 25) = %v", got)
	}
	nan := 0.0
	nan /= nan
	if got := FuseEyes(30, nan); got != 30 {
		t.Errorf("FuseEyes(30, NaN) = %v", got)
	}
}

// TestCalibration checks the fitted table: non-decreasing, near 0 at the impostor mean
// (normalised distance about 0.44) and beyond FMR 1e-6 (60) for a typical genuine distance
// (0.2).
func TestCalibration(t *testing.T) {
	prev := -1.0
	for raw := 0.4; raw <= 1; raw += 0.005 {
		s := calibration.Apply(raw)
		if s < prev {
			t.Fatalf("calibration decreases at raw %.3f", raw)
		}
		prev = s
	}
	if s := calibration.Apply(1 - 0.44); s > 5 {
		t.Errorf("score %.1f at the impostor mean", s)
	}
	if s := calibration.Apply(1 - 0.2); s < 60 {
		t.Errorf("score %.1f at a typical genuine distance", s)
	}
}
