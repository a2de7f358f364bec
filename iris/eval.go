package iris

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/biomesh/biomesh/eval"
)

// EvalOptions tune Evaluate. The zero value (or nil) is fine.
type EvalOptions struct {
	DebugDir string // when set, every image's overlay and strip PNGs are written here
	Workers  int    // extraction goroutines; 0 means GOMAXPROCS
	MaxEyes  int    // when > 0, only the first MaxEyes eye folders (in name order) are used
}

// EvalResult is the outcome of Evaluate on one folder of eyes.
type EvalResult struct {
	Dir      string `json:"dir"`
	Eyes     int    `json:"eyes"`
	Images   int    `json:"images"`
	Enrolled int    `json:"enrolled"`
	// FTE is the failure-to-enrol rate; Failures lists each failed image with its reason.
	FTE      float64  `json:"fte"`
	Failures []string `json:"failures,omitempty"`

	// Verification over all genuine pairs (same eye) and all impostor pairs (different
	// eyes) of enrolled images; images that failed to enrol are counted by FTE alone.
	Verification eval.Verification `json:"verification"`
	FNMRAt1e3    float64           `json:"fnmr_at_fmr_1e-3"`
	FNMRAt1e4    float64           `json:"fnmr_at_fmr_1e-4"`
	// GenuineHD and ImpostorHD are the mean normalised Hamming distances of those pairs.
	GenuineHD  float64 `json:"genuine_hd_mean"`
	ImpostorHD float64 `json:"impostor_hd_mean"`

	// Rank1 is the fraction of mated 1:N searches (gallery: the first image of every eye;
	// probes: the other images) whose mate ranks first.
	Rank1    float64 `json:"rank1"`
	Searches int     `json:"searches"`

	ExtractMs         float64 `json:"extract_ms"`          // mean wall time of Extract per image (Workers at a time)
	ExtractCPUMs      float64 `json:"extract_cpu_ms"`      // process CPU time of the extraction phase per image (0 where not measured)
	ComparisonsPerSec float64 `json:"comparisons_per_sec"` // prepared probe, one goroutine, ±MaxShift shifts
	ComparisonsPerCPU float64 `json:"comparisons_per_cpu_sec"`

	// ImpostorRaw holds the raw similarity (1 − normalised HD) of every impostor pair of
	// enrolled images, for fitting the calibration.
	ImpostorRaw []float64 `json:"-"`
}

func (r *EvalResult) String() string {
	v := r.Verification
	return fmt.Sprintf("%s: %d eyes, %d images, FTE %.2f%%; EER %.3f%% FNMR@FMR1e-3 %.2f%% FNMR@FMR1e-4 %.2f%% (%d genuine, %d impostor; mean HD %.3f / %.3f); rank-1 %.2f%% (%d searches); extraction %.1f ms/image (%.1f ms CPU); %.0f comparisons/s (%.0f per CPU second)",
		r.Dir, r.Eyes, r.Images, 100*r.FTE, 100*v.EER, 100*r.FNMRAt1e3, 100*r.FNMRAt1e4, v.Genuine, v.Impostor,
		r.GenuineHD, r.ImpostorHD, 100*r.Rank1, r.Searches, r.ExtractMs, r.ExtractCPUMs, r.ComparisonsPerSec, r.ComparisonsPerCPU)
}

type evalImage struct {
	eye  string
	path string
	t    *Template
	err  error // extraction failed: counts towards FTE
	read error // file unreadable: the evaluation fails
	dur  time.Duration
}

