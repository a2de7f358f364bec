package face

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG photos
	_ "image/png"  // PNG photos
	"io"
	"os"

	_ "github.com/biomesh/biomesh/jpeg2000" // JPEG 2000 in ISO/IEC 19794-5 records (-tags openjpeg decodes it)
)

// Decode limits, checked on the image header before any pixel is decoded, so a small file
// claiming a huge image cannot exhaust memory.
const (
	MaxImageSide   = 16384    // pixels, either side
	MaxImagePixels = 50 << 20 // about 52 megapixels
	MaxFileBytes   = 64 << 20 // bytes read from one file or reader
	MinImageSide   = 24       // pixels; nothing smaller can hold a usable face
)

// DecodeFile reads a JPEG or PNG photo, naming the file in any error.
func DecodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, inputErr(path, "cannot open", err)
	}
	defer f.Close()
	return Decode(path, f)
}

// Decode reads a JPEG or PNG photo, or an ISO/IEC 19794-5 face image record, from r;
// name labels errors. Of a record, the first facial image is decoded: JPEG, or JPEG 2000
// in builds with -tags openjpeg.
func Decode(name string, r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, inputErr(name, "cannot read", err)
	}
	if len(data) > MaxFileBytes {
		return nil, inputErr(name, fmt.Sprintf("larger than %d MiB", MaxFileBytes>>20), nil)
	}
	if len(data) == 0 {
		return nil, inputErr(name, "empty file", nil)
	}
	var want map[string]bool // of a record: the image formats its data type allows
	var declared string
	if IsISOFaceRecord(data) {
		rec, err := ParseISOFaceRecord(data)
		if err != nil {
			return nil, inputErr(name, "bad face record", err)
		}
		im := rec.Images[0]
		data, want = im.Data, isoFormats[im.ImageDataType]
		declared = map[byte]string{ISOImageJPEG: "JPEG", ISOImageJPEG2000: "JPEG 2000"}[im.ImageDataType]
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, inputErr(name, "not a JPEG or PNG image", nil)
		}
		return nil, inputErr(name, "bad image header", err)
	}
	if want != nil && !want[format] {
		return nil, inputErr(name, fmt.Sprintf("face record declares its image %s but holds %s", declared, format), nil)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, inputErr(name, format+" "+err.Error(), nil)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, inputErr(name, "corrupt "+format, err)
	}
	return img, nil
}

// isoFormats are the image package's format names each ISO image data type allows.
var isoFormats = map[byte]map[string]bool{
	ISOImageJPEG:     {"jpeg": true},
	ISOImageJPEG2000: {"jp2": true, "j2k": true},
}

func checkSize(w, h int) error {
	switch {
	case w < MinImageSide || h < MinImageSide:
		return fmt.Errorf("image %d×%d is too small (under %d pixels a side)", w, h, MinImageSide)
	case w > MaxImageSide || h > MaxImageSide || w*h > MaxImagePixels:
		return fmt.Errorf("image %d×%d is too large (limit %d pixels a side, %d megapixels)", w, h, MaxImageSide, MaxImagePixels>>20)
	}
	return nil
}

// ToRGB converts any image to packed RGB, with fast paths for the types the JPEG and PNG
// decoders return. It checks the same size limits as Decode.
func ToRGB(img image.Image) (*RGB, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if err := checkSize(w, h); err != nil {
		return nil, err
	}
	out := NewRGB(w, h)
	p := out.Pix
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			o := 3 * w * y
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				p[o], p[o+1], p[o+2] = r, g, bb
				o += 3
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := 3 * w * y
			for x := 0; x < w; x++ {
				v := row[x]
				p[o], p[o+1], p[o+2] = v, v, v
				o += 3
			}
		}
	case *image.RGBA:
		// Premultiplied: a transparent pixel comes out black, as it would be drawn on black.
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			o := 3 * w * y
			for x := 0; x < w; x++ {
				p[o], p[o+1], p[o+2] = row[4*x], row[4*x+1], row[4*x+2]
				o += 3
			}
		}
	default:
		o := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				p[o], p[o+1], p[o+2] = c.R, c.G, c.B
				o += 3
			}
		}
	}
	return out, nil
}

// Image returns the RGB image as an image.Image (for writing chips as PNG).
func (m *RGB) Image() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for i := 0; i < m.W*m.H; i++ {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = m.Pix[3*i], m.Pix[3*i+1], m.Pix[3*i+2], 255
	}
	return out
}

// resize scales m by s (area averaging when shrinking, bilinear when growing).
func resize(m *RGB, s float64) *RGB {
	w, h := max(1, int(float64(m.W)*s+0.5)), max(1, int(float64(m.H)*s+0.5))
	if s >= 1 {
		out := NewRGB(w, h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var acc [3]float64
				bilinearAdd(m, (float64(x)+0.5)/s-0.5, (float64(y)+0.5)/s-0.5, &acc)
				o := 3 * (y*w + x)
				out.Pix[o], out.Pix[o+1], out.Pix[o+2] = byte(acc[0]+0.5), byte(acc[1]+0.5), byte(acc[2]+0.5)
			}
		}
		return out
	}
	// Area average: each output pixel is the mean of the input pixels whose centres fall
	// in its footprint.
	out := NewRGB(w, h)
	x0s := make([]int, w+1)
	for x := 0; x <= w; x++ {
		x0s[x] = clamp(int(float64(x)/s+0.5), 0, m.W)
	}
	for y := 0; y < h; y++ {
		y0 := clamp(int(float64(y)/s+0.5), 0, m.H)
		y1 := clamp(int(float64(y+1)/s+0.5), y0+1, m.H)
		y0 = min(y0, y1-1)
		for x := 0; x < w; x++ {
			x0, x1 := x0s[x], max(x0s[x+1], x0s[x]+1)
			x1 = min(x1, m.W)
			x0 = min(x0, x1-1)
			var r, g, b, n int
			for yy := y0; yy < y1; yy++ {
				row := m.Pix[3*(yy*m.W):]
				for xx := x0; xx < x1; xx++ {
					r += int(row[3*xx])
					g += int(row[3*xx+1])
					b += int(row[3*xx+2])
					n++
				}
			}
			o := 3 * (y*w + x)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2] = byte((r+n/2)/n), byte((g+n/2)/n), byte((b+n/2)/n)
		}
	}
	return out
}
