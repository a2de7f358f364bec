package imageio

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// PGM (Netpbm greymap) decoding: binary P5 and plain (ASCII) P2, maxval 1 to
// 65535. Maxval below 256 decodes to *image.Gray, above to *image.Gray16;
// samples are scaled to the full 8- or 16-bit range. Comments (# to end of
// line) are allowed anywhere in the header and, in P2, between samples.
// Only the first image of a multi-image file is read.

func init() {
	image.RegisterFormat("pgm", "P5", decodePGM, decodePGMConfig)
	image.RegisterFormat("pgm", "P2", decodePGM, decodePGMConfig)
}

// pgmMaxSide bounds each dimension so that sizes never overflow; the real
// limits (MaxSide) are checked by the caller from the config.
const pgmMaxSide = 1 << 20

var errPGMTruncated = fmt.Errorf("pgm: %w", io.ErrUnexpectedEOF)

type pgmError string

func (e pgmError) Error() string { return "pgm: " + string(e) }

type pgmHeader struct {
	plain  bool // P2
	w, h   int
	maxval int
}

func byteReader(r io.Reader) *bufio.Reader {
	if br, ok := r.(*bufio.Reader); ok {
		return br
	}
	return bufio.NewReader(r)
}

func decodePGMConfig(r io.Reader) (image.Config, error) {
	hd, err := readPGMHeader(byteReader(r))
	if err != nil {
		return image.Config{}, err
	}
	m := color.Model(color.GrayModel)
	if hd.maxval > 255 {
		m = color.Gray16Model
	}
	return image.Config{ColorModel: m, Width: hd.w, Height: hd.h}, nil
}

func decodePGM(r io.Reader) (image.Image, error) {
	br := byteReader(r)
	hd, err := readPGMHeader(br)
	if err != nil {
		return nil, err
	}
	bps := 1 // bytes per sample in the output
	if hd.maxval > 255 {
		bps = 2
	}
	rowLen := hd.w * bps
	// The raster grows as it is read, so a header promising a huge image
	// costs memory only in proportion to the data actually present.
	pix := make([]byte, 0, min(int64(rowLen)*int64(hd.h), 1<<20))
	row := make([]byte, rowLen)
	in := row
	if !hd.plain && hd.maxval > 255 {
		in = make([]byte, 2*hd.w)
	}
	lut := pgmLUT(hd.maxval)
	for y := 0; y < hd.h; y++ {
		if hd.plain {
			for x := 0; x < hd.w; x++ {
				v, err := readPGMInt(br, "sample")
				if err != nil {
					return nil, err
				}
				if v > hd.maxval {
					return nil, pgmError(fmt.Sprintf("sample %d exceeds maxval %d", v, hd.maxval))
				}
				putSample(row, x, bps, lut[v])
			}
		} else {
			if _, err := io.ReadFull(br, in); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil, errPGMTruncated
				}
				return nil, err
			}
			if err := pgmConvert(row, in, hd.maxval, lut); err != nil {
				return nil, err
			}
		}
		pix = append(pix, row...)
	}
	rect := image.Rect(0, 0, hd.w, hd.h)
	if bps == 1 {
		return &image.Gray{Pix: pix, Stride: rowLen, Rect: rect}, nil
	}
	return &image.Gray16{Pix: pix, Stride: rowLen, Rect: rect}, nil
}

// pgmLUT maps samples 0..maxval to 0..255 (maxval < 256) or 0..65535.
func pgmLUT(maxval int) []uint16 {
	top := 255
	if maxval > 255 {
		top = 65535
	}
	lut := make([]uint16, maxval+1)
	for v := range lut {
		lut[v] = uint16((v*top + maxval/2) / maxval)
	}
	return lut
}

func putSample(row []byte, x, bps int, v uint16) {
	if bps == 1 {
		row[x] = uint8(v)
	} else {
		row[2*x], row[2*x+1] = uint8(v>>8), uint8(v)
	}
}

