package repos_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

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
