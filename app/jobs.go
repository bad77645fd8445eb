package app

import (
	"context"
	"fmt"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// JobService submits, runs, cancels and reads jobs. Submission
// (jobsubmit.go) stores a pending job with its queue task; execution
// (jobrun.go) is what a worker does with that task; this file holds the
// reads, cancellation and the one status-change helper they share.
type JobService struct{ c *core }

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

// Cancel moves a pending or running job to cancelled with its event, in
// one transaction; a terminal job answers with a conflict. A pending job's
// queue task then finds nothing to do; a running job's worker, in whichever
// process, learns of the cancellation through the event feed, cancels its
// extractor and discards the outputs.
func (s *JobService) Cancel(ctx context.Context, workspaceID, id string) (*domain.Job, error) {
	job, err := s.transition(ctx, workspaceID, id, func(j *domain.Job) error { return j.Cancel(s.c.Clock.Now()) })
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

// Watch subscribes to a job's events: the channel signals whenever one
// commits, in any process. Call cancel when done.
func (s *JobService) Watch(workspaceID, id string) (<-chan struct{}, func()) {
	return s.c.Repos.Feed.Subscribe(workspaceID, id)
}

// transition applies change to a job and records its status event in one
// transaction (ctx's, when it carries one). A move to a terminal status
// also enqueues, in that transaction, a delivery to every webhook
// subscribed to it.
func (s *JobService) transition(ctx context.Context, workspaceID, jobID string, change func(*domain.Job) error) (*domain.Job, error) {
	return inTx(ctx, s.c.Repos.Tx, func(ctx context.Context) (*domain.Job, error) {
		var from domain.JobStatus
		job, err := s.c.Repos.Jobs.Update(ctx, workspaceID, jobID, func(j *domain.Job) error {
			from = j.Status()
			return change(j)
		})
		if err != nil {
			return nil, err
		}
		e, err := s.statusEvent(ctx, job, from)
		if err != nil {
			return nil, err
		}
		if err := s.c.Repos.EventSink.Append(ctx, e); err != nil {
			return nil, err
		}
		if job.Status().IsTerminal() {
			if err := s.c.enqueueDeliveries(ctx, e); err != nil {
				return nil, err
			}
		}
		return job, nil
	})
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
