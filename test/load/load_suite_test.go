// Package load_test soaks the real ade binary on PostgreSQL with mixed
// traffic for a bounded time (SOAK_DURATION: 30s by default, as CI runs
// it; `make soak` runs 5 minutes) and checks that the database holds
// exactly what the clients were told succeeded, and that goroutines, open
// files and memory come back down once the traffic stops.
package load_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLoad(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Soak")
}

// adeBin is the binary built once for the suite.
var adeBin string

var _ = BeforeSuite(func() {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())
	adeBin = filepath.Join(GinkgoT().TempDir(), "ade")
	build := exec.Command("go", "build", "-o", adeBin, "./cmd/ade")
	build.Dir = root
	build.Env = os.Environ()
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build ./cmd/ade failed:\n%s", out)
})
