package wsq

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"math"
	"testing"
)

func applyPlan(p *plan, x []float32) []float32 {
	out := make([]float32, len(p.start)-1)
	for m := range out {
		for k := p.start[m]; k < p.start[m+1]; k++ {
			out[m] += x[p.off[k]] * p.coef[k]
		}
	}
	return out
}

// TestWalkMatchesOddPlan: for the 9/7 filters, the port of the reference
// decoder's walk gives the same synthesis as synthesisPlan.
func TestWalkMatchesOddPlan(t *testing.T) {
	lo, hi := synthesisFilters()
	// Below 6 samples the reference walk repeats an edge sample only once
	// where a consistent symmetric extension would keep reflecting, so
	// the two differ there; synthesisPlan keeps the consistent extension.
	for n := 6; n <= 64; n++ {
		for _, inv := range []bool{false, true} {
			w := walkSynthesis(n, inv, lo, hi)
			if w == nil {
				t.Errorf("n=%d inv=%v: walk leaves the line", n, inv)
				continue
			}
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(math.Sin(float64(i*i+3))) * 50
			}
			a, b := applyPlan(w, x), applyPlan(synthesisPlan(n, inv, lo, hi), x)
			for i := range a {
				if math.Abs(float64(a[i]-b[i])) > 1e-4 {
					t.Errorf("n=%d inv=%v: output %d is %g by the walk, %g by the plan", n, inv, i, a[i], b[i])
					break
				}
			}
		}
	}
}

// walkAnalysis ports the reference encoder's analysis walk for one line,
// for the even-length round-trip test (the encoder itself uses 9/7).
func walkAnalysis(x []float32, inv bool, lo, hi []float32) []float32 {
	n := len(x)
	lsz, hsz := len(lo), len(hi)
	out := make([]float32, n)
	hi = append([]float32(nil), hi...)
	var loc, hoc int
	var olle, ohle, olre, ohre bool
	if lsz%2 == 1 {
		loc, hoc = (lsz-1)/2, (hsz-1)/2-1
	} else {
		loc, hoc = lsz/2-2, hsz/2-2
		olle, ohle, olre, ohre = true, true, true, true
		if loc == -1 {
			loc, olle = 0, false
		}
		if hoc == -1 {
			hoc, ohle = 0, false
		}
		for i := range hi {
			hi[i] = -hi[i]
		}
	}
	llen, hlen := n/2, n/2
	if n%2 == 1 {
		llen = (n + 1) / 2
		hlen = llen - 1
	}
	lopass, hipass := 0, llen
	if inv {
		hipass, lopass = 0, hlen
	}
	p0, p1 := 0, n-1
	walk := func(f []float32, spx, spxstr int, le, re bool) float32 {
		px, pxstr := spx, spxstr
		v := x[px] * f[0]
		for i := 1; i < len(f); i++ {
			if px == p0 {
				if le {
					pxstr, le = 0, false
				} else {
					pxstr = 1
				}
			}
			if px == p1 {
				if re {
					pxstr, re = 0, false
				} else {
					pxstr = -1
				}
			}
			px += pxstr
			v += x[px] * f[i]
		}
		return v
	}
	lspx, lspxstr, lle2 := p0+loc, -1, olle
	hspx, hspxstr, hle2 := p0+hoc, -1, ohle
	for range hlen {
		out[lopass] = walk(lo, lspx, lspxstr, lle2, olre)
		lopass++
		out[hipass] = walk(hi, hspx, hspxstr, hle2, ohre)
		hipass++
		for range 2 {
			if lspx == p0 {
				if lle2 {
					lspxstr, lle2 = 0, false
				} else {
					lspxstr = 1
				}
			}
			lspx += lspxstr
			if hspx == p0 {
				if hle2 {
					hspxstr, hle2 = 0, false
				} else {
					hspxstr = 1
				}
			}
			hspx += hspxstr
		}
	}
	if n%2 == 1 {
		out[lopass] = walk(lo, lspx, lspxstr, lle2, olre)
	}
	return out
}

// The reference encoder's even-length pair (8/8 taps).
var (
	evenLow  = []float32{0.07565691101399093, -0.12335584105275092, -0.09789296778409587, 0.85269867900940344, 0.85269867900940344, -0.09789296778409587, -0.12335584105275092, 0.07565691101399093}
	evenHigh = []float32{0.03226944131446922, -0.05261415011924844, -0.18870142780632693, 0.60328894481393847, -0.60328894481393847, 0.18870142780632693, 0.05261415011924844, -0.03226944131446922}
)

