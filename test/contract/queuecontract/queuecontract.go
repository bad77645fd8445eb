// Package queuecontract is the contract suite of ports.Queue: every queue
// adapter (the in-memory queue, River on SQLite and on PostgreSQL) runs the
// same Ginkgo specs through DescribeQueue.
package queuecontract

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Harness is one queue over one empty store, with its transactions.
type Harness struct {
	Repos ports.Repositories
	Queue ports.Queue
	// Start runs the queue's workers with h; the factory registers the
	// stop with DeferCleanup.
	Start func(h ports.TaskHandler)
	// Workers is how many job runs (TaskRunJob) the queue was given to
	// run at once.
	Workers int
	// Second makes another queue on the same store that runs nothing (an
	// API-only process's, say).
	Second func() ports.Queue
}

// Policies are the retry policies the factory must give the queue: quick
// retries, so the specs stay short.
var Policies = map[ports.TaskKind]ports.RetryPolicy{
	ports.TaskRunJob:         {MaxAttempts: 3, FirstDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
	ports.TaskDeliverWebhook: {MaxAttempts: 2, FirstDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond},
}

// wait bounds how long a spec waits for a task to be handled (River polls
// for retried tasks once a second).
const wait = 30 * time.Second

// recorder is a handler that records every attempt and fails as told.
type recorder struct {
	mu       sync.Mutex
	attempts map[string][]ports.TaskAttempt
	tasks    map[string]ports.Task
	fail     func(t ports.Task, a ports.TaskAttempt) error
}

func newRecorder(fail func(ports.Task, ports.TaskAttempt) error) *recorder {
	return &recorder{attempts: map[string][]ports.TaskAttempt{}, tasks: map[string]ports.Task{}, fail: fail}
}

func (r *recorder) HandleTask(_ context.Context, t ports.Task, a ports.TaskAttempt) error {
	r.mu.Lock()
	key := t.JobID + t.WebhookID
	r.attempts[key] = append(r.attempts[key], a)
	r.tasks[key] = t
	r.mu.Unlock()
	if r.fail != nil {
		return r.fail(t, a)
	}
	return nil
}

func (r *recorder) attemptsOf(key string) []ports.TaskAttempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ports.TaskAttempt(nil), r.attempts[key]...)
}

func (r *recorder) handled() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.attempts)
}

func (r *recorder) task(key string) (ports.Task, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tasks[key]
	return t, ok
}

var errBoom = errors.New("boom")

