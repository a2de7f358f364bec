package imageio

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"sort"
	"strconv"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Images and files generated in code for the tests, fuzz seeds and benchmarks.

// pattern returns a w×h grey image with a smooth, non-symmetric pattern.
func pattern(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.Pix[y*w+x] = uint8((x*3 + y*5 + (x*y)/7) % 256)
		}
	}
	return g
}

func uniform(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	return binary.BigEndian.AppendUint32(b, crc.Sum32())
}

// withPHYs inserts a pHYs chunk after IHDR of a PNG file.
func withPHYs(b []byte, xppm, yppm uint32, unit byte) []byte {
	var d []byte
	d = binary.BigEndian.AppendUint32(d, xppm)
	d = binary.BigEndian.AppendUint32(d, yppm)
	d = append(d, unit)
	ihdrEnd := 8 + 12 + 13
	out := append([]byte{}, b[:ihdrEnd]...)
	out = append(out, pngChunk("pHYs", d)...)
	return append(out, b[ihdrEnd:]...)
}

// ppm converts pixels per inch to pixels per metre, rounded.
func ppm(ppi float64) uint32 { return uint32(ppi/0.0254 + 0.5) }

func encodeBMP(t testing.TB, img image.Image, xppm, yppm int32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	binary.LittleEndian.PutUint32(b[38:], uint32(xppm))
	binary.LittleEndian.PutUint32(b[42:], uint32(yppm))
	return b
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withSegment inserts a JPEG marker segment right after SOI.
func withSegment(b []byte, marker byte, payload []byte) []byte {
	out := append([]byte{}, b[:2]...)
	out = append(out, 0xff, marker)
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	out = append(out, payload...)
	return append(out, b[2:]...)
}

// jfif returns a JFIF APP0 payload.
func jfif(units byte, xd, yd uint16) []byte {
	p := []byte("JFIF\x00\x01\x02")
	p = append(p, units)
	p = binary.BigEndian.AppendUint16(p, xd)
	p = binary.BigEndian.AppendUint16(p, yd)
	return append(p, 0, 0)
}

// exif returns an Exif APP1 payload with the given IFD0 entries.
func exif(bo byteOrder, entries []tiffEntry) []byte {
	return append([]byte("Exif\x00\x00"), buildTIFFIFD(bo, nil, entries)...)
}

// tiffEntry is one IFD entry; data holds count values in the file's byte order.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

func tShort(bo byteOrder, tag uint16, v ...uint16) tiffEntry {
	var d []byte
	for _, x := range v {
		d = bo.AppendUint16(d, x)
	}
	return tiffEntry{tag, 3, uint32(len(v)), d}
}

func tLong(bo byteOrder, tag uint16, v ...uint32) tiffEntry {
	var d []byte
	for _, x := range v {
		d = bo.AppendUint32(d, x)
	}
	return tiffEntry{tag, 4, uint32(len(v)), d}
}

func tRational(bo byteOrder, tag uint16, num, den uint32) tiffEntry {
	d := bo.AppendUint32(nil, num)
	return tiffEntry{tag, 5, 1, bo.AppendUint32(d, den)}
}

func tDouble(bo byteOrder, tag uint16, v float64) tiffEntry {
	return tiffEntry{tag, 12, 1, bo.AppendUint64(nil, math.Float64bits(v))}
}

// buildTIFFIFD writes a TIFF header, the strip data (if any) and one IFD with
// the entries, their out-of-line values last.
func buildTIFFIFD(bo byteOrder, strip []byte, entries []tiffEntry) []byte {
	var b []byte
	if bo == le {
		b = append(b, "II*\x00"...)
	} else {
		b = append(b, "MM\x00*"...)
	}
	stripOff := 8
	ifdOff := stripOff + len(strip)
	ifdOff += ifdOff & 1
	b = bo.AppendUint32(b, uint32(ifdOff))
	b = append(b, strip...)
	for len(b) < ifdOff {
		b = append(b, 0)
	}
	es := append([]tiffEntry{}, entries...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].tag < es[j].tag })
	extOff := ifdOff + 2 + 12*len(es) + 4
	var ext []byte
	b = bo.AppendUint16(b, uint16(len(es)))
	for _, e := range es {
		b = bo.AppendUint16(b, e.tag)
		b = bo.AppendUint16(b, e.typ)
		b = bo.AppendUint32(b, e.count)
		if len(e.data) <= 4 {
			v := append(append([]byte{}, e.data...), 0, 0, 0, 0)
			b = append(b, v[:4]...)
		} else {
			b = bo.AppendUint32(b, uint32(extOff+len(ext)))
			ext = append(ext, e.data...)
			if len(ext)&1 == 1 {
				ext = append(ext, 0)
			}
		}
	}
	b = bo.AppendUint32(b, 0) // no next IFD
	return append(b, ext...)
}

// encodeTIFF writes an uncompressed grey TIFF (8 or 16 bits; 16-bit pixels
// are taken from g16) by hand, with extra entries such as resolution tags.
func encodeTIFF(bo byteOrder, g *image.Gray, g16 *image.Gray16, extra ...tiffEntry) []byte {
	var strip []byte
	var w, h, bits int
	if g16 != nil {
		w, h, bits = g16.Rect.Dx(), g16.Rect.Dy(), 16
		for i := 0; i < len(g16.Pix); i += 2 {
			strip = bo.AppendUint16(strip, uint16(g16.Pix[i])<<8|uint16(g16.Pix[i+1]))
		}
	} else {
		w, h, bits = g.Rect.Dx(), g.Rect.Dy(), 8
		strip = append(strip, g.Pix...)
	}
	entries := []tiffEntry{
		tLong(bo, 256, uint32(w)),
		tLong(bo, 257, uint32(h)),
		tShort(bo, 258, uint16(bits)),
		tShort(bo, 259, 1),
		tShort(bo, 262, 1),
		tLong(bo, 273, 8),
		tShort(bo, 277, 1),
		tLong(bo, 278, uint32(h)),
		tLong(bo, 279, uint32(len(strip))),
	}
	return buildTIFFIFD(bo, strip, append(entries, extra...))
}

// tiffRes returns XResolution, YResolution and ResolutionUnit entries.
func tiffRes(bo byteOrder, x, y uint32, unit uint16) []tiffEntry {
	return []tiffEntry{tRational(bo, 282, x, 1), tRational(bo, 283, y, 1), tShort(bo, 296, unit)}
}

func encodeTIFFLib(t testing.TB, img image.Image, opts *tiff.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pgmP5(w, h, maxval int, samples []int) []byte {
	b := []byte("P5\n# generated\n")
	b = append(b, []byte(strconv.Itoa(w)+" "+strconv.Itoa(h)+"\n"+strconv.Itoa(maxval)+"\n")...)
	for _, v := range samples {
		if maxval > 255 {
			b = append(b, byte(v>>8), byte(v))
		} else {
			b = append(b, byte(v))
		}
	}
	return b
}

func pgmP2(w, h, maxval int, samples []int) []byte {
	b := []byte("P2 # plain\n" + strconv.Itoa(w) + " " + strconv.Itoa(h) + " " + strconv.Itoa(maxval) + "\n")
	for i, v := range samples {
		b = append(b, strconv.Itoa(v)...)
		if (i+1)%w == 0 {
			b = append(b, '\n')
		} else {
			b = append(b, ' ')
		}
	}
	return b
}

func rgbaImage(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

var (
	le byteOrder = binary.LittleEndian
	be byteOrder = binary.BigEndian
)

// runtimeMem records the bytes allocated so far.
type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}
