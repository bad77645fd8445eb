package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Stable job error codes set by the runner (extractors add their own
// through ports.ExtractionError).
const (
	CodeExtractionFailed = "extraction_failed"
	CodeExtractorPanic   = "extractor_panic"
	CodeExtractorTimeout = "extractor_timeout"
	CodeInputUnavailable = "input_unavailable"
	// CodeExtractorUnavailable: the configuration names an extractor this
	// process does not have (a job created by a process with more).
	CodeExtractorUnavailable = "extractor_unavailable"
	CodeInternal             = "internal"
)

// JobService submits, runs, cancels and reads jobs.
type JobService struct{ c *core }

// SubmitJobRequest names the document and either a configuration or a
// document type whose active configuration to use.
type SubmitJobRequest struct {
	WorkspaceID     string
	DocumentID      string
	ConfigurationID string
	DocumentType    string
}

// Submit creates a job and runs it before returning: the job comes back in
// a terminal state. References that do not resolve (unknown or deleted
// document, unknown configuration, no active configuration) fail with an
// unprocessable error and create nothing.
func (s *JobService) Submit(ctx context.Context, req SubmitJobRequest) (*domain.Job, error) {
	// The job is stored already running: its job.created and
	// job.status.running events commit together, in one transaction.
	job, in, err := s.create(ctx, req, true)
	if err != nil {
		return nil, err
	}
	// The references were just resolved: run on them rather than read
	// them again.
	return s.execJob(ctx, job, in)
}

// inputs are a job's resolved document and configuration.
type inputs struct {
	doc *domain.Document
	cfg *domain.Configuration
}

// Create validates the references and stores a pending job with its
// job.created event, without running it.
func (s *JobService) Create(ctx context.Context, req SubmitJobRequest) (*domain.Job, error) {
	job, _, err := s.create(ctx, req, false)
	return job, err
}

// create validates the references and stores the job with its
// job.created event; with start, the job is started before it is stored
// and its job.status.running event is written in the same transaction.
func (s *JobService) create(ctx context.Context, req SubmitJobRequest, start bool) (*domain.Job, *inputs, error) {
	if err := checkLines("invalid job", "document_id", req.DocumentID, "configuration_id", req.ConfigurationID,
		"document_type", req.DocumentType); err != nil {
		return nil, nil, err
	}
	var fields []domain.FieldError
	doc, err := s.c.Repos.Documents.Get(ctx, req.WorkspaceID, req.DocumentID)
	switch {
	case req.DocumentID == "":
		fields = append(fields, domain.FieldError{Field: "document_id", Message: "is required"})
	case errors.Is(err, domain.ErrNotFound) || (err == nil && doc.IsDeleted()):
		fields = append(fields, domain.FieldError{Field: "document_id", Message: "does not name a document of this workspace"})
	case err != nil:
		return nil, nil, fmt.Errorf("submit job: %w", err)
	}
	cfg, cfgField, err := s.resolveConfiguration(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("submit job: %w", err)
	}
	if cfgField != nil {
		fields = append(fields, *cfgField)
	}
	if len(fields) > 0 {
		return nil, nil, domain.NewUnprocessable("job references do not resolve", fields...)
	}
	if _, ok := s.c.Extractors.Get(cfg.ExtractorName()); !ok {
		return nil, nil, domain.NewUnprocessable("job references do not resolve",
			domain.FieldError{Field: "configuration_id", Message: fmt.Sprintf("names extractor %q, which is not available", cfg.ExtractorName())})
	}
	job, err := domain.NewJob(domain.NewJobParams{
		ID: s.c.IDs.NewID(), WorkspaceID: req.WorkspaceID, DocumentType: cfg.DocumentType(),
		ConfigurationID: cfg.ID(), ConfigurationVersion: cfg.Version(), InputDocumentID: doc.ID(),
		CreatedBy: ActorFrom(ctx).ID, Now: s.c.Clock.Now(),
	})
	if err != nil {
		return nil, nil, err
	}
	created, err := s.c.newEvent(ctx, req.WorkspaceID, domain.EventJobCreated, domain.EntityJob, job.ID(), map[string]any{
		"document_id": doc.ID(), "configuration_id": cfg.ID(), "configuration_version": cfg.Version(),
		"document_type": cfg.DocumentType(), "status": string(domain.JobPending),
	})
	if err != nil {
		return nil, nil, err
	}
	events := []*domain.Event{created}
	if start {
		if err := job.Start(s.c.Clock.Now()); err != nil {
			return nil, nil, err
		}
		running, err := s.statusEvent(ctx, job, domain.JobPending)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, running)
	}
	err = s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.c.Repos.Jobs.Create(ctx, job); err != nil {
			return err
		}
		return s.c.Repos.EventSink.Append(ctx, events...)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("submit job: %w", err)
	}
	return job, &inputs{doc: doc, cfg: cfg}, nil
}

