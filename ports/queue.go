package ports

import (
	"context"
	"time"

	"github.com/ade-go/ade/domain"
)

// TaskKind names what a background task does.
type TaskKind string

// Task kinds.
const (
	// TaskRunJob runs a job's extraction to a terminal state.
	TaskRunJob TaskKind = "run_job"
	// TaskDeliverWebhook posts one event to one webhook.
	TaskDeliverWebhook TaskKind = "deliver_webhook"
	// TaskMaintenance runs the periodic sweeps (expired documents and
	// idempotency keys, stale jobs). Queue adapters schedule it themselves,
	// once per interval across every process sharing the store.
	TaskMaintenance TaskKind = "maintenance"
)

// Task is one unit of background work.
type Task struct {
	Kind        TaskKind
	WorkspaceID string
	// JobID is the job to run (TaskRunJob).
	JobID string
	// Job, on a TaskRunJob, is what the job was created from (domain.NewJob
	// rebuilds it as it was submitted): a pending job changes only by
	// leaving pending, so a worker can start it from these, guarded by its
	// stored status, without reading it first. Nil on tasks enqueued
	// without it; queues MUST hand it back intact.
	Job *domain.NewJobParams
	// WebhookID and EventID name a delivery (TaskDeliverWebhook).
	WebhookID string
	EventID   string
	// Actor and RequestID are stamped on the events the task records: a
	// job's whole timeline names who asked for it and in which request.
	Actor     domain.Actor
	RequestID string
}

// Queue holds tasks durably until a worker has handled them. Every process
// sharing the store may enqueue, and every process with workers may handle
// any task, so work spreads across machines.
type Queue interface {
	// Enqueue MUST add the tasks in the transaction ctx carries (one begun
	// by the Transactor of the store the queue shares), so that they exist
	// if and only if it commits; without a transaction it MUST add them at
	// once. Each task MUST then be handed to a TaskHandler at least once
	// (again after its worker died or the handler failed, with backoff,
	// until its attempts run out).
	Enqueue(ctx context.Context, tasks ...Task) error
}

// RetryPolicy says how a queue retries one kind of task.
type RetryPolicy struct {
	// MaxAttempts is the most attempts a task gets (at least 1).
	MaxAttempts int
	// FirstDelay is the wait after the first failed attempt; each later
	// wait doubles, up to MaxDelay.
	FirstDelay time.Duration
	MaxDelay   time.Duration
}

// Delay returns the wait after failed attempt number attempt (from 1).
func (p RetryPolicy) Delay(attempt int) time.Duration {
	d := p.FirstDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, max(p.MaxDelay, p.FirstDelay))
}

// TaskAttempt tells a handler which attempt of a task it runs.
type TaskAttempt struct {
	// Number counts from 1.
	Number int
	// Max is the last attempt the queue will make.
	Max int
}

// Last reports whether the queue makes no attempt after this one.
func (a TaskAttempt) Last() bool { return a.Number >= a.Max }

// TaskHandler handles tasks. The application implements it; queue adapters
// call it from their workers.
type TaskHandler interface {
	// HandleTask runs one attempt of t. It returns nil once the task is
	// done (including when there is nothing left to do); an error asks the
	// queue to try again later. ctx is cancelled when the worker stops.
	HandleTask(ctx context.Context, t Task, a TaskAttempt) error
}

// EventFeed wakes subscribers when events about an entity commit, in this
// process or in any other sharing the store. A signal carries no data: the
// subscriber reads what changed from the EventRepository, so signals may
// coalesce and a subscriber never misses an event by reading too late.
// Signals from another process may be lost when that process dies right
// after a commit (adapters signal everyone once they learn of such a
// death): a subscriber that must not wait forever also reads on a slow
// timer.
type EventFeed interface {
	// Subscribe MUST, from the moment it returns until cancel is called,
	// signal on the returned channel (without blocking: a pending signal
	// absorbs the next ones) whenever an event about entityID in
	// workspaceID commits; when signals may have been lost (the feed
	// reconnected), it MUST signal every subscriber. cancel MUST release
	// the subscription and may be called more than once.
	Subscribe(workspaceID, entityID string) (signals <-chan struct{}, cancel func())
}
