package federation

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/store"
)

func readExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/hq.yaml")
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "border.secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(data), "/etc/biomesh/federation/border.secret", secret)
}

func TestParseConfigExample(t *testing.T) {
	c, err := ParseConfig("hq.yaml", []byte(readExample(t)))
	if err != nil {
		t.Fatal(err)
	}
	b := c.Partner("border")
	if c.Node != "hq" || b == nil || b.Link.Secret != "0123456789abcdef0123" || len(b.key) != 32 ||
		time.Duration(c.FollowUpTTL) != 336*time.Hour || time.Duration(c.NATS.Retention) != 720*time.Hour {
		t.Fatalf("%+v", c)
	}
	a := b.Send[0]
	if a.Level != Templates || a.Expires.Format(time.DateOnly) != "2027-06-30" || a.Modalities[1] != store.Face || a.WatchLevels[0] != store.WatchAlert {
		t.Fatalf("%+v", a)
	}
	if h := c.Partner("interpol-hub"); h.Link.Dial != "tls://hub.example.org:7422" || !h.Send[0].Expires.Equal(time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)) ||
		h.Link.CertName != "interpol-hub" || h.QueryRate != 20 || h.QueryBurst != 40 {
		t.Fatalf("%+v", h) // the defaults
	}
	if b.Link.CertName != "border" || b.QueryRate != 20 || b.QueryBurst != 40 {
		t.Fatalf("%+v", b)
	}
}

func TestParseConfigErrors(t *testing.T) {
	base := readExample(t)
	for _, c := range []struct{ name, from, to, want string }{
		{"unknown field", "level: templates", "levle: templates", "field levle not found"},
		{"bad level", "level: templates", "level: everything", `level "everything"`},
		{"empty list", "categories: [suspect, detainee]", "categories: []", "at least one"},
		{"no expiry", "        expires: 2027-06-30\n    receive", "    receive", "expires: missing"},
		{"bad watch level", "watch_levels: [alert, detain]", "watch_levels: [alert, hang]", `watch level "hang"`},
		{"bad modality", "modalities: [finger, face]", "modalities: [finger, smell]", `modality "smell"`},
		{"bad key", "public_key: 11qY", "public_key: 11qX0", "public_key"},
		{"short secret", "secret: 7bd1c0f3a6e24e0f9b1d", "secret: short", "at least 16"},
		{"bad node", "node: hq", "node: h.q", `node "h.q"`},
		{"partner is self", "id: border", "id: hq", "listed twice or same as this node"},
		{"no purpose", "- purpose: border-control\n        level: templates", "- level: templates", "purpose: missing"},
		{"external NATS without credentials", "nats:\n  store_dir", "nats:\n  url: nats://nats.internal:4222\n  store_dir", "link user and password"},
		{"bad duration", "follow_up_ttl: 336h", "follow_up_ttl: fortnight", "invalid duration"},
		{"certificate name twice", "cert_name: border", "cert_name: interpol-hub", `cert_name "interpol-hub": also`},
		{"reserved certificate name", "cert_name: border", "cert_name: local-hq", "the node's own"},
		{"negative rate", "query_rate: 20", "query_rate: -1", "want ≥ 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := strings.Replace(base, c.from, c.to, 1)
			if s == base {
				t.Fatalf("%q not in the example", c.from)
			}
			_, err := ParseConfig("hq.yaml", []byte(s))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to say %q", err, c.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	data, err := os.ReadFile("testdata/hq.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"node": "a", "partners": [{"id": "b"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig("fuzz", b)
		if err == nil && !idRe.MatchString(c.Node) {
			t.Fatalf("accepted node %q", c.Node)
		}
	})
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	pub, err := GenerateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &Config{Node: "a", Partners: []Partner{{ID: "b", PublicKey: pub, Link: Link{Secret: "0123456789abcdef"}}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	data, err := seal("a", k, ctxEvent, Event{ID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if _, err := open(data, ctxEvent, func(string) ed25519.PublicKey { return c.Partners[0].key }, &ev); err != nil || ev.ID != "x" {
		t.Fatalf("%+v %v", ev, err)
	}
	// A signature over an event does not pass for one over a query.
	if _, err := open(data, ctxQuery, func(string) ed25519.PublicKey { return c.Partners[0].key }, &ev); err == nil {
		t.Fatal("event signature accepted as a query's")
	}
}