func (s *JobService) resolveConfiguration(ctx context.Context, req SubmitJobRequest) (*domain.Configuration, *domain.FieldError, error) {
	switch {
	case req.ConfigurationID != "":
		cfg, err := s.c.Repos.Configurations.Get(ctx, req.WorkspaceID, req.ConfigurationID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, &domain.FieldError{Field: "configuration_id", Message: "does not name a configuration of this workspace"}, nil
		}
		return cfg, nil, err
	case req.DocumentType != "":
		cfg, err := s.c.Repos.Configurations.GetActive(ctx, req.WorkspaceID, req.DocumentType)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, &domain.FieldError{Field: "document_type", Message: "has no active configuration"}, nil
		}
		return cfg, nil, err
	default:
		return nil, &domain.FieldError{Field: "configuration_id", Message: "configuration_id or document_type is required"}, nil
	}
}

// Run moves a pending job to running, runs its extractor off the caller's
// goroutine with the job timeout and panic recovery, and persists the
// terminal state with its metrics, logs, tables and output documents in one
// transaction. A job whose status moved meanwhile (cancelled) is returned
// as it is. The job is never left running: failures of the extractor,
// including panics and timeouts, end it failed with the reason recorded.
func (s *JobService) Run(ctx context.Context, workspaceID, jobID string) (*domain.Job, error) {
	// The run outlives a caller that goes away: the job must still end.
	ctx = context.WithoutCancel(ctx)
	job, err := s.transition(ctx, workspaceID, jobID, func(j *domain.Job) error { return j.Start(s.c.Clock.Now()) }, nil)
	if errors.Is(err, domain.ErrConflict) {
		return s.c.Repos.Jobs.Get(ctx, workspaceID, jobID)
	}
	if err != nil {
		return nil, fmt.Errorf("run job: %w", err)
	}
	return s.execJob(ctx, job, nil)
}

// execJob runs a job that is already running to its terminal state, on its
// resolved inputs (nil: read them).
func (s *JobService) execJob(ctx context.Context, job *domain.Job, in *inputs) (*domain.Job, error) {
	ctx = context.WithoutCancel(ctx)
	workspaceID := job.WorkspaceID()
	started := s.c.Clock.Now()
	var err error
	if in == nil {
		in, err = s.load(ctx, job)
	}
	if err != nil {
		return s.fail(ctx, job, domain.JobError{Code: CodeInputUnavailable, Message: err.Error()}, nil, started)
	}
	ex, ok := s.c.Extractors.Get(in.cfg.ExtractorName())
	if !ok {
		return s.fail(ctx, job, domain.JobError{Code: CodeExtractorUnavailable,
			Message: fmt.Sprintf("extractor %q is not available in this process", in.cfg.ExtractorName())}, nil, started)
	}
	sink := &blobSink{c: s.c, workspaceID: workspaceID}
	req := s.request(job, in, sink)
	res, jerr := s.execute(ctx, ex, req)
	if jerr != nil {
		sink.discard(ctx)
		return s.failWith(ctx, job, *jerr, res.Logs, res.Metrics, started)
	}
	return s.succeed(ctx, job, res, sink, started)
}

