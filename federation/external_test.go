package federation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/biomesh/biomesh/store"
)

// A node on an external NATS server (nats.url) that its operator configured as the
// embedded one would be: events both ways across the leaf link, and queries.
func TestExternalNATS(t *testing.T) {
	w := newWorld(t, "hq", "border")
	w.link("border", "hq", "", []Agreement{agree(Templates, "border-control")}, []Agreement{agree(Templates, "border-control")})
	hqCfg := w.cfgs["hq"]
	ext := startExternal(t, hqCfg.NATS.TLS, hqCfg.NATS.LeafListen, w.cfgs["border"].Partners[0].Link.Secret, t.TempDir(), -1)
	t.Cleanup(ext.Shutdown)

	hqCfg.NATS = NATS{URL: ext.ClientURL()}
	hqCfg.Partners[0].Link = Link{User: "hq-node", Password: "node-password-123"}
	hq, border := w.start("hq"), w.start("border")
	border.waitLinked("hq")
	ctx := context.Background()

	if _, err := hq.Publish(ctx, hq.enrol("P-1", "N", "suspect", store.WatchAlert, []byte("T1"))); err != nil {
		t.Fatal(err)
	}
	if e := border.wait(1, 15*time.Second)[0]; e.Ref != "hq/P-1" {
		t.Fatalf("%+v", e)
	}
	if _, err := border.Publish(ctx, border.enrol("B-1", "N", "detainee", store.WatchDetain, []byte("T2"))); err != nil {
		t.Fatal(err)
	}
	if e := hq.wait(1, 15*time.Second)[0]; e.Ref != "border/B-1" {
		t.Fatalf("%+v", e)
	}
	if !hq.Linked("border") {
		t.Error("hq does not see the link")
	}
	a, err := border.Query(ctx, "hq", "border-control", []Probe{{Modality: store.Finger, Template: []byte("T1")}}, Caller{User: "g"})
	if err != nil || !a.Hit || a.Ref != "hq/P-1" {
		t.Fatalf("%+v, %v", a, err)
	}
}

// startExternal starts an external NATS server for hq (whose partner is border, linked
// with secret) as its operator would configure it, listening for clients on port (-1 for
// any) and for border's leaf connection at leaf, with hq's certificate.
func startExternal(t testing.TB, certs TLSFiles, leaf, secret, storeDir string, port int) *server.Server {
	t.Helper()
	conf := fmt.Sprintf("server_name: ext-hq\nlisten: \"127.0.0.1:%d\"\njetstream { store_dir: %q, domain: hq }\n"+
		"accounts { \"link-border\": { jetstream: enabled, users: [{user: hq-node, password: node-password-123}] } }\n", port, storeDir)
	opts := &server.Options{}
	if err := opts.ProcessConfigString(conf); err != nil {
		t.Fatal(err)
	}
	opts.NoSigs, opts.NoLog = true, true
	var acc *server.Account
	for _, a := range opts.Accounts {
		if a.Name == "link-border" {
			acc = a
		}
	}
	opts.Users = append(opts.Users, &server.User{
		Username: "border", Password: secret, Account: acc,
		Permissions:            &server.Permissions{Publish: &server.SubjectPermission{Deny: denyImports("hq", "border")}},
		AllowedConnectionTypes: map[string]struct{}{"LEAFNODE": {}},
	})
	host, lport, err := listenAddr(leaf)
	if err != nil {
		t.Fatal(err)
	}
	tlsServer, _, err := loadTLS(certs)
	if err != nil {
		t.Fatal(err)
	}
	opts.LeafNode.Host, opts.LeafNode.Port, opts.LeafNode.TLSConfig, opts.LeafNode.NoAdvertise = host, lport, tlsServer, true
	ext, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ext.Start()
	if !ext.ReadyForConnections(10 * time.Second) {
		t.Fatal("external server not ready")
	}
	return ext
}
