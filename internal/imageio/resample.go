package imageio

import (
	"image"

	"golang.org/x/image/draw"
)

// Resample scales img by to/from (both in pixels per inch) with Catmull-Rom
// filtering, whose kernel is widened when downscaling so that it also
// averages (anti-aliases). The new size is the old one times to/from,
// rounded. It returns img unchanged when from == to or either is not
// positive. The caller bounds the scale factor: the result is allocated
// whatever its size.
func Resample(img *image.Gray, from, to int) *image.Gray {
	if from == to || from <= 0 || to <= 0 {
		return img
	}
	b := img.Bounds()
	return resize(img, scaled(b.Dx(), from, to), scaled(b.Dy(), from, to))
}

// resize scales img to w×h pixels, each axis independently. It returns img
// when the size is unchanged.
func resize(img *image.Gray, w, h int) *image.Gray {
	b := img.Bounds()
	if w == b.Dx() && h == b.Dy() {
		return img
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	if b.Empty() {
		return dst
	}
	draw.CatmullRom.Scale(dst, dst.Rect, img, b, draw.Src, nil)
	return dst
}
