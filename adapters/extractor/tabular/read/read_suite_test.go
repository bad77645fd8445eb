package read_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRead(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Tabular read stage Suite")
}