// DescribeQueue registers the ports.Queue contract under name. factory is
// called once per spec, from a BeforeEach, and returns a harness over an
// empty store whose queue uses Policies.
func DescribeQueue(name string, factory func() Harness) bool {
	return Describe(name+" Queue contract", func() {
		var (
			h   Harness
			ctx context.Context
		)
		BeforeEach(func() {
			h = factory()
			ctx = context.Background()
		})

		runTask := func(id string) ports.Task {
			return ports.Task{Kind: ports.TaskRunJob, WorkspaceID: "ws-" + id, JobID: id,
				Job: &domain.NewJobParams{ID: id, WorkspaceID: "ws-" + id, DocumentType: "remittance", ConfigurationID: "cfg-" + id,
					ConfigurationVersion: 3, InputDocumentID: "doc-" + id, CreatedBy: "key-1",
					Now: time.Date(2026, 5, 4, 3, 2, 1, 123456789, time.UTC)},
				Actor: domain.Actor{Type: domain.ActorAPIKey, ID: "key-1", Label: "ci key"}, RequestID: "req-" + id}
		}
		// enqueueIn enqueues tasks in a transaction that also writes a row
		// (a workspace), committed or rolled back.
		enqueueIn := func(commit bool, tasks ...ports.Task) error {
			return h.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
				ws, err := domain.NewWorkspace(ulid.Make().String(), "ws-"+strings.ToLower(ulid.Make().String()[16:]), "Workspace", time.Now())
				Expect(err).NotTo(HaveOccurred())
				if err := h.Repos.Workspaces.Create(ctx, ws); err != nil {
					return err
				}
				if err := h.Queue.Enqueue(ctx, tasks...); err != nil {
					return err
				}
				if !commit {
					return errBoom
				}
				return nil
			})
		}

		It("hands a task enqueued in a committed transaction to a handler once, every field intact", func() {
			rec := newRecorder(nil)
			h.Start(rec)
			run := runTask("job-a")
			hook := ports.Task{Kind: ports.TaskDeliverWebhook, WorkspaceID: "ws-b", WebhookID: "hook-b", EventID: "event-b",
				Actor: domain.SystemActor, RequestID: "req-b"}
			Expect(enqueueIn(true, run, hook)).To(Succeed())
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(2))
			got, _ := rec.task("job-a")
			Expect(got).To(Equal(run))
			got, _ = rec.task("hook-b")
			Expect(got).To(Equal(hook))
			Consistently(func() []ports.TaskAttempt { return rec.attemptsOf("job-a") }, 500*time.Millisecond).
				Should(Equal([]ports.TaskAttempt{{Number: 1, Max: 3}}))
		})

		It("never hands out a task whose transaction rolled back", func() {
			rec := newRecorder(nil)
			h.Start(rec)
			Expect(enqueueIn(false, runTask("job-gone"))).To(MatchError(errBoom))
			Expect(enqueueIn(true, runTask("job-kept"))).To(Succeed())
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(1))
			Consistently(func() bool { _, ok := rec.task("job-gone"); return ok }, 500*time.Millisecond).Should(BeFalse())
		})

		It("enqueues at once outside a transaction", func() {
			rec := newRecorder(nil)
			h.Start(rec)
			Expect(h.Queue.Enqueue(ctx, runTask("job-now"))).To(Succeed())
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(1))
		})

		It("keeps a task enqueued before the workers start", func() {
			Expect(enqueueIn(true, runTask("job-early"))).To(Succeed())
			rec := newRecorder(nil)
			h.Start(rec)
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(1))
		})

		It("retries a failing task, counting attempts, until it succeeds", func() {
			rec := newRecorder(func(_ ports.Task, a ports.TaskAttempt) error {
				if a.Number < 3 {
					return errBoom
				}
				return nil
			})
			h.Start(rec)
			Expect(enqueueIn(true, runTask("job-flaky"))).To(Succeed())
			Eventually(func() []ports.TaskAttempt { return rec.attemptsOf("job-flaky") }, wait).
				Should(Equal([]ports.TaskAttempt{{Number: 1, Max: 3}, {Number: 2, Max: 3}, {Number: 3, Max: 3}}))
		})

		It("gives up after the kind's last attempt", func() {
			rec := newRecorder(func(ports.Task, ports.TaskAttempt) error { return errBoom })
			h.Start(rec)
			Expect(h.Queue.Enqueue(ctx, ports.Task{Kind: ports.TaskDeliverWebhook, WorkspaceID: "ws", WebhookID: "hook-dead", EventID: "e"})).To(Succeed())
			Eventually(func() int { return len(rec.attemptsOf("hook-dead")) }, wait).Should(Equal(2))
			Consistently(func() int { return len(rec.attemptsOf("hook-dead")) }, 1500*time.Millisecond).Should(Equal(2))
			Expect(rec.attemptsOf("hook-dead")[1]).To(Equal(ports.TaskAttempt{Number: 2, Max: 2}))
			Expect(rec.attemptsOf("hook-dead")[1].Last()).To(BeTrue())
		})

		It("runs at most Workers job tasks at once, and more than one", func() {
			var inFlight, most atomic.Int64
			rec := newRecorder(func(t ports.Task, _ ports.TaskAttempt) error {
				n := inFlight.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(50 * time.Millisecond) // an extraction that takes a while
				inFlight.Add(-1)
				return nil
			})
			Expect(h.Workers).To(BeNumerically(">", 1), "the factory says how many workers it gave")
			tasks := make([]ports.Task, 4*h.Workers)
			for i := range tasks {
				tasks[i] = runTask(ulid.Make().String())
			}
			Expect(enqueueIn(true, tasks...)).To(Succeed())
			h.Start(rec)
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(len(tasks)))
			Expect(most.Load()).To(BeNumerically("<=", h.Workers), "the worker count bounds the runs at once")
			Expect(most.Load()).To(BeNumerically(">", 1), "the workers run tasks side by side")
		})

		It("enqueues a job change's tasks with the change: handed out once when it is stored, never when it is refused or rolled back", func() {
			rec := newRecorder(nil)
			h.Start(rec)
			job, created := newStoredJob(ctx, h.Repos)
			run := runTaskOf(job)
			Expect(h.Repos.Jobs.Apply(ctx, ports.JobChange{Job: job, Events: []*domain.Event{created}, Tasks: []ports.Task{run}})).To(Succeed())
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(1))
			got, _ := rec.task(job.ID())
			Expect(got).To(Equal(run), "every field intact")

			// A change whose guard fails (the job is no longer in the
			// state it was derived from) enqueues nothing.
			late := domain.RehydrateJob(job.State())
			Expect(late.Start(time.Now())).To(Succeed())
			hook := ports.Task{Kind: ports.TaskDeliverWebhook, WorkspaceID: job.WorkspaceID(), WebhookID: "hook-refused", EventID: "e"}
			err := h.Repos.Jobs.Apply(ctx, ports.JobChange{Job: late, From: domain.JobRunning, Attempts: 0,
				Events: []*domain.Event{eventOf(late, domain.EventJobRunning)}, Tasks: []ports.Task{hook}})
			Expect(err).To(MatchError(domain.ErrConflict))

			// A change stored in a transaction that rolls back enqueues
			// nothing either.
			other, created2 := newStoredJob(ctx, h.Repos)
			err = h.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
				if err := h.Repos.Jobs.Apply(ctx, ports.JobChange{Job: other, Events: []*domain.Event{created2}, Tasks: []ports.Task{runTaskOf(other)}}); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			Consistently(func() int { return rec.handled() }, time.Second).Should(Equal(1))
		})

		It("leaves a job change's tasks to the workers when a second, enqueue-only queue is made for the store", func() {
			rec := newRecorder(nil)
			h.Start(rec)
			Expect(h.Second()).NotTo(BeNil())
			job, created := newStoredJob(ctx, h.Repos)
			Expect(h.Repos.Jobs.Apply(ctx, ports.JobChange{Job: job, Events: []*domain.Event{created}, Tasks: []ports.Task{runTaskOf(job)}})).To(Succeed())
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(1))
		})

		It("hands each of many tasks enqueued concurrently to exactly one handler", func() {
			rec := newRecorder(nil)
			h.Start(rec)
			const n = 100
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					defer GinkgoRecover()
					for j := range n / 10 {
						Expect(enqueueIn(true, runTask(ulid.Make().String()+string(rune('a'+i))+string(rune('a'+j%26))))).To(Succeed())
					}
				})
			}
			wg.Wait()
			Eventually(func() int { return rec.handled() }, wait).Should(Equal(n))
			Consistently(func() int {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				most := 0
				for _, a := range rec.attempts {
					most = max(most, len(a))
				}
				return most
			}, 500*time.Millisecond).Should(Equal(1))
		})
	})
}

