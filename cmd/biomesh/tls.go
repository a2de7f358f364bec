package main

// TLS for the node and its clients: `serve --tls-cert/--tls-key` serves HTTPS, with
// `--tls-client-ca` it also requires client certificates (mutual TLS); client commands
// trust a private CA with --ca and present a certificate with --cert/--key.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// reloadingCert serves a certificate and key from files, reading them again when either
// file changes, so that a renewed certificate takes effect without a restart. A renewal
// that cannot be read (half-written, mismatched) keeps the previous pair in use.
type reloadingCert struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	certMod, keyMod   time.Time
}

func newReloadingCert(certFile, keyFile string) (*reloadingCert, error) {
	r := &reloadingCert{certFile: certFile, keyFile: keyFile}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *reloadingCert) load() error {
	ci, err := os.Stat(r.certFile)
	if err != nil {
		return fmt.Errorf("--tls-cert: %w", err)
	}
	ki, err := os.Stat(r.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-key: %w", err)
	}
	if r.cert != nil && ci.ModTime().Equal(r.certMod) && ki.ModTime().Equal(r.keyMod) {
		return nil
	}
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert %s / --tls-key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.certMod, r.keyMod = &c, ci.ModTime(), ki.ModTime()
	return nil
}

func (r *reloadingCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.load() // on failure the last good pair stays in use
	return r.cert, nil
}

// certPool reads PEM certificates from file for flag.
func certPool(flag, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in the file", flag, file)
	}
	return pool, nil
}

// serverTLS returns the node's TLS configuration, or nil when no certificate is given.
func serverTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		if clientCA != "" {
			return nil, errors.New("--tls-client-ca needs --tls-cert and --tls-key")
		}
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	rc, err := newReloadingCert(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: rc.get}
	if clientCA != "" {
		if cfg.ClientCAs, err = certPool("--tls-client-ca", clientCA); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// clientTLS returns the client's TLS configuration: the system roots plus the CA in caFile
// when given, and a client certificate when certFile and keyFile are given.
func clientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := certPool("--ca", caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--cert and --key go together")
	}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--cert %s / --key %s: %w", certFile, keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}
