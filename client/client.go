// Package client is a Go client of ADE's HTTP API (/api/v1): uploads
// streamed from files with an exact length and an optional progress
// reader, job submission, following a job's event stream, results,
// downloads and configurations. It uses the standard library only and
// knows nothing of the server's packages: it speaks the documented API.
// The `ade client` commands are built on it.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Client calls one ADE server as one API key, in one workspace.
type Client struct {
	// BaseURL is the server's address, such as http://127.0.0.1:8080.
	BaseURL string
	// Key is the API key sent as a bearer token.
	Key string
	// Workspace is the workspace's id or slug.
	Workspace string
	// HTTP sends the requests; nil means a client without an overall
	// timeout (uploads and streams may be long), relying on ctx.
	HTTP *http.Client
}

// Error is a refusal from the server: its problem details (RFC 9457).
type Error struct {
	Status int          `json:"status"`
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Errors []FieldError `json:"errors"`
	// RequestID names the request in the server's log.
	RequestID string `json:"request_id"`
}

// FieldError is one field at fault.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements error: the title, the detail and each field.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Title)
	if b.Len() == 0 {
		b.WriteString(http.StatusText(e.Status))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// Document is a stored document.
type Document struct {
	ID              string         `json:"document_id"`
	Filename        string         `json:"original_filename"`
	ContentType     string         `json:"content_type"`
	ByteSize        int64          `json:"byte_size"`
	SHA256          string         `json:"sha256"`
	Metadata        map[string]any `json:"metadata"`
	ExpiresAt       string         `json:"expires_at"`
	CreatedAt       string         `json:"created_at"`
	ProducedByJobID string         `json:"produced_by_job_id,omitempty"`
}

// Job is a job as the API shows it.
type Job struct {
	ID                   string         `json:"job_id"`
	Status               string         `json:"status"`
	DocumentType         string         `json:"document_type"`
	ConfigurationID      string         `json:"configuration_id"`
	ConfigurationVersion int            `json:"configuration_version"`
	InputDocumentID      string         `json:"input_document_id"`
	CreatedAt            string         `json:"created_at"`
	FinishedAt           *string        `json:"finished_at"`
	Metrics              map[string]any `json:"metrics"`
	Error                *JobError      `json:"error,omitempty"`
	OutputDocumentIDs    []string       `json:"output_document_ids"`
}

// JobError is why a job failed.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Terminal reports whether the job has ended.
func (j Job) Terminal() bool {
	return j.Status == "succeeded" || j.Status == "failed" || j.Status == "cancelled"
}

// Table is one table a job found.
type Table struct {
	ID         string           `json:"table_id"`
	Title      string           `json:"title"`
	Sheet      string           `json:"sheet"`
	RowCount   int              `json:"row_count"`
	Columns    []string         `json:"columns"`
	SampleRows []map[string]any `json:"sample_rows"`
	Metadata   map[string]any   `json:"metadata"`
}

// Results are a job's tables and output documents.
type Results struct {
	JobID           string     `json:"job_id"`
	Tables          []Table    `json:"tables"`
	OutputDocuments []Document `json:"output_documents"`
}

// Configuration is one configuration version.
type Configuration struct {
	ID           string         `json:"configuration_id"`
	DocumentType string         `json:"document_type"`
	Title        string         `json:"title"`
	Version      int            `json:"version"`
	IsActive     bool           `json:"is_active"`
	Payload      map[string]any `json:"payload"`
	CreatedAt    string         `json:"created_at"`
}

// Event is one event of a job's stream.
type Event struct {
	ID         string         `json:"event_id"`
	Type       string         `json:"event_type"`
	OccurredAt string         `json:"occurred_at"`
	Payload    map[string]any `json:"payload"`
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// path returns the URL of a workspace resource.
func (c *Client) path(format string, args ...any) string {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = url.PathEscape(fmt.Sprint(a))
	}
	return strings.TrimRight(c.BaseURL, "/") + "/api/v1/workspaces/" + url.PathEscape(c.Workspace) + fmt.Sprintf(format, esc...)
}

// do sends a request and decodes a 2xx JSON answer into out (when not
// nil); any other answer becomes an *Error.
func (c *Client) do(ctx context.Context, method, u string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read the server's answer: %w", err)
	}
	return nil
}

