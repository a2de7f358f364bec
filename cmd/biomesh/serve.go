package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomesh/biomesh/audit"
	"github.com/biomesh/biomesh/dna"
	"github.com/biomesh/biomesh/face"
	"github.com/biomesh/biomesh/federation"
	"github.com/biomesh/biomesh/server"
	"github.com/biomesh/biomesh/store/sqlite"
)

const defaultData = "biomesh-data"

// openStore opens (creating when needed) the node's store in dir.
func openStore(dir string) (*sqlite.DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	return sqlite.Open(filepath.Join(dir, "biomesh.db"))
}

func newServeCmd() *cobra.Command {
	var (
		data, listen, org, tokenFile string
		tlsCert, tlsKey, tlsClientCA string
		retention, fedConfig         string
		dnaFreqs                     []string
		faceModels, faceEmbedder     string
		demo                         bool
		cfg                          server.Config
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run a biomesh node: the /v1 HTTP API over an embedded store",
		Long: `Runs a node. Records live in one SQLite file under --data (created on first
start); galleries are loaded into memory at start. On first start an organisation and its
admin user are created and the admin's API token is printed once (and written to
--admin-token-file when given). Stop with Ctrl-C or SIGTERM; every acknowledged write is
already on disk.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			cfg.Logger = log
			tlsCfg, err := serverTLS(tlsCert, tlsKey, tlsClientCA)
			if err != nil {
				return err
			}
			for _, path := range dnaFreqs {
				ts, err := dna.LoadTables(path)
				if err != nil {
					return fmt.Errorf("--dna-frequencies: %w", err)
				}
				if cfg.DNATables == nil {
					cfg.DNATables = ts
				} else if err := cfg.DNATables.Merge(ts); err != nil {
					return fmt.Errorf("--dna-frequencies: %w", err)
				}
			}
			switch p, err := face.Open(face.Options{ModelDir: faceModels, Embedder: faceEmbedder}); {
			case errors.Is(err, face.ErrNotBuilt):
				log.Info("face photos are stored, not searched: " + err.Error())
			case err != nil:
				return fmt.Errorf("face engine: %w (install the models with scripts/setup-face, or give --face-models)", err)
			default:
				defer p.Close()
				cfg.Face = p
			}
			if retention != "" {
				if cfg.Retention, err = server.LoadRetention(retention); err != nil {
					return fmt.Errorf("--retention: %w", err)
				}
			}
			st, err := openStore(data)
			if err != nil {
				return err
			}
			defer st.Close()
			tok, err := server.Bootstrap(ctx, st, org, time.Now())
			if err != nil {
				return fmt.Errorf("creating the first admin: %w", err)
			}
			if tok != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "First start: organisation %q and user %s/admin created.\nAdmin token (shown once; keep it safe): %s\n", org, org, tok)
				if tokenFile != "" {
					if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
						return fmt.Errorf("--admin-token-file: %w", err)
					}
				}
			}
			srv, err := server.New(ctx, st, cfg)
			if err != nil {
				return err
			}
			if fedConfig != "" {
				stop, err := startFederation(ctx, fedConfig, data, srv, st, log)
				if err != nil {
					return err
				}
				defer stop()
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", listen, err)
			}
			url := "http://" + l.Addr().String()
			if tlsCfg != nil {
				l, url = tls.NewListener(l, tlsCfg), "https://"+l.Addr().String()
			}
			fmt.Fprintf(cmd.OutOrStdout(), "biomesh node listening on %s/v1 (data in %s)\n", url, data)
			if demo && tlsCfg != nil {
				return errors.New("--demo runs over plain HTTP on loopback: drop the --tls-* flags")
			}
			if demo {
				// The demo talks to the node over HTTP like any client, with a user of its own.
				a := &audit.Entry{Time: time.Now(), User: "system", Org: org, Role: "admin", Purpose: "demonstration"}
				u, dtok, err := server.AddUser(ctx, st, fmt.Sprintf("demo-%d", time.Now().UnixNano()), org, "admin", a)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Demo user %s, token: %s\n", u.ID, dtok)
				seed := uint64(1)
				if tok == "" {
					seed = uint64(time.Now().UnixNano()) // new people on every later run
				}
				go func() {
					if err := runDemo(ctx, cmd.OutOrStdout(), url, dtok, seed); err != nil && ctx.Err() == nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "demo:", err)
					}
				}()
			}
			err = srv.Serve(ctx, l)
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&data, "data", defaultData, "data directory (the SQLite store)")
	f.StringVar(&listen, "listen", "127.0.0.1:8470", "address to listen on (loopback by default; serve beyond it with --tls-cert and --tls-key)")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain); re-read when the file changes")
	f.StringVar(&tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	f.StringVar(&tlsClientCA, "tls-client-ca", "", "require client certificates signed by a CA in this PEM file (mutual TLS)")
	f.StringVar(&org, "org", "local", "the node's own organisation, created on first start")
	f.BoolVar(&demo, "demo", false, "after start, enrol synthetic persons and show identification, an encounter and an identity conflict")
	f.StringVar(&tokenFile, "admin-token-file", "", "on first start, also write the admin token to this file (mode 0600)")
	f.Float64Var(&cfg.FPIR, "fpir", 0.001, "false-positive identification rate at which 1:N searches decide")
	f.Float64Var(&cfg.FMR, "fmr", 0.0001, "false match rate at which 1:1 verification decides")
	f.Int64Var(&cfg.MaxBody, "max-body", 64<<20, "largest request body, bytes")
	f.IntVar(&cfg.DedupFingers, "dedup-fingers", 4, "best-quality fingers of an enrolment searched for duplicates")
	f.StringArrayVar(&dnaFreqs, "dna-frequencies", nil, "allele frequency table for scoring DNA matches and kinship (repeatable; the long CSV/TSV format of package dna, or the FBI and UK tables)")
	f.StringVar(&faceModels, "face-models", "", "directory of the face model files (default $BIOMESH_FACE_MODELS or the cache scripts/setup-face fills); nodes built with -tags dlib")
	f.StringVar(&faceEmbedder, "face-embedder", "", "an ONNX face model descriptor instead of dlib's embedding model (nodes built with -tags dlib,onnx)")
	f.StringVar(&fedConfig, "federation", "", "federation configuration (YAML): partners, links and sharing agreements; see the federation package")
	f.StringVar(&retention, "retention", "", `retention policy, a JSON file: {"traveller": {"expire_after": "90d"}, "detainee": {"keep_for": "10y"}}`)
	return c
}

func newUserCmd() *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage the users of a node"}
	var data, org, role string
	add := &cobra.Command{
		Use:   "add NAME --role ROLE [--org ORG]",
		Short: "Create a user with a new API token, printed once (works on the data directory directly)",
		Long: `Creates a user in the node's store and prints its API token; only the token's hash is
kept. It works on the data directory, so it needs file access to the node (running or not),
which is what makes it the way in for the first admin of a node whose token was lost. Over
the network, admins use POST /v1/users. Roles: enroller, screener, analyst, auditor, admin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(data)
			if err != nil {
				return err
			}
			defer st.Close()
			a := &audit.Entry{Time: time.Now(), User: "local-cli", Org: org, Role: "admin", Purpose: "user administration"}
			u, tok, err := server.AddUser(cmd.Context(), st, args[0], org, role, a)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "user %s (role %s) created\ntoken: %s\n", u.ID, u.Role, tok)
			return nil
		},
	}
	add.Flags().StringVar(&data, "data", defaultData, "data directory of the node")
	add.Flags().StringVar(&org, "org", "local", "organisation of the user (created when new)")
	add.Flags().StringVar(&role, "role", "", "role: enroller, screener, analyst, auditor or admin")
	add.MarkFlagRequired("role")
	c.AddCommand(add)
	return c
}

