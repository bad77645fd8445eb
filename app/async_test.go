package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

// setupJobs uploads the roster and creates a configuration with payload.
func setupJobs(e *env, payload map[string]any) (*domain.Document, *domain.Configuration) {
	GinkgoHelper()
	doc, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "roster.csv", Body: strings.NewReader(rosterCSV)})
	Expect(err).NotTo(HaveOccurred())
	cfg, err := e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{
		WorkspaceID: e.ws, DocumentType: "roster", Title: "Roster", Payload: payload})
	Expect(err).NotTo(HaveOccurred())
	return doc, cfg
}

func timeline(e *env, jobID string) []*domain.Event {
	GinkgoHelper()
	p, err := e.app.Jobs.Events(e.ctx, e.ws, jobID, ports.EventFilter{}, app.PageRequest{Limit: 200})
	Expect(err).NotTo(HaveOccurred())
	return p.Items
}

func terminalEvents(evs []*domain.Event) int {
	n := 0
	for _, e := range evs {
		switch e.Type() {
		case domain.EventJobSucceeded, domain.EventJobFailed, domain.EventJobCancelled:
			n++
		}
	}
	return n
}

// jobStatus polls a job's status.
func jobStatus(e *env, id string) func() domain.JobStatus {
	return func() domain.JobStatus { return getJob(e, id).Status() }
}

func getJob(e *env, id string) *domain.Job {
	GinkgoHelper()
	j, err := e.app.Jobs.Get(e.ctx, e.ws, id)
	Expect(err).NotTo(HaveOccurred())
	return j
}

