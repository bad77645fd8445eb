package webui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// uiPageSize is how many rows a list page shows.
const uiPageSize = 50

// uiTablesPerPage is how many tables a job's page shows (each with its
// first rows, mapping and detection).
const uiTablesPerPage = 20

// home answers GET /: the workspaces page when signed in, sign-in
// otherwise.
func (s *server) home(c *fiber.Ctx) error {
	setHeaders(c)
	if _, err := s.seal.open(sessionCookie, c.Cookies(sessionCookie), s.ttl, time.Now()); err == nil {
		return c.Redirect("/ui/workspaces", fiber.StatusSeeOther)
	}
	return c.Redirect("/ui/sign-in", fiber.StatusSeeOther)
}

// signInData is the sign-in page's data.
type signInData struct {
	Next  string
	Error string
}

// signInPage answers GET /ui/sign-in with a fresh sign-in token.
func (s *server) signInPage(c *fiber.Ctx) error {
	setHeaders(c)
	v := &view{Title: "Sign in", CSRF: newToken()}
	if err := s.setCookie(c, signinCookie, session{CSRF: v.CSRF, Issued: time.Now().Unix()}, signinTTL); err != nil {
		return s.problem(c, nil, err)
	}
	if c.Query("ended") != "" {
		v.Notice = "Your session has ended: the API key is no longer valid, or you signed out."
	}
	v.Data = signInData{Next: safeNext(c.Query("next"))}
	return s.render(c, fiber.StatusOK, "signin", v)
}

// safeNext keeps a post-sign-in destination only when it is a UI path of
// this site (no open redirect).
func safeNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return ""
}

