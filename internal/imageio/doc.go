// Package imageio decodes biometric images (fingerprints now; iris and face
// later) into 8-bit grey together with their scanning resolution, and
// resamples them to the resolution the extractors expect.
//
// # Formats
//
// Decoding goes through Go's image registry, so every format registered with
// image.RegisterFormat is accepted. This package registers (by importing)
// TIFF, PNG, BMP and JPEG, and registers its own decoder for binary (P5) and
// ASCII (P2) PGM files with any maxval from 1 to 65535. Other codecs (WSQ, for
// instance) only need to be linked in. Colour is converted to BT.601 luma,
// transparency is composited onto white (paper), and 16-bit grey is scaled to
// 8 bits with rounding.
//
// # Resolution
//
// The resolution stored in the file is read from the TIFF XResolution,
// YResolution and ResolutionUnit tags (unit 2 inch, 3 centimetre, 1 none;
// missing unit means inch, as the TIFF specification says), the PNG pHYs
// chunk (unit 1, pixels per metre), the BMP biXPelsPerMeter and
// biYPelsPerMeter fields, and the JPEG JFIF APP0 density (units 1 dots per
// inch, 2 dots per centimetre), falling back to the Exif resolution tags.
// PGM carries no resolution. Codecs registered elsewhere supply their own
// reader with RegisterResolution. Values are rounded to whole pixels per inch.
//
// The resolution policy is:
//
//   - A resolution given by the caller (the CLI's --dpi flag, parameter
//     ppi > 0) overrides the file and must lie within 250–1000 ppi, else it
//     is an error; so is a negative ppi.
//   - Otherwise the file's value is used if it lies within 250–1000 ppi.
//   - A file value of exactly 72 or 96 ppi on both axes is a screen default
//     written by image editors, not by scanners, and counts as unknown, as does
//     a missing value, a zero value or one without a physical unit. Decode
//     then reports 0 and DecodeAt assumes the target resolution (500 ppi for
//     fingerprints), that is, it does not resample.
//   - Any other file value outside 250–1000 ppi is an error asking for the
//     scanner's resolution to be passed with --dpi.
//   - If the horizontal and vertical resolutions differ by more than 2%,
//     DecodeAt resamples each axis separately; Decode reports the horizontal
//     resolution. Within 2% the horizontal value is used for both axes.
//
// # Limits
//
// Images wider or taller than MaxSide pixels are refused from their header,
// before any pixel memory is allocated, as are files larger than MaxFileSize
// bytes. DecodeAt also refuses results larger than MaxPixels or smaller than
// MinSide×MinSide pixels. All failures are reported as *Error values naming
// the file and the reason; decoding never panics.
package imageio