var _ = Describe("Asynchronous jobs", func() {
	It("stores a pending job with its task, then a worker runs it on behalf of the submitter", func() {
		e := newIdleEnv(app.Config{JobStartDelay: -1})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		ctx := app.WithRequestID(app.WithActor(e.ctx, domain.Actor{Type: domain.ActorAPIKey, ID: "key-7", Label: "ci"}), "req-async")
		j, err := e.app.Jobs.Enqueue(ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(j.Status()).To(Equal(domain.JobPending))
		Expect(j.Attempts()).To(BeZero())
		Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated}))
		Expect(e.queue.Pending()).To(Equal([]ports.Task{{Kind: ports.TaskRunJob, WorkspaceID: e.ws, JobID: j.ID(),
			Job: &domain.NewJobParams{ID: j.ID(), WorkspaceID: e.ws, DocumentType: cfg.DocumentType(), ConfigurationID: cfg.ID(),
				ConfigurationVersion: cfg.Version(), InputDocumentID: doc.ID(), CreatedBy: "key-7", Now: j.State().CreatedAt},
			Actor: domain.Actor{Type: domain.ActorAPIKey, ID: "key-7", Label: "ci"}, RequestID: "req-async"}}),
			"with every start stored first, the task carries what the job was created from")

		Expect(e.runPending()).To(Equal(1))
		done := getJob(e, j.ID())
		Expect(done.Status()).To(Equal(domain.JobSucceeded))
		Expect(done.Attempts()).To(Equal(1))
		evs := timeline(e, j.ID())
		Expect(types(evs)).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}))
		for _, ev := range evs {
			Expect(ev.State().ActorID).To(Equal("key-7"))
			Expect(ev.State().RequestID).To(Equal("req-async"))
		}
		Expect(evs[1].State().Source).To(Equal("worker"))
	})

	It("runs a job from a task that carries no submission (enqueued by a process whose starts may wait), reading the job first, with every start stored first", func() {
		e := newIdleEnv(app.Config{JobStartDelay: -1})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		task := e.queue.Take()[0]
		task.Job = nil
		Expect(e.app.Tasks.HandleTask(e.ctx, task, ports.TaskAttempt{Number: 1, Max: 5})).To(Succeed())
		done := getJob(e, j.ID())
		Expect(done.Status()).To(Equal(domain.JobSucceeded))
		Expect(done.Attempts()).To(Equal(1))
		Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}))
	})

	It("reads a running job only when another change signals it: the run's own end does not wake its cancellation watch", func() {
		jobs := &changeLog{}
		e := logged(storetest.Memory, 0, jobs, app.Config{})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		ids := make([]string, 20)
		for i := range ids {
			j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			Expect(err).NotTo(HaveOccurred())
			ids[i] = j.ID()
		}
		Expect(e.runPending()).To(Equal(len(ids)))
		Consistently(jobs.gets.Load, 300*time.Millisecond).Should(BeZero(), "a watch woken by its own job's end reads the job once more per run")
		for _, id := range ids {
			Expect(getJob(e, id).Status()).To(Equal(domain.JobSucceeded))
		}
	})

	It("stores a task without the job's creation parameters when the start may wait: the worker reads the job with its inputs anyway", func() {
		e := newIdleEnv(app.Config{})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		ctx := app.WithRequestID(app.WithActor(e.ctx, domain.Actor{Type: domain.ActorAPIKey, ID: "key-7", Label: "ci"}), "req-async")
		j, err := e.app.Jobs.Enqueue(ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.queue.Pending()).To(Equal([]ports.Task{{Kind: ports.TaskRunJob, WorkspaceID: e.ws, JobID: j.ID(),
			Actor: domain.Actor{Type: domain.ActorAPIKey, ID: "key-7", Label: "ci"}, RequestID: "req-async"}}))
		Expect(e.runPending()).To(Equal(1))
		evs := timeline(e, j.ID())
		Expect(types(evs)).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}))
		Expect(evs[1].State().ActorID).To(Equal("key-7"))
		Expect(evs[1].State().RequestID).To(Equal("req-async"))
	})

	for _, delay := range []time.Duration{-1, 0} {
		It(fmt.Sprintf("runs nothing for a task whose job was cancelled while it waited (start delay %s)", delay), func() {
			e := newIdleEnv(app.Config{JobStartDelay: delay})
			doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
			j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			Expect(err).NotTo(HaveOccurred())
			task := e.queue.Take()[0]
			Expect(task.Job != nil).To(Equal(delay < 0), "the task carries the submission when every start is stored first")
			_, err = e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(e.app.Tasks.HandleTask(e.ctx, task, ports.TaskAttempt{Number: 1, Max: 5})).To(Succeed())
			got := getJob(e, j.ID())
			Expect(got.Status()).To(Equal(domain.JobCancelled))
			Expect(got.Attempts()).To(BeZero())
			Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobCancelled}))
		})
	}

	It("creates nothing, task included, when the references do not resolve", func() {
		e := newIdleEnv(app.Config{})
		_, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		_, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: "01J00000000000000000000000", ConfigurationID: cfg.ID()})
		Expect(err).To(MatchError(domain.ErrUnprocessable))
		Expect(e.queue.Pending()).To(BeEmpty())
	})

	It("answers a synchronous submission with the job as it stands when no worker ends it in time", func() {
		e := newIdleEnv(app.Config{SyncWait: 100 * time.Millisecond})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		start := time.Now()
		j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(j.Status()).To(Equal(domain.JobPending))
		Expect(time.Since(start)).To(BeNumerically(">=", 100*time.Millisecond))
		Expect(e.queue.Pending()).To(HaveLen(1), "the job is still queued")
	})

	Describe("a run lost with its worker", func() {
		var (
			e   *env
			doc *domain.Document
			cfg *domain.Configuration
		)
		BeforeEach(func() {
			e = newIdleEnv(app.Config{JobMaxAttempts: 2}, probe{})
			doc, cfg = setupJobs(e, map[string]any{"extractor": "probe", "mode": "outputs"})
		})
		// lose enqueues a job and starts it as a worker would, then loses
		// the attempt (its process dies) after it stored an output's
		// bytes; the queue hands the task out again.
		lose := func(j *domain.Job) ports.Task {
			task := e.queue.Take()[0]
			_, err := e.mem.Repositories().Jobs.Update(e.ctx, e.ws, j.ID(), func(j *domain.Job) error {
				if j.Status() == domain.JobPending {
					return j.Start(e.clock.Now())
				}
				return j.Restart(e.clock.Now())
			})
			Expect(err).NotTo(HaveOccurred())
			_, err = e.blobs.Put(e.ctx, "outputs/"+e.ws+"/"+j.ID()+"/lost", strings.NewReader("half an output"), ports.PutOptions{})
			Expect(err).NotTo(HaveOccurred())
			return task
		}

		It("starts over cleanly: attempts counts, the lost outputs go, results are stored once", func() {
			j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			Expect(err).NotTo(HaveOccurred())
			task := lose(j)
			Expect(e.app.Tasks.HandleTask(e.ctx, task, ports.TaskAttempt{Number: 2, Max: 5})).To(Succeed())

			done := getJob(e, j.ID())
			Expect(done.Status()).To(Equal(domain.JobSucceeded))
			Expect(done.Attempts()).To(Equal(2))
			Expect(done.State().Logs[0].Message).To(ContainSubstring("attempt 1 was interrupted"))
			_, err = e.blobs.Open(e.ctx, "outputs/"+e.ws+"/"+j.ID()+"/lost", 0, -1)
			Expect(err).To(MatchError(domain.ErrNotFound), "the lost attempt's bytes are removed")
			res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Tables.Items).To(HaveLen(1))
			Expect(res.OutputDocuments).To(HaveLen(2))
			evs := timeline(e, j.ID())
			Expect(types(evs)).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}),
				"the lost attempt's start was never recorded by a worker here; the restart is")
			Expect(evs[1].State().Payload).To(HaveKeyWithValue("from", "running"))
			Expect(evs[1].State().Payload).To(HaveKeyWithValue("attempts", json.Number("2")))

			// A late duplicate of the task finds nothing to do.
			Expect(e.app.Tasks.HandleTask(e.ctx, task, ports.TaskAttempt{Number: 3, Max: 5})).To(Succeed())
			Expect(terminalEvents(timeline(e, j.ID()))).To(Equal(1))
			res, _ = e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
			Expect(res.Tables.Items).To(HaveLen(1))
		})

		It("ends failed with attempts_exhausted once every allowed attempt was lost", func() {
			j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			Expect(err).NotTo(HaveOccurred())
			task := lose(j)
			Expect(e.queue.Enqueue(e.ctx, task)).To(Succeed())
			task = lose(j) // the second (and last allowed) attempt is lost too
			Expect(e.app.Tasks.HandleTask(e.ctx, task, ports.TaskAttempt{Number: 3, Max: 5})).To(Succeed())

			done := getJob(e, j.ID())
			Expect(done.Status()).To(Equal(domain.JobFailed))
			Expect(done.Error().Code).To(Equal(app.CodeAttemptsExhausted))
			Expect(done.Attempts()).To(Equal(2))
			evs := timeline(e, j.ID())
			Expect(terminalEvents(evs)).To(Equal(1))
			Expect(evs[len(evs)-1].Type()).To(Equal(domain.EventJobFailed))
			res, _ := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
			Expect(res.Tables.Items).To(BeEmpty())
		})

	})

	It("stops an attempt presumed lost as soon as the job is handed to another, and lets it write nothing", func() {
		e := newEnv(app.Config{}, probe{})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "probe", "mode": "wait"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Eventually(probeWaiting, 5*time.Second).Should(Receive(Equal(j.ID())))
		Eventually(jobStatus(e, j.ID()), 5*time.Second).Should(Equal(domain.JobRunning), "the start is stored once the attempt has run a while")
		// Another worker took the job over (its lease said this one was
		// gone) and recorded its start.
		err = e.mem.WithinTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.mem.Repositories().Jobs.Update(ctx, e.ws, j.ID(), func(j *domain.Job) error { return j.Restart(e.clock.Now()) }); err != nil {
				return err
			}
			ev, err := domain.NewEvent(domain.EventState{ID: newULID(), WorkspaceID: e.ws, EventType: domain.EventJobRunning,
				EntityType: domain.EntityJob, EntityID: j.ID(), OccurredAt: e.clock.Now(), Payload: map[string]any{"attempts": 2}})
			if err != nil {
				return err
			}
			return e.mem.Repositories().EventSink.Append(ctx, ev)
		})
		Expect(err).NotTo(HaveOccurred())
		Eventually(probeStopped, 5*time.Second).Should(Receive(Equal(j.ID())), "the stale attempt's extractor was stopped")
		Expect(e.queue.WaitIdle(e.ctx)).To(Succeed())
		cur := getJob(e, j.ID())
		Expect(cur.Status()).To(Equal(domain.JobRunning), "the new attempt owns the job; the stale one wrote nothing")
		Expect(cur.Attempts()).To(Equal(2))
		Expect(terminalEvents(timeline(e, j.ID()))).To(BeZero())
	})

	Describe("cancellation", func() {
		It("cancels a running job: its worker's extractor stops, its outputs go, and it ends cancelled once", func() {
			e := newEnv(app.Config{}, probe{})
			doc, cfg := setupJobs(e, map[string]any{"extractor": "probe", "mode": "wait"})
			j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			Expect(err).NotTo(HaveOccurred())
			Eventually(probeWaiting, 5*time.Second).Should(Receive(Equal(j.ID())))
			Eventually(jobStatus(e, j.ID()), 5*time.Second).Should(Equal(domain.JobRunning), "the start is stored once the attempt has run a while")

			c, err := e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Status()).To(Equal(domain.JobCancelled))
			Eventually(probeStopped, 5*time.Second).Should(Receive(Equal(j.ID())), "the extractor's context was cancelled")
			Expect(e.queue.WaitIdle(e.ctx)).To(Succeed())

			done := getJob(e, j.ID())
			Expect(done.Status()).To(Equal(domain.JobCancelled))
			Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobCancelled}))
			res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Tables.Items).To(BeEmpty())
			Expect(res.OutputDocuments).To(BeEmpty())
			for _, k := range e.blobs.putKeys() {
				if strings.HasPrefix(k, "outputs/") {
					_, err := e.blobs.Open(e.ctx, k, 0, -1)
					Expect(err).To(MatchError(domain.ErrNotFound), "output %s was discarded", k)
				}
			}
			_, err = e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
			Expect(err).To(MatchError(domain.ErrConflict))
		})
	})

	Describe("a store outage at the end of a job", func() {
		It("retries the terminal write until the store answers, and the job ends with its real outcome", func() {
			flaky := &outageJobs{}
			e := newEnvWithRepos(func(r ports.Repositories) ports.Repositories {
				flaky.JobRepository = r.Jobs
				r.Jobs = flaky
				return r
			}, app.Config{TerminalRetry: 10 * time.Second}, probe{})
			doc, cfg := setupJobs(e, map[string]any{"extractor": "probe", "mode": "outputs"})
			// The store stops answering the job's terminal write, and
			// comes back 400 ms later.
			flaky.armed.Store(true)
			j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			Expect(err).NotTo(HaveOccurred())
			Expect(j.Status()).To(Equal(domain.JobSucceeded), "not failed, not left running")
			Expect(flaky.refused.Load()).To(BeNumerically(">=", 2), "the terminal write was refused, then retried")
			Expect(terminalEvents(timeline(e, j.ID()))).To(Equal(1))
			res, _ := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
			Expect(res.OutputDocuments).To(HaveLen(2))
		})
	})
})

