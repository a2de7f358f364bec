package extract

import (
	"math"
	"sort"
)

// segment separates the fingerprint from the background. A block is foreground when its
// grey-level deviation is above an absolute and a relative threshold (relative to the 95th
// percentile of all blocks, so that both faint and contrasted sensors work) and its
// gradients are coherent (unless the contrast is very high) but alternate in sign, as
// across ridges, rather than pointing one way, as on a smooth ramp or a single edge. The block mask is opened
// (removes specks), closed (joins the finger), reduced to its largest component, its holes
// filled, then up-sampled to pixels and eroded. It returns false when no foreground is left.
func (s *state) segment() bool {
	p := s.p
	nb := s.bw * s.bh
	sorted := append([]float32(nil), s.bstd...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	p95 := sorted[int(0.95*float64(nb-1))]
	s.stdP95 = p95
	thr := max(p.segAbsStd, p.segRelStd*p95)
	fg := make([]bool, nb)
	for i := range fg {
		fg[i] = s.bstd[i] > thr && (s.bcoh[i] > p.segCoherence || s.bstd[i] > p.segStrongStd*p95) && s.bslope[i] < p.segMaxSlope
	}
	fg = morph(fg, s.bw, s.bh, p.segOpen, false)
	fg = morph(fg, s.bw, s.bh, p.segOpen, true)
	// Closing near the image border must not be eroded by the outside: pad by the radius.
	fg = closePadded(fg, s.bw, s.bh, p.segClose)
	fg = largestComponent(fg, s.bw, s.bh)
	fg = fillHoles(fg, s.bw, s.bh)
	n := 0
	for _, v := range fg {
		if v {
			n++
		}
	}
	if n < p.segMinBlocks {
		return false
	}
	s.blockMask = fg

	// Up-sample by bilinear interpolation of the 0/1 block mask (smooth border), then erode.
	w, h, B := s.w, s.h, p.block
	m := make([]bool, w*h)
	half := float64(B)/2 - 0.5
	x0s := make([]int, w)
	txs := make([]float64, w)
	for x := 0; x < w; x++ {
		fx := (float64(x) - half) / float64(B)
		x0 := math.Floor(fx)
		x0s[x], txs[x] = int(x0), fx-x0
	}
	// block values padded by one replicated block on each side
	gw := s.bw + 2
	gv := make([]float64, gw*(s.bh+2))
	for gy := 0; gy < s.bh+2; gy++ {
		by := min(max(gy-1, 0), s.bh-1)
		for gx := 0; gx < gw; gx++ {
			if fg[by*s.bw+min(max(gx-1, 0), s.bw-1)] {
				gv[gy*gw+gx] = 1
			}
		}
	}
	for y := 0; y < h; y++ {
		fy := (float64(y) - half) / float64(B)
		y0 := int(math.Floor(fy))
		ty := fy - float64(y0)
		r0 := gv[(y0+1)*gw : (y0+2)*gw]
		r1 := gv[(y0+2)*gw : (y0+3)*gw]
		row := m[y*w : (y+1)*w]
		for x := range row {
			x0, tx := x0s[x]+1, txs[x]
			a, b, c, d := r0[x0], r0[x0+1], r1[x0], r1[x0+1]
			if a == b && b == c && c == d {
				row[x] = a == 1
				continue
			}
			row[x] = (1-ty)*((1-tx)*a+tx*b)+ty*((1-tx)*c+tx*d) >= 0.5
		}
	}
	d := distanceToBackground(m, w, h)
	any := false
	for i := range m {
		d[i] -= p.segErode
		m[i] = d[i] > 0
		if m[i] {
			any = true
		} else {
			d[i] = 0
		}
	}
	s.mask = m
	s.dist = d
	return any
}

// morph dilates (dilate=true) or erodes a binary grid with a square of the given radius.
// Outside the grid counts as background.
func morph(in []bool, w, h, r int, dilate bool) []bool {
	if r <= 0 {
		return in
	}
	out := make([]bool, len(in))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			res := !dilate
			for dy := -r; dy <= r && res != dilate; dy++ {
				for dx := -r; dx <= r; dx++ {
					xx, yy := x+dx, y+dy
					v := false
					if xx >= 0 && yy >= 0 && xx < w && yy < h {
						v = in[yy*w+xx]
					}
					if v == dilate {
						res = dilate
						break
					}
				}
			}
			out[y*w+x] = res
		}
	}
	return out
}

// closePadded applies a morphological closing as if the grid extended beyond its border
// by replication, so that foreground touching the border is not eroded.
func closePadded(in []bool, w, h, r int) []bool {
	if r <= 0 {
		return in
	}
	pw, ph := w+2*r, h+2*r
	pad := make([]bool, pw*ph)
	for y := 0; y < ph; y++ {
		sy := min(max(y-r, 0), h-1)
		for x := 0; x < pw; x++ {
			sx := min(max(x-r, 0), w-1)
			pad[y*pw+x] = in[sy*w+sx]
		}
	}
	pad = morph(morph(pad, pw, ph, r, true), pw, ph, r, false)
	out := make([]bool, w*h)
	for y := 0; y < h; y++ {
		copy(out[y*w:(y+1)*w], pad[(y+r)*pw+r:(y+r)*pw+r+w])
	}
	return out
}

// labelComponents labels the 4-connected components of cells equal to val; it returns the
// labels (−1 for other cells) and the size of each component.
func labelComponents(in []bool, w, h int, val bool) ([]int32, []int) {
	lab := make([]int32, len(in))
	for i := range lab {
		lab[i] = -1
	}
	var sizes []int
	stack := []int{}
	for i := range in {
		if in[i] != val || lab[i] >= 0 {
			continue
		}
		id := int32(len(sizes))
		size := 0
		lab[i] = id
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := c%w, c/w
			for _, nb := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if nb[0] < 0 || nb[1] < 0 || nb[0] >= w || nb[1] >= h {
					continue
				}
				j := nb[1]*w + nb[0]
				if in[j] == val && lab[j] < 0 {
					lab[j] = id
					stack = append(stack, j)
				}
			}
		}
		sizes = append(sizes, size)
	}
	return lab, sizes
}

// largestComponent keeps the largest 4-connected foreground component.
func largestComponent(in []bool, w, h int) []bool {
	lab, sizes := labelComponents(in, w, h, true)
	best := -1
	for i, s := range sizes {
		if best < 0 || s > sizes[best] {
			best = i
		}
	}
	out := make([]bool, len(in))
	for i := range in {
		out[i] = best >= 0 && lab[i] == int32(best)
	}
	return out
}

// fillHoles sets every background component that does not touch the grid border.
func fillHoles(in []bool, w, h int) []bool {
	lab, sizes := labelComponents(in, w, h, false)
	touches := make([]bool, len(sizes))
	for x := 0; x < w; x++ {
		for _, y := range []int{0, h - 1} {
			if l := lab[y*w+x]; l >= 0 {
				touches[l] = true
			}
		}
	}
	for y := 0; y < h; y++ {
		for _, x := range []int{0, w - 1} {
			if l := lab[y*w+x]; l >= 0 {
				touches[l] = true
			}
		}
	}
	out := append([]bool(nil), in...)
	for i := range out {
		if !out[i] && !touches[lab[i]] {
			out[i] = true
		}
	}
	return out
}