// send adds the key, sends, and turns a non-2xx answer into an *Error
// (closing its body).
func (c *Client) send(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+c.Key)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	e := &Error{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, e) != nil || e.Title == "" {
		e.Title = http.StatusText(resp.StatusCode)
	}
	e.Status = resp.StatusCode
	return nil, e
}

// UploadOptions are an upload's details.
type UploadOptions struct {
	// Metadata is a JSON object kept with the document; empty for none.
	Metadata json.RawMessage
	// ExpiresAt is an RFC 3339 time; empty for the server's retention.
	ExpiresAt string
	// Progress, when set, wraps the file's reader (size is the file's
	// size), for example with a progress bar.
	Progress func(r io.Reader, size int64) io.Reader
}

// Upload streams a file to the server as a multipart form of exact
// length (no chunked encoding, so a proxy or the server can refuse an
// oversized upload before it is sent) and returns the stored document.
func (c *Client) Upload(ctx context.Context, path string, opts UploadOptions) (Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return Document{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Document{}, err
	}
	if !st.Mode().IsRegular() {
		return Document{}, fmt.Errorf("%s is not a regular file", path)
	}
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if len(opts.Metadata) > 0 {
		if err := mw.WriteField("metadata", string(opts.Metadata)); err != nil {
			return Document{}, err
		}
	}
	if opts.ExpiresAt != "" {
		if err := mw.WriteField("expires_at", opts.ExpiresAt); err != nil {
			return Document{}, err
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filepath.Base(path)))
	h.Set("Content-Type", "application/octet-stream")
	if _, err := mw.CreatePart(h); err != nil {
		return Document{}, err
	}
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	var file io.Reader = f
	if opts.Progress != nil {
		file = opts.Progress(f, st.Size())
	}
	body := io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(file, st.Size()), strings.NewReader(tail))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.path("/documents"), body)
	if err != nil {
		return Document{}, err
	}
	req.ContentLength = int64(head.Len()) + st.Size() + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.send(req)
	if err != nil {
		return Document{}, err
	}
	defer resp.Body.Close()
	var d Document
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return Document{}, fmt.Errorf("read the server's answer: %w", err)
	}
	return d, nil
}

// SubmitRequest names a job's document and its configuration, by id or
// by document type (whose active version is used).
type SubmitRequest struct {
	DocumentID      string `json:"document_id"`
	DocumentType    string `json:"document_type,omitempty"`
	ConfigurationID string `json:"configuration_id,omitempty"`
}

// Submit queues a job and returns it at once, pending (Prefer:
// respond-async): Wait follows it to its end.
func (c *Client) Submit(ctx context.Context, r SubmitRequest) (Job, error) {
	b, _ := json.Marshal(r)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.path("/jobs"), bytes.NewReader(b))
	if err != nil {
		return Job{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "respond-async")
	resp, err := c.send(req)
	if err != nil {
		return Job{}, err
	}
	defer resp.Body.Close()
	var j Job
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return Job{}, fmt.Errorf("read the server's answer: %w", err)
	}
	return j, nil
}

// Job reads a job.
func (c *Client) Job(ctx context.Context, id string) (Job, error) {
	var j Job
	err := c.do(ctx, http.MethodGet, c.path("/jobs/%s", id), nil, "", &j)
	return j, err
}

// Cancel cancels a job.
func (c *Client) Cancel(ctx context.Context, id string) (Job, error) {
	var j Job
	err := c.do(ctx, http.MethodPost, c.path("/jobs/%s/cancel", id), nil, "", &j)
	return j, err
}