// load reads a job's configuration and input document.
func (s *JobService) load(ctx context.Context, job *domain.Job) (*inputs, error) {
	st := job.State()
	cfg, err := s.c.Repos.Configurations.Get(ctx, st.WorkspaceID, st.ConfigurationID)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	doc, err := s.c.Repos.Documents.Get(ctx, st.WorkspaceID, st.InputDocumentID)
	if err == nil && doc.IsDeleted() {
		err = domain.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("input document: %w", err)
	}
	return &inputs{doc: doc, cfg: cfg}, nil
}

// request builds the extractor's request for a job.
func (s *JobService) request(job *domain.Job, in *inputs, sink ports.OutputSink) ports.ExtractionRequest {
	st := job.State()
	doc, cfg := in.doc, in.cfg
	key := doc.BlobKey()
	return ports.ExtractionRequest{
		JobID: st.ID, WorkspaceID: st.WorkspaceID, DocumentType: st.DocumentType,
		ConfigurationID: cfg.ID(), ConfigurationVersion: cfg.Version(), Payload: cfg.Payload(),
		Document: ports.SourceDocument{
			ID: doc.ID(), Filename: doc.Filename(), ContentType: doc.ContentType(), Size: doc.ByteSize(), SHA256: doc.SHA256(),
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				rc, err := s.c.Blobs.Open(ctx, key, 0, -1)
				if err != nil {
					s.c.Logger.ErrorContext(ctx, "open job input", "job_id", st.ID, "document_id", doc.ID(), "error", err)
					return nil, newStoreFault(CodeInputUnavailable, "the input document's stored bytes", "read", err)
				}
				return rc, nil
			},
		},
		Outputs: sink,
	}
}

// execute runs the extractor on its own goroutine, bounded by the job
// timeout; a panic or an overrun becomes a job error. An extractor that
// ignores its context past the timeout is abandoned: its outputs are
// discarded by the caller.
func (s *JobService) execute(ctx context.Context, ex ports.Extractor, req ports.ExtractionRequest) (ports.ExtractionResult, *domain.JobError) {
	ctx, cancel := context.WithTimeout(ctx, s.c.Config.JobTimeout)
	defer cancel()
	type outcome struct {
		res ports.ExtractionResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.c.Logger.Error("extractor panicked", "extractor", ex.Name(), "job_id", req.JobID,
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				done <- outcome{err: &ports.ExtractionError{Code: CodeExtractorPanic, Message: "the extractor crashed"}}
			}
		}()
		res, err := ex.Extract(ctx, req)
		done <- outcome{res, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		o.err = ctx.Err()
	}
	if o.err == nil {
		return o.res, nil
	}
	var ee *ports.ExtractionError
	var sf *storeFault
	switch {
	case errors.As(o.err, &sf):
		return o.res, &domain.JobError{Code: sf.code, Message: sf.Error()}
	case errors.Is(o.err, context.DeadlineExceeded):
		return o.res, &domain.JobError{Code: CodeExtractorTimeout,
			Message: fmt.Sprintf("the extraction did not finish within the job timeout of %s", s.c.Config.JobTimeout)}
	case errors.As(o.err, &ee) && ee.Code != "":
		return o.res, &domain.JobError{Code: ee.Code, Message: ee.Error()}
	default:
		return o.res, &domain.JobError{Code: CodeExtractionFailed, Message: o.err.Error()}
	}
}

// transition applies change to a job and records the status event in one
// transaction; more runs inside it first (outputs, tables).
func (s *JobService) transition(ctx context.Context, workspaceID, jobID string, change func(*domain.Job) error, more func(ctx context.Context) error) (*domain.Job, error) {
	var job *domain.Job
	err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if more != nil {
			if err := more(ctx); err != nil {
				return err
			}
		}
		var from domain.JobStatus
		var err error
		job, err = s.c.Repos.Jobs.Update(ctx, workspaceID, jobID, func(j *domain.Job) error {
			from = j.Status()
			return change(j)
		})
		if err != nil {
			return err
		}
		e, err := s.statusEvent(ctx, job, from)
		if err != nil {
			return err
		}
		return s.c.Repos.EventSink.Append(ctx, e)
	})
	return job, err
}

