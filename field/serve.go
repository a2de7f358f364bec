package field

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A resident kit (Server) opens the package once and keeps it in memory, as a hand-held
// app does, so that a check costs one search. It answers requests of one JSON line each
// with one JSON line (Request, Response) on a local socket or any line stream, and it
// looks at the lease and for a wipe before and after every check: a check after the lease
// has expired, or after a wipe — received by the server's own sync or by another process's
// — is refused, and the package is erased from memory at once.

// Request is one request to a resident kit.
type Request struct {
	ID      string   `json:"id,omitempty"` // echoed in the response
	Op      string   `json:"op"`           // check (the default), status or sync
	Fingers []Finger `json:"fingers,omitempty"`
	Place   string   `json:"place,omitempty"`
	Unit    string   `json:"unit,omitempty"`
	Outcome string   `json:"outcome,omitempty"`
	NoQueue bool     `json:"no_queue,omitempty"` // do not queue the check as an encounter
}

// Response is a resident kit's answer. Error is set, with Code, when the request failed.
type Response struct {
	ID       string      `json:"id,omitempty"`
	Result   *Result     `json:"result,omitempty"`
	Queued   string      `json:"queued,omitempty"`  // the encounter's client ID
	TookMS   float64     `json:"took_ms,omitempty"` // the check, from request to answer
	Status   *Status     `json:"status,omitempty"`
	Resident *Resident   `json:"resident,omitempty"`
	Sync     *SyncReport `json:"sync,omitempty"`
	Error    string      `json:"error,omitempty"`
	// Code names the error: lease_expired, wiped, no_package, not_enrolled, bad_package,
	// bad_request or failed.
	Code string `json:"code,omitempty"`
}

// Resident describes what a resident kit holds in memory.
type Resident struct {
	Open     bool   `json:"open"`
	Package  string `json:"package,omitempty"`
	Persons  int    `json:"persons,omitempty"`
	Ready    int    `json:"fingers_ready,omitempty"`   // prepared, searched as they are
	Pending  int    `json:"fingers_pending,omitempty"` // carried as templates, still to prepare
	OpenedMS int64  `json:"opened_ms,omitempty"`       // how long opening the package took
}

// Err returns the response's error, wrapping the kit's error of the same code (ErrWiped,
// ErrLeaseExpired, …) so that errors.Is works across the socket; nil when it succeeded.
func (r *Response) Err() error {
	if r.Error == "" {
		return nil
	}
	for _, e := range codedErrors {
		if r.Code == e.code {
			return fmt.Errorf("%w (resident kit: %s)", e.err, r.Error)
		}
	}
	return fmt.Errorf("field: resident kit: %s", r.Error)
}

var codedErrors = []struct {
	code string
	err  error
}{
	{"lease_expired", ErrLeaseExpired},
	{"wiped", ErrWiped},
	{"no_package", ErrNoPackage},
	{"not_enrolled", ErrNotEnrolled},
	{"closed", ErrClosed},
}

