//go:build onnx && cgo

package face

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ONNXBuiltIn reports whether the ONNX Runtime backend is compiled in.
const ONNXBuiltIn = true

// ErrONNXNotBuilt is returned by OpenONNX in binaries built without -tags onnx.
var ErrONNXNotBuilt = errors.New("ONNX Runtime face support not built in (build with -tags onnx)")

// ONNXRuntimeLibrary is the ONNX Runtime shared library: $BIOMESH_ONNXRUNTIME_LIB, else
// libonnxruntime.so in the model folder (scripts/setup-face --onnx puts it there).
func ONNXRuntimeLibrary(modelDir string) string {
	if p := os.Getenv("BIOMESH_ONNXRUNTIME_LIB"); p != "" {
		return p
	}
	if modelDir == "" {
		modelDir = ModelDir()
	}
	return filepath.Join(modelDir, "libonnxruntime.so")
}

var (
	ortOnce sync.Once
	ortErr  error
)

// initORT loads the runtime once per process (ONNX Runtime has one environment).
func initORT(lib string) error {
	ortOnce.Do(func() {
		if _, err := os.Stat(lib); err != nil {
			ortErr = fmt.Errorf("ONNX Runtime library: %w (run scripts/setup-face --onnx or set BIOMESH_ONNXRUNTIME_LIB)", err)
			return
		}
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(); err != nil {
			ortErr = fmt.Errorf("ONNX Runtime %s: %w", lib, err)
		}
	})
	return ortErr
}

type onnxEmbedder struct {
	d    *ONNXDescriptor
	mu   sync.Mutex
	sess *ort.DynamicAdvancedSession
	// batch is the model's fixed batch size, or 0 when its batch dimension is dynamic.
	// Many exported face models fix it at 1.
	batch int
}

// OpenONNX loads the embedding model a descriptor file describes (see ONNXDescriptor).
func OpenONNX(descriptor, modelDir string) (Embedder, error) {
	d, err := ReadONNXDescriptor(descriptor)
	if err != nil {
		return nil, err
	}
	if err := checkHash(d.ModelPath(), d.SHA256); err != nil {
		return nil, err
	}
	if err := initORT(ONNXRuntimeLibrary(modelDir)); err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfo(d.ModelPath())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.ModelPath(), err)
	}
	if len(ins) == 0 || len(outs) == 0 {
		return nil, fmt.Errorf("%s: model has no inputs or outputs", d.ModelPath())
	}
	if d.Input == "" {
		d.Input = ins[0].Name
	}
	batch := 0
	for _, in := range ins {
		if in.Name == d.Input && len(in.Dimensions) > 0 && in.Dimensions[0] > 0 {
			batch = int(in.Dimensions[0])
		}
	}
	if d.Output == "" {
		d.Output = outs[0].Name
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	sess, err := ort.NewDynamicAdvancedSession(d.ModelPath(), []string{d.Input}, []string{d.Output}, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.ModelPath(), err)
	}
	d.register()
	return &onnxEmbedder{d: d, sess: sess, batch: batch}, nil
}

func (e *onnxEmbedder) Model() string      { return e.d.Model }
func (e *onnxEmbedder) Chip() ChipTemplate { return e.d.Chip }
func (e *onnxEmbedder) Dim() int           { return e.d.Dim }

func (e *onnxEmbedder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sess == nil {
		return nil
	}
	err := e.sess.Destroy()
	e.sess = nil
	return err
}

// Embed runs the chips as one batch when the model's batch dimension is dynamic, else
// in batches of the model's fixed size (a last short batch is padded with copies of its
// first chip). The output must hold Dim floats per chip.
func (e *onnxEmbedder) Embed(chips []*RGB) ([][]float32, error) {
	if err := checkChips(chips, e.d.Chip.Size); err != nil {
		return nil, err
	}
	if e.batch == 0 || e.batch == len(chips) {
		return e.run(chips)
	}
	var vecs [][]float32
	for lo := 0; lo < len(chips); lo += e.batch {
		part := chips[lo:min(lo+e.batch, len(chips))]
		n := len(part)
		for len(part) < e.batch {
			part = append(part[:len(part):len(part)], part[0])
		}
		v, err := e.run(part)
		if err != nil {
			return nil, err
		}
		vecs = append(vecs, v[:n]...)
	}
	return vecs, nil
}

// run embeds one batch.
func (e *onnxEmbedder) run(chips []*RGB) ([][]float32, error) {
	s := int64(e.d.Chip.Size)
	n := int64(len(chips))
	shape := ort.NewShape(n, 3, s, s)
	if e.d.Layout == "NHWC" {
		shape = ort.NewShape(n, s, s, 3)
	}
	in, err := ort.NewTensor(shape, e.d.tensor(chips))
	if err != nil {
		return nil, err
	}
	defer in.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(n, int64(e.d.Dim)))
	if err != nil {
		return nil, err
	}
	defer out.Destroy()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sess == nil {
		return nil, errors.New("face: ONNX model is closed")
	}
	if err := e.sess.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		return nil, fmt.Errorf("%s: %w", e.d.Model, err)
	}
	data := out.GetData()
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = append([]float32(nil), data[i*e.d.Dim:(i+1)*e.d.Dim]...)
	}
	return vecs, nil
}

// register records the descriptor's calibrations.
func (d *ONNXDescriptor) register() {
	for name, c := range d.Calibration {
		m := Cosine
		if name == "l2" {
			m = L2
		}
		RegisterCalibration(d.Model, m, c)
	}
}
