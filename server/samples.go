package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/biomesh/biomesh/dna"
	"github.com/biomesh/biomesh/face"
	"github.com/biomesh/biomesh/fingerprint"
	"github.com/biomesh/biomesh/fingerprint/input"
	"github.com/biomesh/biomesh/fingerprint/match"
	"github.com/biomesh/biomesh/iris"
	"github.com/biomesh/biomesh/store"

	_ "image/jpeg" // stored photos and fingerprint images
)

// sampleIn is one biometric sample as a request carries it: an image or a template, base64
// in JSON, or a reference to a multipart file part.
type sampleIn struct {
	Modality   store.Modality `json:"modality"`
	Position   *int           `json:"position"`
	Image      []byte         `json:"image"`      // base64 in JSON
	Template   []byte         `json:"template"`   // base64 in JSON
	Part       string         `json:"part"`       // multipart: the file part holding the image or template
	Resolution int            `json:"resolution"` // pixels per inch of the image; 0: from the file, else 500
	Device     string         `json:"device"`
	Captured   time.Time      `json:"captured"`
	// Profile is a DNA sample's STR profile, in package dna's JSON form:
	// {"loci": {"D3S1358": ["15", "16"], ...}, "population": "...", "mixture": false}.
	Profile json.RawMessage `json:"profile"`
}

// sample is a decoded sample: the record to store, plus the prepared template for search.
type sample struct {
	rec      store.Sample
	finger   *fingerprint.Template // fingers only
	cand     *match.Candidate      // enrolled fingers: the gallery form (also stored, rec.Prepared)
	profile  *dna.Profile          // DNA samples
	iris     *iris.Template        // iris samples
	face     *face.Template        // face samples, with a face engine
	name     string                // "samples[3]" for error messages
	warnings []string
}

// Minimum minutiae for a finger sample to be enrolled: with fewer, false matches against it
// are too likely and true matches too rare for the sample to help.
const minEnrolMinutiae = 8

// Sizes accepted for finger images, checked before decoding.
const maxSampleBytes = 16 << 20

// decodeRequest reads a JSON body, or a multipart/form-data body whose part "request" holds
// the JSON and whose other parts are the files that samples name in "part".
func decodeRequest(r *http.Request, v any) error {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		return decodeMultipart(r, params["boundary"], v)
	}
	if ct != "" && ct != "application/json" {
		return bad(http.StatusUnsupportedMediaType, "content type %q: send application/json or multipart/form-data", ct)
	}
	return decodeJSON(r.Body, "request body", v)
}

func decodeJSON(body io.Reader, name string, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return bad(http.StatusRequestEntityTooLarge, "%s: larger than the limit of %d bytes", name, mbe.Limit)
		case errors.Is(err, io.EOF):
			return bad(http.StatusBadRequest, "%s: empty; a JSON object was expected", name)
		case errors.As(err, &se):
			return bad(http.StatusBadRequest, "%s: malformed JSON at byte %d: %v", name, se.Offset, err)
		case errors.As(err, &te):
			return bad(http.StatusBadRequest, "%s: field %q: expected %s, got JSON %s", name, te.Field, te.Type, te.Value)
		case errors.As(err, new(base64.CorruptInputError)):
			return bad(http.StatusBadRequest, "%s: an image or template field is not valid base64 (%v)", name, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return bad(http.StatusBadRequest, "%s: truncated JSON", name)
		}
		return bad(http.StatusBadRequest, "%s: %v", name, err)
	}
	if dec.More() {
		return bad(http.StatusBadRequest, "%s: unexpected data after the JSON object", name)
	}
	return nil
}

// multipartFiles is where decodeMultipart leaves file parts for the samples to pick up.
type multipartFiles map[string][]byte

type filesKey struct{}

func decodeMultipart(r *http.Request, boundary string, v any) error {
	if boundary == "" {
		return bad(http.StatusBadRequest, "multipart body without a boundary")
	}
	mr := multipart.NewReader(r.Body, boundary)
	files := multipartFiles{}
	var sawRequest bool
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return bad(http.StatusRequestEntityTooLarge, "request body: larger than the limit of %d bytes", mbe.Limit)
			}
			return bad(http.StatusBadRequest, "multipart body: %v", err)
		}
		name := p.FormName()
		data, err := io.ReadAll(p)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return bad(http.StatusRequestEntityTooLarge, "request body: larger than the limit of %d bytes", mbe.Limit)
			}
			return bad(http.StatusBadRequest, "multipart part %q: %v", name, err)
		}
		if name == "request" {
			if err := decodeJSON(bytes.NewReader(data), "part \"request\"", v); err != nil {
				return err
			}
			sawRequest = true
			continue
		}
		files[name] = data
	}
	if !sawRequest {
		return bad(http.StatusBadRequest, "multipart body: no part named \"request\" with the JSON request")
	}
	*r = *r.WithContext(context.WithValue(r.Context(), filesKey{}, files))
	return nil
}

