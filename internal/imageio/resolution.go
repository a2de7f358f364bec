package imageio

import (
	"encoding/binary"
	"math"
	"sync"
)

// resolution is a file's resolution in pixels per inch; 0 means none.
type resolution struct{ x, y float64 }

// checkFlag validates a caller-given resolution (0 = none).
func checkFlag(name string, ppi int) error {
	if ppi < 0 || (ppi > 0 && (ppi < MinPPI || ppi > MaxPPI)) {
		return newError(name, ErrResolution, nil, "given resolution %d ppi outside %d–%d", ppi, MinPPI, MaxPPI)
	}
	return nil
}

// resolve applies the resolution policy (see the package comment) to a
// caller-given resolution flag (0 = none) and the file's resolution. It
// returns the horizontal and vertical ppi, both 0 when unknown.
func resolve(name string, flag int, r resolution) (x, y int, err error) {
	if err := checkFlag(name, flag); err != nil {
		return 0, 0, err
	}
	if flag > 0 {
		return flag, flag, nil
	}
	x, y = roundPPI(r.x), roundPPI(r.y)
	if x == 0 || y == 0 {
		return 0, 0, nil
	}
	if isScreen(x) && isScreen(y) {
		return 0, 0, nil
	}
	for _, v := range []int{x, y} {
		if v < MinPPI || v > MaxPPI {
			return 0, 0, newError(name, ErrResolution, nil,
				"resolution %d ppi outside %d–%d; pass the scanner's resolution with --dpi", v, MinPPI, MaxPPI)
		}
	}
	return x, y, nil
}

// isScreen reports whether v is a screen default written by image editors.
func isScreen(v int) bool { return v == 72 || v == 96 }

// roundPPI rounds a resolution to whole ppi; invalid values give 0.
func roundPPI(v float64) int {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0
	}
	return int(math.Round(math.Min(v, 1e9)))
}

const (
	inchesPerMetre = 1 / 0.0254
	cmPerInch      = 2.54
)

var (
	resolutionMu      sync.RWMutex
	resolutionReaders = map[string]func([]byte) (x, y float64){
		"tiff": tiffResolution,
		"png":  pngResolution,
		"bmp":  bmpResolution,
		"jpeg": jpegResolution,
	}
)

// RegisterResolution makes Decode read the resolution of files in format
// (the name given to image.RegisterFormat, e.g. "wsq") with read, which gets
// the whole file and returns its horizontal and vertical resolution in
// pixels per inch, or 0, 0 when the file states none. read must not modify
// data; a panic in read counts as no resolution. Codecs call it from their init functions, next to
// image.RegisterFormat; a later registration for the same format replaces
// the earlier one.
func RegisterResolution(format string, read func(data []byte) (x, y float64)) {
	resolutionMu.Lock()
	defer resolutionMu.Unlock()
	resolutionReaders[format] = read
}

// fileResolution reads the resolution stored in data, decoded as format
// (the name image.DecodeConfig reported). A reader that panics counts as
// finding none.
func fileResolution(format string, data []byte) (r resolution) {
	resolutionMu.RLock()
	read := resolutionReaders[format]
	resolutionMu.RUnlock()
	if read == nil {
		return resolution{}
	}
	defer func() {
		if recover() != nil {
			r = resolution{}
		}
	}()
	x, y := read(data)
	return resolution{x, y}
}

// tiffResolution reads XResolution, YResolution and ResolutionUnit from the
// first IFD of a TIFF file in either byte order. It returns 0, 0 when there
// is no resolution or no physical unit. A missing ResolutionUnit means inch
// and a missing YResolution means the XResolution (and vice versa).
func tiffResolution(b []byte) (x, y float64) {
	if len(b) < 8 {
		return 0, 0
	}
	var bo binary.ByteOrder
	switch string(b[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0, 0
	}
	off := uint64(bo.Uint32(b[4:8]))
	if off+2 > uint64(len(b)) {
		return 0, 0
	}
	n := uint64(bo.Uint16(b[off:]))
	unit := uint32(2)
	for i := uint64(0); i < n; i++ {
		p := off + 2 + 12*i
		if p+12 > uint64(len(b)) {
			break
		}
		e := b[p : p+12]
		tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), bo.Uint32(e[4:])
		switch tag {
		case 282:
			x = tiffNumber(b, bo, typ, count, e[8:])
		case 283:
			y = tiffNumber(b, bo, typ, count, e[8:])
		case 296:
			if count >= 1 {
				switch typ {
				case 3:
					unit = uint32(bo.Uint16(e[8:]))
				case 4:
					unit = bo.Uint32(e[8:])
				}
			}
		}
	}
	switch unit {
	case 2:
	case 3:
		x, y = x*cmPerInch, y*cmPerInch
	default:
		return 0, 0
	}
	if !(x > 0) {
		x = y
	}
	if !(y > 0) {
		y = x
	}
	return x, y
}

