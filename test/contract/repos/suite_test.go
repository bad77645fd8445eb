package repos_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/contract/repocontract"
	"github.com/ade-go/ade/test/pgtest"
)

func TestRepositories(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Repository contract suite")
}

// pgSchema is this run's own schema on the server at ADE_TEST_DATABASE_URL:
// migrated from empty by the first spec, emptied before every spec, dropped
// after the suite.
var pgSchema = pgtest.NewSchema("contract")

var _ = AfterSuite(pgSchema.Drop)

// pgTables are emptied before every PostgreSQL spec, children first.
var pgTables = []string{"idempotency_keys", "events", "extracted_tables", "jobs", "configurations", "documents", "api_keys", "workspaces"}

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

var _ = repocontract.DescribeRepositories("PostgreSQL", func() ports.Repositories {
	ctx := context.Background()
	db, err := bunstore.Open(ctx, pgSchema.URL())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	Expect(db.Migrate(ctx)).To(Succeed())
	_, err = db.Bun().ExecContext(ctx, "TRUNCATE "+strings.Join(pgTables, ", ")+" CASCADE")
	Expect(err).NotTo(HaveOccurred())
	return db.Repositories()
})