// statusEvent builds the event recording job's move from status from to
// its current status.
func (s *JobService) statusEvent(ctx context.Context, job *domain.Job, from domain.JobStatus) (*domain.Event, error) {
	payload := map[string]any{"from": string(from), "to": string(job.Status()), "attempts": job.Attempts()}
	if e := job.Error(); e != nil {
		payload["error"] = map[string]any{"code": e.Code, "message": e.Message}
	}
	return s.c.newEvent(ctx, job.WorkspaceID(), domain.JobStatusEventType(job.Status()), domain.EntityJob, job.ID(), payload)
}

func (s *JobService) stampLogs(logs []domain.LogEntry) []domain.LogEntry {
	now := s.c.Clock.Now()
	out := make([]domain.LogEntry, len(logs))
	for i, l := range logs {
		if l.At.IsZero() {
			l.At = now
		}
		out[i] = l
	}
	return out
}

// fail ends a running job failed. If that write fails the error is
// returned; the job then stays running in storage only when the store is
// down, and a later run or sweep can end it.
func (s *JobService) fail(ctx context.Context, job *domain.Job, cause domain.JobError, logs []domain.LogEntry, started time.Time) (*domain.Job, error) {
	return s.failWith(ctx, job, cause, logs, nil, started)
}

// failWith is fail keeping the metrics a failed extractor reported (what
// it read, which limit stopped it) beside the job's own.
func (s *JobService) failWith(ctx context.Context, job *domain.Job, cause domain.JobError, logs []domain.LogEntry, extra map[string]any, started time.Time) (*domain.Job, error) {
	metrics := map[string]any{}
	for k, v := range extra {
		metrics[k] = v
	}
	metrics["duration_ms"], metrics["tables_detected"], metrics["rows_extracted"] = s.c.Clock.Now().Sub(started).Milliseconds(), 0, 0
	out, err := s.transition(ctx, job.WorkspaceID(), job.ID(), func(j *domain.Job) error {
		return j.Fail(s.c.Clock.Now(), cause, domain.Outcome{Metrics: metrics, Logs: s.stampLogs(append(logs,
			domain.LogEntry{Level: domain.LogError, Message: "job failed: " + cause.Message, Details: map[string]any{"code": cause.Code}}))})
	}, nil)
	if errors.Is(err, domain.ErrConflict) {
		return s.c.Repos.Jobs.Get(ctx, job.WorkspaceID(), job.ID())
	}
	if err != nil {
		return nil, fmt.Errorf("record job failure: %w", err)
	}
	return out, nil
}

