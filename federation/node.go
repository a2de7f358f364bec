package federation

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/store"
)

// Auditor records federation actions in the node's audit log; store.Store implements it.
type Auditor interface {
	Audit(ctx context.Context, a *audit.Entry) error
}

// Records gives the full record of one of the node's own persons, for a follow-up request
// an analyst approved; store.Store implements it.
type Records interface {
	Person(ctx context.Context, id string) (*store.Person, error)
	Samples(ctx context.Context, personID string) ([]store.Sample, error)
}

// Options configure a federation node.
type Options struct {
	Config   *Config            // validated (ParseConfig, LoadConfig or Validate)
	Key      ed25519.PrivateKey // this node's signing key (LoadKey)
	State    State              // where received copies, applied event IDs and follow-ups live
	Searcher Searcher           // answers partners' hit/no-hit queries
	Records  Records            // releases approved follow-ups; reads changes in the outbox
	Audit    Auditor
	// Outbox, when set, is the node's transactional outbox (its store): the node publishes
	// the federation's messages in it (Message) and removes them once published.
	Outbox store.Outbox
	// OnEvent, when set, is called after an event from a partner was accepted and applied
	// (e.g. to raise an alert for an encounter). It must not block for long: events of
	// one partner are applied in order, one at a time.
	OnEvent func(ctx context.Context, ev *Event)
	Logger  *slog.Logger
	Now     func() time.Time // default time.Now
}

// Node is a running federation node: an embedded NATS server with JetStream, one account
// per partner, and the handlers of this node's side of every agreement.
//
// Subjects and streams, in the account kept for partner P on node N (the leaf link joins it
// with the account kept for N on P):
//
//	fed.ev.N.<kind>        events N made for P, captured by stream OUT_N (on N)
//	stream IN_P            on N: sources OUT_P from JetStream domain P over the link
//	fed.q.N.hit-no-hit     P's queries to N (request/reply)
//	fed.q.N.follow-up      P's follow-up requests to N (request/reply)
//
// Every node is its own JetStream domain, named by its node ID.
type Node struct {
	opts  Options
	cfg   *Config
	log   *slog.Logger
	srv   *server.Server
	leaf  string
	links map[string]*link // by partner ID

	mu      sync.Mutex
	queries map[string]time.Time // query IDs seen recently, for replay rejection

	stop chan struct{}
	wg   sync.WaitGroup

	redelivered atomic.Int64 // events seen again at the sequence they were applied at

	kick           chan struct{}    // Notify: messages wait in the outbox
	tailRead       bool             // sent and cursor were read (outboxLoop only, as are they)
	sent           map[string]bool  // IDs of the events the streams stored last, until every partner is past them
	cursor         map[string]int64 // by partner: the outbox message whose events its stream stored last
	retryAt        map[string]time.Time
	backoff        map[string]time.Duration // by partner, while its stream refuses
	outboxFailures atomic.Int64
	outboxSkipped  atomic.Int64 // at start, deliveries found done already (sent, cursor)
	// answering orders a follow-up decision's commit and State update against the
	// publication of its answer (see finish).
	answering sync.Mutex
}

// link is this node's side of one partnership.
type link struct {
	p     *Partner
	nc    *nats.Conn
	js    jetstream.JetStream
	cc    jetstream.ConsumeContext
	subs  []*nats.Subscription
	inCfg jetstream.StreamConfig // IN_<partner> without its source
	limit *bucket                // the partner's requests (Partner.QueryRate)
}

func (n *Node) now() time.Time { return n.opts.Now() }

func outStream(node string) string { return "OUT_" + node }
func inStream(node string) string  { return "IN_" + node }
func account(partner string) string {
	return "link-" + partner
}

