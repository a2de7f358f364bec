//go:build !amd64 || purego

package face

func dot(a, b []float32) float32 { return dotGo(a, b) }
