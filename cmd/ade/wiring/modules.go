package wiring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/adapters/webhooksender"
	"github.com/ade-go/ade/adapters/webui"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/ports"
)

// startTimeout bounds opening and migrating the database at start-up.
const startTimeout = 60 * time.Second

// NewLogger returns the process logger in the configured format, on w.
func NewLogger(c Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Storage is the opened database: its repositories, a readiness check,
// and the backend itself for the queue that shares it and for the pool
// statistics /metrics exports (DB for Bun, Memory for the in-memory
// store; one of them is set).
type Storage struct {
	Repos  ports.Repositories
	Ping   func(context.Context) error
	DB     *bunstore.DB
	Memory *memory.Store
}

// StorageModule opens (and migrates, River's tables included) the
// configured database.
var StorageModule = fx.Module("storage",
	fx.Provide(func(lc fx.Lifecycle, c Config, log *slog.Logger) (Storage, error) {
		if c.IsMemoryDatabase() {
			log.Warn("storage is in memory: everything is lost when the process exits")
			store := memory.New()
			return Storage{Repos: store.Repositories(), Ping: store.Ping, Memory: store}, nil
		}
		if c.DatabaseURL == "" {
			if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
				return Storage{}, &StartError{What: "data directory " + c.DataDir, Err: err}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		db, err := OpenDatabase(ctx, c)
		if err != nil {
			return Storage{}, err
		}
		lc.Append(fx.StopHook(db.Close))
		log.Info("database ready", "dialect", db.Dialect())
		return Storage{Repos: db.Repositories(), Ping: db.Ping, DB: db}, nil
	}),
	fx.Provide(func(s Storage) ports.Repositories { return s.Repos }),
)

// OpenDatabase opens the configured database (not the in-memory one) and
// brings its schema, the queue's included, up to date.
func OpenDatabase(ctx context.Context, c Config) (*bunstore.DB, error) {
	if c.DatabaseURL == "" {
		if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
			return nil, &StartError{What: "data directory " + c.DataDir, Err: err}
		}
	}
	db, err := bunstore.Open(ctx, c.DatabaseTarget())
	if err != nil {
		return nil, &StartError{What: "database " + redactURL(c.DatabaseTarget()), Err: err}
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, &StartError{What: "migrate database " + redactURL(c.DatabaseTarget()), Err: err}
	}
	if err := riverqueue.Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, &StartError{What: "migrate database " + redactURL(c.DatabaseTarget()), Err: err}
	}
	return db, nil
}

// BlobModule opens the configured blob store.
var BlobModule = fx.Module("blob",
	fx.Provide(func(lc fx.Lifecycle, c Config) (ports.BlobStore, error) {
		target, err := c.BlobTarget()
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		store, err := blobstore.Open(ctx, target)
		if err != nil {
			return nil, &StartError{What: "blob store", Err: err}
		}
		lc.Append(fx.StopHook(store.Close))
		return store, nil
	}),
)

// ExtractorsModule registers every built-in extractor. The tabular one
// spools under this process's own directory in <data dir>/tmp, opened at
// start-up (which sweeps the directories of processes that died) and
// removed at stop, and applies the configured limits.
var ExtractorsModule = fx.Module("extractors",
	fx.Provide(func(lc fx.Lifecycle, c Config, log *slog.Logger) (*system.SpoolDir, error) {
		dir, swept, err := system.OpenSpoolDir(c.SpoolRoot())
		if err != nil {
			return nil, err
		}
		if swept > 0 {
			log.Warn("removed temporary files left by stopped processes", "directories", swept, "root", c.SpoolRoot())
		}
		lc.Append(fx.StopHook(dir.Close))
		return dir, nil
	}),
	fx.Provide(func(c Config, spool *system.SpoolDir) (*app.Extractors, error) {
		return app.NewExtractors(builtinExtractors(c, spool.Path())...)
	}),
)

func builtinExtractors(c Config, tempDir string) []ports.Extractor {
	return []ports.Extractor{stub.Extractor{}, &tabular.Extractor{TempDir: tempDir, Limits: c.ExtractionLimits}}
}

