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
}

// adminActor is who every request acts as until API keys arrive.
var adminActor = domain.Actor{Type: domain.ActorUser, ID: "admin", Label: "global admin"}

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// server holds what the handlers share.
type server struct {
	app       *app.App
	log       *slog.Logger
	maxUpload int64
	checks    map[string]func(context.Context) error
	metrics   *metrics
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
		metrics: newMetrics(opts.Registry),
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

func (s *server) routes(f *fiber.App) {
	f.Get("/health/live", s.live)
	f.Get("/health/ready", s.ready)
	f.Get("/metrics", s.metrics.handler())
	f.Get("/openapi.json", serveOpenAPI)
	f.Get("/docs", serveDocs)
	f.Get("/docs/:asset", serveDocsAsset)

	v1 := f.Group("/api/v1")
	v1.Post("/workspaces", s.createWorkspace)
	v1.Get("/workspaces", s.listWorkspaces)

	ws := v1.Group("/workspaces/:ws")
	ws.Post("/documents", s.uploadDocument)
	ws.Get("/documents", s.listDocuments)
	ws.Get("/documents/:document_id", s.getDocument)
	ws.Delete("/documents/:document_id", s.deleteDocument)
	ws.Get("/documents/:document_id/download", s.downloadDocument)
	ws.Get("/documents/:document_id/events", s.documentEvents)

	ws.Post("/configurations", s.createConfiguration)
	ws.Get("/configurations", s.listConfigurations)
	ws.Get("/configurations/:configuration_id", s.getConfiguration)
	ws.Post("/configurations/:configuration_id/activate", s.activateConfiguration)
	ws.Get("/configurations/:configuration_id/events", s.configurationEvents)

	ws.Post("/jobs", s.submitJob)
	ws.Get("/jobs", s.listJobs)
	ws.Get("/jobs/:job_id", s.getJob)
	ws.Get("/jobs/:job_id/results", s.jobResults)
	ws.Post("/jobs/:job_id/cancel", s.cancelJob)
	ws.Get("/jobs/:job_id/events", s.jobEvents)

	ws.Get("/events", s.listEvents)

	ws.Post("/webhooks", s.createWebhook)
	ws.Get("/webhooks", s.listWebhooks)
	ws.Get("/webhooks/:webhook_id", s.getWebhook)
	ws.Delete("/webhooks/:webhook_id", s.deleteWebhook)
	ws.Get("/webhooks/:webhook_id/deliveries", s.webhookDeliveries)
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

// middleware assigns the request id, puts the actor, source and request id
// in the context, handles errors so that their status is known, and then
// records the request's log line and metrics.
func (s *server) middleware(c *fiber.Ctx) error {
	start := time.Now()
	self := c.Route()
	rid := requestIDOf(c)
	ctx := app.WithRequestID(context.Background(), rid)
	ctx = app.WithSource(ctx, "api")
	ctx = app.WithActor(ctx, adminActor)
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
	s.log.LogAttrs(ctx, level, "request",
		slog.String("method", c.Method()), slog.String("route", route), slog.Int("status", status),
		slog.Duration("duration", elapsed), slog.String("request_id", rid), slog.Int("bytes", size))
	return nil
}
