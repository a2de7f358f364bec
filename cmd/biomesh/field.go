package main

// biomesh field: the field kit on a laptop or hand-held class device. It checks people
// against an encrypted watch-list package where there is no network, queues encounters and
// enrolments, and syncs when a link returns (package field).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/field"
	"github.com/biomesh/biomesh/fingerprint/input"
)

func init() { commands = append(commands, newFieldCmd) }

// fieldOpts are the flags every field command takes.
type fieldOpts struct {
	dir     string
	json    bool
	purpose string
}

func (o *fieldOpts) kit() (*field.Kit, error) {
	dir := o.dir
	if dir == "" {
		dir = os.Getenv("BIOMESH_FIELD_DIR")
	}
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no --dir and no home directory: %w", err)
		}
		dir = filepath.Join(home, ".biomesh-field")
	}
	return field.Open(dir, nil)
}

func (o *fieldOpts) client() (*field.Client, error) {
	k, err := o.kit()
	if err != nil {
		return nil, err
	}
	return &field.Client{Kit: k, Purpose: o.purpose}, nil
}

func (o *fieldOpts) print(w io.Writer, v any, text string) {
	if o.json {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintln(w, string(b))
		return
	}
	fmt.Fprint(w, text)
}

func newFieldCmd() *cobra.Command {
	o := &fieldOpts{}
	c := &cobra.Command{
		Use:   "field",
		Short: "Field kit: offline watch-list checks, queued encounters and enrolments, sync",
		Long: `The field kit keeps its state in one directory (--dir, default $BIOMESH_FIELD_DIR, else
~/.biomesh-field): the registration with the node, the watch-list package sealed with
AES-256-GCM, the lease on its key, and the queue of encounters and enrolments, each sealed
to the node. The package holds the fingers (the index fingers in the engine's prepared
comparison form, the others as templates) and watch levels of the persons the node
watches (monitor or above) under opaque references: no names, no images. Decrypted, it
lives in memory only: biomesh field serve keeps it open and answers each check with one
search; biomesh field check opens it for one check unless a resident kit answers. When the lease
expires the kit erases the key and answers nothing until it syncs; a remote wipe erases
the kit at its next contact with the node.`,
	}
	f := c.PersistentFlags()
	f.StringVar(&o.dir, "dir", "", "the kit's directory (default $BIOMESH_FIELD_DIR, else ~/.biomesh-field)")
	f.BoolVar(&o.json, "json", false, "print JSON instead of a summary")
	f.StringVar(&o.purpose, "purpose", "", "why the node is contacted (sent as X-Biomesh-Purpose, recorded in its audit log)")
	c.AddCommand(newFieldEnrollDeviceCmd(o), newFieldPullCmd(o), newFieldCheckCmd(o), newFieldServeCmd(o), newFieldEnrolCmd(o), newFieldSyncCmd(o), newFieldStatusCmd(o))
	return c
}

