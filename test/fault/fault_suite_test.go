// Package fault_test injects failures into the ports under the use cases
// (a store that stops answering, a blob store that breaks mid-stream), on
// the in-memory store, SQLite and PostgreSQL, and checks that every failure
// path cleans up what it started: no orphaned blob, no change without its
// event and no event without its change. A failure is injected into the
// write of every event type the code records; after a full run the suite
// fails if a type (a new one, say) was never made to fail.
package fault_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestFault(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Fault Suite")
}