// Start starts the embedded NATS server and connects this node's side of every
// partnership. Partners' links come up in the background (and come back by themselves
// after they drop).
func Start(ctx context.Context, o Options) (*Node, error) {
	if o.Config == nil || o.Key == nil || o.State == nil || o.Searcher == nil || o.Records == nil || o.Audit == nil {
		return nil, errors.New("federation: Config, Key, State, Searcher, Records and Audit are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	n := &Node{opts: o, cfg: o.Config, log: o.Logger, links: map[string]*link{}, queries: map[string]time.Time{}, stop: make(chan struct{}), kick: make(chan struct{}, 1)}
	if n.cfg.NATS.URL == "" {
		if err := n.startServer(); err != nil {
			return nil, err
		}
	}
	for i := range n.cfg.Partners {
		p := &n.cfg.Partners[i]
		if err := n.connect(ctx, p); err != nil {
			n.Shutdown()
			return nil, fmt.Errorf("federation: partner %s: %w", p.ID, err)
		}
	}
	n.wg.Add(2)
	go n.sweepLoop()
	go n.watchLinks()
	if o.Outbox != nil {
		n.wg.Add(1)
		go n.outboxLoop()
	}
	return n, nil
}

// watchLinks keeps each IN stream's source configured exactly while its link is up.
//
// Why: the server asks for the source's consumer across the link and waits 30 s for an
// answer that a down link has dropped, and while it waits it ignores the link's return;
// failures then back off to minutes. Configured only while the link is up, and set again
// on every return of the link or when it reports an error, the source starts at once.
// Nothing is lost or repeated by this: a source added again resumes after the last
// sequence of the partner's stream that IN holds.
func (n *Node) watchLinks() {
	defer n.wg.Done()
	up := map[string]bool{}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for tick := 0; ; tick++ {
		for id, l := range n.links {
			linked := n.Linked(id)
			switch {
			case linked && !up[id]:
				if err := n.source(l, true); err != nil {
					n.log.Warn("federation: source", "partner", id, "err", err)
					continue // try again at the next tick
				}
			case !linked && up[id]:
				if err := n.source(l, false); err != nil {
					n.log.Warn("federation: source", "partner", id, "err", err)
					continue
				}
			case linked && tick%20 == 0 && n.sourceFailing(l): // every 5 s
				n.source(l, false)
				linked = false // set again at the next tick
			}
			up[id] = linked
		}
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
	}
}

// source adds or removes the partner's OUT stream as the source of its IN stream.
func (n *Node) source(l *link, on bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg := l.inCfg
	if on {
		cfg.Sources = []*jetstream.StreamSource{{Name: outStream(l.p.ID), Domain: l.p.ID}}
	}
	_, err := l.js.UpdateStream(ctx, cfg)
	return err
}

// sourceFailing reports whether the IN stream's source reports an error (e.g. the
// partner's stream did not exist yet when the link came up).
func (n *Node) sourceFailing(l *link) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := l.js.Stream(ctx, inStream(l.p.ID))
	if err != nil {
		return false
	}
	si := s.CachedInfo()
	return len(si.Sources) > 0 && si.Sources[0].Error != nil
}

func (n *Node) startServer() error {
	c := n.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %q\njetstream { store_dir: %q, domain: %q }\naccounts {\n", c.Node, filepath.Join(c.NATS.StoreDir, "jetstream"), c.Node)
	for _, p := range c.Partners {
		fmt.Fprintf(&b, "  %q: { jetstream: enabled }\n", account(p.ID))
	}
	b.WriteString("}\n")
	opts := &server.Options{}
	if err := opts.ProcessConfigString(b.String()); err != nil {
		return fmt.Errorf("federation: embedded NATS configuration: %w", err)
	}
	opts.DontListen = true // the node talks to its server in process only
	opts.NoSigs = true
	opts.NoLog = true
	accs := map[string]*server.Account{}
	for _, a := range opts.Accounts {
		accs[a.Name] = a
	}
	var tlsServer, tlsClient *tls.Config
	needTLS := c.NATS.LeafListen != ""
	for _, p := range c.Partners {
		needTLS = needTLS || p.Link.Dial != ""
	}
	if needTLS {
		var err error
		if tlsServer, tlsClient, err = loadTLS(c.NATS.TLS); err != nil {
			return fmt.Errorf("federation: %w", err)
		}
	}
	if c.NATS.LeafListen != "" {
		host, port, err := listenAddr(c.NATS.LeafListen)
		if err != nil {
			return fmt.Errorf("federation: leaf_listen %q: %w", c.NATS.LeafListen, err)
		}
		opts.LeafNode.Host, opts.LeafNode.Port = host, port
		opts.LeafNode.TLSConfig = tlsServer
		opts.LeafNode.TLSTimeout = 5
		// The certificate names the user, hence the account, a partner's leaf connection
		// enters (Link.CertName); its password must still be that partner's secret.
		opts.LeafNode.TLSMap = true
		// Partners dial the address they are configured with and nothing they learn from
		// this server: it may sit behind a relay or NAT they must go through.
		opts.LeafNode.NoAdvertise = true
		n.leaf = net.JoinHostPort(host, fmt.Sprint(port))
	}
	opts.LeafNode.ReconnectInterval = time.Second
	for _, p := range c.Partners {
		acc := accs[account(p.ID)]
		opts.Users = append(opts.Users, &server.User{
			Username: "local-" + p.ID, Password: localPassword(n.opts.Key, p.ID), Account: acc,
			AllowedConnectionTypes: map[string]struct{}{"IN_PROCESS": {}},
		})
		deny := denyImports(c.Node, p.ID)
		if p.Link.Dial == "" {
			// An account user limited to leaf connections, not a leafnodes{authorization}
			// user: the server applies permissions to the former only. They read from the
			// leaf's side: what it may publish is what it may send in.
			opts.Users = append(opts.Users, &server.User{
				Username: p.Link.CertName, Password: p.Link.Secret, Account: acc,
				Permissions:            &server.Permissions{Publish: &server.SubjectPermission{Deny: deny}},
				AllowedConnectionTypes: map[string]struct{}{"LEAFNODE": {}},
			})
			continue
		}
		u, err := url.Parse(p.Link.Dial)
		if err != nil || u.Host == "" {
			return fmt.Errorf("federation: partner %s: dial %q: not a URL", p.ID, p.Link.Dial)
		}
		u.User = url.UserPassword(c.Node, p.Link.Secret)
		cl := tlsClient.Clone()
		cl.ServerName = p.Link.ServerName
		if cl.ServerName == "" {
			cl.ServerName = u.Hostname()
		}
		cl.VerifyConnection = peerNamed(p.Link.CertName)
		opts.LeafNode.Remotes = append(opts.LeafNode.Remotes, &server.RemoteLeafOpts{
			LocalAccount: account(p.ID), URLs: []*url.URL{u}, TLS: true, TLSConfig: cl, TLSTimeout: 5, DenyImports: deny,
		})
	}
	// Leaf connections authenticate against opts.Users (always non-empty: the local
	// users), so none is admitted without a partner's user and secret.
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("federation: embedded NATS: %w", err)
	}
	srv.SetLogger(&natsLog{n: n, seen: map[string]time.Time{}}, false, false)
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return errors.New("federation: embedded NATS did not start in 10 s")
	}
	n.srv = srv
	return nil
}