// AppModule builds the use cases and makes sure workspace "default" exists.
var AppModule = fx.Module("app",
	fx.Provide(
		func() ports.Clock { return system.Clock{} },
		func() ports.IDGenerator { return system.NewULIDs() },
		func(c Config) ports.WebhookSender {
			return webhooksender.New(webhooksender.Options{AllowPrivate: c.WebhookAllowPrivate})
		},
		func(c Config, repos ports.Repositories, q ports.Queue, blobs ports.BlobStore, ex *app.Extractors,
			clock ports.Clock, ids ports.IDGenerator, hooks ports.WebhookSender, log *slog.Logger) (*app.App, error) {
			startDelay := c.JobStartDelay
			if startDelay == 0 {
				startDelay = -1 // app.Config's way of saying: store every start first
			}
			return app.New(app.Deps{
				Repos: repos, Queue: q, Blobs: blobs, Extractors: ex, Clock: clock, IDs: ids, Webhooks: hooks, Logger: log,
				Config: app.Config{
					MaxUploadBytes: c.MaxUploadBytes, DocumentRetention: c.DocumentRetention, JobTimeout: c.JobTimeout,
					JobMaxAttempts: c.JobMaxAttempts, JobStartDelay: startDelay, KeyCacheTTL: c.KeyCacheTTL, InstanceLease: c.InstanceLease,
				},
			})
		},
	),
	fx.Invoke(func(lc fx.Lifecycle, a *app.App) {
		lc.Append(fx.StartHook(func(ctx context.Context) error {
			_, err := a.Workspaces.EnsureDefault(ctx)
			return err
		}))
	}),
	fx.Invoke(startInstanceLease),
)

// KeysModule makes sure a global admin key exists at start-up and writes
// API key uses: the concerns of a process that serves the API.
var KeysModule = fx.Module("keys",
	fx.Invoke(func(lc fx.Lifecycle, a *app.App, c Config, con Console, log *slog.Logger) {
		lc.Append(fx.StartHook(func(ctx context.Context) error { return bootstrap(ctx, a, c, con, log) }))
	}),
	fx.Invoke(startKeyUseFlusher),
)

// StartError is a start-up failure an operator can act on: what failed
// (the database at its URL, password hidden; the blob store; the listen
// address) and why. The command prints it as one line, without the
// dependency-injection chain that led to it.
type StartError struct {
	What string
	Err  error
}

// Error implements error.
func (e *StartError) Error() string { return e.What + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *StartError) Unwrap() error { return e.Err }

// Console is where the server prints what is for the operator's eyes
// only, apart from the log: the bootstrap admin key.
type Console struct{ io.Writer }

// bootstrap makes sure a global admin key exists: the supplied
// ADE_BOOTSTRAP_ADMIN_KEY, or on a database without any global admin key
// a generated one, printed once on the console (never logged).
func bootstrap(ctx context.Context, a *app.App, c Config, con Console, log *slog.Logger) error {
	res, err := a.Keys.Bootstrap(ctx, c.BootstrapAdminKey.Reveal())
	if err != nil {
		return fmt.Errorf("bootstrap admin key: %w", err)
	}
	switch {
	case res.Text != "":
		if _, err := fmt.Fprintf(con, "admin api key: %s\n", res.Text); err != nil {
			return fmt.Errorf("print the bootstrap admin key: %w", err)
		}
		log.Warn("created a global admin API key and printed it once on standard output; store it now, it is not shown again",
			"api_key_id", app.BootstrapKeyID)
	case res.Created:
		log.Info("ADE_BOOTSTRAP_ADMIN_KEY is now a global admin API key")
	case res.SuppliedRevoked:
		log.Warn("ADE_BOOTSTRAP_ADMIN_KEY names a revoked key: it stays revoked")
	}
	return nil
}

// keyUseFlushInterval is how often the sampled uses of API keys are
// written to last_used_at.
const keyUseFlushInterval = 30 * time.Second

// startKeyUseFlusher writes key uses every keyUseFlushInterval and once
// more at stop, after the HTTP server drained (fx stops modules in reverse
// order).
func startKeyUseFlusher(lc fx.Lifecycle, a *app.App, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				t := time.NewTicker(keyUseFlushInterval)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						if err := a.Keys.FlushLastUsed(ctx); err != nil && ctx.Err() == nil {
							log.Warn("record API key use", "error", err)
						}
					}
				}
			}()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			select {
			case <-done:
			case <-stopCtx.Done():
				return stopCtx.Err()
			}
			if err := a.Keys.FlushLastUsed(stopCtx); err != nil {
				log.Warn("record API key use at stop", "error", err)
			}
			return nil
		},
	})
}