// succeed stores the outputs, tables and the succeeded job together. If the
// job moved meanwhile (cancelled), the outputs are discarded and the job is
// returned as it is; if the write fails, the job is ended failed instead.
func (s *JobService) succeed(ctx context.Context, job *domain.Job, res ports.ExtractionResult, sink *blobSink, started time.Time) (*domain.Job, error) {
	now := s.c.Clock.Now()
	ws := job.WorkspaceID()
	docs, err := sink.documents(job.ID(), now)
	var tables []*domain.Table
	rows := 0
	for i, t := range res.Tables {
		if err != nil {
			break
		}
		rows += t.RowCount
		var tb *domain.Table
		tb, err = domain.NewTable(domain.TableState{
			ID: s.c.IDs.NewID(), WorkspaceID: ws, JobID: job.ID(), DocumentID: job.InputDocumentID(),
			SequenceIndex: i, Title: t.Title, Sheet: t.Sheet, RowCount: t.RowCount, Columns: t.Columns,
			SampleRows: t.SampleRows, Metadata: t.Metadata, CreatedAt: now,
		})
		tables = append(tables, tb)
	}
	if err != nil {
		sink.discard(ctx)
		return s.fail(ctx, job, domain.JobError{Code: CodeExtractionFailed, Message: "the extractor returned an invalid result: " + err.Error()}, res.Logs, started)
	}
	metrics := map[string]any{"tables_detected": len(tables), "rows_extracted": rows}
	for k, v := range res.Metrics {
		metrics[k] = v
	}
	metrics["duration_ms"] = s.c.Clock.Now().Sub(started).Milliseconds()
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID()
	}
	out, err := s.transition(ctx, ws, job.ID(), func(j *domain.Job) error {
		return j.Succeed(s.c.Clock.Now(), domain.Outcome{Metrics: metrics, Logs: s.stampLogs(res.Logs), OutputDocumentIDs: ids})
	}, func(ctx context.Context) error {
		for _, d := range docs {
			if err := s.c.settle(ctx, d.BlobKey()); err != nil {
				return err
			}
			if err := s.c.Repos.Documents.Create(ctx, d); err != nil {
				return err
			}
			if err := s.c.record(ctx, ws, domain.EventDocumentUploaded, domain.EntityDocument, d.ID(), map[string]any{
				"filename": d.Filename(), "byte_size": d.ByteSize(), "sha256": d.SHA256(),
				"content_type": d.ContentType(), "produced_by_job_id": job.ID(),
			}); err != nil {
				return err
			}
		}
		if len(tables) == 0 {
			return nil
		}
		return s.c.Repos.Tables.CreateMany(ctx, tables)
	})
	if err == nil {
		return out, nil
	}
	sink.discard(ctx)
	if errors.Is(err, domain.ErrConflict) {
		if cur, gerr := s.c.Repos.Jobs.Get(ctx, ws, job.ID()); gerr == nil && cur.Status().IsTerminal() {
			return cur, nil
		}
	}
	s.c.Logger.ErrorContext(ctx, "store job results", "job_id", job.ID(), "error", err)
	return s.fail(ctx, job, domain.JobError{Code: CodeInternal, Message: "the job's results could not be stored"}, res.Logs, started)
}

// CodeInterrupted marks a job whose run was cut off (the process running it
// stopped) and was ended by the stale-job sweep.
const CodeInterrupted = "interrupted"

// staleGrace is how long past the job timeout a running job may stay
// running before the sweep ends it: a run in a live process always ends
// within the timeout, so such a job lost its process.
const staleGrace = time.Minute

// FailStale ends failed (code "interrupted") every job, in every
// workspace, that has been running longer than the job timeout plus a
// minute: its process stopped mid-run. It returns how many it ended. A job
// it cannot read is logged and stepped over, as PurgeExpired does.
func (s *JobService) FailStale(ctx context.Context) (int, error) {
	n, err := s.c.sweepWorkspaces(WithActor(ctx, domain.SystemActor), "fail stale jobs", s.failStaleIn)
	if err != nil {
		return n, fmt.Errorf("fail stale jobs: %w", err)
	}
	return n, nil
}

func (s *JobService) failStaleIn(ctx context.Context, workspaceID string) (int, error) {
	cutoff := s.c.Clock.Now().Add(-(s.c.Config.JobTimeout + staleGrace))
	cause := domain.JobError{Code: CodeInterrupted,
		Message: fmt.Sprintf("the job was still running %s after it started; the process running it stopped", s.c.Config.JobTimeout+staleGrace)}
	return s.c.sweepRows(ctx, "fail stale jobs", workspaceID,
		func(p ports.Page) ([]string, error) {
			return s.c.Repos.Jobs.ListIDs(ctx, workspaceID, ports.JobFilter{Status: domain.JobRunning}, p)
		},
		func(id string) (bool, error) {
			j, err := s.c.Repos.Jobs.Get(ctx, workspaceID, id)
			if err != nil {
				return false, err
			}
			if started := j.State().StartedAt; started == nil || started.After(cutoff) {
				return false, nil // still within its time
			}
			_, err = s.transition(ctx, workspaceID, id, func(j *domain.Job) error {
				return j.Fail(s.c.Clock.Now(), cause, domain.Outcome{Logs: []domain.LogEntry{{
					At: s.c.Clock.Now(), Level: domain.LogError, Message: "job failed: " + cause.Message,
					Details: map[string]any{"code": cause.Code}}}})
			}, nil)
			return err == nil, err
		})
}

