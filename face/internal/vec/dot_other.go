//go:build !amd64 || purego

package vec

// Dot is the inner product of a and b (len(b) ≥ len(a)).
func Dot(a, b []float32) float32 { return dotGo(a, b) }
