package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
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
	// CodeAttemptsExhausted: every allowed attempt was lost with the
	// worker running it (Config.JobMaxAttempts).
	CodeAttemptsExhausted = "attempts_exhausted"
	CodeInternal          = "internal"
)

var (
	// errNothingToRun: the job is terminal (cancelled while it waited,
	// or finished by an earlier delivery of its task).
	errNothingToRun = errors.New("job has nothing left to run")
	// errSuperseded: the job moved on without this attempt (cancelled,
	// or handed to a newer attempt after this one's worker was presumed
	// lost).
	errSuperseded = fmt.Errorf("%w: the job moved on without this attempt", domain.ErrConflict)
	// errJobCancelled is the cause of an attempt stopped by a
	// cancellation.
	errJobCancelled = errors.New("the job was cancelled")
)

// terminalRetryFirst and terminalRetryMax pace the retries of a terminal
// write while the store does not answer.
const (
	terminalRetryFirst = 50 * time.Millisecond
	terminalRetryMax   = 2 * time.Second
)

// inputs are a job's document and configuration, nil when they no
// longer exist.
type inputs struct {
	doc *domain.Document
	cfg *domain.Configuration
}

// check fails when the job cannot run on in: its configuration or its
// input document is gone.
func (in inputs) check() error {
	switch {
	case in.cfg == nil:
		return fmt.Errorf("configuration: %w", domain.ErrNotFound)
	case in.doc == nil || in.doc.IsDeleted():
		return fmt.Errorf("input document: %w", domain.ErrNotFound)
	}
	return nil
}

