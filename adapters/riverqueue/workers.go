package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Kinds of the River jobs that carry ADE's tasks.
const (
	KindRunJob      = "ade.run_job"
	KindDeliver     = "ade.deliver_webhook"
	KindMaintenance = "ade.maintenance"
)

// taskArgs is a River job's arguments that carry one ports.Task.
type taskArgs interface {
	river.JobArgs
	InsertOpts() river.InsertOpts
	task() ports.Task
}

type actorArgs struct {
	Type  string `json:"type,omitempty"`
	ID    string `json:"id,omitempty"`
	Label string `json:"label,omitempty"`
}

// runJobArgs carries a TaskRunJob.
type runJobArgs struct {
	WorkspaceID string    `json:"workspace_id"`
	JobID       string    `json:"job_id"`
	Actor       actorArgs `json:"actor"`
	RequestID   string    `json:"request_id,omitempty"`
	// Job is what the job was created from (absent in tasks enqueued
	// before it was carried).
	Job *jobArgs `json:"job,omitempty"`
}

// jobArgs carries a task's domain.NewJobParams.
type jobArgs struct {
	DocumentType         string    `json:"document_type"`
	ConfigurationID      string    `json:"configuration_id"`
	ConfigurationVersion int       `json:"configuration_version"`
	InputDocumentID      string    `json:"input_document_id"`
	CreatedBy            string    `json:"created_by,omitempty"`
	CreatedAt            time.Time `json:"created_at"`
}

func newJobArgs(t ports.Task) *jobArgs {
	if t.Job == nil {
		return nil
	}
	p := t.Job
	return &jobArgs{DocumentType: p.DocumentType, ConfigurationID: p.ConfigurationID, ConfigurationVersion: p.ConfigurationVersion,
		InputDocumentID: p.InputDocumentID, CreatedBy: p.CreatedBy, CreatedAt: p.Now}
}

func (a runJobArgs) job() *domain.NewJobParams {
	if a.Job == nil {
		return nil
	}
	j := a.Job
	return &domain.NewJobParams{ID: a.JobID, WorkspaceID: a.WorkspaceID, DocumentType: j.DocumentType,
		ConfigurationID: j.ConfigurationID, ConfigurationVersion: j.ConfigurationVersion, InputDocumentID: j.InputDocumentID,
		CreatedBy: j.CreatedBy, Now: j.CreatedAt}
}

func (runJobArgs) Kind() string                 { return KindRunJob }
func (runJobArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueJobs} }
func (a runJobArgs) task() ports.Task {
	return ports.Task{Kind: ports.TaskRunJob, WorkspaceID: a.WorkspaceID, JobID: a.JobID, Job: a.job(),
		Actor: domain.Actor(a.Actor), RequestID: a.RequestID}
}

// deliverArgs carries a TaskDeliverWebhook.
type deliverArgs struct {
	WorkspaceID string    `json:"workspace_id"`
	WebhookID   string    `json:"webhook_id"`
	EventID     string    `json:"event_id"`
	Actor       actorArgs `json:"actor"`
	RequestID   string    `json:"request_id,omitempty"`
}

func (deliverArgs) Kind() string                 { return KindDeliver }
func (deliverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueWebhooks} }
func (a deliverArgs) task() ports.Task {
	return ports.Task{Kind: ports.TaskDeliverWebhook, WorkspaceID: a.WorkspaceID, WebhookID: a.WebhookID,
		EventID: a.EventID, Actor: domain.Actor(a.Actor), RequestID: a.RequestID}
}

// maintenanceArgs carries a TaskMaintenance; one runs per interval (River
// allows one per period).
type maintenanceArgs struct{}

func (maintenanceArgs) Kind() string { return KindMaintenance }
func (maintenanceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, MaxAttempts: 1}
}
func (maintenanceArgs) task() ports.Task { return ports.Task{Kind: ports.TaskMaintenance} }

func argsOf(t ports.Task) (taskArgs, error) {
	actor := actorArgs(t.Actor)
	switch t.Kind {
	case ports.TaskRunJob:
		return runJobArgs{WorkspaceID: t.WorkspaceID, JobID: t.JobID, Job: newJobArgs(t), Actor: actor, RequestID: t.RequestID}, nil
	case ports.TaskDeliverWebhook:
		return deliverArgs{WorkspaceID: t.WorkspaceID, WebhookID: t.WebhookID, EventID: t.EventID, Actor: actor, RequestID: t.RequestID}, nil
	case ports.TaskMaintenance:
		return maintenanceArgs{}, nil
	}
	return nil, fmt.Errorf("enqueue: unknown task kind %q", t.Kind)
}

// worker hands River jobs of one kind to the application's task handler,
// with the kind's retry policy and time limit.
type worker[T taskArgs] struct {
	river.WorkerDefaults[T]
	q       *Queue
	policy  ports.RetryPolicy
	timeout time.Duration
}

// errNoHandler: a task arrived before Start set the handler (never, since
// River starts fetching in Start).
var errNoHandler = errors.New("queue: no task handler")

// Work implements river.Worker.
func (w *worker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	h := w.q.taskHandler()
	if h == nil {
		return errNoHandler
	}
	return h.HandleTask(ctx, job.Args.task(), ports.TaskAttempt{Number: job.Attempt, Max: job.MaxAttempts})
}

// NextRetry implements river.Worker: the kind's backoff.
func (w *worker[T]) NextRetry(job *river.Job[T]) time.Time {
	return time.Now().Add(w.policy.Delay(job.Attempt))
}

// Timeout implements river.Worker.
func (w *worker[T]) Timeout(*river.Job[T]) time.Duration { return w.timeout }
