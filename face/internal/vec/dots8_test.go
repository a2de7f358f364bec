package vec

import (
	"math/rand/v2"
	"testing"
)

// TestDotsI8 checks the kernel against an int64 sum, at the extremes of the ranges
// (±127 rows, ±32767 probe) and on random values, for several strides.
func TestDotsI8(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, stride := range []int{32, 64, 128, 160, 512} {
		for _, n := range []int{1, 2, 7, 33} {
			q := make([]int16, stride)
			rows := make([]int8, stride*n)
			for i := range q {
				q[i] = int16(r.IntN(2*32767+1) - 32767)
			}
			for i := range rows {
				rows[i] = int8(r.IntN(255) - 127)
			}
			if n == 2 { // extremes: the largest sums of either sign
				for i := range q {
					q[i] = 32767
				}
				for i := range stride {
					rows[i], rows[stride+i] = 127, -127
				}
			}
			if stride == 512 { // keep within int32
				for i := range q {
					q[i] /= 8
				}
			}
			out, ref := make([]int32, n), make([]int32, n)
			DotsI8(q, rows, out)
			dotsI8Go(q, rows, ref)
			for i := range n {
				var want int64
				for j := range stride {
					want += int64(q[j]) * int64(rows[i*stride+j])
				}
				if int64(out[i]) != want || int64(ref[i]) != want {
					t.Fatalf("stride %d n %d row %d: DotsI8 %d, Go %d, want %d", stride, n, i, out[i], ref[i], want)
				}
			}
		}
	}
}

func BenchmarkDotsI8x128(b *testing.B) {
	const n = 4096
	q, rows, out := make([]int16, 128), make([]int8, 128*n), make([]int32, n)
	for b.Loop() {
		DotsI8(q, rows, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
