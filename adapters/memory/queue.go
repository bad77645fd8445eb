package memory

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/ade-go/ade/ports"
)

var _ ports.Queue = (*Queue)(nil)

// DefaultRetryPolicy applies to task kinds QueueOptions gives no policy
// for.
var DefaultRetryPolicy = ports.RetryPolicy{MaxAttempts: 10, FirstDelay: time.Second, MaxDelay: time.Minute}

// QueueOptions tune an in-memory queue.
type QueueOptions struct {
	// Workers is how many tasks run at once; 0 runs none until Start is
	// called with more (tasks wait, which specs use to see them pending).
	Workers int
	// Policies are the retry policies by task kind.
	Policies map[ports.TaskKind]ports.RetryPolicy
	// MaintenanceInterval, when positive, runs a TaskMaintenance at Start
	// and then at this interval.
	MaintenanceInterval time.Duration
	// Logger receives dropped tasks; nil discards.
	Logger *slog.Logger
}

// Queue is an in-memory ports.Queue for a Store: tasks enqueued in one of
// the store's transactions are queued when it commits (and never when it
// rolls back); a pool of worker goroutines hands them to a
// ports.TaskHandler, retrying failures with backoff. Tasks live as long as
// the process: this queue suits tests, the in-memory store and programs
// embedding ADE, not durable deployments.
type Queue struct {
	store *Store
	opts  QueueOptions

	mu       sync.Mutex
	pending  []queued
	running  int
	retrying int
	wake     chan struct{}
	idle     chan struct{} // closed and replaced whenever the queue is idle
	stop     chan struct{}
	stopped  bool
	paused   bool
	workers  sync.WaitGroup
}

type queued struct {
	task    ports.Task
	attempt int
}

// NewQueue returns a queue sharing s's transactions. The first queue made
// for a store is the one its job changes enqueue their tasks on
// (ports.JobChange.Tasks).
func NewQueue(s *Store, opts QueueOptions) *Queue {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Queue{store: s, opts: opts, wake: make(chan struct{}, 1), idle: make(chan struct{}), stop: make(chan struct{})}
	s.attachQueue(q)
	return q
}

// Enqueue queues tasks when ctx's transaction of the store commits, or at
// once outside a transaction.
func (q *Queue) Enqueue(ctx context.Context, tasks ...ports.Task) error {
	var t *tx
	if cur, ok := ctx.Value(txKey{}).(*tx); ok && cur.store == q.store {
		t = cur
	}
	items := make([]queued, len(tasks))
	for i, task := range tasks {
		items[i] = queued{task: task, attempt: 1}
	}
	q.store.onCommit(t, func() { q.push(items...) })
	return nil
}

func (q *Queue) push(items ...queued) {
	q.mu.Lock()
	q.pending = append(q.pending, items...)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Start runs the workers (QueueOptions.Workers of them) and the periodic
// maintenance, handing tasks to h until Stop.
func (q *Queue) Start(h ports.TaskHandler) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-q.stop
		cancel()
	}()
	for range q.opts.Workers {
		q.workers.Go(func() { q.work(ctx, h) })
	}
	if q.opts.MaintenanceInterval > 0 {
		q.workers.Go(func() {
			t := time.NewTicker(q.opts.MaintenanceInterval)
			defer t.Stop()
			for {
				_ = h.HandleTask(ctx, ports.Task{Kind: ports.TaskMaintenance}, ports.TaskAttempt{Number: 1, Max: 1})
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
}

// Stop stops the workers, cancelling the context of the tasks they run,
// and waits for them until ctx ends. Tasks not yet run are dropped.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	if !q.stopped {
		q.stopped = true
		close(q.stop)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		q.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pending returns the tasks waiting for a worker, oldest first.
func (q *Queue) Pending() []ports.Task {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]ports.Task, len(q.pending))
	for i, p := range q.pending {
		out[i] = p.task
	}
	return out
}

// Pause keeps the workers from taking tasks until Resume; tasks keep
// queueing meanwhile.
func (q *Queue) Pause() {
	q.mu.Lock()
	q.paused = true
	q.mu.Unlock()
}

// Resume lets the workers take tasks again.
func (q *Queue) Resume() {
	q.mu.Lock()
	q.paused = false
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Take removes and returns the tasks waiting for a worker, oldest first,
// for a caller that runs them itself.
func (q *Queue) Take() []ports.Task {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]ports.Task, len(q.pending))
	for i, p := range q.pending {
		out[i] = p.task
	}
	q.pending = nil
	return out
}

// WaitIdle waits until no task is pending, running or waiting for a
// retry, or ctx ends.
func (q *Queue) WaitIdle(ctx context.Context) error {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 && q.running == 0 && q.retrying == 0 {
			q.mu.Unlock()
			return nil
		}
		idle := q.idle
		q.mu.Unlock()
		select {
		case <-idle:
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (q *Queue) work(ctx context.Context, h ports.TaskHandler) {
	for {
		q.mu.Lock()
		var item queued
		got := len(q.pending) > 0 && !q.paused
		if got {
			item = q.pending[0]
			q.pending = q.pending[1:]
			q.running++
		}
		q.mu.Unlock()
		if !got {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		// Another worker may be waiting for what is left.
		select {
		case q.wake <- struct{}{}:
		default:
		}
		q.handle(ctx, h, item)
	}
}

func (q *Queue) handle(ctx context.Context, h ports.TaskHandler, item queued) {
	policy, ok := q.opts.Policies[item.task.Kind]
	if !ok {
		policy = DefaultRetryPolicy
	}
	max := max(policy.MaxAttempts, 1)
	err := h.HandleTask(ctx, item.task, ports.TaskAttempt{Number: item.attempt, Max: max})
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running--
	switch {
	case err == nil:
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// Stopping: the task is dropped with the queue.
	case item.attempt >= max:
		q.opts.Logger.Error("task dropped after its last attempt", "kind", item.task.Kind, "job_id", item.task.JobID,
			"webhook_id", item.task.WebhookID, "attempts", item.attempt, "error", err)
	default:
		q.retrying++
		next := queued{task: item.task, attempt: item.attempt + 1}
		time.AfterFunc(policy.Delay(item.attempt), func() {
			q.mu.Lock()
			q.retrying--
			q.mu.Unlock()
			q.push(next)
		})
	}
	if len(q.pending) == 0 && q.running == 0 && q.retrying == 0 {
		close(q.idle)
		q.idle = make(chan struct{})
	}
}
