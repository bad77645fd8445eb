package repocontract

import (
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
			const n = 16
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer GinkgoRecover()
					defer wg.Done()
					_, err := w.repos.Jobs.Update(w.ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error {
						return j.Start(w.clock.Next())
					})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			wins := 0
			for err := range errs {
				if err == nil {
					wins++
					continue
				}
				Expect(err).To(MatchError(domain.ErrConflict))
			}
			Expect(wins).To(Equal(1))
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status()).To(Equal(domain.JobRunning))
			Expect(got.Attempts()).To(Equal(1))
		})
	})
}
