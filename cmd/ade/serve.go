package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/cmd/ade/wiring"
)

func init() {
	subcommands = append(subcommands, newServeCommand, newMigrateCommand)
}

// envHelp lists the environment variables; each {NAME} is the default
// that wiring.ConfigFromEnv applies to NAME.
var envHelp = envDefaults.Replace(`
Configuration comes from the environment:
  ADE_HTTP_ADDR                listen address (default {ADE_HTTP_ADDR})
  ADE_DATA_DIR                 data directory (default {ADE_DATA_DIR})
  ADE_DATABASE_URL             empty: SQLite file in the data directory;
                               postgres://...: PostgreSQL; memory://: in memory
  ADE_BLOB_URL                 empty: file://<data dir>/blobs; s3://...; mem://
  ADE_MAX_UPLOAD_BYTES         upload limit in bytes (default {ADE_MAX_UPLOAD_BYTES})
  ADE_DOCUMENT_RETENTION_DAYS  default document lifetime (default {ADE_DOCUMENT_RETENTION_DAYS})
  ADE_JOB_TIMEOUT              extraction time limit (default {ADE_JOB_TIMEOUT})
  ADE_LOG_FORMAT               text or json (default {ADE_LOG_FORMAT})
  ADE_SHUTDOWN_TIMEOUT         drain time on SIGTERM (default {ADE_SHUTDOWN_TIMEOUT})
  ADE_PURGE_INTERVAL           how often the maintenance sweep runs (default {ADE_PURGE_INTERVAL})
  ADE_WORKERS                  jobs run at once by this process; 0: API only (default {ADE_WORKERS})
  ADE_JOB_MAX_ATTEMPTS         starts of a job before attempts_exhausted (default {ADE_JOB_MAX_ATTEMPTS})
  ADE_JOB_START_DELAY          run time before a job's start is stored on its own;
                               a job ending sooner stores it with its end; 0: always
                               first (default {ADE_JOB_START_DELAY})
  ADE_WORKER_LEASE_TTL         silence after which a worker's jobs move (default {ADE_WORKER_LEASE_TTL})
  ADE_WEBHOOK_ALLOW_PRIVATE    let webhooks reach private addresses (default false)
  ADE_WEBHOOK_MAX_ATTEMPTS     attempts of one webhook delivery (default {ADE_WEBHOOK_MAX_ATTEMPTS})
  ADE_WEBHOOK_BACKOFF          wait after a failed delivery, doubling (default {ADE_WEBHOOK_BACKOFF})
  ADE_BOOTSTRAP_ADMIN_KEY      a global admin API key to create at start-up
                               (otherwise a first start prints a generated one)
  ADE_AUTH_CACHE_TTL           how long a key is trusted before it is read
                               again: the revocation delay (default {ADE_AUTH_CACHE_TTL})
  ADE_RATE_LIMIT               requests per second per key (default {ADE_RATE_LIMIT})
  ADE_RATE_BURST               requests per key at once (default {ADE_RATE_BURST})
  ADE_MAX_CONCURRENT_UPLOADS   uploads in progress per key (default {ADE_MAX_CONCURRENT_UPLOADS})
  ADE_MAX_RUNNING_JOBS         jobs running at once per workspace (default {ADE_MAX_RUNNING_JOBS})
  ADE_SESSION_SECRET           seals the web UI's session cookies (32 bytes or
                               more; the same on every server of one database)
  ADE_TRUSTED_PROXIES          TLS proxies (IPs or CIDRs) whose X-Forwarded-Proto
                               is believed: the UI's cookies are then Secure`)

// envDefaults fills envHelp's {NAME} placeholders.
var envDefaults = strings.NewReplacer(
	"{ADE_HTTP_ADDR}", wiring.DefaultHTTPAddr,
	"{ADE_DATA_DIR}", wiring.DefaultDataDir,
	"{ADE_MAX_UPLOAD_BYTES}", strconv.FormatInt(wiring.DefaultMaxUploadBytes, 10),
	"{ADE_DOCUMENT_RETENTION_DAYS}", strconv.FormatInt(wiring.DefaultRetentionDays, 10),
	"{ADE_JOB_TIMEOUT}", shortDuration(wiring.DefaultJobTimeout),
	"{ADE_LOG_FORMAT}", wiring.DefaultLogFormat,
	"{ADE_SHUTDOWN_TIMEOUT}", shortDuration(wiring.DefaultShutdownTimeout),
	"{ADE_PURGE_INTERVAL}", shortDuration(wiring.DefaultPurgeInterval),
	"{ADE_WORKERS}", strconv.Itoa(wiring.DefaultWorkers),
	"{ADE_JOB_MAX_ATTEMPTS}", strconv.Itoa(wiring.DefaultJobMaxAttempts),
	"{ADE_JOB_START_DELAY}", shortDuration(wiring.DefaultJobStartDelay),
	"{ADE_WORKER_LEASE_TTL}", shortDuration(wiring.DefaultWorkerLeaseTTL),
	"{ADE_WEBHOOK_MAX_ATTEMPTS}", strconv.Itoa(wiring.DefaultWebhookAttempts),
	"{ADE_WEBHOOK_BACKOFF}", shortDuration(wiring.DefaultWebhookBackoff),
	"{ADE_AUTH_CACHE_TTL}", shortDuration(wiring.DefaultKeyCacheTTL),
	"{ADE_RATE_LIMIT}", strconv.FormatFloat(wiring.DefaultRateLimit, 'g', -1, 64),
	"{ADE_RATE_BURST}", strconv.Itoa(wiring.DefaultRateBurst),
	"{ADE_MAX_CONCURRENT_UPLOADS}", strconv.Itoa(wiring.DefaultMaxUploads),
	"{ADE_MAX_RUNNING_JOBS}", strconv.Itoa(wiring.DefaultMaxJobs),
)

// shortDuration is d as the variables are written: 5m, 30s, 1h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

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
