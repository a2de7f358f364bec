// Package synthtpl makes synthetic finger-minutiae templates for scale tests.
//
// It works at the template level, without images: a "master" minutiae set stands for the
// whole finger (Finger), and each "impression" of it (Impression) is what an extractor
// would report from one capture — the master seen through a rigid motion, an elastic skin
// distortion, a partial contact area, with jitter, missing and spurious minutiae. Masters
// have the statistics of real fingers (minutiae count, spacing, uniform density inside a
// finger-shaped ellipse, directions along a smooth core/delta ridge-orientation field
// (arch, loops, whorl), endings and bifurcations about 55/45, short ridges and lakes whose
// two ends face each other); the impression noise is tuned so that the
// project's comparator scores synthetic genuine and impostor pairs about as it scores the
// FVC databases (see realism_test.go).
//
// Everything is deterministic from a seed (math/rand/v2 PCG): a finger depends only on
// (seed, person, finger), an impression only on (seed, master, k), so Generate's output is
// the same on any number of cores. The generator allocates nothing per minutia; on one core
// of the project's machines a master takes about 15 µs and an impression 3 µs, and
// "biomesh synth templates" writes 1,000,000 templates (one impression per finger) in about
// 14 s on two cores.
//
// WriteStream (or NewWriter) writes the template stream of "biomesh synth templates",
// records of person, finger, impression and native template, and NewReader reads it back
// (format in stream.go).
//
// Coordinates follow the fingerprint package: 500 ppi, top-left origin, y down, directions
// counter-clockwise as seen on the image.
package synthtpl

import (
	"fmt"
	"math"
)

// Params gathers the generator's statistics. DefaultParams returns values fitted to
// plain (flat) 500 ppi impressions like FVC's; start from it and change fields, then
// Validate. Params are only read, so one value may serve many goroutines.
type Params struct {
	// Image and finger geometry.
	Width, Height int     // image size in pixels; the finger area is centred in it
	FingerWidth   float64 // width of the elliptical finger area, px
	FingerHeight  float64 // height of the elliptical finger area, px

	// Master minutiae (the whole finger area).
	MinutiaeMean   float64 // mean minutiae count of a master
	MinutiaeSpread float64 // standard deviation of that count
	MinMinutiae    int     // counts are clamped to [MinMinutiae, MaxMinutiae]
	MaxMinutiae    int
	MinSpacing     float64 // no two minutiae of a master closer than this, px (of an impression: half this)
	EndingRatio    float64 // fraction of ridge endings; the rest are bifurcations
	FieldNoise     float64 // amplitude of the smooth random perturbation of the ridge flow, radians
	PairFraction   float64 // probability that a minutia starts a short ridge or lake whose other end is a minutia too
	PairLength     float64 // mean length of those short ridges and lakes, px

	// Impressions: capture geometry.
	RotationSD     float64 // standard deviation of the rigid rotation, degrees …
	MaxRotation    float64 // … clamped to ±MaxRotation degrees
	TranslationSD  float64 // standard deviation of the contact centre's offset from the image centre, px
	Distortion     float64 // scale of the elastic displacement, px: the rim of the contact area moves by about this much
	ContactMin     float64 // the contact area is the finger ellipse scaled by a factor drawn
	ContactMax     float64 // uniformly in [ContactMin, ContactMax] …
	ContactShift   float64 // … and shifted by this standard deviation, px, on each axis
	BorderMargin   int     // minutiae closer than this to the image border are dropped, px
	PositionJitter float64 // standard deviation of each minutia's position noise, px (on top of the distortion's)
	DirectionSD    float64 // standard deviation of each minutia's direction noise, degrees

	// Impressions: extraction errors.
	MissingMin  float64 // each impression misses a fraction of the minutiae in its contact area,
	MissingMax  float64 // drawn uniformly in [MissingMin, MissingMax]
	SpuriousMin float64 // and adds spurious minutiae, a fraction of those kept drawn uniformly
	SpuriousMax float64 // in [SpuriousMin, SpuriousMax]
	TypeFlip    float64 // probability that a kept minutia's type is reported wrongly
	RimSpurious float64 // fraction of the spurious minutiae on the rim of the contact area (false endings where ridges leave the print)

	// Hard impressions (dry or smudged skin, strong pressure, a fingertip): with probability
	// HardFraction an impression's contact area shrinks by HardContact and its elastic
	// distortion grows by HardDistortion.
	HardFraction   float64
	HardContact    float64 // factor in (0, 1]
	HardDistortion float64 // factor ≥ 1
}