// signIn answers POST /ui/sign-in: the form's token must match the sign-in
// cookie's, and the key must authenticate. The session gets a new token.
func (s *server) signIn(c *fiber.Ctx) error {
	setHeaders(c)
	if crossSite(c) {
		return s.problem(c, nil, errCrossSite)
	}
	if err := s.formBody(c); err != nil {
		return s.problem(c, nil, err)
	}
	pre, err := s.seal.open(signinCookie, c.Cookies(signinCookie), signinTTL, time.Now())
	if err != nil || !tokensMatch(c.FormValue(csrfField), pre.CSRF) {
		return s.problem(c, nil, errBadToken)
	}
	next := safeNext(c.FormValue("next"))
	text := strings.TrimSpace(c.FormValue("api_key"))
	key, err := s.app.Keys.Authenticate(app.WithSource(c.UserContext(), "ui"), text)
	if err != nil {
		var ae *app.AuthenticationError
		if !errors.As(err, &ae) {
			return s.problem(c, nil, err)
		}
		v := &view{Title: "Sign in", CSRF: pre.CSRF}
		v.Data = signInData{Next: next, Error: "That API key is not valid. Check that you copied all of it, and that it has not been revoked."}
		return s.render(c, fiber.StatusUnauthorized, "signin", v)
	}
	if err := s.setCookie(c, sessionCookie, session{Key: text, CSRF: newToken(), Issued: time.Now().Unix()}, s.ttl); err != nil {
		return s.problem(c, nil, err)
	}
	s.clearCookie(c, signinCookie)
	if next == "" {
		next = "/ui/workspaces"
		if !key.IsGlobalAdmin() {
			if ws, err := s.app.Workspaces.Resolve(c.UserContext(), key.WorkspaceID()); err == nil {
				next = "/ui/w/" + url.PathEscape(ws.Slug()) + "/documents"
			}
		}
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// signOut answers POST /ui/sign-out.
func (s *server) signOut(c *fiber.Ctx, _ *request) error {
	s.clearCookie(c, sessionCookie)
	return c.Redirect("/ui/sign-in", fiber.StatusSeeOther)
}

// workspacesPage lists the workspaces the key can see.
func (s *server) workspacesPage(c *fiber.Ctx, req *request) error {
	page, err := s.app.Workspaces.ListVisible(c.UserContext(), req.key, app.PageRequest{Limit: app.MaxPageLimit})
	if err != nil {
		return s.problem(c, req, err)
	}
	v := s.newView(req, "Workspaces", "workspaces")
	v.Data = page.Items
	return s.render(c, fiber.StatusOK, "workspaces", v)
}

// documentsData is the documents page's data.
type documentsData struct {
	Name    string
	Origin  string
	Entries []app.LedgerEntry
	Offset  int
	Prev    string
	Next    string
	Now     time.Time
}

// documentsPage is the documents ledger: filters, name search, each
// document's latest job, expiry, and paging.
func (s *server) documentsPage(c *fiber.Ctx, req *request) error {
	q := app.DocumentQuery{Name: strings.TrimSpace(c.Query("name")), Origin: ports.DocumentOrigin(c.Query("origin"))}
	offset, err := offsetParam(c)
	if err != nil {
		return s.problem(c, req, err)
	}
	after, err := s.cursor(c.UserContext(), req)
	if err != nil {
		return s.problem(c, req, err)
	}
	page, err := s.app.Documents.Find(c.UserContext(), req.ws.ID(), q, app.PageRequest{Limit: uiPageSize, Offset: offset})
	if err != nil {
		return s.problem(c, req, err)
	}
	v := s.newView(req, "Documents", "documents")
	d := documentsData{Name: q.Name, Origin: string(q.Origin), Entries: page.Items, Offset: offset, Now: time.Now()}
	filters := url.Values{}
	if q.Name != "" {
		filters.Set("name", q.Name)
	}
	if q.Origin != "" {
		filters.Set("origin", string(q.Origin))
	}
	d.Prev, d.Next = pager(v.WS()+"/documents", filters, offset, page.HasMore)
	v.Data = d
	jobs := make([]*domain.Job, 0, len(page.Items))
	for _, e := range page.Items {
		jobs = append(jobs, e.LatestJob)
	}
	s.follow(v, after, jobs...)
	return s.render(c, fiber.StatusOK, "documents", v)
}

// pager returns the links to the newer and older pages of a list at
// offset (empty when there is none), keeping its filters.
func pager(path string, filters url.Values, offset int, hasMore bool) (prev, next string) {
	return pagerOf(path, filters, offset, uiPageSize, hasMore)
}

// pagerOf is pager for pages of size rows.
func pagerOf(path string, filters url.Values, offset, size int, hasMore bool) (prev, next string) {
	link := func(off int) string {
		vals := url.Values{}
		for k, v := range filters {
			vals[k] = v
		}
		if off > 0 {
			vals.Set("offset", strconv.Itoa(off))
		}
		if len(vals) == 0 {
			return path
		}
		return path + "?" + vals.Encode()
	}
	if offset > 0 {
		prev = link(max(0, offset-size))
	}
	if hasMore {
		next = link(offset + size)
	}
	return prev, next
}

// offsetParam reads ?offset=.
func offsetParam(c *fiber.Ctx) (int, error) {
	raw := c.Query("offset")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n > 1_000_000_000 {
		return 0, domain.NewInvalid("invalid page", domain.FieldError{Field: "offset", Message: "must be a whole number, 0 or more"})
	}
	return n, nil
}

// uploadData is the upload page's data.
type uploadData struct {
	MaxBytes   int64
	MaxHuman   string
	DefaultTTL string
}

// uploadPage shows the upload form (keys that may write documents only:
// the route's action says so).
func (s *server) uploadPage(c *fiber.Ctx, req *request) error {
	v := s.newView(req, "Upload documents", "upload")
	v.Data = uploadData{MaxBytes: s.maxUpload, MaxHuman: humanBytes(s.maxUpload)}
	return s.render(c, fiber.StatusOK, "upload", v)
}

// documentData is the document page's data.
type documentData struct {
	Doc      *domain.Document
	Events   []*domain.Event
	Jobs     []*domain.Job
	Types    []*domain.Configuration
	Now      time.Time
	Metadata string
}

// documentPage shows a document: details, download, its events timeline,
// its jobs, and a form to run a job on it.
func (s *server) documentPage(c *fiber.Ctx, req *request) error {
	ctx := c.UserContext()
	ws := req.ws.ID()
	after, err := s.cursor(ctx, req)
	if err != nil {
		return s.problem(c, req, err)
	}
	doc, err := s.app.Documents.Get(ctx, ws, c.Params("id"))
	if err != nil {
		return s.problem(c, req, err)
	}
	events, err := s.app.Documents.Events(ctx, ws, doc.ID(), app.PageRequest{Limit: app.MaxPageLimit})
	if err != nil {
		return s.problem(c, req, err)
	}
	jobs, err := s.app.Jobs.List(ctx, ws, ports.JobFilter{DocumentID: doc.ID()}, app.PageRequest{Limit: uiPageSize})
	if err != nil {
		return s.problem(c, req, err)
	}
	active := true
	types, err := s.app.Configurations.List(ctx, ws, ports.ConfigurationFilter{IsActive: &active}, app.PageRequest{Limit: app.MaxPageLimit})
	if err != nil {
		return s.problem(c, req, err)
	}
	v := s.newView(req, doc.Filename(), "documents")
	v.Data = documentData{Doc: doc, Events: events.Items, Jobs: jobs.Items, Types: types.Items, Now: time.Now(),
		Metadata: prettyJSON(doc.State().Metadata)}
	s.follow(v, after, jobs.Items...)
	return s.render(c, fiber.StatusOK, "document", v)
}

// download streams a document's bytes as an attachment.
func (s *server) download(c *fiber.Ctx, req *request) error {
	doc, rc, err := s.app.Documents.Open(c.UserContext(), req.ws.ID(), c.Params("id"), 0, -1)
	if err != nil {
		return s.problem(c, req, err)
	}
	c.Set(fiber.HeaderContentType, doc.ContentType())
	c.Set(fiber.HeaderContentDisposition, contentDisposition(doc.Filename()))
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.SendStream(rc, int(doc.ByteSize()))
}

// contentDisposition names a download, with an ASCII fallback and the
// UTF-8 name (RFC 6266).
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name))
}

