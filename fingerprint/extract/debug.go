package extract

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"github.com/biomesh/biomesh/fingerprint"
)

// debugWriter writes one PNG per stage when Options.DebugDir is set; all methods are no-ops
// otherwise. The first write error is kept in err.
type debugWriter struct {
	dir, name string
	s         *state
	err       error
}

func newDebug(o *Options, s *state) *debugWriter {
	if o.DebugDir == "" {
		return nil
	}
	name := o.DebugName
	if name == "" {
		name = "debug"
	}
	if err := os.MkdirAll(o.DebugDir, 0o755); err != nil {
		return &debugWriter{err: err}
	}
	return &debugWriter{dir: o.DebugDir, name: name, s: s}
}

func (d *debugWriter) on() bool { return d != nil && d.s != nil && d.err == nil }

func (d *debugWriter) save(stage string, img image.Image) {
	f, err := os.Create(filepath.Join(d.dir, fmt.Sprintf("%s_%s.png", d.name, stage)))
	if err != nil {
		d.err = err
		return
	}
	if err := png.Encode(f, img); err != nil {
		d.err = err
	}
	if err := f.Close(); err != nil && d.err == nil {
		d.err = err
	}
}

// background returns the grey image as RGBA, dimmed outside the mask when dim is set.
func (d *debugWriter) background(dim bool) *image.RGBA {
	s := d.s
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for i, v := range s.pix {
		g := uint8(v)
		if dim && s.mask != nil && !s.mask[i] {
			g = uint8(v/3 + 80)
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = g, g/2, g/2, 255
			continue
		}
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = g, g, g, 255
	}
	return img
}

func (d *debugWriter) mask() {
	if !d.on() {
		return
	}
	d.save("1_mask", d.background(true))
}

func (d *debugWriter) orientation() {
	if !d.on() {
		return
	}
	s := d.s
	img := d.background(true)
	step := 2 * s.p.block
	for y := step / 2; y < s.h; y += step {
		for x := step / 2; x < s.w; x += step {
			if !s.mask[y*s.w+x] {
				continue
			}
			th := float64(s.pixTheta[y*s.w+x])
			c := float64(s.ocoh[s.blockAt(x, y)])
			col := color.RGBA{uint8(255 * (1 - c)), uint8(255 * c), 0, 255}
			dx, dy := 6*math.Cos(th), 6*math.Sin(th)
			drawLine(img, float64(x)-dx, float64(y)-dy, float64(x)+dx, float64(y)+dy, col)
		}
	}
	d.save("2_orientation", img)
}

func (d *debugWriter) frequency() {
	if !d.on() {
		return
	}
	s := d.s
	img := image.NewGray(image.Rect(0, 0, s.w, s.h))
	lo, hi := s.p.freqMin, float32(16)
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			i := y*s.w + x
			if !s.mask[i] {
				continue
			}
			v := (s.wavelength[s.blockAt(x, y)] - lo) / (hi - lo)
			img.Pix[i] = uint8(255 * min(max(v, 0), 1))
		}
	}
	d.save("3_frequency", img)
}

func (d *debugWriter) enhanced() {
	if !d.on() {
		return
	}
	s := d.s
	var m float32
	for _, v := range s.enh {
		m = max(m, v, -v)
	}
	img := image.NewGray(image.Rect(0, 0, s.w, s.h))
	for i, v := range s.enh {
		g := float32(128)
		if m > 0 {
			g = 128 + 127*v/m
		}
		img.Pix[i] = uint8(g)
	}
	d.save("4_enhanced", img)
}

func binaryImage(b []uint8, w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range b {
		if v == 0 {
			img.Pix[i] = 255
		}
	}
	return img
}

func (d *debugWriter) binary() {
	if !d.on() {
		return
	}
	d.save("5_binary", binaryImage(d.s.binary, d.s.w, d.s.h))
}

func (d *debugWriter) skeleton() {
	if !d.on() {
		return
	}
	d.save("6_skeleton", binaryImage(d.s.skel, d.s.w, d.s.h))
}

func (d *debugWriter) minutiae() {
	if !d.on() {
		return
	}
	s := d.s
	img := d.background(true)
	for i, v := range s.skel {
		if v != 0 {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2] = 0, 160, 255
		}
	}
	for _, m := range s.minutiae {
		col := color.RGBA{255, 0, 0, 255}
		if m.kind == fingerprint.Bifurcation {
			col = color.RGBA{0, 200, 0, 255}
		}
		drawCircle(img, m.x, m.y, 3, col)
		drawLine(img, m.x, m.y, m.x+12*math.Cos(m.dir), m.y+12*math.Sin(m.dir), col)
	}
	d.save("7_minutiae", img)
}

func drawLine(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	n := int(math.Ceil(math.Max(math.Abs(x1-x0), math.Abs(y1-y0)))) + 1
	for k := 0; k <= n; k++ {
		t := float64(k) / float64(n)
		img.SetRGBA(int(math.Round(x0+t*(x1-x0))), int(math.Round(y0+t*(y1-y0))), c)
	}
}

func drawCircle(img *image.RGBA, x, y, r float64, c color.RGBA) {
	for k := 0; k < 24; k++ {
		a := 2 * math.Pi * float64(k) / 24
		img.SetRGBA(int(math.Round(x+r*math.Cos(a))), int(math.Round(y+r*math.Sin(a))), c)
	}
}