// startInstanceLease takes this process's lease (so its blob intents are
// known to be at work), renews it until stop on a goroutine of its own,
// reclaims once at start the debris of processes that died (blobs stored
// with no row, or deleted with their bytes left; the periodic maintenance
// task reclaims it too), and releases the lease at stop.
func startInstanceLease(lc fx.Lifecycle, a *app.App, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(startCtx context.Context) error {
			if err := a.Debris.RenewLease(startCtx); err != nil {
				return err
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				n, err := a.Debris.Reclaim(ctx)
				switch {
				case err != nil && ctx.Err() == nil:
					log.Error("reclaim debris", "reclaimed", n, "error", err)
				case n > 0:
					log.Warn("reclaimed blobs left by a process that stopped", "reclaimed", n)
				}
			})
			wg.Go(func() {
				t := time.NewTicker(a.Debris.LeaseRenewal())
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						if err := a.Debris.RenewLease(ctx); err != nil && ctx.Err() == nil {
							log.Warn("renew instance lease", "error", err)
						}
					}
				}
			})
			go func() { wg.Wait(); close(done) }()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			select {
			case <-done:
			case <-stopCtx.Done():
				return stopCtx.Err()
			}
			if err := a.Debris.ReleaseLease(stopCtx); err != nil {
				log.Warn("release instance lease", "error", err)
			}
			return nil
		},
	})
}

// workerQueue is a queue this process can run tasks from.
type workerQueue interface {
	ports.Queue
	Start(ctx context.Context, h ports.TaskHandler) error
	Stop(ctx context.Context) error
}

// memoryQueue adapts the in-memory queue's start to workerQueue.
type memoryQueue struct{ *memory.Queue }

func (q memoryQueue) Start(_ context.Context, h ports.TaskHandler) error {
	q.Queue.Start(h)
	return nil
}

// RetryPolicies are the queue's retry policies for a configuration: job
// runs retry soon (a retry follows an outage, and restarts the job);
// webhook deliveries back off from WebhookBackoff, doubling up to an hour.
func RetryPolicies(c Config) map[ports.TaskKind]ports.RetryPolicy {
	return map[ports.TaskKind]ports.RetryPolicy{
		ports.TaskRunJob:         {MaxAttempts: 25, FirstDelay: time.Second, MaxDelay: 30 * time.Second},
		ports.TaskDeliverWebhook: {MaxAttempts: c.WebhookMaxAttempts, FirstDelay: c.WebhookBackoff, MaxDelay: max(time.Hour, c.WebhookBackoff)},
		ports.TaskMaintenance:    {MaxAttempts: 1, FirstDelay: time.Second, MaxDelay: time.Second},
	}
}

// QueueModule opens the job queue on the storage (River on a database,
// the in-memory queue on the memory store) and runs c.Workers workers once
// the application is built. It starts before the HTTP server and so stops
// after it: synchronous submissions still in flight are served by the
// workers while the server drains.
var QueueModule = fx.Module("queue",
	fx.Provide(func(lc fx.Lifecycle, c Config, s Storage, log *slog.Logger) (workerQueue, error) {
		policies := RetryPolicies(c)
		if s.Memory != nil {
			return memoryQueue{memory.NewQueue(s.Memory, memory.QueueOptions{
				Workers: c.Workers, Policies: policies, MaintenanceInterval: c.PurgeInterval, Logger: log,
			})}, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		return riverqueue.Open(ctx, s.DB, riverqueue.Config{
			Workers: c.Workers, Policies: policies, MaintenanceInterval: c.PurgeInterval,
			TaskTimeout: c.JobTimeout + app.DefaultTerminalRetry + time.Minute,
			LeaseTTL:    c.WorkerLeaseTTL, Logger: log,
		})
	}),
	fx.Provide(func(q workerQueue) ports.Queue { return q }),
	fx.Invoke(func(lc fx.Lifecycle, c Config, q workerQueue, a *app.App, log *slog.Logger) {
		lc.Append(fx.Hook{
			OnStart: func(ctx context.Context) error {
				if err := q.Start(ctx, a.Tasks); err != nil {
					return err
				}
				log.Info("queue ready", "workers", c.Workers)
				return nil
			},
			OnStop: q.Stop,
		})
	}),
)

// HTTPModule serves the API: it listens at start (so a busy port fails
// start-up) and drains in-flight requests at stop.
var HTTPModule = fx.Module("http",
	fx.Provide(func(s Storage) *prometheus.Registry {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		if s.DB != nil {
			// go_sql_* with db_name="ade": the pool's open, in-use and idle
			// connections and its waits.
			reg.MustRegister(collectors.NewDBStatsCollector(s.DB.SQL(), "ade"))
		}
		return reg
	}),
	fx.Provide(func(c Config, a *app.App, s Storage, blobs ports.BlobStore, log *slog.Logger, reg *prometheus.Registry) *httpapi.Server {
		return httpapi.New(httpapi.Options{
			App: a, Logger: log, MaxUploadBytes: c.MaxUploadBytes, Registry: reg, Limits: c.Limits, Transport: c.Transport,
			// The web UI (UIModule) is the server's home page.
			Home:   webui.Home,
			Checks: map[string]func(context.Context) error{"database": s.Ping, "blob_store": blobs.Ping},
		})
	}),
	fx.Invoke(func(lc fx.Lifecycle, c Config, srv *httpapi.Server, log *slog.Logger) {
		served := make(chan struct{})
		var ln net.Listener
		lc.Append(fx.Hook{
			OnStart: func(context.Context) error {
				var err error
				ln, err = net.Listen("tcp", c.HTTPAddr)
				if err != nil {
					return &StartError{What: "listen on " + c.HTTPAddr, Err: err}
				}
				log.Info("listening", "addr", ln.Addr().String())
				go func() {
					defer close(served)
					if err := srv.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
						log.Error("http server stopped", "error", err)
					}
				}()
				return nil
			},
			OnStop: func(ctx context.Context) error {
				// The drain deadline: requests in flight may finish until
				// then; whatever is still open afterwards is closed and the
				// stop goes on (the process exits 0).
				log.Info("shutting down: draining requests in flight", "drain_timeout", c.ShutdownTimeout.String())
				drain, cancel := context.WithTimeout(ctx, c.ShutdownTimeout)
				defer cancel()
				err := srv.ShutdownWithContext(drain)
				// A stop right after start can reach fasthttp before Serve
				// has registered the listener, and then it closes nothing:
				// close it here too so Serve returns either way.
				_ = ln.Close()
				select {
				case <-served:
				case <-ctx.Done():
				}
				return err
			},
		})
	}),
)

