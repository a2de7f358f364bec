// Package synth generates synthetic fingerprints, deterministically from a seed, in the
// spirit of SFinGe and Anguli, with ground-truth minutiae.
//
// A master print (NewMaster) is made in these stages:
//
//  1. pattern class (class.go): arch, tented arch, left loop, right loop or whorl, drawn
//     with their natural frequencies (ClassFrequency).
//  2. singular points and orientation field (class.go): cores and deltas placed per class,
//     and the zero-pole model of Sherlock and Monro, 2θ = Σ arg(z − core) − Σ arg(z − delta);
//     arches use a family of upward-bulging ridges instead. Each singular point's angle is
//     warped by a random increasing map (after Vizcaya and Gerhardt), so that loops and
//     whorls of one class differ in shape; smooth random waves perturb the whole field.
//  3. ridge-period map and finger mask (master.go, flowperiod.go): a period of 8–11 px
//     varying smoothly (a few long plane waves) and following the spreading of the flow
//     lines (flowLogPeriod: where they spread the ridges widen instead of multiplying), and
//     an elliptical fingertip, squarer below its centre.
//  4. ridge growth (grow.go): sparse random seeds, then iterated Gabor filtering tuned to
//     the local orientation and period (a kernel bank of orientations × wavelengths,
//     applied as two rotated 1-D passes over the finger area only), saturating at ±1 after
//     each iteration; minutiae arise where growing wavefronts meet and where the flow and
//     the period leave no other way.
//  5. ground truth (groundtruth.go), independent of the project's extractor: the grown
//     ridge profile binarised at zero, thinned (Zhang–Suen), minutiae where the skeleton's
//     crossing number is 1 (endings) or 3 (bifurcations), each directed along the
//     generator's orientation model in the sense the skeleton gives, less spurs, dots,
//     holes, tiny bridges and minutiae near the finger's outline; Master.Minutiae.
//
// An impression (Master.Impression, impression.go) maps the master through a Transform —
// Cappelli's elastic distortion (rigid in the contact centre, increasingly displaced
// outward) followed by a rotation and translation — inside a random contact area, and
// renders it with pressure (ridge thickness, varying smoothly and fading towards the
// contact border), contrast, dry spots, pores, scratches, blur, noise and a background; one
// random difficulty per impression drives all of these together. Its ground truth is the master's minutiae mapped through the
// Transform that fall inside the contact area.
//
// All tunables are gathered in params.go. Images are 500 ppi, 8-bit grey, dark ridges.
package synth
