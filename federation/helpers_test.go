package federation

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
	"github.com/biomesh/biomesh/store/sqlite"
)

// The node's store is what the node passes as Auditor and Records.
var (
	_ Auditor = store.Store(nil)
	_ Records = store.Store(nil)
)

// pki is a test certificate authority issuing node certificates.
type pki struct {
	dir    string
	ca     *x509.Certificate
	key    *ecdsa.PrivateKey
	caFile string
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "biomesh test federation CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{dir: t.TempDir(), ca: ca, key: key}
	p.caFile = filepath.Join(p.dir, "ca.pem")
	writePEM(t, p.caFile, "CERTIFICATE", der)
	return p
}

// issue makes a certificate for a node named name (DNS SAN name, IP 127.0.0.1), usable
// as server and client.
func (p *pki) issue(t testing.TB, name string) TLSFiles {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, p.ca, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(key)
	f := TLSFiles{Cert: filepath.Join(p.dir, name+".pem"), Key: filepath.Join(p.dir, name+".key"), CA: p.caFile}
	writePEM(t, f.Cert, "CERTIFICATE", der)
	writePEM(t, f.Key, "PRIVATE KEY", kd)
	return f
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// agree is an agreement of one level and purpose for suspects and detainees at any watch
// level, fingers only, in force for a year.
func agree(level Level, purpose string) Agreement {
	return Agreement{
		Purpose: purpose, Level: level, Categories: []string{"suspect", "detainee"},
		WatchLevels: []store.WatchLevel{store.WatchNone, store.WatchMonitor, store.WatchAlert, store.WatchDetain},
		Modalities:  []store.Modality{store.Finger}, Expires: time.Now().Add(365 * 24 * time.Hour),
	}
}

// world builds the configurations of a set of nodes on loopback.
type world struct {
	t    testing.TB
	pki  *pki
	keys map[string]ed25519.PrivateKey
	cfgs map[string]*Config
}

func newWorld(t testing.TB, ids ...string) *world {
	w := &world{t: t, pki: newPKI(t), keys: map[string]ed25519.PrivateKey{}, cfgs: map[string]*Config{}}
	for _, id := range ids {
		_, k, _ := ed25519.GenerateKey(nil)
		w.keys[id] = k
		_, port, err := listenAddr("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		w.cfgs[id] = &Config{Node: id, NATS: NATS{
			StoreDir: t.TempDir(), LeafListen: net.JoinHostPort("127.0.0.1", itoa(port)), TLS: w.pki.issue(t, id),
		}}
	}
	return w
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// link makes dialer dial acceptor (at addr, or the acceptor's leaf address when "") with
// the agreements each sends the other; receive agreements mirror the send ones.
func (w *world) link(dialer, acceptor, addr string, dialerSends, acceptorSends []Agreement) {
	if addr == "" {
		addr = w.cfgs[acceptor].NATS.LeafListen
	}
	secret := base64.StdEncoding.EncodeToString([]byte(newID()))
	pub := func(id string) string {
		return base64.StdEncoding.EncodeToString(w.keys[id].Public().(ed25519.PublicKey))
	}
	d, a := w.cfgs[dialer], w.cfgs[acceptor]
	d.Partners = append(d.Partners, Partner{
		ID: acceptor, PublicKey: pub(acceptor), Send: dialerSends, Receive: acceptorSends,
		Link: Link{Dial: "tls://" + addr, Secret: secret, ServerName: acceptor},
	})
	a.Partners = append(a.Partners, Partner{
		ID: dialer, PublicKey: pub(dialer), Send: acceptorSends, Receive: dialerSends, Link: Link{Secret: secret},
	})
}

// testNode is a started node with its store, state and what it received.
type testNode struct {
	*Node
	t      testing.TB
	id     string
	opts   Options
	st     *sqlite.DB
	state  *MemState
	search *searcher
	clock  *clock

	mu     sync.Mutex
	events []*Event
	got    chan *Event
}

// clock is a settable clock (for expiry); zero offset reads the real time.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// searcher is a gallery by exact template bytes over the node's store: a stand-in for the
// node's matcher, which this package does not know (the node implements Searcher).
type searcher struct {
	st      *sqlite.DB
	mu      sync.Mutex
	queries int
}

func (s *searcher) SearchProbes(ctx context.Context, probes []Probe) (*store.Person, error) {
	s.mu.Lock()
	s.queries++
	s.mu.Unlock()
	var hit string
	err := s.st.EachTemplate(ctx, store.Finger, func(sm store.Sample) error {
		for _, p := range probes {
			if bytes.Equal(p.Template, sm.Template) {
				hit = sm.PersonID
				return errStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if hit == "" {
		return nil, nil
	}
	return s.st.Person(ctx, hit)
}

var errStop = errors.New("stop")

func (w *world) start(id string) *testNode {
	t := w.t
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "biomesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{t: t, id: id, st: st, state: NewMemState(), search: &searcher{st: st}, clock: &clock{}, got: make(chan *Event, 100000)}
	tn.opts = Options{
		Config: w.cfgs[id], Key: w.keys[id], State: tn.state, Searcher: tn.search, Records: st, Audit: st, Outbox: st,
		Now: tn.clock.now,
		OnEvent: func(_ context.Context, ev *Event) {
			tn.mu.Lock()
			tn.events = append(tn.events, ev)
			tn.mu.Unlock()
			tn.got <- ev
		},
	}
	if err := tn.opts.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	tn.restart()
	t.Cleanup(func() {
		if tn.Node != nil {
			tn.Shutdown()
		}
		st.Close()
	})
	return tn
}

func (tn *testNode) restart() {
	tn.t.Helper()
	n, err := Start(context.Background(), tn.opts)
	if err != nil {
		tn.t.Fatal(err)
	}
	tn.Node = n
}

func (tn *testNode) stop() {
	tn.Shutdown()
	tn.Node = nil
}

// waitLinked waits until the node's link with every given partner is up.
func (tn *testNode) waitLinked(partners ...string) {
	tn.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, p := range partners {
		for !tn.Linked(p) {
			if time.Now().After(deadline) {
				tn.t.Fatalf("%s: link with %s not up after 20 s", tn.id, p)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// wait returns the next n events received, failing after timeout.
func (tn *testNode) wait(n int, timeout time.Duration) []*Event {
	tn.t.Helper()
	var out []*Event
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case ev := <-tn.got:
			out = append(out, ev)
		case <-deadline:
			tn.t.Fatalf("%s: %d of %d events after %s", tn.id, len(out), n, timeout)
		}
	}
	return out
}

// quiet fails if an event arrives within d.
func (tn *testNode) quiet(d time.Duration) {
	tn.t.Helper()
	select {
	case ev := <-tn.got:
		tn.t.Fatalf("%s: unexpected event %s %s from %s", tn.id, ev.Kind, ev.Ref, ev.Origin)
	case <-time.After(d):
	}
}

// audits returns the node's audit entries whose action starts with prefix.
func (tn *testNode) audits(prefix string) []audit.Entry {
	tn.t.Helper()
	var out []audit.Entry
	err := tn.st.EachAudit(context.Background(), 0, func(e *audit.Entry) error {
		if strings.HasPrefix(e.Action, prefix) {
			out = append(out, *e)
		}
		return nil
	})
	if err != nil {
		tn.t.Fatal(err)
	}
	return out
}

// enrol stores a person with one finger template in the node's store and returns it with
// its samples, as the node would hand them to Publish.
func (tn *testNode) enrol(id, name, category string, watch store.WatchLevel, tpl []byte) Change {
	tn.t.Helper()
	now := time.Now().UTC()
	p := &store.Person{ID: id, Org: "unit-a", Name: name, Category: category, Watch: store.Watch{Level: watch}, Created: now, Updated: now}
	ss := []store.Sample{
		{Modality: store.Finger, Position: 2, Template: tpl, Image: []byte("png-bytes"), ImageFormat: "png", Quality: 80, Captured: now},
		{Modality: store.Face, Template: []byte("face-" + id), Quality: 70, Captured: now},
	}
	if err := tn.st.CreatePerson(context.Background(), p, ss, &audit.Entry{Time: now, User: "u1", Org: "unit-a", Role: store.RoleEnroller, Action: "person.enrol", Target: id, Result: "ok"}); err != nil {
		tn.t.Fatal(err)
	}
	return Change{Kind: KindEnrol, Person: p, Samples: ss}
}

// proxy is a TCP relay that can cut every connection through it and refuse new ones,
// standing for a network link that goes down.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		// Under the lock, so that a cut cannot fall between the check and the record of
		// the new connection.
		p.mu.Lock()
		var u net.Conn
		if !p.down {
			u, err = net.Dial("tcp", p.target)
		}
		if p.down || err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go func() { io.Copy(u, c); u.Close() }()
		go func() { io.Copy(c, u); c.Close() }()
	}
}

// cut closes every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
