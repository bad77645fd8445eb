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
	"github.com/ade-go/ade/adapters/system"
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

// Storage is the opened database: its repositories and a readiness check.
type Storage struct {
	Repos ports.Repositories
	Ping  func(context.Context) error
}

// StorageModule opens (and migrates) the configured database.
var StorageModule = fx.Module("storage",
	fx.Provide(func(lc fx.Lifecycle, c Config, log *slog.Logger) (Storage, error) {
		if c.IsMemoryDatabase() {
			log.Warn("storage is in memory: everything is lost when the process exits")
			store := memory.New()
			return Storage{Repos: store.Repositories(), Ping: store.Ping}, nil
		}
		if c.DatabaseURL == "" {
			if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
				return Storage{}, fmt.Errorf("data directory: %w", err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		db, err := bunstore.Open(ctx, c.DatabaseTarget())
		if err != nil {
			return Storage{}, fmt.Errorf("database %s: %w", redactURL(c.DatabaseTarget()), err)
		}
		if err := db.Migrate(ctx); err != nil {
			_ = db.Close()
			return Storage{}, fmt.Errorf("migrate database: %w", err)
		}
		lc.Append(fx.StopHook(db.Close))
		log.Info("database ready", "dialect", db.Dialect())
		return Storage{Repos: db.Repositories(), Ping: db.Ping}, nil
	}),
	fx.Provide(func(s Storage) ports.Repositories { return s.Repos }),
)

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
		func(c Config, repos ports.Repositories, blobs ports.BlobStore, ex *app.Extractors,
			clock ports.Clock, ids ports.IDGenerator, log *slog.Logger) (*app.App, error) {
			return app.New(app.Deps{
				Repos: repos, Blobs: blobs, Extractors: ex, Clock: clock, IDs: ids, Logger: log,
				Config: app.Config{
					MaxUploadBytes: c.MaxUploadBytes, DocumentRetention: c.DocumentRetention, JobTimeout: c.JobTimeout,
					KeyCacheTTL: c.KeyCacheTTL,
				},
			})
		},
	),
	fx.Invoke(func(lc fx.Lifecycle, a *app.App, c Config, con Console, log *slog.Logger) {
		lc.Append(fx.StartHook(func(ctx context.Context) error {
			if _, err := a.Workspaces.EnsureDefault(ctx); err != nil {
				return err
			}
			return bootstrap(ctx, a, c, con, log)
		}))
	}),
	fx.Invoke(startMaintenance),
	fx.Invoke(startKeyUseFlusher),
)

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

// startMaintenance runs the background sweeps at start and then every
// PurgeInterval until stop: expired documents are purged, and jobs left
// running by a process that stopped mid-run are ended failed.
func startMaintenance(lc fx.Lifecycle, c Config, a *app.App, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sweep := func() {
		n, err := a.Documents.PurgeExpired(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("purge expired documents", "purged", n, "error", err)
		case n > 0:
			log.Info("purged expired documents", "purged", n)
		}
		n, err = a.Jobs.FailStale(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("end stale jobs", "ended", n, "error", err)
		case n > 0:
			log.Warn("ended jobs left running by a stopped process", "ended", n)
		}
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				t := time.NewTicker(c.PurgeInterval)
				defer t.Stop()
				for {
					sweep()
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
				}
			}()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			select {
			case <-done:
				return nil
			case <-stopCtx.Done():
				return stopCtx.Err()
			}
		},
	})
}

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
			App: a, Logger: log, MaxUploadBytes: c.MaxUploadBytes, Registry: reg, Limits: c.Limits,
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

// Server is the whole `ade serve` graph for a configuration. The log goes
// to logOutput; console receives the one line a first start prints (the
// bootstrap admin key), kept apart so that keys never enter the log.
func Server(c Config, console, logOutput io.Writer) fx.Option {
	log := NewLogger(c, logOutput)
	return fx.Options(
		fx.Supply(c, log, Console{console}),
		fx.WithLogger(func() fxevent.Logger { return quietFxLogger{&fxevent.SlogLogger{Logger: log}} }),
		fx.StopTimeout(c.ShutdownTimeout+5*time.Second),
		fx.StartTimeout(startTimeout+15*time.Second),
		StorageModule, BlobModule, ExtractorsModule, AppModule, HTTPModule, UIModule,
	)
}

// quietFxLogger passes on fx's errors and lifecycle milestones but not its
// per-constructor chatter.
type quietFxLogger struct{ next fxevent.Logger }

// LogEvent implements fxevent.Logger.
func (l quietFxLogger) LogEvent(e fxevent.Event) {
	switch ev := e.(type) {
	case *fxevent.Provided, *fxevent.Supplied, *fxevent.Decorated, *fxevent.Replaced,
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
