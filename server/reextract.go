package server

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/face"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/iris"
	"github.com/biomesh/biomesh/store"
)

// extractor makes a new template from a stored sample's image and puts it in the gallery
// once the store keeps it (add); ok is false when the image is unusable by this engine.
type extractor func(sm *store.Sample) (u store.TemplateUpdate, add func(), ok bool)

// reextract makes new templates, from the stored images, for the samples of one modality
// whose stored templates this node cannot use (an older template version, or another face
// model: stale), keeps them in the store (one audited change per person) and puts them in
// the gallery. It runs at start, on all cores, once: the next start reads the new
// templates. It returns how many samples got a new template and how many could not (no
// stored image, or the image fails this engine's quality gates); those stay out of the
// gallery.
func (s *Server) reextract(ctx context.Context, what string, stale []store.Sample, ex extractor) (done, failed int, err error) {
	rep, ok := s.st.(store.TemplateReplacer)
	if len(stale) == 0 || !ok {
		return 0, len(stale), nil
	}
	byPerson := map[string][]store.Sample{}
	var persons []string
	for _, sm := range stale {
		if _, ok := byPerson[sm.PersonID]; !ok {
			persons = append(persons, sm.PersonID)
		}
		byPerson[sm.PersonID] = append(byPerson[sm.PersonID], sm)
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	work := make(chan string)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pid := range work {
				d, f, err := s.reextractPerson(ctx, rep, what, pid, byPerson[pid], ex)
				mu.Lock()
				done, failed = done+d, failed+f
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, pid := range persons {
		work <- pid
	}
	close(work)
	wg.Wait()
	return done, failed, firstErr
}

// reextractPerson makes new templates for one person's stale samples.
func (s *Server) reextractPerson(ctx context.Context, rep store.TemplateReplacer, what, pid string, stale []store.Sample, ex extractor) (done, failed int, err error) {
	all, err := s.st.Samples(ctx, pid)
	if err != nil {
		return 0, len(stale), fmt.Errorf("person %s: %w", pid, err)
	}
	byID := make(map[int64]*store.Sample, len(all))
	for i := range all {
		byID[all[i].ID] = &all[i]
	}
	var (
		updates []store.TemplateUpdate
		adds    []func()
	)
	for _, st := range stale {
		sm := byID[st.ID]
		if sm == nil || len(sm.Image) == 0 {
			failed++
			continue
		}
		u, add, ok := ex(sm)
		if !ok {
			failed++
			continue
		}
		updates = append(updates, u)
		adds = append(adds, add)
	}
	if len(updates) == 0 {
		return 0, failed, nil
	}
	p, err := s.st.Person(ctx, pid)
	if err != nil {
		return 0, len(stale), fmt.Errorf("person %s: %w", pid, err)
	}
	a := &audit.Entry{Time: time.Now(), User: "system", Org: p.Org, Role: store.RoleAdmin, Purpose: "engine upgrade",
		Action: "sample.reextract", Target: pid, Result: fmt.Sprintf("ok: %d %s of this engine from the stored images", len(updates), what)}
	if err := rep.ReplaceTemplates(ctx, updates, a); err != nil {
		return 0, len(stale), fmt.Errorf("person %s: %w", pid, err)
	}
	for _, add := range adds {
		add()
	}
	return len(updates), failed, nil
}

// irisExtractor makes iris codes for the iris gallery, through the enrolment's own decoding
// and quality gates (decodeIris).
func (s *Server) irisExtractor(sm *store.Sample) (store.TemplateUpdate, func(), bool) {
	pos := sm.Position
	var out sample
	if decodeIris(fmt.Sprintf("stored iris sample %d", sm.ID), &sampleIn{Image: sm.Image, Position: &pos}, &out) != nil || out.iris == nil {
		return store.TemplateUpdate{}, nil, false
	}
	pid := sm.PersonID
	return store.TemplateUpdate{SampleID: sm.ID, Template: out.rec.Template, Quality: out.rec.Quality},
		func() { s.irises.g.Add(pid, gallery.Sample[*iris.Template]{Position: pos, Template: out.iris}) }, true
}

// faceExtractor makes embeddings of the node's face model for the face gallery, through the
// enrolment's own decoding and gates (decodeFace): one face that passes the quality gates.
func (s *Server) faceExtractor(sm *store.Sample) (store.TemplateUpdate, func(), bool) {
	var out sample
	if s.decodeFace(fmt.Sprintf("stored face sample %d", sm.ID), &sampleIn{Image: sm.Image}, &out, true) != nil || out.face == nil {
		return store.TemplateUpdate{}, nil, false
	}
	pid := sm.PersonID
	return store.TemplateUpdate{SampleID: sm.ID, Template: out.rec.Template, Quality: out.rec.Quality},
		func() { s.faces.g.Add(pid, gallery.Sample[*face.Template]{Template: out.face}) }, true
}