// submit answers POST .../documents/:id/jobs: a job on the document with
// the chosen document type's active configuration. The job is queued
// pending, a worker of any process runs it, and the person lands on its
// page, which follows it.
func (s *server) submit(c *fiber.Ctx, req *request) error {
	sub := app.SubmitJobRequest{WorkspaceID: req.ws.ID(), DocumentID: c.Params("id")}
	if id := c.FormValue("configuration_id"); id != "" {
		sub.ConfigurationID = id
	} else {
		sub.DocumentType = c.FormValue("document_type")
	}
	if sub.ConfigurationID == "" && sub.DocumentType == "" {
		return s.problem(c, req, domain.NewInvalid("no configuration chosen",
			domain.FieldError{Field: "document_type", Message: "choose a document type with an active configuration"}))
	}
	job, err := s.app.Jobs.Enqueue(c.UserContext(), sub)
	if err != nil {
		return s.problem(c, req, err)
	}
	return c.Redirect(s.jobURL(req, job.ID()), fiber.StatusSeeOther)
}

func (s *server) jobURL(req *request, id string) string {
	return "/ui/w/" + url.PathEscape(req.ws.Slug()) + "/jobs/" + url.PathEscape(id)
}

// typeGroup is one document type's configuration versions.
type typeGroup struct {
	DocumentType string
	Versions     []*domain.Configuration
}

// configurationsPage lists configurations grouped by document type.
func (s *server) configurationsPage(c *fiber.Ctx, req *request) error {
	page, err := s.app.Configurations.List(c.UserContext(), req.ws.ID(), ports.ConfigurationFilter{}, app.PageRequest{Limit: app.MaxPageLimit})
	if err != nil {
		return s.problem(c, req, err)
	}
	var groups []*typeGroup
	byType := map[string]*typeGroup{}
	for _, cfg := range page.Items {
		g, ok := byType[cfg.DocumentType()]
		if !ok {
			g = &typeGroup{DocumentType: cfg.DocumentType()}
			byType[cfg.DocumentType()] = g
			groups = append(groups, g)
		}
		g.Versions = append(g.Versions, cfg)
	}
	v := s.newView(req, "Configurations", "configurations")
	v.Data = groups
	return s.render(c, fiber.StatusOK, "configurations", v)
}

// configurationPage shows one configuration version.
func (s *server) configurationPage(c *fiber.Ctx, req *request) error {
	cfg, err := s.app.Configurations.Get(c.UserContext(), req.ws.ID(), c.Params("id"))
	if err != nil {
		return s.problem(c, req, err)
	}
	v := s.newView(req, fmt.Sprintf("%s, version %d", cfg.DocumentType(), cfg.Version()), "configurations")
	v.Data = struct {
		Cfg     *domain.Configuration
		Payload string
	}{cfg, prettyJSON(cfg.Payload())}
	return s.render(c, fiber.StatusOK, "configuration", v)
}

// activate answers POST .../configurations/:id/activate.
func (s *server) activate(c *fiber.Ctx, req *request) error {
	if _, err := s.app.Configurations.Activate(c.UserContext(), req.ws.ID(), c.Params("id")); err != nil {
		return s.problem(c, req, err)
	}
	return c.Redirect("/ui/w/"+url.PathEscape(req.ws.Slug())+"/configurations", fiber.StatusSeeOther)
}

// cancel answers POST .../jobs/:id/cancel.
func (s *server) cancel(c *fiber.Ctx, req *request) error {
	if _, err := s.app.Jobs.Cancel(c.UserContext(), req.ws.ID(), c.Params("id")); err != nil {
		return s.problem(c, req, err)
	}
	back := c.FormValue("back")
	if back != "list" {
		return c.Redirect(s.jobURL(req, c.Params("id")), fiber.StatusSeeOther)
	}
	return c.Redirect("/ui/w/"+url.PathEscape(req.ws.Slug())+"/jobs", fiber.StatusSeeOther)
}

