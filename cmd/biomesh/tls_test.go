package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomesh/biomesh/internal/testpki"
)

// servedSerial returns the serial number of the certificate the node at addr presents.
func servedSerial(t *testing.T, addr string, roots *x509.CertPool, client tls.Certificate) int64 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{client}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// A node started with --tls-cert, --tls-key and --tls-client-ca serves HTTPS only to
// clients with a certificate from that CA; client commands reach it with --ca, --cert and
// --key; a renewed certificate is served without a restart.
func TestServeMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.New(t)
	caFile := ca.CAFile
	srvCert, srvKey := ca.Issue(t, "node", 2)
	cliCert, cliKey := ca.Issue(t, "officer", 3)

	addr := freePort(t)
	tokFile := filepath.Join(dir, "admin.token")
	cmd := exec.Command(biomeshBinary(t), "serve", "--data", filepath.Join(dir, "data"), "--listen", addr,
		"--admin-token-file", tokFile, "--tls-cert", srvCert, "--tls-key", srvKey, "--tls-client-ca", caFile)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	pair, err := tls.LoadX509KeyPair(cliCert, cliKey)
	if err != nil {
		t.Fatal(err)
	}
	https := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, err := https.Get("https://" + addr + "/v1/health")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "https://"+addr) {
		t.Errorf("the node does not announce its https:// address:\n%s", logs.String())
	}
	tok, _ := os.ReadFile(tokFile)
	token := strings.TrimSpace(string(tok))

	node := "https://" + addr
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := runCtx(ctx, &out, &errb, "person", "search", "--name", "nobody", "--node", node, "--token", token,
		"--ca", caFile, "--cert", cliCert, "--key", cliKey); err != nil {
		t.Fatalf("person search over mutual TLS: %v\n%s", err, errb.String())
	}
	// Without a client certificate the handshake fails; without the CA the node's
	// certificate is not trusted; plain HTTP is not served.
	if err := runCtx(ctx, &out, &errb, "person", "search", "--name", "x", "--node", node, "--token", token, "--ca", caFile); err == nil {
		t.Error("a client without a certificate was served")
	}
	if err := runCtx(ctx, &out, &errb, "person", "search", "--name", "x", "--node", node, "--token", token,
		"--cert", cliCert, "--key", cliKey); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the CA: %v, want a certificate error", err)
	}
	if res, err := http.Get("http://" + addr + "/v1/health"); err == nil {
		if res.StatusCode < 400 {
			t.Errorf("plain HTTP answered %s", res.Status)
		}
		res.Body.Close()
	}

	// Renewal: a new certificate written over the old files is served to new connections.
	if got := servedSerial(t, addr, roots, pair); got != 2 {
		t.Fatalf("served certificate serial %d, want 2", got)
	}
	ca.Issue(t, "node", 4)
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(srvCert, later, later)
	os.Chtimes(srvKey, later, later)
	if got := servedSerial(t, addr, roots, pair); got != 4 {
		t.Errorf("after renewal the node serves serial %d, want 4", got)
	}
}

func TestTLSFlagErrors(t *testing.T) {
	for _, c := range []struct {
		cert, key, ca, want string
	}{
		{"a.crt", "", "", "go together"},
		{"", "", "ca.pem", "needs --tls-cert"},
		{"missing.crt", "missing.key", "", "--tls-cert"},
	} {
		_, err := serverTLS(c.cert, c.key, c.ca)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serverTLS(%q, %q, %q) = %v, want an error with %q", c.cert, c.key, c.ca, err, c.want)
		}
	}
	bad := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := clientTLS(bad, "", ""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("clientTLS with a non-PEM CA file: %v", err)
	}
}
