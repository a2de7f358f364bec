package vec

// Block is the multiple of components that DotsI8 rows and probes are padded to.
const Block = 32

// dotsI8Go is DotsI8 in Go.
func dotsI8Go(q []int16, rows []int8, out []int32) {
	stride := len(q)
	for i := range out {
		r := rows[i*stride : (i+1)*stride : (i+1)*stride]
		var s0, s1, s2, s3 int32
		for j := 0; j < stride; j += 4 {
			s0 += int32(q[j]) * int32(r[j])
			s1 += int32(q[j+1]) * int32(r[j+1])
			s2 += int32(q[j+2]) * int32(r[j+2])
			s3 += int32(q[j+3]) * int32(r[j+3])
		}
		out[i] = (s0 + s1) + (s2 + s3)
	}
}
