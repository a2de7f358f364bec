package server

// Irises on the node (package iris): eye images become iris codes at enrolment, held in a
// gallery searched at identification, verification and encounters alongside the fingers,
// on the same calibrated scale. Position 1 is the right eye, 2 the left, 0 unknown.

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/iris"
	"github.com/biomesh/biomesh/store"
)

type irisGallery struct {
	g *gallery.Gallery[*iris.Template]
	// stale holds the samples whose stored codes load could not read (another template
	// version), for extraction anew from their images (reextract).
	stale []store.Sample
}

func newIrisGallery() *irisGallery { return &irisGallery{g: gallery.New[*iris.Template]()} }

// load fills the gallery from the store. Stored codes of another template version are
// left out (in g.stale) rather than stopping the node: their images remain, and reextract
// makes new codes from them.
func (g *irisGallery) load(ctx context.Context, st store.Store) (skipped int, err error) {
	byPerson := map[string][]gallery.Sample[*iris.Template]{}
	var order []string
	err = st.EachTemplate(ctx, store.Iris, func(s store.Sample) error {
		var t iris.Template
		if t.UnmarshalBinary(s.Template) != nil {
			skipped++
			g.stale = append(g.stale, store.Sample{ID: s.ID, PersonID: s.PersonID, Position: s.Position})
			return nil
		}
		if _, ok := byPerson[s.PersonID]; !ok {
			order = append(order, s.PersonID)
		}
		byPerson[s.PersonID] = append(byPerson[s.PersonID], gallery.Sample[*iris.Template]{Position: s.Position, Template: &t})
		return nil
	})
	for _, p := range order {
		g.g.Put(p, byPerson[p])
	}
	return skipped, err
}

func (g *irisGallery) add(person string, samples []*sample) {
	var add []gallery.Sample[*iris.Template]
	for _, s := range samples {
		if s.iris != nil {
			add = append(add, gallery.Sample[*iris.Template]{Position: s.rec.Position, Template: s.iris})
		}
	}
	if len(add) > 0 {
		g.g.Add(person, add...)
	}
}

// put replaces a person's irises with those among ss (after a merge).
func (g *irisGallery) put(person string, ss []store.Sample) {
	var all []gallery.Sample[*iris.Template]
	for _, s := range ss {
		var t iris.Template
		if s.Modality == store.Iris && t.UnmarshalBinary(s.Template) == nil {
			all = append(all, gallery.Sample[*iris.Template]{Position: s.Position, Template: &t})
		}
	}
	g.g.Remove(person)
	if len(all) > 0 {
		g.g.Put(person, all)
	}
}

// decodeIris extracts the iris code of an eye image (JPEG, PNG, BMP, TIFF or an ISO/IEC
// 19794-6 record). A failed quality gate is a 422 naming the gates.
func decodeIris(name string, in *sampleIn, sm *sample) error {
	img, err := iris.DecodeImage(in.Image)
	if err != nil {
		return bad(http.StatusUnprocessableEntity, "%s: %v", name, err)
	}
	t, q, err := iris.Extract(img, &iris.Options{Eye: iris.Eye(*in.Position)})
	var qe *iris.QualityError
	switch {
	case errors.As(err, &qe):
		return bad(http.StatusUnprocessableEntity, "%s: iris not usable: %v (recapture the eye)", name, qe)
	case err != nil:
		return bad(http.StatusUnprocessableEntity, "%s: %v", name, err)
	}
	if sm.rec.Template, err = t.MarshalBinary(); err != nil {
		return bad(http.StatusUnprocessableEntity, "%s: iris template: %v", name, err)
	}
	sm.iris = t
	sm.rec.Quality = int(t.Quality)
	_ = q
	return nil
}

// irisProbes turns iris samples into gallery probes.
func irisProbes(samples []*sample) []gallery.Probe[*iris.Template] {
	var ps []gallery.Probe[*iris.Template]
	for _, s := range samples {
		if s.iris != nil {
			p := iris.Prepare(s.iris)
			ps = append(ps, gallery.Probe[*iris.Template]{Position: s.rec.Position, Score: p.Compare})
		}
	}
	return ps
}

// searchIrises returns the fused iris score per person among the best k, and the number of
// iris probes.
func (s *Server) searchIrises(samples []*sample, k int) (map[string]float64, int, error) {
	probes := irisProbes(samples)
	if subjects, _ := s.irises.g.Len(); len(probes) == 0 || subjects == 0 {
		return nil, len(probes), nil
	}
	found, err := s.irises.g.Search(probes, k)
	if err != nil {
		return nil, 0, fmt.Errorf("iris search: %w", err)
	}
	out := make(map[string]float64, len(found))
	for _, c := range found {
		out[c.Subject] = c.Score
	}
	return out, len(probes), nil
}
