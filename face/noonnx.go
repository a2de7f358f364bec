//go:build !onnx || !cgo

package face

import "errors"

// ONNXBuiltIn reports whether the ONNX Runtime backend is compiled in.
const ONNXBuiltIn = false

// ErrONNXNotBuilt is returned by OpenONNX in binaries built without -tags onnx.
var ErrONNXNotBuilt = errors.New("ONNX Runtime face support not built in (build with -tags onnx)")

// OpenONNX loads an ONNX embedding model from its descriptor; this binary has no ONNX
// Runtime support.
func OpenONNX(descriptor, modelDir string) (Embedder, error) { return nil, ErrONNXNotBuilt }
