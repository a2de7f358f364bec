package wsq

import (
	"bytes"
	"fmt"
	"image"

	"github.com/biomesh/biomesh/internal/imageio"
)

// Markers of the WSQ marker stream (the standard's FFA0–FFA8 range, plus
// the JPEG-style restart markers used inside coded data).
const (
	markerSOI  = 0xFFA0 // start of image
	markerEOI  = 0xFFA1 // end of image
	markerSOF  = 0xFFA2 // start of frame
	markerSOB  = 0xFFA3 // start of block
	markerDTT  = 0xFFA4 // define transform table
	markerDQT  = 0xFFA5 // define quantization table
	markerDHT  = 0xFFA6 // define Huffman table(s)
	markerDRT  = 0xFFA7 // define restart interval
	markerCOM  = 0xFFA8 // comment
	markerRST0 = 0xFFB0 // restart 0; RST1–RST7 follow
)

// Layout constants of the standard.
const (
	numSubbands   = 60 // subbands that carry data (64 in the DQT; 60–63 always zero)
	maxSubbands   = 64
	maxHuffTables = 8
	maxHuffBits   = 16
	maxHuffValues = 256
	maxFilterLen  = 32 // far above the standard's 9 taps; bounds work per pixel
)

// MaxPixels bounds width×height of the images Decode accepts, so that a
// header cannot make the decoder allocate more than about 9 bytes per pixel
// of this (some 600 MB). The largest real WSQ images (1000 ppi palms) are
// under 50 million pixels.
const MaxPixels = 64 << 20

// maxPixels is MaxPixels, lowered by the fuzz tests to keep them fast.
var maxPixels = MaxPixels

// A FormatError reports that the input is not a valid WSQ file, with the
// byte offset where the problem was found.
type FormatError struct {
	Offset int64  // byte offset in the input
	Reason string // what is wrong
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("wsq: invalid format at offset %d: %s", e.Offset, e.Reason)
}

// An UnsupportedError reports that the input is valid WSQ but uses a feature
// this package does not implement.
type UnsupportedError struct {
	Offset  int64
	Feature string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("wsq: unsupported feature at offset %d: %s", e.Offset, e.Feature)
}

func formatErr(off int, format string, args ...any) error {
	return &FormatError{Offset: int64(off), Reason: fmt.Sprintf(format, args...)}
}

func markerName(m int) string {
	switch m {
	case markerSOI:
		return "SOI"
	case markerEOI:
		return "EOI"
	case markerSOF:
		return "SOF"
	case markerSOB:
		return "SOB"
	case markerDTT:
		return "DTT"
	case markerDQT:
		return "DQT"
	case markerDHT:
		return "DHT"
	case markerDRT:
		return "DRT"
	case markerCOM:
		return "COM"
	}
	if m >= markerRST0 && m <= markerRST0+7 {
		return fmt.Sprintf("RST%d", m-markerRST0)
	}
	return fmt.Sprintf("%04X", m)
}

func init() {
	image.RegisterFormat("wsq", "\xff\xa0", Decode, DecodeConfig)
	imageio.RegisterResolution("wsq", func(data []byte) (x, y float64) {
		info, err := DecodeInfo(bytes.NewReader(data))
		if err != nil || info.PPI <= 0 {
			return 0, 0
		}
		return float64(info.PPI), float64(info.PPI)
	})
}
