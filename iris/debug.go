package iris

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"math/bits"
	"os"
	"path/filepath"
)

func popcount(w uint64) int { return bits.OnesCount64(w) }

// writeDebug writes the segmentation overlay and the normalised strip as PNG.
func writeDebug(opts *Options, s *seg, st *strip, code, mask []uint64) error {
	if err := os.MkdirAll(opts.DebugDir, 0o755); err != nil {
		return err
	}
	name := opts.DebugName
	if name == "" {
		name = "iris"
	}
	g := s.img
	ov := image.NewRGBA(image.Rect(0, 0, g.w, g.h))
	for y := range g.h {
		for x := range g.w {
			v := uint8(min(255, max(0, g.p[y*g.w+x])))
			c := color.RGBA{v, v, v, 255}
			if s.spec[y*g.w+x] {
				c = color.RGBA{v, v / 2, 255, 255}
			} else if s.iris.R > 0 && inAnnulus(s, float64(x), float64(y)) && s.occluded(float64(x), float64(y)) {
				c = color.RGBA{v, v, v / 3, 255}
			}
			ov.SetRGBA(x, y, c)
		}
	}
	drawCircle(ov, s.pupil, color.RGBA{0, 255, 0, 255})
	drawCircle(ov, s.iris, color.RGBA{255, 0, 0, 255})
	for _, l := range []lid{s.upper, s.lower} {
		if !l.found {
			continue
		}
		for x := 0; x < g.w; x++ {
			y := int(math.Round(l.y(float64(x))))
			if y >= 0 && y < g.h {
				ov.SetRGBA(x, y, color.RGBA{255, 255, 0, 255})
			}
		}
	}
	if err := writePNG(filepath.Join(opts.DebugDir, name+"-overlay.png"), ov); err != nil {
		return err
	}
	if st == nil {
		return nil
	}
	// The strip (scaled ×2), then the code bits (real row over imaginary row per band, masked
	// bits in red).
	p := s.p
	const z = 2
	codeH := p.codeRows * 2 * 2
	im := image.NewRGBA(image.Rect(0, 0, st.cols*z, st.rows*z+4+codeH*z))
	for i := range st.rows {
		for j := range st.cols {
			v := uint8(min(255, max(0, st.v[i*st.cols+j])))
			c := color.RGBA{v, v, v, 255}
			if !st.ok[i*st.cols+j] {
				c = color.RGBA{v/2 + 127, v / 2, v / 2, 255}
			}
			for dy := range z {
				for dx := range z {
					im.SetRGBA(j*z+dx, i*z+dy, c)
				}
			}
		}
	}
	wpb := p.codeCols * 2 / 64
	for b := range p.codeRows {
		for q := range p.codeCols {
			for k := range 2 {
				bit := b*wpb*64 + 2*q + k
				on := code[bit/64]>>(bit%64)&1 == 1
				valid := mask[bit/64]>>(bit%64)&1 == 1
				c := color.RGBA{0, 0, 0, 255}
				if on {
					c = color.RGBA{255, 255, 255, 255}
				}
				if !valid {
					c.R, c.G, c.B = 128+c.R/4, c.G/4, c.B/4
				}
				y0 := st.rows*z + 4 + (b*4+k*2)*z
				for dy := range 2 * z {
					for dx := range z * st.cols / p.codeCols {
						im.SetRGBA(q*z*st.cols/p.codeCols+dx, y0+dy, c)
					}
				}
			}
		}
	}
	return writePNG(filepath.Join(opts.DebugDir, name+"-strip.png"), im)
}

func inAnnulus(s *seg, x, y float64) bool {
	dx, dy := x-s.iris.X, y-s.iris.Y
	if dx*dx+dy*dy > s.iris.R*s.iris.R {
		return false
	}
	dx, dy = x-s.pupil.X, y-s.pupil.Y
	return dx*dx+dy*dy >= s.pupil.R*s.pupil.R
}

func drawCircle(im *image.RGBA, c Circle, col color.RGBA) {
	if c.R <= 0 {
		return
	}
	n := int(2*math.Pi*c.R) + 8
	for k := range n {
		th := 2 * math.Pi * float64(k) / float64(n)
		x, y := int(math.Round(c.X+c.R*math.Cos(th))), int(math.Round(c.Y+c.R*math.Sin(th)))
		if image.Pt(x, y).In(im.Rect) {
			im.SetRGBA(x, y, col)
		}
	}
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
