package system_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/system"
)

var _ = Describe("Spool directories", func() {
	var root string
	BeforeEach(func() { root = filepath.Join(GinkgoT().TempDir(), "tmp") })

	// startChild starts a process that holds a spool directory under
	// root, and returns it with the directory's path.
	startChild := func() (*exec.Cmd, string) {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "SYSTEM_TEST_SPOOL_CHILD="+root)
		out, err := cmd.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		cmd.Stderr = GinkgoWriter
		Expect(cmd.Start()).To(Succeed())
		DeferCleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		return cmd, strings.TrimSpace(line)
	}

	It("gives each process its own directory and removes it on Close", func() {
		a, swept, err := system.OpenSpoolDir(root)
		Expect(err).NotTo(HaveOccurred())
		Expect(swept).To(Equal(0))
		b, _, err := system.OpenSpoolDir(root)
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Path()).NotTo(Equal(b.Path()))
		Expect(filepath.Dir(a.Path())).To(Equal(root))
		Expect(os.WriteFile(filepath.Join(a.Path(), "book"), []byte("x"), 0o600)).To(Succeed())
		Expect(a.Close()).To(Succeed())
		Expect(a.Path()).NotTo(BeADirectory())
		Expect(b.Path()).To(BeADirectory())
		Expect(b.Close()).To(Succeed())
	})

	It("sweeps what a killed process left, and only that", func() {
		if !system.SpoolLocks {
			Skip("no advisory locks on this platform: nothing is swept")
		}
		live, liveDir := startChild()
		dead, deadDir := startChild()
		Expect(os.WriteFile(filepath.Join(deadDir, "ade-tabular-1.book"), []byte("spooled"), 0o600)).To(Succeed())
		Expect(dead.Process.Signal(syscall.SIGKILL)).To(Succeed())
		_ = dead.Wait()

		mine, swept, err := system.OpenSpoolDir(root)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(mine.Close)
		Expect(swept).To(Equal(1))
		Expect(deadDir).NotTo(BeADirectory())
		Expect(liveDir).To(BeADirectory(), "a live process keeps its directory")
		Expect(live.ProcessState).To(BeNil())
	})

	It("sweeps a directory that never got its lock, once it is old", func() {
		if !system.SpoolLocks {
			Skip("no advisory locks on this platform: nothing is swept")
		}
		Expect(os.MkdirAll(root, 0o750)).To(Succeed())
		young := filepath.Join(root, "ade-spool-young")
		old := filepath.Join(root, "ade-spool-old")
		other := filepath.Join(root, "not-a-spool")
		for _, d := range []string{young, old, other} {
			Expect(os.Mkdir(d, 0o750)).To(Succeed())
		}
		past := time.Now().Add(-time.Hour)
		Expect(os.Chtimes(old, past, past)).To(Succeed())
		Expect(os.Chtimes(other, past, past)).To(Succeed())
		mine, swept, err := system.OpenSpoolDir(root)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(mine.Close)
		Expect(swept).To(Equal(1))
		Expect(old).NotTo(BeADirectory())
		Expect(young).To(BeADirectory())
		Expect(other).To(BeADirectory())
	})
})
