//go:build onnx && cgo

package face

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// A minimal protobuf writer, enough to build an ONNX model in the test.
type pb []byte

func (b pb) varint(v uint64) pb {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
func (b pb) int(field int, v int64) pb { return b.varint(uint64(field << 3)).varint(uint64(v)) }
func (b pb) bytes(field int, v []byte) pb {
	return append(b.varint(uint64(field<<3|2)).varint(uint64(len(v))), v...)
}
func (b pb) str(field int, s string) pb { return b.bytes(field, []byte(s)) }

// tensorInfo is a float ValueInfoProto; a dimension of -1 is the symbolic "N".
func tensorInfo(name string, dims ...int64) []byte {
	var shape pb
	for _, d := range dims {
		if d < 0 {
			shape = shape.bytes(1, pb(nil).str(2, "N"))
		} else {
			shape = shape.bytes(1, pb(nil).int(1, d))
		}
	}
	tensor := pb(nil).int(1, 1).bytes(2, shape) // elem_type FLOAT
	return pb(nil).str(1, name).bytes(2, pb(nil).bytes(1, tensor))
}

// meanModel is an ONNX model taking N×3×S×S to the N×3 channel means
// (GlobalAveragePool then Flatten): an "embedding" whose value the test can predict. N is
// batch, or symbolic when batch is −1.
func meanModel(size, batch int64) []byte {
	pool := pb(nil).str(1, "x").str(2, "p").str(3, "pool").str(4, "GlobalAveragePool")
	flat := pb(nil).str(1, "p").str(2, "y").str(3, "flat").str(4, "Flatten")
	graph := pb(nil).bytes(1, pool).bytes(1, flat).str(2, "mean").
		bytes(11, tensorInfo("x", batch, 3, size, size)).bytes(12, tensorInfo("y", batch, 3))
	opset := pb(nil).str(1, "").int(2, 13)
	return pb(nil).int(1, 7).bytes(7, graph).bytes(8, opset)
}

func TestONNXEmbedder(t *testing.T) {
	lib := ONNXRuntimeLibrary("")
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("no ONNX Runtime library (scripts/setup-face --onnx): %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mean.onnx"), meanModel(16, -1), 0o644); err != nil {
		t.Fatal(err)
	}
	d := ONNXDescriptor{
		Model: "test-mean", File: "mean.onnx", Layout: "NCHW", Channels: "BGR",
		Mean: [3]float32{10, 20, 30}, Std: [3]float32{2, 4, 8}, Dim: 3,
		Chip: ChipTemplate{Size: 16, Points: []TemplatePoint{{"right_eye", 5, 6}, {"left_eye", 11, 6}, {"nose", 8, 10}}},
	}
	b, _ := json.Marshal(d)
	desc := filepath.Join(dir, "mean.json")
	os.WriteFile(desc, b, 0o644)
	e, err := OpenONNX(desc, "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	a, c := NewRGB(16, 16), NewRGB(16, 16)
	for i := 0; i < 256; i++ {
		a.Pix[3*i], a.Pix[3*i+1], a.Pix[3*i+2] = 100, 50, 200
		c.Pix[3*i], c.Pix[3*i+1], c.Pix[3*i+2] = 30, 20, 10
	}
	v, err := e.Embed([]*RGB{a, c})
	if err != nil {
		t.Fatal(err)
	}
	// BGR order, (pixel − mean) / std.
	want := [][]float32{{(200 - 10) / 2.0, (50 - 20) / 4.0, (100 - 30) / 8.0}, {0, 0, 0}}
	for i := range want {
		for k := range want[i] {
			if math.Abs(float64(v[i][k]-want[i][k])) > 1e-4 {
				t.Fatalf("chip %d: embedding %v, want %v", i, v[i], want[i])
			}
		}
	}
	if _, err := e.Embed([]*RGB{NewRGB(15, 16)}); err == nil {
		t.Error("chip of the wrong size accepted")
	}

	// A model whose batch is fixed at 2 takes three chips in two runs (a group photo
	// gives several faces at once).
	if err := os.WriteFile(filepath.Join(dir, "mean2.onnx"), meanModel(16, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	d2 := d
	d2.Model, d2.File = "test-mean2", "mean2.onnx"
	b, _ = json.Marshal(d2)
	desc2 := filepath.Join(dir, "mean2.json")
	os.WriteFile(desc2, b, 0o644)
	e2, err := OpenONNX(desc2, "")
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	v, err = e2.Embed([]*RGB{a, c, a})
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 3 {
		t.Fatalf("fixed batch: %d embeddings for 3 chips", len(v))
	}
	for i, w := range [][]float32{want[0], want[1], want[0]} {
		for k := range w {
			if math.Abs(float64(v[i][k]-w[k])) > 1e-4 {
				t.Fatalf("fixed batch, chip %d: embedding %v, want %v", i, v[i], w)
			}
		}
	}
	// A descriptor whose hash does not match is refused.
	d.SHA256 = "00"
	b, _ = json.Marshal(d)
	os.WriteFile(desc, b, 0o644)
	if _, err := OpenONNX(desc, ""); err == nil {
		t.Error("wrong SHA-256 accepted")
	}
}
