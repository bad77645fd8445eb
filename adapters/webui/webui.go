package webui

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// Options configure the UI.
type Options struct {
	// App is the use cases the pages call. Required.
	App *app.App
	// Logger receives the causes of internal errors; nil discards.
	Logger *slog.Logger
	// MaxUploadBytes is the upload limit shown and enforced per file;
	// zero means app.DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// SessionSecret seals session cookies (at least
	// MinSessionSecretBytes). Every process serving one database must be
	// given the same secret for a session to work on all of them; nil
	// makes a random one, good for this process only.
	SessionSecret []byte
	// SessionTTL is how long a sign-in lasts; zero means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// TrustedProxies are the addresses whose X-Forwarded-Proto is
	// believed when deciding whether the browser uses TLS (and so whether
	// cookies are Secure).
	TrustedProxies []netip.Prefix
	// StreamRefresh is how often a live status stream reads its jobs'
	// events when the event feed has not signalled: the bound on how late
	// it learns of a change whose signal was lost with the process that
	// made it. Zero means DefaultStreamRefresh.
	StreamRefresh time.Duration
}

// DefaultStreamRefresh is Options.StreamRefresh's default.
const DefaultStreamRefresh = 30 * time.Second

// UI is the mounted web UI.
type UI struct {
	s *server
}

// server holds what the pages share.
type server struct {
	app       *app.App
	log       *slog.Logger
	maxUpload int64
	seal      *sealer
	ttl       time.Duration
	trusted   []netip.Prefix
	pages     map[string]*pageTemplate
	assets    *assetSet
	// refresh is how often an idle event stream reads anyway
	// (Options.StreamRefresh).
	refresh time.Duration
	// stop ends the event streams at shutdown.
	stop     chan struct{}
	stopOnce sync.Once
}

