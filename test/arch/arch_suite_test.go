// Package arch_test makes the dependency rule executable: it fails when a
// layer imports what it must not.
package arch_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestArch(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Dependency Rule Suite")
}