// evenSynthesis derives the synthesis filters from the stored halves of an
// even analysis pair the way the decoder's DTT reader does.
func evenSynthesis(t *testing.T) (lo, hi []float32) {
	var dtt []byte
	dtt = append(dtt, byte(len(evenLow)), byte(len(evenHigh)))
	for _, f := range [][]float32{evenLow, evenHigh} {
		for _, v := range f[len(f)/2:] {
			sign := byte(0)
			if v < 0 {
				sign, v = 1, -v
			}
			s, _ := toScaled(float64(v), 4294967295)
			dtt = append(dtt, sign, s.scale, byte(s.n>>24), byte(s.n>>16), byte(s.n>>8), byte(s.n))
		}
	}
	n := len(dtt) + 2
	data := append([]byte{0xFF, 0xA0, 0xFF, 0xA4, byte(n >> 8), byte(n)}, dtt...)
	d := &decoder{src: source{r: bytesReader(data)}, pos: 4}
	d.src.ensure(len(data))
	if err := d.table(markerDTT, 2); err != nil {
		t.Fatal(err)
	}
	return d.lo, d.hi
}

// TestEvenFilterRoundTrip: a line split by the reference encoder's walk
// with the 8/8 pair comes back through walkSynthesis with the filters the
// DTT reader derives.
func TestEvenFilterRoundTrip(t *testing.T) {
	lo, hi := evenSynthesis(t)
	for n := 6; n <= 70; n++ {
		for _, inv := range []bool{false, true} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(math.Cos(float64(i*7+1))) * 100
			}
			p := walkSynthesis(n, inv, lo, hi)
			if p == nil {
				t.Errorf("n=%d: walk leaves the line", n)
				continue
			}
			y := applyPlan(p, walkAnalysis(x, inv, evenLow, evenHigh))
			for i := range x {
				if math.Abs(float64(y[i]-x[i])) > 1e-3 {
					t.Errorf("n=%d inv=%v: sample %d is %g, want %g", n, inv, i, y[i], x[i])
					break
				}
			}
		}
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// evenFile writes a whole w×h file with the 8/8 pair (the reference
// encoder's walk for the transform, our quantizer and coder).
func evenFile(t testing.TB, img *image.Gray, rate float64) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	e := &encoder{width: w, height: h, rate: rate}
	e.analysis = func(data, tmp []float32) {
		for _, nd := range e.t.nodes {
			if nd.w < 2 || nd.h < 2 {
				continue
			}
			for y := nd.y; y < nd.y+nd.h; y++ {
				row := data[y*w+nd.x : y*w+nd.x+nd.w]
				copy(row, walkAnalysis(row, nd.invX, evenLow, evenHigh))
			}
			col := make([]float32, nd.h)
			for x := nd.x; x < nd.x+nd.w; x++ {
				for i := range col {
					col[i] = data[(nd.y+i)*w+x]
				}
				for i, v := range walkAnalysis(col, nd.invY, evenLow, evenHigh) {
					data[(nd.y+i)*w+x] = v
				}
			}
		}
	}
	half := func(f []float32) []float64 {
		var out []float64
		for _, v := range f[len(f)/2:] {
			out = append(out, float64(v))
		}
		return out
	}
	e.dtt = &[2][]float64{half(evenLow), half(evenHigh)}
	e.dttSizes = [2]int{8, 8}
	e.prepare(img.Pix)
	var buf bytes.Buffer
	e.out = bufio.NewWriter(&buf)
	e.writeFile(&Options{})
	if err := e.out.Flush(); err != nil || e.err != nil {
		t.Fatal(err, e.err)
	}
	return buf.Bytes()
}

func ringImage(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			r := math.Hypot(float64(x-w/2), float64(y-h/3))
			img.Pix[y*w+x] = uint8(128 + 80*math.Sin(2*math.Pi*r/9) + float64(x)/8)
		}
	}
	return img
}

// TestEvenFilterFile decodes a whole file made with the 8/8 pair.
func TestEvenFilterFile(t *testing.T) {
	img := ringImage(200, 170)
	got, err := Decode(bytes.NewReader(evenFile(t, img, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if p := psnr(img, got.(*image.Gray)); p < 30 {
		t.Errorf("8/8-tap file decodes at %.2f dB PSNR, want ≥ 30", p)
	}
	std, _ := roundTrip(t, img, &Options{BitRate: 2})
	t.Logf("PSNR at 2 bit/pixel: 8/8 taps %.2f dB, 9/7 taps %.2f dB", psnr(img, got.(*image.Gray)), psnr(img, std))

	// Too small an image for these filters is refused, not mangled.
	var ue *UnsupportedError
	if _, err := Decode(bytes.NewReader(evenFile(t, ringImage(40, 40), 2))); !errors.As(err, &ue) {
		t.Errorf("40×40 image with 8/8 filters: %v, want UnsupportedError", err)
	}
}