// pgmConvert scales one binary row in (1 or 2 big-endian bytes per sample)
// into row.
func pgmConvert(row, in []byte, maxval int, lut []uint16) error {
	if maxval == 255 {
		copy(row, in)
		return nil
	}
	if maxval < 255 {
		for x, v := range in {
			if int(v) > maxval {
				return pgmError(fmt.Sprintf("sample %d exceeds maxval %d", v, maxval))
			}
			row[x] = uint8(lut[v])
		}
		return nil
	}
	for x := 0; x < len(in); x += 2 {
		v := int(in[x])<<8 | int(in[x+1])
		if v > maxval {
			return pgmError(fmt.Sprintf("sample %d exceeds maxval %d", v, maxval))
		}
		s := lut[v]
		row[x], row[x+1] = uint8(s>>8), uint8(s)
	}
	return nil
}

func readPGMHeader(br *bufio.Reader) (pgmHeader, error) {
	var hd pgmHeader
	var magic [2]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return hd, errPGMTruncated
	}
	switch string(magic[:]) {
	case "P2":
		hd.plain = true
	case "P5":
	default:
		return hd, pgmError("not a P2 or P5 file")
	}
	// The magic number must be followed by whitespace or a comment.
	if c, err := br.ReadByte(); err != nil {
		return hd, errPGMTruncated
	} else if !isPNMSpace(c) && c != '#' {
		return hd, pgmError("invalid magic number")
	} else {
		_ = br.UnreadByte()
	}
	var err error
	if hd.w, err = readPGMInt(br, "width"); err != nil {
		return hd, err
	}
	if hd.h, err = readPGMInt(br, "height"); err != nil {
		return hd, err
	}
	if hd.maxval, err = readPGMInt(br, "maxval"); err != nil {
		return hd, err
	}
	if hd.w < 1 || hd.h < 1 || hd.w > pgmMaxSide || hd.h > pgmMaxSide {
		return hd, pgmError(fmt.Sprintf("invalid size %d×%d", hd.w, hd.h))
	}
	if hd.maxval < 1 || hd.maxval > 65535 {
		return hd, pgmError(fmt.Sprintf("invalid maxval %d", hd.maxval))
	}
	// A single whitespace character (or a comment up to its newline) ends
	// the header of a binary file.
	c, err := br.ReadByte()
	if err != nil {
		return hd, errPGMTruncated
	}
	if c == '#' {
		if err := skipComment(br); err != nil {
			return hd, err
		}
	} else if !isPNMSpace(c) {
		return hd, pgmError("invalid character after maxval")
	}
	return hd, nil
}

// readPGMInt skips whitespace and comments and reads a decimal number that
// ends at whitespace, a comment or the end of the data. what names it in errors.
func readPGMInt(br *bufio.Reader, what string) (int, error) {
	var c byte
	var err error
	for {
		if c, err = br.ReadByte(); err != nil {
			return 0, errPGMTruncated
		}
		if c == '#' {
			if err := skipComment(br); err != nil {
				return 0, err
			}
			continue
		}
		if !isPNMSpace(c) {
			break
		}
	}
	if c < '0' || c > '9' {
		return 0, pgmError(fmt.Sprintf("invalid character %q in %s", c, what))
	}
	v := 0
	for {
		if v > 1<<24 {
			return 0, pgmError(what + " too large")
		}
		v = v*10 + int(c-'0')
		if c, err = br.ReadByte(); err != nil {
			return v, nil // end of data ends the number; a missing byte is caught later
		}
		if c < '0' || c > '9' {
			break
		}
	}
	if !isPNMSpace(c) && c != '#' {
		return 0, pgmError(fmt.Sprintf("invalid character %q in %s", c, what))
	}
	_ = br.UnreadByte()
	return v, nil
}

// skipComment consumes the rest of a comment line including its newline.
func skipComment(br *bufio.Reader) error {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return errPGMTruncated
		}
		if c == '\n' || c == '\r' {
			return nil
		}
	}
}

func isPNMSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
