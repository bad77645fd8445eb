package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/oklog/ulid/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

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
	// Transport bounds connections: header, body and idle timeouts, and
	// the connection cap.
	Transport Transport
	// Home is where GET / leads (302); empty means the documentation page,
	// /docs. The ade binary, which serves the web UI beside the API, sets
	// the UI's address.
	Home string
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
	transport   Transport
	// home is where GET / leads (Options.Home).
	home string
	// handling counts the requests whose handlers are running.
	handling atomic.Int64
}

// Server is the configured Fiber app with ADE's connection rules. Serve it
// with Listener, which caps and tracks connections, and stop it with
// ShutdownWithContext (or ShutdownWithTimeout), which drains: connections
// that hold no request are closed at once, requests in flight may finish
// until the context ends, and whatever is still open then is closed. The
// embedded App's other methods are Fiber's.
type Server struct {
	*fiber.App
	conns *connTracker
	log   *slog.Logger
	inner *server
}

// New returns the fully configured server: streaming request bodies, the
// transport's timeouts, the error handler, the request middleware and
// every route. It panics when opts.App is nil or the metrics cannot be
// registered (a wiring error).
func New(opts Options) *Server {
	if opts.App == nil {
		panic("http: Options.App is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = app.DefaultMaxUploadBytes
	}
	t := opts.Transport.withDefaults()
	s := &server{
		app: opts.App, log: opts.Logger, maxUpload: opts.MaxUploadBytes, checks: opts.Checks,
		metrics: newMetrics(opts.Registry), limits: newLimiter(opts.Limits), withoutAuth: opts.InsecureWithoutAuth,
		transport: t, home: opts.Home,
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
		// BodyLimit then only sizes fasthttp's prefetch: JSON bodies up
		// to it are read before the handler runs; the handlers enforce
		// every limit themselves.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    jsonBodyLimit,
		ErrorHandler:                 s.errorHandler,
		// fasthttp's ReadTimeout starts when a request does (at the
		// connection's start, or at a kept-alive request's first byte) and
		// would cover a whole streamed upload: it bounds the headers only.
		// HeaderReceived then gives the body's first bytes a read timeout,
		// and the handlers read the rest through guardedBody.
		ReadTimeout: t.HeaderTimeout,
		IdleTimeout: t.IdleTimeout,
	})
	conns := newConnTracker(t, s.metrics.setConnections, s.metrics.refused.Inc)
	fs := f.Server()
	fs.HeaderReceived = func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
		return fasthttp.RequestConfig{ReadTimeout: t.BodyTimeout}
	}
	fs.ConnState = conns.connState
	fs.CloseOnShutdown = true
	f.Use(s.middleware)
	s.routes(f)
	return &Server{App: f, conns: conns, log: opts.Logger, inner: s}
}

// Listener serves requests from ln until shutdown, through the
// connection cap: a connection past it is answered 503 with Retry-After
// and closed.
func (s *Server) Listener(ln net.Listener) error {
	return s.App.Listener(&trackedListener{Listener: ln, t: s.conns})
}

// ShutdownWithContext stops the server: it refuses new connections, closes
// the open ones that hold no request, and lets requests in flight finish
// until ctx ends; then it closes every connection left and returns nil.
// Handlers still running then (an extraction, say) are not waited for.
func (s *Server) ShutdownWithContext(ctx context.Context) error {
	quiet := s.conns.beginShutdown()
	err := s.App.ShutdownWithContext(ctx)
	if err == nil {
		if quiet > 0 {
			s.log.Info("shutdown closed connections that held no request", "connections", quiet)
		}
		return nil
	}
	if ctx.Err() == nil {
		return err
	}
	cut := s.conns.closeAll()
	// Handlers reading from or writing to the closed connections fail
	// now and clean up what they started (a staged upload, say); give
	// them a moment. One that waits on something else (an extraction)
	// is not waited for.
	deadline := time.Now().Add(cutGrace)
	for s.inner.handling.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s.log.Warn("shutdown drain deadline passed: closed the connections still open", "connections", cut,
		"idle_closed", quiet, "handlers_running", s.inner.handling.Load())
	return nil
}

// cutGrace is how long a shutdown that closed connections at the drain
// deadline waits for their handlers to return.
const cutGrace = 2 * time.Second

// ShutdownWithTimeout is ShutdownWithContext with a timeout.
func (s *Server) ShutdownWithTimeout(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.ShutdownWithContext(ctx)
}

// Shutdown is ShutdownWithContext without a deadline.
func (s *Server) Shutdown() error { return s.ShutdownWithContext(context.Background()) }

// OpenConnections returns how many connections are open.
func (s *Server) OpenConnections() int { return s.conns.open() }

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
	// The server's root leads to the web UI when there is one, to the API
	// reference otherwise.
	home := s.home
	if home == "" {
		home = "/docs"
	}
	f.Get("/", func(c *fiber.Ctx) error { return c.Redirect(home, fiber.StatusFound) })
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

// errPanic is what a handler that panicked fails with: a 500 that tells
// the client nothing more.
var errPanic = errors.New("handler panicked")

// next runs the rest of the chain and turns a panic into errPanic, after
// logging its value and stack under the request id and counting it: one
// request's bug answers 500 instead of taking the process down.
func (s *server) next(c *fiber.Ctx) (err error) {
	s.handling.Add(1)
	defer s.handling.Add(-1)
	defer func() {
		if r := recover(); r != nil {
			s.metrics.panics.Inc()
			s.log.ErrorContext(c.UserContext(), "handler panicked", "request_id", requestIDOf(c),
				"method", c.Method(), "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = errPanic
		}
	}()
	return c.Next()
}

// requestIDPattern is what a client-sent X-Request-ID must look like to be
// echoed: 1-128 characters that are safe in logs and headers.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:@/+=\-]{1,128}$`)

const (
	headerRequestID = "X-Request-ID"
	localRequestID  = "ade.request_id"
	// localTransport holds the server's Transport, for the body readers.
	localTransport = "ade.transport"
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
	c.Locals(localTransport, s.transport)
	// No answer of this server is meant to be sniffed into another type.
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	ctx := app.WithRequestID(context.Background(), rid)
	ctx = app.WithSource(ctx, "api")
	c.SetUserContext(ctx)

	if err := s.next(c); err != nil {
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
