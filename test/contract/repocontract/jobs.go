package repocontract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// describeJobs registers the contract of ports.JobRepository.
func describeJobs(get func() *world) {
	Describe("JobRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("returns the newest job of each listed document, in one call", func() {
			other := w.createDocument(w.ws.ID(), nil)
			idle := w.createDocument(w.ws.ID(), nil)
			mk := func(docID string) *domain.Job {
				j := w.newJobFor(w.ws.ID(), docID, w.config)
				Expect(w.repos.Jobs.Create(w.ctx, j)).To(Succeed())
				return j
			}
			mk(w.doc.ID())
			newest := mk(w.doc.ID())
			only := mk(other.ID())
			got, err := w.repos.Jobs.LatestByDocument(w.ctx, w.ws.ID(), []string{w.doc.ID(), other.ID(), idle.ID(), w.otherDoc.ID()})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(2))
			Expect(got[w.doc.ID()].ID()).To(Equal(newest.ID()))
			Expect(got[other.ID()].State()).To(Equal(only.State()))
			Expect(got).NotTo(HaveKey(idle.ID()))
			none, err := w.repos.Jobs.LatestByDocument(w.ctx, w.ws.ID(), nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(none).To(BeEmpty())
			elsewhere, err := w.repos.Jobs.LatestByDocument(w.ctx, w.other.ID(), []string{w.doc.ID()})
			Expect(err).NotTo(HaveOccurred())
			Expect(elsewhere).To(BeEmpty(), "never another workspace's jobs")
		})

		It("round-trips a new job", func() {
			j := w.createJob()
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(j.State()))
			Expect(got.State().StartedAt).To(BeNil())
			Expect(got.State().Error).To(BeNil())
			Expect(got.State().Logs).NotTo(BeNil())
			Expect(got.State().OutputDocumentIDs).NotTo(BeNil())
		})

		It("round-trips a finished job: times, metrics, logs, error, outputs", func() {
			j := w.createJob()
			out := w.createDocument(w.ws.ID(), nil)
			var want *domain.Job
			_, err := w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error {
				return j.Start(w.clock.Next())
			})
			Expect(err).NotTo(HaveOccurred())
			want, err = w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error {
				return j.Fail(w.clock.Next(), domain.JobError{Code: "bad_sheet", Message: "sheet 2 is empty"}, domain.Outcome{
					Metrics: map[string]any{"duration_ms": 12.0, "tables_detected": 1.0, "rows_extracted": 0.0},
					Logs: []domain.LogEntry{
						{At: w.clock.Next(), Level: domain.LogInfo, Message: "opened"},
						{At: w.clock.Next(), Level: domain.LogWarn, Message: "empty sheet", Details: map[string]any{"sheet": "2", "rows": 0.0}},
					},
					OutputDocumentIDs: []string{out.ID()},
				})
			})
			Expect(err).NotTo(HaveOccurred())

			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(want.State()))
			s := got.State()
			Expect(s.Status).To(Equal(domain.JobFailed))
			Expect(s.Attempts).To(Equal(1))
			Expect(s.StartedAt).NotTo(BeNil())
			Expect(s.FinishedAt).NotTo(BeNil())
			Expect(s.FinishedAt.Location()).To(Equal(time.UTC))
			Expect(s.Error).To(Equal(&domain.JobError{Code: "bad_sheet", Message: "sheet 2 is empty"}))
			Expect(s.Logs).To(HaveLen(2))
			Expect(s.Logs[1].Details).To(Equal(map[string]any{"sheet": "2", "rows": json.Number("0")}), "numbers come back as json.Number")
			Expect(s.Logs[0].Details).To(BeNil())
		})

		It("answers ErrNotFound for unknown ids and other workspaces' jobs", func() {
			other := w.newJobFor(w.other.ID(), w.otherDoc.ID(), w.otherConf)
			Expect(w.repos.Jobs.Create(w.ctx, other)).To(Succeed())
			_, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), other.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Jobs.Update(w.ctx, w.ws.ID(), other.ID(), func(j *domain.Job) error { return nil })
			Expect(err).To(MatchError(domain.ErrNotFound))
			list, err := w.repos.Jobs.List(w.ctx, w.ws.ID(), ports.JobFilter{}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			Expect(list).To(BeEmpty())
		})

		It("refuses a duplicate id with ErrConflict", func() {
			j := w.createJob()
			Expect(w.repos.Jobs.Create(w.ctx, j)).To(MatchError(domain.ErrConflict))
		})

		It("lists newest first and filters by status, document and configuration", func() {
			doc2 := w.createDocument(w.ws.ID(), nil)
			conf2 := w.createConfiguration(w.ws.ID(), "invoice", 2)
			j1 := w.createJob()
			j2 := w.newJobFor(w.ws.ID(), doc2.ID(), w.config)
			Expect(w.repos.Jobs.Create(w.ctx, j2)).To(Succeed())
			j3 := w.newJobFor(w.ws.ID(), w.doc.ID(), conf2)
			Expect(w.repos.Jobs.Create(w.ctx, j3)).To(Succeed())
			_, err := w.repos.Jobs.Update(w.ctx, w.ws.ID(), j2.ID(), func(j *domain.Job) error { return j.Start(w.clock.Next()) })
			Expect(err).NotTo(HaveOccurred())

			list := func(f ports.JobFilter, p ports.Page) []string {
				out, err := w.repos.Jobs.List(w.ctx, w.ws.ID(), f, p)
				Expect(err).NotTo(HaveOccurred())
				only, err := w.repos.Jobs.ListIDs(w.ctx, w.ws.ID(), f, p)
				Expect(err).NotTo(HaveOccurred())
				Expect(only).To(Equal(ids(out)), "ListIDs lists what List lists, in its order")
				return ids(out)
			}
			all := ports.Page{Limit: 50}
			Expect(list(ports.JobFilter{}, all)).To(Equal([]string{j3.ID(), j2.ID(), j1.ID()}))
			Expect(list(ports.JobFilter{}, ports.Page{Limit: 1, Offset: 1})).To(Equal([]string{j2.ID()}))
			Expect(list(ports.JobFilter{Status: domain.JobPending}, all)).To(Equal([]string{j3.ID(), j1.ID()}))
			Expect(list(ports.JobFilter{Status: domain.JobRunning}, all)).To(Equal([]string{j2.ID()}))
			Expect(list(ports.JobFilter{DocumentID: w.doc.ID()}, all)).To(Equal([]string{j3.ID(), j1.ID()}))
			Expect(list(ports.JobFilter{ConfigurationID: w.config.ID()}, all)).To(Equal([]string{j2.ID(), j1.ID()}))
			Expect(list(ports.JobFilter{DocumentID: w.doc.ID(), ConfigurationID: conf2.ID(), Status: domain.JobPending}, all)).
				To(Equal([]string{j3.ID()}))
		})

		It("returns fn's error unchanged and stores nothing", func() {
			j := w.createJob()
			_, err := w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error {
				Expect(j.Start(w.clock.Next())).To(Succeed())
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status()).To(Equal(domain.JobPending))
		})

		It("refuses a transition out of a terminal state with ErrConflict", func() {
			j := w.createJob()
			_, err := w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error { return j.Cancel(w.clock.Next()) })
			Expect(err).NotTo(HaveOccurred())
			_, err = w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error { return j.Start(w.clock.Next()) })
			Expect(err).To(MatchError(domain.ErrConflict))
			var te *domain.TransitionError
			Expect(errors.As(err, &te)).To(BeTrue())
		})

		It("loses no change when 50 Updates of one job run at once", func() {
			j := w.createJob()
			const n = 50
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					_, err := w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error {
						j.AppendLog(domain.LogEntry{At: time.Now(), Message: fmt.Sprintf("entry %d", i)})
						return nil
					})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().Logs).To(HaveLen(n))
			seen := map[string]bool{}
			for _, l := range got.State().Logs {
				seen[l.Message] = true
			}
			Expect(seen).To(HaveLen(n))
		})

		It("lets exactly one of many concurrent Starts of a pending job win", func() {
			j := w.createJob()
			starts := make([]func() error, 16)
			for i := range starts {
				starts[i] = func() error {
					_, err := w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error {
						return j.Start(w.clock.Next())
					})
					return err
				}
			}
			expectOneWinner(starts)
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status()).To(Equal(domain.JobRunning))
			Expect(got.Attempts()).To(Equal(1))
		})

		Describe("Apply", func() {
			// started returns j started (a copy) and its status event.
			started := func(j *domain.Job) (*domain.Job, *domain.Event) {
				GinkgoHelper()
				next := domain.RehydrateJob(j.State())
				Expect(next.Start(w.clock.Next())).To(Succeed())
				return next, w.newEvent(w.ws.ID(), domain.EventJobRunning, domain.EntityJob, j.ID())
			}
			eventsOf := func(j *domain.Job) []*domain.Event {
				GinkgoHelper()
				got, err := w.repos.Events.List(w.ctx, w.ws.ID(), ports.EventFilter{EntityType: domain.EntityJob, EntityID: j.ID()}, ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				return got
			}

			It("creates a new job with its event, and refuses a taken id", func() {
				j := w.newJob()
				e := w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, j.ID())
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: j, Events: []*domain.Event{e}})).To(Succeed())
				got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State()).To(Equal(j.State()))
				Expect(ids(eventsOf(j))).To(Equal([]string{e.ID()}))
				again := w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, j.ID())
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: j, Events: []*domain.Event{again}})).To(MatchError(domain.ErrConflict))
				Expect(eventsOf(j)).To(HaveLen(1), "nothing of a refused change is stored")
			})

			It("stores the job, its events and tables together while the stored status and attempts still hold", func() {
				j := w.createJob()
				run, e := started(j)
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: run, From: domain.JobPending, Attempts: 0, Events: []*domain.Event{e}})).To(Succeed())
				got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State()).To(Equal(run.State()))

				done := domain.RehydrateJob(run.State())
				Expect(done.Succeed(w.clock.Next(), domain.Outcome{Metrics: map[string]any{"rows_extracted": 4.0}})).To(Succeed())
				end := w.newEvent(w.ws.ID(), domain.EventJobSucceeded, domain.EntityJob, j.ID())
				tables := []*domain.Table{w.newTable(j, 0), w.newTable(j, 1)}
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: done, From: domain.JobRunning, Attempts: 1,
					Events: []*domain.Event{end}, Tables: tables, NoWebhooks: true})).To(Succeed())
				got, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State()).To(Equal(done.State()))
				Expect(ids(eventsOf(j))).To(ConsistOf(e.ID(), end.ID()))
				stored, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				Expect(ids(stored)).To(Equal(ids(tables)))
				Expect(stored[1].State()).To(Equal(tables[1].State()))
			})

			It("stores every row of a change intact, with one event or several, one table or several", func() {
				j := w.createJob()
				run, e := started(j)
				note := w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, j.ID())
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{e, note}})).To(Succeed())
				done := domain.RehydrateJob(run.State())
				Expect(done.Succeed(w.clock.Next(), domain.Outcome{})).To(Succeed())
				end := w.newEvent(w.ws.ID(), domain.EventJobSucceeded, domain.EntityJob, j.ID())
				table := w.newTable(j, 0)
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: done, From: domain.JobRunning, Attempts: 1,
					Events: []*domain.Event{end}, Tables: []*domain.Table{table}, NoWebhooks: true})).To(Succeed())
				want := map[string]domain.EventState{}
				for _, ev := range []*domain.Event{e, note, end} {
					want[ev.ID()] = ev.State()
				}
				got := map[string]domain.EventState{}
				for _, ev := range eventsOf(j) {
					got[ev.ID()] = ev.State()
				}
				Expect(got).To(Equal(want))
				stored, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				Expect(stored).To(HaveLen(1))
				Expect(stored[0].State()).To(Equal(table.State()))
			})

			It("with Inputs, reads the job's configuration and input document with the change, and nothing when it stores nothing", func() {
				j := w.createJob()
				run, e := started(j)
				var in ports.JobInputs
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{e}, Inputs: &in})).To(Succeed())
				Expect(in.Configuration.State()).To(Equal(w.config.State()))
				Expect(in.Document.State()).To(Equal(w.doc.State()))
				got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State()).To(Equal(run.State()))

				again, e2 := started(j)
				var none ports.JobInputs
				err = w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: again, From: domain.JobPending, Events: []*domain.Event{e2}, Inputs: &none})
				Expect(err).To(MatchError(domain.ErrConflict))
				Expect(none).To(Equal(ports.JobInputs{}), "a refused change reads nothing")
				Expect(eventsOf(j)).To(HaveLen(1))
			})

			It("refuses a change carrying tasks when no queue shares the store, storing nothing", func() {
				j := w.newJob()
				e := w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, j.ID())
				task := ports.Task{Kind: ports.TaskRunJob, WorkspaceID: w.ws.ID(), JobID: j.ID()}
				err := w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: j, Events: []*domain.Event{e}, Tasks: []ports.Task{task}})
				Expect(err).To(MatchError(ContainSubstring("no queue")))
				_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).To(MatchError(domain.ErrNotFound))
				Expect(eventsOf(j)).To(BeEmpty())
			})

			It("stores nothing and fails with a conflict when the job moved on", func() {
				j := w.createJob()
				run, e := started(j)
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{e}})).To(Succeed())
				// Another delivery of the task saw the job pending too.
				late, e2 := started(j)
				err := w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: late, From: domain.JobPending, Events: []*domain.Event{e2}})
				Expect(err).To(MatchError(domain.ErrConflict))
				// An attempt that was replaced by a newer one.
				done := domain.RehydrateJob(run.State())
				Expect(done.Succeed(w.clock.Next(), domain.Outcome{})).To(Succeed())
				err = w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: done, From: domain.JobRunning, Attempts: 2,
					Events: []*domain.Event{w.newEvent(w.ws.ID(), domain.EventJobSucceeded, domain.EntityJob, j.ID())},
					Tables: []*domain.Table{w.newTable(j, 0)}})
				Expect(err).To(MatchError(domain.ErrConflict))
				got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State()).To(Equal(run.State()))
				Expect(ids(eventsOf(j))).To(Equal([]string{e.ID()}))
				tables, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				Expect(tables).To(BeEmpty())
			})

			It("with NoWebhooks, stores nothing while the workspace has a live webhook", func() {
				j := w.createJob()
				run, e := started(j)
				Expect(w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{e}})).To(Succeed())
				h, err := domain.NewWebhook(domain.NewWebhookParams{ID: newID(), WorkspaceID: w.ws.ID(), URL: "https://hooks.example.com/ade",
					Events: []string{domain.EventJobSucceeded}, Secret: "whsec_" + newID(), CreatedBy: "key-1", Now: w.clock.Next()})
				Expect(err).NotTo(HaveOccurred())
				Expect(w.repos.Webhooks.Create(w.ctx, h)).To(Succeed())
				done := domain.RehydrateJob(run.State())
				Expect(done.Succeed(w.clock.Next(), domain.Outcome{})).To(Succeed())
				change := ports.JobChange{Job: done, From: domain.JobRunning, Attempts: 1, NoWebhooks: true,
					Events: []*domain.Event{w.newEvent(w.ws.ID(), domain.EventJobSucceeded, domain.EntityJob, j.ID())}}
				Expect(w.repos.Jobs.Apply(w.ctx, change)).To(MatchError(ports.ErrWebhooksExist))
				got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Status()).To(Equal(domain.JobRunning))
				Expect(eventsOf(j)).To(HaveLen(1))

				_, err = w.repos.Webhooks.Update(w.ctx, w.ws.ID(), h.ID(), func(x *domain.Webhook) error { return x.Delete(w.clock.Next()) })
				Expect(err).NotTo(HaveOccurred())
				Expect(w.repos.Jobs.Apply(w.ctx, change)).To(Succeed(), "a deleted webhook is no webhook")
			})

			It("takes part in the caller's transaction", func() {
				j := w.createJob()
				run, e := started(j)
				boom := errors.New("boom")
				err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
					Expect(w.repos.Jobs.Apply(ctx, ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{e}})).To(Succeed())
					return boom
				})
				Expect(err).To(MatchError(boom))
				got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Status()).To(Equal(domain.JobPending))
				Expect(eventsOf(j)).To(BeEmpty())
			})

			It("lets exactly one of many concurrent starts of a pending job win", func() {
				j := w.createJob()
				starts := make([]func() error, 16)
				for i := range starts {
					run, e := started(j)
					starts[i] = func() error {
						return w.repos.Jobs.Apply(w.ctx, ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{e}})
					}
				}
				expectOneWinner(starts)
				Expect(eventsOf(j)).To(HaveLen(1))
			})

			It("gives each of many concurrent changes of different jobs its own outcome", func() {
				// New jobs, competing starts of one pending job and new jobs
				// reusing a taken id, all at once: a store that sends
				// concurrent changes together must still decide each alone.
				pending, taken := w.createJob(), w.createJob()
				fresh := make([]*domain.Job, 8)
				var changes []ports.JobChange
				for i := range fresh {
					fresh[i] = w.newJob()
					changes = append(changes, ports.JobChange{Job: fresh[i],
						Events: []*domain.Event{w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, fresh[i].ID())}})
				}
				for range 8 {
					run, e := started(pending)
					changes = append(changes, ports.JobChange{Job: run, From: domain.JobPending, Events: []*domain.Event{e}})
				}
				for range 4 {
					again := domain.RehydrateJob(taken.State())
					changes = append(changes, ports.JobChange{Job: again,
						Events: []*domain.Event{w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, taken.ID())}})
				}
				errs := make([]error, len(changes))
				var wg sync.WaitGroup
				for i, c := range changes {
					wg.Go(func() { errs[i] = w.repos.Jobs.Apply(w.ctx, c) })
				}
				wg.Wait()

				for i := range fresh {
					Expect(errs[i]).NotTo(HaveOccurred())
					got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), fresh[i].ID())
					Expect(err).NotTo(HaveOccurred())
					Expect(got.State()).To(Equal(fresh[i].State()))
					Expect(eventsOf(fresh[i])).To(HaveLen(1))
				}
				wins := 0
				for _, err := range errs[8:16] {
					if err == nil {
						wins++
						continue
					}
					Expect(err).To(MatchError(domain.ErrConflict))
				}
				Expect(wins).To(Equal(1), "one start of the pending job")
				Expect(eventsOf(pending)).To(HaveLen(1))
				for _, err := range errs[16:] {
					Expect(err).To(MatchError(domain.ErrConflict), "a taken id")
				}
				Expect(eventsOf(taken)).To(BeEmpty(), "nothing of a refused change is stored")
			})
		})

		It("reads a job with its configuration and input document, deleted or not", func() {
			j := w.createJob()
			run, err := w.repos.Jobs.GetRun(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(run.Job.State()).To(Equal(j.State()))
			Expect(run.Configuration.State()).To(Equal(w.config.State()))
			Expect(run.Document.State()).To(Equal(w.doc.State()))
			_, err = w.repos.Jobs.GetRun(w.ctx, w.other.ID(), j.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))

			deleted, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), w.doc.ID(), func(d *domain.Document) error {
				return d.Delete("key-1", "gone", w.clock.Next())
			})
			Expect(err).NotTo(HaveOccurred())
			run, err = w.repos.Jobs.GetRun(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(run.Document.State()).To(Equal(deleted.State()), "a deleted document is returned, marked deleted")
		})

		It("reads a submission's document and configuration, by id or as the active one of a type", func() {
			in, err := w.repos.Jobs.Inputs(w.ctx, w.ws.ID(), w.doc.ID(), w.config.ID(), "")
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Document.State()).To(Equal(w.doc.State()))
			Expect(in.Configuration.State()).To(Equal(w.config.State()))

			active := w.newConfiguration(w.ws.ID(), "receipt", 1)
			active.Activate(w.clock.Next())
			Expect(w.repos.Configurations.Create(w.ctx, active)).To(Succeed())
			in, err = w.repos.Jobs.Inputs(w.ctx, w.ws.ID(), w.doc.ID(), "", "receipt")
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Configuration.ID()).To(Equal(active.ID()))
			in, err = w.repos.Jobs.Inputs(w.ctx, w.ws.ID(), w.doc.ID(), "", "invoice")
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Configuration).To(BeNil(), "no active configuration of the type")

			in, err = w.repos.Jobs.Inputs(w.ctx, w.ws.ID(), w.otherDoc.ID(), w.otherConf.ID(), "")
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Document).To(BeNil(), "never another workspace's")
			Expect(in.Configuration).To(BeNil(), "never another workspace's")
			in, err = w.repos.Jobs.Inputs(w.ctx, w.ws.ID(), "", "", "")
			Expect(err).NotTo(HaveOccurred())
			Expect(in.Document).To(BeNil())
			Expect(in.Configuration).To(BeNil())
		})
	})
}