// newStoredJob stores a workspace, a document and a configuration, and
// returns a new pending job on them with its job.created event (neither
// stored).
func newStoredJob(ctx context.Context, repos ports.Repositories) (*domain.Job, *domain.Event) {
	GinkgoHelper()
	now := time.Now().UTC()
	ws, err := domain.NewWorkspace(ulid.Make().String(), "ws-"+strings.ToLower(ulid.Make().String()[16:]), "Workspace", now)
	Expect(err).NotTo(HaveOccurred())
	Expect(repos.Workspaces.Create(ctx, ws)).To(Succeed())
	doc, err := domain.NewDocument(domain.NewDocumentParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(), Filename: "r.csv",
		ContentType: "text/csv", ByteSize: 8, SHA256: strings.Repeat("ab", 32), BlobKey: "blobs/" + ulid.Make().String(),
		ExpiresAt: now.Add(time.Hour), Now: now})
	Expect(err).NotTo(HaveOccurred())
	Expect(repos.Documents.Create(ctx, doc)).To(Succeed())
	cfg, err := domain.NewConfiguration(domain.NewConfigurationParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(),
		DocumentType: "remittance", Title: "Remittance", Version: 1, Now: now, Payload: map[string]any{"extractor": "stub"}})
	Expect(err).NotTo(HaveOccurred())
	Expect(repos.Configurations.Create(ctx, cfg)).To(Succeed())
	job, err := domain.NewJob(domain.NewJobParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(), DocumentType: cfg.DocumentType(),
		ConfigurationID: cfg.ID(), ConfigurationVersion: cfg.Version(), InputDocumentID: doc.ID(), CreatedBy: "key-1", Now: now})
	Expect(err).NotTo(HaveOccurred())
	return job, eventOf(job, domain.EventJobCreated)
}

