package server

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/gallery"
	"github.com/biomesh/biomesh/iris"
	"github.com/biomesh/biomesh/store"
)

// reextractIrises makes new iris codes, from the stored eye images, for the samples whose
// stored codes this engine cannot read (an older template version: irisGallery.stale),
// keeps them in the store (one audited change per person) and puts them in the gallery. It
// runs at start, on all cores, once: the next start reads the new codes. It returns how many
// samples got a new code and how many could not (no stored image, or the image fails the
// quality gates of this engine); those stay out of the gallery.
func (s *Server) reextractIrises(ctx context.Context) (done, failed int, err error) {
	stale := s.irises.stale
	s.irises.stale = nil
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
				d, f, err := s.reextractPerson(ctx, rep, pid, byPerson[pid])
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

// reextractPerson extracts new codes for one person's stale iris samples.
func (s *Server) reextractPerson(ctx context.Context, rep store.TemplateReplacer, pid string, stale []store.Sample) (done, failed int, err error) {
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
		add     []gallery.Sample[*iris.Template]
	)
	for _, st := range stale {
		sm := byID[st.ID]
		if sm == nil || len(sm.Image) == 0 {
			failed++
			continue
		}
		img, err := iris.DecodeImage(sm.Image)
		if err != nil {
			failed++
			continue
		}
		t, _, err := iris.Extract(img, &iris.Options{Eye: iris.Eye(sm.Position)})
		if err != nil {
			failed++
			continue
		}
		b, err := t.MarshalBinary()
		if err != nil {
			failed++
			continue
		}
		updates = append(updates, store.TemplateUpdate{SampleID: sm.ID, Template: b, Quality: int(t.Quality)})
		add = append(add, gallery.Sample[*iris.Template]{Position: sm.Position, Template: t})
	}
	if len(updates) == 0 {
		return 0, failed, nil
	}
	p, err := s.st.Person(ctx, pid)
	if err != nil {
		return 0, len(stale), fmt.Errorf("person %s: %w", pid, err)
	}
	a := &audit.Entry{Time: time.Now(), User: "system", Org: p.Org, Role: store.RoleAdmin, Purpose: "engine upgrade",
		Action: "sample.reextract", Target: pid, Result: fmt.Sprintf("ok: %d iris codes of this engine's version from the stored images", len(updates))}
	if err := rep.ReplaceTemplates(ctx, updates, a); err != nil {
		return 0, len(stale), fmt.Errorf("person %s: %w", pid, err)
	}
	s.irises.g.Add(pid, add...)
	return len(updates), failed, nil
}