// peerNamed checks that the partner's server certificate (verified against the CA
// already) names the partner.
func peerNamed(name string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 || !slices.Contains(certNames(cs.PeerCertificates[0]), name) {
			return fmt.Errorf("the partner's certificate does not name %q", name)
		}
		return nil
	}
}

// denyImports lists what a partner may not send into the account this node keeps for
// it: the JetStream API that administers streams and the account (so that it cannot
// delete, purge or reconfigure this node's streams), every API call and acknowledgement on
// the stream of what this node received from it (so that it cannot make the node skip
// events), and publications into this node's outgoing subjects. What sourcing needs
// stays open: creating and deleting consumers on OUT_<self>, flow control, and replies.
func denyImports(self, partner string) []string {
	in := inStream(partner)
	deny := []string{"$JS.ACK." + in + ".>", "fed.ev." + self + ".>"}
	// The domain's form, as a partner sends it, and the local form too (a partner has no
	// business with this node's API under either name).
	for _, api := range []string{"$JS." + self + ".API.", "$JS.API."} {
		deny = append(deny, api+"STREAM.>", api+"ACCOUNT.>", api+"META.>", api+"SERVER.>",
			api+"CONSUMER.*."+in, api+"CONSUMER.*."+in+".>", api+"CONSUMER.*.*."+in+".>")
	}
	return deny
}