// eventOf is a job's event of type eventType.
func eventOf(job *domain.Job, eventType string) *domain.Event {
	GinkgoHelper()
	e, err := domain.NewEvent(domain.EventState{ID: ulid.Make().String(), WorkspaceID: job.WorkspaceID(), EventType: eventType,
		EntityType: domain.EntityJob, EntityID: job.ID(), OccurredAt: time.Now(), ActorType: domain.SystemActor.Type,
		ActorID: domain.SystemActor.ID, Payload: map[string]any{"status": string(job.Status())}})
	Expect(err).NotTo(HaveOccurred())
	return e
}

// runTaskOf is the task that runs job, carrying what it was created from.
func runTaskOf(job *domain.Job) ports.Task {
	st := job.State()
	return ports.Task{Kind: ports.TaskRunJob, WorkspaceID: st.WorkspaceID, JobID: st.ID,
		Job: &domain.NewJobParams{ID: st.ID, WorkspaceID: st.WorkspaceID, DocumentType: st.DocumentType,
			ConfigurationID: st.ConfigurationID, ConfigurationVersion: st.ConfigurationVersion, InputDocumentID: st.InputDocumentID,
			CreatedBy: st.CreatedBy, Now: st.CreatedAt},
		Actor: domain.Actor{Type: domain.ActorAPIKey, ID: "key-1", Label: "ci key"}, RequestID: "req-" + st.ID}
}

// DescribeWakeUp registers the spec that a queue's workers, polling
// rarely, are woken by a task stored with a job change: factory returns
// a harness whose queue polls for tasks no more often than every 30
// seconds.
func DescribeWakeUp(name string, factory func() Harness) bool {
	return Describe(name+" Queue wake-up", func() {
		It("hands out a task stored with a job change within seconds, though the workers poll every 30 s", func() {
			h := factory()
			ctx := context.Background()
			rec := newRecorder(nil)
			h.Start(rec)
			// Let the workers' first fetch (at start) pass.
			time.Sleep(500 * time.Millisecond)
			job, created := newStoredJob(ctx, h.Repos)
			start := time.Now()
			Expect(h.Repos.Jobs.Apply(ctx, ports.JobChange{Job: job, Events: []*domain.Event{created}, Tasks: []ports.Task{runTaskOf(job)}})).To(Succeed())
			Eventually(func() int { return rec.handled() }, 5*time.Second, 10*time.Millisecond).Should(Equal(1))
			GinkgoWriter.Printf("handed out %s after the change\n", time.Since(start).Round(time.Millisecond))
		})
	})
}
