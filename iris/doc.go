// Package iris turns near-infrared eye images into iris codes and compares them.
//
// The extractor is a sequence of named stages, each a small function whose parameters are
// gathered in params.go:
//
//  1. input: the image is checked (size, blank) and converted to grey levels;
//  2. specular: bright reflections are found by local contrast, masked and filled in;
//  3. pupil: the darkest sizable disc is located, then its boundary is fitted by Daugman's
//     integro-differential operator (the circle across which the mean grey level jumps most);
//  4. limbus: the iris–sclera circle is fitted the same way on two lateral sectors, within
//     45° of the horizontal on either side, with the rise taken as the median over
//     directions, so that eyelids and the edge of the eye opening, which cross only a few
//     directions, do not pull the circle; the circle must hold the pupil, and its centre
//     stays within a few pixels of the pupil's (about 8 % of the iris radius), since with
//     more freedom it slides sideways onto an edge inside the iris;
//  5. eyelids: upper and lower lids are fitted as parabolas by the median grey-level step
//     along the arc where it crosses the iris, among arcs that leave the middle of the pupil
//     uncovered (a dense line of lashes is otherwise taken for the lid); eyelashes (darker than a level between pupil
//     and iris) and residual reflections are masked by grey level, and the 90° sector under
//     the upper lid is left out beyond 40 % of the way to the limbus, where lashes too thin
//     or too pale for the grey-level test lie in most images;
//  6. normalise: Daugman's rubber sheet unwraps the annulus from the pupil to 80 % of the
//     way to the limbus (the outer ring is often occluded and blurred, and its shading is
//     alike in all eyes) into a strip of stripRows × stripCols samples, with a validity mask;
//  7. encode: each of codeRows radial bands is filtered along the angle with a 1-D
//     log-Gabor filter; the phase quadrant of each response gives two bits. With the
//     defaults the iris code has codeRows × codeCols × 2 = 8 × 128 × 2 = 2048 bits (256
//     bytes), and a validity mask of as many bits marks the bits that come from visible iris
//     and are not fragile (a near-zero response);
//  8. quality: named gates (usable bits, pupil/iris ratio, iris radius, sharpness,
//     occlusion, gaze, boundary contrasts, margin) each with a threshold; an image that fails
//     one is not enrolled, and the error says which gate and why.
//
// Comparison is the masked fractional Hamming distance, minimised over ±MaxShift angular
// shifts, with Daugman's normalisation for the number of bits compared, mapped onto the
// project's calibrated scale, score = −10·log10(estimated false match rate). A Probe holds
// the probe code pre-rotated for every shift, so a comparison is a run of XOR, AND and
// popcount over 64-bit words, without allocation; the shifts are searched coarse to fine
// (seven, then the two neighbours of the best). Index searches a flat gallery on all cores;
// FuseEyes adds the evidence of two eyes.
//
// EncodeISO and DecodeISO read and write ISO/IEC 19794-6:2005 iris image records;
// NewISORecord builds one from encoded image bytes and their metadata. Evaluate runs the
// verification and 1:N protocol on a folder of eyes; Synthesize renders synthetic eyes with
// known boundaries for tests.
package iris
