package bunstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/pgtest"
)

func TestBun(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Bun adapter suite")
}

// The behaviour every repository shares is in test/contract/repos; these
// specs cover what is particular to this adapter: opening, migrating, the
// SQL status guard, foreign keys and the stored forms.

var ctx = context.Background()

// openPostgres opens an empty schema of its own on the server at
// ADE_TEST_DATABASE_URL (dropped after the spec), so runs in parallel never
// share tables and every spec migrates from nothing.
func openPostgres() *bunstore.DB {
	db, err := bunstore.Open(ctx, pgtest.FreshSchema("bunstore"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	return db
}

var _ = Describe("SQLiteDSN", func() {
	DescribeTable("accepts sqlite:, file: and plain paths",
		func(in, wantPrefix string) {
			dsn := bunstore.SQLiteDSN(in)
			Expect(dsn).To(HavePrefix(wantPrefix))
			Expect(dsn).To(ContainSubstring("_txlock=immediate"))
			Expect(dsn).To(ContainSubstring("journal_mode(WAL)"))
			Expect(dsn).To(ContainSubstring("foreign_keys(1)"))
			Expect(dsn).To(ContainSubstring("busy_timeout("))
		},
		Entry("sqlite:PATH", "sqlite:/var/ade/ade.db", "file:/var/ade/ade.db?"),
		Entry("sqlite://PATH", "sqlite:///var/ade/ade.db", "file:/var/ade/ade.db?"),
		Entry("file:PATH", "file:var/ade.db", "file:var/ade.db?"),
		Entry("plain path", "./var/ade.db", "file:./var/ade.db?"),
	)

	It("keeps query parameters of the URL", func() {
		Expect(bunstore.SQLiteDSN("sqlite:x.db?cache=shared")).To(HaveSuffix("&cache=shared"))
	})

	It("lets a pragma on the URL replace the default for it, and keeps the others", func() {
		dsn := bunstore.SQLiteDSN("sqlite:x.db?_pragma=busy_timeout(2000)")
		Expect(strings.Count(dsn, "busy_timeout(")).To(Equal(1))
		Expect(dsn).To(HaveSuffix("&_pragma=busy_timeout(2000)"))
		Expect(dsn).To(ContainSubstring("journal_mode(WAL)"))
		Expect(dsn).To(ContainSubstring("foreign_keys(1)"))
		Expect(dsn).To(ContainSubstring("_txlock=immediate"))
	})

	It("applies a busy timeout set on the URL", func() {
		db, err := bunstore.Open(ctx, "sqlite:"+filepath.Join(GinkgoT().TempDir(), "b.db")+"?_pragma=busy_timeout(2000)")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		var ms int
		Expect(db.SQL().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms)).To(Succeed())
		Expect(ms).To(Equal(2000))
	})
})

var _ = Describe("Open", func() {
	It("reports an unreachable PostgreSQL as ErrUnavailable", func() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := bunstore.Open(c, "postgres://ade:secret@127.0.0.1:1/ade?sslmode=disable&connect_timeout=2")
		Expect(err).To(MatchError(domain.ErrUnavailable))
		Expect(err.Error()).NotTo(ContainSubstring("secret"))
	})

	It("reports an SQLite file it cannot create as ErrUnavailable", func() {
		_, err := bunstore.Open(ctx, "sqlite:/nonexistent-dir/sub/ade.db")
		Expect(err).To(MatchError(domain.ErrUnavailable))
	})

	It("refuses an empty URL", func() {
		_, err := bunstore.Open(ctx, "")
		Expect(err).To(HaveOccurred())
	})
})

