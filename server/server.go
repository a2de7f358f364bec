// Package server is the node's HTTP API (/v1): enrolment with de-duplication, 1:N
// identification, 1:1 verification, encounters from hand-held devices, watch lists and their
// alert stream, identity conflicts, users and roles, and the audit log.
//
// The server wires the other packages together and owns no algorithm of its own: templates
// come from the modality engines (fingerprint now), 1:N search from package gallery, records
// and the audit chain from a store.Store. Data flows one way: request → template → gallery
// → candidate list → decision → record, audit and alerts.
//
// Every request is authenticated by a bearer token, checked against the caller's role before
// anything is read, and audited (including refusals). Errors are JSON objects
// {"error": "..."} with a 4xx status that names the input and the reason; a 500 means a bug
// or a failed disk, never bad input.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/biomesh/biomesh/dna"
	"github.com/biomesh/biomesh/face"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/store"
)

// Config is a node's configuration. The zero value of each field means its default.
type Config struct {
	// FPIR is the false-positive identification rate at which 1:N searches decide hit or
	// no-hit (default 0.001: one non-mated search in a thousand returns a false hit).
	FPIR float64
	// FMR is the false match rate at which 1:1 verification decides (default 0.0001).
	FMR float64
	// MaxBody is the largest request body accepted, in bytes (default 64 MiB: ten
	// uncompressed 1000 ppi prints fit).
	MaxBody int64
	// Candidates is the default candidate-list length of an identification (default 10).
	Candidates int
	// DedupFingers is the number of best-quality fingers of an enrolment searched for
	// duplicates (default 4). Every finger is stored and enrolled; only the search uses fewer,
	// since its cost grows with probe fingers × gallery size.
	DedupFingers int
	// Workers bounds concurrent template extractions (default GOMAXPROCS).
	Workers int
	// Logger receives request and start-up logs (default slog.Default()).
	Logger *slog.Logger
	// Now returns the current time (default time.Now); tests set it.
	Now func() time.Time
	// Retention is the retention policy per person category (none by default: records
	// are kept until deleted). Expiry sweeps run when Serve starts and then every
	// RetentionInterval (default one hour).
	Retention         Retention
	RetentionInterval time.Duration
	// DNATables are the allele frequency tables DNA matches are scored and kinship is
	// computed with (dna.LoadTables); without them DNA profiles are stored, not searched.
	DNATables dna.Tables
	// Face is the face pipeline (face.Open: a node built with -tags dlib and the models of
	// scripts/setup-face); nil stores face photos without searching them.
	Face *face.Pipeline
}