func errorCode(err error) string {
	for _, e := range codedErrors {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	var fe FormatError
	if errors.As(err, &fe) || errors.Is(err, ErrKey) {
		return "bad_package"
	}
	var pe *ProbeError
	if errors.As(err, &pe) {
		return "bad_request"
	}
	return "failed"
}

// maxRequest bounds a request line: a check carries templates (a few KB each), not images.
const maxRequest = 1 << 20

// Server is a resident kit. Its zero value is not usable: set Kit.
type Server struct {
	Kit *Kit
	// Client syncs for sync requests and SyncEvery; nil: the server does not contact the node.
	Client *Client
	// Poll is how often, with no check coming, the server looks at the lease and for a wipe,
	// to erase the package from memory without waiting for a check (default 1 s).
	Poll time.Duration
	// Warm prepares the fingers a package carries as templates in the background once it is
	// open (Matcher.Warm), so that probes of any finger find theirs prepared; a one-shot
	// check leaves it off, not to share the cores with its search.
	Warm bool

	mu     sync.Mutex // guards m, opening and closing
	m      *Matcher
	opened time.Duration
	stop   context.CancelFunc // of m's warming
}

// matcher returns the open matcher of the current lease's package, opening it when there is
// none or the lease is for another package (a sync installed a new one). Any error of the
// lease — expired, wiped, none — erases what was open.
func (s *Server) matcher() (*Matcher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.Kit.Lease()
	if err != nil {
		s.dropLocked()
		return nil, err
	}
	if s.m != nil && s.m.PackageID() == l.PackageID {
		return s.m, nil
	}
	s.dropLocked()
	t0 := time.Now()
	m, err := s.Kit.Matcher()
	if err != nil {
		return nil, err
	}
	s.m, s.opened = m, time.Since(t0)
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	if s.Warm {
		go m.Warm(ctx)
	}
	return m, nil
}

func (s *Server) dropLocked() {
	if s.m == nil {
		return
	}
	s.stop()
	s.m.Close()
	s.m, s.stop = nil, nil
}

// Close erases the package from memory. The server opens it again at the next check.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked()
}

// Open opens the package now rather than at the first check.
func (s *Server) Open() error {
	_, err := s.matcher()
	return err
}

// guard looks at the lease, erasing the package from memory when it no longer holds.
func (s *Server) guard() error {
	if _, err := s.Kit.Lease(); err != nil {
		s.Close()
		return err
	}
	return nil
}

// Do answers one request.
func (s *Server) Do(ctx context.Context, req Request) Response {
	resp := s.do(ctx, req)
	resp.ID = req.ID
	return resp
}

func failed(err error) Response { return Response{Error: err.Error(), Code: errorCode(err)} }

func badRequest(format string, a ...any) Response {
	return Response{Error: "field: " + fmt.Sprintf(format, a...), Code: "bad_request"}
}

func (s *Server) do(ctx context.Context, req Request) Response {
	switch req.Op {
	case "", "check":
		return s.check(req)
	case "status":
		st, err := s.Kit.Status()
		if err != nil {
			return failed(err)
		}
		if !st.LeaseValid || st.Wiped != "" {
			s.Close()
		}
		return Response{Status: &st, Resident: s.resident()}
	case "sync":
		if s.Client == nil {
			return badRequest("this resident kit does not contact the node")
		}
		rep, err := s.Sync(ctx)
		if err != nil {
			r := failed(err)
			r.Sync = &rep
			return r
		}
		return Response{Sync: &rep, Resident: s.resident()}
	}
	return badRequest("unknown op %q: check, status or sync", req.Op)
}

func (s *Server) resident() *Resident {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		return &Resident{}
	}
	r := &Resident{Open: true, Package: s.m.PackageID(), Persons: s.m.Persons(), OpenedMS: s.opened.Milliseconds()}
	r.Ready, r.Pending = s.m.Fingers()
	return r
}

func (s *Server) check(req Request) Response {
	t0 := time.Now()
	if len(req.Fingers) == 0 {
		return badRequest("a check needs at least one finger")
	}
	m, err := s.matcher()
	if err != nil {
		return failed(err)
	}
	res, err := m.Check(req.Fingers)
	if errors.Is(err, ErrClosed) { // erased meanwhile: say why
		if gerr := s.guard(); gerr != nil {
			err = gerr
		}
	}
	if err != nil {
		return failed(err)
	}
	// Once more after the search: an answer is given only under a lease that held
	// throughout, and not after a wipe made meanwhile.
	if err := s.guard(); err != nil {
		return failed(err)
	}
	resp := Response{Result: &res, TookMS: float64(time.Since(t0).Microseconds()) / 1000}
	if !req.NoQueue {
		r := res
		id, err := s.Kit.Enqueue(Item{Kind: KindEncounter, Encounter: &Encounter{Time: s.Kit.now().UTC(),
			Place: req.Place, Unit: req.Unit, Outcome: req.Outcome, Fingers: req.Fingers, Offline: &r}})
		if err != nil {
			resp.Error, resp.Code = fmt.Sprintf("answered %s, but queueing the encounter failed: %v", strings.ToUpper(res.Action), err), errorCode(err)
			return resp
		}
		resp.Queued = id
	}
	return resp
}

