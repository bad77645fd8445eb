// Package riverqueue is the durable ports.Queue on github.com/riverqueue/river,
// sharing the bunstore database: PostgreSQL (through River's database/sql
// driver, with a pgx connection pool for LISTEN) or SQLite (River's SQLite
// driver).
//
// Enqueue joins the bunstore transaction the context carries, so a task
// commits or rolls back with the rows it belongs to. Every process opens a
// queue: API-only processes insert, processes with workers also fetch and
// run tasks. River provides retries with backoff, cross-process fetching
// with LISTEN/NOTIFY, and leader election for the periodic maintenance
// task. This package adds worker leases (see lease.go), so that a task
// whose process died is handed out again within seconds instead of after
// River's time-based rescue (the job timeout plus an hour).
package riverqueue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ ports.Queue = (*Queue)(nil)

// River queue names, one per kind of work, so deliveries to slow
// receivers never hold up extractions.
const (
	QueueJobs        = "ade_jobs"
	QueueWebhooks    = "ade_webhooks"
	QueueMaintenance = "ade_maintenance"
)

// Defaults of Config fields left zero.
const (
	DefaultWebhookWorkers    = 8
	DefaultFetchCooldown     = 5 * time.Millisecond
	DefaultFetchPollInterval = time.Second
	DefaultHeartbeat         = time.Second
	DefaultLeaseTTL          = 5 * time.Second
	DefaultTaskTimeout       = 10 * time.Minute
)

// DefaultPolicy applies to task kinds Config gives no policy for.
var DefaultPolicy = ports.RetryPolicy{MaxAttempts: 10, FirstDelay: time.Second, MaxDelay: time.Minute}

// Config tunes a Queue.
type Config struct {
	// Workers is how many job runs this process works at once (the bound
	// on concurrent extractions, and so on the memory they take); 0 makes
	// an insert-only queue that runs nothing.
	Workers int
	// WebhookWorkers is how many webhook deliveries run at once (default
	// 8); ignored when Workers is 0.
	WebhookWorkers int
	// Policies are the retry policies by task kind.
	Policies map[ports.TaskKind]ports.RetryPolicy
	// MaintenanceInterval is how often the maintenance task runs, once
	// across every process (River's leader enqueues it); 0 disables it.
	MaintenanceInterval time.Duration
	// TaskTimeout bounds one attempt of any task (default 10 minutes);
	// keep it above the job timeout plus the terminal write's retries.
	TaskTimeout time.Duration
	// FetchCooldown is the least time between two fetches of a queue
	// (default 5 ms; River's own default, 100 ms, caps a worker pool at a
	// few hundred tasks per second).
	FetchCooldown time.Duration
	// FetchPollInterval is how often a queue looks for tasks without being
	// notified (default 1 s): the pace at which rescued tasks are found.
	FetchPollInterval time.Duration
	// Heartbeat is how often a process with workers renews its lease
	// (default 1 s); LeaseTTL is how long a silent process keeps its tasks
	// (default 5 s) before another hands them out again.
	Heartbeat time.Duration
	LeaseTTL  time.Duration
	// ID names this process in River (attempted_by) and in the lease
	// table; default host-pid-random.
	ID string
	// Logger receives River's warnings and the lease keeper's reports.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.WebhookWorkers <= 0 {
		c.WebhookWorkers = DefaultWebhookWorkers
	}
	if c.TaskTimeout <= 0 {
		c.TaskTimeout = DefaultTaskTimeout
	}
	if c.FetchCooldown <= 0 {
		c.FetchCooldown = DefaultFetchCooldown
	}
	if c.FetchPollInterval <= 0 {
		c.FetchPollInterval = DefaultFetchPollInterval
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.ID == "" {
		host, _ := os.Hostname()
		c.ID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) policy(kind ports.TaskKind) ports.RetryPolicy {
	if p, ok := c.Policies[kind]; ok && p.MaxAttempts > 0 {
		return p
	}
	return DefaultPolicy
}

// Queue is a River client over a bunstore database.
type Queue struct {
	db       *bunstore.DB
	cfg      Config
	client   *river.Client[*sql.Tx]
	listener *pgxpool.Pool
	sqlite   *sql.DB
	lease    *leaseKeeper
	notes    insertNotes

	mu      sync.Mutex
	handler ports.TaskHandler
}

// Open builds the queue on db (migrated with Migrate) and attaches it to
// db, so that job changes store their tasks with them
// (bunstore.DB.SetTaskWriter). Nothing runs until Start.
func Open(ctx context.Context, db *bunstore.DB, cfg Config) (*Queue, error) {
	cfg = cfg.withDefaults()
	q := &Queue{db: db, cfg: cfg}
	rc := &river.Config{
		ID:                   cfg.ID,
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		JobTimeout:           cfg.TaskTimeout,
		RescueStuckJobsAfter: cfg.TaskTimeout + time.Hour,
		MaxAttempts:          DefaultPolicy.MaxAttempts,
		Logger:               riverLogger(cfg.Logger),
	}
	if cfg.Workers > 0 {
		workers := river.NewWorkers()
		river.AddWorker(workers, &worker[runJobArgs]{q: q, policy: cfg.policy(ports.TaskRunJob), timeout: cfg.TaskTimeout})
		river.AddWorker(workers, &worker[deliverArgs]{q: q, policy: cfg.policy(ports.TaskDeliverWebhook), timeout: cfg.TaskTimeout})
		river.AddWorker(workers, &worker[maintenanceArgs]{q: q, policy: cfg.policy(ports.TaskMaintenance), timeout: cfg.TaskTimeout})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{
			QueueJobs:        {MaxWorkers: cfg.Workers},
			QueueWebhooks:    {MaxWorkers: cfg.WebhookWorkers},
			QueueMaintenance: {MaxWorkers: 1},
		}
		if cfg.MaintenanceInterval > 0 {
			rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.MaintenanceInterval),
				func() (river.JobArgs, *river.InsertOpts) { return maintenanceArgs{}, nil },
				&river.PeriodicJobOpts{ID: "ade.maintenance", RunOnStart: true})}
		}
	}
	var err error
	switch db.Dialect() {
	case "pg":
		var d *riverdatabasesql.Driver
		if cfg.Workers > 0 {
			// A small pool for LISTEN: River acquires one connection from it.
			pcfg, perr := pgxpool.ParseConfig(db.URL())
			if perr != nil {
				return nil, errors.New("open queue: invalid PostgreSQL URL")
			}
			pcfg.MaxConns = 2
			if q.listener, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
				return nil, fmt.Errorf("open queue: %w: %w", domain.ErrUnavailable, err)
			}
			d = riverdatabasesql.NewWithPgxListener(db.SQL(), q.listener)
		} else {
			d = riverdatabasesql.New(db.SQL())
		}
		q.client, err = river.NewClient[*sql.Tx](d, rc)
	default:
		// River's own connection: one, so that its statements queue in
		// Go instead of in SQLite's busy handler, which sleeps.
		if q.sqlite, err = sql.Open(sqliteshim.ShimName, db.URL()); err != nil {
			return nil, fmt.Errorf("open queue: %w", err)
		}
		q.sqlite.SetMaxOpenConns(1)
		q.client, err = river.NewClient[*sql.Tx](riversqlite.New(q.sqlite), rc)
	}
	if err != nil {
		q.closeListener()
		return nil, fmt.Errorf("open queue: %w", err)
	}
	if cfg.Workers > 0 {
		q.lease = newLeaseKeeper(q)
	}
	db.SetTaskWriter(q)
	return q, nil
}

