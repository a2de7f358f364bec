package wsq

// The WSQ decomposition is a fixed wavelet-packet tree. Each of its 20
// nodes is a rectangle of the coefficient plane on which one level of the
// separable transform runs (rows and columns), turning it into four
// quadrants. A line of length n splits into ceil(n/2) low-pass and
// floor(n/2) high-pass coefficients; in a quadrant that lies to the right
// of (below) its parent's centre the high-pass half is stored first along x
// (y), the standard's "spectral inversion", so the smaller half comes first
// when n is odd. The leaves of the tree are the 64 subbands whose
// quantized coefficients the file carries, in the subband order below.

// rect is a rectangle of the coefficient plane.
type rect struct {
	x, y, w, h int
}

// node is one split of the wavelet tree.
type node struct {
	rect
	invX, invY bool // high-pass half first along x / along y
}

// halves splits a length into the sizes of its first and second half.
func halves(n int, inv bool) (first, second int) {
	lo, hi := (n+1)/2, n/2
	if inv {
		return hi, lo
	}
	return lo, hi
}

// quadrants splits r into its top-left, top-right, bottom-left and
// bottom-right parts.
func quadrants(r rect, invX, invY bool) [4]rect {
	w1, w2 := halves(r.w, invX)
	h1, h2 := halves(r.h, invY)
	return [4]rect{
		{r.x, r.y, w1, h1},
		{r.x + w1, r.y, w2, h1},
		{r.x, r.y + h1, w1, h2},
		{r.x + w1, r.y + h1, w2, h2},
	}
}

// child makes the node for quadrant q (0 TL, 1 TR, 2 BL, 3 BR) of a split.
func child(q [4]rect, i int) node {
	return node{rect: q[i], invX: i&1 != 0, invY: i&2 != 0}
}

// trees holds the wavelet tree and subband layout of one image size.
type trees struct {
	nodes [20]node
	bands [maxSubbands]rect
}

// buildTrees lays out the 20 transform nodes and 64 subbands of a
// width×height image. Node 0 is the whole image; its top-left quadrant
// (node 1) is split again into nodes 14, 4 and 5 (and a bottom-right
// quadrant that is subband 51); nodes 4, 5 and 14 are each split into four
// (nodes 6–9, 10–13, 15–18), and node 19 is the top-left quadrant of node
// 15. Subbands 0–3 are the quadrants of node 19, subbands 3–50 the
// quadrants of the quadrants of nodes 14, 4 and 5 (subband 3 is then
// overwritten, being the same rectangle), 51 the bottom-right of node 1,
// 52–59 the quadrants of nodes 2 and 3 and 60–63 the quadrants of the
// bottom-right quadrant of the image, which the standard never codes.
func buildTrees(width, height int) *trees {
	t := &trees{}
	n := &t.nodes
	n[0] = node{rect: rect{0, 0, width, height}}
	q0 := quadrants(n[0].rect, false, false)
	n[1], n[2], n[3] = child(q0, 0), child(q0, 1), child(q0, 2)
	q1 := quadrants(n[1].rect, false, false)
	n[14], n[4], n[5] = child(q1, 0), child(q1, 1), child(q1, 2)
	split := func(parent, first int) {
		q := quadrants(n[parent].rect, n[parent].invX, n[parent].invY)
		for i := range 4 {
			n[first+i] = child(q, i)
		}
	}
	split(4, 6)
	split(5, 10)
	split(14, 15)
	q15 := quadrants(n[15].rect, n[15].invX, n[15].invY)
	n[19] = child(q15, 0)

	// sixteen lays out the 16 subbands of a node split twice: the four
	// quadrants of each of its quadrants, quadrant by quadrant.
	sixteen := func(first int, nd node) {
		q := quadrants(nd.rect, nd.invX, nd.invY)
		for i := range 4 {
			c := child(q, i)
			qq := quadrants(c.rect, c.invX, c.invY)
			copy(t.bands[first+4*i:], qq[:])
		}
	}
	sixteen(3, n[14])
	sixteen(19, n[4])
	sixteen(48, n[0])
	sixteen(35, n[5])
	q19 := quadrants(n[19].rect, n[19].invX, n[19].invY)
	copy(t.bands[0:], q19[:])
	return t
}