// outageJobs refuses, once armed, every job write that would end the
// job, as a database that stopped answering would, for 400 ms after the
// first refusal.
type outageJobs struct {
	ports.JobRepository
	armed     atomic.Bool
	downSince atomic.Int64
	refused   atomic.Int64
}

func (o *outageJobs) down(ctx context.Context, ws, id string) bool {
	if !o.armed.Load() {
		return false
	}
	cur, err := o.Get(ctx, ws, id)
	if err != nil || cur.Status().IsTerminal() {
		return false
	}
	since := o.downSince.Load()
	if since == 0 {
		o.downSince.Store(time.Now().UnixNano())
		since = time.Now().UnixNano()
	}
	if time.Since(time.Unix(0, since)) < 400*time.Millisecond {
		o.refused.Add(1)
		return true
	}
	return false
}

var errOutage = errors.Join(domain.ErrUnavailable, errors.New("connection refused"))

func (o *outageJobs) Update(ctx context.Context, ws, id string, fn func(*domain.Job) error) (*domain.Job, error) {
	if o.down(ctx, ws, id) {
		return nil, errOutage
	}
	return o.JobRepository.Update(ctx, ws, id, fn)
}

func (o *outageJobs) Apply(ctx context.Context, c ports.JobChange) error {
	if c.Job.Status().IsTerminal() && o.down(ctx, c.Job.WorkspaceID(), c.Job.ID()) {
		return errOutage
	}
	return o.JobRepository.Apply(ctx, c)
}
