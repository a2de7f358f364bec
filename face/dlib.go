//go:build dlib && cgo

package face

// The binding links Debian's libdlib-dev; BLAS and LAPACK come from libopenblas-dev
// through Debian's alternatives (libblas.so.3 is OpenBLAS once it is installed). Debian
// ships no libcblas.so, so -lblas carries the CBLAS symbols. Do not add -march=native:
// the binary must run on other machines of the same architecture.

// #cgo CXXFLAGS: -std=c++14 -O2 -DDLIB_NO_GUI_SUPPORT
// #cgo LDFLAGS: -ldlib -llapack -lblas -lpthread
// #include <stdlib.h>
// #include "dlib_shim.h"
import "C"

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"unsafe"
)

// DlibBuiltIn reports whether the dlib backend is compiled in.
const DlibBuiltIn = true

// CNNMaxSide is the longer side photos are shrunk to for the CNN detector, which costs
// about 6 s of CPU on a 1280×853 photo; it finds faces down to about 80 pixels in the
// shrunk image.
const CNNMaxSide = 800

const (
	dlibDim     = 128
	errBufBytes = 512
	maxFaces    = 256 // detections reported per image; more are counted, not returned
)

// dlibBackend serialises calls: dlib's network and detectors keep scratch state and are
// not safe for concurrent use.
type dlibBackend struct {
	mu     sync.Mutex
	h      *C.bm_dlib
	hasNet bool
	hasCNN bool
}

func openDlib(dir string, withNet bool) (nativeBackend, error) {
	shape, err := locate(dir, ShapePredictorFile)
	if err != nil {
		return nil, err
	}
	net := ""
	if withNet {
		if net, err = locate(dir, ResNetFile); err != nil {
			return nil, err
		}
	}
	cs := C.CString(shape)
	defer C.free(unsafe.Pointer(cs))
	cn := C.CString(net)
	defer C.free(unsafe.Pointer(cn))
	var ebuf [errBufBytes]C.char
	h := C.bm_dlib_open(cs, cn, &ebuf[0], errBufBytes)
	if h == nil {
		return nil, fmt.Errorf("face: loading dlib models from %s: %s", dir, C.GoString(&ebuf[0]))
	}
	b := &dlibBackend{h: h, hasNet: withNet}
	// The CNN detector is optional, but a copy that is there must be the right one.
	if _, err := os.Stat(filepath.Join(dir, CNNDetectorFile.Name)); err == nil {
		cnn, err := locate(dir, CNNDetectorFile)
		if err != nil {
			b.Close()
			return nil, err
		}
		cc := C.CString(cnn)
		defer C.free(unsafe.Pointer(cc))
		if C.bm_dlib_load_cnn(h, cc, &ebuf[0], errBufBytes) != 0 {
			b.Close()
			return nil, fmt.Errorf("face: loading %s: %s", cnn, C.GoString(&ebuf[0]))
		}
		b.hasCNN = true
	}
	return b, nil
}

func (b *dlibBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.h != nil {
		C.bm_dlib_close(b.h)
		b.h = nil
	}
	return nil
}

func (b *dlibBackend) Model() string      { return DlibModel }
func (b *dlibBackend) Chip() ChipTemplate { return DlibChip }
func (b *dlibBackend) Dim() int           { return dlibDim }

func checkRGB(m *RGB) error {
	if m == nil || m.W < 1 || m.H < 1 || len(m.Pix) != 3*m.W*m.H {
		return errors.New("malformed RGB image")
	}
	return checkSize(m.W, m.H)
}