// Evaluate runs the verification and identification protocol on dir, a folder with one
// sub-folder per eye holding that eye's images (the CASIA layout N/NNN_S_I.jpg); images are
// taken in name order within an eye.
func Evaluate(dir string, opts *EvalOptions) (*EvalResult, error) {
	if opts == nil {
		opts = &EvalOptions{}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var imgs []*evalImage
	eyes := 0
	for _, e := range ents {
		if !e.IsDir() || (opts.MaxEyes > 0 && eyes == opts.MaxEyes) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var names []string
		for _, f := range files {
			switch strings.ToLower(filepath.Ext(f.Name())) {
			case ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff":
				names = append(names, f.Name())
			}
		}
		sort.Strings(names)
		if len(names) > 0 {
			eyes++
		}
		for _, n := range names {
			imgs = append(imgs, &evalImage{eye: e.Name(), path: filepath.Join(dir, e.Name(), n)})
		}
	}
	if eyes < 2 {
		return nil, fmt.Errorf("%s: need at least two eye folders with images, found %d", dir, eyes)
	}

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	cpu0 := processCPU()
	next := make(chan *evalImage)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for im := range next {
				data, err := os.ReadFile(im.path)
				if err != nil {
					im.read = err
					continue
				}
				g, err := DecodeImage(data)
				if err != nil {
					im.err = fmt.Errorf("%s: %w", im.path, err)
					continue
				}
				o := &Options{}
				if opts.DebugDir != "" {
					o.DebugDir = opts.DebugDir
					o.DebugName = strings.TrimSuffix(filepath.Base(im.path), filepath.Ext(im.path))
				}
				start := time.Now()
				im.t, _, im.err = Extract(g, o)
				im.dur = time.Since(start)
				if im.err != nil {
					im.err = fmt.Errorf("%s: %w", im.path, im.err)
				}
			}
		}()
	}
	for _, im := range imgs {
		next <- im
	}
	close(next)
	wg.Wait()
	extractCPU := processCPU() - cpu0

	r := &EvalResult{Dir: dir, Eyes: eyes, Images: len(imgs)}
	var total time.Duration
	for _, im := range imgs {
		if im.read != nil {
			return nil, im.read
		}
		if im.t == nil {
			r.Failures = append(r.Failures, im.err.Error())
			continue
		}
		r.Enrolled++
		total += im.dur
	}
	r.FTE = float64(len(imgs)-r.Enrolled) / float64(len(imgs))
	if extractCPU > 0 {
		r.ExtractCPUMs = float64(extractCPU.Microseconds()) / 1000 / float64(len(imgs))
	}
	if r.Enrolled > 0 {
		r.ExtractMs = float64(total.Microseconds()) / 1000 / float64(r.Enrolled)
	}

	probes := make([]*Probe, len(imgs))
	for i, im := range imgs {
		if im.t != nil {
			probes[i] = Prepare(im.t)
		}
	}
	var gen, imp []float64
	var gsum, isum float64
	start, startCPU := time.Now(), processCPU()
	comparisons := 0
	for i := range imgs {
		for j := i + 1; j < len(imgs); j++ {
			if probes[i] == nil || imgs[j].t == nil {
				continue
			}
			d := probes[i].distance(imgs[j].t.Code, imgs[j].t.Mask, nil)
			comparisons++
			score := calibration.Apply(1 - d)
			if imgs[i].eye == imgs[j].eye {
				gen = append(gen, score)
				gsum += d
			} else {
				imp = append(imp, score)
				isum += d
				r.ImpostorRaw = append(r.ImpostorRaw, 1-d)
			}
		}
	}
	if el := time.Since(start).Seconds(); el > 0 {
		r.ComparisonsPerSec = float64(comparisons) / el
	}
	if c := (processCPU() - startCPU).Seconds(); c > 0 {
		r.ComparisonsPerCPU = float64(comparisons) / c
	}
	if len(gen) > 0 {
		r.GenuineHD = gsum / float64(len(gen))
	}
	if len(imp) > 0 {
		r.ImpostorHD = isum / float64(len(imp))
	}
	if r.Verification, err = eval.Verify(gen, imp); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	det, err := eval.DET(gen, imp)
	if err != nil {
		return nil, err
	}
	r.FNMRAt1e3, r.FNMRAt1e4 = det.FNMRAt(1e-3), det.FNMRAt(1e-4)

	// 1:N: the first image of each eye is the gallery.
	var idx Index
	first := map[string]bool{}
	for _, im := range imgs {
		if !first[im.eye] {
			first[im.eye] = true
			if im.t != nil {
				if err := idx.Add(im.eye, im.t); err != nil {
					return nil, err
				}
			}
			im.eye = "\x00gallery:" + im.eye // not a probe
		}
	}
	hits := 0
	for i, im := range imgs {
		if strings.HasPrefix(im.eye, "\x00") {
			continue
		}
		r.Searches++
		if probes[i] == nil {
			continue
		}
		if m := idx.Search(probes[i], 1); len(m) > 0 && m[0].ID == im.eye {
			hits++
		}
	}
	for _, im := range imgs {
		im.eye = strings.TrimPrefix(im.eye, "\x00gallery:")
	}
	if r.Searches > 0 {
		r.Rank1 = float64(hits) / float64(r.Searches)
	}
	return r, nil
}
