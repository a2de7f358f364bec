// Package fvc runs the Fingerprint Verification Competition protocol on a folder of
// impressions named FFF_I.ext (finger FFF, impression I), as in the FVC2000–2004 "B" sets:
// extraction of every image, all genuine comparisons, the FVC impostor comparisons (first
// impressions of different fingers) and all cross-finger impostor comparisons, plus a 1:N
// test with impression 1 of every finger as gallery and the others as probes.
package fvc

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/biomesh/biomesh/eval"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/input"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/gallery"
)

// Impression is one file of the database.
type Impression struct {
	Finger, Number int
	Path           string
}

var namePattern = regexp.MustCompile(`^(\d+)_(\d+)\.[A-Za-z0-9]+$`)

// Scan lists the impressions in dir, sorted by finger then impression.
func Scan(dir string) ([]Impression, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Impression
	for _, e := range entries {
		m := namePattern.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		f, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		out = append(out, Impression{Finger: f, Number: n, Path: filepath.Join(dir, e.Name())})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no impressions named FFF_I.ext", dir)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Finger != out[j].Finger {
			return out[i].Finger < out[j].Finger
		}
		return out[i].Number < out[j].Number
	})
	return out, nil
}

// Result is the outcome of the protocol on one database.
type Result struct {
	Name          string  `json:"name"`
	Images        int     `json:"images"`
	Fingers       int     `json:"fingers"`
	FailedToEnrol int     `json:"failed_to_enrol"`
	FTE           float64 `json:"fte"`
	ExtractMs     float64 `json:"extract_ms_per_image"`
	MeanMinutiae  float64 `json:"mean_minutiae"`
	MeanQuality   float64 `json:"mean_quality"`
	TemplateBytes float64 `json:"mean_template_bytes"`

	// FVC is genuine pairs against the FVC impostor pairs (first impressions only).
	FVC eval.Verification `json:"fvc"`
	// All is genuine pairs against all cross-finger impostor pairs.
	All eval.Verification `json:"all"`

	ComparisonsPerSecond float64 `json:"comparisons_per_second"` // one core, prepared probe

	// CalibrationCheck gives, for calibrated thresholds of 20, 30 and 40 (predicted false
	// match rates 1e-2, 1e-3, 1e-4), the measured FMR over all impostor pairs and FNMR.
	CalibrationCheck []ThresholdCheck `json:"calibration_check"`

	Rank1       float64 `json:"rank1"`          // 1:N, gallery = impression 1 of each finger
	FNIRAtFPIR1 float64 `json:"fnir_at_fpir_1"` // same searches; non-mated by leaving the mate out
	Searches    int     `json:"searches"`

	Genuine     []float64 `json:"-"`
	Impostor    []float64 `json:"-"`
	ImpostorRaw []float64 `json:"-"`                // uncalibrated impostor scores, for fitting the calibration
	Errors      []string  `json:"errors,omitempty"` // failures to enrol, with the reason
}

// ThresholdCheck compares the calibrated scale's prediction with what was measured.
type ThresholdCheck struct {
	Threshold    float64 `json:"threshold"`
	PredictedFMR float64 `json:"predicted_fmr"`
	FMR          float64 `json:"fmr"`
	FNMR         float64 `json:"fnmr"`
}

// Options controls a run.
type Options struct {
	Input   input.Options
	Workers int // parallel extractions; 0 uses every core
}

