package hostile_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/hostile"
)

func TestMain(m *testing.M) {
	hostile.Launcher()
	os.Exit(m.Run())
}

func TestHostile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Hostile inputs")
}

// adeBin is `ade`, built once without the race detector: the specs
// measure its memory, which the detector would multiply.
var adeBin string

var _ = BeforeSuite(func() {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())
	adeBin = filepath.Join(GinkgoT().TempDir(), "ade")
	build := exec.Command("go", "build", "-o", adeBin, "./cmd/ade")
	build.Dir = root
	build.Env = os.Environ()
	start := time.Now()
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build ./cmd/ade failed:\n%s", out)
	GinkgoWriter.Printf("built %s in %s\n", adeBin, time.Since(start).Round(time.Millisecond))
})

var _ = Describe("ade extract on hostile documents", func() {
	for _, c := range hostile.Cases() {
		It(c.Name+": ends with its outcome, under the memory bound, leaving nothing behind", func() {
			res, err := hostile.Run(adeBin, GinkgoT().TempDir(), c)
			Expect(err).NotTo(HaveOccurred())
			GinkgoWriter.Printf("%s: %d bytes, %q, %d table(s), peak %d MiB, %s\n",
				c.Name, res.Size, res.Message, res.Tables, res.PeakKiB>>10, res.Elapsed.Round(time.Millisecond))
			Expect(res.Code).To(Equal(c.Code), res.Message)
			if c.Limit != "" {
				Expect(res.Message).To(ContainSubstring("over the limit of"))
				Expect(res.Message).To(ContainSubstring(" " + c.Limit))
			}
			Expect(res.PeakKiB).To(BeNumerically("<", hostile.PeakBound>>10), "peak resident memory, KiB")
			Expect(res.Left).To(BeEmpty(), "temporary files or outputs left behind")
		})
	}
})