// runAttempt is one attempt of a TaskRunJob (a's attempt of its task): it
// starts the job (or restarts it, when the previous attempt was lost with
// its worker; a first delivery may defer the start, see runDeferred), runs
// the extractor with the job timeout, panic recovery and cancellation, and
// stores the terminal state with its results in one transaction. It
// returns nil when the task is done and an error when the queue should run
// it again (the store did not answer, or the worker is stopping).
func (s *JobService) runAttempt(ctx context.Context, t ports.Task, a ports.TaskAttempt) error {
	ctx = WithSource(WithRequestID(WithActor(ctx, t.Actor), t.RequestID), "worker")
	if s.c.Config.JobStartDelay > 0 && a.Number <= 1 {
		if ran, err := s.runDeferred(ctx, t); ran {
			return err
		}
	}
	job, from, in, err := s.beginAttempt(ctx, t)
	switch {
	case errors.Is(err, errNothingToRun), errors.Is(err, domain.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("start job: %w", err)
	case job.Status().IsTerminal(): // attempts exhausted
		return nil
	}
	if from == domain.JobRunning || a.Number > 1 {
		// The lost attempt's outputs were never recorded (results commit
		// with the terminal state), but their bytes may be stored (also
		// when the lost attempt had not stored its start).
		if _, err := s.c.Blobs.DeletePrefix(ctx, outputPrefix(job.WorkspaceID(), job.ID())); err != nil {
			s.c.Logger.WarnContext(ctx, "remove outputs of a lost attempt", "job_id", job.ID(), "error", err)
		}
	}
	return s.executeLogged(ctx, &attempt{Job: job}, in)
}

// executeLogged is execute, logging an attempt handed back to the queue.
func (s *JobService) executeLogged(ctx context.Context, at *attempt, in inputs) error {
	if err := s.execute(ctx, at, in); err != nil {
		s.c.Logger.WarnContext(ctx, "job attempt handed back to the queue", "job_id", at.ID(), "attempt", at.Attempts(), "error", err)
		return err
	}
	return nil
}

// beginAttempt moves a pending job to running, restarts a running one
// whose attempt was lost, or ends it failed when its attempts are
// exhausted. It returns the job, the status it had and its inputs.
//
// A job still pending is started from what its task carries, with no read
// first (startSubmitted). Otherwise it reads the job and stores the change
// guarded by what it read (one statement where the store allows, instead
// of a transaction holding a row lock): when another process changed the
// job in between (cancelled it, or started another delivery of its task),
// it reads again.
func (s *JobService) beginAttempt(ctx context.Context, t ports.Task) (*domain.Job, domain.JobStatus, inputs, error) {
	if job, in, ok, err := s.startSubmitted(ctx, t); ok || err != nil {
		return job, domain.JobPending, in, err
	}
	workspaceID, jobID := t.WorkspaceID, t.JobID
	for try := 1; ; try++ {
		run, err := s.c.Repos.Jobs.GetRun(ctx, workspaceID, jobID)
		if err != nil {
			return nil, "", inputs{}, err
		}
		job, in := run.Job, inputs{doc: run.Document, cfg: run.Configuration}
		from, attempts := job.Status(), job.Attempts()
		now := s.c.Clock.Now()
		switch {
		case from == domain.JobPending:
			err = job.Start(now)
		case from != domain.JobRunning:
			return nil, from, in, errNothingToRun
		case attempts >= s.c.Config.JobMaxAttempts:
			cause := domain.JobError{Code: CodeAttemptsExhausted,
				Message: fmt.Sprintf("every allowed attempt (%d) was interrupted before it finished", s.c.Config.JobMaxAttempts)}
			err = job.Fail(now, cause, domain.Outcome{Logs: []domain.LogEntry{failureLog(now, cause)}})
		default:
			err = job.Restart(now)
		}
		if err != nil {
			return nil, from, in, err
		}
		err = s.advance(ctx, job, from, attempts, nil)
		if errors.Is(err, domain.ErrConflict) && try < beginTries {
			continue
		}
		return job, from, in, err
	}
}

// startSubmitted starts the job t runs as it was submitted (t.Job): a
// pending job changes only by leaving pending, so the job t.Job rebuilds
// is the stored one for as long as it is pending, which the write
// requires. The start and the read of the job's inputs are then one round
// trip, where a read before the start would be another. ok is false, with
// nothing stored, when the task carries no submission or the job is no
// longer pending (cancelled, or started by an earlier delivery of its
// task): beginAttempt then reads it.
func (s *JobService) startSubmitted(ctx context.Context, t ports.Task) (*domain.Job, inputs, bool, error) {
	if t.Job == nil || t.Job.ID != t.JobID || t.Job.WorkspaceID != t.WorkspaceID {
		return nil, inputs{}, false, nil
	}
	job, err := domain.NewJob(*t.Job)
	if err != nil {
		return nil, inputs{}, false, nil
	}
	if err := job.Start(s.c.Clock.Now()); err != nil {
		return nil, inputs{}, false, err
	}
	e, err := s.statusEvent(ctx, job, domain.JobPending)
	if err != nil {
		return nil, inputs{}, false, err
	}
	var in ports.JobInputs
	err = s.applyChange(ctx, ports.JobChange{Job: job, From: domain.JobPending, Events: []*domain.Event{e}, Inputs: &in})
	switch {
	case movedOn(err):
		return nil, inputs{}, false, nil
	case err != nil:
		return nil, inputs{}, false, err
	}
	return job, inputs{doc: in.Document, cfg: in.Configuration}, true, nil
}

// beginTries bounds how often beginAttempt reads again after losing a
// race for the job; past it the queue runs the task again later.
const beginTries = 5

// advance stores job's move from status from (with attempts attempts
// stored) guarded by both, with its status event and tables, in ctx's
// transaction if it carries one. When the job moved on meanwhile it
// stores nothing and fails with domain.ErrConflict.
func (s *JobService) advance(ctx context.Context, job *domain.Job, from domain.JobStatus, attempts int, tables []*domain.Table) error {
	e, err := s.statusEvent(ctx, job, from)
	if err != nil {
		return err
	}
	return s.applyChange(ctx, ports.JobChange{Job: job, From: from, Attempts: attempts, Events: []*domain.Event{e}, Tables: tables})
}

// applyChange applies a job change. A move to a terminal status also enqueues,
// with it, a delivery of its last event to every webhook subscribed to it.
func (s *JobService) applyChange(ctx context.Context, change ports.JobChange) error {
	// A workspace without webhooks (the common case) needs no read of
	// them: the change itself is guarded by their absence.
	change.NoWebhooks = change.Job.Status().IsTerminal()
	err := s.c.Repos.Jobs.Apply(ctx, change)
	if !errors.Is(err, ports.ErrWebhooksExist) {
		return err
	}
	change.NoWebhooks = false
	deliveries, err := s.c.deliveries(ctx, change.Events[len(change.Events)-1])
	if err != nil {
		return err
	}
	change.Tasks = deliveries
	return s.c.Repos.Jobs.Apply(ctx, change)
}

func failureLog(at time.Time, cause domain.JobError) domain.LogEntry {
	return domain.LogEntry{At: at, Level: domain.LogError, Message: "job failed: " + cause.Message,
		Details: map[string]any{"code": cause.Code}}
}

// execute runs a started attempt to its end.
func (s *JobService) execute(ctx context.Context, at *attempt, in inputs) error {
	started := s.c.Clock.Now()
	var ex ports.Extractor
	var early *domain.JobError
	if err := in.check(); err != nil {
		early = &domain.JobError{Code: CodeInputUnavailable, Message: err.Error()}
	} else if e, ok := s.c.Extractors.Get(in.cfg.ExtractorName()); ok {
		ex = e
	} else {
		early = &domain.JobError{Code: CodeExtractorUnavailable,
			Message: fmt.Sprintf("extractor %q is not available in this process", in.cfg.ExtractorName())}
	}
	if early != nil {
		_ = at.settleStart() // not armed: a deferred start goes with the end, and cannot fail
		return s.fail(ctx, at, *early, nil, started)
	}
	runCtx, cancel, stop := s.watchCancel(ctx, at)
	if at.start != nil {
		at.start.arm(ctx, s, at.Job, cancel)
	}
	sink := &blobSink{c: s.c, workspaceID: at.WorkspaceID(), prefix: outputPrefix(at.WorkspaceID(), at.ID())}
	res, jerr := s.extract(runCtx, ex, s.request(at.Job, in, sink))
	// The watch ends with the extraction: the terminal write below is
	// guarded by the attempt anyway, and a watch still open would wake on
	// that very write and read the job once more for nothing.
	cause := context.Cause(runCtx)
	stop()
	if errors.Is(cause, errJobCancelled) || errors.Is(cause, errStartNotStored) || ctx.Err() != nil {
		// Stopped without an end: the job left this attempt (nothing
		// more to do), or the worker is stopping or the start could not
		// be stored (another attempt will start over).
		at.dropStart()
		sink.discard(ctx)
		switch {
		case errors.Is(cause, errJobCancelled):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		return cause
	}
	if err := at.settleStart(); err != nil {
		sink.discard(ctx)
		if errors.Is(err, errSuperseded) {
			return nil
		}
		return err
	}
	if jerr != nil {
		sink.discard(ctx)
		return s.failWith(ctx, at, *jerr, res.Logs, res.Metrics, started)
	}
	return s.succeed(ctx, at, res, sink, started)
}

// watchCancel returns a context cancelled (with cause errJobCancelled)
// as soon as the job leaves this attempt (the event feed signals every
// status change, from whichever process made it), the context's cancel
// and the function that ends the watch.
func (s *JobService) watchCancel(ctx context.Context, at *attempt) (context.Context, context.CancelCauseFunc, func()) {
	runCtx, cancel := context.WithCancelCause(ctx)
	signals, unsubscribe := s.Watch(at.WorkspaceID(), at.ID())
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-runCtx.Done():
				return
			case <-signals:
			}
			cur, err := s.c.Repos.Jobs.Get(ctx, at.WorkspaceID(), at.ID())
			if err == nil && !at.holds(cur) {
				cancel(errJobCancelled)
				return
			}
		}
	}()
	return runCtx, cancel, func() {
		close(done)
		unsubscribe()
		cancel(nil)
	}
}

