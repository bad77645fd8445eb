// Package repocontract is the shared contract suite of the repository
// ports: every storage backend (memory, SQLite, PostgreSQL) runs the same
// Ginkgo specs through DescribeRepositories, so they all honour the MUST
// clauses of package ports in the same way.
package repocontract

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"

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
