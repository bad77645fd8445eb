package repos_test

import (
	"context"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/contract/repocontract"
	"github.com/ade-go/ade/test/storetest"
)

func TestRepositories(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Repository contract suite")
}

// The contract on every store: memory, a SQLite file per spec, and this
// run's own PostgreSQL schema (migrated from empty once, emptied before
// every spec, dropped after the suite).
var _ = AfterSuite(storetest.Cleanup)

var _ = func() bool {
	for _, b := range storetest.All() {
		repocontract.DescribeRepositories(b.Name, func() ports.Repositories { return b.Open().Repos })
	}
	return true
}()

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
	a := storetest.PostgreSQL.Open()
	b, err := bunstore.Open(context.Background(), a.DB.URL())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.Close)
	return a.Repos, b.Repositories()
})
