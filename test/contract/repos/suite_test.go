package repos_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/contract/repocontract"
)

func TestRepositories(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Repository contract suite")
}

// postgresURL is the database the PostgreSQL specs use; see pgFactory.
var postgresURL = os.Getenv("ADE_TEST_DATABASE_URL")

// pgTables are emptied before every PostgreSQL spec, children first.
var pgTables = []string{"webhook_deliveries", "webhooks", "idempotency_keys", "events", "extracted_tables", "jobs", "configurations", "documents", "api_keys", "workspaces"}

var _ = repocontract.DescribeRepositories("memory", func() ports.Repositories {
	return memory.New().Repositories()
})

var _ = repocontract.DescribeRepositories("SQLite", func() ports.Repositories {
	ctx := context.Background()
	db, err := bunstore.Open(ctx, "sqlite:"+filepath.Join(GinkgoT().TempDir(), "ade.db"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	Expect(db.Migrate(ctx)).To(Succeed())
	return db.Repositories()
})

var _ = repocontract.DescribeFeedAcrossHandles("SQLite", func() (ports.Repositories, ports.Repositories) {
	ctx := context.Background()
	path := "sqlite:" + filepath.Join(GinkgoT().TempDir(), "ade.db")
	a, err := bunstore.Open(ctx, path)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(a.Close)
	Expect(a.Migrate(ctx)).To(Succeed())
	b, err := bunstore.Open(ctx, path)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Close)
	return a.Repositories(), b.Repositories()
})

var _ = repocontract.DescribeFeedAcrossHandles("PostgreSQL", func() (ports.Repositories, ports.Repositories) {
	a := openPostgres()
	b, err := bunstore.Open(context.Background(), postgresURL)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Close)
	return a.Repositories(), b.Repositories()
})

var _ = repocontract.DescribeRepositories("PostgreSQL", func() ports.Repositories {
	return openPostgres().Repositories()
})

// openPostgres opens the PostgreSQL database of ADE_TEST_DATABASE_URL,
// migrated and emptied.
func openPostgres() *bunstore.DB {
	if postgresURL == "" {
		if os.Getenv("CI") == "true" {
			Fail("ADE_TEST_DATABASE_URL is empty but CI=true: the PostgreSQL contract specs must run in CI " +
				"(start a server with `export ADE_TEST_DATABASE_URL=$(bash .ci/postgres.sh | tail -1)`)")
		}
		Skip("ADE_TEST_DATABASE_URL is not set: skipping the PostgreSQL contract specs " +
			"(run `export ADE_TEST_DATABASE_URL=$(bash .ci/postgres.sh | tail -1)` to include them)")
	}
	ctx := context.Background()
	db, err := bunstore.Open(ctx, postgresURL)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	Expect(db.Migrate(ctx)).To(Succeed())
	_, err = db.Bun().ExecContext(ctx, "TRUNCATE "+strings.Join(pgTables, ", ")+" CASCADE")
	Expect(err).NotTo(HaveOccurred())
	return db
}