// localPassword derives the password of the node's own in-process user for a partner's
// account: never written anywhere, the same at every start.
func localPassword(k ed25519.PrivateKey, partner string) string {
	sig := ed25519.Sign(k, []byte("biomesh-federation-local-user\x00"+partner))
	return fmt.Sprintf("%x", sig[:24])
}

// listenAddr splits host:port; port 0 picks a free port now, so that the address can be
// given to partners (and kept across a restart of the server by the caller).
func listenAddr(s string) (string, int, error) {
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	var port int
	if _, err := fmt.Sscan(ps, &port); err != nil {
		return "", 0, err
	}
	if port == 0 {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", 0, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	return host, port, nil
}

func loadTLS(f TLSFiles) (srv, cl *tls.Config, err error) {
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return nil, nil, errors.New("nats.tls: cert, key and ca are required for links between nodes (mutual TLS)")
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("nats.tls: %w", err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("nats.tls: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("nats.tls: %s: no certificate", f.CA)
	}
	srv = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13}
	cl = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS13}
	return srv, cl, nil
}

// LeafAddr is where partners' leaf connections are accepted ("" when none).
func (n *Node) LeafAddr() string { return n.leaf }

// Linked reports whether the leaf link with a partner is up.
//
// With an external NATS server, whose links this node cannot see, Linked asks the
// partner's JetStream (account information, through the link) and waits up to 1 s.
func (n *Node) Linked(partner string) bool {
	if n.srv == nil {
		l := n.links[partner]
		if l == nil {
			return false
		}
		_, err := l.nc.Request("$JS."+partner+".API.INFO", nil, time.Second)
		return err == nil
	}
	lz, err := n.srv.Leafz(&server.LeafzOptions{Account: account(partner)})
	return err == nil && len(lz.Leafs) > 0
}

// connect opens the node's in-process connection into a partner's account, makes the
// streams and starts applying what arrives.
func (n *Node) connect(ctx context.Context, p *Partner) error {
	copts := []nats.Option{nats.Name("biomesh-federation-" + n.cfg.Node), nats.MaxReconnects(-1)}
	addr := ""
	if n.srv != nil {
		copts = append(copts, nats.InProcessServer(n.srv), nats.UserInfo("local-"+p.ID, localPassword(n.opts.Key, p.ID)))
	} else {
		addr = n.cfg.NATS.URL
		copts = append(copts, nats.UserInfo(p.Link.User, p.Link.Password))
		if f := n.cfg.NATS.TLS; f.CA != "" {
			_, cl, err := loadTLS(f)
			if err != nil {
				return err
			}
			copts = append(copts, nats.Secure(cl))
		}
	}
	nc, err := nats.Connect(addr, copts...)
	if err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return err
	}
	l := &link{p: p, nc: nc, js: js, limit: newBucket(p.QueryRate, p.QueryBurst)}
	n.links[p.ID] = l
	retention := time.Duration(n.cfg.NATS.Retention)
	if retention <= 0 {
		retention = 30 * 24 * time.Hour
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: outStream(n.cfg.Node), Subjects: []string{"fed.ev." + n.cfg.Node + ".>"},
		Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy, MaxAge: retention,
		Duplicates: 10 * time.Minute,
	}); err != nil {
		return fmt.Errorf("stream %s: %w", outStream(n.cfg.Node), err)
	}
	// The stream starts without its source: link watches the link and adds the source
	// when it is up (see source).
	l.inCfg = jetstream.StreamConfig{
		Name: inStream(p.ID), Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy, MaxAge: retention,
	}
	in, err := js.CreateOrUpdateStream(ctx, l.inCfg)
	if err != nil {
		return fmt.Errorf("stream %s: %w", inStream(p.ID), err)
	}
	cons, err := in.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "apply", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 512,
	})
	if err != nil {
		return fmt.Errorf("consumer on %s: %w", inStream(p.ID), err)
	}
	// The handler runs for one message at a time, in stream order, and never gives a
	// message back (see retry): events of one origin are applied in the order they were
	// published, with many in flight.
	if l.cc, err = cons.Consume(func(m jetstream.Msg) { n.receive(l, m) }); err != nil {
		return err
	}
	for subj, h := range map[string]nats.MsgHandler{
		"fed.q." + n.cfg.Node + ".hit-no-hit": func(m *nats.Msg) { n.answerQuery(l, m) },
		"fed.q." + n.cfg.Node + ".follow-up":  func(m *nats.Msg) { n.answerFollowUp(l, m) },
	} {
		s, err := nc.Subscribe(subj, h)
		if err != nil {
			return err
		}
		l.subs = append(l.subs, s)
	}
	return nc.Flush()
}