func newFieldEnrollDeviceCmd(o *fieldOpts) *cobra.Command {
	var (
		node, token, name, unit, role string
		leaseHours, fingers           int
	)
	c := &cobra.Command{
		Use:   "enroll-device --node URL --token ADMIN-TOKEN --name NAME [--unit UNIT] [--role screener|enroller]",
		Short: "Register this kit with a node (an admin's token), then pull its first package",
		Long: `Registers the kit as a device of the admin's organisation. The device gets its own token
(kept in the kit directory; the admin's token is not kept), and pulls its first package.
Role screener (default) checks only; enroller also enrols.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := o.client()
			if err != nil {
				return err
			}
			node = orEnv(node, "BIOMESH_NODE")
			if node == "" {
				node = defaultNode
			}
			if !strings.Contains(node, "://") {
				node = "http://" + node
			}
			token = strings.TrimSpace(orEnv(token, "BIOMESH_TOKEN"))
			if token == "" {
				return errors.New("no admin token: give --token or set BIOMESH_TOKEN")
			}
			d, err := cl.Register(cmd.Context(), node, token, name, unit, role, leaseHours, fingers)
			if err != nil {
				return err
			}
			l, size, err := cl.Pull(cmd.Context())
			if err != nil {
				return fmt.Errorf("registered as %s, but the first pull failed (run biomesh field pull): %w", d.ID, err)
			}
			o.print(cmd.OutOrStdout(), map[string]any{"device": d.ID, "org": d.Org, "package": l.PackageID, "package_bytes": size, "lease_expires": l.Expires},
				fmt.Sprintf("registered as device %s of %s\npackage %s (%d bytes), lease until %s\n", d.ID, d.Org, l.PackageID, size, l.Expires.Local().Format(time.RFC3339)))
			return nil
		},
	}
	c.Flags().StringVar(&node, "node", "", "URL of the node (default $BIOMESH_NODE, else "+defaultNode+")")
	c.Flags().StringVar(&token, "token", "", "an admin's API token (default $BIOMESH_TOKEN); used once, not kept")
	c.Flags().StringVar(&name, "name", "", "the device's name")
	c.Flags().StringVar(&unit, "unit", "", "the unit the device serves")
	c.Flags().StringVar(&role, "role", "screener", "screener (checks) or enroller (checks and enrolments)")
	c.Flags().IntVar(&leaseHours, "lease-hours", 0, "how long each package key stays valid without contact (0: the node's default, 72)")
	c.Flags().IntVar(&fingers, "fingers", 0, "fingers per person in the packages, 1–10 (0: the node's default, 4)")
	c.MarkFlagRequired("name")
	return c
}

func newFieldPullCmd(o *fieldOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "pull",
		Short: "Fetch a fresh watch-list package and lease from the node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := o.client()
			if err != nil {
				return err
			}
			l, size, err := cl.Pull(cmd.Context())
			if err != nil {
				return err
			}
			o.print(cmd.OutOrStdout(), map[string]any{"package": l.PackageID, "package_bytes": size, "lease_expires": l.Expires},
				fmt.Sprintf("package %s (%d bytes), lease until %s\n", l.PackageID, size, l.Expires.Local().Format(time.RFC3339)))
			return nil
		},
	}
}

// fieldFingers reads FINGER arguments (images or templates) into native templates, the
// form the kit searches and queues.
func fieldFingers(args []string, dpi int) ([]field.Finger, error) {
	files, err := fingerArgs(args)
	if err != nil {
		return nil, err
	}
	out := make([]field.Finger, 0, len(files))
	for _, f := range files {
		t, err := input.Bytes(f.data, f.arg, &input.Options{DPI: dpi})
		if err != nil {
			return nil, fmt.Errorf("finger %s: %w", f.arg, err)
		}
		b, err := t.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("finger %s: %w", f.arg, err)
		}
		out = append(out, field.Finger{Position: f.position, Template: b})
	}
	return out, nil
}

func newFieldCheckCmd(o *fieldOpts) *cobra.Command {
	var (
		place, unit, outcome, via string
		dpi                       int
		noQueue                   bool
	)
	c := &cobra.Command{
		Use:   "check [--place P] [--outcome O] FINGER...",
		Short: "Check fingers against the watch list offline: RED, YELLOW or GREEN",
		Long: `Searches the fingers against the kit's package, without the network, and answers RED (a
person at watch level alert or detain), YELLOW (any other watched person) or GREEN (no
hit). The check is queued as an encounter for the next sync (--no-queue to skip). It
refuses to answer once the lease has expired. Each FINGER is POS=PATH or PATH: an image or
a template; give positions, so that each finger is searched against that finger only.

When a resident kit (biomesh field serve) answers on the kit's socket, or at --via, the
check is its search alone; otherwise the command opens the package itself first.`,
		Example: "  biomesh field check --place \"checkpoint 4\" 2=r-index.png 7=l-index.png",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkDPI(dpi); err != nil {
				return err
			}
			probes, err := fieldFingers(args, dpi)
			if err != nil {
				return err
			}
			k, err := o.kit()
			if err != nil {
				return err
			}
			req := field.Request{Op: "check", Fingers: probes, Place: place, Unit: unit, Outcome: outcome, NoQueue: noQueue}
			t0 := time.Now()
			var resp field.Response
			how := ""
			addr := via
			if addr == "" {
				addr = field.DefaultSocket(k)
			}
			if r, err := field.Ask(cmd.Context(), addr, req); err == nil {
				resp, how = r, "by the resident kit at "+strings.TrimPrefix(addr, "unix:")
			} else if via != "" {
				return fmt.Errorf("no resident kit at %s: %w", via, err)
			} else {
				srv := &field.Server{Kit: k}
				if err := srv.Open(); err != nil {
					return err
				}
				loaded := time.Since(t0)
				resp = srv.Do(cmd.Context(), req)
				srv.Close()
				how = fmt.Sprintf("(package opened in %v)", loaded.Round(time.Millisecond))
			}
			took := time.Since(t0)
			if resp.Result == nil {
				return resp.Err()
			}
			res := *resp.Result
			text := strings.ToUpper(res.Action)
			if res.Hit {
				text += fmt.Sprintf("  watch %s  (ref %s, score %.1f, threshold %.1f)", res.Watch, res.Ref, res.Score, res.Threshold)
			}
			text += fmt.Sprintf("\nsearched %d persons offline in %v %s\n", res.Persons, took.Round(time.Millisecond), how)
			if resp.Queued != "" {
				text += "encounter queued as " + resp.Queued + "\n"
			}
			o.print(cmd.OutOrStdout(), map[string]any{"result": res, "queued": resp.Queued, "took_ms": took.Milliseconds()}, text)
			if err := resp.Err(); err != nil { // answered, but the encounter was not queued
				return err
			}
			return nil
		},
	}
	c.Flags().StringVar(&place, "place", "", "where the check is made")
	c.Flags().StringVar(&unit, "unit", "", "the unit making it (default the device's)")
	c.Flags().StringVar(&outcome, "outcome", "", "what was done (released, detained, referred, …)")
	c.Flags().BoolVar(&noQueue, "no-queue", false, "do not queue the check as an encounter")
	c.Flags().StringVar(&via, "via", "", "ask the resident kit at this address (unix:PATH or 127.0.0.1:PORT) and fail if none answers")
	addDPIFlag(c, &dpi)
	return c
}

func newFieldServeCmd(o *fieldOpts) *cobra.Command {
	var (
		listen    string
		stdio     bool
		syncEvery time.Duration
	)
	c := &cobra.Command{
		Use:   "serve [--listen unix:PATH|127.0.0.1:PORT] [--stdio] [--sync-every D]",
		Short: "Resident kit: hold the opened package in memory and answer checks, one search each",
		Long: `Opens the watch-list package once and keeps it in memory only, as a hand-held app does,
and answers requests of one JSON line each with one JSON line:

  {"op":"check","fingers":[{"position":2,"template":"<base64 native template>"}],"place":"gate"}
  {"op":"status"}
  {"op":"sync"}

on the kit's socket (default unix:DIR/serve.sock, which biomesh field check uses when it
answers), on a loopback TCP address (--listen; any local process can then ask), or on
standard input and output (--stdio). Before and after every check it looks at the lease
and for a wipe: once the lease has expired, or the kit was wiped (by its own sync or by
another biomesh field command's), it erases the package from memory and refuses to
answer. --sync-every sends the queue and pulls a fresh package and lease that often, when
the node can be reached.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := o.client()
			if err != nil {
				return err
			}
			srv := &field.Server{Kit: cl.Kit, Client: cl, Warm: true}
			defer srv.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			t0 := time.Now()
			if err := srv.Open(); err != nil {
				return err
			}
			opened := time.Since(t0)
			if syncEvery > 0 {
				go func() {
					t := time.NewTicker(syncEvery)
					defer t.Stop()
					for {
						select {
						case <-ctx.Done():
							return
						case <-t.C:
							if _, err := srv.Sync(ctx); err != nil {
								fmt.Fprintln(cmd.ErrOrStderr(), "sync:", err)
							}
						}
					}
				}()
			}
			if stdio {
				fmt.Fprintf(cmd.ErrOrStderr(), "package opened in %v; answering on standard input\n", opened.Round(time.Millisecond))
				return srv.ServeLines(ctx, cmd.InOrStdin(), cmd.OutOrStdout())
			}
			if listen == "" {
				listen = field.DefaultSocket(cl.Kit)
			}
			l, err := field.Listen(listen)
			if err != nil {
				return err
			}
			if path, ok := strings.CutPrefix(listen, "unix:"); ok {
				defer os.Remove(path)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "package opened in %v; answering on %s\n", opened.Round(time.Millisecond), listen)
			return srv.Serve(ctx, l)
		},
	}
	c.Flags().StringVar(&listen, "listen", "", "where to answer: unix:PATH or a loopback host:port (default unix:DIR/serve.sock)")
	c.Flags().BoolVar(&stdio, "stdio", false, "answer request lines on standard input instead")
	c.Flags().DurationVar(&syncEvery, "sync-every", 0, "sync with the node this often (0: only on a sync request)")
	return c
}