// Detect runs the HOG detector and, when it finds nothing and the CNN detector is loaded,
// the CNN detector; then the shape predictor in each box.
func (b *dlibBackend) Detect(img *RGB) ([]Face, error) {
	if err := checkRGB(img); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.h == nil {
		return nil, errors.New("face: dlib backend is closed")
	}
	var ebuf [errBufBytes]C.char
	pix := (*C.uint8_t)(unsafe.Pointer(&img.Pix[0]))
	out := make([]float64, 5*maxFaces)
	n := int(C.bm_dlib_detect(b.h, pix, C.int(img.W), C.int(img.H), (*C.double)(&out[0]), maxFaces, &ebuf[0], errBufBytes))
	if n < 0 {
		return nil, fmt.Errorf("dlib detector: %s", C.GoString(&ebuf[0]))
	}
	if n == 0 && b.hasCNN {
		// The CNN looks at the image shrunk to CNNMaxSide; its boxes are scaled back,
		// and landmarks are found in the full image.
		small, s := img, 1.0
		if long := max(img.W, img.H); long > CNNMaxSide {
			s = float64(CNNMaxSide) / float64(long)
			small = resize(img, s)
		}
		sp := (*C.uint8_t)(unsafe.Pointer(&small.Pix[0]))
		n = int(C.bm_dlib_detect_cnn(b.h, sp, C.int(small.W), C.int(small.H), (*C.double)(&out[0]), maxFaces, &ebuf[0], errBufBytes))
		runtime.KeepAlive(small)
		if n < 0 {
			return nil, fmt.Errorf("dlib CNN detector: %s", C.GoString(&ebuf[0]))
		}
		for i := range min(n, maxFaces) {
			for k := range 4 {
				out[5*i+k] /= s
			}
		}
	}
	runtime.KeepAlive(img)
	n = min(n, maxFaces)
	faces := make([]Face, n)
	var lm [10]float64
	for i := range faces {
		d := out[5*i:]
		faces[i].Box = image.Rect(int(d[0]), int(d[1]), int(d[2]), int(d[3]))
		faces[i].Score = d[4]
		box := [4]C.double{C.double(d[0]), C.double(d[1]), C.double(d[2]), C.double(d[3])}
		if C.bm_dlib_landmarks(b.h, pix, C.int(img.W), C.int(img.H), &box[0], (*C.double)(&lm[0]), &ebuf[0], errBufBytes) != 0 {
			return nil, fmt.Errorf("dlib shape predictor: %s", C.GoString(&ebuf[0]))
		}
		p := func(k int) Point { return Point{lm[2*k], lm[2*k+1]} }
		faces[i].Landmarks = Landmarks{p(0), p(1), p(2), p(3), p(4)}
	}
	runtime.KeepAlive(img)
	return faces, nil
}

// Embed runs the ResNet on 150×150 chips.
func (b *dlibBackend) Embed(chips []*RGB) ([][]float32, error) {
	if !b.hasNet {
		return nil, errors.New("face: dlib embedding network not loaded")
	}
	if err := checkChips(chips, DlibChip.Size); err != nil {
		return nil, err
	}
	const chipBytes = 150 * 150 * 3
	buf := make([]byte, chipBytes*len(chips))
	for i, c := range chips {
		copy(buf[i*chipBytes:], c.Pix)
	}
	out := make([]float32, dlibDim*len(chips))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.h == nil {
		return nil, errors.New("face: dlib backend is closed")
	}
	var ebuf [errBufBytes]C.char
	if C.bm_dlib_embed(b.h, (*C.uint8_t)(unsafe.Pointer(&buf[0])), C.int(len(chips)), (*C.float)(&out[0]), &ebuf[0], errBufBytes) != 0 {
		return nil, fmt.Errorf("dlib network: %s", C.GoString(&ebuf[0]))
	}
	vecs := make([][]float32, len(chips))
	for i := range vecs {
		vecs[i] = out[i*dlibDim : (i+1)*dlibDim : (i+1)*dlibDim]
	}
	return vecs, nil
}

// dlibChip cuts the chip with dlib's own alignment, to check Align against it.
func (b *dlibBackend) dlibChip(img *RGB, l Landmarks) (*RGB, error) {
	if err := checkRGB(img); err != nil {
		return nil, err
	}
	if !l.finite() {
		return nil, errors.New("landmarks are not finite")
	}
	lm := [10]C.double{}
	for i, p := range []Point{l.LeftEyeOuter, l.LeftEyeInner, l.RightEyeOuter, l.RightEyeInner, l.Nose} {
		lm[2*i], lm[2*i+1] = C.double(p.X), C.double(p.Y)
	}
	out := NewRGB(150, 150)
	b.mu.Lock()
	defer b.mu.Unlock()
	var ebuf [errBufBytes]C.char
	if C.bm_dlib_chip(b.h, (*C.uint8_t)(unsafe.Pointer(&img.Pix[0])), C.int(img.W), C.int(img.H), &lm[0],
		(*C.uint8_t)(unsafe.Pointer(&out.Pix[0])), &ebuf[0], errBufBytes) != 0 {
		return nil, fmt.Errorf("dlib chip: %s", C.GoString(&ebuf[0]))
	}
	runtime.KeepAlive(img)
	return out, nil
}
