package federation

import (
	"context"
	"crypto/x509"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/biomesh/biomesh/audit"
)

// bucket is a token bucket: rate tokens a second, at most burst held.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// allow takes a token if one is left at now.
func (b *bucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// certNames are the names NATS maps a certificate to a user by (verify_and_map): e-mail,
// DNS and URI subject alternative names, and the subject's distinguished name.
func certNames(c *x509.Certificate) []string {
	names := append(slices.Clone(c.EmailAddresses), c.DNSNames...)
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	return append(names, c.Subject.ToRDNSequence().String())
}

// natsLog receives the embedded NATS server's log. Refused leaf connections (a
// certificate that does not name a partner, a secret that is not that partner's, a
// failed TLS handshake) are audited, at most once a minute for the same remote host and
// reason, since a refused partner retries every second.
type natsLog struct {
	n    *Node
	mu   sync.Mutex
	seen map[string]time.Time
}

var (
	leafConn = regexp.MustCompile(`^(\S+?)(:\d+)? - lid\S*:\d+ - (.*)$`)
	refused  = regexp.MustCompile(`authentication error|handshake error|[Aa]uthorization [Vv]iolation`)
)

func (l *natsLog) Errorf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.n.log.Warn("federation: NATS: " + msg)
	m := leafConn.FindStringSubmatch(msg)
	if m == nil || !refused.MatchString(m[3]) {
		return
	}
	key, now := m[1]+" "+m[3], time.Now()
	l.mu.Lock()
	last, ok := l.seen[key]
	if !ok || now.Sub(last) >= time.Minute {
		l.seen[key] = now
	}
	l.mu.Unlock()
	if ok && now.Sub(last) < time.Minute {
		return
	}
	l.n.audit(context.Background(), audit.Entry{User: "federation", Role: "partner", Action: "federation.link",
		Target: m[1], Result: "rejected: leaf connection from " + m[1] + m[2] + ": " + m[3]})
}

func (l *natsLog) Fatalf(format string, v ...any) {
	l.n.log.Error("federation: NATS: " + fmt.Sprintf(format, v...))
}
func (l *natsLog) Noticef(string, ...any) {}
func (l *natsLog) Warnf(string, ...any)   {}
func (l *natsLog) Debugf(string, ...any)  {}
func (l *natsLog) Tracef(string, ...any)  {}
