package match

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The kernel behind motionHits must give motionsGo's hits, bit for bit: random edges,
// motions near the histogram's borders, rotations near 0 and a full turn, and lengths
// that are not multiples of 8.
func TestMotionHits(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for round := range 400 {
		nc, np := 1+r.IntN(500), 1+r.IntN(500)
		cedges := make([]cedge, nc)
		pedges := make([]pmotion, np)
		spread := float32(50 + r.IntN(500)) // translations up to and beyond the histogram's ±384 px
		for i := range cedges {
			cedges[i] = cedge{v: r.Float32() * twoPi, mx: (r.Float32() - 0.5) * spread, my: (r.Float32() - 0.5) * spread, ends: uint32(r.IntN(1 << 16))}
			if round%4 == 0 && i%3 == 0 {
				cedges[i].v = float32(r.IntN(2)) * math.Nextafter32(twoPi, 0) // a rotation of almost 0 or a turn
			}
		}
		for i := range pedges {
			pedges[i] = pmotion{v: r.Float32() * twoPi, mx: (r.Float32() - 0.5) * spread, my: (r.Float32() - 0.5) * spread}
			if round%4 == 0 && i%3 == 0 {
				pedges[i].v = cedges[r.IntN(nc)].v
			}
		}
		agree := make([]agreement, r.IntN(700))
		for i := range agree {
			agree[i] = agreement(r.IntN(np)) | agreement(r.IntN(nc))<<16
		}
		want := make([]edgeHit, len(agree))
		got := make([]edgeHit, len(agree))
		nw := motionsGo(agree, cedges, pedges, want)
		ng := motionHits(agree, cedges, pedges, got)
		if ng != nw {
			t.Fatalf("round %d: %d hits, want %d", round, ng, nw)
		}
		for k := range nw {
			if got[k] != want[k] {
				t.Fatalf("round %d, hit %d: %#x, want %#x", round, k, got[k], want[k])
			}
		}
	}
}