// Shutdown stops the handlers and the embedded server. What was published is on disk in
// the streams and leaves when the node starts again.
func (n *Node) Shutdown() {
	select {
	case <-n.stop:
		return
	default:
	}
	close(n.stop)
	n.wg.Wait()
	for _, l := range n.links {
		if l.cc != nil {
			l.cc.Stop()
		}
		for _, s := range l.subs {
			s.Unsubscribe()
		}
		l.nc.Drain()
	}
	for _, l := range n.links {
		for l.nc.IsDraining() {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
}

// Publish sends what each partner may see of a committed change: one signed event per
// partner its agreements allow, stored in that partner's outgoing stream before Publish
// returns (and delivered when the link is up). It returns the events sent.
func (n *Node) Publish(ctx context.Context, ch Change) ([]*Event, error) {
	evs := n.cfg.Outgoing(ch, n.now())
	for _, ev := range evs {
		if err := n.send(ctx, ev); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

func (n *Node) send(ctx context.Context, ev *Event) error {
	l := n.links[ev.To]
	if l == nil {
		return fmt.Errorf("federation: %s is not a partner", ev.To)
	}
	data, err := seal(n.cfg.Node, n.opts.Key, ctxEvent, ev)
	if err != nil {
		return err
	}
	if _, err := l.js.Publish(ctx, "fed.ev."+n.cfg.Node+"."+string(ev.Kind), data, jetstream.WithMsgID(ev.ID)); err != nil {
		return fmt.Errorf("federation: publishing %s %s to %s: %w", ev.Kind, ev.Ref, ev.To, err)
	}
	return nil
}

func (n *Node) keyOf(id string) ed25519.PublicKey {
	if p := n.cfg.Partner(id); p != nil {
		return p.key
	}
	return nil
}

// audit writes an entry; a failure is logged (the action it records has been refused or
// done already and cannot be undone here).
func (n *Node) audit(ctx context.Context, e audit.Entry) {
	e.Time = n.now()
	if err := n.opts.Audit.Audit(ctx, &e); err != nil {
		n.log.Error("federation: audit", "action", e.Action, "err", err)
	}
}

func partnerEntry(partner, purpose, action, target, result string) audit.Entry {
	return audit.Entry{User: "partner:" + partner, Org: partner, Role: "partner", Purpose: purpose, Action: action, Target: target, Result: result}
}

// receive applies one message from a partner's stream. Rejections are audited and the
// message is acknowledged, so that a bad event is neither applied nor retried; a failure of
// the State is retried.
func (n *Node) receive(l *link, m jetstream.Msg) {
	ctx := context.Background()
	meta, err := m.Metadata()
	if err != nil {
		m.Term()
		return
	}
	seq := meta.Sequence.Stream
	reject := func(ev *Event, reason string) {
		purpose, target := "", ""
		if ev != nil {
			purpose, target = ev.Purpose, ev.Ref
		}
		n.log.Warn("federation: event rejected", "partner", l.p.ID, "seq", seq, "reason", reason)
		n.audit(ctx, partnerEntry(l.p.ID, purpose, "federation.event", target, "rejected: "+reason))
		m.Term()
	}
	var ev Event
	signer, err := open(m.Data(), ctxEvent, n.keyOf, &ev)
	switch {
	case err != nil:
		reject(nil, err.Error())
		return
	case signer != l.p.ID || ev.Origin != signer:
		reject(&ev, fmt.Sprintf("signed by %q for origin %q in %s's stream", signer, ev.Origin, l.p.ID))
		return
	}
	if err := n.cfg.checkIncoming(&ev, n.now()); err != nil {
		reject(&ev, err.Error())
		return
	}
	var at uint64
	var ok bool
	if !n.retry(m, func() (err error) { at, ok, err = n.opts.State.AppliedAt(ctx, ev.Origin, ev.ID); return err }) {
		return
	}
	if ok {
		if at == seq { // applied, then the acknowledgement was lost
			n.redelivered.Add(1)
			m.Ack()
			return
		}
		reject(&ev, fmt.Sprintf("replay of event %s (applied at sequence %d)", ev.ID, at))
		return
	}
	a := Applied{Event: &ev, Seq: seq}
	switch ev.Kind {
	case KindEnrol, KindUpdate:
		a.Put = received(&ev)
	case KindDelete, KindWithdraw:
		a.Erase = true
	case KindFollowUp:
		f, err := n.opts.State.FollowUp(ctx, idOrEmpty(ev.FollowUp))
		if err != nil || f.Direction != Outgoing || f.Partner != ev.Origin || f.Ref != ev.Ref || f.State != Pending {
			reject(&ev, "answer to no pending follow-up request of this node")
			return
		}
		if !ev.FollowUp.State.final() {
			reject(&ev, fmt.Sprintf("follow-up answer in state %q", ev.FollowUp.State))
			return
		}
		f.State, f.Note, f.DecidedAt = ev.FollowUp.State, ev.FollowUp.Note, ev.Time
		if f.State == Released {
			a.Put = received(&ev)
		}
		a.FollowUp = f
	}
	if !n.retry(m, func() error { return n.opts.State.Apply(ctx, a) }) {
		return
	}
	n.audit(ctx, partnerEntry(l.p.ID, ev.Purpose, "federation.event", ev.Ref, "accepted "+string(ev.Kind)))
	if n.opts.OnEvent != nil {
		n.opts.OnEvent(ctx, &ev)
	}
	m.Ack()
}

// retry runs a State operation until it succeeds, holding the message meanwhile, so
// that a failing State delays events but never reorders them (a negative acknowledgement
// would let the events behind this one be applied first). It returns false when the node
// is stopping; the message is then delivered again after the restart.
func (n *Node) retry(m jetstream.Msg, f func() error) bool {
	for {
		err := f()
		if err == nil {
			return true
		}
		n.log.Error("federation: state", "err", err)
		m.InProgress()
		select {
		case <-n.stop:
			return false
		case <-time.After(time.Second):
		}
	}
}

func idOrEmpty(f *FollowUpAnswer) string {
	if f == nil {
		return ""
	}
	return f.Request
}

func received(ev *Event) *Received {
	return &Received{
		Origin: ev.Origin, Ref: ev.Ref, Purpose: ev.Purpose, Level: ev.Level, Category: ev.Category,
		Watch: ev.Watch, Person: ev.Person, Samples: ev.Samples, Updated: ev.Time, Event: ev.ID,
	}
}

func (n *Node) sweepLoop() {
	defer n.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if err := n.Sweep(context.Background()); err != nil {
			n.log.Error("federation: follow-up sweep", "err", err)
		}
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
	}
}
