package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// TrialRequest asks to try a configuration payload, not yet saved, on a
// document of the workspace.
type TrialRequest struct {
	WorkspaceID  string
	DocumentID   string
	DocumentType string
	Payload      map[string]any
}

// TrialResult is what a trial found: the tables, metrics and logs a job
// would record, or the job error it would end with.
type TrialResult struct {
	Tables  []ports.ExtractedTable
	Metrics map[string]any
	Logs    []domain.LogEntry
	// Error is the failure a job would record; nil on success.
	Error *domain.JobError
	// OutputFiles and OutputBytes count what the extractor wrote; trial
	// outputs are discarded as they are written, never stored.
	OutputFiles int
	OutputBytes int64
}

// Try runs the extractor a payload names on a stored document, in this
// process and without creating a job: the same validation as Create, the
// same extractor with the same job timeout and panic recovery as a job,
// and output files counted then dropped. Nothing is written: no job, no
// event, no blob. An invalid payload or a document that does not resolve
// is domain.ErrUnprocessable with its field; a failed extraction is a
// result whose Error is set.
func (s *ConfigurationService) Try(ctx context.Context, req TrialRequest) (TrialResult, error) {
	if err := s.validatePayload(req.Payload); err != nil {
		return TrialResult{}, err
	}
	doc, err := s.c.Repos.Documents.Get(ctx, req.WorkspaceID, req.DocumentID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && doc.IsDeleted()) {
		return TrialResult{}, domain.NewUnprocessable("trial references do not resolve",
			domain.FieldError{Field: "document_id", Message: "does not name a document of this workspace"})
	}
	if err != nil {
		return TrialResult{}, fmt.Errorf("try configuration: %w", err)
	}
	name, _ := req.Payload["extractor"].(string) // validated above
	ex, _ := s.c.Extractors.Get(name)
	key := doc.BlobKey()
	sink := &countingSink{}
	jobs := &JobService{s.c}
	res, jerr := jobs.extract(ctx, ex, ports.ExtractionRequest{
		JobID: "trial", WorkspaceID: req.WorkspaceID, DocumentType: req.DocumentType, Payload: domain.CloneMap(req.Payload),
		Document: ports.SourceDocument{
			ID: doc.ID(), Filename: doc.Filename(), ContentType: doc.ContentType(), Size: doc.ByteSize(), SHA256: doc.SHA256(),
			Open: func(ctx context.Context) (io.ReadCloser, error) { return s.c.Blobs.Open(ctx, key, 0, -1) },
		},
		Outputs: sink,
	})
	out := TrialResult{Tables: res.Tables, Metrics: res.Metrics, Logs: jobs.stampLogs(res.Logs), Error: jerr}
	out.OutputFiles, out.OutputBytes = sink.counts()
	return out, nil
}

// countingSink is the output sink of a trial: it counts what the
// extractor writes and keeps none of it. It is safe for concurrent use,
// as an extractor abandoned at the timeout may still be writing.
type countingSink struct {
	files atomic.Int64
	bytes atomic.Int64
}

func (k *countingSink) Create(ctx context.Context, filename, contentType string) (io.WriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k.files.Add(1)
	return countingWriter{&k.bytes}, nil
}

func (k *countingSink) counts() (int, int64) { return int(k.files.Load()), k.bytes.Load() }

type countingWriter struct{ n *atomic.Int64 }

func (w countingWriter) Write(p []byte) (int, error) { w.n.Add(int64(len(p))); return len(p), nil }
func (w countingWriter) Close() error                { return nil }
