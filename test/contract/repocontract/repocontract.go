// Package repocontract is the shared contract suite of the repository
// ports: every storage backend (memory, SQLite, PostgreSQL) runs the same
// Ginkgo specs through DescribeRepositories, so they all honour the MUST
// clauses of package ports in the same way.
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

// errBoom is the error specs return from closures to force a rollback.
var errBoom = errors.New("boom")

// DescribeRepositories registers the contract specs of every repository
// port under a container named name. factory is called once per spec, from
// a BeforeEach, and must return repositories over an empty, migrated
// store; it may register cleanups with DeferCleanup.
func DescribeRepositories(name string, factory func() ports.Repositories) bool {
	return Describe(name, func() {
		var w *world

		BeforeEach(func() {
			w = newWorld(factory())
		})

		describeWorkspaces(func() *world { return w })
		describeDocuments(func() *world { return w })
		describeConfigurations(func() *world { return w })
		describeJobs(func() *world { return w })
		describeTables(func() *world { return w })
		describeEvents(func() *world { return w })
		describeAPIKeys(func() *world { return w })
		describeBlobIntents(func() *world { return w })
		describeTransactions(func() *world { return w })
		describeIdempotency(func() *world { return w })
		describeWebhooks(func() *world { return w })
		describeFeed(func() *world { return w })
	})
}

func describeWorkspaces(get func() *world) {
	Describe("WorkspaceRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("finds a workspace by id and by slug with every field intact", func() {
			got, err := w.repos.Workspaces.Get(w.ctx, w.ws.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(w.ws.State()))
			Expect(got.State().CreatedAt.Location()).To(Equal(time.UTC))

			got, err = w.repos.Workspaces.Get(w.ctx, "globex")
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(w.other.State()))
		})

		It("answers ErrNotFound for an unknown id or slug", func() {
			_, err := w.repos.Workspaces.Get(w.ctx, newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Workspaces.Get(w.ctx, "nope")
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("refuses a duplicate id or slug with ErrConflict", func() {
			dup := domain.RehydrateWorkspace(domain.WorkspaceState{
				ID: w.ws.ID(), Slug: "fresh", Name: "Fresh", CreatedAt: w.clock.Next(), UpdatedAt: w.clock.Next(),
			})
			Expect(w.repos.Workspaces.Create(w.ctx, dup)).To(MatchError(domain.ErrConflict))
			Expect(w.repos.Workspaces.Create(w.ctx, w.newWorkspace("acme"))).To(MatchError(domain.ErrConflict))
		})

		It("lists newest first with limit and offset", func() {
			third := w.createWorkspace("initech")
			all, err := w.repos.Workspaces.List(w.ctx, ports.Page{Limit: 10})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(all)).To(Equal([]string{third.ID(), w.other.ID(), w.ws.ID()}))

			page, err := w.repos.Workspaces.List(w.ctx, ports.Page{Limit: 1, Offset: 1})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(page)).To(Equal([]string{w.other.ID()}))

			page, err = w.repos.Workspaces.List(w.ctx, ports.Page{Limit: 10, Offset: 3})
			Expect(err).NotTo(HaveOccurred())
			Expect(page).To(BeEmpty())
		})
	})
}

