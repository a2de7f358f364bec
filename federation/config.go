package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/biomesh/biomesh/store"
)

// Level is how much of a record an agreement lets through.
type Level string

// Levels, from least to most. A level includes everything the levels below it allow.
const (
	// HitNoHit: nothing is pushed; the partner may only ask hit/no-hit queries (and
	// follow-up requests, which a human approves).
	HitNoHit Level = "hit-no-hit"
	// Templates: reference number, category, watch level and the templates of the agreed
	// modalities; no names, no biographic data, no images.
	Templates Level = "templates"
	// Full: the biographic record, templates and images of the agreed modalities.
	Full Level = "full"
)

func (l Level) rank() int {
	switch l {
	case HitNoHit:
		return 1
	case Templates:
		return 2
	case Full:
		return 3
	}
	return 0
}

// Agreement is one sharing agreement with a partner in one direction. Lists are
// allow-lists: a person, watch level or modality not listed is not shared, and an empty
// list is refused by Validate, so that no agreement is broader than it reads.
type Agreement struct {
	Purpose     string             `yaml:"purpose"`      // purpose code, e.g. "border-control"
	Level       Level              `yaml:"level"`        // hit-no-hit | templates | full
	Categories  []string           `yaml:"categories"`   // person categories (store.Categories)
	WatchLevels []store.WatchLevel `yaml:"watch_levels"` // none | monitor | alert | detain
	Modalities  []store.Modality   `yaml:"modalities"`   // finger | face | iris | dna
	Expires     time.Time          `yaml:"expires"`      // RFC 3339 or YYYY-MM-DD; allows nothing from then on
}

// Active reports whether the agreement is in force at now.
func (a *Agreement) Active(now time.Time) bool { return now.Before(a.Expires) }

// covers reports whether the agreement, in force at now, covers a person of this category
// and watch level.
func (a *Agreement) covers(category string, watch store.WatchLevel, now time.Time) bool {
	if watch == "" {
		watch = store.WatchNone
	}
	return a.Active(now) && slices.Contains(a.Categories, category) && slices.Contains(a.WatchLevels, watch)
}

