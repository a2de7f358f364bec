package imageio

import (
	"math"
	"testing"
)

func TestTIFFResolution(t *testing.T) {
	ifd := func(bo byteOrder, entries ...tiffEntry) []byte { return buildTIFFIFD(bo, []byte{1, 2, 3}, entries) }
	srational := func(bo byteOrder, tag uint16, num, den int32) tiffEntry {
		d := bo.AppendUint32(nil, uint32(num))
		return tiffEntry{tag, 10, 1, bo.AppendUint32(d, uint32(den))}
	}
	float := func(bo byteOrder, tag uint16, v float32) tiffEntry {
		return tiffEntry{tag, 11, 1, bo.AppendUint32(nil, math.Float32bits(v))}
	}
	badOffset := ifd(le, tRational(le, 282, 500, 1), tRational(le, 283, 500, 1))
	le.PutUint32(badOffset[8+4+2+8:], 1<<31)    // value offset of XResolution
	le.PutUint32(badOffset[8+4+2+12+8:], 1<<31) // and of YResolution
	truncated := ifd(be, tiffRes(be, 500, 500, 2)...)
	tests := []struct {
		name string
		data []byte
		x, y float64
	}{
		{"LE inch", ifd(le, tiffRes(le, 500, 500, 2)...), 500, 500},
		{"BE inch", ifd(be, tiffRes(be, 500, 600, 2)...), 500, 600},
		{"BE cm", ifd(be, tiffRes(be, 200, 200, 3)...), 508, 508},
		{"unit none", ifd(le, tiffRes(le, 500, 500, 1)...), 0, 0},
		{"unit unknown", ifd(le, tiffRes(le, 500, 500, 7)...), 0, 0},
		{"unit as LONG", ifd(le, tRational(le, 282, 100, 1), tRational(le, 283, 100, 1), tLong(le, 296, 3)), 254, 254},
		{"no unit", ifd(be, tRational(be, 282, 500, 1), tRational(be, 283, 500, 1)), 500, 500},
		{"only Y", ifd(be, tRational(be, 283, 500, 1)), 500, 500},
		{"zero denominator", ifd(le, tRational(le, 282, 500, 0), tRational(le, 283, 500, 0)), 0, 0},
		{"zero", ifd(le, tRational(le, 282, 0, 1), tRational(le, 283, 0, 1)), 0, 0},
		{"SRATIONAL", ifd(le, srational(le, 282, 1000, 2), srational(le, 283, 1000, 2)), 500, 500},
		{"negative SRATIONAL", ifd(le, srational(le, 282, -500, 1), srational(le, 283, -500, 1)), 0, 0},
		{"FLOAT", ifd(be, float(be, 282, 500), float(be, 283, 500)), 500, 500},
		{"FLOAT NaN", ifd(be, float(be, 282, float32(math.NaN())), float(be, 283, float32(math.Inf(1)))), 0, 0},
		{"DOUBLE", ifd(le, tDouble(le, 282, 500.5), tDouble(le, 283, 500.5)), 500.5, 500.5},
		{"SHORT pair", ifd(le, tShort(le, 282, 500, 7), tShort(le, 283, 500, 7)), 500, 500},
		{"ASCII type ignored", ifd(le, tiffEntry{282, 2, 4, []byte("500\x00")}), 0, 0},
		{"zero count", ifd(le, tiffEntry{282, 5, 0, []byte{0, 0, 0, 8}}), 0, 0},
		{"offset out of range", badOffset, 0, 0},
		{"IFD cut short", truncated[:len(truncated)-20], 0, 0},
		{"IFD offset out of range", []byte("II*\x00\xff\xff\xff\xff"), 0, 0},
		{"not TIFF", []byte("II+\x00\x08\x00\x00\x00"), 0, 0},
		{"too short", []byte("MM\x00"), 0, 0},
	}
	for _, tc := range tests {
		x, y := tiffResolution(tc.data)
		if math.Abs(x-tc.x) > 1e-9 || math.Abs(y-tc.y) > 1e-9 {
			t.Errorf("%s: got %g×%g, want %g×%g", tc.name, x, y, tc.x, tc.y)
		}
	}
}

func TestOtherResolutions(t *testing.T) {
	png := encodePNG(t, pattern(8, 8))
	// pHYs after IDAT is not allowed and ignored.
	idatAt := len(png) - 12
	lateP := append(append(append([]byte{}, png[:idatAt]...), pngChunk("pHYs", []byte{0, 0, 0x4c, 0xe5, 0, 0, 0x4c, 0xe5, 1})...), png[idatAt:]...)
	jpg := encodeJPEG(t, pattern(8, 8))
	fill := append([]byte{0xff, 0xd8, 0xff, 0xff}, withSegment(jpg, 0xe0, jfif(1, 600, 600))[2:]...)
	core := encodeBMP(t, pattern(8, 8), 19685, 19685)
	le.PutUint32(core[14:], 12)
	tests := []struct {
		name   string
		format string
		data   []byte
		x, y   float64
	}{
		{"png pHYs", "png", withPHYs(png, 19685, 39370, 1), 499.999, 999.998},
		{"png late pHYs", "png", lateP, 0, 0},
		{"png short pHYs", "png", append(append([]byte{}, png[:33]...), pngChunk("pHYs", []byte{1, 2, 3})...), 0, 0},
		{"png truncated chunk", "png", png[:40], 0, 0},
		{"bmp", "bmp", encodeBMP(t, pattern(8, 8), 19685, 19685), 499.999, 499.999},
		{"bmp negative", "bmp", encodeBMP(t, pattern(8, 8), -19685, 19685), 0, 0},
		{"bmp core header", "bmp", core, 0, 0},
		{"jpeg JFIF", "jpeg", withSegment(jpg, 0xe0, jfif(1, 600, 300)), 600, 300},
		{"jpeg JFIF dpcm", "jpeg", withSegment(jpg, 0xe0, jfif(2, 100, 100)), 254, 254},
		{"jpeg JFIF zero density", "jpeg", withSegment(jpg, 0xe0, jfif(1, 0, 0)), 0, 0},
		{"jpeg fill bytes", "jpeg", fill, 600, 600},
		{"jpeg JFIF before Exif", "jpeg", withSegment(withSegment(jpg, 0xe1, exif(le, tiffRes(le, 300, 300, 2))), 0xe0, jfif(1, 600, 600)), 600, 600},
		{"jpeg Exif when JFIF has no unit", "jpeg", withSegment(withSegment(jpg, 0xe1, exif(le, tiffRes(le, 300, 300, 2))), 0xe0, jfif(0, 1, 1)), 300, 300},
		{"jpeg bad segment length", "jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01}, 0, 0},
		{"pgm", "pgm", pgmP5(1, 1, 255, []int{0}), 0, 0},
		{"unknown", "wsq", []byte{0xff, 0xa0}, 0, 0},
	}
	for _, tc := range tests {
		r := fileResolution(tc.format, tc.data)
		if math.Abs(r.x-tc.x) > 1e-3 || math.Abs(r.y-tc.y) > 1e-3 {
			t.Errorf("%s: got %g×%g, want %g×%g", tc.name, r.x, r.y, tc.x, tc.y)
		}
	}
}