func describeDocuments(get func() *world) {
	Describe("DocumentRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("round-trips every field, nested metadata included", func() {
			meta := map[string]any{"customer": "ACME", "tags": []any{"a", "b"}, "n": 3.5,
				"nested": map[string]any{"deep": map[string]any{"ok": true}, "empty": map[string]any{}}, "null": nil}
			d := w.newDocument(w.ws.ID(), meta)
			Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())

			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), d.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(d.State()))
			Expect(got.State().DeletedAt).To(BeNil())
			Expect(got.State().ExpiresAt.Location()).To(Equal(time.UTC))
		})

		It("returns every number with the digits the domain wrote, the database's own notation included", func() {
			meta := map[string]any{"big": json.Number("12345678901234567890123"), "max_safe_plus_one": json.Number("9007199254740993"),
				"scale": json.Number("1.50"), "exp": json.Number("1.5e3"), "tiny": json.Number("1.0e-7"), "neg_zero": json.Number("-0.0"),
				"float": 0.1, "list": []any{json.Number("1e2"), json.Number("-2.5e-3")}}
			d := w.createDocument(w.ws.ID(), meta)
			Expect(d.State().Metadata).To(HaveKeyWithValue("exp", json.Number("1500")))
			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), d.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().Metadata).To(Equal(d.State().Metadata))
		})

		It("keeps empty metadata an empty object", func() {
			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), w.doc.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().Metadata).NotTo(BeNil())
			Expect(got.State().Metadata).To(BeEmpty())
		})

		It("round-trips a produced document and a deletion", func() {
			job := w.createJob()
			d := w.newDocument(w.ws.ID(), nil)
			s := d.State()
			s.ProducedByJobID = job.ID()
			d = domain.RehydrateDocument(s)
			Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())

			deletedAt := w.clock.Next()
			updated, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), d.ID(), func(d *domain.Document) error {
				return d.Delete("key-1", "no longer needed", deletedAt)
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(*updated.State().DeletedAt).To(Equal(deletedAt))

			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), d.ID())
			Expect(err).NotTo(HaveOccurred(), "Get returns deleted documents too")
			Expect(got.State()).To(Equal(updated.State()))
			Expect(got.State().ProducedByJobID).To(Equal(job.ID()))
			Expect(got.State().DeletedBy).To(Equal("key-1"))
			Expect(got.State().DeleteReason).To(Equal("no longer needed"))
			Expect(got.State().DeletedAt.Location()).To(Equal(time.UTC))
		})

		It("answers ErrNotFound for unknown ids and other workspaces' documents", func() {
			_, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Documents.Get(w.ctx, w.ws.ID(), w.otherDoc.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))

			called := false
			_, err = w.repos.Documents.Update(w.ctx, w.ws.ID(), w.otherDoc.ID(), func(*domain.Document) error {
				called = true
				return nil
			})
			Expect(err).To(MatchError(domain.ErrNotFound))
			Expect(called).To(BeFalse())
		})

		It("refuses a duplicate id with ErrConflict", func() {
			Expect(w.repos.Documents.Create(w.ctx, w.doc)).To(MatchError(domain.ErrConflict))
		})

		It("lists newest first with limit and offset, never another workspace's documents", func() {
			d2 := w.createDocument(w.ws.ID(), nil)
			d3 := w.createDocument(w.ws.ID(), nil)
			all, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50}, all)
			Expect(ids(all)).To(Equal([]string{d3.ID(), d2.ID(), w.doc.ID()}))

			page, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 2, Offset: 1})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 2, Offset: 1}, page)
			Expect(ids(page)).To(Equal([]string{d2.ID(), w.doc.ID()}))
		})

		It("hides deleted documents unless asked, and filters by producing job", func() {
			job := w.createJob()
			s := w.newDocument(w.ws.ID(), nil).State()
			s.ProducedByJobID = job.ID()
			produced := domain.RehydrateDocument(s)
			Expect(w.repos.Documents.Create(w.ctx, produced)).To(Succeed())
			_, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), w.doc.ID(), func(d *domain.Document) error {
				return d.Delete("key-1", "", w.clock.Next())
			})
			Expect(err).NotTo(HaveOccurred())

			live, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50}, live)
			Expect(ids(live)).To(Equal([]string{produced.ID()}))

			all, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{IncludeDeleted: true}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{IncludeDeleted: true}, ports.Page{Limit: 50}, all)
			Expect(ids(all)).To(Equal([]string{produced.ID(), w.doc.ID()}))

			byJob, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{ProducedByJobID: job.ID(), IncludeDeleted: true}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{ProducedByJobID: job.ID(), IncludeDeleted: true}, ports.Page{Limit: 50}, byJob)
			Expect(ids(byJob)).To(Equal([]string{produced.ID()}))
		})

		It("filters by name, ignoring the case of ASCII letters only, with no wildcards", func() {
			mk := func(name string) *domain.Document {
				s := w.newDocument(w.ws.ID(), nil).State()
				s.OriginalFilename = name
				d := domain.RehydrateDocument(s)
				Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())
				return d
			}
			roster := mk("March ROSTER.xlsx")
			lower := mk("roster-april.csv")
			accented := mk("Élève_100%.csv")
			plain := mk("Eleve_1000.csv")
			other := w.createWorkspace("names-elsewhere")
			s := w.newDocument(other.ID(), nil).State()
			s.OriginalFilename = "roster.csv"
			Expect(w.repos.Documents.Create(w.ctx, domain.RehydrateDocument(s))).To(Succeed())

			find := func(text string) []string {
				got, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{NameContains: text}, ports.Page{Limit: 50})
				Expect(err).NotTo(HaveOccurred())
				return ids(got)
			}
			Expect(find("Roster")).To(Equal([]string{lower.ID(), roster.ID()}))
			Expect(find("ROSTER.XLSX")).To(Equal([]string{roster.ID()}))
			Expect(find("%")).To(Equal([]string{accented.ID()}), "a percent sign is a character, not a wildcard")
			Expect(find("_1")).To(Equal([]string{plain.ID(), accented.ID()}))
			Expect(find("e_1")).To(Equal([]string{plain.ID(), accented.ID()}))
			Expect(find("ve_1_")).To(BeEmpty(), "_ is a character, not a wildcard")
			Expect(find("élève")).To(BeEmpty(), "letters outside ASCII match exactly")
			Expect(find("Élève")).To(Equal([]string{accented.ID()}))
			Expect(find(`\`)).To(BeEmpty())
			Expect(find("nothing like it")).To(BeEmpty())
		})

		It("filters by origin: uploads or the outputs of jobs", func() {
			job := w.createJob()
			s := w.newDocument(w.ws.ID(), nil).State()
			s.ProducedByJobID = job.ID()
			produced := domain.RehydrateDocument(s)
			Expect(w.repos.Documents.Create(w.ctx, produced)).To(Succeed())

			uploads, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{Origin: ports.OriginUpload}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(uploads)).To(Equal([]string{w.doc.ID()}))
			outputs, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{Origin: ports.OriginOutput}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(outputs)).To(Equal([]string{produced.ID()}))
		})

		It("filters by expiry strictly before a time, hiding deleted ones", func() {
			mk := func(expires time.Time) *domain.Document {
				s := w.newDocument(w.ws.ID(), nil).State()
				s.ExpiresAt = expires
				d := domain.RehydrateDocument(s)
				Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())
				return d
			}
			cut := w.doc.ExpiresAt().Add(-time.Hour)
			early := mk(cut.Add(-time.Minute))
			mk(cut) // expiring exactly at the cut is not before it
			gone := mk(cut.Add(-2 * time.Minute))
			_, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), gone.ID(), func(d *domain.Document) error {
				return d.Delete("key-1", "", w.clock.Next())
			})
			Expect(err).NotTo(HaveOccurred())
			other := w.createWorkspace("expiry-elsewhere")
			s := w.newDocument(other.ID(), nil).State()
			s.ExpiresAt = cut.Add(-time.Hour)
			Expect(w.repos.Documents.Create(w.ctx, domain.RehydrateDocument(s))).To(Succeed())

			expired, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{ExpiresBefore: cut}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{ExpiresBefore: cut}, ports.Page{Limit: 50}, expired)
			Expect(ids(expired)).To(Equal([]string{early.ID()}))
		})

		It("returns fn's error and stores nothing when fn fails", func() {
			_, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), w.doc.ID(), func(d *domain.Document) error {
				Expect(d.Delete("key-1", "", w.clock.Next())).To(Succeed())
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), w.doc.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.IsDeleted()).To(BeFalse())
		})
	})
}

func describeConfigurations(get func() *world) {
	Describe("ConfigurationRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		activate := func(workspaceID, id string) (*domain.Configuration, error) {
			return w.repos.Configurations.Update(w.ctx, workspaceID, id, func(c *domain.Configuration) error {
				c.Activate(w.clock.Next())
				return nil
			})
		}

		It("round-trips every field", func() {
			got, err := w.repos.Configurations.Get(w.ctx, w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(w.config.State()))
			Expect(got.State().ActivatedAt).To(BeNil())

			active, err := activate(w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())
			got, err = w.repos.Configurations.Get(w.ctx, w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(active.State()))
			Expect(got.IsActive()).To(BeTrue())
			Expect(got.State().ActivatedAt).NotTo(BeNil())
			Expect(got.State().ActivatedAt.Location()).To(Equal(time.UTC))
		})

		It("answers ErrNotFound for unknown ids and other workspaces' configurations", func() {
			_, err := w.repos.Configurations.Get(w.ctx, w.ws.ID(), newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Configurations.Get(w.ctx, w.ws.ID(), w.otherConf.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = activate(w.ws.ID(), w.otherConf.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("tracks the highest version per document type and workspace", func() {
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.ws.ID(), "receipt")).To(Equal(0))
			w.createConfiguration(w.ws.ID(), "invoice", 2)
			w.createConfiguration(w.ws.ID(), "invoice", 3)
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.ws.ID(), "invoice")).To(Equal(3))
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.other.ID(), "invoice")).To(Equal(1))
		})

		It("serialises the transactions that lock one document type, so read-then-insert versions never collide", func() {
			var wg sync.WaitGroup
			errs := make(chan error, 12)
			for range 12 {
				wg.Go(func() {
					defer GinkgoRecover()
					errs <- w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
						if err := w.repos.Configurations.LockDocumentType(ctx, w.ws.ID(), "receipt"); err != nil {
							return err
						}
						v, err := w.repos.Configurations.MaxVersion(ctx, w.ws.ID(), "receipt")
						if err != nil {
							return err
						}
						return w.repos.Configurations.Create(ctx, w.newConfiguration(w.ws.ID(), "receipt", v+1))
					})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.ws.ID(), "receipt")).To(Equal(12))
		})

		It("refuses to lock a document type outside a transaction", func() {
			Expect(w.repos.Configurations.LockDocumentType(w.ctx, w.ws.ID(), "receipt")).NotTo(Succeed())
		})

		It("refuses a duplicate id or version with ErrConflict", func() {
			Expect(w.repos.Configurations.Create(w.ctx, w.config)).To(MatchError(domain.ErrConflict))
			dup := w.newConfiguration(w.ws.ID(), "invoice", 1)
			Expect(w.repos.Configurations.Create(w.ctx, dup)).To(MatchError(domain.ErrConflict))
			// The same version in another workspace or of another type is fine.
			Expect(w.repos.Configurations.Create(w.ctx, w.newConfiguration(w.ws.ID(), "receipt", 1))).To(Succeed())
		})

		It("keeps at most one active configuration per document type", func() {
			_, err := activate(w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())

			second := w.newConfiguration(w.ws.ID(), "invoice", 2)
			second.Activate(w.clock.Next())
			Expect(w.repos.Configurations.Create(w.ctx, second)).To(MatchError(domain.ErrConflict))

			third := w.createConfiguration(w.ws.ID(), "invoice", 3)
			_, err = activate(w.ws.ID(), third.ID())
			Expect(err).To(MatchError(domain.ErrConflict))

			active, err := w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).NotTo(HaveOccurred())
			Expect(active.ID()).To(Equal(w.config.ID()))

			// Switching in one transaction works.
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if _, err := w.repos.Configurations.Update(ctx, w.ws.ID(), w.config.ID(), func(c *domain.Configuration) error {
					c.Deactivate(w.clock.Next())
					return nil
				}); err != nil {
					return err
				}
				_, err := w.repos.Configurations.Update(ctx, w.ws.ID(), third.ID(), func(c *domain.Configuration) error {
					c.Activate(w.clock.Next())
					return nil
				})
				return err
			})).To(Succeed())
			active, err = w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).NotTo(HaveOccurred())
			Expect(active.ID()).To(Equal(third.ID()))
		})

		It("answers ErrNotFound from GetActive when no version is active", func() {
			_, err := w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = activate(w.other.ID(), w.otherConf.ID())
			Expect(err).NotTo(HaveOccurred())
			_, err = w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).To(MatchError(domain.ErrNotFound), "another workspace's active version is invisible")
		})

		It("lists newest first and filters by document type and active flag", func() {
			c2 := w.createConfiguration(w.ws.ID(), "invoice", 2)
			r1 := w.createConfiguration(w.ws.ID(), "receipt", 1)
			_, err := activate(w.ws.ID(), c2.ID())
			Expect(err).NotTo(HaveOccurred())

			list := func(f ports.ConfigurationFilter, p ports.Page) []string {
				out, err := w.repos.Configurations.List(w.ctx, w.ws.ID(), f, p)
				Expect(err).NotTo(HaveOccurred())
				return ids(out)
			}
			all := ports.Page{Limit: 50}
			Expect(list(ports.ConfigurationFilter{}, all)).To(Equal([]string{r1.ID(), c2.ID(), w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{}, ports.Page{Limit: 1, Offset: 2})).To(Equal([]string{w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{DocumentType: "invoice"}, all)).To(Equal([]string{c2.ID(), w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{IsActive: ptr(true)}, all)).To(Equal([]string{c2.ID()}))
			Expect(list(ports.ConfigurationFilter{IsActive: ptr(false)}, all)).To(Equal([]string{r1.ID(), w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{DocumentType: "receipt", IsActive: ptr(true)}, all)).To(BeEmpty())
		})
	})
}

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

func describeTables(get func() *world) {
	Describe("TableRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("stores tables and lists a job's tables by sequence index", func() {
			j := w.createJob()
			t2, t0, t1 := w.newTable(j, 2), w.newTable(j, 0), w.newTable(j, 1)
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{t2, t0, t1})).To(Succeed())

			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(got)).To(Equal([]string{t0.ID(), t1.ID(), t2.ID()}))
			Expect(got[0].State()).To(Equal(t0.State()))
			Expect(got[0].State().CreatedAt.Location()).To(Equal(time.UTC))
		})

		It("pages a job's tables in sequence order", func() {
			j := w.createJob()
			var all []*domain.Table
			for i := range 5 {
				all = append(all, w.newTable(j, i))
			}
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{all[3], all[0], all[4], all[2], all[1]})).To(Succeed())
			pages := []struct {
				p    ports.Page
				want []*domain.Table
			}{
				{ports.Page{Limit: 2}, all[:2]},
				{ports.Page{Limit: 2, Offset: 2}, all[2:4]},
				{ports.Page{Limit: 2, Offset: 4}, all[4:]},
				{ports.Page{Limit: 2, Offset: 5}, nil},
				{ports.Page{Offset: 3}, all[3:]},
			}
			for _, pg := range pages {
				got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), pg.p)
				Expect(err).NotTo(HaveOccurred())
				Expect(ids(got)).To(Equal(ids(pg.want)), "page %+v", pg.p)
			}
		})

		It("stores extracted text with NUL and numbers with every digit", func() {
			j := w.createJob()
			t, err := domain.NewTable(domain.TableState{ID: newID(), WorkspaceID: w.ws.ID(), JobID: j.ID(), DocumentID: w.doc.ID(),
				Title: "Sheet\x00 1", Sheet: "S\x00", Columns: []string{"na\x00me"}, RowCount: 1,
				SampleRows: []map[string]any{{"na\x00me": "A\x00B", "n": json.Number("123456789012345678901")}},
				Metadata:   map[string]any{"cell": "\x00"}, CreatedAt: w.clock.Next()})
			Expect(err).NotTo(HaveOccurred())
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{t})).To(Succeed())
			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].State()).To(Equal(t.State()))
			Expect(got[0].State().SampleRows[0]).To(HaveKeyWithValue("na\uFFFDme", "A\uFFFDB"))
		})

		It("keeps empty columns and sample rows empty, not nil", func() {
			j := w.createJob()
			t, err := domain.NewTable(domain.TableState{ID: newID(), WorkspaceID: w.ws.ID(), JobID: j.ID(),
				DocumentID: w.doc.ID(), CreatedAt: w.clock.Next()})
			Expect(err).NotTo(HaveOccurred())
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{t})).To(Succeed())
			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].State()).To(Equal(t.State()))
			Expect(got[0].State().Columns).To(Equal([]string{}))
			Expect(got[0].State().SampleRows).To(Equal([]map[string]any{}))
		})

		It("stores all tables or none: a duplicate id fails with ErrConflict", func() {
			j := w.createJob()
			first := w.newTable(j, 0)
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{first})).To(Succeed())
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{w.newTable(j, 1), first})).To(MatchError(domain.ErrConflict))
			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(got)).To(Equal([]string{first.ID()}))
		})

		It("never lists another workspace's tables", func() {
			j := w.createJob()
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{w.newTable(j, 0)})).To(Succeed())
			got, err := w.repos.Tables.ListByJob(w.ctx, w.other.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(BeEmpty())
		})
	})
}

func describeEvents(get func() *world) {
	Describe("EventSink and EventRepository", func() {
		var (
			w                     *world
			uploaded, created, ok *domain.Event
			foreign               *domain.Event
		)
		BeforeEach(func() {
			w = get()
			uploaded = w.newEvent(w.ws.ID(), domain.EventDocumentUploaded, domain.EntityDocument, w.doc.ID())
			created = w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, "job-1")
			ok = w.newEvent(w.ws.ID(), domain.EventJobSucceeded, domain.EntityJob, "job-1")
			foreign = w.newEvent(w.other.ID(), domain.EventJobCreated, domain.EntityJob, "job-1")
			Expect(w.repos.EventSink.Append(w.ctx, uploaded, created)).To(Succeed())
			Expect(w.repos.EventSink.Append(w.ctx, ok)).To(Succeed())
			Expect(w.repos.EventSink.Append(w.ctx, foreign)).To(Succeed())
		})

		list := func(f ports.EventFilter, p ports.Page) []*domain.Event {
			out, err := w.repos.Events.List(w.ctx, w.ws.ID(), f, p)
			Expect(err).NotTo(HaveOccurred())
			return out
		}
		all := ports.Page{Limit: 50}

		It("round-trips every field", func() {
			got := list(ports.EventFilter{EventType: domain.EventDocumentUploaded}, all)
			Expect(got).To(HaveLen(1))
			Expect(got[0].State()).To(Equal(uploaded.State()))
			Expect(got[0].State().OccurredAt.Location()).To(Equal(time.UTC))
		})

		It("lists newest first by default and oldest first when ascending", func() {
			Expect(ids(list(ports.EventFilter{}, all))).To(Equal([]string{ok.ID(), created.ID(), uploaded.ID()}))
			Expect(ids(list(ports.EventFilter{Ascending: true}, all))).To(Equal([]string{uploaded.ID(), created.ID(), ok.ID()}))
			Expect(ids(list(ports.EventFilter{}, ports.Page{Limit: 1, Offset: 1}))).To(Equal([]string{created.ID()}))
			Expect(ids(list(ports.EventFilter{Ascending: true}, ports.Page{Limit: 2}))).To(Equal([]string{uploaded.ID(), created.ID()}))
		})

		It("orders events of the same instant by id", func() {
			at := w.clock.Next()
			mk := func() *domain.Event {
				s := w.newEvent(w.ws.ID(), domain.EventJobRunning, domain.EntityJob, "job-2").State()
				s.OccurredAt = at
				e, err := domain.NewEvent(s)
				Expect(err).NotTo(HaveOccurred())
				return e
			}
			a, b := mk(), mk()
			Expect(w.repos.EventSink.Append(w.ctx, b, a)).To(Succeed())
			f := ports.EventFilter{EntityID: "job-2"}
			Expect(ids(list(f, all))).To(Equal([]string{b.ID(), a.ID()}))
			f.Ascending = true
			Expect(ids(list(f, all))).To(Equal([]string{a.ID(), b.ID()}))
		})

		It("finds one event by id", func() {
			Expect(ids(list(ports.EventFilter{ID: created.ID()}, all))).To(Equal([]string{created.ID()}))
			Expect(list(ports.EventFilter{ID: foreign.ID()}, all)).To(BeEmpty(), "another workspace's event")
		})

		It("filters by entity type, entity id and event type", func() {
			Expect(ids(list(ports.EventFilter{EntityType: domain.EntityJob}, all))).To(Equal([]string{ok.ID(), created.ID()}))
			Expect(ids(list(ports.EventFilter{EntityType: domain.EntityDocument, EntityID: w.doc.ID()}, all))).To(Equal([]string{uploaded.ID()}))
			Expect(ids(list(ports.EventFilter{EntityID: "job-1", EventType: domain.EventJobSucceeded}, all))).To(Equal([]string{ok.ID()}))
			Expect(list(ports.EventFilter{EventType: domain.EventDocumentDeleted}, all)).To(BeEmpty())
		})

		It("resumes after an id", func() {
			Expect(ids(list(ports.EventFilter{AfterID: uploaded.ID(), Ascending: true}, all))).To(Equal([]string{created.ID(), ok.ID()}))
			Expect(ids(list(ports.EventFilter{AfterID: created.ID(), EntityID: "job-1", Ascending: true}, all))).To(Equal([]string{ok.ID()}))
			Expect(list(ports.EventFilter{AfterID: ok.ID()}, all)).To(BeEmpty())
		})

		It("never lists another workspace's events", func() {
			Expect(ids(list(ports.EventFilter{}, all))).NotTo(ContainElement(foreign.ID()))
			other, err := w.repos.Events.List(w.ctx, w.other.ID(), ports.EventFilter{}, all)
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(other)).To(Equal([]string{foreign.ID()}))
		})

		It("refuses a duplicate id with ErrConflict", func() {
			Expect(w.repos.EventSink.Append(w.ctx, ok)).To(MatchError(domain.ErrConflict))
		})
	})
}

func describeTransactions(get func() *world) {
	Describe("Transactor", func() {
		var w *world
		BeforeEach(func() { w = get() })

		// createWithEvent creates a job and its event in ctx's transaction.
		createWithEvent := func(ctx context.Context, j *domain.Job) error {
			if err := w.repos.Jobs.Create(ctx, j); err != nil {
				return err
			}
			return w.repos.EventSink.Append(ctx, w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, j.ID()))
		}
		jobEvents := func(jobID string) []*domain.Event {
			out, err := w.repos.Events.List(w.ctx, w.ws.ID(), ports.EventFilter{EntityID: jobID}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			return out
		}

		It("commits the change and its event together", func() {
			j := w.newJob()
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error { return createWithEvent(ctx, j) })).To(Succeed())
			_, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(jobEvents(j.ID())).To(HaveLen(1))
		})

		It("sees its own writes inside the transaction", func() {
			j := w.newJob()
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, j); err != nil {
					return err
				}
				got, err := w.repos.Jobs.Get(ctx, w.ws.ID(), j.ID())
				if err != nil {
					return err
				}
				Expect(got.ID()).To(Equal(j.ID()))
				_, err = w.repos.Jobs.Update(ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error { return j.Start(w.clock.Next()) })
				return err
			})).To(Succeed())
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status()).To(Equal(domain.JobRunning))
		})

		It("leaves neither the row nor its event when fn fails", func() {
			j := w.newJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, j); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			Expect(jobEvents(j.ID())).To(BeEmpty())
		})

		It("rolls back an Update made in a failed transaction", func() {
			j := w.createJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if _, err := w.repos.Jobs.Update(ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error { return j.Start(w.clock.Next()) }); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status()).To(Equal(domain.JobPending))
		})

		It("rolls back and re-panics when fn panics", func() {
			j := w.newJob()
			Expect(func() {
				_ = w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
					Expect(createWithEvent(ctx, j)).To(Succeed())
					panic("kaboom")
				})
			}).To(PanicWith("kaboom"))
			_, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			Expect(jobEvents(j.ID())).To(BeEmpty())
			// The store still works after the panic.
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error { return createWithEvent(ctx, j) })).To(Succeed())
		})

		It("joins the outer transaction from a nested call", func() {
			inner, outer := w.newJob(), w.newJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, outer); err != nil {
					return err
				}
				if err := w.repos.Tx.WithinTx(ctx, func(ctx context.Context) error { return createWithEvent(ctx, inner) }); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			for _, j := range []*domain.Job{inner, outer} {
				_, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).To(MatchError(domain.ErrNotFound))
				Expect(jobEvents(j.ID())).To(BeEmpty())
			}

			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				return w.repos.Tx.WithinTx(ctx, func(ctx context.Context) error { return createWithEvent(ctx, inner) })
			})).To(Succeed())
			_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), inner.ID())
			Expect(err).NotTo(HaveOccurred())
		})

		It("rolls back a failed unique insert's transaction entirely", func() {
			j := w.newJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, j); err != nil {
					return err
				}
				return w.repos.Documents.Create(ctx, w.doc)
			})
			Expect(err).To(MatchError(domain.ErrConflict))
			_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
		})
	})
}
