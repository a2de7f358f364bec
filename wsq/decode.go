package wsq

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Info is what a WSQ file says about itself besides its pixels.
type Info struct {
	Width, Height int
	// PPI is the resolution in the first NIST_COM comment, 0 when absent or
	// not a positive number.
	PPI int
	// Comments holds the text of every COM segment met, in file order
	// (DecodeInfo sees only those before the frame header).
	Comments []string
	// NISTCOM holds the fields of the first NIST_COM comment (nil if none).
	NISTCOM map[string]string
	// Encoder and Software are the encoder and implementation numbers of
	// the frame header.
	Encoder, Software int
	// RestartInterval is the DRT value, 0 if the file defines none.
	RestartInterval int
}

// source reads the input on demand, so that DecodeConfig reads only the
// header.
type source struct {
	r   io.Reader
	buf []byte
	eof bool
	err error // read error other than EOF
}

// ensure makes buf hold at least n bytes and reports whether it could.
func (s *source) ensure(n int) bool {
	for len(s.buf) < n && !s.eof {
		if cap(s.buf)-len(s.buf) < 4096 {
			nb := make([]byte, len(s.buf), max(2*cap(s.buf), len(s.buf)+64<<10))
			copy(nb, s.buf)
			s.buf = nb
		}
		k, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+k]
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
		}
	}
	return len(s.buf) >= n
}

type frame struct {
	black, white  int
	width, height int
	mShift        float32
	rScale        float32
}

type decoder struct {
	src source
	pos int

	lo, hi     []float32 // synthesis filters, nil until a DTT
	haveDQT    bool
	binCenter  float32
	qbin, zbin [maxSubbands]float32
	huff       [maxHuffTables]*huffTable
	info       Info
	fr         frame
	haveFrame  bool

	tokens  []int32 // decoded coefficients and zero runs (runTag+n)
	ncoef   int     // coefficients the tokens cover
	scratch []byte  // unstuffed segment
	blocks  int
}

// runTag marks a token as a run of token-runTag zeros; coefficient tokens
// are within ±65535.
const runTag = 1 << 20

func (d *decoder) errAt(off int, format string, args ...any) error {
	if d.src.err != nil {
		return d.src.err
	}
	return formatErr(off, format, args...)
}

// need fails unless n more bytes are available at pos.
func (d *decoder) need(n int, what string) error {
	if !d.src.ensure(d.pos + n) {
		return d.errAt(len(d.src.buf), "file ends inside %s (needs %d more bytes)", what, d.pos+n-len(d.src.buf))
	}
	return nil
}

func (d *decoder) u8() int {
	v := d.src.buf[d.pos]
	d.pos++
	return int(v)
}

func (d *decoder) u16() int {
	v := int(d.src.buf[d.pos])<<8 | int(d.src.buf[d.pos+1])
	d.pos += 2
	return v
}

