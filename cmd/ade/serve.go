package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/cmd/ade/wiring"
)

func init() {
	subcommands = append(subcommands, newServeCommand, newMigrateCommand)
}

const envHelp = `
Configuration comes from the environment:
  ADE_HTTP_ADDR                listen address (default 127.0.0.1:8000)
  ADE_DATA_DIR                 data directory (default ./var)
  ADE_DATABASE_URL             empty: SQLite file in the data directory;
                               postgres://...: PostgreSQL; memory://: in memory
  ADE_BLOB_URL                 empty: file://<data dir>/blobs; s3://...; mem://
  ADE_MAX_UPLOAD_BYTES         upload limit in bytes (default 26214400)
  ADE_DOCUMENT_RETENTION_DAYS  default document lifetime (default 30)
  ADE_JOB_TIMEOUT              extraction time limit (default 5m)
  ADE_LOG_FORMAT               text or json (default text)
  ADE_SHUTDOWN_TIMEOUT         drain time on SIGTERM (default 30s)
  ADE_PURGE_INTERVAL           how often the maintenance sweep runs (default 1m)
  ADE_WORKERS                  jobs run at once by this process; 0: API only (default 8)
  ADE_JOB_MAX_ATTEMPTS         starts of a job before attempts_exhausted (default 3)
  ADE_WORKER_LEASE_TTL         silence after which a worker's jobs move (default 5s)
  ADE_WEBHOOK_ALLOW_PRIVATE    let webhooks reach private addresses (default false)
  ADE_WEBHOOK_MAX_ATTEMPTS     attempts of one webhook delivery (default 8)
  ADE_WEBHOOK_BACKOFF          wait after a failed delivery, doubling (default 30s)
  ADE_BOOTSTRAP_ADMIN_KEY      a global admin API key to create at start-up
                               (otherwise a first start prints a generated one)
  ADE_AUTH_CACHE_TTL           how long a key is trusted before it is read
                               again: the revocation delay (default 5s)
  ADE_RATE_LIMIT               requests per second per key (default 50)
  ADE_RATE_BURST               requests per key at once (default 100)
  ADE_MAX_CONCURRENT_UPLOADS   uploads in progress per key (default 4)
  ADE_MAX_RUNNING_JOBS         jobs running at once per workspace (default 4)
  ADE_SESSION_SECRET           seals the web UI's session cookies (32 bytes or
                               more; the same on every server of one database)
  ADE_TRUSTED_PROXIES          TLS proxies (IPs or CIDRs) whose X-Forwarded-Proto
                               is believed: the UI's cookies are then Secure`

func loadConfig() (wiring.Config, error) {
	c, err := wiring.ConfigFromEnv(os.Getenv)
	if err != nil {
		return c, &exitError{code: 2, err: err}
	}
	return c, nil
}

func newServeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API server",
		Long: "Run the HTTP API server with ADE_WORKERS job workers (0: API only, jobs run in `ade worker` processes). " +
			"It migrates the database at start-up and drains in-flight requests on SIGTERM." + envHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig()
			if err != nil {
				return err
			}
			return runGraph(fx.New(wiring.Server(c, os.Stdout, os.Stderr)))
		},
	}
}

// startFailure is what the command says when the server cannot start: the
// operator's problem (wiring.StartError) in one line, without the chain of
// constructors fx reports it through.
func startFailure(err error) error {
	var se *wiring.StartError
	if errors.As(err, &se) {
		return se
	}
	return fmt.Errorf("start: %w", err)
}

func newMigrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit",
		Long:  "Apply the schema migrations to the configured database and exit. Safe to run while servers start." + envHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openMigrated(cmd.Context(), "an in-memory database has nothing to migrate")
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "migrations applied (%s)\n", db.Dialect())
			return nil
		},
	}
}

// openMigrated opens the configured database and brings its schema up to
// date, for the commands that work on it beside (or without) a server. An
// in-memory database is refused with why: no other process can see it.
func openMigrated(ctx context.Context, why string) (*bunstore.DB, error) {
	c, err := loadConfig()
	if err != nil {
		return nil, err
	}
	if c.IsMemoryDatabase() {
		return nil, &exitError{code: 2, err: errors.New(why)}
	}
	db, err := wiring.OpenDatabase(ctx, c)
	if err != nil {
		return nil, &exitError{code: 1, err: err}
	}
	return db, nil
}