// request builds the extractor's request for a job.
func (s *JobService) request(job *domain.Job, in inputs, sink ports.OutputSink) ports.ExtractionRequest {
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

// extract runs the extractor on its own goroutine, bounded by the job
// timeout; a panic or an overrun becomes a job error. An extractor that
// ignores its context past the timeout is abandoned: its outputs are
// discarded by the caller.
func (s *JobService) extract(ctx context.Context, ex ports.Extractor, req ports.ExtractionRequest) (ports.ExtractionResult, *domain.JobError) {
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

// owned guards a terminal change: it applies only while the job is
// running this very attempt.
func owned(attempt int, change func(*domain.Job) error) func(*domain.Job) error {
	return func(j *domain.Job) error {
		if j.Status() != domain.JobRunning || j.Attempts() != attempt {
			return errSuperseded
		}
		return change(j)
	}
}

// persist runs a terminal write, retrying while the store does not answer
// (for up to Config.TerminalRetry), so a database outage delays the
// job's end instead of mislabelling it or leaving it running. A write
// refused because the job moved on without this attempt is no error.
func (s *JobService) persist(ctx context.Context, job *domain.Job, write func(ctx context.Context) error) error {
	ctx = context.WithoutCancel(ctx)
	giveUp := time.Now().Add(s.c.Config.TerminalRetry)
	delay := terminalRetryFirst
	for {
		err := write(ctx)
		switch {
		case err == nil, errors.Is(err, errSuperseded):
			return nil
		case !errors.Is(err, domain.ErrUnavailable) || time.Now().After(giveUp):
			return err
		}
		s.c.Logger.WarnContext(ctx, "store unavailable: retrying the job's terminal write", "job_id", job.ID(), "error", err)
		time.Sleep(delay)
		delay = min(2*delay, terminalRetryMax)
	}
}

// fail ends the running attempt failed with its cause.
func (s *JobService) fail(ctx context.Context, at *attempt, cause domain.JobError, logs []domain.LogEntry, started time.Time) error {
	return s.failWith(ctx, at, cause, logs, nil, started)
}

// failWith is fail keeping the metrics a failed extractor reported (what
// it read, which limit stopped it) beside the job's own.
func (s *JobService) failWith(ctx context.Context, at *attempt, cause domain.JobError, logs []domain.LogEntry, extra map[string]any, started time.Time) error {
	metrics := map[string]any{}
	for k, v := range extra {
		metrics[k] = v
	}
	metrics["duration_ms"], metrics["tables_detected"], metrics["rows_extracted"] = s.c.Clock.Now().Sub(started).Milliseconds(), 0, 0
	err := s.persist(ctx, at.Job, func(ctx context.Context) error {
		j := domain.RehydrateJob(at.State())
		now := s.c.Clock.Now()
		if err := j.Fail(now, cause, domain.Outcome{Metrics: metrics, Logs: append(s.stampLogs(logs), failureLog(now, cause))}); err != nil {
			return err
		}
		return s.end(ctx, at, j, nil)
	})
	if err != nil {
		return fmt.Errorf("record job failure: %w", err)
	}
	return nil
}

// succeed stores the outputs, tables and the succeeded job together. If
// the job moved on meanwhile (cancelled), the outputs are discarded; if
// the results cannot be stored, the job ends failed instead.
func (s *JobService) succeed(ctx context.Context, at *attempt, res ports.ExtractionResult, sink *blobSink, started time.Time) error {
	job := at.Job
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
		return s.fail(ctx, at, domain.JobError{Code: CodeExtractionFailed, Message: "the extractor returned an invalid result: " + err.Error()}, res.Logs, started)
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
	stored := false
	err = s.persist(ctx, job, func(ctx context.Context) error {
		j := domain.RehydrateJob(job.State())
		if err := j.Succeed(s.c.Clock.Now(), domain.Outcome{Metrics: metrics, Logs: s.stampLogs(res.Logs), OutputDocumentIDs: ids}); err != nil {
			return err
		}
		if len(docs) == 0 {
			err = s.end(ctx, at, j, tables)
		} else {
			err = s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
				if err := s.storeOutputs(ctx, job.ID(), docs); err != nil {
					return err
				}
				return s.end(ctx, at, j, tables)
			})
		}
		stored = err == nil
		return err
	})
	if err == nil && stored {
		return nil
	}
	sink.discard(ctx)
	if err == nil {
		return nil // superseded: the job ended without this attempt
	}
	if errors.Is(err, domain.ErrUnavailable) {
		return err // the store is still down: the queue runs the job again
	}
	s.c.Logger.ErrorContext(ctx, "store job results", "job_id", job.ID(), "error", err)
	return s.fail(ctx, at, domain.JobError{Code: CodeInternal, Message: "the job's results could not be stored"}, res.Logs, started)
}

