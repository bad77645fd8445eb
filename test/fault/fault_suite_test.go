// Package fault_test injects failures into the ports under the use cases
// (a store that stops answering, a blob store that breaks mid-stream) and
// checks that every failure path cleans up what it started: no orphaned
// blob, no row without its event, no job left running.
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