// jobsData is the jobs page's data.
type jobsData struct {
	Status string
	Jobs   []*domain.Job
	Prev   string
	Next   string
}

// jobsPage lists jobs, newest first, with live status.
func (s *server) jobsPage(c *fiber.Ctx, req *request) error {
	offset, err := offsetParam(c)
	if err != nil {
		return s.problem(c, req, err)
	}
	status := domain.JobStatus(c.Query("status"))
	after, err := s.cursor(c.UserContext(), req)
	if err != nil {
		return s.problem(c, req, err)
	}
	page, err := s.app.Jobs.List(c.UserContext(), req.ws.ID(), ports.JobFilter{Status: status}, app.PageRequest{Limit: uiPageSize, Offset: offset})
	if err != nil {
		return s.problem(c, req, err)
	}
	v := s.newView(req, "Jobs", "jobs")
	d := jobsData{Status: string(status), Jobs: page.Items}
	filters := url.Values{}
	if status != "" {
		filters.Set("status", string(status))
	}
	d.Prev, d.Next = pager(v.WS()+"/jobs", filters, offset, page.HasMore)
	v.Data = d
	s.follow(v, after, page.Items...)
	return s.render(c, fiber.StatusOK, "jobs", v)
}

// jobData is the job page's data.
type jobData struct {
	Job     *domain.Job
	Input   *domain.Document
	Results app.Results
	// TablesPrev and TablesNext link to the neighbouring pages of tables.
	TablesPrev, TablesNext string
	Metrics                []metric
	Events                 []*domain.Event
}

// metric is one row of a job's metrics.
type metric struct {
	Name, Value string
}

// jobPage shows a job: status (live), its tables with range, header,
// mapping and detection, metrics, logs and output downloads.
func (s *server) jobPage(c *fiber.Ctx, req *request) error {
	ctx := c.UserContext()
	ws := req.ws.ID()
	offset, err := offsetParam(c)
	if err != nil {
		return s.problem(c, req, err)
	}
	after, err := s.cursor(ctx, req)
	if err != nil {
		return s.problem(c, req, err)
	}
	res, err := s.app.Jobs.Results(ctx, ws, c.Params("id"), app.PageRequest{Limit: uiTablesPerPage, Offset: offset})
	if err != nil {
		return s.problem(c, req, err)
	}
	job := res.Job
	d := jobData{Job: job, Results: res}
	v := s.newView(req, "Job "+job.ID(), "jobs")
	d.TablesPrev, d.TablesNext = pagerOf(v.WS()+"/jobs/"+url.PathEscape(job.ID()), nil, offset, uiTablesPerPage, res.Tables.HasMore)
	if doc, err := s.app.Documents.Get(ctx, ws, job.InputDocumentID()); err == nil {
		d.Input = doc
	}
	metrics := job.State().Metrics
	for _, k := range sortedKeys(metrics) {
		d.Metrics = append(d.Metrics, metric{k, cellText(metrics[k])})
	}
	events, err := s.app.Jobs.Events(ctx, ws, job.ID(), ports.EventFilter{}, app.PageRequest{Limit: app.MaxPageLimit})
	if err != nil {
		return s.problem(c, req, err)
	}
	d.Events = events.Items
	v.Data = d
	s.follow(v, after, job)
	return s.render(c, fiber.StatusOK, "job", v)
}

// cursor returns the workspace's newest event id ("0" when it has none).
// A page that may follow jobs reads it before it reads them: its stream
// starts after it, so a change committed after the page read its jobs
// is sent (one committed in between is sent too, and changes nothing).
func (s *server) cursor(ctx context.Context, req *request) (string, error) {
	page, err := s.app.Events.List(ctx, req.ws.ID(), ports.EventFilter{}, app.PageRequest{Limit: 1})
	if err != nil {
		return "", err
	}
	if len(page.Items) == 0 {
		return "0", nil
	}
	return page.Items[0].ID(), nil
}

// follow sets the page's event stream to the jobs among jobs (nil ones
// skipped) that have not ended, after the event cursor, read before the
// jobs. A page whose jobs have all ended follows nothing.
func (s *server) follow(v *view, after string, jobs ...*domain.Job) {
	var ids []string
	for _, j := range jobs {
		if j != nil && !j.Status().IsTerminal() && !slices.Contains(ids, j.ID()) {
			ids = append(ids, j.ID())
		}
	}
	if len(ids) == 0 {
		return
	}
	q := url.Values{"after": {after}, "jobs": {strings.Join(ids, ",")}}
	v.Watch = v.WS() + "/events?" + q.Encode()
}

// readAllLimited reads at most max bytes of r.
func readAllLimited(r io.Reader, max int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, false, err
	}
	return b, int64(len(b)) <= max, nil
}