func (d *decoder) u32() uint32 {
	b := d.src.buf[d.pos : d.pos+4]
	d.pos += 4
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func (d *decoder) marker() (int, error) {
	if err := d.need(2, "a marker"); err != nil {
		return 0, err
	}
	if d.src.buf[d.pos] != 0xFF {
		return 0, d.errAt(d.pos, "expected a marker, found bytes %02X %02X", d.src.buf[d.pos], d.src.buf[d.pos+1])
	}
	return d.u16(), nil
}

// segment reads a marker segment's length field and makes its body
// available; it returns the offset where the segment ends.
func (d *decoder) segment(name string) (end int, err error) {
	if err := d.need(2, name+" length"); err != nil {
		return 0, err
	}
	at := d.pos
	n := d.u16()
	if n < 2 {
		return 0, d.errAt(at, "%s segment length %d is less than 2", name, n)
	}
	if err := d.need(n-2, name+" segment"); err != nil {
		return 0, err
	}
	return at + n, nil
}

// scaled reads a scale exponent and an unsigned value, value/10^scale, with
// the reference decoder's float arithmetic (one rounding per division).
func scaled(scale int, v uint32) float32 {
	f := float32(v)
	for range scale {
		f = float32(float64(f) / 10)
	}
	return f
}

// table reads one table or comment segment; m is its marker.
func (d *decoder) table(m, at int) error {
	name := markerName(m)
	end, err := d.segment(name)
	if err != nil {
		return err
	}
	overrun := func() error {
		return d.errAt(at, "%s segment (length %d) is too short for its contents", name, end-at)
	}
	switch m {
	case markerDTT:
		if end-d.pos < 2 {
			return overrun()
		}
		hisz, losz := d.u8(), d.u8()
		if hisz == 0 || losz == 0 || hisz > maxFilterLen || losz > maxFilterLen {
			return d.errAt(at, "DTT filter lengths %d and %d outside 1..%d", hisz, losz, maxFilterLen)
		}
		if hisz%2 != losz%2 {
			return &UnsupportedError{Offset: int64(at), Feature: fmt.Sprintf("wavelet filters of mixed parity (%d and %d taps)", hisz, losz)}
		}
		if end-d.pos < 6*((hisz+1)/2+(losz+1)/2) {
			return overrun()
		}
		// The file gives half of each analysis filter, centre first: the
		// low-pass filter, whose modulation is the synthesis high-pass
		// filter, then the high-pass one, which gives the synthesis
		// low-pass filter.
		// Even-length halves are mirrored about the gap between the two
		// middle taps, antisymmetrically for the high-pass result.
		read := func(size int, high bool) []float32 {
			f := make([]float32, size)
			c := size / 2
			for i := 0; i < (size+1)/2; i++ {
				sign, scale := d.u8(), d.u8()
				v := scaled(scale, d.u32())
				if sign != 0 {
					v = -v
				}
				flip := i%2 == 1
				if size%2 == 0 && !high {
					flip = !flip
				}
				if flip {
					v = -v
				}
				switch {
				case size%2 == 1:
					f[c+i], f[c-i] = v, v
				case high:
					f[c+i], f[c-1-i] = v, -v
				default:
					f[c+i], f[c-1-i] = v, v
				}
			}
			return f
		}
		d.hi = read(hisz, true)
		d.lo = read(losz, false)
	case markerDQT:
		if end-d.pos < 3+6*maxSubbands {
			return overrun()
		}
		scale := d.u8()
		d.binCenter = scaled(scale, uint32(d.u16()))
		for i := range maxSubbands {
			scale = d.u8()
			d.qbin[i] = scaled(scale, uint32(d.u16()))
			scale = d.u8()
			d.zbin[i] = scaled(scale, uint32(d.u16()))
		}
		d.haveDQT = true
	case markerDHT:
		var seen [maxHuffTables]bool
		for d.pos < end {
			tat := d.pos
			if end-d.pos < 1+maxHuffBits {
				return overrun()
			}
			id := d.u8()
			if id >= maxHuffTables {
				return d.errAt(tat, "DHT table id %d is not 0..%d", id, maxHuffTables-1)
			}
			if seen[id] {
				return d.errAt(tat, "DHT segment defines table %d twice", id)
			}
			seen[id] = true
			var counts [maxHuffBits]uint8
			total := 0
			for i := range counts {
				counts[i] = uint8(d.u8())
				total += int(counts[i])
			}
			if total > maxHuffValues {
				return d.errAt(tat, "DHT table %d has %d codes, more than %d", id, total, maxHuffValues)
			}
			if end-d.pos < total {
				return overrun()
			}
			values := make([]uint8, total)
			copy(values, d.src.buf[d.pos:])
			d.pos += total
			t, why := newHuffTable(counts, values)
			if t == nil {
				return d.errAt(tat, "DHT table %d: %s", id, why)
			}
			d.huff[id] = t
		}
	case markerDRT:
		if end-d.pos < 2 {
			return overrun()
		}
		d.info.RestartInterval = d.u16()
	case markerCOM:
		text := string(d.src.buf[d.pos:end])
		d.info.Comments = append(d.info.Comments, text)
		if d.info.NISTCOM == nil && strings.HasPrefix(text, "NIST_COM") {
			d.info.NISTCOM = parseNISTCOM(text)
			if v, err := strconv.Atoi(d.info.NISTCOM["PPI"]); err == nil && v > 0 {
				d.info.PPI = v
			}
		}
	default:
		return d.errAt(at, "unexpected %s marker", name)
	}
	d.pos = end
	return nil
}

// header reads SOI, the tables and the frame header.
func (d *decoder) header() error {
	if err := d.need(2, "the SOI marker"); err != nil {
		return err
	}
	if m := d.u16(); m != markerSOI {
		return d.errAt(0, "not a WSQ file: starts with %04X, not the SOI marker FFA0", m)
	}
	for {
		at := d.pos
		m, err := d.marker()
		if err != nil {
			return err
		}
		switch m {
		case markerSOF:
			return d.frameHeader(at)
		case markerDTT, markerDQT, markerDHT, markerDRT, markerCOM:
			if err := d.table(m, at); err != nil {
				return err
			}
		case markerEOI:
			return d.errAt(at, "end of image (EOI) before the frame header")
		default:
			return d.errAt(at, "unexpected %s marker before the frame header", markerName(m))
		}
	}
}

func (d *decoder) frameHeader(at int) error {
	end, err := d.segment("SOF")
	if err != nil {
		return err
	}
	if end-d.pos < 15 {
		return d.errAt(at, "SOF segment (length %d) is shorter than 17", end-at)
	}
	f := &d.fr
	f.black, f.white = d.u8(), d.u8()
	f.height, f.width = d.u16(), d.u16()
	scale := d.u8()
	f.mShift = scaled(scale, uint32(d.u16()))
	scale = d.u8()
	f.rScale = scaled(scale, uint32(d.u16()))
	d.info.Encoder = d.u8()
	d.info.Software = d.u16()
	d.pos = end
	if f.width == 0 || f.height == 0 {
		return d.errAt(at, "image size %d×%d: zero width or height", f.width, f.height)
	}
	if f.width*f.height > maxPixels {
		return d.errAt(at, "image size %d×%d exceeds %d pixels", f.width, f.height, maxPixels)
	}
	d.info.Width, d.info.Height = f.width, f.height
	d.haveFrame = true
	return nil
}

// blocksAndEnd reads the coded blocks (and tables between them) up to EOI.
func (d *decoder) blocksAndEnd() error {
	for {
		at := d.pos
		m, err := d.marker()
		if err != nil {
			return err
		}
		switch m {
		case markerEOI:
			return nil
		case markerSOB:
			if err := d.block(at); err != nil {
				return err
			}
		case markerDTT, markerDQT, markerDHT, markerDRT, markerCOM:
			if err := d.table(m, at); err != nil {
				return err
			}
		default:
			return d.errAt(at, "unexpected %s marker after the frame header", markerName(m))
		}
	}
}

// block decodes one SOB block: its header, then entropy-coded segments
// separated by restart markers, up to the next marker.
func (d *decoder) block(at int) error {
	end, err := d.segment("SOB")
	if err != nil {
		return err
	}
	if end-d.pos < 1 {
		return d.errAt(at, "SOB segment has no table number")
	}
	id := d.u8()
	d.pos = end
	if d.tokens == nil {
		d.tokens = make([]int32, 0, 4*len(d.src.buf))
	}
	if id >= maxHuffTables || d.huff[id] == nil {
		return d.errAt(at, "block %d uses Huffman table %d, which is not defined", d.blocks, id)
	}
	t := d.huff[id]
	d.blocks++
	// Coded data can never need more than 4 bytes a pixel (a 16-bit
	// escape per coefficient); longer means garbage or no marker.
	limit := 4*d.fr.width*d.fr.height + 1<<16
	rst := 0
	for {
		segStart := d.pos
		d.scratch = d.scratch[:0]
		for {
			if d.pos >= len(d.src.buf) && !d.src.ensure(d.pos+1) {
				return d.errAt(d.pos, "coded data of block %d is not ended by a marker (truncated file)", d.blocks-1)
			}
			b := d.src.buf[d.pos]
			if b != 0xFF {
				d.scratch = append(d.scratch, b)
				d.pos++
				if len(d.scratch) > limit {
					return d.errAt(segStart, "coded data of block %d is longer than the image can need", d.blocks-1)
				}
				continue
			}
			if !d.src.ensure(d.pos + 2) {
				return d.errAt(d.pos, "file ends inside the coded data of block %d", d.blocks-1)
			}
			if d.src.buf[d.pos+1] == 0 {
				d.scratch = append(d.scratch, 0xFF)
				d.pos += 2
				continue
			}
			break
		}
		if err := d.entropy(t, segStart); err != nil {
			return err
		}
		m := int(d.src.buf[d.pos])<<8 | int(d.src.buf[d.pos+1])
		if m < markerRST0 || m > markerRST0+7 {
			return nil // the caller reads this marker
		}
		if m != markerRST0+rst%8 {
			return d.errAt(d.pos, "restart marker %s out of sequence (expected RST%d)", markerName(m), rst%8)
		}
		rst++
		d.pos += 2
	}
}

// entropy decodes one unstuffed segment into tokens.
func (d *decoder) entropy(t *huffTable, segStart int) error {
	br := bitReader{b: d.scratch}
	// Beyond this many coefficients (the image and one final zero run) the
	// data is garbage: stop before the token list grows further.
	budget := d.fr.width*d.fr.height + 1<<16
	for {
		sym, ok, bad := br.decode(t)
		if bad {
			return d.errAt(segStart+br.consumed(), "invalid Huffman code in block %d", d.blocks-1)
		}
		if !ok {
			return nil
		}
		var tok int32
		var n int
		switch {
		case sym >= 1 && sym <= symRunMax:
			tok, n = runTag+int32(sym), sym
		case sym >= symCoefMin && sym <= symCoefMax:
			v := sym - coefBias
			if v == 0 {
				tok, n = runTag+1, 1
			} else {
				tok, n = int32(v), 1
			}
		case sym >= symPos8 && sym <= symRun16:
			width := uint(8)
			if sym == symPos16 || sym == symNeg16 || sym == symRun16 {
				width = 16
			}
			v, ok := br.bits(width)
			if !ok {
				return d.errAt(segStart+br.consumed(), "coded data of block %d ends inside a %d-bit value", d.blocks-1, width)
			}
			switch sym {
			case symPos8, symPos16:
				tok, n = int32(v), 1
			case symNeg8, symNeg16:
				tok, n = int32(-v), 1
			default:
				tok, n = runTag+int32(v), v
			}
			if n == 1 && tok == 0 {
				tok = runTag + 1
			}
		default:
			return d.errAt(segStart+br.consumed(), "Huffman symbol %d in block %d has no meaning", sym, d.blocks-1)
		}
		if n == 0 {
			continue
		}
		d.tokens = append(d.tokens, tok)
		d.ncoef += n
		if d.ncoef > budget {
			return d.errAt(segStart+br.consumed(), "block %d codes more coefficients than the %d×%d image holds", d.blocks-1, d.fr.width, d.fr.height)
		}
	}
}

// decodeAll parses the whole file and returns the pixels.
func decodeAll(r io.Reader) (*image.Gray, *Info, error) {
	d := &decoder{src: source{r: r}}
	if err := d.header(); err != nil {
		return nil, nil, err
	}
	if err := d.blocksAndEnd(); err != nil {
		return nil, nil, err
	}
	if d.lo == nil {
		return nil, nil, d.errAt(d.pos, "no transform table (DTT) in the file")
	}
	if !d.haveDQT {
		return nil, nil, d.errAt(d.pos, "no quantization table (DQT) in the file")
	}
	w, h := d.fr.width, d.fr.height
	t := buildTrees(w, h)
	want := 0
	for b := range numSubbands {
		if d.qbin[b] != 0 {
			want += t.bands[b].w * t.bands[b].h
		}
	}
	if d.ncoef < want {
		if d.blocks == 0 {
			return nil, nil, d.errAt(d.pos, "end of image with no coded block (%d coefficients needed)", want)
		}
		return nil, nil, d.errAt(d.pos, "coded data holds %d of the %d coefficients the quantization table needs", d.ncoef, want)
	}
	if !checkEvenFilters(t, d.lo, d.hi) {
		return nil, nil, &UnsupportedError{Offset: int64(d.pos), Feature: fmt.Sprintf("%d×%d image too small for %d/%d-tap even-length filters", w, h, len(d.hi), len(d.lo))}
	}
	coef, tmp := getPlane(w*h), getPlane(w*h)
	defer putPlane(coef)
	defer putPlane(tmp)
	clear(coef)
	if err := d.unquantize(coef, w, t); err != nil {
		return nil, nil, err
	}
	synthesize(coef, tmp, w, t, d.lo, d.hi)
	img := image.NewGray(image.Rect(0, 0, w, h))
	toPixels(img.Pix, coef, d.fr.mShift, d.fr.rScale)
	return img, &d.info, nil
}

// planes recycles the float planes of decoding, which are as large as the
// image and would otherwise be most of the garbage a decode leaves.
var planes sync.Pool

func getPlane(n int) []float32 {
	if p, ok := planes.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

func putPlane(p []float32) { planes.Put(&p) }

// unquantize places every decoded coefficient in its subband, in subband
// order and raster order within a subband, skipping subbands whose bin
// width is 0, and maps it to the centre of its quantizer bin.
func (d *decoder) unquantize(coef []float32, width int, t *trees) error {
	band := -1
	var r rect
	var q float32
	var z2 float64
	// Cursor within the current subband: idx coefficients done, at
	// column col of row row; base is the subband's first plane offset.
	idx, col, row, base, size := 0, 0, 0, 0, 0
	c := d.binCenter
	next := func() bool { // advance to the next coded subband
		for band++; band < numSubbands; band++ {
			r = t.bands[band]
			if d.qbin[band] != 0 && r.w*r.h > 0 {
				q, z2 = d.qbin[band], float64(d.zbin[band])/2
				idx, col, row = 0, 0, 0
				base, size = r.y*width+r.x, r.w*r.h
				return true
			}
		}
		return false
	}
	more := next()
	for _, tok := range d.tokens {
		if tok >= runTag {
			n := int(tok - runTag)
			for n > 0 && more {
				if left := size - idx; n >= left {
					n -= left
					more = next()
					continue
				}
				idx += n
				col += n
				if col >= r.w {
					row += col / r.w
					col %= r.w
				}
				break
			}
			continue // zeros past the last subband are padding
		}
		if !more {
			return d.errAt(d.pos, "coded data has more coefficients than the subbands hold")
		}
		s := float32(tok)
		var v float64
		if tok > 0 {
			v = float64(q*(s-c)) + z2
		} else {
			v = float64(q*(s+c)) - z2
		}
		coef[base+row*width+col] = float32(v)
		idx++
		if col++; col == r.w {
			col = 0
			row++
		}
		if idx == size {
			more = next()
		}
	}
	return nil
}

// toPixels undoes the encoder's shift and scale and rounds to 8 bits. The
// reference decoder adds 0.5 in double precision and stores the sum as a
// float before truncating; since a float plus 0.5 is exact in double, that
// is the same as the float32 addition here.
func toPixels(pix []uint8, coef []float32, shift, scale float32) {
	coef = coef[:len(pix)]
	for i, v := range coef {
		p := v*scale + shift
		p += 0.5
		if p < 0 {
			p = 0
		}
		if p > 255 {
			p = 255
		}
		pix[i] = uint8(p)
	}
}

// Decode reads a WSQ image from r and returns it as an *image.Gray.
func Decode(r io.Reader) (image.Image, error) {
	img, _, err := decodeAll(r)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// DecodeAll reads a WSQ image and what the file says about it.
func DecodeAll(r io.Reader) (*image.Gray, *Info, error) {
	return decodeAll(r)
}

// DecodeConfig returns the size and colour model of a WSQ image without
// decoding its pixels; it reads only up to the frame header.
func DecodeConfig(r io.Reader) (image.Config, error) {
	info, err := DecodeInfo(r)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: color.GrayModel, Width: info.Width, Height: info.Height}, nil
}

// DecodeInfo reads the tables, comments and frame header of a WSQ file.
func DecodeInfo(r io.Reader) (*Info, error) {
	d := &decoder{src: source{r: r}}
	if err := d.header(); err != nil {
		return nil, err
	}
	return &d.info, nil
}

// parseNISTCOM splits a NIST_COM comment into its fields: one "NAME value"
// per line, the first line being NIST_COM and the number of lines.
func parseNISTCOM(text string) map[string]string {
	fields := map[string]string{}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimRight(line, "\r\x00")
		name, value, _ := strings.Cut(line, " ")
		if name == "" {
			continue
		}
		if _, dup := fields[name]; !dup {
			fields[name] = strings.TrimSpace(value)
		}
	}
	return fields
}