// ID returns the name this process works under (River's attempted_by).
func (q *Queue) ID() string { return q.cfg.ID }

// Enqueue inserts the tasks in the transaction ctx carries, or in one of
// their own.
func (q *Queue) Enqueue(ctx context.Context, tasks ...ports.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, 0, len(tasks))
	for _, t := range tasks {
		args, err := argsOf(t)
		if err != nil {
			return err
		}
		params = append(params, river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{
			MaxAttempts: q.cfg.policy(t.Kind).MaxAttempts,
		}})
	}
	var err error
	if tx, ok := bunstore.SQLTx(ctx, q.db); ok {
		_, err = q.client.InsertManyTx(ctx, tx, params)
	} else {
		_, err = q.client.InsertMany(ctx, params)
	}
	if err != nil {
		return fmt.Errorf("enqueue: %w", classify(err))
	}
	return nil
}

// Start runs the workers, handing tasks to h, and the lease keeper. An
// insert-only queue has nothing to start.
func (q *Queue) Start(ctx context.Context, h ports.TaskHandler) error {
	q.mu.Lock()
	q.handler = h
	q.mu.Unlock()
	if q.cfg.Workers == 0 {
		return nil
	}
	if err := q.lease.start(ctx); err != nil {
		return err
	}
	// River's work must outlive the start-up context.
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		q.lease.stop(context.WithoutCancel(ctx))
		return fmt.Errorf("start queue: %w", err)
	}
	return nil
}

// Stop stops fetching, lets running tasks finish until ctx ends, then
// cancels them (they are handed out again), and releases the lease.
func (q *Queue) Stop(ctx context.Context) error {
	defer q.closeListener()
	if q.cfg.Workers == 0 {
		return nil
	}
	err := q.client.Stop(ctx)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = errors.Join(err, q.client.StopAndCancel(cctx))
	}
	q.lease.stop(context.WithoutCancel(ctx))
	return err
}

func (q *Queue) closeListener() {
	if q.listener != nil {
		q.listener.Close()
		q.listener = nil
	}
	if q.sqlite != nil {
		_ = q.sqlite.Close()
		q.sqlite = nil
	}
}

func (q *Queue) taskHandler() ports.TaskHandler {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.handler
}

// classify marks connection failures as domain.ErrUnavailable.
func classify(err error) error {
	var netErr interface{ Timeout() bool }
	if errors.As(err, &netErr) || errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return err
}

// riverLogger passes River's warnings and errors on; its information
// lines (every start and stop of a service) are noise in ADE's log.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}
