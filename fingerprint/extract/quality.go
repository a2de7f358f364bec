package extract

import "math"

// minutiaQuality rates a minutia at (x, y) from 0 to 100 as
//
//	100 · coherence · min(1, border/qualityBorder)^½ · min(1, contrast/(0.5·p95))
//
// where coherence is the fine orientation coherence of its block (0–1), border its
// distance to the mask border and contrast the grey-level deviation around its block
// relative to the 95th percentile over the image.
func (s *state) minutiaQuality(x, y float64) float64 {
	bi := s.blockAt(int(x+0.5), int(y+0.5))
	coh := float64(s.ocoh[bi])
	border := math.Sqrt(math.Min(1, float64(s.distAt(x, y)/s.p.qualityBorder)))
	contrast := 1.0
	if s.stdP95 > 0 {
		contrast = math.Min(1, float64(s.bstd[bi])/(0.5*float64(s.stdP95)))
	}
	q := 100 * coh * border * contrast
	return math.Max(1, math.Min(100, math.Round(q)))
}

// imageQuality sets the overall quality, 0–100:
//
//		Q = 100 · area · coherence · clarity
//
//	  - area = min(1, foreground pixels / (160·160)): a usable fingerprint covers at least
//	    about 8×8 mm at 500 ppi;
//	  - coherence = mean fine orientation coherence over foreground blocks, rescaled so that
//	    0.2 → 0 and 0.8 → 1;
//	  - clarity = fraction of foreground pixels whose binarised ridge/valley label agrees with
//	    the sign of the original grey level relative to its block mean, rescaled so that
//	    0.6 → 0 and 0.9 → 1 (clear ridges agree with their enhancement).
func (s *state) imageQuality() {
	area := 0
	for _, m := range s.mask {
		if m {
			area++
		}
	}
	areaF := math.Min(1, float64(area)/(160*160))
	var cs float64
	nb := 0
	for i, m := range s.blockMask {
		if m {
			cs += float64(s.ocoh[i])
			nb++
		}
	}
	coh := 0.0
	if nb > 0 {
		coh = clamp01((cs/float64(nb) - 0.2) / 0.6)
	}
	agree, tot := 0, 0
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			i := y*s.w + x
			if !s.mask[i] {
				continue
			}
			dark := s.pix[i] < s.bmean[s.blockAt(x, y)]
			if dark == (s.binary[i] != 0) {
				agree++
			}
			tot++
		}
	}
	clarity := 0.0
	if tot > 0 {
		clarity = clamp01((float64(agree)/float64(tot) - 0.6) / 0.3)
	}
	s.quality = int(math.Round(100 * areaF * coh * clarity))
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }
