//go:build !dlib || !cgo

package face

// DlibBuiltIn reports whether the dlib backend is compiled in.
const DlibBuiltIn = false

func openDlib(string, bool) (nativeBackend, error) { return nil, ErrNotBuilt }