func newFieldEnrolCmd(o *fieldOpts) *cobra.Command {
	var (
		p       field.PersonIn
		dpi     int
		aliases []string
	)
	c := &cobra.Command{
		Use:     "enrol --name N [--dob D] [--sex S] [--nationality C] [--category C] FINGER...",
		Aliases: []string{"enroll"},
		Short:   "Queue an enrolment for the next sync (the node de-duplicates it then)",
		Long: `Queues a person's biographic data and fingers, sealed to the node, for the next sync; the
kit cannot read it back. Needs a device registered with role enroller.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(p.Name) == "" {
				return errors.New("--name is required")
			}
			if err := checkDPI(dpi); err != nil {
				return err
			}
			fs, err := fieldFingers(args, dpi)
			if err != nil {
				return err
			}
			p.Aliases = aliases
			k, err := o.kit()
			if err != nil {
				return err
			}
			id, err := k.Enqueue(field.Item{Kind: field.KindEnrolment, Enrolment: &field.Enrolment{Time: time.Now().UTC(), Person: p, Fingers: fs}})
			if err != nil {
				return err
			}
			o.print(cmd.OutOrStdout(), map[string]any{"queued": id}, "enrolment queued as "+id+"\n")
			return nil
		},
	}
	c.Flags().StringVar(&p.Name, "name", "", "name")
	c.Flags().StringSliceVar(&aliases, "alias", nil, "other name (repeatable)")
	c.Flags().StringVar(&p.DateOfBirth, "dob", "", "date of birth: YYYY, YYYY-MM or YYYY-MM-DD")
	c.Flags().StringVar(&p.Sex, "sex", "", "M, F, X or U")
	c.Flags().StringVar(&p.Nationality, "nationality", "", "ISO 3166-1 alpha-3")
	c.Flags().StringVar(&p.Category, "category", "", "person category")
	c.Flags().StringVar(&p.Custody, "custody", "", "custody notes")
	addDPIFlag(c, &dpi)
	return c
}

func newFieldSyncCmd(o *fieldOpts) *cobra.Command {
	var noPull bool
	c := &cobra.Command{
		Use:   "sync",
		Short: "Send the queue to the node, then pull a fresh package and lease",
		Long: `Sends queued encounters and enrolments in batches; each is named by an ID made on the kit,
so a batch resent after a dropped link is stored once. Then pulls a fresh package and
lease (--no-pull to keep the current package). A wipe order from the node erases the kit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := o.client()
			if err != nil {
				return err
			}
			t0 := time.Now()
			rep, err := cl.Sync(cmd.Context())
			if err != nil {
				return err
			}
			took := time.Since(t0)
			text := fmt.Sprintf("sent %d queued items in %v: %d stored, %d already stored, %d refused, %d to resend\n",
				rep.Sent, took.Round(time.Millisecond), rep.Created, rep.Duplicate, rep.Rejected, rep.Failed)
			for _, e := range rep.Errors {
				text += "  " + e + "\n"
			}
			out := map[string]any{"sync": rep}
			if !noPull {
				l, size, err := cl.Pull(cmd.Context())
				if err != nil {
					return fmt.Errorf("queue sent, but the pull failed: %w", err)
				}
				text += fmt.Sprintf("package %s (%d bytes), lease until %s\n", l.PackageID, size, l.Expires.Local().Format(time.RFC3339))
				out["package"], out["lease_expires"] = l.PackageID, l.Expires
			}
			o.print(cmd.OutOrStdout(), out, text)
			return nil
		},
	}
	c.Flags().BoolVar(&noPull, "no-pull", false, "send the queue only")
	return c
}