// Sync sends the queue and pulls a fresh package and lease through Client; the next check
// opens the new package. A wipe order erases the kit and the package in memory.
func (s *Server) Sync(ctx context.Context) (SyncReport, error) {
	rep, err := s.Client.Sync(ctx)
	if err == nil {
		_, _, err = s.Client.Pull(ctx)
	}
	if err != nil {
		s.guard()
		return rep, err
	}
	return rep, s.Open()
}

// Handle answers one request line with one response line (without the newline).
func (s *Server) Handle(ctx context.Context, line []byte) []byte {
	var req Request
	var resp Response
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		resp = badRequest("request: %v", err)
	} else if dec.More() {
		resp = badRequest("request: more than one JSON value on the line")
	} else {
		resp = s.Do(ctx, req)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(failed(err))
	}
	return b
}

// ServeLines answers request lines from r on w, in order, until r ends or ctx is done.
func (s *Server) ServeLines(ctx context.Context, r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriter(w)
	for ctx.Err() == nil {
		line, err := readLine(br)
		if len(bytes.TrimSpace(line)) > 0 {
			out := s.Handle(ctx, line)
			if errors.Is(err, errLineTooLong) {
				out, _ = json.Marshal(badRequest("request longer than %d bytes", maxRequest))
			}
			bw.Write(append(out, '\n'))
			if ferr := bw.Flush(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

var errLineTooLong = errors.New("field: request line too long")

// readLine reads one line of at most maxRequest bytes, without its newline. A longer line is
// errLineTooLong, with the line's start; the stream cannot go on after it.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxRequest {
			return line[:maxRequest], errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
}

// Serve answers connections on l until ctx is done, each connection a stream of request
// lines, and looks at the lease every Poll meanwhile. It closes l and erases the package
// from memory when it returns.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer s.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() { <-ctx.Done(); l.Close() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		poll := s.Poll
		if poll <= 0 {
			poll = time.Second
		}
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.mu.Lock()
				open := s.m != nil
				s.mu.Unlock()
				if open {
					s.guard()
				}
			}
		}
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			s.ServeLines(ctx, c, c)
		}()
	}
}

// DefaultSocket is the resident kit's socket in a kit's directory.
func DefaultSocket(k *Kit) string { return "unix:" + filepath.Join(k.Dir(), "serve.sock") }

// Listen listens where a resident kit may: a unix socket ("unix:PATH", made readable and
// writable by its owner only; a stale socket file of a server gone is replaced) or a
// loopback TCP address (any local process can then ask).
func Listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("field: a resident kit already answers on %s", path)
		}
		os.Remove(path)
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(path, 0o600); err != nil {
			l.Close()
			return nil, err
		}
		return l, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("field: listen address %q: unix:PATH or a loopback host:port", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("field: listen address %q: a resident kit listens on loopback or a unix socket only", addr)
	}
	return net.Listen("tcp", addr)
}

// Ask sends one request to a resident kit at addr (as Listen takes it) and returns its
// response; the error is of the connection only (see Response.Err).
func Ask(ctx context.Context, addr string, req Request) (Response, error) {
	network, address := "tcp", addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, address = "unix", path
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return Response{}, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	b, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	if _, err := c.Write(append(b, '\n')); err != nil {
		return Response{}, err
	}
	line, err := readLine(bufio.NewReader(c))
	if err != nil && !(err == io.EOF && len(line) > 0) {
		return Response{}, fmt.Errorf("field: resident kit at %s: %w", addr, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("field: resident kit at %s: answer: %w", addr, err)
	}
	return resp, nil
}
