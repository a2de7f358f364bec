// Package face finds faces in photos, aligns them and turns them into embeddings that can
// be compared and searched.
//
// The pipeline is a sequence of named stages, each a small function:
//
//	decode     JPEG or PNG, or the first image of an ISO/IEC 19794-5 face record (JPEG, or
//	           JPEG 2000 with -tags openjpeg), with size limits checked on the header
//	           (DecodeFile, Decode, ParseISOFaceRecord)
//	detect     every face with its box and detector score (Detector; dlib's HOG detector,
//	           and dlib's CNN detector where HOG finds none, if its model file is there)
//	landmarks  five points per face: the outer and inner corners of both eyes and the
//	           base of the nose (dlib's 5-point shape predictor)
//	align      a similarity transform (rotation, scale, shift) fitted by least squares
//	           from the landmarks onto the embedder's chip template (Align)
//	quality    named gates on face size, inter-eye distance, blur, brightness and
//	           frontal pose (Gates, Quality)
//	embed      the aligned chip to a vector (Embedder; dlib's ResNet, or an ONNX model)
//
// Detection and embedding need a native backend chosen by build tag: -tags dlib links
// Debian's libdlib-dev (with OpenBLAS) through a small C++ shim in this package, and
// -tags onnx loads ONNX Runtime's shared library for user-supplied embedding models.
// Without a backend the package still builds with CGO_ENABLED=0; Open then returns
// ErrNotBuilt, while alignment, quality measures, templates, comparison and 1:N search,
// which are pure Go, keep working. scripts/setup-face installs the libraries and the
// model files (into ModelDir), whose SHA-256 is checked when they are loaded.
//
// 1:N search (Gallery) is exact: a scan of an int8 copy of the gallery bounds every
// row's similarity, and the best few hundred are scored again in float32.
//
// Scores follow the project's calibrated scale, score = −10·log10(estimated false match
// rate), fitted on impostor comparisons (see calibration.go). Templates have a versioned
// binary form (Template.MarshalBinary).
package face
