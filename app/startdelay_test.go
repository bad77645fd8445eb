package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

// changeLog records every job change a store accepted, as "from->to"
// ("->pending" for a submission), counts the reads of one job (Get) and of
// a job with its inputs (GetRun), and can refuse a deferred start (a
// change from pending to running) as a store that stopped answering.
type changeLog struct {
	ports.JobRepository
	refuseStart bool
	mu          sync.Mutex
	applied     []string
	reads       atomic.Int64 // GetRun calls
	gets        atomic.Int64 // Get calls
}

func (c *changeLog) Get(ctx context.Context, ws, id string) (*domain.Job, error) {
	c.gets.Add(1)
	return c.JobRepository.Get(ctx, ws, id)
}

func (c *changeLog) Apply(ctx context.Context, ch ports.JobChange) error {
	if c.refuseStart && ch.From == domain.JobPending && ch.Job.Status() == domain.JobRunning {
		return errOutage
	}
	// Held across the change, so that the order recorded is the order
	// stored (a queue may run the job before Apply returns).
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.JobRepository.Apply(ctx, ch)
	if err == nil {
		c.applied = append(c.applied, fmt.Sprintf("%s->%s", ch.From, ch.Job.Status()))
	}
	return err
}

func (c *changeLog) GetRun(ctx context.Context, ws, id string) (ports.JobRun, error) {
	c.reads.Add(1)
	return c.JobRepository.GetRun(ctx, ws, id)
}

func (c *changeLog) changes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.applied...)
}

// logged wires the application over backend b with workers queue workers,
// recording its job changes in log.
func logged(b storetest.Backend, workers int, log *changeLog, cfg app.Config) *env {
	return build(b, workers, nil, func(r ports.Repositories) ports.Repositories {
		log.JobRepository = r.Jobs
		r.Jobs = log
		return r
	}, cfg, probe{})
}

// outputsGone checks that no output bytes of the job remain stored.
func outputsGone(e *env, jobID string) {
	GinkgoHelper()
	n := 0
	for _, k := range e.blobs.putKeys() {
		if strings.HasPrefix(k, "outputs/"+e.ws+"/"+jobID+"/") {
			n++
			_, err := e.blobs.Open(e.ctx, k, 0, -1)
			Expect(err).To(MatchError(domain.ErrNotFound), "output %s was discarded", k)
		}
	}
	Expect(n).To(BeNumerically(">", 0), "the attempt had stored an output")
}

