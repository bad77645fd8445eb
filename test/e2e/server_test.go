package e2e_test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/pgtest"
	"github.com/ade-go/ade/test/testkit"
)

// Time limits of the server's life cycle.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 20 * time.Second
)

// adeProcess is a running (or exited) `ade serve`.
type adeProcess struct {
	cmd     *exec.Cmd
	stderr  *testkit.SyncBuffer
	stdout  *testkit.SyncBuffer
	done    chan struct{}
	waitErr error
}

// exitCode waits up to d for the process to exit and returns its status,
// or -1 if it is still running.
func (p *adeProcess) exitCode(d time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(d):
		return -1
	}
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		return ee.ExitCode()
	}
	if p.waitErr != nil {
		return -2
	}
	return 0
}

func (p *adeProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// output is the process's stderr and stdout, for failure messages.
func (p *adeProcess) output() string {
	return "--- ade stderr ---\n" + tail(p.stderr.String(), 16<<10) + "\n--- ade stdout ---\n" + tail(p.stdout.String(), 4<<10)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[...]" + s[len(s)-n:]
}

// runAde starts `ade serve` with exactly the given ADE_* environment (the
// test process's own ADE_* and AWS_* variables are not passed on).
func runAde(env map[string]string) *adeProcess {
	GinkgoHelper()
	return runAdeCommand(env, "serve")
}

// runAdeCommand starts `ade args...` with exactly the given ADE_*
// environment.
func runAdeCommand(env map[string]string, args ...string) *adeProcess {
	GinkgoHelper()
	cmd := exec.Command(adeBin, args...)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ADE_") || strings.HasPrefix(kv, "AWS_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &adeProcess{cmd: cmd, stderr: &testkit.SyncBuffer{}, stdout: &testkit.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stderr, cmd.Stdout = p.stderr, p.stdout
	Expect(cmd.Start()).To(Succeed())
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p
}

// freeAddr returns a loopback address nobody listens on (a port the kernel
// just handed out and released).
func freeAddr() string {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	return addr
}

// adeServer is a ready `ade serve` and a client for it.
type adeServer struct {
	*adeProcess
	*client
	// dataDir is ADE_DATA_DIR; parentDir is a directory above it that the
	// server has no reason to write to.
	dataDir, parentDir string
	// blobKeys lists the objects the server's blob store holds.
	blobKeys func() []string
	// env is the ADE_* environment it runs with (for `ade keys` on the
	// same database).
	env map[string]string
	// killed is set by kill: the process is gone without a clean exit.
	killed bool
}

// kill ends the server with SIGKILL (a crash: no drain, no clean-up) and
// waits for it to be gone.
func (s *adeServer) kill() {
	GinkgoHelper()
	s.killed = true
	Expect(s.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
	Eventually(s.done).WithTimeout(stopTimeout).Should(BeClosed(), "ade serve still running after SIGKILL")
}

// adminKey is the global admin key every server of the suite starts with
// (ADE_BOOTSTRAP_ADMIN_KEY), and its clients send.
const adminKey = "ade_e2eGlobalAdmin0123456789abcdefghijklmnopqrstuvwxyz"

// serverOptions tune one server start.
type serverOptions struct {
	// env adds or overrides ADE_* variables; an empty value removes one.
	env map[string]string
	// dataDir reuses a data directory (a restart); empty makes a new one.
	dataDir string
}

// startServer starts the binary on a free port with a fresh data directory
// and the backend's storage, waits for /health/ready, and stops it with
// SIGTERM when the current node's cleanup runs, expecting exit status 0.
//
// Servers start with adminKey as their bootstrap key and limits too high
// for the specs to reach, unless opts say otherwise.
func startServer(b *backend, opts serverOptions) *adeServer {
	GinkgoHelper()
	parent := GinkgoT().TempDir()
	dataDir := filepath.Join(parent, "outer", "inner", "data")
	if opts.dataDir != "" {
		dataDir = opts.dataDir
	}
	Expect(os.MkdirAll(dataDir, 0o750)).To(Succeed())
	addr := freeAddr()
	env := map[string]string{
		"ADE_HTTP_ADDR":              addr,
		"ADE_DATA_DIR":               dataDir,
		"ADE_LOG_FORMAT":             "json",
		"ADE_SHUTDOWN_TIMEOUT":       "10s",
		"ADE_BOOTSTRAP_ADMIN_KEY":    adminKey,
		"ADE_RATE_LIMIT":             "100000",
		"ADE_RATE_BURST":             "100000",
		"ADE_MAX_CONCURRENT_UPLOADS": "1000",
		"ADE_MAX_RUNNING_JOBS":       "1000",
	}
	s := &adeServer{dataDir: dataDir, parentDir: parent}
	for k, v := range b.storage(s) {
		env[k] = v
	}
	for k, v := range opts.env {
		if v == "" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	s.env = env
	s.adeProcess = runAde(env)
	s.client = newClient("http://"+addr, env["ADE_BOOTSTRAP_ADMIN_KEY"])
	DeferCleanup(s.stop)
	s.waitReady()
	return s
}

func (s *adeServer) waitReady() {
	GinkgoHelper()
	probe := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		if s.exited() {
			Fail(fmt.Sprintf("ade serve exited (status %d) before it was ready\n%s", s.exitCode(0), s.output()))
		}
		res, err := probe.Get(s.base + "/health/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			Fail(fmt.Sprintf("ade serve not ready after %s\n%s", readyTimeout, s.output()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and expects a clean exit in time.
func (s *adeServer) stop() {
	GinkgoHelper()
	s.http.CloseIdleConnections()
	if s.killed {
		return
	}
	if !s.exited() {
		Expect(s.cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
	}
	code := s.exitCode(stopTimeout)
	if code == -1 {
		_ = s.cmd.Process.Kill()
		<-s.done
		Fail(fmt.Sprintf("ade serve did not exit within %s of SIGTERM\n%s", stopTimeout, s.output()))
	}
	Expect(code).To(Equal(0), "ade serve exit status after SIGTERM\n%s", s.output())
}

// filesUnder lists the regular files below dir.
func filesUnder(dir string) []string {
	GinkgoHelper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	Expect(err).NotTo(HaveOccurred())
	return out
}

// backend is one storage combination the specs run on.
type backend struct {
	name string
	// prepare runs once per container (BeforeAll): it may Skip or Fail.
	prepare func()
	// storage returns the ADE_DATABASE_URL / ADE_BLOB_URL environment for a
	// new server and sets the server's blobKeys.
	storage func(s *adeServer) map[string]string
}

// sqliteFiles is the default: empty URLs, SQLite and file:// in the data
// directory.
func sqliteFiles() *backend {
	return &backend{
		name:    "SQLite + file://",
		prepare: func() {},
		storage: func(s *adeServer) map[string]string {
			s.blobKeys = func() []string { return filesUnder(filepath.Join(s.dataDir, "blobs")) }
			return map[string]string{"ADE_DATABASE_URL": "", "ADE_BLOB_URL": ""}
		},
	}
}

// postgresS3 runs on a fresh schema of the server at
// ADE_TEST_DATABASE_URL and an in-process gofakes3 server, one bucket per
// ade server.
func postgresS3() *backend {
	var (
		dbURL   string
		s3      *httptest.Server
		s3store *s3mem.Backend
		buckets int
	)
	b := &backend{name: "PostgreSQL + S3 (gofakes3)"}
	b.prepare = func() {
		dbURL = pgtest.FreshSchema("e2e")
		s3store = s3mem.New()
		s3 = httptest.NewServer(gofakes3.New(s3store).Server())
		DeferCleanup(s3.Close)
	}
	b.storage = func(s *adeServer) map[string]string {
		buckets++
		bucket := fmt.Sprintf("ade-e2e-%d", buckets)
		Expect(s3store.CreateBucket(bucket)).To(Succeed())
		s.blobKeys = func() []string {
			GinkgoHelper()
			res, err := s3store.ListBucket(bucket, &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
			Expect(err).NotTo(HaveOccurred())
			keys := make([]string, 0, len(res.Contents))
			for _, c := range res.Contents {
				keys = append(keys, c.Key)
			}
			return keys
		}
		q := url.Values{}
		q.Set("endpoint", s3.URL)
		q.Set("region", "us-east-1")
		q.Set("use_path_style", "true")
		q.Set("request_checksum_calculation", "when_required")
		q.Set("response_checksum_validation", "when_required")
		return map[string]string{
			"ADE_DATABASE_URL":      dbURL,
			"ADE_BLOB_URL":          "s3://" + bucket + "?" + q.Encode(),
			"AWS_ACCESS_KEY_ID":     "e2e",
			"AWS_SECRET_ACCESS_KEY": "e2e-secret",
		}
	}
	return b
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
