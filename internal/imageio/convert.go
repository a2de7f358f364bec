package imageio

import (
	"image"
	"image/color"
)

// toGray converts img to 8-bit grey with origin (0, 0). Colour becomes BT.601
// luma, transparency is composited onto white, 16-bit values are rounded to 8
// bits. An *image.Gray with origin (0, 0) and tight stride is returned as is.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if g, ok := img.(*image.Gray); ok && b.Min == (image.Point{}) && g.Stride == w {
		return g
	}
	dst := image.NewGray(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			i := src.PixOffset(b.Min.X, b.Min.Y+y)
			copy(dst.Pix[y*w:(y+1)*w], src.Pix[i:i+w])
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			i := src.PixOffset(b.Min.X, b.Min.Y+y)
			row := dst.Pix[y*w : (y+1)*w]
			for x := range row {
				v := uint32(src.Pix[i+2*x])<<8 | uint32(src.Pix[i+2*x+1])
				row[x] = to8(v)
			}
		}
	case *image.YCbCr:
		// The Y plane is the luma.
		for y := 0; y < h; y++ {
			i := src.YOffset(b.Min.X, b.Min.Y+y)
			copy(dst.Pix[y*w:(y+1)*w], src.Y[i:i+w])
		}
	case *image.Paletted:
		var lut [256]uint8
		for i, c := range src.Palette {
			if i < len(lut) {
				lut[i] = grey(c)
			}
		}
		for y := 0; y < h; y++ {
			i := src.PixOffset(b.Min.X, b.Min.Y+y)
			row := dst.Pix[y*w : (y+1)*w]
			for x := range row {
				row[x] = lut[src.Pix[i+x]]
			}
		}
	case image.RGBA64Image:
		for y := 0; y < h; y++ {
			row := dst.Pix[y*w : (y+1)*w]
			for x := range row {
				c := src.RGBA64At(b.Min.X+x, b.Min.Y+y)
				row[x] = luma(uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A))
			}
		}
	default:
		for y := 0; y < h; y++ {
			row := dst.Pix[y*w : (y+1)*w]
			for x := range row {
				row[x] = grey(src.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return dst
}

// grey converts a colour to 8-bit luma over white.
func grey(c color.Color) uint8 {
	if c == nil {
		return 0
	}
	r, g, b, a := c.RGBA()
	return luma(r, g, b, a)
}

// luma converts alpha-premultiplied 16-bit RGBA to 8-bit BT.601 luma,
// composited onto white.
func luma(r, g, b, a uint32) uint8 {
	y := (19595*r + 38470*g + 7471*b + 1<<15) >> 16
	if a > 0xffff {
		a = 0xffff
	}
	y += 0xffff - a
	if y > 0xffff {
		y = 0xffff
	}
	return to8(y)
}

// to8 rounds a 16-bit value to 8 bits.
func to8(v uint32) uint8 { return uint8((v*255 + 32767) / 65535) }
