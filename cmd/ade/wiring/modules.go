package wiring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
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
// and the backend itself for the queue that shares it (DB for Bun, Memory
// for the in-memory store; one of them is set).
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
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	db, err := bunstore.Open(ctx, c.DatabaseTarget())
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redactURL(c.DatabaseTarget()), err)
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	if err := riverqueue.Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
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
			return nil, fmt.Errorf("blob store: %w", err)
		}
		lc.Append(fx.StopHook(store.Close))
		return store, nil
	}),
)

// ExtractorsModule registers every built-in extractor.
var ExtractorsModule = fx.Module("extractors",
	fx.Provide(func() (*app.Extractors, error) {
		return app.NewExtractors(builtinExtractors()...)
	}),
)

func builtinExtractors() []ports.Extractor {
	return []ports.Extractor{stub.Extractor{}, tabular.New()}
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
			return app.New(app.Deps{
				Repos: repos, Queue: q, Blobs: blobs, Extractors: ex, Clock: clock, IDs: ids, Webhooks: hooks, Logger: log,
				Config: app.Config{MaxUploadBytes: c.MaxUploadBytes, DocumentRetention: c.DocumentRetention,
					JobTimeout: c.JobTimeout, JobMaxAttempts: c.JobMaxAttempts},
			})
		},
	),
	fx.Invoke(func(lc fx.Lifecycle, a *app.App) {
		lc.Append(fx.StartHook(func(ctx context.Context) error {
			_, err := a.Workspaces.EnsureDefault(ctx)
			return err
		}))
	}),
)

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
	fx.Provide(func() *prometheus.Registry {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		return reg
	}),
	fx.Provide(func(c Config, a *app.App, s Storage, blobs ports.BlobStore, log *slog.Logger, reg *prometheus.Registry) *fiber.App {
		return httpapi.New(httpapi.Options{
			App: a, Logger: log, MaxUploadBytes: c.MaxUploadBytes, Registry: reg,
			Checks: map[string]func(context.Context) error{"database": s.Ping, "blob_store": blobs.Ping},
		})
	}),
	fx.Invoke(func(lc fx.Lifecycle, c Config, srv *fiber.App, log *slog.Logger) {
		served := make(chan struct{})
		var ln net.Listener
		lc.Append(fx.Hook{
			OnStart: func(context.Context) error {
				var err error
				ln, err = net.Listen("tcp", c.HTTPAddr)
				if err != nil {
					return fmt.Errorf("listen on %s: %w", c.HTTPAddr, err)
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
				err := srv.ShutdownWithContext(ctx)
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

// Server is the whole `ade serve` graph for a configuration.
func Server(c Config, logOutput io.Writer) fx.Option {
	log := NewLogger(c, logOutput)
	return fx.Options(
		fx.Supply(c, log),
		fx.WithLogger(func() fxevent.Logger { return quietFxLogger{&fxevent.SlogLogger{Logger: log}} }),
		fx.StopTimeout(c.ShutdownTimeout+5*time.Second),
		fx.StartTimeout(startTimeout+15*time.Second),
		StorageModule, BlobModule, ExtractorsModule, AppModule, QueueModule, HTTPModule,
	)
}

// Worker is the whole `ade worker` graph: the server's without HTTP. It
// runs c.Workers workers; with none it only enqueues, which is what
// one-shot commands (`ade purge`) use.
func Worker(c Config, logOutput io.Writer) fx.Option {
	log := NewLogger(c, logOutput)
	return fx.Options(
		fx.Supply(c, log),
		fx.WithLogger(func() fxevent.Logger { return quietFxLogger{&fxevent.SlogLogger{Logger: log}} }),
		fx.StopTimeout(c.ShutdownTimeout+5*time.Second),
		fx.StartTimeout(startTimeout+15*time.Second),
		StorageModule, BlobModule, ExtractorsModule, AppModule, QueueModule,
	)
}

// quietFxLogger passes on fx's errors and lifecycle milestones but not its
// per-constructor chatter.
type quietFxLogger struct{ next fxevent.Logger }

// LogEvent implements fxevent.Logger.
func (l quietFxLogger) LogEvent(e fxevent.Event) {
	switch ev := e.(type) {
	case *fxevent.BeforeRun, *fxevent.Provided, *fxevent.Supplied, *fxevent.Decorated, *fxevent.Replaced,
		*fxevent.Invoking, *fxevent.OnStartExecuting, *fxevent.OnStopExecuting, *fxevent.LoggerInitialized:
		return
	case *fxevent.Invoked:
		if ev.Err == nil {
			return
		}
	case *fxevent.Run:
		if ev.Err == nil {
			return
		}
	case *fxevent.OnStartExecuted:
		if ev.Err == nil {
			return
		}
	case *fxevent.OnStopExecuted:
		if ev.Err == nil {
			return
		}
	}
	l.next.LogEvent(e)
}