// end stores the end of the running attempt at as ended (its terminal
// state), with tables, and with the attempt's start when that was
// deferred and not stored yet; when the job moved on without this attempt
// (cancelled, or handed to a newer attempt) it stores nothing and fails
// with errSuperseded.
func (s *JobService) end(ctx context.Context, at *attempt, ended *domain.Job, tables []*domain.Table) error {
	e, err := s.statusEvent(ctx, ended, domain.JobRunning)
	if err != nil {
		return err
	}
	from, attempts, before := at.stored()
	err = s.applyChange(ctx, ports.JobChange{Job: ended, From: from, Attempts: attempts, Events: append(before, e), Tables: tables})
	if errors.Is(err, domain.ErrConflict) {
		return errSuperseded
	}
	return err
}

// storeOutputs records a successful attempt's output documents, each with
// its document.uploaded event, in ctx's transaction.
func (s *JobService) storeOutputs(ctx context.Context, jobID string, docs []*domain.Document) error {
	for _, d := range docs {
		if err := s.c.settle(ctx, d.BlobKey()); err != nil {
			return err
		}
		if err := s.c.Repos.Documents.Create(ctx, d); err != nil {
			return err
		}
		if err := s.c.record(ctx, d.WorkspaceID(), domain.EventDocumentUploaded, domain.EntityDocument, d.ID(), map[string]any{
			"filename": d.Filename(), "byte_size": d.ByteSize(), "sha256": d.SHA256(),
			"content_type": d.ContentType(), "produced_by_job_id": jobID,
		}); err != nil {
			return err
		}
	}
	return nil
}
