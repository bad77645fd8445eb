// Package browser_test drives the real ade binary in headless Chromium
// (chromedp): an operator signs in, uploads workbooks with progress,
// writes a configuration, runs and cancels jobs, reads tables and
// downloads outputs; a viewer cannot upload, and crafted requests meet the
// CSRF and role checks. The suite writes screenshots of the main pages to
// docs/screenshots/.
package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/benchkit"
	"github.com/ade-go/ade/test/testkit"
)

func TestBrowser(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Web UI in a real browser")
}

// adminKey is the server's bootstrap global admin key.
const adminKey = "ade_browserGlobalAdmin0123456789abcdefghijklmnopqrstuvwxyz"

var (
	repoRoot string
	// base is the server's URL.
	base string
	// server is the running `ade serve`.
	server *exec.Cmd
	// serverLog collects its output.
	serverLog = &testkit.SyncBuffer{Limit: 4 << 20}
	// browserCtx is the browser (one Chromium for the suite); each spec
	// opens tabs from it.
	browserCtx context.Context
	// shotsDir receives the screenshots.
	shotsDir string
	// work holds files the suite makes.
	work string
)

// chromiumPath finds Debian's chromium (or Chrome).
func chromiumPath() string {
	for _, p := range []string{os.Getenv("ADE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

var _ = BeforeSuite(func() {
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			Fail("CI=true and no Chromium: .ci/run installs Debian's chromium (apt-get install -y chromium)")
		}
		Skip("no Chromium on this machine (apt-get install -y chromium)")
	}
	var err error
	repoRoot, err = benchkit.RepoRoot()
	Expect(err).NotTo(HaveOccurred())
	shotsDir = filepath.Join(repoRoot, "docs", "screenshots")
	Expect(os.MkdirAll(shotsDir, 0o755)).To(Succeed())
	work = GinkgoT().TempDir()

	start := time.Now()
	bin, err := benchkit.BuildAde(work)
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("built ade in %s\n", time.Since(start).Round(time.Millisecond))

	addr, err := benchkit.FreeAddr()
	Expect(err).NotTo(HaveOccurred())
	base = "http://" + addr
	server = exec.Command(bin, "serve")
	server.Env = append(benchkit.CleanEnv(),
		"ADE_HTTP_ADDR="+addr,
		"ADE_DATA_DIR="+filepath.Join(work, "data"),
		"ADE_BOOTSTRAP_ADMIN_KEY="+adminKey,
		"ADE_SESSION_SECRET=browser-suite-session-secret-0123456789abcdef",
		"ADE_AUTH_CACHE_TTL=300ms",
		"ADE_MAX_UPLOAD_BYTES="+fmt.Sprint(200<<20),
	)
	server.Stdout, server.Stderr = serverLog, serverLog
	Expect(server.Start()).To(Succeed())
	DeferCleanup(func() {
		if path := os.Getenv("ADE_BROWSER_SERVER_LOG"); path != "" {
			_ = os.WriteFile(path, []byte(serverLog.String()), 0o644)
		}
		_ = server.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = server.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = server.Process.Kill()
		}
	})
	Eventually(func() int {
		resp, err := http.Get(base + "/health/ready")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}).WithTimeout(30*time.Second).WithPolling(100*time.Millisecond).Should(Equal(200), "server log:\n%s", serverLog)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(work, "chromium")),
		chromedp.WindowSize(1280, 900),
	)
	DeferCleanup(cancelAlloc)
	var cancelBrowser context.CancelFunc
	browserCtx, cancelBrowser = chromedp.NewContext(alloc)
	DeferCleanup(cancelBrowser)
	// Start the browser now, so its start-up is not charged to a spec.
	Expect(chromedp.Do(browserCtx, chromedp.Navigate("about:blank"))).To(Succeed())
})

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		GinkgoWriter.Printf("--- server log (tail) ---\n%s\n", tail(serverLog.String(), 8000))
	}
})

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
