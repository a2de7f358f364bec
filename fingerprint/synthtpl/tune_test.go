package synthtpl

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/biomesh/biomesh/eval"
)

// TestTune is a tuning aid, skipped unless SYNTH_TUNE is set: it runs the realism
// comparison with DefaultParams overridden by SYNTH_TUNE's JSON (e.g. '{"Distortion":8}')
// on SYNTH_FINGERS fingers (default 300) × 4 impressions, seed SYNTH_SEED (default 2):
//
//	SYNTH_TUNE='{}' SYNTH_FINGERS=1000 go test ./fingerprint/synthtpl/ -run Tune -v
func TestTune(t *testing.T) {
	s := os.Getenv("SYNTH_TUNE")
	if s == "" {
		t.Skip("SYNTH_TUNE not set")
	}
	p := DefaultParams()
	if err := json.Unmarshal([]byte(s), p); err != nil {
		t.Fatal(err)
	}
	nf, seed := 300, uint64(2)
	if v, err := strconv.Atoi(os.Getenv("SYNTH_FINGERS")); err == nil {
		nf = v
	}
	if v, err := strconv.ParseUint(os.Getenv("SYNTH_SEED"), 10, 64); err == nil {
		seed = v
	}
	gen, imp := realism(seed, p, nf, 4)
	v, err := eval.Verify(gen, imp)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: genuine p5 %.1f median %.1f | impostor median %.1f p99 %.1f p99.9 %.1f | %v",
		s, quantile(gen, 0.05), quantile(gen, 0.5), quantile(imp, 0.5), quantile(imp, 0.99), quantile(imp, 0.999), v)
}
