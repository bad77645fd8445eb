package app_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/test/storetest"
)

// A row the store cannot read back (written by hand, by an older version,
// or by a bug) must not stop the maintenance sweeps: they log it, step over
// it, and go on with the rows after it and with every other workspace.
var _ = Describe("Sweeps over a row they cannot read", func() {
	for _, b := range storetest.SQLBackends() {
		Context("on "+b.Name, func() {
			var (
				e     *env
				other string
			)
			BeforeEach(func() {
				// No workers: the started jobs below stay as planted.
				e = newIdleEnvOn(b, app.Config{JobTimeout: time.Minute, DocumentRetention: time.Hour})
				w, err := e.app.Workspaces.Create(e.ctx, "other", "Other")
				Expect(err).NotTo(HaveOccurred())
				other = w.ID()
			})

			upload := func(ws string) *domain.Document {
				GinkgoHelper()
				d, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: ws, Filename: "r.csv", Body: strings.NewReader(rosterCSV)})
				Expect(err).NotTo(HaveOccurred())
				return d
			}
			// plant writes a column value the repositories would never write.
			plant := func(table, column, value, id string) {
				GinkgoHelper()
				_, err := e.store.SQL.ExecContext(e.ctx, "UPDATE "+table+" SET "+column+" = "+value+" WHERE id = '"+id+"'")
				Expect(err).NotTo(HaveOccurred())
			}
			deleted := func(ws, id string) bool {
				GinkgoHelper()
				_, err := e.app.Documents.Get(e.ctx, ws, id)
				if err == nil {
					return false
				}
				Expect(err).To(MatchError(domain.ErrNotFound))
				return true
			}

			It("purges every other expired document, in every workspace, and logs the bad one", func() {
				first, bad, last := upload(e.ws), upload(e.ws), upload(e.ws)
				elsewhere := upload(other)
				// Metadata that is not an object: the row cannot be rebuilt.
				plant("documents", "metadata", "'[1]'", bad.ID())
				var badTime *domain.Document
				if e.store.Dialect == "sqlite" {
					// A year SQLite's time text cannot hold (what an
					// unbounded expires_at once stored); as text it sorts
					// before today, so the sweep finds it expired.
					badTime = upload(e.ws)
					plant("documents", "expires_at", "'10000-01-01T23:58:59.000000Z'", badTime.ID())
				}
				e.clock.jump(2 * time.Hour)

				n, err := e.app.Maintenance.PurgeExpired(e.ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(3))
				Expect(deleted(e.ws, first.ID())).To(BeTrue())
				Expect(deleted(e.ws, last.ID())).To(BeTrue())
				Expect(deleted(other, elsewhere.ID())).To(BeTrue())
				Expect(e.logs).To(gbytes.Say("purge expired documents: row skipped.*" + bad.ID()))
				if badTime != nil {
					Expect(string(e.logs.Contents())).To(ContainSubstring(badTime.ID()))
				}

				// The next sweep steps over the same row again and still
				// finishes.
				n, err = e.app.Maintenance.PurgeExpired(e.ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(0))
			})

			It("ends every other stale job, in every workspace, and logs the bad one", func() {
				start := func(ws string) *domain.Job {
					GinkgoHelper()
					doc := upload(ws)
					cfg, err := e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{WorkspaceID: ws, DocumentType: "roster",
						Title: "Roster", Payload: map[string]any{"extractor": "stub"}})
					Expect(err).NotTo(HaveOccurred())
					j, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
					Expect(err).NotTo(HaveOccurred())
					_, err = e.repos.Jobs.Update(e.ctx, ws, j.ID(), func(j *domain.Job) error { return j.Start(e.clock.Now()) })
					Expect(err).NotTo(HaveOccurred())
					return j
				}
				first, bad, last, elsewhere := start(e.ws), start(e.ws), start(e.ws), start(other)
				// Logs that are not a list: the row cannot be rebuilt.
				plant("jobs", "logs", "'{}'", bad.ID())
				// Past the job timeout, the terminal write's retries and
				// the grace minute.
				e.clock.jump(5 * time.Minute)

				n, err := e.app.Maintenance.FailStale(e.ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(3))
				for _, j := range []struct{ ws, id string }{{e.ws, first.ID()}, {e.ws, last.ID()}, {other, elsewhere.ID()}} {
					got, err := e.app.Jobs.Get(e.ctx, j.ws, j.id)
					Expect(err).NotTo(HaveOccurred())
					Expect(got.Status()).To(Equal(domain.JobFailed))
					Expect(got.Error().Code).To(Equal(app.CodeInterrupted))
				}
				Expect(e.logs).To(gbytes.Say("fail stale jobs: row skipped.*" + bad.ID()))
			})
		})
	}
})
