package iris

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // eye images arrive as JPEG …
	_ "image/png"  // … or PNG
	"math"

	_ "golang.org/x/image/bmp"  // … or BMP (CASIA v3 and others)
	_ "golang.org/x/image/tiff" // … or TIFF
)

// ErrImage is wrapped by the errors of images that cannot be read.
var ErrImage = errors.New("iris: unreadable image")

// DecodeImage decodes a JPEG, PNG, BMP or TIFF eye image, or the first image of an ISO/IEC
// 19794-6 record, into grey levels.
func DecodeImage(data []byte) (*image.Gray, error) {
	if IsISO(data) {
		rec, err := DecodeISO(data)
		if err != nil {
			return nil, err
		}
		if len(rec.Images) == 0 {
			return nil, fmt.Errorf("%w: ISO 19794-6 record holds no image", ErrImage)
		}
		return rec.Gray(0)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImage, err)
	}
	return toGray(img), nil
}

func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}

// plane is a float32 grey-level image, row-major.
type plane struct {
	w, h int
	p    []float32
}

func newPlane(w, h int) *plane { return &plane{w, h, make([]float32, w*h)} }

// at returns the bilinearly interpolated value at (x, y), clamped to the image.
func (g *plane) at(x, y float64) float32 {
	if x < 0 {
		x = 0
	} else if x > float64(g.w-1) {
		x = float64(g.w - 1)
	}
	if y < 0 {
		y = 0
	} else if y > float64(g.h-1) {
		y = float64(g.h - 1)
	}
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, g.w-1), min(y0+1, g.h-1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	r0 := g.p[y0*g.w+x0]*(1-fx) + g.p[y0*g.w+x1]*fx
	r1 := g.p[y1*g.w+x0]*(1-fx) + g.p[y1*g.w+x1]*fx
	return r0*(1-fy) + r1*fy
}

// near returns the value of the nearest pixel, or ok = false outside the image.
func (g *plane) near(x, y float64) (v float32, ok bool) {
	xi, yi := int(x+0.5), int(y+0.5)
	if x < -0.5 || y < -0.5 || xi >= g.w || yi >= g.h {
		return 0, false
	}
	return g.p[yi*g.w+xi], true
}

// resample returns g scaled by factor s (s < 1 shrinks) with box averaging.
func (g *plane) resample(s float64) *plane {
	if s == 1 {
		return &plane{g.w, g.h, append([]float32(nil), g.p...)}
	}
	w, h := max(1, int(math.Round(float64(g.w)*s))), max(1, int(math.Round(float64(g.h)*s)))
	out := newPlane(w, h)
	inv := 1 / s
	for y := range h {
		sy0, sy1 := float64(y)*inv, float64(y+1)*inv
		for x := range w {
			sx0, sx1 := float64(x)*inv, float64(x+1)*inv
			var sum float32
			n := 0
			for yy := int(sy0); yy < int(math.Ceil(sy1)) && yy < g.h; yy++ {
				for xx := int(sx0); xx < int(math.Ceil(sx1)) && xx < g.w; xx++ {
					sum += g.p[yy*g.w+xx]
					n++
				}
			}
			if n > 0 {
				out.p[y*w+x] = sum / float32(n)
			}
		}
	}
	return out
}

// blur returns g convolved with a Gaussian of standard deviation sigma (separable, edges
// clamped).
func (g *plane) blur(sigma float64) *plane {
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float32
	for i := -r; i <= r; i++ {
		k[i+r] = float32(math.Exp(-float64(i*i) / (2 * sigma * sigma)))
		sum += k[i+r]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := newPlane(g.w, g.h)
	for y := range g.h {
		row, dst := g.p[y*g.w:(y+1)*g.w], tmp.p[y*g.w:(y+1)*g.w]
		for x := range g.w {
			var s float32
			if x >= r && x+r < g.w {
				for i, kv := range k {
					s += kv * row[x-r+i]
				}
			} else {
				for i := -r; i <= r; i++ {
					s += k[i+r] * row[min(max(x+i, 0), g.w-1)]
				}
			}
			dst[x] = s
		}
	}
	out := newPlane(g.w, g.h)
	for y := range g.h {
		dst := out.p[y*g.w : (y+1)*g.w]
		for i := -r; i <= r; i++ {
			src := tmp.p[min(max(y+i, 0), g.h-1)*g.w:][:g.w]
			kv := k[i+r]
			for x, v := range src {
				dst[x] += kv * v
			}
		}
	}
	return out
}

// integral returns the summed-area table of g, (w+1)×(h+1).
func (g *plane) integral() []float64 {
	w1 := g.w + 1
	s := make([]float64, w1*(g.h+1))
	for y := range g.h {
		var row float64
		for x := range g.w {
			row += float64(g.p[y*g.w+x])
			s[(y+1)*w1+x+1] = s[y*w1+x+1] + row
		}
	}
	return s
}

// boxMean returns the mean of g over the box [x0, x1) × [y0, y1) from its integral image.
func boxMean(s []float64, w, x0, y0, x1, y1 int) float64 {
	w1 := w + 1
	n := (x1 - x0) * (y1 - y0)
	if n <= 0 {
		return 0
	}
	return (s[y1*w1+x1] - s[y0*w1+x1] - s[y1*w1+x0] + s[y0*w1+x0]) / float64(n)
}
