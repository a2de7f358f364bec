package field

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to the node for a kit: registration, package and lease, sync. Every answer
// is checked for a wipe order, which the client obeys by wiping the kit before returning
// ErrWiped.
type Client struct {
	Kit  *Kit
	HTTP *http.Client // nil: a client with a 5-minute timeout
	// BatchSize is the number of queued items sent per sync request (default 500).
	BatchSize int
	// Purpose is sent as X-Biomesh-Purpose.
	Purpose string
}

// NodeError is an error answer of the node.
type NodeError struct {
	Method, Path string
	Status       int
	Msg          string
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Msg)
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

// do sends a request and returns the body of a 2xx answer.
func (c *Client) do(ctx context.Context, node, token, method, path string, body any) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(node, "/")+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "biomesh-field")
	if c.Purpose != "" {
		req.Header.Set("X-Biomesh-Purpose", c.Purpose)
	}
	res, err := c.http().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<30))
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode/100 == 2 {
		return data, res.Header, nil
	}
	var e struct {
		Error string `json:"error"`
		Wipe  bool   `json:"wipe"`
	}
	json.Unmarshal(data, &e)
	if res.StatusCode == http.StatusGone && e.Wipe {
		if err := c.Kit.Wipe(); err != nil {
			return nil, nil, fmt.Errorf("the node ordered a wipe, which failed: %w", err)
		}
		return nil, nil, fmt.Errorf("%w: %s", ErrWiped, e.Error)
	}
	if e.Error == "" {
		e.Error = strings.TrimSpace(string(data))
	}
	return nil, nil, &NodeError{method, path, res.StatusCode, e.Error}
}

// Register registers this kit as a new device of the admin's organisation and records the
// registration in the kit. role is "screener" or "enroller"; leaseHours and fingers (per
// person in packages) 0 for the node's defaults.
func (c *Client) Register(ctx context.Context, node, adminToken, name, unit, role string, leaseHours, fingers int) (Device, error) {
	if _, err := c.Kit.Device(); err == nil {
		return Device{}, errors.New("field: this kit is already registered; use a new directory for another device")
	} else if !errors.Is(err, ErrNotEnrolled) {
		return Device{}, err
	}
	data, _, err := c.do(ctx, node, adminToken, "POST", "/v1/devices", map[string]any{"name": name, "unit": unit, "role": role, "lease_hours": leaseHours, "fingers": fingers})
	if err != nil {
		return Device{}, err
	}
	var resp struct {
		Device struct {
			ID, Org, Unit string
		} `json:"device"`
		Token   string `json:"token"`
		NodeKey []byte `json:"node_key"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return Device{}, fmt.Errorf("field: registration answer: %w", err)
	}
	d := Device{Node: node, ID: resp.Device.ID, Token: resp.Token, Org: resp.Device.Org, Unit: resp.Device.Unit, NodeKey: resp.NodeKey}
	return d, c.Kit.SetDevice(d)
}

// Pull fetches a fresh package and its lease and installs them.
func (c *Client) Pull(ctx context.Context) (Lease, int, error) {
	d, err := c.Kit.Device()
	if err != nil {
		return Lease{}, 0, err
	}
	sealed, _, err := c.do(ctx, d.Node, d.Token, "GET", "/v1/devices/"+d.ID+"/package", nil)
	if err != nil {
		return Lease{}, 0, err
	}
	l, err := c.lease(ctx, d)
	if err != nil {
		return Lease{}, 0, err
	}
	return l, len(sealed), c.Kit.Install(sealed, l)
}

func (c *Client) lease(ctx context.Context, d Device) (Lease, error) {
	data, _, err := c.do(ctx, d.Node, d.Token, "POST", "/v1/devices/"+d.ID+"/lease", nil)
	if err != nil {
		return Lease{}, err
	}
	var l Lease
	if err := json.Unmarshal(data, &l); err != nil {
		return Lease{}, fmt.Errorf("field: lease answer: %w", err)
	}
	return l, nil
}

// Renew renews the lease of the installed package (which must still be the node's current
// package for this device).
func (c *Client) Renew(ctx context.Context) (Lease, error) {
	d, err := c.Kit.Device()
	if err != nil {
		return Lease{}, err
	}
	l, err := c.lease(ctx, d)
	if err != nil {
		return Lease{}, err
	}
	cur, err := c.Kit.Lease()
	if err == nil && cur.PackageID != l.PackageID {
		return Lease{}, fmt.Errorf("field: the node's current package is %s, the kit holds %s: pull", l.PackageID, cur.PackageID)
	}
	return l, c.Kit.SetLease(l)
}

// SyncReport counts what a sync did.
type SyncReport struct {
	Sent, Created, Duplicate, Rejected, Failed int
	Errors                                     []string // of rejected and failed items
}

// Sync sends the queue in batches; items the node stored (or had stored) or refused for
// good leave the queue, failed ones stay for the next sync.
func (c *Client) Sync(ctx context.Context) (SyncReport, error) {
	var rep SyncReport
	d, err := c.Kit.Device()
	if err != nil {
		return rep, err
	}
	pending, err := c.Kit.Pending()
	if err != nil {
		return rep, err
	}
	n := c.BatchSize
	if n <= 0 {
		n = 500
	}
	type item struct {
		ClientID string `json:"client_id"`
		Sealed   []byte `json:"sealed"`
	}
	for len(pending) > 0 {
		batch := pending[:min(n, len(pending))]
		pending = pending[len(batch):]
		items := make([]item, len(batch))
		for i, q := range batch {
			items[i] = item{q.ClientID, q.Sealed}
		}
		data, _, err := c.do(ctx, d.Node, d.Token, "POST", "/v1/devices/"+d.ID+"/sync", map[string]any{"items": items})
		if err != nil {
			return rep, err
		}
		var resp struct {
			Results []struct {
				ClientID string `json:"client_id"`
				Status   string `json:"status"`
				Error    string `json:"error"`
			} `json:"results"`
		}
		if err := json.Unmarshal(data, &resp); err != nil {
			return rep, fmt.Errorf("field: sync answer: %w", err)
		}
		var done []string
		for _, r := range resp.Results {
			switch r.Status {
			case "created":
				rep.Created++
			case "duplicate":
				rep.Duplicate++
			case "rejected":
				rep.Rejected++
				rep.Errors = append(rep.Errors, r.ClientID+": "+r.Error)
			default:
				rep.Failed++
				rep.Errors = append(rep.Errors, r.ClientID+": "+r.Error)
				continue
			}
			done = append(done, r.ClientID)
		}
		rep.Sent += len(batch)
		if err := c.Kit.Ack(done); err != nil {
			return rep, err
		}
	}
	return rep, c.Kit.Compact()
}
