package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/biomesh/biomesh/fingerprint"
)

// DatabaseOptions controls WriteDatabase.
type DatabaseOptions struct {
	Persons     int    // people (1–100000)
	Fingers     int    // fingers per person (1–10)
	Impressions int    // impressions per finger (1–100)
	Seed        uint64 // database seed; finger k's master seed is derived from it
	Workers     int    // parallel fingers (0: every core)
	Master      *MasterOptions
	Impression  *ImpressionOptions
	// Progress, when set, is called after each finger (from several goroutines, serialised).
	Progress func(done, total int)
}

// FingerTruth is the ground truth of one finger, written as truth/FFF.json.
type FingerTruth struct {
	Finger      int               `json:"finger"` // FFF
	Seed        uint64            `json:"seed"`   // master seed
	Class       Class             `json:"class"`
	Cores       []Point           `json:"cores"`
	Deltas      []Point           `json:"deltas"`
	Minutiae    int               `json:"minutiae"` // of the master
	Impressions []ImpressionTruth `json:"impressions"`
}

// ImpressionTruth is the ground truth of one impression.
type ImpressionTruth struct {
	Number    int       `json:"number"` // I
	Seed      uint64    `json:"seed"`
	Transform Transform `json:"transform"`
	Minutiae  int       `json:"minutiae"` // ground-truth minutiae inside the contact area
}

// splitmix returns a well-mixed 64-bit value of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// MasterSeed is the master seed of finger index k (0-based) of a database with seed s.
func MasterSeed(s uint64, k int) uint64 { return splitmix(splitmix(s) ^ uint64(k)) }

// WriteDatabase writes an FVC-style database into dir: FFF_I.png for finger
// FFF = 101 + k (k = person·Fingers + finger) and impression I = 1…Impressions, and in
// dir/truth the ground truth: FFF_0.iso (the master's minutiae), FFF_I.iso (each
// impression's, ISO/IEC 19794-2) and FFF.json (class, singular points, transforms).
// The ground truth lives in a subfolder so that evaluators reading FFF_I.* see only images.
func WriteDatabase(dir string, o *DatabaseOptions) error {
	switch {
	case o == nil:
		return fmt.Errorf("%w: no database options", ErrOptions)
	case o.Persons < 1 || o.Persons > 100000:
		return fmt.Errorf("%w: %d persons (1–100000)", ErrOptions, o.Persons)
	case o.Fingers < 1 || o.Fingers > 10:
		return fmt.Errorf("%w: %d fingers per person (1–10)", ErrOptions, o.Fingers)
	case o.Impressions < 1 || o.Impressions > 100:
		return fmt.Errorf("%w: %d impressions per finger (1–100)", ErrOptions, o.Impressions)
	case o.Workers < 0:
		return fmt.Errorf("%w: %d workers", ErrOptions, o.Workers)
	}
	// check the image options once, before starting
	if _, err := o.Master.resolve(); err != nil {
		return err
	}
	truth := filepath.Join(dir, "truth")
	if err := os.MkdirAll(truth, 0o755); err != nil {
		return err
	}
	total := o.Persons * o.Fingers
	workers := o.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	var (
		mu       sync.Mutex
		firstErr error
		done     int
		wg       sync.WaitGroup
	)
	for range min(workers, total) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				err := writeFinger(dir, truth, k, o)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done++
				if o.Progress != nil {
					o.Progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	for k := 0; k < total; k++ {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

func writeFinger(dir, truth string, k int, o *DatabaseOptions) error {
	fff := 101 + k
	seed := MasterSeed(o.Seed, k)
	m, err := NewMaster(seed, o.Master)
	if err != nil {
		return fmt.Errorf("finger %d: %w", fff, err)
	}
	ft := FingerTruth{Finger: fff, Seed: seed, Class: m.Class, Cores: m.Cores, Deltas: m.Deltas, Minutiae: len(m.Minutiae.Minutiae)}
	if err := writeISO(filepath.Join(truth, fmt.Sprintf("%d_0.iso", fff)), m.Minutiae); err != nil {
		return err
	}
	for i := 1; i <= o.Impressions; i++ {
		im, err := m.Impression(uint64(i), o.Impression)
		if err != nil {
			return fmt.Errorf("finger %d impression %d: %w", fff, i, err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, im.Image); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d_%d.png", fff, i)), buf.Bytes(), 0o644); err != nil {
			return err
		}
		if err := writeISO(filepath.Join(truth, fmt.Sprintf("%d_%d.iso", fff, i)), im.Minutiae); err != nil {
			return err
		}
		ft.Impressions = append(ft.Impressions, ImpressionTruth{Number: i, Seed: uint64(i), Transform: im.Transform, Minutiae: len(im.Minutiae.Minutiae)})
	}
	b, err := json.MarshalIndent(ft, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(truth, fmt.Sprintf("%d.json", fff)), append(b, '\n'), 0o644)
}

func writeISO(path string, t *fingerprint.Template) error {
	b, err := fingerprint.EncodeISO(t)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, b, 0o644)
}
