// Package wsq reads and writes WSQ (Wavelet Scalar Quantization, FBI
// specification IAFIS-IC-0110, version 3.1) grey-scale fingerprint images.
//
// Decode, DecodeConfig and Encode follow the shape of Go's image codecs, and
// the package registers itself with image.RegisterFormat under the name
// "wsq" (magic FF A0, the SOI marker), so image.Decode reads WSQ files once
// this package is linked in. It also registers a resolution reader with
// internal/imageio, so imageio.Load reports the PPI of the NIST_COM comment.
//
// # Decoding
//
// A WSQ file is a marker stream: SOI, then tables (DTT transform filters,
// DQT quantizer bins, DHT Huffman tables, DRT restart interval, COM comments)
// in any order, the SOF frame header, and one or more SOB blocks of Huffman
// coded, quantized wavelet coefficients (tables may be redefined between
// blocks), ending with EOI. Every table is read from the file; nothing is
// assumed. The wavelet is the standard's 64-subband packet decomposition
// (a 20-node split tree). Both filter kinds of the standard are decoded:
// odd-length symmetric pairs such as the standard 9/7 taps, with
// whole-sample symmetric extension, and even-length pairs (symmetric
// low-pass, antisymmetric high-pass, e.g. 8/8 taps), whose edge rules are
// those of the NBIS reference decoder, replayed tap for tap. Even-length
// filters need every line of the tree to be at least about half a filter
// long; smaller images are refused with an UnsupportedError.
//
// When the file's filters are the standard 9/7 pair (to 1e-5) the inverse
// transform runs in lifting form, four in-place steps on whole rows, about
// twice as fast as the convolution and equal to it up to float rounding:
// on the NIST reference files 99.996 % of pixels or more match the
// reference decoder exactly and none differs by more than one grey level.
// Other odd-length filters are applied by direct convolution, which matches
// the reference decoder exactly on those files.
//
// Restart markers (RST0–RST7) inside the coded data realign the bit reader
// and must arrive in sequence. Padding bits before a marker are ignored.
//
// Every defect is reported as a *FormatError naming the reason and the byte
// offset where it was found. Decoding never panics, whatever the input.
// Before allocating pixel memory the decoder checks the frame size against
// MaxPixels and checks that the coded data actually holds a coefficient for
// every position the quantization table says is coded, so that a header that
// lies about its size cannot make it decode garbage. A decode needs about
// 9 bytes per pixel while it runs; callers with untrusted input and little
// memory should check DecodeConfig's size first, as with any Go image
// decoder.
//
// # Encoding
//
// Encode follows the reference encoder of the NIST Biometric Image Software
// (NBIS): the image is shifted by its mean and scaled into ±128, split into
// the 64 subbands with the standard 9/7 filters, the variance of each
// subband is measured (on its central part, as the specification says),
// and the quantizer bin widths come from the standard's bit allocation for
// the requested bit rate (0.75 bit/pixel by default, about 15:1 for a
// 500 ppi fingerprint). The 60 kept subbands are coded in three blocks with
// two optimal Huffman tables (limited to 16-bit codes). A NIST_COM comment
// records the size, depth, resolution and bit rate. The encoder writes the
// 9/7 filters.
//
// Subbands 60–63, the finest diagonal detail, are never coded (the
// standard drops them), so a pattern whose energy lies at the pixel scale
// loses it at any bit rate; fingerprints at 500 ppi have little there.
package wsq