// resolveParts replaces "part" references by the multipart files they name.
func resolveParts(r *http.Request, in []sampleIn) error {
	files, _ := r.Context().Value(filesKey{}).(multipartFiles)
	for i := range in {
		if in[i].Part == "" {
			continue
		}
		data, ok := files[in[i].Part]
		if !ok {
			return bad(http.StatusBadRequest, "samples[%d]: part %q is not in the multipart body", i, in[i].Part)
		}
		if input.IsTemplate(data) {
			in[i].Template = data
		} else {
			in[i].Image = data
		}
	}
	return nil
}

// decodeSamples validates the samples of a request and turns them into templates,
// extracting finger images concurrently (bounded by the server's extraction workers). The
// error names the sample and the reason.
func (s *Server) decodeSamples(ctx context.Context, in []sampleIn, forEnrolment bool) ([]*sample, error) {
	if len(in) == 0 {
		return nil, bad(http.StatusBadRequest, "samples: none given; at least one biometric sample is needed")
	}
	if len(in) > 32 {
		return nil, bad(http.StatusBadRequest, "samples: %d given; at most 32 per request", len(in))
	}
	out := make([]*sample, len(in))
	errs := make([]error, len(in))
	var wg sync.WaitGroup
	for i := range in {
		name := fmt.Sprintf("samples[%d]", i)
		if err := checkSample(name, &in[i]); err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case s.extract <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-s.extract }()
			out[i], errs[i] = s.decodeSample(name, &in[i], forEnrolment)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// One sample per finger position: two prints claiming the same finger are an operator
	// error (or a wrong position), and would bias the fusion.
	seen := map[int]string{}
	for _, sm := range out {
		if sm.rec.Modality != store.Finger || sm.rec.Position == 0 {
			continue
		}
		if prev, ok := seen[sm.rec.Position]; ok {
			return nil, bad(http.StatusBadRequest, "%s: finger position %d already given by %s", sm.name, sm.rec.Position, prev)
		}
		seen[sm.rec.Position] = sm.name
	}
	return out, nil
}

func checkSample(name string, in *sampleIn) error {
	if in.Modality == "" {
		in.Modality = store.Finger
	}
	switch in.Modality {
	case store.Finger:
		if in.Position == nil {
			zero := 0
			in.Position = &zero
		}
		if *in.Position < 0 || *in.Position > 10 {
			return bad(http.StatusBadRequest, "%s: finger position %d: must be 0 (unknown) or 1–10 (ISO/IEC 19794-2: 1 right thumb … 10 left little)", name, *in.Position)
		}
		if len(in.Image) == 0 && len(in.Template) == 0 {
			return bad(http.StatusBadRequest, "%s: neither an image nor a template", name)
		}
	case store.Face, store.Iris:
		if in.Position == nil {
			zero := 0
			in.Position = &zero
		}
		if in.Modality == store.Iris && (*in.Position < 0 || *in.Position > 2) {
			return bad(http.StatusBadRequest, "%s: iris position %d: must be 0 (unknown), 1 (right) or 2 (left)", name, *in.Position)
		}
		if in.Modality == store.Face && *in.Position != 0 {
			return bad(http.StatusBadRequest, "%s: a face sample has no position", name)
		}
		if len(in.Image) == 0 {
			return bad(http.StatusBadRequest, "%s: a %s sample needs an image", name, in.Modality)
		}
		if len(in.Template) != 0 {
			return bad(http.StatusUnprocessableEntity, "%s: %s samples are sent as images (the node makes the template); send the image", name, in.Modality)
		}
	case store.DNA:
		if in.Position != nil && *in.Position != 0 {
			return bad(http.StatusBadRequest, "%s: a DNA sample has no position", name)
		}
		zero := 0
		in.Position = &zero
		if len(in.Profile) == 0 {
			return bad(http.StatusBadRequest, "%s: a DNA sample needs its STR profile (profile)", name)
		}
		if len(in.Image) != 0 || len(in.Template) != 0 {
			return bad(http.StatusBadRequest, "%s: a DNA sample is a profile, without image or template", name)
		}
	default:
		return bad(http.StatusBadRequest, "%s: unknown modality %q (finger, face, iris or dna)", name, in.Modality)
	}
	if len(in.Image) > maxSampleBytes || len(in.Template) > maxSampleBytes {
		return bad(http.StatusRequestEntityTooLarge, "%s: larger than %d bytes", name, maxSampleBytes)
	}
	if in.Resolution != 0 && (in.Resolution < 250 || in.Resolution > 1000) {
		return bad(http.StatusBadRequest, "%s: resolution %d ppi: must be 250–1000", name, in.Resolution)
	}
	return nil
}