// Get returns a job.
func (s *JobService) Get(ctx context.Context, workspaceID, id string) (*domain.Job, error) {
	return s.c.Repos.Jobs.Get(ctx, workspaceID, id)
}

// List returns the workspace's jobs matching f, newest first.
func (s *JobService) List(ctx context.Context, workspaceID string, f ports.JobFilter, p PageRequest) (Page[*domain.Job], error) {
	if err := checkLines("invalid filter", "status", string(f.Status), "document_id", f.DocumentID,
		"configuration_id", f.ConfigurationID); err != nil {
		return Page[*domain.Job]{}, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return Page[*domain.Job]{}, domain.NewInvalid("invalid filter", domain.FieldError{Field: "status", Message: "must be one of pending, running, succeeded, failed, cancelled"})
	}
	return list(p, func(pp ports.Page) ([]*domain.Job, error) {
		return s.c.Repos.Jobs.List(ctx, workspaceID, f, pp)
	})
}

// Cancel moves a pending or running job to cancelled with its event; a
// terminal job answers with a conflict.
func (s *JobService) Cancel(ctx context.Context, workspaceID, id string) (*domain.Job, error) {
	job, err := s.transition(ctx, workspaceID, id, func(j *domain.Job) error { return j.Cancel(s.c.Clock.Now()) }, nil)
	if err != nil {
		return nil, fmt.Errorf("cancel job: %w", err)
	}
	return job, nil
}

// Results are a page of a job's tables, and its output documents (all of
// them: a job's outputs are one per table at most, and listed whole).
type Results struct {
	Job             *domain.Job
	Tables          Page[*domain.Table]
	OutputDocuments []*domain.Document
}

// Results returns a page of a job's tables (by sequence) and its output
// documents.
func (s *JobService) Results(ctx context.Context, workspaceID, id string, p PageRequest) (Results, error) {
	job, err := s.c.Repos.Jobs.Get(ctx, workspaceID, id)
	if err != nil {
		return Results{}, err
	}
	tables, err := list(p, func(pp ports.Page) ([]*domain.Table, error) {
		return s.c.Repos.Tables.ListByJob(ctx, workspaceID, id, pp)
	})
	if err != nil {
		return Results{}, err
	}
	// One query for every output still there (deleted ones drop out),
	// then the job's own order.
	produced, err := s.c.Repos.Documents.List(ctx, workspaceID, ports.DocumentFilter{ProducedByJobID: id}, ports.Page{})
	if err != nil {
		return Results{}, err
	}
	byID := make(map[string]*domain.Document, len(produced))
	for _, d := range produced {
		byID[d.ID()] = d
	}
	docs := make([]*domain.Document, 0, len(produced))
	for _, did := range job.State().OutputDocumentIDs {
		if d, ok := byID[did]; ok {
			docs = append(docs, d)
		}
	}
	return Results{Job: job, Tables: tables, OutputDocuments: docs}, nil
}

// Events returns a job's event timeline, oldest first.
func (s *JobService) Events(ctx context.Context, workspaceID, id string, f ports.EventFilter, p PageRequest) (Page[*domain.Event], error) {
	if _, err := s.c.Repos.Jobs.Get(ctx, workspaceID, id); err != nil {
		return Page[*domain.Event]{}, err
	}
	f.EntityType, f.EntityID, f.Ascending = domain.EntityJob, id, true
	return list(p, func(pp ports.Page) ([]*domain.Event, error) {
		return s.c.Repos.Events.List(ctx, workspaceID, f, pp)
	})
}

// blobSink stores an extraction's output files as blobs and remembers them
// so they become documents when the job succeeds, or are removed when it
// does not.
type blobSink struct {
	c           *core
	workspaceID string
	mu          sync.Mutex
	closed      bool
	files       []*outputFile
}

type outputFile struct {
	id, key, filename, contentType string
	pw                             *io.PipeWriter
	done                           chan struct{}
	info                           ports.BlobInfo
	err                            error
	committed                      bool
}

