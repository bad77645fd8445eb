package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// editorData is the configuration editor's data: the draft as typed, the
// documents it can be tried on, and what the last save or trial said.
type editorData struct {
	DocumentType string
	Title        string
	Payload      string
	DocumentID   string
	Documents    []*domain.Document
	// Problem is why the draft was refused (fields at their paths).
	Problem *problemView
	// Trial is what trying the draft found.
	Trial *app.TrialResult
	// TrialTables are the trial's first tables, the ones the page shows.
	TrialTables []ports.ExtractedTable
	// TrialDocument is the document the draft was tried on.
	TrialDocument *domain.Document
}

// starterPayload is what a new document type's editor starts with.
const starterPayload = `{
  "extractor": "tabular",
  "sheets": "all",
  "fields": [
    {"name": "email", "synonyms": ["email", "e-mail"], "transforms": ["trim", "lower"]}
  ],
  "output_format": "csv"
}`

// editorPage shows the editor for a new version; ?type= starts from that
// type's active (or newest) version.
func (s *server) editorPage(c *fiber.Ctx, req *request) error {
	d := &editorData{DocumentType: strings.TrimSpace(c.Query("type")), Payload: starterPayload}
	if d.DocumentType != "" {
		page, err := s.app.Configurations.List(c.UserContext(), req.ws.ID(), ports.ConfigurationFilter{DocumentType: d.DocumentType}, app.PageRequest{Limit: app.MaxPageLimit})
		if err != nil {
			return s.problem(c, req, err)
		}
		if base := baseVersion(page.Items); base != nil {
			d.Title, d.Payload = base.State().Title, prettyJSON(base.Payload())
		}
	}
	return s.renderEditor(c, req, fiber.StatusOK, d)
}

// baseVersion is the active version, or the newest.
func baseVersion(versions []*domain.Configuration) *domain.Configuration {
	for _, v := range versions {
		if v.IsActive() {
			return v
		}
	}
	if len(versions) > 0 {
		return versions[0]
	}
	return nil
}

func (s *server) renderEditor(c *fiber.Ctx, req *request, status int, d *editorData) error {
	docs, err := s.app.Documents.Find(c.UserContext(), req.ws.ID(), app.DocumentQuery{Origin: ports.OriginUpload}, app.PageRequest{Limit: uiPageSize})
	if err != nil {
		return s.problem(c, req, err)
	}
	for _, e := range docs.Items {
		d.Documents = append(d.Documents, e.Document)
	}
	v := s.newView(req, "New configuration version", "configurations")
	v.Data = d
	return s.render(c, status, "editor", v)
}

// saveConfiguration answers POST .../configurations: intent "try" runs the
// draft on the chosen document (Configurations.Try, nothing stored);
// otherwise the draft is saved as the type's next version. Either way a
// refused draft comes back in the editor with each error at its path.
func (s *server) saveConfiguration(c *fiber.Ctx, req *request) error {
	d := &editorData{
		DocumentType: strings.TrimSpace(c.FormValue("document_type")),
		Title:        strings.TrimSpace(c.FormValue("title")),
		Payload:      c.FormValue("payload"),
		DocumentID:   c.FormValue("document_id"),
	}
	payload, perr := parsePayload(d.Payload)
	if perr != nil {
		p := s.describe(c, perr)
		d.Problem = &p
		return s.renderEditor(c, req, p.Status, d)
	}
	ctx := c.UserContext()
	if c.FormValue("intent") == "try" {
		if d.DocumentID == "" {
			p := s.describe(c, domain.NewInvalid("choose a document to try the draft on",
				domain.FieldError{Field: "document_id", Message: "is required to try a draft"}))
			d.Problem = &p
			return s.renderEditor(c, req, p.Status, d)
		}
		res, err := s.app.Configurations.Try(ctx, app.TrialRequest{WorkspaceID: req.ws.ID(), DocumentID: d.DocumentID,
			DocumentType: d.DocumentType, Payload: payload})
		if err != nil {
			return s.editorProblem(c, req, d, err)
		}
		d.Trial = &res
		d.TrialTables = res.Tables[:min(len(res.Tables), uiTablesPerPage)]
		if doc, err := s.app.Documents.Get(ctx, req.ws.ID(), d.DocumentID); err == nil {
			d.TrialDocument = doc
		}
		return s.renderEditor(c, req, fiber.StatusOK, d)
	}
	cfg, err := s.app.Configurations.Create(ctx, app.CreateConfigurationRequest{
		WorkspaceID: req.ws.ID(), DocumentType: d.DocumentType, Title: d.Title, Payload: payload,
	})
	if err != nil {
		return s.editorProblem(c, req, d, err)
	}
	return c.Redirect("/ui/w/"+url.PathEscape(req.ws.Slug())+"/configurations/"+url.PathEscape(cfg.ID()), fiber.StatusSeeOther)
}

// editorProblem shows a refused draft in the editor; errors that are not
// about the draft get the problem page.
func (s *server) editorProblem(c *fiber.Ctx, req *request, d *editorData, err error) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return s.problem(c, req, err)
	}
	p := s.describe(c, err)
	d.Problem = &p
	return s.renderEditor(c, req, p.Status, d)
}

// parsePayload reads the editor's JSON: a syntax error names its line and
// column, anything but an object is refused.
func parsePayload(text string) (map[string]any, error) {
	if strings.TrimSpace(text) == "" {
		return nil, domain.NewInvalid("the payload is empty", domain.FieldError{Field: "payload", Message: "is required: a JSON object"})
	}
	if len(text) > domain.MaxPayloadBytes {
		return nil, domain.NewInvalid("the payload is too large",
			domain.FieldError{Field: "payload", Message: fmt.Sprintf("must be at most %s", humanBytes(domain.MaxPayloadBytes))})
	}
	dec := json.NewDecoder(strings.NewReader(text))
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("unexpected text after the JSON object")
	}
	if err != nil {
		line, col := position(text, dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset > 0 {
			// Offset counts the bytes read, the offending one included.
			line, col = position(text, se.Offset-1)
		}
		return nil, domain.NewInvalid("the payload is not valid JSON",
			domain.FieldError{Field: fmt.Sprintf("payload (line %d, column %d)", line, col), Message: strings.TrimPrefix(err.Error(), "json: ")})
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, domain.NewInvalid("the payload is not a JSON object", domain.FieldError{Field: "payload", Message: "must be a JSON object"})
	}
	return obj, nil
}

// position turns a byte offset into a 1-based line and column.
func position(text string, offset int64) (int, int) {
	if offset > int64(len(text)) {
		offset = int64(len(text))
	}
	before := text[:offset]
	line := strings.Count(before, "\n") + 1
	col := len(before) - strings.LastIndex(before, "\n")
	return line, col
}