// Link says how this node's NATS server reaches a partner's. Exactly one side of a pair
// dials (Dial set); the other accepts the partner's leaf connection. Both sides hold the
// same Secret. The accepting side admits a leaf connection into the account it keeps for
// a partner only when its TLS client certificate names that partner (CertName) and it
// presents that partner's Secret: the certificate, not a name the connection claims,
// decides whose account it enters, so a partner holding another's secret gets nowhere.
// The dialling side likewise accepts only a server certificate that names the partner.
type Link struct {
	Dial       string `yaml:"dial,omitempty"` // e.g. tls://hq.example:7422; empty to accept
	Secret     string `yaml:"secret,omitempty"`
	SecretFile string `yaml:"secret_file,omitempty"`
	// ServerName is the name expected in the partner's certificate when dialling
	// (default: the host of Dial).
	ServerName string `yaml:"server_name,omitempty"`
	// CertName is the name that identifies the partner in its certificate: a DNS, e-mail
	// or URI subject alternative name, or the subject's distinguished name as NATS writes
	// it (e.g. "CN=border,O=Border Police"). Default: the partner's ID. Names must differ
	// between partners.
	CertName string `yaml:"cert_name,omitempty"`
	// User and Password (or PasswordFile) are this node's credentials in the account kept
	// for the partner on an external NATS server (nats.url); unused with the embedded one.
	User         string `yaml:"user,omitempty"`
	Password     string `yaml:"password,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
}

// Partner is another node this node exchanges with.
type Partner struct {
	ID        string      `yaml:"id"`         // the partner's node ID
	PublicKey string      `yaml:"public_key"` // its Ed25519 public key, base64 (std encoding)
	Link      Link        `yaml:"link"`
	Send      []Agreement `yaml:"send"`    // what this node lets go to the partner
	Receive   []Agreement `yaml:"receive"` // what this node accepts from the partner
	// QueryRate is how many requests (hit/no-hit queries and follow-up requests) per
	// second the partner may make on average, and QueryBurst how many at once; beyond
	// them a request is refused as rate-limited (and audited) before any search. Defaults:
	// 20 per second, bursts of twice the rate.
	QueryRate  float64 `yaml:"query_rate,omitempty"`
	QueryBurst int     `yaml:"query_burst,omitempty"`

	key ed25519.PublicKey
}

// TLSFiles names PEM files: this node's certificate and key, and the CA that signs the
// certificates of partners' nodes.
type TLSFiles struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	CA   string `yaml:"ca"`
}

// NATS configures the transport.
type NATS struct {
	// URL, when set, is an external NATS server or cluster to use instead of the embedded
	// one, e.g. tls://nats.internal:4222 (with tls.cert and tls.key as the client
	// certificate when it asks for one, and tls.ca to verify it). Its operator keeps, as
	// the embedded server would: a JetStream domain named after this node, an account per
	// partner with JetStream, this node's user in it (link.user), and the leaf links with
	// their permissions (see denyImports); the partner's JetStream account information
	// ($JS.<partner>.API.INFO) must answer through the link, as it tells the node that
	// the link is up. store_dir, leaf_listen and link.dial are then unused.
	URL string `yaml:"url,omitempty"`
	// StoreDir holds JetStream's files (streams of outgoing and received events).
	StoreDir string `yaml:"store_dir"`
	// LeafListen is where partners' leaf connections are accepted, e.g. "0.0.0.0:7422";
	// empty for none (this node only dials).
	LeafListen string   `yaml:"leaf_listen,omitempty"`
	TLS        TLSFiles `yaml:"tls"`
	// Retention is how long outgoing events are kept for partners whose link is down
	// (default 30 days): a link down for longer loses what is older.
	Retention Duration `yaml:"retention,omitempty"`
}

// Config is a node's federation configuration; see the package documentation for the
// file format.
type Config struct {
	Node     string    `yaml:"node"`     // this node's ID: letters, digits, '-' and '_'
	KeyFile  string    `yaml:"key_file"` // Ed25519 private key (see WriteKey)
	NATS     NATS      `yaml:"nats"`
	Partners []Partner `yaml:"partners"`
	// FollowUpTTL is how long a follow-up request waits for an analyst before it expires
	// (default 14 days).
	FollowUpTTL Duration `yaml:"follow_up_ttl,omitempty"`
}

// Duration is a time.Duration written as in Go ("36h", "90m") in the file.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParseConfig reads a configuration (YAML; JSON is YAML too) and validates it. Unknown
// fields are errors, so that a misspelt restriction is not silently ignored.
func ParseConfig(name string, data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// Validate checks the configuration and decodes partners' keys. Secrets named by file are
// read here.
func (c *Config) Validate() error {
	if !idRe.MatchString(c.Node) {
		return fmt.Errorf("node %q: want 1-64 letters, digits, '-' or '_'", c.Node)
	}
	seen := map[string]bool{c.Node: true}
	certs := map[string]string{}
	for i := range c.Partners {
		p := &c.Partners[i]
		if !idRe.MatchString(p.ID) {
			return fmt.Errorf("partner %q: want 1-64 letters, digits, '-' or '_'", p.ID)
		}
		if seen[p.ID] {
			return fmt.Errorf("partner %s: listed twice or same as this node", p.ID)
		}
		seen[p.ID] = true
		if p.Link.CertName == "" {
			p.Link.CertName = p.ID
		}
		if other, dup := certs[p.Link.CertName]; dup {
			return fmt.Errorf("partner %s: cert_name %q: also %s's", p.ID, p.Link.CertName, other)
		}
		if strings.HasPrefix(p.Link.CertName, "local-") {
			return fmt.Errorf("partner %s: cert_name %q: names starting local- are the node's own", p.ID, p.Link.CertName)
		}
		certs[p.Link.CertName] = p.ID
		switch {
		case p.QueryRate < 0 || p.QueryBurst < 0:
			return fmt.Errorf("partner %s: query_rate and query_burst: want ≥ 0", p.ID)
		case p.QueryRate == 0:
			p.QueryRate = 20
		}
		if p.QueryBurst == 0 {
			p.QueryBurst = max(1, int(2*p.QueryRate))
		}
		k, err := base64.StdEncoding.DecodeString(p.PublicKey)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("partner %s: public_key: want %d bytes in base64", p.ID, ed25519.PublicKeySize)
		}
		p.key = ed25519.PublicKey(k)
		if p.Link.SecretFile != "" {
			b, err := os.ReadFile(p.Link.SecretFile)
			if err != nil {
				return fmt.Errorf("partner %s: secret_file: %w", p.ID, err)
			}
			p.Link.Secret = string(bytes.TrimSpace(b))
		}
		if p.Link.PasswordFile != "" {
			b, err := os.ReadFile(p.Link.PasswordFile)
			if err != nil {
				return fmt.Errorf("partner %s: password_file: %w", p.ID, err)
			}
			p.Link.Password = string(bytes.TrimSpace(b))
		}
		if c.NATS.URL != "" {
			if p.Link.User == "" || p.Link.Password == "" {
				return fmt.Errorf("partner %s: link user and password: required with an external NATS (nats.url)", p.ID)
			}
		} else if len(p.Link.Secret) < 16 {
			return fmt.Errorf("partner %s: link secret: want at least 16 characters", p.ID)
		}
		for dir, as := range map[string][]Agreement{"send": p.Send, "receive": p.Receive} {
			for j := range as {
				if err := as[j].validate(); err != nil {
					return fmt.Errorf("partner %s: %s[%d]: %w", p.ID, dir, j, err)
				}
			}
		}
	}
	return nil
}

func (a *Agreement) validate() error {
	if a.Purpose == "" {
		return errors.New("purpose: missing")
	}
	if a.Level.rank() == 0 {
		return fmt.Errorf("level %q: want hit-no-hit, templates or full", a.Level)
	}
	if len(a.Categories) == 0 || len(a.WatchLevels) == 0 || len(a.Modalities) == 0 {
		return errors.New("categories, watch_levels and modalities: each must list at least one")
	}
	for _, w := range a.WatchLevels {
		if w.Severity() < 0 {
			return fmt.Errorf("watch level %q: unknown", w)
		}
	}
	for _, m := range a.Modalities {
		switch m {
		case store.Finger, store.Face, store.Iris, store.DNA:
		default:
			return fmt.Errorf("modality %q: unknown", m)
		}
	}
	if a.Expires.IsZero() {
		return errors.New("expires: missing (every agreement ends)")
	}
	return nil
}

// Partner returns the configured partner with this ID, or nil.
func (c *Config) Partner(id string) *Partner {
	for i := range c.Partners {
		if c.Partners[i].ID == id {
			return &c.Partners[i]
		}
	}
	return nil
}

// GenerateKey makes a new node key and writes its seed to path (mode 0600, base64), for
// `key_file`. The public key to give partners is returned in base64.
func GenerateKey(path string) (string, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(pub), nil
}

// LoadKey reads a key written by GenerateKey.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a base64 Ed25519 seed", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
