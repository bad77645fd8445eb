package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// readmeSessions returns the shell blocks of README.md's quick start: the
// curl session and the tabular one that follows it.
func readmeSessions() (session, tabular string) {
	GinkgoHelper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	Expect(err).NotTo(HaveOccurred())
	text := string(b)
	start := strings.Index(text, "A session with curl")
	Expect(start).To(BeNumerically(">=", 0), "README.md has no curl session")
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(text[start:], 2)
	Expect(blocks).To(HaveLen(2))
	return blocks[0][1], blocks[1][1]
}

var _ = Describe("the README's quick start", func() {
	It("runs as written against a fresh server: the curl session in an empty folder, the tabular one in the repository", func() {
		if _, err := exec.LookPath("curl"); err != nil {
			Fail("curl is needed to run the README's session: " + err.Error())
		}
		srv := startServer(sqliteFiles(), serverOptions{})
		session, tabular := readmeSessions()
		// What a reader changes: the key the first start printed, and this
		// server's address.
		Expect(session).To(ContainSubstring("KEY=ade_...   # the key the first start printed\n"))
		session = strings.Replace(session, "KEY=ade_...", "KEY="+adminKey, 1)
		Expect(session).To(ContainSubstring("http://127.0.0.1:8000"))
		session = strings.ReplaceAll(session, "http://127.0.0.1:8000", srv.base)

		folder := GinkgoT().TempDir()
		run := func(dir, script string) string {
			GinkgoHelper()
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "the README's session failed:\n%s\n--- server ---\n%s", out, srv.output())
			return string(out)
		}
		out := run(folder, session)
		Expect(out).To(MatchRegexp(`document [0-9A-Z]{26}\n`))
		Expect(out).To(ContainSubstring(`"is_active":true`))
		Expect(out).To(ContainSubstring(`"tables":[{`))
		Expect(out).To(ContainSubstring(`"event_type":"job.status.succeeded"`))
		Expect(out).To(ContainSubstring("download identical"))
		Expect(out).To(ContainSubstring(`"role":"viewer"`))
		Expect(filepath.Join(folder, "downloaded.csv")).To(BeARegularFile())

		// The tabular session continues the same shell, from the repository.
		preamble := session[:strings.Index(session, "# 1.")]
		out = run(repoRoot, preamble+tabular)
		Expect(out).To(ContainSubstring(`"range":"A1:K111"`))
		Expect(out).To(ContainSubstring(`"output_documents":[{`))
	})
})
