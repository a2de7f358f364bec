package face

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/biomesh/biomesh/eval"
)

// Sample is one labelled image of an evaluation set.
type Sample struct {
	Person string `json:"person"`
	Path   string `json:"path"`
}

func isImage(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// LoadSet lists an evaluation set: either a folder with one subfolder of images per person,
// or a folder of images named by person, NAME.jpg, NAME2.jpg, … (trailing digits, and a
// '_' or '-' before them, are dropped). Samples come sorted by person, then path.
func LoadSet(dir string) ([]Sample, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Sample
	var dirs, files int
	for _, e := range ents {
		switch {
		case e.IsDir():
			sub, err := os.ReadDir(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			n := 0
			for _, f := range sub {
				if !f.IsDir() && isImage(f.Name()) {
					out = append(out, Sample{e.Name(), filepath.Join(dir, e.Name(), f.Name())})
					n++
				}
			}
			if n > 0 {
				dirs++
			}
		case isImage(e.Name()):
			files++
			out = append(out, Sample{personOf(e.Name()), filepath.Join(dir, e.Name())})
		}
	}
	if dirs > 0 && files > 0 {
		return nil, fmt.Errorf("%s: has both person folders and loose images; use one layout", dir)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no JPEG or PNG images", dir)
	}
	slices.SortFunc(out, func(a, b Sample) int {
		return cmp.Or(cmp.Compare(a.Person, b.Person), cmp.Compare(a.Path, b.Path))
	})
	return out, nil
}

func personOf(file string) string {
	s := strings.TrimSuffix(file, filepath.Ext(file))
	t := strings.TrimRight(s, "0123456789")
	t = strings.TrimRight(t, "_-")
	if t == "" {
		return s
	}
	return t
}

// AlignMode says which images of a set are taken as aligned chips.
type AlignMode int

const (
	// AlignAuto: an image exactly the embedder's chip size is an aligned chip, any other
	// is a photo to detect faces in.
	AlignAuto AlignMode = iota
	AlignAll            // every image is an aligned chip (resized if square)
	AlignNone           // every image is a photo
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	Align AlignMode
	// NoGates enrols faces that fail a quality gate (they are then not failures to enrol).
	NoGates bool
}

// EvalFailure is an image that gave no template.
type EvalFailure struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// EvalReport is the accuracy and speed of the pipeline on one set.
type EvalReport struct {
	Set      string `json:"set"`
	Model    string `json:"model"`
	Images   int    `json:"images"`
	Persons  int    `json:"persons"`
	Photos   int    `json:"photos"`  // images that went through detection
	Aligned  int    `json:"aligned"` // images taken as aligned chips
	Enrolled int    `json:"enrolled"`
	// FTE is the failure-to-enrol rate: images without exactly one face passing the gates.
	FTE      float64       `json:"fte"`
	Failures []EvalFailure `json:"failures,omitempty"`

	// Verification over all pairs of enrolled images, on raw cosine similarity.
	Verification eval.Verification `json:"verification"`
	FNMRAt1e2    float64           `json:"fnmr_at_fmr_1e-2"`
	FNMRAt1e3    float64           `json:"fnmr_at_fmr_1e-3"`
	// EERScore is the EER threshold on the calibrated scale (nil without a calibration).
	EERScore *float64 `json:"eer_score,omitempty"`

	// Identification: gallery = first enrolled image of each person, every other
	// enrolled image a mated probe; rank-1 identification rate.
	Searches int     `json:"searches"`
	Rank1    float64 `json:"rank1"`

	// Milliseconds, mean per image (decoding excluded).
	MsPerPhoto  float64 `json:"ms_per_photo"`  // detection to embedding, photos only
	MsDetect    float64 `json:"ms_detect"`     // detection and landmarks, photos only
	MsPerFace   float64 `json:"ms_per_face"`   // embedding of one aligned chip
	MsPerDecode float64 `json:"ms_per_decode"` // decoding
	// CPU milliseconds of the process per photo and per aligned chip (decoding included),
	// which a busy machine does not inflate; 0 where the system does not report CPU time.
	CPUMsPerPhoto float64 `json:"cpu_ms_per_photo"`
	CPUMsPerChip  float64 `json:"cpu_ms_per_chip"`

	// Impostor raw scores, for FitCalibration.
	ImpostorCosine []float64 `json:"-"`
	ImpostorL2     []float64 `json:"-"`
}

func (r *EvalReport) String() string {
	v := r.Verification
	return fmt.Sprintf("%s (%s): %d images of %d persons (%d photos, %d chips), FTE %.1f%% (%d)\n"+
		"  verification: %d genuine, %d impostor pairs; EER %.2f%%; FNMR %.2f%% at FMR 1e-2, %.2f%% at FMR 1e-3\n"+
		"  identification: %d searches, rank-1 %.1f%%\n"+
		"  speed (wall): %.1f ms per photo (detection %.1f), %.1f ms per face embedding, decode %.1f ms\n"+
		"  speed (CPU, decode included): %.1f ms per photo, %.1f ms per aligned chip",
		r.Set, r.Model, r.Images, r.Persons, r.Photos, r.Aligned, 100*r.FTE, len(r.Failures),
		v.Genuine, v.Impostor, 100*v.EER, 100*r.FNMRAt1e2, 100*r.FNMRAt1e3,
		r.Searches, 100*r.Rank1, r.MsPerPhoto, r.MsDetect, r.MsPerFace, r.MsPerDecode, r.CPUMsPerPhoto, r.CPUMsPerChip)
}

// timed wraps the backends to split the time of a photo between its stages.
type timedDet struct {
	Detector
	d time.Duration
}

func (t *timedDet) Detect(img *RGB) ([]Face, error) {
	s := time.Now()
	f, err := t.Detector.Detect(img)
	t.d += time.Since(s)
	return f, err
}

type timedEmb struct {
	Embedder
	d time.Duration
	n int
}

func (t *timedEmb) Embed(chips []*RGB) ([][]float32, error) {
	s := time.Now()
	v, err := t.Embedder.Embed(chips)
	t.d += time.Since(s)
	t.n += len(chips)
	return v, err
}

// Evaluate runs the pipeline on the set in dir (see LoadSet), one image at a time on
// one goroutine, and measures verification and identification accuracy and speed.
func Evaluate(p *Pipeline, dir string, o EvalOptions) (*EvalReport, error) {
	samples, err := LoadSet(dir)
	if err != nil {
		return nil, err
	}
	det := &timedDet{Detector: p.det}
	emb := &timedEmb{Embedder: p.emb}
	tp := *p
	tp.closers = nil
	if p.det == nil {
		tp.det = nil
	} else {
		tp.det = det
	}
	tp.emb = emb
	if o.NoGates {
		tp.gates = Gates{MinBrightness: 0, MaxBrightness: 255, MaxYaw: 1e9, MaxRoll: 1e9}
	}
	r := &EvalReport{Set: dir, Model: p.emb.Model(), Images: len(samples)}
	persons := map[string]bool{}
	type enrolled struct {
		person string
		path   string
		t      Template
	}
	var got []enrolled
	var tPhoto, tDecode, cPhoto, cChip time.Duration
	chip := p.emb.Chip().Size
	for _, s := range samples {
		persons[s.Person] = true
		cpu := cpuTime()
		start := time.Now()
		img, err := DecodeFile(s.Path)
		tDecode += time.Since(start)
		if err != nil {
			r.Failures = append(r.Failures, EvalFailure{s.Path, reason(s.Path, err)})
			continue
		}
		aligned := o.Align == AlignAll || (o.Align == AlignAuto && img.Bounds().Dx() == chip && img.Bounds().Dy() == chip)
		var t Template
		start = time.Now()
		if aligned {
			r.Aligned++
			t, _, err = tp.ExtractAligned(s.Path, img)
			cChip += cpuTime() - cpu
		} else {
			r.Photos++
			t, _, err = tp.Extract(s.Path, img)
			tPhoto += time.Since(start)
			cPhoto += cpuTime() - cpu
		}
		if err != nil {
			r.Failures = append(r.Failures, EvalFailure{s.Path, reason(s.Path, err)})
			continue
		}
		got = append(got, enrolled{s.Person, s.Path, t})
	}
	r.Persons = len(persons)
	r.Enrolled = len(got)
	r.FTE = float64(len(r.Failures)) / float64(len(samples))
	r.MsPerDecode = ms(tDecode, len(samples))
	r.MsPerPhoto = ms(tPhoto, r.Photos)
	r.MsDetect = ms(det.d, r.Photos)
	r.MsPerFace = ms(emb.d, emb.n)
	r.CPUMsPerPhoto = ms(cPhoto, r.Photos)
	r.CPUMsPerChip = ms(cChip, r.Aligned)

	cos, err := NewComparatorUncalibrated(p.emb.Model(), Cosine)
	if err != nil {
		return nil, err
	}
	l2, _ := NewComparatorUncalibrated(p.emb.Model(), L2)
	var gen, imp []float64
	for i := range got {
		pc, _ := cos.Prepare(got[i].t)
		pl, _ := l2.Prepare(got[i].t)
		for j := i + 1; j < len(got); j++ {
			s, err := pc.Raw(got[j].t)
			if err != nil {
				return nil, err
			}
			if got[i].person == got[j].person {
				gen = append(gen, s)
				continue
			}
			imp = append(imp, s)
			d, _ := pl.Raw(got[j].t)
			r.ImpostorL2 = append(r.ImpostorL2, d)
		}
	}
	r.ImpostorCosine = imp
	if len(gen) == 0 || len(imp) == 0 {
		return r, fmt.Errorf("%s: %d genuine and %d impostor pairs; need both", dir, len(gen), len(imp))
	}
	if r.Verification, err = eval.Verify(gen, imp); err != nil {
		return nil, err
	}
	det2, err := eval.DET(gen, imp)
	if err != nil {
		return nil, err
	}
	r.FNMRAt1e2, r.FNMRAt1e3 = det2.FNMRAt(1e-2), det2.FNMRAt(1e-3)
	if c, ok := CalibrationOf(p.emb.Model(), Cosine); ok {
		v := c.Apply(r.Verification.EERThreshold)
		r.EERScore = &v
	}

	// 1:N: gallery of first images, probes the rest, scored by raw cosine.
	g := &Gallery{c: cos}
	seen := map[string]bool{}
	var probes []enrolled
	for _, e := range got {
		if seen[e.person] {
			probes = append(probes, e)
			continue
		}
		seen[e.person] = true
		if err := g.Add(e.person, e.t); err != nil {
			return nil, err
		}
	}
	var searches []eval.Search
	for _, pr := range probes {
		hits, err := g.Search(pr.t, g.Len())
		if err != nil {
			return nil, err
		}
		s := eval.Search{ProbeID: pr.path + "\x00" + pr.person, Mated: true}
		for _, h := range hits {
			s.Candidates = append(s.Candidates, eval.Candidate{ID: h.ID, Score: h.Similarity})
		}
		searches = append(searches, s)
	}
	r.Searches = len(searches)
	if len(searches) > 0 {
		id, err := eval.Identify(searches, func(probe, cand string) bool {
			return probe[strings.IndexByte(probe, 0)+1:] == cand
		})
		if err != nil {
			return nil, err
		}
		r.Rank1 = id.RankK(1)
	}
	return r, nil
}

// reason is an error without the leading "path: " that the report already shows.
func reason(path string, err error) string {
	return strings.TrimPrefix(err.Error(), path+": ")
}

func ms(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000 / float64(n)
}

// NewComparatorUncalibrated returns a comparator whose Compare gives raw similarities
// (the identity calibration): for fitting a calibration, never for decisions.
func NewComparatorUncalibrated(model string, m Metric) (*Comparator, error) {
	if model == "" {
		return nil, errors.New("face: empty model name")
	}
	return &Comparator{model: model, metric: m, cal: identityCal}, nil
}

var identityCal = eval.Calibration{Knots: []eval.Knot{{Raw: -1e9, Score: -1e9}, {Raw: 1e9, Score: 1e9}}}
