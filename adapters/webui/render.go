package webui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/domain"
)

// pageTemplate is one page: the layout with the page's blocks.
type pageTemplate struct {
	t *template.Template
}

// pageNames are the page templates; each defines "title" and "content".
var pageNames = []string{
	"signin", "workspaces", "documents", "upload", "document", "configurations",
	"editor", "configuration", "jobs", "job", "problem",
}

func parsePages(assets *assetSet) (map[string]*pageTemplate, error) {
	funcs := template.FuncMap{
		"asset":    assets.url,
		"bytes":    humanBytes,
		"when":     formatTime,
		"whenPtr":  formatTimePtr,
		"ago":      relativeTime,
		"json":     prettyJSON,
		"cell":     cellText,
		"list":     listOf,
		"str":      func(v any) string { return fmt.Sprint(v) },
		"field":    mapField,
		"keys":     sortedKeys,
		"query":    func(s string) string { return url.QueryEscape(s) },
		"terminal": func(s domain.JobStatus) bool { return s.IsTerminal() },
		"add":      func(a, b int) int { return a + b },
		"sub":      func(a, b int) int { return a - b },
	}
	out := map[string]*pageTemplate{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("webui: template %s: %w", name, err)
		}
		out[name] = &pageTemplate{t: t}
	}
	return out, nil
}

// view is what every page template receives.
type view struct {
	// Title is the page's title (also the <h1>).
	Title string
	// Nav names the active navigation entry.
	Nav string
	// Key is the signed-in key (nil on the sign-in page).
	Key *domain.APIKey
	// Workspace is the workspace the page is in, if any.
	Workspace *domain.Workspace
	// CSRF is the token every form carries.
	CSRF string
	// Notice is a one-line message shown above the content.
	Notice string
	// Data is the page's own data.
	Data any
	// Watch is the address of the event stream the page's script follows
	// for the live status of the jobs it shows that have not ended (empty:
	// none, and no stream is opened). follow sets it.
	Watch string
}

// Can reports whether the signed-in key may perform action in the page's
// workspace, by the permission table: pages show only what the key may
// do.
func (v *view) Can(action string) bool {
	if v.Key == nil {
		return false
	}
	ws := ""
	if v.Workspace != nil {
		ws = v.Workspace.ID()
	}
	return v.Key.Authorize(domain.Action(action), ws) == nil
}

// WS returns the URL prefix of the page's workspace.
func (v *view) WS() string {
	if v.Workspace == nil {
		return "/ui/workspaces"
	}
	return "/ui/w/" + url.PathEscape(v.Workspace.Slug())
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes a page into the response with status.
func (s *server) render(c *fiber.Ctx, status int, page string, v *view) error {
	p, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("webui: no page %q", page)
	}
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	if err := p.t.ExecuteTemplate(buf, "layout", v); err != nil {
		s.log.Error("render page", "page", page, "error", err)
		return c.Status(fiber.StatusInternalServerError).SendString("the page could not be rendered")
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(bytes.Clone(buf.Bytes()))
}

// newView starts a page's view for a request.
func (s *server) newView(req *request, title, nav string) *view {
	v := &view{Title: title, Nav: nav}
	if req != nil {
		v.Key, v.Workspace, v.CSRF = req.key, req.ws, req.sess.CSRF
	}
	return v
}

// problemView is what the problem page and JSON answers show: a title, a
// sentence, and the fields at fault.
type problemView struct {
	Status int
	Title  string
	Detail string
	Fields []domain.FieldError
}

// describe turns an error into what a person reads. Internal errors are
// logged and shown as a generic message, never their text.
func (s *server) describe(c *fiber.Ctx, err error) problemView {
	var (
		ve *domain.ValidationError
		tl *domain.TooLargeError
		rf *refusal
	)
	switch {
	case errors.As(err, &rf):
		return problemView{Status: rf.status, Title: rf.title, Detail: rf.detail}
	case errors.As(err, &tl):
		return problemView{Status: fiber.StatusRequestEntityTooLarge, Title: "Too large",
			Detail: fmt.Sprintf("The limit is %s.", humanBytes(tl.LimitBytes))}
	case errors.As(err, &ve):
		status := fiber.StatusBadRequest
		if errors.Is(err, domain.ErrUnprocessable) {
			status = fiber.StatusUnprocessableEntity
		}
		return problemView{Status: status, Title: "Please correct the following", Detail: sentence(ve.Message), Fields: ve.Fields}
	case errors.Is(err, domain.ErrNotFound):
		return problemView{Status: fiber.StatusNotFound, Title: "Not found",
			Detail: "There is nothing here, or your key cannot see it."}
	case errors.Is(err, domain.ErrForbidden):
		return problemView{Status: fiber.StatusForbidden, Title: "Not allowed",
			Detail: "Your key's role does not allow this. Ask an administrator for a key with more rights."}
	case errors.Is(err, domain.ErrConflict):
		return problemView{Status: fiber.StatusConflict, Title: "Already changed",
			Detail: "This changed meanwhile (" + conflictDetail(err) + "). Reload the page to see where it stands."}
	case errors.Is(err, domain.ErrUnavailable):
		return problemView{Status: fiber.StatusServiceUnavailable, Title: "Temporarily unavailable",
			Detail: "ADE cannot reach its storage right now. Try again in a moment."}
	}
	s.log.ErrorContext(c.UserContext(), "web ui request failed", "path", c.Path(), "error", err)
	return problemView{Status: fiber.StatusInternalServerError, Title: "Something went wrong",
		Detail: "ADE could not complete this request. The cause was logged; try again, or tell the operator."}
}

// conflictDetail is the safe part of a conflict: the domain's transition
// errors name states, nothing internal.
func conflictDetail(err error) string {
	var te *domain.TransitionError
	if errors.As(err, &te) {
		return fmt.Sprintf("it is %s already", te.From)
	}
	return "someone else changed it first"
}

// problem answers an error: as JSON for scripts (uploads), as the problem
// page otherwise.
func (s *server) problem(c *fiber.Ctx, req *request, err error) error {
	p := s.describe(c, err)
	if wantsJSON(c) {
		return c.Status(p.Status).JSON(p.json())
	}
	v := s.newView(req, p.Title, "")
	v.Data = p
	return s.render(c, p.Status, "problem", v)
}

func (p problemView) json() fiber.Map {
	fields := make([]fiber.Map, len(p.Fields))
	for i, f := range p.Fields {
		fields[i] = fiber.Map{"field": f.Field, "message": f.Message}
	}
	return fiber.Map{"title": p.Title, "detail": p.Detail, "fields": fields}
}

// wantsJSON: the request comes from the page's script and wants a JSON
// answer.
func wantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}

func sentence(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

// relativeTime says how far t is from now, roughly ("in 3 days", "2 hours
// ago").
func relativeTime(t time.Time) string {
	d := time.Until(t)
	future := d > 0
	if !future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		s = plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		s = plural(int(d/time.Hour), "hour")
	default:
		s = plural(int(d/(24*time.Hour)), "day")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// cellText shows a table cell: strings as they are, other JSON values as
// JSON, nothing for null.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// listOf returns v as a list when it is one (JSON arrays from metadata).
func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

// mapField reads a key of a JSON object, nil when v is not one.
func mapField(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