// Wait follows a job's event stream until it ends and returns the job as
// it ended; each event is passed to seen (when not nil). A dropped stream
// is resumed after the last event seen; ctx bounds the whole wait.
func (c *Client) Wait(ctx context.Context, id string, seen func(Event)) (Job, error) {
	last := ""
	for attempt := 0; ; attempt++ {
		done, err := c.follow(ctx, id, &last, seen)
		if ctx.Err() != nil {
			return Job{}, ctx.Err()
		}
		var ae *Error
		if errors.As(err, &ae) {
			return Job{}, err
		}
		if done || err == nil {
			j, err := c.Job(ctx, id)
			if err != nil || j.Terminal() {
				return j, err
			}
		}
		// The stream ended early or broke: back off a little and resume.
		select {
		case <-ctx.Done():
			return Job{}, ctx.Err()
		case <-time.After(min(time.Duration(attempt+1)*200*time.Millisecond, 2*time.Second)):
		}
	}
}

// follow reads one connection of the stream; done reports a terminal
// status event.
func (c *Client) follow(ctx context.Context, id string, last *string, seen func(Event)) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.path("/jobs/%s/events", id)+"?stream=true", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if *last != "" {
		req.Header.Set("Last-Event-ID", *last)
	}
	resp, err := c.send(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id:"):
			*last = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "data:"):
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		case line == "" && data.Len() > 0:
			var e Event
			if err := json.Unmarshal([]byte(data.String()), &e); err == nil {
				if seen != nil {
					seen(e)
				}
				switch e.Type {
				case "job.status.succeeded", "job.status.failed", "job.status.cancelled":
					return true, nil
				}
			}
			data.Reset()
		}
	}
	return false, sc.Err()
}

// resultsPage is how many tables one request of Results asks for: the
// API's largest page.
const resultsPage = 200

// Results reads a job's tables, every page of them, and its output
// documents.
func (c *Client) Results(ctx context.Context, id string) (Results, error) {
	var all Results
	for offset := 0; ; {
		var page struct {
			Results
			HasMore bool `json:"has_more"`
		}
		u := c.path("/jobs/%s/results", id) + fmt.Sprintf("?limit=%d&offset=%d", resultsPage, offset)
		if err := c.do(ctx, http.MethodGet, u, nil, "", &page); err != nil {
			return Results{}, err
		}
		if offset == 0 {
			all = page.Results
		} else {
			all.Tables = append(all.Tables, page.Tables...)
		}
		if !page.HasMore || len(page.Tables) == 0 {
			return all, nil
		}
		offset += len(page.Tables)
	}
}

// Document reads a document's record.
func (c *Client) Document(ctx context.Context, id string) (Document, error) {
	var d Document
	err := c.do(ctx, http.MethodGet, c.path("/documents/%s", id), nil, "", &d)
	return d, err
}

// Download copies a document's bytes to w and returns how many there
// were.
func (c *Client) Download(ctx context.Context, id string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.path("/documents/%s/download", id), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "*/*")
	resp, err := c.send(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("the download ended after %d of %d bytes", n, resp.ContentLength)
	}
	return n, err
}

// Configurations lists configurations, of one document type when
// documentType is not empty, newest first (up to 200).
func (c *Client) Configurations(ctx context.Context, documentType string) ([]Configuration, error) {
	q := url.Values{"limit": {"200"}}
	if documentType != "" {
		q.Set("document_type", documentType)
	}
	var page struct {
		Items []Configuration `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, c.path("/configurations")+"?"+q.Encode(), nil, "", &page)
	return page.Items, err
}

// CreateConfiguration stores a new version of a document type's
// configuration.
func (c *Client) CreateConfiguration(ctx context.Context, documentType, title string, payload json.RawMessage) (Configuration, error) {
	b, err := json.Marshal(map[string]any{"document_type": documentType, "title": title, "payload": payload})
	if err != nil {
		return Configuration{}, err
	}
	var cfg Configuration
	err = c.do(ctx, http.MethodPost, c.path("/configurations"), bytes.NewReader(b), "application/json", &cfg)
	return cfg, err
}

// Activate makes a configuration version its type's active one.
func (c *Client) Activate(ctx context.Context, id string) (Configuration, error) {
	var cfg Configuration
	err := c.do(ctx, http.MethodPost, c.path("/configurations/%s/activate", id), nil, "", &cfg)
	return cfg, err
}
