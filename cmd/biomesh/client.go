package main

// The commands that talk to a running node over its /v1 API: enroll, identify, verify,
// encounter, person, watch, conflicts and alerts. They share --node, --token, --purpose
// and --json (clientOpts) and one small HTTP client (nodeClient).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

const defaultNode = "http://127.0.0.1:8470"

// addClientCmds adds the commands that talk to a running node.
func addClientCmds(root *cobra.Command) {
	o := &clientOpts{}
	root.AddCommand(
		o.with(newEnrollCmd(o)),
		o.with(newIdentifyCmd(o)),
		o.with(newVerifyCmd(o)),
		o.with(newEncounterCmd(o)),
		o.with(newPersonCmd(o)),
		o.with(newWatchCmd(o)),
		o.with(newConflictsCmd(o)),
		o.with(newAlertsCmd(o)),
		o.with(newImportCmd(o)),
		o.with(newExportCmd(o)),
		o.with(newPartnerCmd(o)),
		o.with(newFollowUpsCmd(o)),
	)
}

// clientOpts are the flags every client command takes.
type clientOpts struct {
	node, token, purpose string
	ca, cert, key        string
	json                 bool
}

// with adds the shared flags to c (persistent, so that subcommands such as
// "person show" take them too) and returns c.
func (o *clientOpts) with(c *cobra.Command) *cobra.Command {
	f := c.PersistentFlags()
	f.StringVar(&o.node, "node", "", "URL of the node (default $BIOMESH_NODE, else "+defaultNode+")")
	f.StringVar(&o.token, "token", "", "API token (default $BIOMESH_TOKEN)")
	f.StringVar(&o.purpose, "purpose", "", "why the request is made (sent as X-Biomesh-Purpose, recorded in the audit log)")
	f.BoolVar(&o.json, "json", false, "print the node's JSON response instead of a summary")
	f.StringVar(&o.ca, "ca", "", "PEM file of the CA that signed the node's certificate, when not a system root (default $BIOMESH_CA)")
	f.StringVar(&o.cert, "cert", "", "PEM client certificate, for nodes that require one (default $BIOMESH_CERT)")
	f.StringVar(&o.key, "key", "", "PEM private key of --cert (default $BIOMESH_KEY)")
	return c
}

// client resolves the flags and environment into a client for cmd.
func (o *clientOpts) client(cmd *cobra.Command) (*nodeClient, error) {
	node := o.node
	if node == "" {
		node = os.Getenv("BIOMESH_NODE")
	}
	if node == "" {
		node = defaultNode
	}
	if !strings.Contains(node, "://") {
		node = "http://" + node
	}
	u, err := url.Parse(node)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--node %q: not an http:// or https:// URL", node)
	}
	tok := strings.TrimSpace(o.token)
	if tok == "" {
		tok = strings.TrimSpace(os.Getenv("BIOMESH_TOKEN"))
	}
	if tok == "" {
		return nil, errors.New("no API token: give --token or set BIOMESH_TOKEN (an admin creates tokens with POST /v1/users or `biomesh user add`)")
	}
	tlsCfg, err := clientTLS(orEnv(o.ca, "BIOMESH_CA"), orEnv(o.cert, "BIOMESH_CERT"), orEnv(o.key, "BIOMESH_KEY"))
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	return &nodeClient{
		base:    strings.TrimRight(u.String(), "/"),
		token:   tok,
		purpose: o.purpose,
		http:    &http.Client{Timeout: 5 * time.Minute, Transport: tr},
		out:     cmd.OutOrStdout(),
		json:    o.json,
	}, nil
}

// orEnv returns v, or the environment variable env when v is empty.
func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}

// nodeClient sends requests to one node with one token.
type nodeClient struct {
	base, token, purpose string
	http                 *http.Client
	out                  io.Writer
	json                 bool // print raw responses
}

// apiError is a node's error answer.
type apiError struct {
	method, path string
	status       int
	msg          string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.method, e.path, e.status, http.StatusText(e.status), e.msg)
}

func (c *nodeClient) request(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "biomesh-cli")
	if c.purpose != "" {
		req.Header.Set("X-Biomesh-Purpose", c.purpose)
	}
	return req, nil
}

// send makes one request and returns the response for the caller to read; an error answer
// is read and returned as an *apiError.
func (c *nodeClient) send(req *http.Request) (*http.Response, error) {
	res, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("cannot reach the node at %s (--node or BIOMESH_NODE): %w", c.base, err)
	}
	if res.StatusCode < 300 {
		return res, nil
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(data))
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		msg = e.Error
	} else if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return nil, &apiError{method: req.Method, path: req.URL.Path, status: res.StatusCode, msg: msg}
}

// call sends a JSON request and decodes the JSON answer into out. With --json the raw
// answer is printed as well, and the caller prints no summary (see printed).
func (c *nodeClient) call(ctx context.Context, method, path string, body, out any) error {
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	res, err := c.send(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if c.json {
		c.out.Write(data)
		if !bytes.HasSuffix(data, []byte("\n")) {
			fmt.Fprintln(c.out)
		}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: unexpected answer %q: %w", method, path, truncate(data, 200), err)
		}
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// pathID escapes an identifier for a URL path.
func pathID(id string) string { return url.PathEscape(id) }

// when formats a time for tables: UTC, to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// orDash returns s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