// DefaultParams returns parameters for plain 500 ppi impressions like those of FVC2000–2004:
// masters of 75 ± 15 minutiae over a 250×330 px finger, impressions of 44 ± 15. They were
// tuned so that the project's comparator (fingerprint/match) scores synthetic pairs about as
// it scores the eight FVC2000/2002 databases. On 1,000 fingers × 4 impressions (6,000
// genuine, 499,500 impostor pairs, seed 3): EER 1.9 % (FVC: mean 2.45 %, 1.1–4.3 % by
// database), FMR1000 4.5 % (FVC: 1.1–16 %), genuine median score 65, impostor 99th and
// 99.9th percentiles 19.9 and 28.3 (FVC: 20 and 30, by the calibration's construction).
func DefaultParams() *Params {
	return &Params{
		Width: 320, Height: 400,
		FingerWidth: 250, FingerHeight: 330,

		MinutiaeMean: 75, MinutiaeSpread: 15,
		MinMinutiae: 15, MaxMinutiae: 150,
		MinSpacing:   9,
		EndingRatio:  0.55,
		FieldNoise:   0.12,
		PairFraction: 0.9, PairLength: 14,

		RotationSD: 8, MaxRotation: 20,
		TranslationSD: 15,
		Distortion:    6,
		ContactMin:    0.70, ContactMax: 0.95,
		ContactShift:   20,
		BorderMargin:   8,
		PositionJitter: 1.5,
		DirectionSD:    5,

		MissingMin: 0.12, MissingMax: 0.28,
		SpuriousMin: 0.10, SpuriousMax: 0.20,
		TypeFlip: 0.08, RimSpurious: 0,

		HardFraction: 0.1, HardContact: 0.7, HardDistortion: 2.5,
	}
}

// RolledParams returns parameters for rolled (nail-to-nail) 500 ppi impressions, as on
// ten-print cards: a 400×500 px finger, masters of 110 ± 25 minutiae, nearly full contact
// and more elastic distortion. Unlike DefaultParams they are not calibrated against real
// data (none is at hand); use them for size and speed tests.
func RolledParams() *Params {
	p := DefaultParams()
	p.Width, p.Height = 480, 560
	p.FingerWidth, p.FingerHeight = 400, 500
	p.MinutiaeMean, p.MinutiaeSpread = 110, 25
	p.MinMinutiae, p.MaxMinutiae = 30, 250
	p.ContactMin, p.ContactMax = 0.85, 1.0
	p.Distortion = 10
	return p
}

// maxAbsurd bounds the counts and sizes Validate accepts.
const (
	maxImage    = 4000 // px: 8 inches at 500 ppi
	maxMinutiae = 1000 // fingerprint.MaxMinutiae
)