func (s *Server) decodeSample(name string, in *sampleIn, forEnrolment bool) (*sample, error) {
	sm := &sample{name: name, rec: store.Sample{
		Modality: in.Modality, Position: *in.Position, Device: in.Device, Captured: in.Captured.UTC(),
	}}
	if len(in.Image) > 0 {
		img, format, err := storedImage(in.Image)
		if err != nil {
			return nil, bad(http.StatusUnprocessableEntity, "%s: image: %v", name, err)
		}
		sm.rec.Image, sm.rec.ImageFormat = img, format
	}
	switch in.Modality {
	case store.Finger:
		data := in.Template
		if len(data) == 0 {
			data = in.Image
		}
		t, err := input.Bytes(data, name, &input.Options{DPI: in.Resolution})
		if err != nil {
			return nil, bad(http.StatusUnprocessableEntity, "%v", err)
		}
		t.Position = sm.rec.Position
		if forEnrolment && len(t.Minutiae) < minEnrolMinutiae {
			return nil, bad(http.StatusUnprocessableEntity, "%s: only %d minutiae found (at least %d needed to enrol): recapture the finger", name, len(t.Minutiae), minEnrolMinutiae)
		}
		if sm.rec.Template, err = t.MarshalBinary(); err != nil {
			return nil, bad(http.StatusUnprocessableEntity, "%s: template: %v", name, err)
		}
		sm.rec.Quality = t.Quality
		sm.finger = t
		if forEnrolment {
			// The gallery form is made from the template as stored, so that it is the same
			// whether it comes from this enrolment, the stored cache or a re-derivation.
			var stored fingerprint.Template
			if err := stored.UnmarshalBinary(sm.rec.Template); err != nil {
				return nil, bad(http.StatusUnprocessableEntity, "%s: template: %v", name, err)
			}
			sm.cand = match.NewCandidate(&stored)
			sm.rec.Prepared, _ = sm.cand.MarshalBinary()
		}
	case store.Iris:
		if err := decodeIris(name, in, sm); err != nil {
			return nil, err
		}
	case store.Face:
		if err := s.decodeFace(name, in, sm, forEnrolment); err != nil {
			return nil, err
		}
	case store.DNA:
		p, pop, err := decodeDNA(name, in)
		if err != nil {
			return nil, err
		}
		if sm.rec.Template, err = p.MarshalBinary(); err != nil {
			return nil, bad(http.StatusUnprocessableEntity, "%s.profile: %v", name, err)
		}
		sm.profile = p
		sm.rec.Quality = min(100, 5*p.Counted())
		if pop != "" {
			sm.rec.Device = strings.TrimSpace(sm.rec.Device + " population " + pop)
		}
		if len(s.cfg.DNATables) == 0 {
			sm.warnings = append(sm.warnings, name+": DNA profile stored but not searchable: the node has no allele frequency tables (serve --dna-frequencies)")
		}
	default:
		sm.warnings = append(sm.warnings, fmt.Sprintf("%s: %s image stored but not searchable: no %s engine is built into this node", name, in.Modality, in.Modality))
	}
	return sm, nil
}

// storedImage returns the form in which an image is kept: compressed formats as they
// arrived (re-encoding a JPEG would lose more), uncompressed ones (TIFF, BMP, PGM) as
// lossless PNG.
func storedImage(data []byte) ([]byte, string, error) {
	_, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if len(data) >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '2') {
			format = "pgm"
		} else {
			return nil, "", fmt.Errorf("not a recognised image format: %v", err)
		}
	}
	switch format {
	case "png", "jpeg", "wsq", "jp2":
		return data, format, nil
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", format, err)
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return nil, "", err
	}
	return b.Bytes(), "png", nil
}

// fillCaptured gives samples sent without a capture time the time of the request.
func fillCaptured(samples []*sample, now time.Time) {
	for _, s := range samples {
		if s.rec.Captured.IsZero() {
			s.rec.Captured = now
		}
	}
}

func records(samples []*sample) []store.Sample {
	out := make([]store.Sample, len(samples))
	for i, s := range samples {
		out[i] = s.rec
	}
	return out
}

func warnings(samples []*sample) []string {
	var w []string
	for _, s := range samples {
		w = append(w, s.warnings...)
	}
	return w
}

func imageMIME(format string) string {
	switch format {
	case "png":
		return "image/png"
	case "jpeg":
		return "image/jpeg"
	case "wsq":
		return "image/x-wsq"
	case "jp2":
		return "image/jp2"
	}
	return "application/octet-stream"
}
