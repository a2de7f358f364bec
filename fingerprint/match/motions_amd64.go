//go:build amd64 && !purego

package match

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernel for the motions (cpu.X86.HasAVX2 includes the OS
// saving the AVX registers).
var useAVX2 = cpu.X86.HasAVX2

// motionsAVX2 computes the edgeHit of agree[k] into out[k] for k < n (a positive multiple
// of 8), exactly as motionsGo does, with cell 0xffff where the motion falls outside the
// histogram.
//
//go:noescape
func motionsAVX2(agree *agreement, n int, cedges *cedge, pmot *pmotion, out *edgeHit)

// outsideCell marks, in the kernel's output, a motion outside the histogram.
const outsideCell = 0xffff

// motionHits writes to hits (len(hits) ≥ len(agree)), in order, the agreements whose
// motion falls in the histogram, and returns their number. With AVX2, groups of 8 go
// through the kernel, whose output is then compacted in place; the rest through motionsGo.
func motionHits(agree []agreement, cedges []cedge, pedges []pmotion, hits []edgeHit) int {
	n := len(agree) &^ 7
	if !useAVX2 || n == 0 {
		return motionsGo(agree, cedges, pedges, hits)
	}
	hits = hits[:len(agree)]
	motionsAVX2(&agree[0], n, &cedges[0], &pedges[0], &hits[0])
	nh := 0
	for _, h := range hits[:n] {
		hits[nh] = h
		nh += b2i(h>>32 != outsideCell)
	}
	return nh + motionsGo(agree[n:], cedges, pedges, hits[nh:])
}
