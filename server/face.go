package server

// Faces on the node (package face): photos become face embeddings at enrolment when the
// node has a face pipeline (Config.Face: built with -tags dlib, models installed by
// scripts/setup-face); they are searched with the other modalities on the calibrated scale.
// Without a pipeline face photos are stored, not searched.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/biomesh/biomesh/face"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/store"
)

type faceGallery struct {
	g   *gallery.Gallery[*face.Template]
	cmp *face.Comparator // nil without a pipeline: nothing is searched
	// stale holds the samples whose stored templates are of another model or version, for
	// extraction anew from their photos (Server.reextract).
	stale []store.Sample
}

func newFaceGallery(p *face.Pipeline) (*faceGallery, error) {
	g := &faceGallery{g: gallery.New[*face.Template]()}
	if p == nil {
		return g, nil
	}
	cmp, err := p.Comparator()
	if err != nil {
		return nil, fmt.Errorf("face comparator: %w", err)
	}
	g.cmp = cmp
	return g, nil
}

// load fills the gallery from the store: templates of the pipeline's model only (a face
// embedding compares only with embeddings of the same model).
func (g *faceGallery) load(ctx context.Context, st store.Store) (skipped int, err error) {
	if g.cmp == nil {
		return 0, nil
	}
	byPerson := map[string][]gallery.Sample[*face.Template]{}
	var order []string
	err = st.EachTemplate(ctx, store.Face, func(s store.Sample) error {
		var t face.Template
		if t.UnmarshalBinary(s.Template) != nil || t.Model != g.cmp.Model() {
			skipped++
			g.stale = append(g.stale, store.Sample{ID: s.ID, PersonID: s.PersonID, Position: s.Position})
			return nil
		}
		if _, ok := byPerson[s.PersonID]; !ok {
			order = append(order, s.PersonID)
		}
		byPerson[s.PersonID] = append(byPerson[s.PersonID], gallery.Sample[*face.Template]{Template: &t})
		return nil
	})
	for _, p := range order {
		g.g.Put(p, byPerson[p])
	}
	return skipped, err
}

func (g *faceGallery) add(person string, samples []*sample) {
	var add []gallery.Sample[*face.Template]
	for _, s := range samples {
		if s.face != nil {
			add = append(add, gallery.Sample[*face.Template]{Template: s.face})
		}
	}
	if len(add) > 0 {
		g.g.Add(person, add...)
	}
}

// put replaces a person's faces with those among ss (after a merge).
func (g *faceGallery) put(person string, ss []store.Sample) {
	g.g.Remove(person)
	if g.cmp == nil {
		return
	}
	var all []gallery.Sample[*face.Template]
	for _, s := range ss {
		var t face.Template
		if s.Modality == store.Face && t.UnmarshalBinary(s.Template) == nil && t.Model == g.cmp.Model() {
			all = append(all, gallery.Sample[*face.Template]{Template: &t})
		}
	}
	if len(all) > 0 {
		g.g.Put(person, all)
	}
}

// decodeFace makes the embedding of a face photo. Enrolment needs exactly one face that
// passes the quality gates; a probe with a failed gate is still searched, with a warning.
func (s *Server) decodeFace(name string, in *sampleIn, sm *sample, forEnrolment bool) error {
	if s.cfg.Face == nil {
		sm.warnings = append(sm.warnings, name+": face image stored but not searchable: no face engine is built into this node (build with -tags dlib and run scripts/setup-face)")
		return nil
	}
	img, err := face.Decode(name, bytes.NewReader(in.Image))
	if err != nil {
		return bad(http.StatusUnprocessableEntity, "%v", err)
	}
	t, q, err := s.cfg.Face.Extract(name, img)
	var qe *face.QualityError
	var fc *face.FaceCountError
	switch {
	case errors.As(err, &fc):
		return bad(http.StatusUnprocessableEntity, "%v", err)
	case errors.As(err, &qe) && forEnrolment:
		return bad(http.StatusUnprocessableEntity, "%s: face not usable for enrolment: %s (retake the photo)", name, strings.Join(q.Failed, ", "))
	case errors.As(err, &qe):
		sm.warnings = append(sm.warnings, fmt.Sprintf("%s: face quality gates failed (%s): searched anyway", name, strings.Join(q.Failed, ", ")))
	case err != nil:
		return bad(http.StatusUnprocessableEntity, "%s: %v", name, err)
	}
	if sm.rec.Template, err = t.MarshalBinary(); err != nil {
		return bad(http.StatusUnprocessableEntity, "%s: face template: %v", name, err)
	}
	sm.face = &t
	sm.rec.Quality = faceQuality(q)
	return nil
}

// faceQuality is a 0–100 summary for the sample record: 100 when every gate passed, less
// for each failed one.
func faceQuality(q face.Quality) int { return max(0, 100-25*len(q.Failed)) }

// searchFaces returns the fused face score per person among the best k, and the number of
// face probes.
func (s *Server) searchFaces(samples []*sample, k int) (map[string]float64, int, error) {
	var probes []gallery.Probe[*face.Template]
	for _, sm := range samples {
		if sm.face == nil || s.faces.cmp == nil {
			continue
		}
		pr, err := s.faces.cmp.Prepare(*sm.face)
		if err != nil {
			return nil, 0, bad(http.StatusUnprocessableEntity, "%s: %v", sm.name, err)
		}
		probes = append(probes, gallery.Probe[*face.Template]{Score: func(t *face.Template) float64 {
			sc, err := pr.Compare(*t)
			if err != nil {
				return 0
			}
			return sc
		}})
	}
	if subjects, _ := s.faces.g.Len(); len(probes) == 0 || subjects == 0 {
		return nil, len(probes), nil
	}
	found, err := s.faces.g.Search(probes, k)
	if err != nil {
		return nil, 0, fmt.Errorf("face search: %w", err)
	}
	out := make(map[string]float64, len(found))
	for _, c := range found {
		out[c.Subject] = c.Score
	}
	return out, len(probes), nil
}