// Validate reports the first field that is missing, negative or absurd, or nil.
func (p *Params) Validate() error {
	if p == nil {
		return fmt.Errorf("synthtpl: nil Params")
	}
	bad := func(format string, a ...any) error { return fmt.Errorf("synthtpl: "+format, a...) }
	finite := func(v ...float64) bool {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	if !finite(p.FingerWidth, p.FingerHeight, p.MinutiaeMean, p.MinutiaeSpread, p.MinSpacing, p.EndingRatio,
		p.FieldNoise, p.PairFraction, p.PairLength, p.RotationSD, p.MaxRotation, p.TranslationSD, p.Distortion, p.ContactMin, p.ContactMax,
		p.ContactShift, p.PositionJitter, p.DirectionSD, p.MissingMin, p.MissingMax, p.SpuriousMin,
		p.SpuriousMax, p.TypeFlip, p.RimSpurious, p.HardFraction, p.HardContact, p.HardDistortion) {
		return bad("a parameter is NaN or infinite")
	}
	switch {
	case p.Width < 32 || p.Width > maxImage || p.Height < 32 || p.Height > maxImage:
		return bad("image size %d×%d out of range 32–%d", p.Width, p.Height, maxImage)
	case p.FingerWidth < 16 || p.FingerHeight < 16:
		return bad("finger area %.0f×%.0f px too small (at least 16×16)", p.FingerWidth, p.FingerHeight)
	case p.FingerWidth > float64(p.Width) || p.FingerHeight > float64(p.Height):
		return bad("finger area %.0f×%.0f px larger than the image %d×%d", p.FingerWidth, p.FingerHeight, p.Width, p.Height)
	case p.MinMinutiae < 1:
		return bad("MinMinutiae %d: must be at least 1", p.MinMinutiae)
	case p.MaxMinutiae < p.MinMinutiae || p.MaxMinutiae > maxMinutiae:
		return bad("MaxMinutiae %d out of range MinMinutiae (%d)–%d", p.MaxMinutiae, p.MinMinutiae, maxMinutiae)
	case p.MinutiaeMean < float64(p.MinMinutiae) || p.MinutiaeMean > float64(p.MaxMinutiae):
		return bad("MinutiaeMean %g outside [MinMinutiae, MaxMinutiae] = [%d, %d]", p.MinutiaeMean, p.MinMinutiae, p.MaxMinutiae)
	case p.MinutiaeSpread < 0:
		return bad("MinutiaeSpread %g is negative", p.MinutiaeSpread)
	case p.MinSpacing < 1:
		return bad("MinSpacing %g px: must be at least 1", p.MinSpacing)
	case p.EndingRatio < 0 || p.EndingRatio > 1:
		return bad("EndingRatio %g out of range 0–1", p.EndingRatio)
	case p.FieldNoise < 0 || p.FieldNoise > 1:
		return bad("FieldNoise %g out of range 0–1 radian", p.FieldNoise)
	case p.PairFraction < 0 || p.PairFraction > 0.95:
		return bad("PairFraction %g out of range 0–0.95", p.PairFraction)
	case p.PairLength < p.MinSpacing || p.PairLength > 200:
		return bad("PairLength %g out of range MinSpacing (%g)–200 px", p.PairLength, p.MinSpacing)
	case p.RotationSD < 0 || p.MaxRotation < 0 || p.MaxRotation > 180:
		return bad("rotation: RotationSD %g and MaxRotation %g must be ≥ 0, MaxRotation ≤ 180°", p.RotationSD, p.MaxRotation)
	case p.TranslationSD < 0 || p.TranslationSD > maxImage:
		return bad("TranslationSD %g out of range 0–%d px", p.TranslationSD, maxImage)
	case p.Distortion < 0 || p.Distortion > 100:
		return bad("Distortion %g out of range 0–100 px", p.Distortion)
	case p.ContactMin <= 0 || p.ContactMax < p.ContactMin || p.ContactMax > 2:
		return bad("contact scale [%g, %g] must satisfy 0 < ContactMin ≤ ContactMax ≤ 2", p.ContactMin, p.ContactMax)
	case p.ContactShift < 0 || p.ContactShift > maxImage:
		return bad("ContactShift %g out of range 0–%d px", p.ContactShift, maxImage)
	case p.BorderMargin < 0 || 2*p.BorderMargin >= min(p.Width, p.Height):
		return bad("BorderMargin %d px out of range for a %d×%d image", p.BorderMargin, p.Width, p.Height)
	case p.PositionJitter < 0 || p.PositionJitter > 100:
		return bad("PositionJitter %g out of range 0–100 px", p.PositionJitter)
	case p.DirectionSD < 0 || p.DirectionSD > 180:
		return bad("DirectionSD %g out of range 0–180°", p.DirectionSD)
	case p.MissingMin < 0 || p.MissingMax < p.MissingMin || p.MissingMax >= 1:
		return bad("missing fraction [%g, %g] must satisfy 0 ≤ MissingMin ≤ MissingMax < 1", p.MissingMin, p.MissingMax)
	case p.SpuriousMin < 0 || p.SpuriousMax < p.SpuriousMin || p.SpuriousMax > 2:
		return bad("spurious fraction [%g, %g] must satisfy 0 ≤ SpuriousMin ≤ SpuriousMax ≤ 2", p.SpuriousMin, p.SpuriousMax)
	case p.TypeFlip < 0 || p.TypeFlip > 1:
		return bad("TypeFlip %g out of range 0–1", p.TypeFlip)
	case p.RimSpurious < 0 || p.RimSpurious > 1:
		return bad("RimSpurious %g out of range 0–1", p.RimSpurious)
	case p.HardFraction < 0 || p.HardFraction > 1:
		return bad("HardFraction %g out of range 0–1", p.HardFraction)
	case p.HardContact <= 0 || p.HardContact > 1:
		return bad("HardContact %g out of range (0, 1]", p.HardContact)
	case p.HardDistortion < 1 || p.HardDistortion > 10:
		return bad("HardDistortion %g out of range 1–10", p.HardDistortion)
	}
	// Random packing of discs fills at most about half the plane (jamming ~0.55): ask for
	// less so that masters can always be placed.
	area := math.Pi / 4 * p.FingerWidth * p.FingerHeight
	disc := math.Pi / 4 * p.MinSpacing * p.MinSpacing
	if float64(p.MaxMinutiae)*disc > 0.4*area {
		return bad("%d minutiae %g px apart do not fit in a %.0f×%.0f px finger: lower MaxMinutiae or MinSpacing",
			p.MaxMinutiae, p.MinSpacing, p.FingerWidth, p.FingerHeight)
	}
	return nil
}
