package wsq

// Huffman coding of the quantized coefficients. A table is given, as in
// JPEG, by the number of codes of each length 1–16 and the symbols in code
// order; codes are canonical. Symbols 1–100 are runs of that many zeros,
// 101/102 a positive/negative coefficient in the next 8 bits, 103/104 the
// same in 16 bits, 105/106 a zero run in the next 8/16 bits, and 107–254
// the coefficients -73..74 (symbol-180).

const (
	symRunMax  = 100 // symbols 1..100: zero runs
	symPos8    = 101
	symNeg8    = 102
	symPos16   = 103
	symNeg16   = 104
	symRun8    = 105
	symRun16   = 106
	symCoefMin = 107 // symbols 107..254: coefficient symbol-180
	symCoefMax = 254
	coefBias   = 180
	maxCoefSym = 74 // largest coefficient with its own symbol
	minCoefSym = -73
)

// huffTable is a decoding table.
type huffTable struct {
	// fast maps the next fastBits bits to length<<8 | symbol, or 0 when
	// the code is longer than fastBits.
	fast    [1 << fastBits]uint16
	maxcode [maxHuffBits + 1]int32 // largest code of each length, -1 if none
	mincode [maxHuffBits + 1]int32
	valptr  [maxHuffBits + 1]int32
	values  []uint8
}

const fastBits = 9

// newHuffTable checks and builds a decoding table. It reports a reason
// string when the lengths do not describe a prefix code.
func newHuffTable(counts [maxHuffBits]uint8, values []uint8) (*huffTable, string) {
	t := &huffTable{values: values}
	code, k := int32(0), int32(0)
	for l := 1; l <= maxHuffBits; l++ {
		n := int32(counts[l-1])
		t.valptr[l] = k
		t.mincode[l] = code
		if n == 0 {
			t.maxcode[l] = -1
		} else {
			t.maxcode[l] = code + n - 1
		}
		if code+n > 1<<l {
			return nil, "Huffman code lengths over-subscribe the code space"
		}
		for range n {
			if l <= fastBits {
				shift := fastBits - l
				base := int(code) << shift
				for j := range 1 << shift {
					t.fast[base+j] = uint16(l)<<8 | uint16(values[k])
				}
			}
			code++
			k++
		}
		code <<= 1
	}
	return t, ""
}

// bitReader reads bits, most significant first, from one entropy-coded
// segment whose stuffed zero bytes are already removed.
type bitReader struct {
	b   []byte
	i   int
	acc uint64 // next bits, left-aligned
	n   uint   // valid bits in acc
}

func (br *bitReader) fill() {
	for br.n <= 56 && br.i < len(br.b) {
		br.acc |= uint64(br.b[br.i]) << (56 - br.n)
		br.i++
		br.n += 8
	}
}

// decode returns the next symbol, or ok=false when the segment ends before
// a whole code (the padding bits before a marker). bad reports bits that
// match no code of any length.
func (br *bitReader) decode(t *huffTable) (sym int, ok, bad bool) {
	br.fill()
	if e := t.fast[br.acc>>(64-fastBits)]; e != 0 {
		l := uint(e >> 8)
		if l > br.n {
			return 0, false, false
		}
		br.acc <<= l
		br.n -= l
		return int(e & 0xFF), true, false
	}
	code := int32(0)
	for l := 1; l <= maxHuffBits; l++ {
		if uint(l) > br.n {
			return 0, false, false
		}
		code = code<<1 | int32(br.acc>>(64-uint(l)))&1
		if t.maxcode[l] >= 0 && code <= t.maxcode[l] && code >= t.mincode[l] {
			br.acc <<= uint(l)
			br.n -= uint(l)
			return int(t.values[t.valptr[l]+code-t.mincode[l]]), true, false
		}
	}
	return 0, false, true
}

// bits returns the next n (≤ 16) bits, or ok=false if the segment ends first.
func (br *bitReader) bits(n uint) (v int, ok bool) {
	br.fill()
	if n > br.n {
		return 0, false
	}
	v = int(br.acc >> (64 - n))
	br.acc <<= n
	br.n -= n
	return v, true
}

// consumed is the number of segment bytes whose bits have been used.
func (br *bitReader) consumed() int { return br.i - int(br.n/8) }

// huffEncoder holds the code and length of every symbol.
type huffEncoder struct {
	code [maxHuffValues]uint16
	size [maxHuffValues]uint8
}

// buildHuffman makes an optimal length-limited code for the symbol
// frequencies freq (JPEG's procedure, ITU T.81 Annex K.2): one extra
// symbol of frequency 1 keeps the all-ones code word free, code lengths
// over 16 are folded back, and the extra symbol's code is dropped. It
// returns the counts per length, the symbols in code order and the
// encoder.
func buildHuffman(freq *[maxHuffValues]int) (counts [maxHuffBits]uint8, values []uint8, enc *huffEncoder) {
	const n = maxHuffValues + 1
	var f [n]int64
	for i, v := range freq {
		f[i] = int64(v)
	}
	f[maxHuffValues] = 1
	var codesize [n]int
	var others [n]int
	for i := range others {
		others[i] = -1
	}
	for {
		// v1: least frequency, ties to the larger symbol; v2: next least.
		v1, v2 := -1, -1
		for i := range n {
			if f[i] > 0 && (v1 < 0 || f[i] <= f[v1]) {
				v1 = i
			}
		}
		for i := range n {
			if f[i] > 0 && i != v1 && (v2 < 0 || f[i] <= f[v2]) {
				v2 = i
			}
		}
		if v2 < 0 {
			break
		}
		f[v1] += f[v2]
		f[v2] = 0
		codesize[v1]++
		for others[v1] >= 0 {
			v1 = others[v1]
			codesize[v1]++
		}
		others[v1] = v2
		codesize[v2]++
		for others[v2] >= 0 {
			v2 = others[v2]
			codesize[v2]++
		}
	}
	var bits [33]int
	for i := range n {
		if codesize[i] > 0 {
			bits[min(codesize[i], 32)]++
		}
	}
	// Fold lengths over 16 back (Annex K, figure K.3).
	for i := 32; i > maxHuffBits; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	// Drop the reserved code (the longest one).
	for i := maxHuffBits; i > 0; i-- {
		if bits[i] > 0 {
			bits[i]--
			break
		}
	}
	for i := 1; i <= maxHuffBits; i++ {
		counts[i-1] = uint8(bits[i])
	}
	// Symbols in order of original code length, then value.
	for l := 1; l <= 32; l++ {
		for s := range maxHuffValues {
			if codesize[s] == l {
				values = append(values, uint8(s))
			}
		}
	}
	total := 0
	for _, c := range counts {
		total += int(c)
	}
	values = values[:total]
	enc = &huffEncoder{}
	code, k := 0, 0
	for l := 1; l <= maxHuffBits; l++ {
		for range int(counts[l-1]) {
			enc.code[values[k]] = uint16(code)
			enc.size[values[k]] = uint8(l)
			code++
			k++
		}
		code <<= 1
	}
	return counts, values, enc
}