func newFieldStatusCmd(o *fieldOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the kit's registration, package, lease and queue",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := o.kit()
			if err != nil {
				return err
			}
			s, err := k.Status()
			if err != nil {
				return err
			}
			var b strings.Builder
			switch {
			case s.Wiped != "":
				fmt.Fprintf(&b, "WIPED on the node's order at %s: this kit holds nothing\n", s.Wiped)
			case !s.Registered:
				fmt.Fprintf(&b, "not registered (biomesh field enroll-device)\n")
			default:
				fmt.Fprintf(&b, "device %s of node %s\n", s.Device, s.Node)
				switch {
				case s.LeaseValid:
					fmt.Fprintf(&b, "package %s (%d bytes), lease valid until %s (%v left)\n", s.Package, s.PackageBytes, s.LeaseExpires.Local().Format(time.RFC3339), time.Until(s.LeaseExpires).Round(time.Minute))
				case s.PackageBytes > 0:
					fmt.Fprintf(&b, "lease EXPIRED, key erased: checks refused until biomesh field sync\n")
				default:
					fmt.Fprintf(&b, "no package (biomesh field pull)\n")
				}
				fmt.Fprintf(&b, "%d items queued\n", s.Queued)
			}
			o.print(cmd.OutOrStdout(), s, b.String())
			return nil
		},
	}
}