// tiffNumber reads the first value of a numeric TIFF field (SHORT, LONG,
// RATIONAL, SRATIONAL, FLOAT or DOUBLE) whose 4-byte value/offset field is v.
// It returns 0 for other types and out-of-range offsets.
func tiffNumber(b []byte, bo binary.ByteOrder, typ uint16, count uint32, v []byte) float64 {
	var size uint64
	switch typ {
	case 3:
		size = 2
	case 4, 11:
		size = 4
	case 5, 10, 12:
		size = 8
	default:
		return 0
	}
	if count == 0 {
		return 0
	}
	d := v
	if size*uint64(count) > 4 {
		off := uint64(bo.Uint32(v))
		if off+size > uint64(len(b)) {
			return 0
		}
		d = b[off : off+size]
	}
	var f float64
	switch typ {
	case 3:
		f = float64(bo.Uint16(d))
	case 4:
		f = float64(bo.Uint32(d))
	case 5:
		num, den := bo.Uint32(d), bo.Uint32(d[4:])
		if den == 0 {
			return 0
		}
		f = float64(num) / float64(den)
	case 10:
		num, den := int32(bo.Uint32(d)), int32(bo.Uint32(d[4:]))
		if den == 0 {
			return 0
		}
		f = float64(num) / float64(den)
	case 11:
		f = float64(math.Float32frombits(bo.Uint32(d)))
	case 12:
		f = math.Float64frombits(bo.Uint64(d))
	}
	if !(f > 0) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// pngResolution reads the pHYs chunk (which must precede IDAT). Only the
// metre unit gives a resolution.
func pngResolution(b []byte) (x, y float64) {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(b) < len(sig) || string(b[:len(sig)]) != sig {
		return 0, 0
	}
	p := uint64(len(sig))
	for p+8 <= uint64(len(b)) {
		n := uint64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		if p+12+n > uint64(len(b)) {
			return 0, 0
		}
		switch typ {
		case "pHYs":
			d := b[p+8 : p+8+n]
			if n != 9 || d[8] != 1 {
				return 0, 0
			}
			return float64(binary.BigEndian.Uint32(d)) / inchesPerMetre,
				float64(binary.BigEndian.Uint32(d[4:])) / inchesPerMetre
		case "IDAT", "IEND":
			return 0, 0
		}
		p += 12 + n
	}
	return 0, 0
}

// bmpResolution reads biXPelsPerMeter and biYPelsPerMeter (BITMAPINFOHEADER
// and later; the OS/2 core header has none).
func bmpResolution(b []byte) (x, y float64) {
	if len(b) < 46 || string(b[:2]) != "BM" || binary.LittleEndian.Uint32(b[14:]) < 40 {
		return 0, 0
	}
	xp := int32(binary.LittleEndian.Uint32(b[38:]))
	yp := int32(binary.LittleEndian.Uint32(b[42:]))
	if xp <= 0 || yp <= 0 {
		return 0, 0
	}
	return float64(xp) / inchesPerMetre, float64(yp) / inchesPerMetre
}

// jpegResolution reads the JFIF APP0 density (units 1 dots per inch, 2 dots
// per cm) or, failing that, the Exif resolution tags in APP1.
func jpegResolution(b []byte) (x, y float64) {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 0, 0
	}
	var ex, ey float64
	exif := false
	p := 2
	for p+4 <= len(b) {
		if b[p] != 0xff {
			break
		}
		m := b[p+1]
		switch {
		case m == 0xff: // fill byte
			p++
			continue
		case m == 0x01 || m == 0xd8 || (m >= 0xd0 && m <= 0xd7): // no length
			p += 2
			continue
		case m == 0xda || m == 0xd9: // start of scan, end of image
			return ex, ey
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			break
		}
		seg := b[p+4 : p+2+n]
		switch {
		case m == 0xe0 && len(seg) >= 12 && string(seg[:5]) == "JFIF\x00":
			xd, yd := float64(binary.BigEndian.Uint16(seg[8:])), float64(binary.BigEndian.Uint16(seg[10:]))
			if xd > 0 && yd > 0 {
				switch seg[7] {
				case 1:
					return xd, yd
				case 2:
					return xd * cmPerInch, yd * cmPerInch
				}
			}
		case m == 0xe1 && !exif && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00":
			exif = true
			ex, ey = tiffResolution(seg[6:])
		}
		p += 2 + n
	}
	return ex, ey
}
