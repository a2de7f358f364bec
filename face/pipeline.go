package face

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"slices"
)

// Options configure Open.
type Options struct {
	// ModelDir holds the model files; "" means ModelDir().
	ModelDir string
	// Embedder is "" or "dlib" for dlib's ResNet (-tags dlib), or the path of an ONNX
	// model descriptor (-tags onnx; see ONNXDescriptor). Detection always uses dlib.
	Embedder string
	// Gates are the enrolment thresholds; nil means DefaultGates.
	Gates *Gates
	// MaxDetectSide: larger photos are shrunk to this longer side for detection
	// (landmarks are scaled back; chips are cut from the full image). 0 means 1280.
	MaxDetectSide int
}

// MinDetectSide: photos whose longer side is below it are enlarged twice for detection,
// since the HOG detector misses faces under about 80 pixels.
const MinDetectSide = 400

// nativeBackend is dlib's detector and, when its network is loaded, embedder.
type nativeBackend interface {
	Detector
	Embedder
}

// Pipeline runs detection, landmarks, alignment, quality and embedding.
type Pipeline struct {
	det     Detector // nil when no detector is built in
	emb     Embedder
	gates   Gates
	maxSide int
	closers []func() error
}

// Open loads the backends named by the options.
func Open(o Options) (*Pipeline, error) {
	dir := o.ModelDir
	if dir == "" {
		dir = ModelDir()
	}
	p := &Pipeline{gates: DefaultGates, maxSide: 1280}
	if o.Gates != nil {
		p.gates = *o.Gates
	}
	if o.MaxDetectSide > 0 {
		p.maxSide = o.MaxDetectSide
	}
	switch o.Embedder {
	case "", "dlib":
		b, err := openDlib(dir, true)
		if err != nil {
			return nil, err
		}
		p.det, p.emb = b, b
		p.closers = append(p.closers, b.Close)
	default:
		e, err := OpenONNX(o.Embedder, dir)
		if err != nil {
			return nil, err
		}
		p.emb = e
		p.closers = append(p.closers, e.Close)
		// Detection is dlib's; without it only aligned chips can be embedded.
		if b, err := openDlib(dir, false); err == nil {
			p.det = b
			p.closers = append(p.closers, b.Close)
		} else if !errors.Is(err, ErrNotBuilt) {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// New assembles a pipeline from given parts (det may be nil: then only aligned chips can
// be embedded). Close does not close them.
func New(det Detector, emb Embedder, g Gates) *Pipeline {
	return &Pipeline{det: det, emb: emb, gates: g, maxSide: 1280}
}

// Close releases the backends Open loaded.
func (p *Pipeline) Close() error {
	var errs []error
	for _, c := range p.closers {
		errs = append(errs, c())
	}
	p.closers = nil
	return errors.Join(errs...)
}

// Embedder returns the pipeline's embedder.
func (p *Pipeline) Embedder() Embedder { return p.emb }

// Gates returns the pipeline's quality thresholds.
func (p *Pipeline) Gates() Gates { return p.gates }

// Comparator returns the cosine comparator of the pipeline's model.
func (p *Pipeline) Comparator() (*Comparator, error) { return NewComparator(p.emb.Model(), Cosine) }

// Detect finds every face in img, most confident first; name labels errors.
func (p *Pipeline) Detect(name string, img image.Image) ([]Face, error) {
	_, faces, err := p.detect(name, img)
	return faces, err
}

func (p *Pipeline) detect(name string, img image.Image) (*RGB, []Face, error) {
	if p.det == nil {
		return nil, nil, ErrNotBuilt
	}
	rgb, err := ToRGB(img)
	if err != nil {
		return nil, nil, inputErr(name, err.Error(), nil)
	}
	s := 1.0
	if long := max(rgb.W, rgb.H); long > p.maxSide {
		s = float64(p.maxSide) / float64(long)
	} else if long < MinDetectSide {
		s = 2
	}
	small := rgb
	if s != 1 {
		small = resize(rgb, s)
	}
	faces, err := p.det.Detect(small)
	if err != nil {
		return nil, nil, inputErr(name, "face detection failed", err)
	}
	if s != 1 {
		for i := range faces {
			b := faces[i].Box
			faces[i].Box = image.Rect(int(float64(b.Min.X)/s+0.5), int(float64(b.Min.Y)/s+0.5),
				int(float64(b.Max.X)/s+0.5), int(float64(b.Max.Y)/s+0.5))
			faces[i].Landmarks = faces[i].Landmarks.scale(1 / s)
		}
	}
	slices.SortStableFunc(faces, func(a, b Face) int { return cmp.Compare(b.Score, a.Score) })
	return rgb, faces, nil
}

// Result is one face of a photo, embedded.
type Result struct {
	Face     Face
	Template Template
	Quality  Quality
	Chip     *RGB // the aligned chip that was embedded
}

// ExtractAll embeds every face in img (for identification: each face is searched).
// Quality is measured and gated but a failure does not drop the face; see Result.Quality.
func (p *Pipeline) ExtractAll(name string, img image.Image) ([]Result, error) {
	rgb, faces, err := p.detect(name, img)
	if err != nil {
		return nil, err
	}
	if len(faces) == 0 {
		return nil, nil
	}
	out := make([]Result, len(faces))
	chips := make([]*RGB, len(faces))
	for i, f := range faces {
		chip, err := Align(rgb, f.Landmarks, p.emb.Chip())
		if err != nil {
			return nil, inputErr(name, fmt.Sprintf("face %d: alignment failed", i+1), err)
		}
		out[i].Face, out[i].Chip, chips[i] = f, chip, chip
		measureFace(&out[i].Quality, f)
		measureChip(&out[i].Quality, chip)
		p.gates.check(&out[i].Quality, false)
	}
	vecs, err := p.embed(chips)
	if err != nil {
		return nil, inputErr(name, "embedding failed", err)
	}
	for i := range out {
		out[i].Template = Template{Model: p.emb.Model(), Vector: vecs[i]}
	}
	return out, nil
}

// FaceCountError is returned by Extract when a photo does not hold exactly one face.
type FaceCountError struct {
	Name  string
	Count int
}

func (e *FaceCountError) Error() string {
	if e.Count == 0 {
		return e.Name + ": no face found"
	}
	return fmt.Sprintf("%s: %d faces found, enrolment needs exactly one", e.Name, e.Count)
}

// QualityError is returned, with the template, when a face fails a quality gate.
type QualityError struct {
	Name    string
	Quality Quality
}

func (e *QualityError) Error() string {
	return fmt.Sprintf("%s: face fails quality gates (%s)", e.Name, e.Quality)
}

// Extract embeds the only face of img, under enrolment rules: a photo with no face or
// several is refused (*FaceCountError), and a face failing a gate comes back with its
// template, its quality and a *QualityError.
func (p *Pipeline) Extract(name string, img image.Image) (Template, Quality, error) {
	rs, err := p.ExtractAll(name, img)
	if err != nil {
		return Template{}, Quality{}, err
	}
	if len(rs) != 1 {
		return Template{}, Quality{}, &FaceCountError{Name: name, Count: len(rs)}
	}
	r := rs[0]
	if !r.Quality.OK() {
		return r.Template, r.Quality, &QualityError{Name: name, Quality: r.Quality}
	}
	return r.Template, r.Quality, nil
}

// ExtractAligned embeds an image that is already an aligned chip of the embedder (it is
// resized to the chip size if it is square but of another size). Geometric gates do not
// apply; blur and brightness do, as in Extract.
func (p *Pipeline) ExtractAligned(name string, img image.Image) (Template, Quality, error) {
	rgb, err := ToRGB(img)
	if err != nil {
		return Template{}, Quality{}, inputErr(name, err.Error(), nil)
	}
	size := p.emb.Chip().Size
	if rgb.W != rgb.H {
		return Template{}, Quality{}, inputErr(name, fmt.Sprintf("an aligned chip must be square, this is %d×%d", rgb.W, rgb.H), nil)
	}
	if rgb.W != size {
		rgb = resize(rgb, float64(size)/float64(rgb.W))
	}
	var q Quality
	measureChip(&q, rgb)
	p.gates.check(&q, true)
	vecs, err := p.embed([]*RGB{rgb})
	if err != nil {
		return Template{}, q, inputErr(name, "embedding failed", err)
	}
	t := Template{Model: p.emb.Model(), Vector: vecs[0]}
	if !q.OK() {
		return t, q, &QualityError{Name: name, Quality: q}
	}
	return t, q, nil
}

// embed checks the chips and what the embedder returns for them.
func (p *Pipeline) embed(chips []*RGB) ([][]float32, error) {
	if err := checkChips(chips, p.emb.Chip().Size); err != nil {
		return nil, err
	}
	vecs, err := p.emb.Embed(chips)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(chips) {
		return nil, fmt.Errorf("%d embeddings for %d chips", len(vecs), len(chips))
	}
	for _, v := range vecs {
		if err := (Template{Model: p.emb.Model(), Vector: v}).Validate(); err != nil {
			return nil, err
		}
	}
	return vecs, nil
}

// checkChips validates chips before they reach native code.
func checkChips(chips []*RGB, size int) error {
	if len(chips) == 0 {
		return errors.New("no chips")
	}
	for i, c := range chips {
		if c == nil || c.W != size || c.H != size || len(c.Pix) != 3*size*size {
			return fmt.Errorf("chip %d is not %d×%d RGB", i, size, size)
		}
	}
	return nil
}