// Run runs the protocol on the database in dir.
func Run(dir string, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	imps, err := Scan(dir)
	if err != nil {
		return nil, err
	}
	r := &Result{Name: dir, Images: len(imps)}
	tpls := make([]*fingerprint.Template, len(imps))
	errs := make([]error, len(imps))
	durs := make([]time.Duration, len(imps))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				start := time.Now()
				tpls[i], errs[i] = input.File(imps[i].Path, &opts.Input)
				durs[i] = time.Since(start)
			}
		}()
	}
	for i := range imps {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	var total time.Duration
	fingers := map[int]bool{}
	var nmin, nq, nbytes float64
	for i, t := range tpls {
		fingers[imps[i].Finger] = true
		total += durs[i]
		if errs[i] != nil {
			r.FailedToEnrol++
			r.Errors = append(r.Errors, errs[i].Error())
			continue
		}
		nmin += float64(len(t.Minutiae))
		nq += float64(t.Quality)
		if b, err := t.MarshalBinary(); err == nil {
			nbytes += float64(len(b))
		}
	}
	r.Fingers = len(fingers)
	ok := float64(len(imps) - r.FailedToEnrol)
	r.FTE = float64(r.FailedToEnrol) / float64(len(imps))
	r.ExtractMs = float64(total.Microseconds()) / 1000 / float64(len(imps))
	if ok > 0 {
		r.MeanMinutiae, r.MeanQuality, r.TemplateBytes = nmin/ok, nq/ok, nbytes/ok
	}

	// Prepared forms; a failure to enrol takes part with an empty template, so every
	// comparison involving it scores zero, as the FVC protocol counts it.
	probes := make([]*match.Probe, len(imps))
	for i, t := range tpls {
		if t == nil {
			t = &fingerprint.Template{Resolution: fingerprint.DefaultResolution}
		}
		probes[i] = match.Prepare(t)
	}
	var fvcImp []float64
	start := time.Now()
	comparisons := 0
	for i := range imps {
		for j := i + 1; j < len(imps); j++ {
			s := probes[i].Compare(&probes[j].Candidate)
			comparisons++
			switch {
			case imps[i].Finger == imps[j].Finger:
				r.Genuine = append(r.Genuine, s)
			default:
				r.Impostor = append(r.Impostor, s)
				if imps[i].Number == 1 && imps[j].Number == 1 {
					fvcImp = append(fvcImp, s)
				}
			}
		}
	}
	if el := time.Since(start).Seconds(); el > 0 {
		r.ComparisonsPerSecond = float64(comparisons) / el
	}
	for i := range imps {
		for j := i + 1; j < len(imps); j++ {
			if imps[i].Finger != imps[j].Finger {
				r.ImpostorRaw = append(r.ImpostorRaw, probes[i].CompareRaw(&probes[j].Candidate))
			}
		}
	}
	if r.FVC, err = eval.Verify(r.Genuine, fvcImp); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if r.All, err = eval.Verify(r.Genuine, r.Impostor); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	for _, th := range []float64{20, 30, 40} {
		c := ThresholdCheck{Threshold: th, PredictedFMR: math.Pow(10, -th/10)}
		for _, v := range r.Impostor {
			if v >= th {
				c.FMR++
			}
		}
		for _, v := range r.Genuine {
			if v < th {
				c.FNMR++
			}
		}
		c.FMR /= float64(len(r.Impostor))
		c.FNMR /= float64(len(r.Genuine))
		r.CalibrationCheck = append(r.CalibrationCheck, c)
	}
	if err := identify(r, imps, probes); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return r, nil
}

// identify runs the 1:N test: gallery = impression 1 of each finger, probes = the others.
// Non-mated searches are simulated by leaving each probe's mate out of its candidate list.
func identify(r *Result, imps []Impression, probes []*match.Probe) error {
	g := gallery.New[*match.Candidate]()
	for i, imp := range imps {
		if imp.Number == 1 {
			g.Add(strconv.Itoa(imp.Finger), gallery.Sample[*match.Candidate]{Template: &probes[i].Candidate})
		}
	}
	nsub, _ := g.Len()
	var searches []eval.Search
	for i, imp := range imps {
		if imp.Number == 1 {
			continue
		}
		p := probes[i]
		cands, err := g.Search([]gallery.Probe[*match.Candidate]{{Score: p.Compare}}, nsub)
		if err != nil {
			return err
		}
		s := eval.Search{ProbeID: strconv.Itoa(imp.Finger), Mated: true}
		for _, c := range cands {
			s.Candidates = append(s.Candidates, eval.Candidate{ID: c.Subject, Score: c.Score})
		}
		searches = append(searches, s)
	}
	r.Searches = len(searches)
	same := func(probe, candidate string) bool { return probe == candidate }
	res, err := eval.Identify(eval.LeaveOneOut(searches, same), same)
	if err != nil {
		return err
	}
	r.Rank1 = res.RankK(1)
	r.FNIRAtFPIR1 = res.FNIRAtFPIR(0.01)
	return nil
}

// String is a one-paragraph report of the result.
func (r *Result) String() string {
	return fmt.Sprintf("%s: %d images, %d fingers, FTE %.1f%%, extraction %.1f ms/image, %.1f minutiae, quality %.0f, template %.0f B\n"+
		"  all impostors (%d gen, %d imp): EER %.2f%%  FMR100 %.2f%%  FMR1000 %.2f%%  ZeroFMR %.2f%%\n"+
		"  FVC impostors (%d imp): EER %.2f%%  FMR100 %.2f%%  FMR1000 %.2f%%  ZeroFMR %.2f%%\n"+
		"  %.0f comparisons/s (one core, prepared probe); 1:N %d searches: rank-1 %.1f%%, FNIR@FPIR1%% %.1f%%\n"+
		"  calibration: %s",
		r.Name, r.Images, r.Fingers, 100*r.FTE, r.ExtractMs, r.MeanMinutiae, r.MeanQuality, r.TemplateBytes,
		r.All.Genuine, r.All.Impostor, 100*r.All.EER, 100*r.All.FMR100, 100*r.All.FMR1000, 100*r.All.ZeroFMR,
		r.FVC.Impostor, 100*r.FVC.EER, 100*r.FVC.FMR100, 100*r.FVC.FMR1000, 100*r.FVC.ZeroFMR,
		r.ComparisonsPerSecond, r.Searches, 100*r.Rank1, 100*r.FNIRAtFPIR1, r.calibrationString())
}

func (r *Result) calibrationString() string {
	s := ""
	for _, c := range r.CalibrationCheck {
		s += fmt.Sprintf("score %.0f: FMR %.3f%% (predicted %.3f%%), FNMR %.1f%%; ", c.Threshold, 100*c.FMR, 100*c.PredictedFMR, 100*c.FNMR)
	}
	return s
}
