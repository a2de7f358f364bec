package wsq

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
)

// Options control Encode. The zero value, like a nil *Options, encodes at
// 0.75 bit per pixel with an unknown resolution.
type Options struct {
	// BitRate is the target bit rate in bits per pixel, in (0, 8]; 0 means
	// DefaultBitRate. The FBI accepts 0.75 for 500 ppi fingerprints
	// (about 15:1 on a ten-print image); 2.25 gives about 5:1.
	BitRate float64
	// PPI is the scanning resolution written to the NIST_COM comment; 0
	// writes -1, the NBIS convention for unknown.
	PPI int
	// Comment, when not empty, is written as a second COM segment after
	// NIST_COM (at most 65533 bytes).
	Comment string
}

// DefaultBitRate is the bit rate Encode uses when Options.BitRate is 0.
const DefaultBitRate = 0.75

// The standard's analysis filters: the 9-tap low-pass and 7-tap high-pass
// filters of the Cohen–Daubechies–Feauveau 9/7 biorthogonal wavelet, centre
// tap first. Encode writes them to the DTT; decoders read them from there.
var (
	analysisLow  = []float64{0.852698679009, 0.377402855613, -0.110624404418, -0.023849465020, 0.037828455507}
	analysisHigh = []float64{0.788485616406, -0.418092273222, -0.040689417609, 0.064538882629}
)

// fullFilter expands a half filter (centre first) to its symmetric whole.
func fullFilter(half []float64) []float32 {
	c := len(half) - 1
	f := make([]float32, 2*c+1)
	for i, v := range half {
		f[c+i], f[c-i] = float32(v), float32(v)
	}
	return f
}

// Bit allocation constants of the standard (and of the NBIS encoder).
const (
	varianceThreshold = 1.01 // subbands with less variance are not coded
	zeroBinRatio      = 1.2  // zero bin width / bin width
	binCenter         = 0.44 // written as 44·10^-2
)

