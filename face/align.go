package face

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
)

// ChipTemplate says where an embedder wants the landmarks in its input chip.
type ChipTemplate struct {
	Size   int             `json:"size"`   // the chip is Size×Size pixels
	Points []TemplatePoint `json:"points"` // at least two, named as in Landmarks.Point
}

// TemplatePoint is one landmark's place in the chip, in chip pixels.
type TemplatePoint struct {
	Name string  `json:"name"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
}

// DlibChip is the chip of dlib's ResNet embedding network: 150×150 with a padding of 0.25
// around the mean face, as dlib's get_face_chip_details(shape, 150, 0.25) lays it out.
// The johns test set consists of such chips.
var DlibChip = dlibChip(150, 0.25)

func dlibChip(size int, padding float64) ChipTemplate {
	// dlib's 5-point mean face on the unit square (interpolation.h, get_face_chip_details).
	unit := []TemplatePoint{
		{"left_eye_outer", 0.8595674595992, 0.2134981538014},
		{"left_eye_inner", 0.6460604764104, 0.2289674387677},
		{"right_eye_outer", 0.1205750620789, 0.2137274526848},
		{"right_eye_inner", 0.3340850613712, 0.2290642403242},
		{"nose", 0.4901123135679, 0.6277975316475},
	}
	t := ChipTemplate{Size: size}
	for _, p := range unit {
		f := func(v float64) float64 { return (padding + v) / (2*padding + 1) * float64(size) }
		t.Points = append(t.Points, TemplatePoint{p.Name, f(p.X), f(p.Y)})
	}
	return t
}

// Validate checks the template's size and points.
func (t ChipTemplate) Validate() error {
	if t.Size < 16 || t.Size > 1024 {
		return fmt.Errorf("chip size %d out of range 16..1024", t.Size)
	}
	if len(t.Points) < 2 {
		return errors.New("chip template needs at least two points")
	}
	var l Landmarks
	for _, p := range t.Points {
		if _, ok := l.Point(p.Name); !ok {
			return fmt.Errorf("chip template: unknown landmark %q", p.Name)
		}
		if !(p.X >= 0 && p.X <= float64(t.Size) && p.Y >= 0 && p.Y <= float64(t.Size)) {
			return fmt.Errorf("chip template: %s at (%g,%g) is outside the chip", p.Name, p.X, p.Y)
		}
	}
	return nil
}

// Similarity maps chip coordinates to image coordinates: image = Z·(chip − From) + To,
// with points as complex numbers x+iy. |Z| is the scale (image pixels per chip pixel) and
// arg Z the rotation.
type Similarity struct {
	Z, From, To complex128
}

// Apply maps a chip point into the image.
func (s Similarity) Apply(p Point) Point {
	q := s.Z*(complex(p.X, p.Y)-s.From) + s.To
	return Point{real(q), imag(q)}
}

// FitSimilarity is the least-squares similarity transform taking the template's points
// onto the matching landmarks (the closed form of Umeyama's method in two dimensions).
func FitSimilarity(t ChipTemplate, l Landmarks) (Similarity, error) {
	if err := t.Validate(); err != nil {
		return Similarity{}, err
	}
	if !l.finite() {
		return Similarity{}, errors.New("landmarks are not finite")
	}
	n := complex(float64(len(t.Points)), 0)
	var a, b []complex128
	var ma, mb complex128
	for _, tp := range t.Points {
		p, _ := l.Point(tp.Name)
		a = append(a, complex(tp.X, tp.Y))
		b = append(b, complex(p.X, p.Y))
		ma += a[len(a)-1]
		mb += b[len(b)-1]
	}
	ma /= n
	mb /= n
	var num complex128
	var den float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		num += cmplx.Conj(da) * db
		den += real(da)*real(da) + imag(da)*imag(da)
	}
	if den == 0 {
		return Similarity{}, errors.New("chip template points coincide")
	}
	z := num / complex(den, 0)
	if cmplx.Abs(z) < 1e-6 || cmplx.IsNaN(z) || cmplx.IsInf(z) {
		return Similarity{}, errors.New("landmarks coincide")
	}
	return Similarity{Z: z, From: ma, To: mb}, nil
}

// maxSuper caps the samples per chip pixel and axis when shrinking a large face.
const maxSuper = 8

// Align cuts the chip out of img: the template's points land on the face's landmarks.
// When the face is larger than the chip, each chip pixel averages n×n bilinear samples
// (n = ⌈scale⌉, at most 8), which stands in for dlib's pyramid and avoids aliasing.
// Pixels outside the image repeat the nearest edge pixel.
func Align(img *RGB, l Landmarks, t ChipTemplate) (*RGB, error) {
	s, err := FitSimilarity(t, l)
	if err != nil {
		return nil, err
	}
	return warp(img, s, t.Size), nil
}

func warp(img *RGB, s Similarity, size int) *RGB {
	out := NewRGB(size, size)
	n := clamp(int(math.Ceil(cmplx.Abs(s.Z))), 1, maxSuper)
	var acc [3]float64
	for v := 0; v < size; v++ {
		for u := 0; u < size; u++ {
			acc = [3]float64{}
			for j := 0; j < n; j++ {
				for i := 0; i < n; i++ {
					cu := float64(u) + (float64(i)+0.5)/float64(n) - 0.5
					cv := float64(v) + (float64(j)+0.5)/float64(n) - 0.5
					q := s.Z*(complex(cu, cv)-s.From) + s.To
					bilinearAdd(img, real(q), imag(q), &acc)
				}
			}
			o := 3 * (v*size + u)
			k := float64(n * n)
			out.Pix[o] = byte(acc[0]/k + 0.5)
			out.Pix[o+1] = byte(acc[1]/k + 0.5)
			out.Pix[o+2] = byte(acc[2]/k + 0.5)
		}
	}
	return out
}

// bilinearAdd adds the bilinear sample of m at (x, y) to acc (edges clamped).
func bilinearAdd(m *RGB, x, y float64, acc *[3]float64) {
	x = clampf(x, 0, float64(m.W-1))
	y = clampf(y, 0, float64(m.H-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, m.W-1), min(y0+1, m.H-1)
	fx, fy := x-float64(x0), y-float64(y0)
	a := m.Pix[3*(y0*m.W+x0):]
	b := m.Pix[3*(y0*m.W+x1):]
	c := m.Pix[3*(y1*m.W+x0):]
	d := m.Pix[3*(y1*m.W+x1):]
	for k := 0; k < 3; k++ {
		top := float64(a[k]) + fx*(float64(b[k])-float64(a[k]))
		bot := float64(c[k]) + fx*(float64(d[k])-float64(c[k]))
		acc[k] += top + fy*(bot-top)
	}
}