// describeBackend registers the adapter specs for one database.
func describeBackend(name string, open func() *bunstore.DB, reopen func() *bunstore.DB) bool {
	return Describe(name, func() {
		var db *bunstore.DB
		BeforeEach(func() {
			db = open()
			Expect(db.Migrate(ctx)).To(Succeed())
		})

		It("migrates idempotently", func() {
			Expect(db.Migrate(ctx)).To(Succeed())
			Expect(db.Migrate(ctx)).To(Succeed())
			var n int
			Expect(db.Bun().NewSelect().TableExpr("ade_migrations").ColumnExpr("count(*)").Scan(ctx, &n)).To(Succeed())
			Expect(n).To(Equal(upMigrations()), "each migration recorded once")
		})

		It("migrates safely when several processes start at once", func() {
			fresh := reopen()
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- fresh.Migrate(ctx)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
			var n int
			Expect(fresh.Bun().NewSelect().TableExpr("ade_migrations").ColumnExpr("count(*)").Scan(ctx, &n)).To(Succeed())
			Expect(n).To(Equal(upMigrations()), "each migration recorded once")
		})

		It("pings", func() {
			Expect(db.Ping(ctx)).To(Succeed())
		})

		Context("with data", func() {
			var (
				repos ports.Repositories
				ws    *domain.Workspace
				job   *domain.Job
				now   = time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("CET", 3600))
			)
			BeforeEach(func() {
				repos = db.Repositories()
				var err error
				ws, err = domain.NewWorkspace("01J0000000000000000000WS01", "acme", "Acme", now)
				Expect(err).NotTo(HaveOccurred())
				Expect(repos.Workspaces.Create(ctx, ws)).To(Succeed())
				doc, err := domain.NewDocument(domain.NewDocumentParams{ID: "01J0000000000000000000DOC1", WorkspaceID: ws.ID(),
					Filename: "a.csv", ByteSize: 1, SHA256: strings.Repeat("a", 64), BlobKey: "k", ExpiresAt: now.Add(time.Hour), Now: now})
				Expect(err).NotTo(HaveOccurred())
				Expect(repos.Documents.Create(ctx, doc)).To(Succeed())
				conf, err := domain.NewConfiguration(domain.NewConfigurationParams{ID: "01J000000000000000000CONF1", WorkspaceID: ws.ID(),
					DocumentType: "invoice", Title: "t", Version: 1, Payload: map[string]any{"extractor": "csv"}, Now: now})
				Expect(err).NotTo(HaveOccurred())
				Expect(repos.Configurations.Create(ctx, conf)).To(Succeed())
				job, err = domain.NewJob(domain.NewJobParams{ID: "01J0000000000000000000JOB1", WorkspaceID: ws.ID(), DocumentType: "invoice",
					ConfigurationID: conf.ID(), ConfigurationVersion: 1, InputDocumentID: doc.ID(), Now: now})
				Expect(err).NotTo(HaveOccurred())
				Expect(repos.Jobs.Create(ctx, job)).To(Succeed())
			})

			It("stores times in UTC to the microsecond", func() {
				got, err := repos.Jobs.Get(ctx, ws.ID(), job.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State().CreatedAt).To(Equal(now.UTC().Truncate(time.Microsecond)))
				Expect(got.State().CreatedAt.Location()).To(Equal(time.UTC))
			})

			It("guards the status in SQL: a write whose read status went stale stores nothing", func() {
				// The outer Update reads "pending"; inside its closure a nested
				// Update in the same transaction starts the job. The outer
				// write then finds "running" and must fail.
				err := repos.Tx.WithinTx(ctx, func(txCtx context.Context) error {
					_, err := repos.Jobs.Update(txCtx, ws.ID(), job.ID(), func(j *domain.Job) error {
						if _, err := repos.Jobs.Update(txCtx, ws.ID(), job.ID(), func(j *domain.Job) error {
							return j.Start(now)
						}); err != nil {
							return err
						}
						return j.Cancel(now)
					})
					return err
				})
				Expect(err).To(MatchError(domain.ErrConflict))
				got, err := repos.Jobs.Get(ctx, ws.ID(), job.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Status()).To(Equal(domain.JobPending), "the whole transaction rolled back")
			})

			It("refuses a job whose document is in another workspace with ErrUnprocessable", func() {
				other, err := domain.NewWorkspace("01J0000000000000000000WS02", "globex", "Globex", now)
				Expect(err).NotTo(HaveOccurred())
				Expect(repos.Workspaces.Create(ctx, other)).To(Succeed())
				s := job.State()
				s.ID, s.WorkspaceID = "01J0000000000000000000JOB2", other.ID()
				Expect(repos.Jobs.Create(ctx, domain.RehydrateJob(s))).To(MatchError(domain.ErrUnprocessable))
			})

			It("refuses a job with an unknown status", func() {
				_, err := repos.Jobs.Update(ctx, ws.ID(), job.ID(), func(j *domain.Job) error {
					*j = *domain.RehydrateJob(func() domain.JobState { s := j.State(); s.Status = "bogus"; return s }())
					return nil
				})
				Expect(err).To(MatchError(domain.ErrInvalidInput))
			})
		})
	})
}

var _ = describeBackend("SQLite",
	func() *bunstore.DB {
		db, err := bunstore.Open(ctx, "sqlite:"+filepath.Join(GinkgoT().TempDir(), "ade.db"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		return db
	},
	func() *bunstore.DB {
		db, err := bunstore.Open(ctx, filepath.Join(GinkgoT().TempDir(), "fresh.db"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		return db
	})

var _ = describeBackend("PostgreSQL", openPostgres, openPostgres)

var _ = Describe("SQLite stored forms", func() {
	It("stores timestamps as fixed-width UTC text and JSON as text", func() {
		db, err := bunstore.Open(ctx, filepath.Join(GinkgoT().TempDir(), "forms.db"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		Expect(db.Migrate(ctx)).To(Succeed())
		ws, err := domain.NewWorkspace("01J0000000000000000000WS01", "acme", "Acme", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		Expect(err).NotTo(HaveOccurred())
		Expect(db.Repositories().Workspaces.Create(ctx, ws)).To(Succeed())
		var created string
		Expect(db.SQL().QueryRowContext(ctx, "SELECT created_at FROM workspaces").Scan(&created)).To(Succeed())
		Expect(created).To(Equal("2026-01-02T03:04:05.000000Z"))
	})
})

// upMigrations counts the migrations the package embeds.
func upMigrations() int {
	GinkgoHelper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.up.sql"))
	Expect(err).NotTo(HaveOccurred())
	Expect(files).NotTo(BeEmpty())
	return len(files)
}