// Mount adds the UI's routes to f: GET / and everything under /ui/. It
// fails when the templates do not parse or the secret is too short.
func Mount(f *fiber.App, opts Options) (*UI, error) {
	if opts.App == nil {
		return nil, errors.New("webui: Options.App is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = app.DefaultMaxUploadBytes
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.StreamRefresh <= 0 {
		opts.StreamRefresh = DefaultStreamRefresh
	}
	secret := opts.SessionSecret
	if secret == nil {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	seal, err := newSealer(secret)
	if err != nil {
		return nil, err
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &server{
		app: opts.App, log: opts.Logger, maxUpload: opts.MaxUploadBytes, seal: seal, ttl: opts.SessionTTL,
		trusted: opts.TrustedProxies, assets: assets, refresh: opts.StreamRefresh, stop: make(chan struct{}),
	}
	if s.pages, err = parsePages(assets); err != nil {
		return nil, err
	}
	s.routes(f)
	return &UI{s: s}, nil
}

// Shutdown ends the UI's event streams. Jobs the UI submitted belong to
// the queue, whose workers stop on their own.
func (u *UI) Shutdown(context.Context) error {
	u.s.stopOnce.Do(func() { close(u.s.stop) })
	return nil
}

// uiRoute is one page or form of the UI and the action of the permission
// table it performs. Routes with an empty action are public (sign-in and
// assets); every other route goes through the guard.
type uiRoute struct {
	method  string
	path    string
	action  domain.Action
	handler func(*server, *fiber.Ctx, *request) error
	// bodyToken: the CSRF token arrives inside a streamed body (uploads),
	// and the handler checks it before reading anything else.
	bodyToken bool
}

// uiRoutes is every guarded route of the UI. As in the API, the route
// table is the only place a route meets its action; no handler checks
// permissions.
var uiRoutes = []uiRoute{
	{method: fiber.MethodGet, path: "/ui/workspaces", action: domain.ActionListWorkspaces, handler: (*server).workspacesPage},
	{method: fiber.MethodPost, path: "/ui/sign-out", action: domain.ActionListWorkspaces, handler: (*server).signOut},

	{method: fiber.MethodGet, path: "/ui/w/:ws/documents", action: domain.ActionRead, handler: (*server).documentsPage},
	{method: fiber.MethodGet, path: "/ui/w/:ws/upload", action: domain.ActionWriteDocuments, handler: (*server).uploadPage},
	{method: fiber.MethodPost, path: "/ui/w/:ws/documents", action: domain.ActionWriteDocuments, handler: (*server).upload, bodyToken: true},
	{method: fiber.MethodGet, path: "/ui/w/:ws/documents/:id", action: domain.ActionRead, handler: (*server).documentPage},
	{method: fiber.MethodGet, path: "/ui/w/:ws/documents/:id/download", action: domain.ActionRead, handler: (*server).download},
	{method: fiber.MethodPost, path: "/ui/w/:ws/documents/:id/jobs", action: domain.ActionRunJobs, handler: (*server).submit},

	{method: fiber.MethodGet, path: "/ui/w/:ws/configurations", action: domain.ActionRead, handler: (*server).configurationsPage},
	{method: fiber.MethodGet, path: "/ui/w/:ws/configurations/new", action: domain.ActionManageConfigurations, handler: (*server).editorPage},
	{method: fiber.MethodPost, path: "/ui/w/:ws/configurations", action: domain.ActionManageConfigurations, handler: (*server).saveConfiguration},
	{method: fiber.MethodGet, path: "/ui/w/:ws/configurations/:id", action: domain.ActionRead, handler: (*server).configurationPage},
	{method: fiber.MethodPost, path: "/ui/w/:ws/configurations/:id/activate", action: domain.ActionManageConfigurations, handler: (*server).activate},

	{method: fiber.MethodGet, path: "/ui/w/:ws/jobs", action: domain.ActionRead, handler: (*server).jobsPage},
	{method: fiber.MethodGet, path: "/ui/w/:ws/jobs/:id", action: domain.ActionRead, handler: (*server).jobPage},
	{method: fiber.MethodPost, path: "/ui/w/:ws/jobs/:id/cancel", action: domain.ActionRunJobs, handler: (*server).cancel},
	{method: fiber.MethodGet, path: "/ui/w/:ws/events", action: domain.ActionRead, handler: (*server).stream},
}

// Home is the UI's home page: the workspaces when signed in, sign-in
// otherwise. Mounted beside the API, whose routes come first, the API's
// GET / leads here (httpapi.Options.Home); on an app of its own the UI
// answers / too.
const Home = "/ui/"

func (s *server) routes(f *fiber.App) {
	f.Get("/", s.home)
	f.Get("/ui", s.home)
	f.Get("/ui/", s.home)
	f.Get("/ui/sign-in", s.signInPage)
	f.Post("/ui/sign-in", s.signIn)
	f.Get("/ui/assets/:name", s.asset)
	for _, r := range uiRoutes {
		handle := func(c *fiber.Ctx) error {
			req, err := s.guard(c, r)
			if err != nil || req == nil {
				return err
			}
			return r.handler(s, c, req)
		}
		f.Add(r.method, r.path, s.headers, handle)
		if r.method == fiber.MethodGet {
			f.Add(fiber.MethodHead, r.path, s.headers, handle)
		}
	}
}

// contentSecurityPolicy allows this origin's scripts, styles and
// connections only: no inline script or style, no frames, forms to this
// origin only.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers is the middleware that sets the security headers of every
// guarded page.
func (s *server) headers(c *fiber.Ctx) error {
	setHeaders(c)
	return c.Next()
}

// setHeaders sets the security headers of a page.
func setHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// request is what the guard learned: the signed-in key, the session, and
// the workspace the route names (nil for workspace-less routes).
type request struct {
	key  *domain.APIKey
	sess session
	ws   *domain.Workspace
}

// guard decides whether a UI request may run, with the same checks as
// the API's guard: the session's key is authenticated again (app.Keys,
// cached), the workspace is resolved, and the permission table
// (domain.APIKey.Authorize) is consulted for the route's action. A
// state-changing request must also come from this site and carry the
// session's CSRF token. It answers (nil, nil) when it has already
// responded (a redirect to sign-in).
func (s *server) guard(c *fiber.Ctx, r uiRoute) (*request, error) {
	ctx := app.WithSource(c.UserContext(), "ui")
	sess, err := s.seal.open(sessionCookie, c.Cookies(sessionCookie), s.ttl, time.Now())
	if err != nil {
		return nil, s.toSignIn(c, "")
	}
	key, err := s.app.Keys.Authenticate(ctx, sess.Key)
	if err != nil {
		var ae *app.AuthenticationError
		if errors.As(err, &ae) {
			s.clearCookie(c, sessionCookie)
			return nil, s.toSignIn(c, "Your session has ended: the API key is no longer valid. Sign in with a valid key.")
		}
		return nil, s.problem(c, nil, err)
	}
	req := &request{key: key, sess: sess}
	if r.method != fiber.MethodGet && r.method != fiber.MethodHead {
		if crossSite(c) {
			return nil, s.problem(c, req, errCrossSite)
		}
		if !r.bodyToken {
			if err := s.checkFormToken(c, sess); err != nil {
				return nil, s.problem(c, req, err)
			}
		}
	}
	wsID := ""
	if r.action.NeedsWorkspace() {
		ref := c.Params("ws")
		if ref == "" || len(ref) > 64 {
			return nil, s.problem(c, req, domain.ErrNotFound)
		}
		ws, err := s.app.Workspaces.Resolve(ctx, ref)
		if err != nil {
			return nil, s.problem(c, req, err)
		}
		req.ws, wsID = ws, ws.ID()
	}
	if err := key.Authorize(r.action, wsID); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			err = domain.ErrNotFound // exactly a missing workspace
		}
		return nil, s.problem(c, req, err)
	}
	c.SetUserContext(app.WithActor(ctx, key.Actor()))
	return req, nil
}

// Refusals of the CSRF defences.
var (
	errCrossSite = &refusal{status: fiber.StatusForbidden, title: "Request refused",
		detail: "This request came from another site. Use ADE's own pages to make changes."}
	errBadToken = &refusal{status: fiber.StatusForbidden, title: "The form has expired",
		detail: "The page was out of date or did not come from ADE. Reload the page and try again."}
)

// refusal is an error the UI shows as it is.
type refusal struct {
	status        int
	title, detail string
}

func (r *refusal) Error() string { return r.title + ": " + r.detail }

// maxFormBytes bounds a URL-encoded form: a configuration payload of
// domain.MaxPayloadBytes, percent-encoded.
const maxFormBytes = 3*domain.MaxPayloadBytes + 64<<10

// checkFormToken checks the CSRF token of a URL-encoded form (or the
// X-CSRF-Token header htmx sends) against the session's.
func (s *server) checkFormToken(c *fiber.Ctx, sess session) error {
	if tok := c.Get(csrfHeader); tok != "" {
		if !tokensMatch(tok, sess.CSRF) {
			return errBadToken
		}
		return nil
	}
	if err := s.formBody(c); err != nil {
		return err
	}
	if !tokensMatch(c.FormValue(csrfField), sess.CSRF) {
		return errBadToken
	}
	return nil
}

// formBody refuses a form body without a length or over maxFormBytes
// before anything reads it (the server streams bodies, so nothing else
// bounds it).
func (s *server) formBody(c *fiber.Ctx) error {
	cl := c.Request().Header.ContentLength()
	if cl < 0 {
		return &refusal{status: fiber.StatusLengthRequired, title: "Request refused", detail: "A form must be sent with its length."}
	}
	if cl > maxFormBytes {
		return &domain.TooLargeError{LimitBytes: maxFormBytes}
	}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if cl > 0 && !strings.HasPrefix(ct, fiber.MIMEApplicationForm) {
		return &refusal{status: fiber.StatusUnsupportedMediaType, title: "Request refused", detail: "Forms must be sent URL-encoded."}
	}
	return nil
}

// toSignIn sends the browser to the sign-in page (an htmx request gets
// HX-Redirect, an XHR a 401 it shows), remembering where it was going.
func (s *server) toSignIn(c *fiber.Ctx, message string) error {
	target := "/ui/sign-in"
	if message != "" {
		target += "?ended=1"
	} else if c.Method() == fiber.MethodGet && c.Get("HX-Request") == "" {
		target += "?next=" + urlQueryEscape(c.OriginalURL())
	}
	if wantsJSON(c) {
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"title": "Signed out", "detail": "Your session has ended. Sign in again."})
	}
	if c.Get("HX-Request") != "" {
		c.Set("HX-Redirect", target)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}
