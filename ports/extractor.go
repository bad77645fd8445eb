package ports

import (
	"context"
	"fmt"
	"io"

	"github.com/ade-go/ade/domain"
)

// Extractor turns a document into tables, metrics, logs and output files.
// An extractor MUST be deterministic: the same input bytes and payload give
// the same result and output bytes (no wall-clock time, no map-order
// dependence, no randomness).
type Extractor interface {
	// Name MUST return the name configurations use in payload.extractor.
	Name() string
	// ValidatePayload MUST accept every payload Extract can run and refuse
	// the others with a *domain.ValidationError whose field paths are
	// relative to the payload ("fields[2].transforms[0]").
	ValidatePayload(payload map[string]any) error
	// Extract runs the extraction. It MUST return when ctx is done, MUST
	// report failures it can explain as *ExtractionError, and MUST write
	// output files only through req.Outputs.
	Extract(ctx context.Context, req ExtractionRequest) (ExtractionResult, error)
}

// SourceDocument describes the input document.
type SourceDocument struct {
	ID          string
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
	// Open returns the document's bytes from the start; each call returns
	// a fresh reader the caller closes.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// ExtractionRequest is everything an extractor gets for one job.
type ExtractionRequest struct {
	JobID                string
	WorkspaceID          string
	DocumentType         string
	ConfigurationID      string
	ConfigurationVersion int
	Payload              map[string]any
	Document             SourceDocument
	Outputs              OutputSink
}

// OutputSink receives the normalized files an extraction produces.
type OutputSink interface {
	// Create starts an output file. The returned writer's Close MUST commit
	// it; a file that is never closed, or whose job fails, MUST NOT remain.
	Create(ctx context.Context, filename, contentType string) (io.WriteCloser, error)
}

// ExtractedTable is one table an extractor found.
type ExtractedTable struct {
	Title      string
	Sheet      string
	RowCount   int
	Columns    []string
	SampleRows []map[string]any
	Metadata   map[string]any
}

// ExtractionResult is what a successful extraction returns. Log entries
// need no time: the caller stamps them.
type ExtractionResult struct {
	Tables  []ExtractedTable
	Metrics map[string]any
	Logs    []domain.LogEntry
}

// ExtractionError is a failure an extractor can explain: Code is a stable
// slug (for example "unsupported_format", "corrupt_input") recorded as the
// job's error.code.
type ExtractionError struct {
	Code    string
	Message string
	Err     error
}

// Error implements error.
func (e *ExtractionError) Error() string {
	if e.Err != nil && e.Message == "" {
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	return e.Message
}

// Unwrap returns the underlying error.
func (e *ExtractionError) Unwrap() error { return e.Err }
