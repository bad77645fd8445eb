// Package app holds ADE's use cases: documents, configurations, jobs,
// workspaces and events, orchestrating the domain over the outbound ports.
// It imports the domain and the ports only, so any set of adapters (the
// in-memory ones, Bun, gocloud, or a service's own) can be plugged in.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxUploadBytes    = 25 << 20
	DefaultDocumentRetention = 30 * 24 * time.Hour
	DefaultJobTimeout        = 5 * time.Minute
	DefaultJobMaxAttempts    = 3
	DefaultTerminalRetry     = 2 * time.Minute
	DefaultJobStartDelay     = 250 * time.Millisecond
	DefaultPageLimit         = 50
	MaxPageLimit             = 200
)

// Config tunes the use cases.
type Config struct {
	// MaxUploadBytes bounds an uploaded document (default 25 MiB).
	MaxUploadBytes int64
	// DocumentRetention is how long a document lives when the uploader
	// gives no expiry (default 30 days).
	DocumentRetention time.Duration
	// JobTimeout bounds one extractor run (default 5 minutes).
	JobTimeout time.Duration
	// JobMaxAttempts is how many times a job's extraction may start
	// (default 3): a job whose last allowed attempt was lost with its
	// worker ends failed with code attempts_exhausted.
	JobMaxAttempts int
	// JobStartDelay is how long a job's first attempt may run before its
	// start is stored (default 250 ms; negative stores every start before
	// its extraction runs). An attempt that ends sooner stores its start
	// with its end, in one write: the job goes from pending to its end
	// with both status events (job.running and the terminal one, each
	// with its own time), and was never seen running. A job whose
	// cancellation lands meanwhile is cancelled at once, as a pending job
	// is, and its attempt stores nothing. Later attempts (after a lost
	// worker) store their start first, so attempts count every start.
	JobStartDelay time.Duration
	// SyncWait is how long a synchronous submission waits for its job to
	// end before answering with the job as it stands (default JobTimeout
	// plus a minute).
	SyncWait time.Duration
	// TerminalRetry is how long a worker keeps retrying the write of a
	// job's terminal state while the store does not answer (default 2
	// minutes); past it, the task fails and the queue runs it again.
	TerminalRetry time.Duration
	// KeyCacheTTL is how long a key read from the database is trusted
	// before it is read again (default 5 seconds): the longest a
	// revocation made by another process takes to reach this one.
	KeyCacheTTL time.Duration
	// InstanceLease is how long this process's lease lasts unless
	// renewed (default 30 seconds): the longest after a crash before
	// another process (or its restart) may reclaim its debris.
	InstanceLease time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.DocumentRetention <= 0 {
		c.DocumentRetention = DefaultDocumentRetention
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.JobMaxAttempts <= 0 {
		c.JobMaxAttempts = DefaultJobMaxAttempts
	}
	if c.JobStartDelay == 0 {
		c.JobStartDelay = DefaultJobStartDelay
	}
	if c.SyncWait <= 0 {
		c.SyncWait = c.JobTimeout + time.Minute
	}
	if c.TerminalRetry <= 0 {
		c.TerminalRetry = DefaultTerminalRetry
	}
	if c.KeyCacheTTL <= 0 {
		c.KeyCacheTTL = DefaultKeyCacheTTL
	}
	if c.InstanceLease <= 0 {
		c.InstanceLease = DefaultInstanceLease
	}
	return c
}

// Deps are the ports the use cases run on.
type Deps struct {
	Repos ports.Repositories
	// Queue holds jobs to run and webhook deliveries; it must share the
	// store of Repos (its Enqueue joins Repos.Tx's transactions).
	Queue      ports.Queue
	Blobs      ports.BlobStore
	Extractors *Extractors
	Clock      ports.Clock
	IDs        ports.IDGenerator
	// Webhooks posts webhook deliveries; nil refuses to register webhooks.
	Webhooks ports.WebhookSender
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	Config Config
}

// App groups the use cases.
type App struct {
	Workspaces     *WorkspaceService
	Documents      *DocumentService
	Configurations *ConfigurationService
	Jobs           *JobService
	Events         *EventService
	Keys           *APIKeyService
	Debris         *DebrisService
	Webhooks       *WebhookService
	Maintenance    *MaintenanceService
	// Tasks handles the queue's tasks: queue adapters' workers call it.
	Tasks ports.TaskHandler
}

// New checks deps and builds the use cases.
func New(d Deps) (*App, error) {
	if d.Repos.Tx == nil || d.Repos.Workspaces == nil || d.Repos.Documents == nil ||
		d.Repos.Configurations == nil || d.Repos.Jobs == nil || d.Repos.Tables == nil ||
		d.Repos.EventSink == nil || d.Repos.Events == nil || d.Repos.APIKeys == nil || d.Repos.Feed == nil ||
		d.Repos.Idempotency == nil || d.Repos.Webhooks == nil || d.Repos.Deliveries == nil ||
		d.Repos.BlobIntents == nil || d.Repos.Instances == nil {
		return nil, errors.New("app: every repository is required")
	}
	if d.Queue == nil || d.Blobs == nil || d.Extractors == nil || d.Clock == nil || d.IDs == nil {
		return nil, errors.New("app: queue, blob store, extractors, clock and ids are required")
	}
	if d.Webhooks == nil {
		d.Webhooks = noWebhooks{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d.Config = d.Config.withDefaults()
	c := &core{Deps: d, instance: d.IDs.NewID()}
	a := &App{
		Workspaces:     &WorkspaceService{c: c},
		Documents:      &DocumentService{c},
		Configurations: &ConfigurationService{c},
		Jobs:           &JobService{c},
		Events:         &EventService{c},
		Keys:           &APIKeyService{c: c, cache: map[string]*keyEntry{}, touched: map[string]time.Time{}},
		Debris:         &DebrisService{c},
		Webhooks:       &WebhookService{c},
		Maintenance:    &MaintenanceService{c},
	}
	a.Tasks = &taskHandler{jobs: a.Jobs, webhooks: a.Webhooks, maintenance: a.Maintenance}
	return a, nil
}

// inTx runs fn in a transaction of tx and returns what fn returned.
func inTx[T any](ctx context.Context, tx ports.Transactor, fn func(ctx context.Context) (T, error)) (T, error) {
	var out T
	err := tx.WithinTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		return err
	})
	return out, err
}

// core is what every service shares.
type core struct {
	Deps
	// instance names this process: the owner of its blob intents.
	instance string
	// handoff passes submissions to this process's workers.
	handoff handoff
}

// newEvent builds an event stamped with the context's actor, source and
// request id.
func (c *core) newEvent(ctx context.Context, workspaceID, eventType, entityType, entityID string, payload map[string]any) (*domain.Event, error) {
	actor := ActorFrom(ctx)
	e, err := domain.NewEvent(domain.EventState{
		ID: c.IDs.NewID(), WorkspaceID: workspaceID, EventType: eventType,
		EntityType: entityType, EntityID: entityID, OccurredAt: c.Clock.Now(),
		ActorType: actor.Type, ActorID: actor.ID, ActorLabel: actor.Label,
		Source: SourceFrom(ctx), RequestID: RequestIDFrom(ctx), Payload: payload,
	})
	if err != nil {
		return nil, fmt.Errorf("build %s event: %w", eventType, err)
	}
	return e, nil
}

// record appends one event in ctx's transaction.
func (c *core) record(ctx context.Context, workspaceID, eventType, entityType, entityID string, payload map[string]any) error {
	e, err := c.newEvent(ctx, workspaceID, eventType, entityType, entityID, payload)
	if err != nil {
		return err
	}
	return c.Repos.EventSink.Append(ctx, e)
}

// checkLines refuses request values (filters, references) that are not
// single-line text (domain.ValidateLine), naming each: fields alternate
// names and values. Such a value names nothing, and no store could be
// asked about it (PostgreSQL refuses NUL and invalid UTF-8 outright).
func checkLines(message string, fields ...string) error {
	var bad []domain.FieldError
	for i := 0; i+1 < len(fields); i += 2 {
		if err := domain.ValidateLine(fields[i+1]); err != nil {
			bad = append(bad, domain.FieldError{Field: fields[i], Message: err.Error()})
		}
	}
	if len(bad) > 0 {
		return domain.NewInvalid(message, bad...)
	}
	return nil
}

// PageRequest selects a page of a list. A zero Limit means
// DefaultPageLimit.
type PageRequest struct {
	Limit  int
	Offset int
}

// Page is one page of a list, newest first.
type Page[T any] struct {
	Items   []T
	Limit   int
	Offset  int
	HasMore bool
}

// portPage validates a page request and asks the repository for one item
// more than the page, to learn whether there are more.
func portPage(p PageRequest) (ports.Page, error) {
	if p.Limit == 0 {
		p.Limit = DefaultPageLimit
	}
	var fields []domain.FieldError
	if p.Limit < 1 || p.Limit > MaxPageLimit {
		fields = append(fields, domain.FieldError{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxPageLimit)})
	}
	if p.Offset < 0 {
		fields = append(fields, domain.FieldError{Field: "offset", Message: "must not be negative"})
	}
	if len(fields) > 0 {
		return ports.Page{}, domain.NewInvalid("invalid page", fields...)
	}
	return ports.Page{Limit: p.Limit + 1, Offset: p.Offset}, nil
}

func pageOf[T any](items []T, p ports.Page) Page[T] {
	limit := p.Limit - 1
	more := len(items) > limit
	if more {
		items = items[:limit]
	}
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, Limit: limit, Offset: p.Offset, HasMore: more}
}

// list runs a repository list with paging.
func list[T any](p PageRequest, fetch func(ports.Page) ([]T, error)) (Page[T], error) {
	pp, err := portPage(p)
	if err != nil {
		return Page[T]{}, err
	}
	items, err := fetch(pp)
	if err != nil {
		return Page[T]{}, err
	}
	return pageOf(items, pp), nil
}
