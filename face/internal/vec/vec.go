// Package vec holds the float32 inner product that face comparison and search share, and
// the int8-by-int16 inner products of the search's first pass, in Go and, on amd64 with
// AVX2 (and FMA for float32), in assembly. It is a package of its own because a
// package using cgo (face, with its dlib shim) cannot hold Go assembly.
package vec

// dotGo is the inner product, unrolled in four independent sums.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += x[0]*y[0] + x[4]*y[4]
		s1 += x[1]*y[1] + x[5]*y[5]
		s2 += x[2]*y[2] + x[6]*y[6]
		s3 += x[3]*y[3] + x[7]*y[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
