package iris

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/biomesh/biomesh/eval"
)

// TestSyntheticEvaluation takes the CASIA measures on synthetic eyes (images that are in no
// data set): 12 irises × 4 captures, each capture with its own pupil size and position,
// rotation (up to ±4 code positions, so that pairs differ by at most MaxShift), upper lid, eyelashes, reflections, defocus and noise.
// On 2026-12-02 it gave EER 0, FTE 0, mean distances about 0.02 / 0.44; the bounds leave
// room for changes that do not break the pipeline.
func TestSyntheticEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("about 2 s of CPU")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	const irises, captures = 12, 4
	var ts []*Template
	var eye []int
	fails := 0
	for id := range irises {
		for c := range captures {
			pr := 30 + 15*rng.Float64()
			ix, iy := 155+10*rng.Float64(), 135+10*rng.Float64()
			e := SynthEye{
				Texture: uint64(100 + id), Capture: uint64(1000*id + c + 1),
				Iris:        Circle{ix, iy, 95 + 8*rng.Float64()},
				Pupil:       Circle{ix + 4*rng.Float64() - 2, iy + 4*rng.Float64() - 2, pr},
				Rotation:    float64(rng.IntN(9)-4) * 2 * math.Pi / float64(defaultParams.codeCols),
				Reflections: rng.IntN(4),
				UpperLid:    0.25 * rng.Float64(),
				Lashes:      rng.IntN(30),
				Blur:        1.2 * rng.Float64(),
				Noise:       2 + 3*rng.Float64(),
			}
			tp, _, err := Extract(Synthesize(e), nil)
			if err != nil {
				fails++
				t.Logf("iris %d capture %d: %v", id, c, err)
				continue
			}
			ts = append(ts, tp)
			eye = append(eye, id)
		}
	}
	var gen, imp []float64
	var gd, id float64
	for i := range ts {
		p := Prepare(ts[i])
		for j := i + 1; j < len(ts); j++ {
			r := p.Detail(ts[j])
			if eye[i] == eye[j] {
				gen, gd = append(gen, r.Score), gd+r.Distance
			} else {
				imp, id = append(imp, r.Score), id+r.Distance
			}
		}
	}
	v, err := eval.Verify(gen, imp)
	if err != nil {
		t.Fatal(err)
	}
	gd, id = gd/float64(len(gen)), id/float64(len(imp))
	fte := float64(fails) / (irises * captures)
	t.Logf("synthetic: FTE %.1f%%, EER %.2f%% (%d genuine, %d impostor), mean distances %.3f / %.3f", 100*fte, 100*v.EER, len(gen), len(imp), gd, id)
	if fte > 0.05 || v.EER > 0.01 || gd > 0.25 || id < 0.4 {
		t.Errorf("synthetic evaluation out of bounds: FTE %.1f%%, EER %.2f%%, distances %.3f / %.3f", 100*fte, 100*v.EER, gd, id)
	}
}