// Encode writes img to w as a WSQ file. Colour images are converted to
// grey with color.GrayModel. Width and height must be 1..65535 and their
// product at most MaxPixels.
func Encode(w io.Writer, img image.Image, o *Options) error {
	var opt Options
	if o != nil {
		opt = *o
	}
	if opt.BitRate == 0 {
		opt.BitRate = DefaultBitRate
	}
	if !(opt.BitRate > 0 && opt.BitRate <= 8) {
		return fmt.Errorf("wsq: bit rate %v outside (0, 8] bits per pixel", opt.BitRate)
	}
	if len(opt.Comment) > 65533 {
		return errors.New("wsq: comment longer than 65533 bytes")
	}
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	if width < 1 || height < 1 || width > 65535 || height > 65535 {
		return fmt.Errorf("wsq: image size %d×%d outside 1..65535", width, height)
	}
	if width*height > MaxPixels {
		return fmt.Errorf("wsq: image size %d×%d exceeds %d pixels", width, height, MaxPixels)
	}
	pix := grayPixels(img)

	e := &encoder{width: width, height: height, rate: opt.BitRate}
	e.prepare(pix)
	bw := bufio.NewWriter(w)
	e.out = bw
	e.writeFile(&opt)
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

// grayPixels returns the image's pixels as 8-bit grey, row by row.
func grayPixels(img image.Image) []uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pix := make([]uint8, w*h)
	if g, ok := img.(*image.Gray); ok {
		for y := range h {
			copy(pix[y*w:(y+1)*w], g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return pix
	}
	for y := range h {
		for x := range w {
			pix[y*w+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return pix
}

type encoder struct {
	width, height int
	rate          float64
	t             *trees

	shift, scale scaledValue
	qbin, zbin   [maxSubbands]scaledValue
	quant        []int32 // quantized coefficients of the coded subbands, in order
	blockLen     [3]int  // coefficients per block

	// analysis and dtt replace the standard transform and the filter
	// halves (centre first) and sizes written to the DTT; tests only, for
	// files with even-length filters.
	analysis func(data, tmp []float32)
	dtt      *[2][]float64
	dttSizes [2]int

	// restart, when > 0, ends a restart interval after that many
	// symbols (tests only: the standard leaves the unit of DRT to the
	// encoder, and decoders need only the markers).
	restart int

	out *bufio.Writer
	err error
}

// scaledValue is a number as the file stores it: value = n / 10^scale.
type scaledValue struct {
	scale uint8
	n     uint32
}

func (s scaledValue) float() float32 { return scaled(int(s.scale), s.n) }

// toScaled finds the representation n/10^scale of v ≥ 0 with the most
// digits such that n stays below limit.
func toScaled(v float64, limit float64) (scaledValue, bool) {
	if v == 0 {
		return scaledValue{}, true
	}
	if !(v < limit) {
		return scaledValue{}, false
	}
	scale := 0
	for v*10 < limit && scale < 255 {
		v *= 10
		scale++
	}
	return scaledValue{scale: uint8(scale), n: uint32(math.Round(v))}, true
}

// prepare transforms, measures and quantizes the image.
func (e *encoder) prepare(pix []uint8) {
	n := len(pix)
	sum, lo, hi := 0, 255, 0
	for _, p := range pix {
		sum += int(p)
		lo = min(lo, int(p))
		hi = max(hi, int(p))
	}
	mean := float64(sum) / float64(n)
	r := max(mean-float64(lo), float64(hi)-mean) / 128
	if r == 0 {
		r = 1 // a flat image: any scale will do
	}
	// Use the shift and scale exactly as the decoder will read them.
	e.shift, _ = toScaled(mean, 65535)
	e.scale, _ = toScaled(r, 65535)
	shift, scale := e.shift.float(), e.scale.float()

	data := make([]float32, n)
	for i, p := range pix {
		data[i] = (float32(p) - shift) / scale
	}
	e.t = buildTrees(e.width, e.height)
	tmp := make([]float32, n)
	if e.analysis != nil {
		e.analysis(data, tmp)
	} else {
		analyze(data, tmp, e.width, e.t, fullFilter(analysisLow), fullFilter(analysisHigh))
	}

	variance := e.variances(data)
	q := allocateBits(&variance, e.rate)
	for b := range numSubbands {
		if q[b] == 0 {
			continue
		}
		// Bin numbers are coded in at most 16 bits: a bin narrower than
		// the subband's range/65000 only clips (this happens when the bit
		// allocation degenerates on images a few pixels high).
		q[b] = max(q[b], e.maxAbs(data, e.t.bands[b])/65000, 1e-6)
		qs, ok1 := toScaled(q[b], 65535)
		zs, ok2 := toScaled(zeroBinRatio*qs.float64(), 65535)
		if !ok1 || !ok2 {
			continue // a bin this wide codes nothing but zeros
		}
		e.qbin[b], e.zbin[b] = qs, zs
	}
	e.quantize(data)
}

// maxAbs is the largest coefficient magnitude in r.
func (e *encoder) maxAbs(data []float32, r rect) float64 {
	m := float32(0)
	for y := r.y; y < r.y+r.h; y++ {
		for _, f := range data[y*e.width+r.x : y*e.width+r.x+r.w] {
			m = max(m, f, -f)
		}
	}
	return float64(m)
}

func (s scaledValue) float64() float64 { return float64(s.float()) }

// variances measures every subband's variance. The standard measures on the
// central part of each subband (3/4 of its width, 7/16 of its height, from
// 1/8 and 9/32 in), where the finger is; when the four lowest subbands
// together vary less than 20000 (a faint image) the whole subband is used
// for all of them.
func (e *encoder) variances(data []float32) (v [numSubbands]float64) {
	stat := func(r rect) float64 {
		n := r.w * r.h
		if n < 2 {
			return 0
		}
		var s, ss float64
		for y := r.y; y < r.y+r.h; y++ {
			for _, f := range data[y*e.width+r.x : y*e.width+r.x+r.w] {
				s += float64(f)
				ss += float64(f) * float64(f)
			}
		}
		return (ss - s*s/float64(n)) / float64(n-1)
	}
	central := func(r rect) rect {
		return rect{r.x + r.w/8, r.y + 9*r.h/32, 3 * r.w / 4, 7 * r.h / 16}
	}
	sum := 0.0
	for b := range 4 {
		v[b] = stat(central(e.t.bands[b]))
		sum += v[b]
	}
	for b := range numSubbands {
		if sum < 20000 {
			v[b] = stat(e.t.bands[b])
		} else if b >= 4 {
			v[b] = stat(central(e.t.bands[b]))
		}
	}
	return v
}

// allocateBits chooses the bin width of every subband for a bit rate
// (bits per pixel), by the standard's procedure: with relative weights
// 1 (subbands 0–3) and 10/(A·ln σ²) (others), the common factor q is set so
// that the subbands' share of the rate adds up to the target, and subbands
// that would get a negative rate are left out of the sum until none does.
// Subbands whose variance is under the threshold get width 0 (not coded).
func allocateBits(variance *[numSubbands]float64, rate float64) (q [numSubbands]float64) {
	var weight, area, sigma [numSubbands]float64
	for b := range numSubbands {
		a := 1.0
		switch b {
		case 52, 56:
			a = 1.32
		case 53, 55, 58, 59:
			a = 1.08
		case 54, 57:
			a = 1.42
		}
		switch {
		case b < 4:
			area[b] = 1.0 / 1024
		case b < 51:
			area[b] = 1.0 / 256
		default:
			area[b] = 1.0 / 16
		}
		if variance[b] >= varianceThreshold {
			sigma[b] = math.Sqrt(variance[b])
			if b < 4 {
				weight[b] = 1
			} else {
				weight[b] = 10 / (a * math.Log(variance[b]))
			}
		}
	}
	var k0, k []int
	for b := range numSubbands {
		if variance[b] >= varianceThreshold {
			k0 = append(k0, b)
		}
	}
	if len(k0) == 0 {
		return q
	}
	k = append(k, k0...)
	factor := 0.0
	for len(k) > 0 {
		s, logP := 0.0, 0.0
		for _, b := range k {
			s += area[b]
			logP += area[b] * math.Log(sigma[b]/weight[b])
		}
		factor = math.Pow(2, rate/s-1) / 2.5 / math.Exp(logP/s)
		var keep []int
		for _, b := range k {
			if weight[b]/factor < 5*sigma[b] {
				keep = append(keep, b)
			}
		}
		if len(keep) == len(k) {
			break
		}
		k = keep
	}
	// As in the reference encoder, every subband above the variance
	// threshold keeps its bin width; the dropped ones have bins so wide
	// that nearly all their coefficients quantize to zero.
	for _, b := range k0 {
		q[b] = weight[b] / factor
	}
	return q
}

// quantize maps the coefficients of every coded subband to bin numbers.
func (e *encoder) quantize(data []float32) {
	e.quant = make([]int32, 0, len(data))
	e.blockLen = [3]int{}
	for b := range numSubbands {
		r := e.t.bands[b]
		if e.qbin[b].n == 0 || r.w*r.h == 0 {
			continue
		}
		q, z := e.qbin[b].float(), e.zbin[b].float()/2
		for y := r.y; y < r.y+r.h; y++ {
			for _, f := range data[y*e.width+r.x : y*e.width+r.x+r.w] {
				var v float32
				switch {
				case f >= -z && f <= z:
					v = 0
				case f > 0:
					v = (f-z)/q + 1
				default:
					v = (f+z)/q - 1
				}
				v = max(-65535, min(65535, v))
				e.quant = append(e.quant, int32(v))
			}
		}
		switch {
		case b < 19:
			e.blockLen[0] += r.w * r.h
		case b < 52:
			e.blockLen[1] += r.w * r.h
		default:
			e.blockLen[2] += r.w * r.h
		}
	}
}

// symbols walks coefficients as Huffman symbols with their extra bits.
func symbols(coef []int32, emit func(sym int, extra uint32, nbits uint)) {
	run := 0
	flush := func() {
		switch {
		case run == 0:
		case run <= symRunMax:
			emit(run, 0, 0)
		case run <= 0xFF:
			emit(symRun8, uint32(run), 8)
		default:
			emit(symRun16, uint32(run), 16)
		}
		run = 0
	}
	for _, c := range coef {
		if c == 0 {
			run++
			if run == 0xFFFF {
				flush()
			}
			continue
		}
		flush()
		switch {
		case c > maxCoefSym && c > 255:
			emit(symPos16, uint32(c), 16)
		case c > maxCoefSym:
			emit(symPos8, uint32(c), 8)
		case c < minCoefSym && c < -255:
			emit(symNeg16, uint32(-c), 16)
		case c < minCoefSym:
			emit(symNeg8, uint32(-c), 8)
		default:
			emit(int(c)+coefBias, 0, 0)
		}
	}
	flush()
}

func (e *encoder) writeFile(o *Options) {
	e.u16(markerSOI)
	ppi := o.PPI
	if ppi <= 0 {
		ppi = -1
	}
	com := fmt.Sprintf("NIST_COM 9\nPIX_WIDTH %d\nPIX_HEIGHT %d\nPIX_DEPTH 8\nPPI %d\nLOSSY 1\nCOLORSPACE GRAY\nCOMPRESSION WSQ\nWSQ_BITRATE %f",
		e.width, e.height, ppi, e.rate)
	e.comment(com)
	if o.Comment != "" {
		e.comment(o.Comment)
	}
	if e.restart > 0 {
		e.u16(markerDRT)
		e.u16(4)
		e.u16(e.restart)
	}
	e.transformTable()
	e.quantTable()
	e.frameHeader()

	blocks := [3][]int32{
		e.quant[:e.blockLen[0]],
		e.quant[e.blockLen[0] : e.blockLen[0]+e.blockLen[1]],
		e.quant[e.blockLen[0]+e.blockLen[1]:],
	}
	enc0 := e.huffTable(0, blocks[0])
	e.block(0, blocks[0], enc0)
	enc1 := e.huffTable(1, blocks[1], blocks[2])
	e.block(1, blocks[1], enc1)
	e.block(1, blocks[2], enc1)
	e.u16(markerEOI)
}

func (e *encoder) u8(v int) {
	if e.err == nil {
		e.err = e.out.WriteByte(byte(v))
	}
}

func (e *encoder) u16(v int) {
	e.u8(v >> 8)
	e.u8(v)
}

func (e *encoder) scaledValue(s scaledValue) {
	e.u8(int(s.scale))
	e.u16(int(s.n))
}

func (e *encoder) comment(text string) {
	e.u16(markerCOM)
	e.u16(2 + len(text))
	if e.err == nil {
		_, e.err = e.out.WriteString(text)
	}
}

func (e *encoder) transformTable() {
	halves, sizes := [2][]float64{analysisLow, analysisHigh}, [2]int{2*len(analysisLow) - 1, 2*len(analysisHigh) - 1}
	if e.dtt != nil {
		halves, sizes = *e.dtt, e.dttSizes
	}
	e.u16(markerDTT)
	e.u16(2 + 2 + 6*(len(halves[0])+len(halves[1])))
	e.u8(sizes[0])
	e.u8(sizes[1])
	for _, half := range halves {
		for _, v := range half {
			sign := 0
			if v < 0 {
				sign, v = 1, -v
			}
			s, _ := toScaled(v, math.MaxUint32)
			e.u8(sign)
			e.u8(int(s.scale))
			for shift := 24; shift >= 0; shift -= 8 {
				e.u8(int(s.n >> shift))
			}
		}
	}
}

func (e *encoder) quantTable() {
	e.u16(markerDQT)
	e.u16(2 + 3 + 6*maxSubbands)
	e.scaledValue(scaledValue{scale: 2, n: uint32(math.Round(binCenter * 100))})
	for b := range maxSubbands {
		e.scaledValue(e.qbin[b])
		e.scaledValue(e.zbin[b])
	}
}

func (e *encoder) frameHeader() {
	e.u16(markerSOF)
	e.u16(17)
	e.u8(0)   // black
	e.u8(255) // white
	e.u16(e.height)
	e.u16(e.width)
	e.scaledValue(e.shift)
	e.scaledValue(e.scale)
	e.u8(0)  // encoder number
	e.u16(0) // software implementation number
}

// huffTable writes the DHT of an optimal code for the blocks' symbols.
func (e *encoder) huffTable(id int, blocks ...[]int32) *huffEncoder {
	var freq [maxHuffValues]int
	for _, b := range blocks {
		symbols(b, func(sym int, _ uint32, _ uint) { freq[sym]++ })
	}
	counts, values, enc := buildHuffman(&freq)
	e.u16(markerDHT)
	e.u16(2 + 1 + maxHuffBits + len(values))
	e.u8(id)
	for _, c := range counts {
		e.u8(int(c))
	}
	for _, v := range values {
		e.u8(int(v))
	}
	return enc
}

// block writes one SOB block: header, then the coded coefficients with
// 0xFF bytes stuffed and the last byte padded with 1 bits.
func (e *encoder) block(id int, coef []int32, enc *huffEncoder) {
	e.u16(markerSOB)
	e.u16(3)
	e.u8(id)
	var acc uint64
	var n uint
	put := func(v uint32, bits uint) {
		acc = acc<<bits | uint64(v)&(1<<bits-1)
		n += bits
		for n >= 8 {
			n -= 8
			c := byte(acc >> n)
			e.u8(int(c))
			if c == 0xFF {
				e.u8(0)
			}
		}
	}
	count, rst := 0, 0
	symbols(coef, func(sym int, extra uint32, nbits uint) {
		if e.restart > 0 && count > 0 && count%e.restart == 0 {
			if n > 0 {
				put(1<<(8-n)-1, 8-n)
			}
			e.u16(markerRST0 + rst%8)
			rst++
		}
		count++
		put(uint32(enc.code[sym]), uint(enc.size[sym]))
		if nbits > 0 {
			put(extra, nbits)
		}
	})
	if n > 0 {
		put(1<<(8-n)-1, 8-n)
	}
}
