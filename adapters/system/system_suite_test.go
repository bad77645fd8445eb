package system_test

import (
	"fmt"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/system"
)

// childEnv makes the test binary open a spool directory under the root it
// names, print its path and wait to be killed: a process that dies
// without cleaning up.
const childEnv = "SYSTEM_TEST_SPOOL_CHILD"

func TestMain(m *testing.M) {
	if root := os.Getenv(childEnv); root != "" {
		d, _, err := system.OpenSpoolDir(root)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(d.Path())
		select {}
	}
	os.Exit(m.Run())
}

func TestSystem(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "System Adapter Suite")
}
