package wsq

import (
	"bytes"
	"os"
	"testing"
)

// benchFile is a 500 ppi ten-print image of 804×752 pixels.
func benchFile(b *testing.B) []byte {
	data, err := os.ReadFile(testdata(b, "nist", "wsq", "tenprint", "fp-1.wsq"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// measure runs f in the benchmark loop and also reports CPU milliseconds
// per operation (run with -cpu 1: the figure then is one core's work).
func measure(b *testing.B, f func()) {
	b.ReportAllocs()
	c0 := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if c := cpuTime() - c0; c > 0 && n > 0 {
		b.ReportMetric(float64(c.Microseconds())/1000/float64(n), "cpu-ms/op")
	}
}

func BenchmarkDecode(b *testing.B) {
	data := benchFile(b)
	b.SetBytes(int64(len(data)))
	measure(b, func() {
		if _, err := Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkDecodeConvolution decodes with the direct convolution instead
// of the lifting steps (the path used for non-standard filters).
func BenchmarkDecodeConvolution(b *testing.B) {
	liftingEnabled = false
	defer func() { liftingEnabled = true }()
	BenchmarkDecode(b)
}

func BenchmarkEncode(b *testing.B) {
	img, _, err := DecodeAll(bytes.NewReader(benchFile(b)))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	measure(b, func() {
		buf.Reset()
		if err := Encode(&buf, img, nil); err != nil {
			b.Fatal(err)
		}
	})
}
