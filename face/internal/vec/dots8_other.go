//go:build !amd64 || purego

package vec

// DotsI8 sets out[i] to the integer inner product of q with row i of rows, a matrix of
// len(out) rows of len(q) components; len(q) must be a positive multiple of Block. The
// caller keeps the sums within int32: len(q)·127·max|q| < 2³¹ for rows in [−127, 127].
func DotsI8(q []int16, rows []int8, out []int32) {
	stride := len(q)
	if stride == 0 || stride%Block != 0 || len(rows) < stride*len(out) {
		panic("vec: DotsI8 shape")
	}
	dotsI8Go(q, rows, out)
}
