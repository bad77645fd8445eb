package httpapi

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

// timeLayout renders every time: RFC 3339 in UTC with milliseconds.
const timeLayout = app.TimeLayout

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func tsPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ts(*t)
	return &s
}

func obj(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// writeJSON renders v as the response body. API answers hold workspace
// data: no cache may keep them (Cache-Control: no-store; the middleware
// adds X-Content-Type-Options: nosniff to every response).
func writeJSON(c *fiber.Ctx, status int, contentType string, v any) error {
	// No HTML escaping: messages such as "must be >= 0" read as written,
	// not as "\u003e=" (the answers are never embedded in HTML; nosniff
	// keeps browsers from taking them for it).
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	c.Status(status)
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(b)
}

func ok(c *fiber.Ctx, status int, v any) error {
	return writeJSON(c, status, fiber.MIMEApplicationJSON, v)
}

// listJSON is the envelope of every list.
type listJSON[T any] struct {
	Items   []T  `json:"items"`
	Limit   int  `json:"limit"`
	Offset  int  `json:"offset"`
	HasMore bool `json:"has_more"`
}

func renderPage[D, T any](p app.Page[D], render func(D) T) listJSON[T] {
	items := make([]T, len(p.Items))
	for i, d := range p.Items {
		items[i] = render(d)
	}
	return listJSON[T]{Items: items, Limit: p.Limit, Offset: p.Offset, HasMore: p.HasMore}
}

type workspaceJSON struct {
	WorkspaceID string `json:"workspace_id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func renderWorkspace(w *domain.Workspace) workspaceJSON {
	s := w.State()
	return workspaceJSON{WorkspaceID: s.ID, Slug: s.Slug, Name: s.Name, CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt)}
}

type documentJSON struct {
	DocumentID       string         `json:"document_id"`
	WorkspaceID      string         `json:"workspace_id"`
	OriginalFilename string         `json:"original_filename"`
	ContentType      string         `json:"content_type"`
	ByteSize         int64          `json:"byte_size"`
	SHA256           string         `json:"sha256"`
	Metadata         map[string]any `json:"metadata"`
	ExpiresAt        string         `json:"expires_at"`
	CreatedAt        string         `json:"created_at"`
	UpdatedAt        string         `json:"updated_at"`
	ProducedByJobID  string         `json:"produced_by_job_id,omitempty"`
	DeletedAt        *string        `json:"deleted_at,omitempty"`
	DeletedBy        string         `json:"deleted_by,omitempty"`
	DeleteReason     string         `json:"delete_reason,omitempty"`
}

func renderDocument(d *domain.Document) documentJSON {
	s := d.State()
	return documentJSON{
		DocumentID: s.ID, WorkspaceID: s.WorkspaceID, OriginalFilename: s.OriginalFilename,
		ContentType: s.ContentType, ByteSize: s.ByteSize, SHA256: s.SHA256, Metadata: obj(s.Metadata),
		ExpiresAt: ts(s.ExpiresAt), CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt),
		ProducedByJobID: s.ProducedByJobID, DeletedAt: tsPtr(s.DeletedAt), DeletedBy: s.DeletedBy,
		DeleteReason: s.DeleteReason,
	}
}

type configurationJSON struct {
	ConfigurationID string         `json:"configuration_id"`
	WorkspaceID     string         `json:"workspace_id"`
	DocumentType    string         `json:"document_type"`
	Title           string         `json:"title"`
	Version         int            `json:"version"`
	IsActive        bool           `json:"is_active"`
	ActivatedAt     *string        `json:"activated_at"`
	Payload         map[string]any `json:"payload"`
	CreatedAt       string         `json:"created_at"`
	UpdatedAt       string         `json:"updated_at"`
}

func renderConfiguration(c *domain.Configuration) configurationJSON {
	s := c.State()
	return configurationJSON{
		ConfigurationID: s.ID, WorkspaceID: s.WorkspaceID, DocumentType: s.DocumentType, Title: s.Title,
		Version: s.Version, IsActive: s.IsActive, ActivatedAt: tsPtr(s.ActivatedAt), Payload: obj(s.Payload),
		CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt),
	}
}

type logJSON struct {
	At      string         `json:"at"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

type jobJSON struct {
	JobID                string           `json:"job_id"`
	WorkspaceID          string           `json:"workspace_id"`
	Status               string           `json:"status"`
	DocumentType         string           `json:"document_type"`
	ConfigurationID      string           `json:"configuration_id"`
	ConfigurationVersion int              `json:"configuration_version"`
	InputDocumentID      string           `json:"input_document_id"`
	CreatedBy            string           `json:"created_by"`
	CreatedAt            string           `json:"created_at"`
	UpdatedAt            string           `json:"updated_at"`
	StartedAt            *string          `json:"started_at"`
	FinishedAt           *string          `json:"finished_at"`
	Attempts             int              `json:"attempts"`
	Metrics              map[string]any   `json:"metrics"`
	Logs                 []logJSON        `json:"logs"`
	Error                *domain.JobError `json:"error,omitempty"`
	OutputDocumentIDs    []string         `json:"output_document_ids"`
}

func renderJob(j *domain.Job) jobJSON {
	s := j.State()
	logs := make([]logJSON, len(s.Logs))
	for i, l := range s.Logs {
		logs[i] = logJSON{At: ts(l.At), Level: l.Level, Message: l.Message, Details: obj(l.Details)}
	}
	metrics := obj(s.Metrics)
	for _, k := range []string{"duration_ms", "tables_detected", "rows_extracted"} {
		if _, ok := metrics[k]; !ok {
			metrics[k] = 0
		}
	}
	out := jobJSON{
		JobID: s.ID, WorkspaceID: s.WorkspaceID, Status: string(s.Status), DocumentType: s.DocumentType,
		ConfigurationID: s.ConfigurationID, ConfigurationVersion: s.ConfigurationVersion,
		InputDocumentID: s.InputDocumentID, CreatedBy: s.CreatedBy, CreatedAt: ts(s.CreatedAt),
		UpdatedAt: ts(s.UpdatedAt), StartedAt: tsPtr(s.StartedAt), FinishedAt: tsPtr(s.FinishedAt),
		Attempts: s.Attempts, Metrics: metrics, Logs: logs, OutputDocumentIDs: s.OutputDocumentIDs,
	}
	if out.OutputDocumentIDs == nil {
		out.OutputDocumentIDs = []string{}
	}
	if s.Status == domain.JobFailed && s.Error != nil {
		out.Error = s.Error
	}
	return out
}

type tableJSON struct {
	TableID       string           `json:"table_id"`
	JobID         string           `json:"job_id"`
	DocumentID    string           `json:"document_id"`
	SequenceIndex int              `json:"sequence_index"`
	Title         string           `json:"title"`
	Sheet         string           `json:"sheet"`
	RowCount      int              `json:"row_count"`
	Columns       []string         `json:"columns"`
	SampleRows    []map[string]any `json:"sample_rows"`
	Metadata      map[string]any   `json:"metadata"`
}

func renderTable(t *domain.Table) tableJSON {
	s := t.State()
	if s.Columns == nil {
		s.Columns = []string{}
	}
	if s.SampleRows == nil {
		s.SampleRows = []map[string]any{}
	}
	return tableJSON{
		TableID: s.ID, JobID: s.JobID, DocumentID: s.DocumentID, SequenceIndex: s.SequenceIndex,
		Title: s.Title, Sheet: s.Sheet, RowCount: s.RowCount, Columns: s.Columns,
		SampleRows: s.SampleRows, Metadata: obj(s.Metadata),
	}
}

type resultsJSON struct {
	JobID           string         `json:"job_id"`
	Tables          []tableJSON    `json:"tables"`
	OutputDocuments []documentJSON `json:"output_documents"`
	Limit           int            `json:"limit"`
	Offset          int            `json:"offset"`
	HasMore         bool           `json:"has_more"`
}

func renderResults(r app.Results) resultsJSON {
	out := resultsJSON{JobID: r.Job.ID(), Tables: make([]tableJSON, len(r.Tables.Items)), OutputDocuments: make([]documentJSON, len(r.OutputDocuments)),
		Limit: r.Tables.Limit, Offset: r.Tables.Offset, HasMore: r.Tables.HasMore}
	for i, t := range r.Tables.Items {
		out.Tables[i] = renderTable(t)
	}
	for i, d := range r.OutputDocuments {
		out.OutputDocuments[i] = renderDocument(d)
	}
	return out
}

// renderEvent renders an event as the API and webhook deliveries show it.
func renderEvent(e *domain.Event) app.EventBody { return app.NewEventBody(e) }

type apiKeyJSON struct {
	APIKeyID    string  `json:"api_key_id"`
	WorkspaceID string  `json:"workspace_id"`
	Role        string  `json:"role"`
	Label       string  `json:"label"`
	CreatedAt   string  `json:"created_at"`
	LastUsedAt  *string `json:"last_used_at"`
	RevokedAt   *string `json:"revoked_at"`
}

// createdAPIKeyJSON is a new key with its text, shown this once.
type createdAPIKeyJSON struct {
	apiKeyJSON
	Key string `json:"key"`
}

func renderAPIKey(k *domain.APIKey) apiKeyJSON {
	s := k.State()
	return apiKeyJSON{
		APIKeyID: s.ID, WorkspaceID: s.WorkspaceID, Role: string(s.Role), Label: s.Label,
		CreatedAt: ts(s.CreatedAt), LastUsedAt: tsPtr(s.LastUsedAt), RevokedAt: tsPtr(s.RevokedAt),
	}
}