func newAuditCmd() *cobra.Command {
	c := &cobra.Command{Use: "audit", Short: "Check the node's audit log"}
	var data string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify the hash chain of the audit log: any edited, deleted or reordered entry is found",
		Long: `Reads every audit entry of the node's store in order and checks the hash chain. It prints
the number of entries and the head hash; keep the head hash elsewhere (or compare it with a
partner's copy) to detect truncation of the newest entries too. Exits non-zero on a break.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := filepath.Join(data, "biomesh.db")
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("--data %s: no node store: %w", data, err)
			}
			st, err := sqlite.Open(path)
			if err != nil {
				return err
			}
			defer st.Close()
			n, head, err := server.VerifyAudit(cmd.Context(), st)
			if err != nil {
				return fmt.Errorf("audit chain broken after %d good entries: %w", n, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit chain intact: %d entries, head %s\n", n, head)
			return nil
		},
	}
	verify.Flags().StringVar(&data, "data", defaultData, "data directory of the node")
	c.AddCommand(verify)
	return c
}

// startFederation starts the node's federation side from its configuration file: the
// embedded NATS server with its partner links, the state file beside the store, and the
// server's hooks. stop shuts it down.
func startFederation(ctx context.Context, path, data string, srv *server.Server, st *sqlite.DB, log *slog.Logger) (stop func(), err error) {
	cfg, err := federation.LoadConfig(path)
	if err != nil {
		return nil, fmt.Errorf("--federation: %w", err)
	}
	key, err := federation.LoadKey(cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("--federation %s: key_file: %w", path, err)
	}
	state, err := federation.OpenSQLState(filepath.Join(data, "federation.db"))
	if err != nil {
		return nil, err
	}
	node, err := federation.Start(ctx, federation.Options{Config: cfg, Key: key, State: state, Searcher: srv,
		Records: st, Audit: st, Outbox: st, OnEvent: srv.OnFederationEvent, Logger: log})
	if err != nil {
		state.Close()
		return nil, fmt.Errorf("--federation %s: %w", path, err)
	}
	if err := srv.SetFederation(ctx, node, state); err != nil {
		node.Shutdown()
		state.Close()
		return nil, err
	}
	log.Info("federation started", "node", cfg.Node, "partners", len(cfg.Partners), "leaf", node.LeafAddr())
	return func() { node.Shutdown(); state.Close() }, nil
}

func newFederationCmd() *cobra.Command {
	c := &cobra.Command{Use: "federation", Short: "Set up a node's federation with partners"}
	c.AddCommand(&cobra.Command{
		Use:   "keygen KEYFILE",
		Short: "Make the node's Ed25519 signing key (for key_file) and print the public key partners need",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(args[0]); err == nil {
				return fmt.Errorf("%s exists: a node keeps its key (partners know it by its public key)", args[0])
			}
			pub, err := federation.GenerateKey(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key written to %s (keep it secret)\npublic_key: %s\n", args[0], pub)
			return nil
		},
	})
	return c
}

func init() { commands = append(commands, newFederationCmd) }