var _ = Describe("A job's start stored with its end (Config.JobStartDelay)", func() {
	for _, b := range storetest.All() {
		DescribeTable("on "+b.Name+": the changes a run stores, and what they leave",
			func(delay time.Duration, payload map[string]any, want []string, status domain.JobStatus) {
				log := &changeLog{}
				e := logged(b, 2, log, app.Config{JobStartDelay: delay})
				doc, cfg := setupJobs(e, payload)
				j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				Expect(j.Status()).To(Equal(status))
				Expect(log.changes()).To(Equal(want))

				Expect(j.Attempts()).To(Equal(1))
				st := j.State()
				Expect(st.StartedAt).NotTo(BeNil())
				Expect(*st.StartedAt).NotTo(BeTemporally(">", *st.FinishedAt))
				evs := timeline(e, j.ID())
				Expect(types(evs)).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.JobStatusEventType(status)}))
				Expect(evs[1].State().Payload).To(HaveKeyWithValue("from", "pending"))
				Expect(evs[2].State().Payload).To(HaveKeyWithValue("from", "running"))
				Expect(evs[1].State().OccurredAt).NotTo(BeTemporally(">", evs[2].State().OccurredAt))
				res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
				Expect(err).NotTo(HaveOccurred())
				if status == domain.JobSucceeded {
					Expect(res.Tables.Items).To(HaveLen(1))
					Expect(res.OutputDocuments).To(HaveLen(2))
				} else {
					Expect(res.Tables.Items).To(BeEmpty())
				}
			},
			Entry("a run that ends within the delay: one write from pending to its end", time.Duration(0),
				map[string]any{"extractor": "probe", "mode": "outputs"},
				[]string{"->pending", "pending->succeeded"}, domain.JobSucceeded),
			Entry("a failed run that ends within the delay: one write from pending to failed", time.Duration(0),
				map[string]any{"extractor": "stub", "fail": "no pages"},
				[]string{"->pending", "pending->failed"}, domain.JobFailed),
			Entry("every start stored first (a negative delay)", time.Duration(-1),
				map[string]any{"extractor": "probe", "mode": "outputs"},
				[]string{"->pending", "pending->running", "running->succeeded"}, domain.JobSucceeded),
		)
	}

	It("ends a job whose input went before it ran failed, its start stored with the end", func() {
		log := &changeLog{}
		e := logged(storetest.Memory, 0, log, app.Config{})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.app.Documents.Delete(e.ctx, e.ws, doc.ID(), "gone")).To(Succeed())
		Expect(e.runPending()).To(Equal(1))
		done := getJob(e, j.ID())
		Expect(done.Status()).To(Equal(domain.JobFailed))
		Expect(done.Error().Code).To(Equal(app.CodeInputUnavailable))
		Expect(log.changes()).To(Equal([]string{"->pending", "pending->failed"}))
		Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobFailed}))
	})

	It("stores the start on its own once the run has lasted the delay, then the end", func() {
		log := &changeLog{}
		e := logged(storetest.Memory, 2, log, app.Config{JobStartDelay: 50 * time.Millisecond})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "probe", "mode": "gated"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Eventually(probeGated, 5*time.Second).Should(Receive(Equal(j.ID())))
		Eventually(jobStatus(e, j.ID()), 5*time.Second).Should(Equal(domain.JobRunning))
		Expect(log.changes()).To(Equal([]string{"->pending", "pending->running"}))
		Expect(getJob(e, j.ID()).Attempts()).To(Equal(1))
		probeGate <- struct{}{}
		Eventually(jobStatus(e, j.ID()), 5*time.Second).Should(Equal(domain.JobSucceeded))
		Expect(log.changes()).To(Equal([]string{"->pending", "pending->running", "running->succeeded"}))
		Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}))
		res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.OutputDocuments).To(HaveLen(1))
	})

	It("cancels a job whose start is not stored yet at once, as a pending job, and its run stops and stores nothing", func() {
		log := &changeLog{}
		e := logged(storetest.Memory, 2, log, app.Config{JobStartDelay: time.Hour})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "probe", "mode": "wait"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Eventually(probeWaiting, 5*time.Second).Should(Receive(Equal(j.ID())))
		Expect(getJob(e, j.ID()).Status()).To(Equal(domain.JobPending), "running, its start not stored yet")

		c, err := e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Status()).To(Equal(domain.JobCancelled))
		Eventually(probeStopped, 5*time.Second).Should(Receive(Equal(j.ID())), "the extractor's context was cancelled")
		Expect(e.queue.WaitIdle(e.ctx)).To(Succeed())

		done := getJob(e, j.ID())
		Expect(done.Status()).To(Equal(domain.JobCancelled))
		Expect(done.Attempts()).To(BeZero())
		Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobCancelled}))
		Expect(log.changes()).NotTo(ContainElement(HavePrefix("pending->running")))
		res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Tables.Items).To(BeEmpty())
		outputsGone(e, j.ID())
	})

	It("hands the task back, storing nothing, when the deferred start cannot be stored", func() {
		log := &changeLog{refuseStart: true}
		e := logged(storetest.Memory, 0, log, app.Config{JobStartDelay: 20 * time.Millisecond})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "probe", "mode": "wait"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		task := e.queue.Take()[0]
		err = e.app.Tasks.HandleTask(e.ctx, task, ports.TaskAttempt{Number: 1, Max: 5})
		Expect(err).To(MatchError(domain.ErrUnavailable), "the queue runs the task again")
		Expect(probeWaiting).To(Receive(Equal(j.ID())))
		Eventually(probeStopped, 5*time.Second).Should(Receive(Equal(j.ID())), "the run was stopped")

		cur := getJob(e, j.ID())
		Expect(cur.Status()).To(Equal(domain.JobPending))
		Expect(cur.Attempts()).To(BeZero())
		Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated}))
		Expect(log.changes()).To(Equal([]string{"->pending"}))
		outputsGone(e, j.ID())
	})

	It("stores the start first on a later delivery (after a lost worker), and removes what the lost run stored", func() {
		log := &changeLog{}
		e := logged(storetest.Memory, 0, log, app.Config{})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		task := e.queue.Take()[0]
		// The first delivery ran without storing its start, stored an
		// output's bytes, and was lost with its worker.
		lost := "outputs/" + e.ws + "/" + j.ID() + "/lost"
		_, err = e.blobs.Put(e.ctx, lost, strings.NewReader("half an output"), ports.PutOptions{})
		Expect(err).NotTo(HaveOccurred())

		Expect(e.app.Tasks.HandleTask(e.ctx, task, ports.TaskAttempt{Number: 2, Max: 5})).To(Succeed())
		done := getJob(e, j.ID())
		Expect(done.Status()).To(Equal(domain.JobSucceeded))
		Expect(done.Attempts()).To(Equal(1))
		Expect(log.changes()).To(Equal([]string{"->pending", "pending->running", "running->succeeded"}))
		_, err = e.blobs.Open(e.ctx, lost, 0, -1)
		Expect(err).To(MatchError(domain.ErrNotFound), "the lost run's bytes are removed")
	})

	Describe("a job submitted in the process that runs it", func() {
		var (
			e    *env
			log  *changeLog
			doc  *domain.Document
			cfg  *domain.Configuration
			subm func() *domain.Job
		)
		BeforeEach(func() {
			log = &changeLog{}
			e = logged(storetest.Memory, 0, log, app.Config{})
			doc, cfg = setupJobs(e, map[string]any{"extractor": "stub"})
			subm = func() *domain.Job {
				j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				return j
			}
			// Until a process has run a job it hands nothing over (an
			// API-only process never does): the first job is read back.
			subm()
			Expect(e.runPending()).To(Equal(1))
			Expect(log.reads.Load()).To(Equal(int64(1)))
		})

		It("runs on what its submission read, without reading the job back", func() {
			jobs := []*domain.Job{subm(), subm(), subm()}
			Expect(e.runPending()).To(Equal(3))
			Expect(log.reads.Load()).To(Equal(int64(1)), "no job read back")
			for _, j := range jobs {
				done := getJob(e, j.ID())
				Expect(done.Status()).To(Equal(domain.JobSucceeded))
				Expect(done.Attempts()).To(Equal(1))
				Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobRunning, domain.EventJobSucceeded}))
			}
		})

		It("stores nothing for one cancelled after its submission: the run's write is guarded by the pending job", func() {
			j := subm()
			_, err := e.app.Jobs.Cancel(e.ctx, e.ws, j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(e.runPending()).To(Equal(1))
			Expect(log.reads.Load()).To(Equal(int64(1)), "taken from its submission")
			Expect(getJob(e, j.ID()).Status()).To(Equal(domain.JobCancelled))
			Expect(types(timeline(e, j.ID()))).To(Equal([]string{domain.EventJobCreated, domain.EventJobCancelled}))
			res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Tables.Items).To(BeEmpty())
		})

		It("reads the job back once its submission is a second old, and sees its document deleted since", func() {
			j := subm()
			Expect(e.app.Documents.Delete(e.ctx, e.ws, doc.ID(), "gone")).To(Succeed())
			time.Sleep(1100 * time.Millisecond)
			Expect(e.runPending()).To(Equal(1))
			Expect(log.reads.Load()).To(Equal(int64(2)), "read back")
			done := getJob(e, j.ID())
			Expect(done.Status()).To(Equal(domain.JobFailed))
			Expect(done.Error().Code).To(Equal(app.CodeInputUnavailable))
		})
	})
})