// Server is the whole `ade serve` graph for a configuration. The log goes
// to logOutput; console receives the one line a first start prints (the
// bootstrap admin key), kept apart so that keys never enter the log.
func Server(c Config, console, logOutput io.Writer) fx.Option {
	log := NewLogger(c, logOutput)
	return fx.Options(
		fx.Supply(c, log, Console{console}),
		fx.WithLogger(func() fxevent.Logger { return newFxLogger(log) }),
		fx.StopTimeout(c.ShutdownTimeout+5*time.Second),
		fx.StartTimeout(startTimeout+15*time.Second),
		StorageModule, BlobModule, ExtractorsModule, AppModule, KeysModule, QueueModule, HTTPModule, UIModule,
	)
}

// Worker is the whole `ade worker` graph: the server's without HTTP. It
// runs c.Workers workers; with none it only enqueues, which is what
// one-shot commands (`ade purge`) use.
func Worker(c Config, logOutput io.Writer) fx.Option {
	log := NewLogger(c, logOutput)
	return fx.Options(
		fx.Supply(c, log),
		fx.WithLogger(func() fxevent.Logger { return newFxLogger(log) }),
		fx.StopTimeout(c.ShutdownTimeout+5*time.Second),
		fx.StartTimeout(startTimeout+15*time.Second),
		StorageModule, BlobModule, ExtractorsModule, AppModule, QueueModule,
	)
}

// newFxLogger logs fx's lifecycle milestones (started, stopping, stopped)
// at info level and everything else it says (each constructor run, each
// hook, and the failures, which the command reports itself in one line) at
// debug level.
func newFxLogger(log *slog.Logger) fxevent.Logger {
	debug := &fxevent.SlogLogger{Logger: log}
	debug.UseLogLevel(slog.LevelDebug)
	debug.UseErrorLevel(slog.LevelDebug)
	return fxLogger{milestones: &fxevent.SlogLogger{Logger: log}, chatter: debug}
}

// fxLogger routes fx's events by importance.
type fxLogger struct{ milestones, chatter fxevent.Logger }

// LogEvent implements fxevent.Logger.
func (l fxLogger) LogEvent(e fxevent.Event) {
	switch ev := e.(type) {
	case *fxevent.Started, *fxevent.Stopping:
		l.milestones.LogEvent(e)
	case *fxevent.Stopped:
		if ev.Err == nil {
			l.milestones.LogEvent(e)
			return
		}
		l.chatter.LogEvent(e)
	default:
		l.chatter.LogEvent(e)
	}
}
