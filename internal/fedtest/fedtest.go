// Package fedtest builds federation configurations for tests: two nodes on loopback,
// "hq" and "border", with certificates from a test CA, signing keys and one sharing
// agreement. Starting them (with or without a biomesh node around them) is the caller's.
package fedtest

import (
	"crypto/ed25519"
	"encoding/base64"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/internal/testpki"
	"github.com/biomesh/biomesh/store"
)

// Purpose is the purpose code of the pair's agreement.
const Purpose = "border-control"

// Side is one node's configuration and key.
type Side struct {
	Config *federation.Config
	Key    ed25519.PrivateKey
}

// Pair returns hq and border: border dials hq over mutual TLS; hq sends border the
// templates of detainees at watch level alert or detain, and answers its queries, for
// Purpose, for a year.
func Pair(t testing.TB) (hq, border Side) {
	t.Helper()
	ca := testpki.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leaf := l.Addr().String()
	l.Close()
	sides := map[string]*Side{}
	pub := map[string]string{}
	for i, id := range []string{"hq", "border"} {
		_, k, _ := ed25519.GenerateKey(nil)
		pub[id] = base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey))
		cert, key := ca.Issue(t, id, int64(10+i))
		sides[id] = &Side{Key: k, Config: &federation.Config{Node: id, NATS: federation.NATS{StoreDir: t.TempDir(),
			TLS: federation.TLSFiles{Cert: cert, Key: key, CA: ca.CAFile}}}}
	}
	sides["hq"].Config.NATS.LeafListen = leaf
	agreement := []federation.Agreement{{Purpose: Purpose, Level: federation.Templates,
		Categories: []string{"detainee"}, WatchLevels: []store.WatchLevel{store.WatchAlert, store.WatchDetain},
		Modalities: []store.Modality{store.Finger}, Expires: time.Now().Add(365 * 24 * time.Hour)}}
	secret := "link-secret-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	sides["hq"].Config.Partners = []federation.Partner{{ID: "border", PublicKey: pub["border"], Link: federation.Link{Secret: secret}, Send: agreement}}
	sides["border"].Config.Partners = []federation.Partner{{ID: "hq", PublicKey: pub["hq"],
		Link: federation.Link{Dial: "tls://" + leaf, Secret: secret, ServerName: "hq"}, Receive: agreement}}
	for _, s := range sides {
		if err := s.Config.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	return *sides["hq"], *sides["border"]
}
