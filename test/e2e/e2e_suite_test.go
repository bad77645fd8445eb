// Package e2e_test drives the real ade binary over loopback HTTP: it builds
// cmd/ade once, starts `ade serve` on SQLite + local files and on
// PostgreSQL + S3 (an in-process gofakes3 server), runs the same specs
// against both, and checks every response against adapters/httpapi/openapi.json.
package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "HTTP end-to-end")
}

var (
	// repoRoot is the module root, two levels above this directory.
	repoRoot string
	// adeBin is the binary built once for the whole suite.
	adeBin string
	// contract validates responses against the served OpenAPI document.
	contract *contractChecker
)

var _ = BeforeSuite(func() {
	var err error
	repoRoot, err = filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())
	Expect(filepath.Join(repoRoot, "go.mod")).To(BeARegularFile(), "the suite must run from test/e2e")

	adeBin = filepath.Join(GinkgoT().TempDir(), "ade")
	build := exec.Command("go", "build", "-o", adeBin, "./cmd/ade")
	build.Dir = repoRoot
	build.Env = os.Environ()
	start := time.Now()
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build ./cmd/ade failed:\n%s", out)
	GinkgoWriter.Printf("built %s in %s\n", adeBin, time.Since(start).Round(time.Millisecond))

	contract = loadContract(filepath.Join(repoRoot, "adapters", "httpapi", "openapi.json"))
})