// Create starts an output file; it streams to the blob store as written.
func (b *blobSink) Create(ctx context.Context, filename, contentType string) (io.WriteCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("output sink is closed: the job has ended")
	}
	id := b.c.IDs.NewID()
	key := blobKey(b.workspaceID, id)
	if err := b.c.intend(ctx, b.workspaceID, key); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	f := &outputFile{id: id, key: key, filename: domain.NormalizeFilename(filename),
		contentType: contentType, pw: pw, done: make(chan struct{})}
	b.files = append(b.files, f)
	go func() {
		defer close(f.done)
		f.info, f.err = b.c.Blobs.Put(context.WithoutCancel(ctx), f.key, pr, ports.PutOptions{ContentType: contentType})
		if f.err != nil {
			b.c.Logger.ErrorContext(ctx, "store job output", "key", f.key, "error", f.err)
			f.err = newStoreFault(CodeExtractionFailed, "output "+strconv.Quote(f.filename), "stored", f.err)
		}
		pr.CloseWithError(f.err) // unblocks a writer if Put stopped early
	}()
	return &outputWriter{f: f}, nil
}

type outputWriter struct {
	f    *outputFile
	once sync.Once
	err  error
}

func (w *outputWriter) Write(p []byte) (int, error) { return w.f.pw.Write(p) }

// Close commits the file: it returns once the blob store has it.
func (w *outputWriter) Close() error {
	w.once.Do(func() {
		w.f.pw.Close()
		<-w.f.done
		w.err = w.f.err
		w.f.committed = w.err == nil
	})
	return w.err
}

// documents closes the sink and returns a document for every committed
// file; a file left open or failed is an error.
func (b *blobSink) documents(jobID string, now time.Time) ([]*domain.Document, error) {
	b.mu.Lock()
	b.closed = true
	files := b.files
	b.mu.Unlock()
	docs := make([]*domain.Document, 0, len(files))
	for _, f := range files {
		select {
		case <-f.done:
		default:
			return nil, fmt.Errorf("output %q was not closed", f.filename)
		}
		if !f.committed {
			return nil, f.err
		}
		d, err := domain.NewDocument(domain.NewDocumentParams{
			ID: f.id, WorkspaceID: b.workspaceID, Filename: f.filename, ContentType: f.contentType,
			ByteSize: f.info.Size, SHA256: f.info.SHA256, BlobKey: f.key,
			ExpiresAt: now.Add(b.c.Config.DocumentRetention), ProducedByJobID: jobID, Now: now,
		})
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// discard aborts open files and removes stored ones.
func (b *blobSink) discard(ctx context.Context) {
	b.mu.Lock()
	b.closed = true
	files := b.files
	b.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	for _, f := range files {
		f.pw.CloseWithError(errors.New("output discarded"))
		<-f.done
		if err := b.c.Blobs.Delete(ctx, f.key); err != nil {
			b.c.Logger.ErrorContext(ctx, "remove discarded output", "key", f.key, "error", err)
			continue // the intent stays, for the debris sweep
		}
		b.c.forget(ctx, f.key)
	}
}

// storeFault is a blob store failure as a job reports it: what could not
// be read or stored and why in the domain's terms (missing, unavailable),
// without the store's own text, which names server paths and keys (it is
// logged instead).
type storeFault struct {
	code, what, verb string
	kind             error
}

func newStoreFault(code, what, verb string, err error) *storeFault {
	kind := domain.ErrUnavailable
	if errors.Is(err, domain.ErrNotFound) {
		kind = domain.ErrNotFound
	}
	return &storeFault{code: code, what: what, verb: verb, kind: kind}
}

// Error implements error.
func (f *storeFault) Error() string {
	if f.kind == domain.ErrNotFound {
		return f.what + " could not be " + f.verb + ": missing from the blob store"
	}
	return f.what + " could not be " + f.verb + ": the blob store failed"
}

// Unwrap returns the domain kind.
func (f *storeFault) Unwrap() error { return f.kind }
