package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/store"
)

// Reconnection of the alert stream: the first retry after minBackoff, doubling up to
// maxBackoff; a connection silent for longer than streamIdle (the node sends a comment
// every 15 s) is taken as dead.
var (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
	streamIdle = 45 * time.Second
)

// alertJSON is an alert as the stream carries it; what is absent depends on the role.
type alertJSON struct {
	ID          uint64           `json:"id"`
	Time        time.Time        `json:"time"`
	EncounterID string           `json:"encounter_id"`
	Watch       store.WatchLevel `json:"watch"`
	Place       string           `json:"place"`
	Lat         *float64         `json:"lat"`
	Lon         *float64         `json:"lon"`
	Unit        string           `json:"unit"`
	Org         string           `json:"org"`
	PersonID    string           `json:"person_id"`
	Owner       string           `json:"owner"`
	Reason      string           `json:"reason"`
	Name        string           `json:"name"`
	Score       float64          `json:"score"`
}

func newAlertsCmd(o *clientOpts) *cobra.Command {
	var (
		count int
		after string
	)
	c := &cobra.Command{
		Use:   "alerts [--count N] [--after ID]",
		Short: "Follow a node's alerts: encounters with persons at watch level alert or detain",
		Long: `Follows the node's alert stream (GET /v1/alerts, server-sent events) and prints one line
per alert until interrupted (Ctrl-C), or until --count alerts. When the connection drops it
reconnects, with a growing pause (0.5 s up to 30 s), and asks for the alerts after the last
one received (Last-Event-ID), so that none kept by the node is missed. A first connection
gets only new alerts; --after 0 asks for all the node still keeps (its last 256).
Screeners see the watch level, where, when and the unit; other roles also the person ID;
analysts and admins of the owning organisation also the name and the watch reason.
With --json each alert is printed as one line of JSON. Roles: screener, enroller, analyst, admin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 0 {
				return fmt.Errorf("--count %d: 0 (follow until interrupted) or more", count)
			}
			if after != "" {
				if _, err := strconv.ParseUint(after, 10, 64); err != nil {
					return fmt.Errorf("--after %q: an alert ID (a number)", after)
				}
			}
			cl, err := o.client(cmd)
			if err != nil {
				return err
			}
			cl.http = &http.Client{Transport: cl.http.Transport} // no overall timeout: the stream stays open; see streamIdle
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			f := &alertFollower{cl: cl, out: cmd.OutOrStdout(), log: cmd.ErrOrStderr(), count: count, lastID: after}
			err = f.run(ctx)
			if err == nil && cmd.Context().Err() != nil {
				return cmd.Context().Err() // the caller's deadline, not an interrupt
			}
			return err
		},
	}
	c.Flags().IntVar(&count, "count", 0, "stop after this many alerts (0: follow until interrupted)")
	c.Flags().StringVar(&after, "after", "", "start after this alert ID (as a reconnection does)")
	return c
}

// alertFollower follows the stream across reconnections.
type alertFollower struct {
	cl       *nodeClient
	out, log io.Writer
	count    int    // stop after this many (0: never)
	seen     int    // alerts printed
	lastID   string // the last event ID received, for Last-Event-ID
}

var errEnough = errors.New("enough alerts")

// run follows until ctx ends, count alerts were printed, or the node refuses the stream
// (a 4xx answer: a bad token or role will not get better by retrying).
func (f *alertFollower) run(ctx context.Context) error {
	backoff := minBackoff
	for attempt := 0; ; attempt++ {
		got, err := f.stream(ctx, attempt)
		switch {
		case errors.Is(err, errEnough), ctx.Err() != nil:
			return nil
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.status < 500 {
			return err
		}
		if got {
			backoff = minBackoff
		}
		if err == nil {
			err = errors.New("the node closed the stream")
		}
		fmt.Fprintf(f.log, "alerts: %v; reconnecting in %s\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// stream reads one connection until it ends; got reports whether the node accepted it.
func (f *alertFollower) stream(ctx context.Context, attempt int) (got bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := f.cl.request(ctx, "GET", "/v1/alerts", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if f.lastID != "" {
		req.Header.Set("Last-Event-ID", f.lastID)
	}
	res, err := f.cl.send(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return false, &apiError{method: "GET", path: "/v1/alerts", status: res.StatusCode, msg: "not an event stream (Content-Type " + ct + ")"}
	}
	if attempt == 0 {
		fmt.Fprintf(f.log, "following alerts from %s (Ctrl-C to stop)\n", f.cl.base)
	} else {
		fmt.Fprintf(f.log, "alerts: reconnected (after alert %s)\n", orDash(f.lastID))
	}
	// A dead connection that never errors (a half-open TCP link) is cut after streamIdle.
	var silent atomic.Bool
	idle := time.AfterFunc(streamIdle, func() { silent.Store(true); cancel() })
	defer idle.Stop()
	rd := bufio.NewReader(res.Body)
	var event, id string
	var data []string
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			if silent.Load() {
				return true, fmt.Errorf("no data for %s", streamIdle)
			}
			if err == io.EOF {
				return true, errors.New("the node closed the stream")
			}
			return true, fmt.Errorf("connection lost: %w", err)
		}
		idle.Reset(streamIdle)
		line = strings.TrimRight(line, "\r\n")
		if line == "" { // dispatch
			if id != "" {
				f.lastID = id
			}
			if len(data) > 0 && (event == "alert" || event == "") {
				if err := f.print(strings.Join(data, "\n")); err != nil {
					return true, err
				}
			}
			event, id, data = "", "", nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // comment: keep-alive
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			event = value
		case "id":
			id = value
		case "data":
			data = append(data, value)
		}
	}
}

// print writes one alert; it returns errEnough once count alerts were printed.
func (f *alertFollower) print(data string) error {
	if f.cl.json {
		fmt.Fprintln(f.out, data)
	} else {
		var a alertJSON
		if err := json.Unmarshal([]byte(data), &a); err != nil {
			fmt.Fprintf(f.log, "alerts: unreadable alert %q: %v\n", truncate([]byte(data), 200), err)
			return nil
		}
		fmt.Fprintln(f.out, alertLine(&a))
	}
	f.seen++
	if f.count > 0 && f.seen >= f.count {
		return errEnough
	}
	return nil
}

// alertLine is the one-line summary of an alert.
func alertLine(a *alertJSON) string {
	parts := []string{when(a.Time), strings.ToUpper(string(a.Watch))}
	if a.PersonID != "" {
		parts = append(parts, a.PersonID)
	}
	if a.Name != "" {
		parts = append(parts, strconv.Quote(a.Name))
	}
	where := a.Place
	if a.Lat != nil && a.Lon != nil {
		where = strings.TrimSpace(fmt.Sprintf("%s (%.4f, %.4f)", where, *a.Lat, *a.Lon))
	}
	if where != "" {
		parts = append(parts, "at "+where)
	}
	unit := a.Org
	if a.Unit != "" {
		unit = a.Unit + " of " + a.Org
	}
	parts = append(parts, "by "+unit)
	if a.Score > 0 {
		parts = append(parts, fmt.Sprintf("score %.1f", a.Score))
	}
	if a.Reason != "" {
		parts = append(parts, "reason: "+a.Reason)
	}
	parts = append(parts, "encounter "+a.EncounterID, fmt.Sprintf("#%d", a.ID))
	return strings.Join(parts, "  ")
}
