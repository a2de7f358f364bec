package extract

// Neighbour bits of a pixel P, clockwise from north:
//
//	bit7 NW  bit0 N  bit1 NE
//	bit6 W     P     bit2 E
//	bit5 SW  bit4 S  bit3 SE

// neighbourCode returns the 8-bit neighbourhood code of pixel i in img (row stride w);
// the caller guarantees i is not on the image frame and that pixels are 0 or 1.
func neighbourCode(img []uint8, i, w int) uint8 {
	up := img[i-w-1 : i-w+2]
	mid := img[i-1 : i+2]
	dn := img[i+w-1 : i+w+2]
	return up[1] | up[2]<<1 | mid[2]<<2 | dn[2]<<3 | dn[1]<<4 | dn[0]<<5 | mid[0]<<6 | up[0]<<7
}

// Lookup tables of the Zhang–Suen sub-iterations and of the staircase clean-up.
var zsDelete1, zsDelete2, stairDelete [256]bool

// crossingNumber[c] is half the number of 0↔1 transitions around the neighbourhood c: 1 for
// an ending, 2 for a ridge pixel, 3 or more for a bifurcation.
var crossingNumber [256]uint8

// neighbourCount[c] is the number of set neighbours.
var neighbourCount [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		bit := func(k int) int { return (c >> (k & 7)) & 1 }
		n := 0
		a := 0
		for k := 0; k < 8; k++ {
			n += bit(k)
			if bit(k) == 0 && bit(k+1) == 1 {
				a++
			}
		}
		neighbourCount[c] = uint8(n)
		crossingNumber[c] = uint8(a)
		N, E, S, W := bit(0), bit(2), bit(4), bit(6)
		if n >= 2 && n <= 6 && a == 1 {
			zsDelete1[c] = N*E*S == 0 && E*S*W == 0
			zsDelete2[c] = N*E*W == 0 && N*S*W == 0
		}
		NE, SE, SW, NW := bit(1), bit(3), bit(5), bit(7)
		stairDelete[c] = (N == 1 && E == 1 && S == 0 && W == 0 && SW == 0) ||
			(E == 1 && S == 1 && W == 0 && N == 0 && NW == 0) ||
			(S == 1 && W == 1 && N == 0 && E == 0 && NE == 0) ||
			(W == 1 && N == 1 && E == 0 && S == 0 && SE == 0)
	}
}

// binarize marks ridge pixels: negative enhanced response inside the mask. Small ridge
// islands and valley holes are not removed here: after thinning they become dots, short
// ridges and lakes of the skeleton graph, which filter removes with better context (doing
// both lowered the agreement with the reference extractor slightly).
func (s *state) binarize() {
	w, h := s.w, s.h
	b := make([]uint8, w*h)
	for i, m := range s.mask {
		if m && s.enh[i] < 0 {
			b[i] = 1
		}
	}
	clearFrame(b, w, h)
	s.binary = b
}

// clearFrame zeroes the one-pixel frame of the image.
func clearFrame(b []uint8, w, h int) {
	for x := 0; x < w; x++ {
		b[x] = 0
		b[(h-1)*w+x] = 0
	}
	for y := 0; y < h; y++ {
		b[y*w] = 0
		b[y*w+w-1] = 0
	}
}

// thin reduces the binary ridges to a one-pixel-wide 8-connected skeleton: Zhang–Suen
// thinning (two table-driven sub-iterations until stable) followed by one sequential
// pass deleting staircase corners.
func (s *state) thin() {
	s.skel = thinImage(s.binary, s.w, s.h)
}

func thinImage(bin []uint8, w, h int) []uint8 {
	img := append([]uint8(nil), bin...)
	clearFrame(img, w, h)
	var pts []int
	for i, v := range img {
		if v != 0 {
			pts = append(pts, i)
		}
	}
	var del []int
	for {
		changed := false
		for sub := 0; sub < 2; sub++ {
			lut := &zsDelete1
			if sub == 1 {
				lut = &zsDelete2
			}
			del = del[:0]
			for _, i := range pts {
				if lut[neighbourCode(img, i, w)] {
					del = append(del, i)
				}
			}
			for _, i := range del {
				img[i] = 0
			}
			if len(del) > 0 {
				changed = true
				// compact the point list
				k := 0
				for _, i := range pts {
					if img[i] != 0 {
						pts[k] = i
						k++
					}
				}
				pts = pts[:k]
			}
		}
		if !changed {
			break
		}
	}
	for _, i := range pts {
		if stairDelete[neighbourCode(img, i, w)] {
			img[i] = 0
		}
	}
	return img
}
