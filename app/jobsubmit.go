package app

import (
	"context"
	"fmt"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// SubmitJobRequest names the document and either a configuration or a
// document type whose active configuration to use.
type SubmitJobRequest struct {
	WorkspaceID     string
	DocumentID      string
	ConfigurationID string
	DocumentType    string
	// IdempotencyKey, when set, makes the submission safe to repeat for
	// domain.IdempotencyKeyTTL: the same key with the same request returns
	// the first job; with another request it is a conflict.
	IdempotencyKey string
}

// HTTP status codes recorded with an idempotency key, so that a replay
// answers as the first response did.
const (
	statusCreated  = 201
	statusAccepted = 202
)

// syncRecheck is how often a synchronous submission reads its job while
// it waits, should a feed signal have been lost.
const syncRecheck = time.Second

// Enqueue validates the references and stores a pending job with its
// job.created event and its queue task, in one transaction: there is no
// job without its task and no task without its job. A worker runs it
// later. References that do not resolve (unknown or deleted document,
// unknown configuration, no active configuration) fail with an
// unprocessable error and store nothing.
func (s *JobService) Enqueue(ctx context.Context, req SubmitJobRequest) (*domain.Job, error) {
	job, _, err := s.store(ctx, req, s.c.IDs.NewID(), statusAccepted)
	return job, err
}

// Submit enqueues a job like Enqueue and waits for a worker to end it:
// the job normally comes back terminal. When it has not ended within
// Config.SyncWait (no worker free, or none running), it comes back as it
// stands and keeps going.
func (s *JobService) Submit(ctx context.Context, req SubmitJobRequest) (*domain.Job, error) {
	// Subscribe before the job commits, so that no signal can be missed.
	id := s.c.IDs.NewID()
	signals, cancel := s.Watch(req.WorkspaceID, id)
	defer func() { cancel() }()
	job, replayed, err := s.store(ctx, req, id, statusCreated)
	if err != nil {
		return nil, err
	}
	if replayed {
		cancel()
		signals, cancel = s.Watch(req.WorkspaceID, job.ID())
		if job, err = s.Get(ctx, req.WorkspaceID, job.ID()); err != nil {
			return nil, err
		}
	}
	return s.await(ctx, job, signals)
}

// await waits until job is terminal, Config.SyncWait passed or ctx ended,
// and returns the job as it then stands.
func (s *JobService) await(ctx context.Context, job *domain.Job, signals <-chan struct{}) (*domain.Job, error) {
	deadline := time.NewTimer(s.c.Config.SyncWait)
	defer deadline.Stop()
	recheck := time.NewTicker(syncRecheck)
	defer recheck.Stop()
	for !job.Status().IsTerminal() {
		select {
		case <-signals:
		case <-recheck.C:
		case <-deadline.C:
			return job, nil
		case <-ctx.Done():
			return job, nil
		}
		cur, err := s.Get(context.WithoutCancel(ctx), job.WorkspaceID(), job.ID())
		if err != nil {
			return nil, fmt.Errorf("wait for job: %w", err)
		}
		job = cur
	}
	return job, nil
}

// store resolves the references and stores the pending job (id), its
// event, its task and the idempotency key together. With a key
// already used for the same request, it stores nothing and returns the
// first job with replayed set.
func (s *JobService) store(ctx context.Context, req SubmitJobRequest, id string, status int) (job *domain.Job, replayed bool, err error) {
	if err := checkLines("invalid job", "document_id", req.DocumentID, "configuration_id", req.ConfigurationID,
		"document_type", req.DocumentType); err != nil {
		return nil, false, err
	}
	var claim *domain.IdempotencyRecord
	if req.IdempotencyKey != "" {
		claim, err = s.c.idempotencyClaim(req.WorkspaceID, req.IdempotencyKey, status, "submit_job", map[string]any{
			"document_id": req.DocumentID, "configuration_id": req.ConfigurationID, "document_type": req.DocumentType,
			// A synchronous and an asynchronous submission are different
			// requests: they answer differently.
			"status": status,
		})
		if err != nil {
			return nil, false, err
		}
		// A replay answers the first outcome even if the references no
		// longer resolve (the document was deleted since).
		if first, err := s.c.replayed(ctx, *claim); err != nil || first != nil {
			if err != nil {
				return nil, false, err
			}
			job, err := s.Get(ctx, req.WorkspaceID, first.ResourceID)
			return job, err == nil, err
		}
	}
	doc, cfg, err := s.resolve(ctx, req)
	if err != nil {
		return nil, false, err
	}
	params := domain.NewJobParams{
		ID: id, WorkspaceID: req.WorkspaceID, DocumentType: cfg.DocumentType(),
		ConfigurationID: cfg.ID(), ConfigurationVersion: cfg.Version(), InputDocumentID: doc.ID(),
		CreatedBy: ActorFrom(ctx).ID, Now: s.c.Clock.Now(),
	}
	job, err = domain.NewJob(params)
	if err != nil {
		return nil, false, err
	}
	created, err := s.c.newEvent(ctx, req.WorkspaceID, domain.EventJobCreated, domain.EntityJob, job.ID(), map[string]any{
		"document_id": doc.ID(), "configuration_id": cfg.ID(), "configuration_version": cfg.Version(),
		"document_type": cfg.DocumentType(), "status": string(domain.JobPending),
	})
	if err != nil {
		return nil, false, err
	}
	// The job, its event and its task in one write; with a key, in one
	// transaction with the key's claim. first is the job a concurrent
	// request with the same key recorded.
	change := ports.JobChange{Job: job, Events: []*domain.Event{created}, Tasks: []ports.Task{s.runTask(ctx, params)}}
	// Handed over before it is stored: a worker of this process may take
	// the task the moment it commits.
	s.c.handoff.put(job, doc, cfg)
	var first *domain.IdempotencyRecord
	if claim == nil {
		err = s.c.Repos.Jobs.Apply(ctx, change)
	} else {
		first, err = inTx(ctx, s.c.Repos.Tx, func(ctx context.Context) (*domain.IdempotencyRecord, error) {
			claim.ResourceID = job.ID()
			first, err := s.c.claim(ctx, *claim)
			if err != nil {
				return nil, err
			}
			if first != nil {
				return first, errReplay
			}
			return nil, s.c.Repos.Jobs.Apply(ctx, change)
		})
	}
	if first != nil || err != nil {
		s.c.handoff.forget(job.ID())
	}
	switch {
	case first != nil:
		// A concurrent request with the same key won.
		job, err := s.Get(ctx, req.WorkspaceID, first.ResourceID)
		return job, err == nil, err
	case err != nil:
		return nil, false, fmt.Errorf("submit job: %w", err)
	}
	return job, false, nil
}

// runTask is the queue task that runs the job created from p, carrying
// the submitter's actor and request id onto the events the worker
// records. When every start is stored first (Config.JobStartDelay
// negative) it also carries p, so that a worker starts the job without
// reading it first; otherwise the worker reads the job with its inputs
// anyway (runDeferred), and p would only weigh on the queue's rows.
func (s *JobService) runTask(ctx context.Context, p domain.NewJobParams) ports.Task {
	t := ports.Task{Kind: ports.TaskRunJob, WorkspaceID: p.WorkspaceID, JobID: p.ID, Actor: ActorFrom(ctx), RequestID: RequestIDFrom(ctx)}
	if s.c.Config.JobStartDelay < 0 {
		t.Job = &p
	}
	return t
}

// resolve finds the job's document and configuration (in one read), or
// fails with an unprocessable error naming every field that does not
// resolve.
func (s *JobService) resolve(ctx context.Context, req SubmitJobRequest) (*domain.Document, *domain.Configuration, error) {
	var in ports.JobInputs
	if req.ConfigurationID != "" || req.DocumentType != "" || req.DocumentID != "" {
		var err error
		if in, err = s.c.Repos.Jobs.Inputs(ctx, req.WorkspaceID, req.DocumentID, req.ConfigurationID, req.DocumentType); err != nil {
			return nil, nil, fmt.Errorf("submit job: %w", err)
		}
	}
	doc, cfg := in.Document, in.Configuration
	var fields []domain.FieldError
	switch {
	case req.DocumentID == "":
		fields = append(fields, domain.FieldError{Field: "document_id", Message: "is required"})
	case doc == nil || doc.IsDeleted():
		fields = append(fields, domain.FieldError{Field: "document_id", Message: "does not name a document of this workspace"})
	}
	switch {
	case cfg != nil:
	case req.ConfigurationID != "":
		fields = append(fields, domain.FieldError{Field: "configuration_id", Message: "does not name a configuration of this workspace"})
	case req.DocumentType != "":
		fields = append(fields, domain.FieldError{Field: "document_type", Message: "has no active configuration"})
	default:
		fields = append(fields, domain.FieldError{Field: "configuration_id", Message: "configuration_id or document_type is required"})
	}
	if len(fields) > 0 {
		return nil, nil, domain.NewUnprocessable("job references do not resolve", fields...)
	}
	if _, ok := s.c.Extractors.Get(cfg.ExtractorName()); !ok {
		return nil, nil, domain.NewUnprocessable("job references do not resolve",
			domain.FieldError{Field: "configuration_id", Message: fmt.Sprintf("names extractor %q, which is not available", cfg.ExtractorName())})
	}
	return doc, cfg, nil
}