func (c *Config) withDefaults() Config {
	d := *c
	if d.FPIR <= 0 || d.FPIR >= 1 {
		d.FPIR = 0.001
	}
	if d.FMR <= 0 || d.FMR >= 1 {
		d.FMR = 0.0001
	}
	if d.MaxBody <= 0 {
		d.MaxBody = 64 << 20
	}
	if d.Candidates <= 0 {
		d.Candidates = 10
	}
	if d.DedupFingers <= 0 {
		d.DedupFingers = 4
	}
	if d.Workers <= 0 {
		d.Workers = runtime.GOMAXPROCS(0)
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}

// Server is one node's API over a store. Create it with New, serve Handler.
type Server struct {
	cfg     Config
	st      store.Store
	fingers *fingerGallery
	dna     *dnaGallery
	irises  *irisGallery
	faces   *faceGallery
	alerts  *hub
	extract chan struct{} // semaphore bounding concurrent extractions

	// enrolMu serialises the last step of an enrolment (search against persons enrolled
	// since the main search, store, gallery update), so that two enrolments of the same
	// person racing each other cannot both miss each other.
	enrolMu sync.Mutex
	recent  *recentLog

	// Federation (SetFederation): nil fed without partners.
	fed      *federation.Node
	fedState federation.State
	partners *partnerRecords

	syncLocks deviceLocks // field-kit syncs, one at a time per device

	mux *http.ServeMux
}

// New opens the server over st: it loads the galleries from the store (which may take a
// few seconds for a large node) and returns a server ready to serve.
func New(ctx context.Context, st store.Store, cfg Config) (*Server, error) {
	c := cfg.withDefaults()
	if err := c.Retention.check(); err != nil {
		return nil, fmt.Errorf("retention policy: %w", err)
	}
	s := &Server{
		cfg:     c,
		st:      st,
		fingers: newFingerGallery(),
		dna:     newDNAGallery(),
		irises:  newIrisGallery(),
		alerts:  newHub(256),
		extract: make(chan struct{}, c.Workers),
		recent:  newRecentLog(),

		partners: newPartnerRecords(),
	}
	t0 := time.Now()
	if err := s.fingers.load(ctx, st); err != nil {
		return nil, fmt.Errorf("loading the finger gallery: %w", err)
	}
	if s.fingers.rederived > 0 {
		c.Logger.Info("finger search forms of another engine version derived again from the templates", "samples", s.fingers.rederived, "saved", s.fingers.saveErr == nil)
	}
	if s.fingers.saveErr != nil {
		c.Logger.Warn("finger search forms derived at start not saved: the next start derives them again", "err", s.fingers.saveErr)
	}
	if err := s.dna.load(ctx, st); err != nil {
		return nil, fmt.Errorf("loading the DNA database: %w", err)
	}
	faces, err := newFaceGallery(c.Face)
	if err != nil {
		return nil, err
	}
	s.faces = faces
	if skipped, err := s.faces.load(ctx, st); err != nil {
		return nil, fmt.Errorf("loading the face gallery: %w", err)
	} else if skipped > 0 {
		done, failed, err := s.reextract(ctx, "face embeddings", s.faces.stale, s.faceExtractor)
		s.faces.stale = nil
		if err != nil {
			return nil, fmt.Errorf("face templates of another model: extracting them anew from the stored photos: %w", err)
		}
		c.Logger.Info("face templates of another model extracted anew from the stored photos", "samples", done)
		if failed > 0 {
			c.Logger.Warn("face samples of another model left out of the gallery: no stored photo, or it fails this engine's gates (re-enrol them)", "samples", failed)
		}
	}
	if skipped, err := s.irises.load(ctx, st); err != nil {
		return nil, fmt.Errorf("loading the iris gallery: %w", err)
	} else if skipped > 0 {
		done, failed, err := s.reextract(ctx, "iris codes", s.irises.stale, s.irisExtractor)
		s.irises.stale = nil
		if err != nil {
			return nil, fmt.Errorf("iris codes of another template version: extracting them anew from the stored images: %w", err)
		}
		c.Logger.Info("iris codes of another template version extracted anew from the stored images", "samples", done)
		if failed > 0 {
			c.Logger.Warn("iris samples of another template version left out of the gallery: no stored image, or it fails this engine's quality gates (re-enrol them)", "samples", failed)
		}
	}
	subjects, samples := s.fingers.g.Len()
	c.Logger.Info("galleries loaded", "persons", subjects, "fingers", samples, "took", time.Since(t0).Round(time.Millisecond))
	s.routes()
	return s, nil
}

// Handler returns the HTTP handler of the /v1 API.
func (s *Server) Handler() http.Handler { return s }

// Serve accepts connections on l until ctx is cancelled, then shuts down gracefully
// (in-flight requests finish; alert streams are closed).
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	for _, rule := range s.cfg.Retention {
		if rule.ExpireAfter > 0 {
			interval := s.cfg.RetentionInterval
			if interval <= 0 {
				interval = time.Hour
			}
			go s.expireLoop(ctx, interval)
			break
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.alerts.close()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /v1/openapi.json", s.openAPI)
	m.HandleFunc("GET /v1/health", s.health)
	m.Handle("POST /v1/persons", s.auth(s.enrol))
	m.Handle("GET /v1/persons", s.auth(s.searchPersons))
	m.Handle("GET /v1/persons/{id}", s.auth(s.getPerson))
	m.Handle("PUT /v1/persons/{id}", s.auth(s.updatePerson))
	m.Handle("DELETE /v1/persons/{id}", s.auth(s.deletePerson))
	m.Handle("GET /v1/persons/{id}/timeline", s.auth(s.timeline))
	m.Handle("PUT /v1/persons/{id}/watch", s.auth(s.setWatch))
	m.Handle("POST /v1/persons/{id}/family", s.auth(s.addFamily))
	m.Handle("GET /v1/persons/{id}/samples/{sample}/image", s.auth(s.sampleImage))
	m.Handle("GET /v1/persons/{id}/transaction", s.auth(s.exportTransaction))
	m.Handle("POST /v1/transactions", s.auth(s.importTransaction))
	m.Handle("POST /v1/identify", s.auth(s.identify))
	m.Handle("POST /v1/verify", s.auth(s.verify))
	m.Handle("POST /v1/encounters", s.auth(s.encounter))
	m.Handle("GET /v1/alerts", s.auth(s.alertStream))
	m.Handle("GET /v1/conflicts", s.auth(s.listConflicts))
	m.Handle("POST /v1/conflicts", s.auth(s.resolveConflict))
	m.Handle("GET /v1/users", s.auth(s.listUsers))
	m.Handle("POST /v1/users", s.auth(s.addUser))
	m.Handle("GET /v1/me", s.auth(s.me))
	m.Handle("GET /v1/audit", s.auth(s.auditLog))
	m.Handle("GET /v1/audit/verify", s.auth(s.auditVerify))
	m.Handle("POST /v1/dna/familial", s.auth(s.familialSearch))
	m.Handle("POST /v1/partners/{partner}/query", s.auth(s.queryPartner))
	m.Handle("GET /v1/followups", s.auth(s.listFollowUps))
	m.Handle("POST /v1/followups", s.auth(s.requestFollowUp))
	m.Handle("POST /v1/followups/{id}", s.auth(s.decideFollowUp))
	m.Handle("GET /v1/received/{origin}/{id}", s.auth(s.receivedRecord))
	m.Handle("POST /v1/devices", s.auth(s.addDevice))
	m.Handle("GET /v1/devices/{id}", s.auth(s.getDevice))
	m.Handle("POST /v1/devices/{id}/wipe", s.auth(s.wipeDevice))
	m.Handle("GET /v1/devices/{id}/package", s.auth(s.devicePackage))
	m.Handle("POST /v1/devices/{id}/lease", s.auth(s.deviceLease))
	m.Handle("POST /v1/devices/{id}/sync", s.auth(s.deviceSync))
	s.mux = m
}

// ServeHTTP routes a request; requests that match no route get a JSON error: 405 with the
// allowed methods when the path exists with another method, 404 otherwise.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	probe := &headerOnly{h: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.h.Get("Allow"))
		writeError(w, http.StatusMethodNotAllowed, "%s %s: method not allowed; allowed: %s", r.Method, r.URL.Path, probe.h.Get("Allow"))
		return
	}
	writeError(w, http.StatusNotFound, "%s %s: no such endpoint (see /v1/openapi.json)", r.Method, r.URL.Path)
}

// headerOnly records the status and headers a handler writes, and drops the body.
type headerOnly struct {
	h    http.Header
	code int
}

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(code int)        { w.code = code }

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	subjects, samples := s.fingers.g.Len()
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "persons_with_fingers": subjects, "fingers": samples})
}

// newID returns a prefixed random identifier such as "P-7KQ2…": 80 random bits, base32.
func newID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + "-" + base32.StdEncoding.EncodeToString(b[:])
}

// NewToken returns a fresh API token: 256 random bits, prefixed so leaked tokens are easy to
// recognise in logs and scanners.
func NewToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "bm_" + strings.ToLower(strings.TrimRight(base32.StdEncoding.EncodeToString(b[:]), "="))
}

// statusOf maps a store or validation error onto an HTTP status.
func statusOf(err error) int {
	var be *badRequest
	switch {
	case errors.As(err, &be):
		return be.status
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, context.Canceled):
		return 499
	}
	return http.StatusInternalServerError
}

// badRequest is an error caused by the request, with its status.
type badRequest struct {
	status int
	msg    string
}

func (e *badRequest) Error() string { return e.msg }

func bad(status int, format string, a ...any) error {
	return &badRequest{status: status, msg: fmt.Sprintf(format, a...)}
}
