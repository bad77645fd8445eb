package httpapi

import (
	"context"
	"log/slog"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// Options configure the HTTP adapter.
type Options struct {
	// App is the use cases the handlers call. Required.
	App *app.App
	// Logger receives one structured line per request (method, route,
	// status, duration, request id, bytes) and the causes of internal
	// errors; never secrets or bodies. Nil discards.
	Logger *slog.Logger
	// MaxUploadBytes bounds an uploaded document (ADE_MAX_UPLOAD_BYTES);
	// zero means app.DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// Checks are the readiness checks /health/ready runs, by name (for
	// example "database", "blob_store").
	Checks map[string]func(context.Context) error
	// Registry receives the HTTP metrics served at /metrics; nil means a
	// new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Limits are the per-key rate limit and the concurrency caps.
	Limits Limits
	// InsecureWithoutAuth builds a server that asks for no key: every
	// request acts as a global admin, with no rate limit or cap. It exists
	// for one purpose, measuring what authentication costs (test/bench);
	// the ade binary never sets it and offers no setting for it (test/arch
	// fails the build of any other user).
	InsecureWithoutAuth bool
}

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// server holds what the handlers share.
type server struct {
	app         *app.App
	log         *slog.Logger
	maxUpload   int64
	checks      map[string]func(context.Context) error
	metrics     *metrics
	limits      *limiter
	withoutAuth bool
}

// New returns the fully configured Fiber app: streaming request bodies,
// the error handler, the request middleware and every route. It panics when
// opts.App is nil or the metrics cannot be registered (a wiring error).
func New(opts Options) *fiber.App {
	if opts.App == nil {
		panic("http: Options.App is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = app.DefaultMaxUploadBytes
	}
	s := &server{
		app: opts.App, log: opts.Logger, maxUpload: opts.MaxUploadBytes, checks: opts.Checks,
		metrics: newMetrics(opts.Registry), limits: newLimiter(opts.Limits), withoutAuth: opts.InsecureWithoutAuth,
	}
	f := fiber.New(fiber.Config{
		AppName:               "ade",
		DisableStartupMessage: true,
		CaseSensitive:         true,
		// Values from the request (params, headers, query) outlive the
		// handler: ids end up in events and streams keep the
		// Last-Event-ID. Immutable makes them copies instead of views of
		// buffers fasthttp reuses.
		Immutable:     true,
		StrictRouting: true,
		// Stream every body: uploads go to the blob store as they arrive.
		// BodyLimit then only sizes the prefetch (NOTES.md): JSON bodies up
		// to it are read before the handler runs; the handlers enforce
		// every limit themselves.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    jsonBodyLimit,
		ErrorHandler:                 s.errorHandler,
		// ReadTimeout would cover a whole streamed upload: leave it off and
		// bound idle keep-alive connections instead.
		IdleTimeout: 2 * time.Minute,
	})
	f.Use(s.middleware)
	s.routes(f)
	return f
}

// apiRoute is one /api/v1 operation: what it asks to do (a row of the
// permission table, domain.Action) and the concurrency cap it takes.
type apiRoute struct {
	method  string
	path    string
	action  domain.Action
	gate    gateKind
	handler func(*server, *fiber.Ctx) error
}

// apiRoutes is every /api/v1 operation. The guard of each consults the
// permission table for its action; no handler checks permissions.
var apiRoutes = []apiRoute{
	{fiber.MethodPost, "/workspaces", domain.ActionCreateWorkspace, noGate, (*server).createWorkspace},
	{fiber.MethodGet, "/workspaces", domain.ActionListWorkspaces, noGate, (*server).listWorkspaces},

	{fiber.MethodPost, "/workspaces/:ws/api-keys", domain.ActionManageKeys, noGate, (*server).createAPIKey},
	{fiber.MethodGet, "/workspaces/:ws/api-keys", domain.ActionManageKeys, noGate, (*server).listAPIKeys},
	{fiber.MethodDelete, "/workspaces/:ws/api-keys/:api_key_id", domain.ActionManageKeys, noGate, (*server).revokeAPIKey},

	{fiber.MethodPost, "/workspaces/:ws/documents", domain.ActionWriteDocuments, uploadGate, (*server).uploadDocument},
	{fiber.MethodGet, "/workspaces/:ws/documents", domain.ActionRead, noGate, (*server).listDocuments},
	{fiber.MethodGet, "/workspaces/:ws/documents/:document_id", domain.ActionRead, noGate, (*server).getDocument},
	{fiber.MethodDelete, "/workspaces/:ws/documents/:document_id", domain.ActionWriteDocuments, noGate, (*server).deleteDocument},
	{fiber.MethodGet, "/workspaces/:ws/documents/:document_id/download", domain.ActionRead, noGate, (*server).downloadDocument},
	{fiber.MethodGet, "/workspaces/:ws/documents/:document_id/events", domain.ActionRead, noGate, (*server).documentEvents},

	{fiber.MethodPost, "/workspaces/:ws/configurations", domain.ActionManageConfigurations, noGate, (*server).createConfiguration},
	{fiber.MethodGet, "/workspaces/:ws/configurations", domain.ActionRead, noGate, (*server).listConfigurations},
	{fiber.MethodGet, "/workspaces/:ws/configurations/:configuration_id", domain.ActionRead, noGate, (*server).getConfiguration},
	{fiber.MethodPost, "/workspaces/:ws/configurations/:configuration_id/activate", domain.ActionManageConfigurations, noGate, (*server).activateConfiguration},
	{fiber.MethodGet, "/workspaces/:ws/configurations/:configuration_id/events", domain.ActionRead, noGate, (*server).configurationEvents},

	{fiber.MethodPost, "/workspaces/:ws/jobs", domain.ActionRunJobs, jobGate, (*server).submitJob},
	{fiber.MethodGet, "/workspaces/:ws/jobs", domain.ActionRead, noGate, (*server).listJobs},
	{fiber.MethodGet, "/workspaces/:ws/jobs/:job_id", domain.ActionRead, noGate, (*server).getJob},
	{fiber.MethodGet, "/workspaces/:ws/jobs/:job_id/results", domain.ActionRead, noGate, (*server).jobResults},
	{fiber.MethodPost, "/workspaces/:ws/jobs/:job_id/cancel", domain.ActionRunJobs, noGate, (*server).cancelJob},
	{fiber.MethodGet, "/workspaces/:ws/jobs/:job_id/events", domain.ActionRead, noGate, (*server).jobEvents},

	{fiber.MethodGet, "/workspaces/:ws/events", domain.ActionRead, noGate, (*server).listEvents},

	{fiber.MethodPost, "/workspaces/:ws/webhooks", domain.ActionManageWebhooks, noGate, (*server).createWebhook},
	{fiber.MethodGet, "/workspaces/:ws/webhooks", domain.ActionManageWebhooks, noGate, (*server).listWebhooks},
	{fiber.MethodGet, "/workspaces/:ws/webhooks/:webhook_id", domain.ActionManageWebhooks, noGate, (*server).getWebhook},
	{fiber.MethodDelete, "/workspaces/:ws/webhooks/:webhook_id", domain.ActionManageWebhooks, noGate, (*server).deleteWebhook},
	{fiber.MethodGet, "/workspaces/:ws/webhooks/:webhook_id/deliveries", domain.ActionManageWebhooks, noGate, (*server).webhookDeliveries},
}

func (s *server) routes(f *fiber.App) {
	f.Get("/health/live", s.live)
	f.Get("/health/ready", s.ready)
	f.Get("/metrics", s.metrics.handler())
	f.Get("/openapi.json", serveOpenAPI)
	f.Get("/docs", serveDocs)
	f.Get("/docs/:asset", serveDocsAsset)

	for _, r := range apiRoutes {
		handle := func(c *fiber.Ctx) error { return r.handler(s, c) }
		path := "/api/v1" + r.path
		if r.method == fiber.MethodGet {
			f.Get(path, s.guard(r), handle) // and HEAD
			continue
		}
		f.Add(r.method, path, s.guard(r), handle)
	}
}

// requestIDPattern is what a client-sent X-Request-ID must look like to be
// echoed: 1-128 characters that are safe in logs and headers.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:@/+=\-]{1,128}$`)

const (
	headerRequestID = "X-Request-ID"
	localRequestID  = "ade.request_id"
)

// requestIDOf returns the request's id, assigning one if the middleware has
// not run (errors raised while reading the request).
func requestIDOf(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok && id != "" {
		return id
	}
	id := c.Get(headerRequestID)
	if !requestIDPattern.MatchString(id) {
		id = ulid.Make().String()
	}
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)
	return id
}

// middleware assigns the request id, puts the source and request id in
// the context (the guard adds the actor), handles errors so that their
// status is known, and then records the request's log line and metrics.
func (s *server) middleware(c *fiber.Ctx) error {
	start := time.Now()
	self := c.Route()
	rid := requestIDOf(c)
	ctx := app.WithRequestID(context.Background(), rid)
	ctx = app.WithSource(ctx, "api")
	c.SetUserContext(ctx)

	if err := c.Next(); err != nil {
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}

	route := "unmatched"
	if r := c.Route(); r != self {
		route = r.Path
	}
	status := c.Response().StatusCode()
	var size int
	if c.Response().IsBodyStream() {
		size = c.Response().Header.ContentLength()
	} else {
		size = len(c.Response().Body())
	}
	elapsed := time.Since(start)
	s.metrics.observe(c.Method(), route, status, elapsed)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", c.Method()), slog.String("route", route), slog.Int("status", status),
		slog.Duration("duration", elapsed), slog.String("request_id", rid), slog.Int("bytes", size),
	}
	if k, ok := c.Locals(localKey).(*domain.APIKey); ok {
		// The key's id names it; its text is never logged.
		attrs = append(attrs, slog.String("api_key_id", k.ID()))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
	return nil
}
