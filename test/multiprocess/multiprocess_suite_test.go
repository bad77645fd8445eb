// Package multiprocess_test runs ADE as a deployment runs it: several
// `ade serve` and `ade worker` processes of the real binary sharing one
// database and one blob store (PostgreSQL and a loopback S3 server), and
// the embedded default (SQLite and local files, workers in process). It
// submits a thousand jobs through every API process, kills a worker with
// SIGKILL mid-run, and checks the invariants the queue promises: every job
// ends, once, with nothing duplicated, and a lost job is picked up again
// within the rescue delay.
package multiprocess_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/testkit"
)

func TestMultiprocess(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Multi-process deployment")
}

// adeBin is the binary built once for the suite.
var adeBin string

// adminKey is the global admin key every process is started with.
const adminKey = "ade_multiprocess_admin_key_0123456789abcdef"

var _ = BeforeSuite(func() {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())
	adeBin = filepath.Join(GinkgoT().TempDir(), "ade")
	build := exec.Command("go", "build", "-o", adeBin, "./cmd/ade")
	build.Dir = root
	build.Env = os.Environ()
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build ./cmd/ade:\n%s", out)
})

// proc is one running ade process.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *testkit.SyncBuffer
	done chan struct{}
	err  error
}

// baseEnv is the environment every process gets besides its own.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADE_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

var (
	procsMu sync.Mutex
	// procs are the processes started and not yet stopped: stopAll ends
	// them (each Ordered container's AfterAll), and a failed spec reports
	// their output.
	procs []*proc
)

// stopAll stops every process still running (SIGTERM, then SIGKILL).
func stopAll() {
	procsMu.Lock()
	ps := procs
	procs = nil
	procsMu.Unlock()
	for _, p := range ps {
		p.stop()
	}
}

var _ = AfterSuite(stopAll)

var _ = JustAfterEach(func() {
	if !CurrentSpecReport().Failed() {
		return
	}
	procsMu.Lock()
	defer procsMu.Unlock()
	for _, p := range procs {
		AddReportEntry(p.name+" output", problems(p.out.String())+tail(p.out.String(), 4<<10))
	}
})

// run starts `ade <args>` with env; stopAll stops it.
func run(name string, env map[string]string, args ...string) *proc {
	GinkgoHelper()
	cmd := exec.Command(adeBin, args...)
	cmd.Env = baseEnv()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{name: name, cmd: cmd, out: &testkit.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	Expect(cmd.Start()).To(Succeed())
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	procsMu.Lock()
	procs = append(procs, p)
	procsMu.Unlock()
	return p
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 20 s).
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL: the process ends on the spot, as on a power cut.
func (p *proc) kill() {
	GinkgoHelper()
	Expect(p.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
	Eventually(p.done, 10*time.Second).Should(BeClosed())
}

// waitFor waits until the process's output contains s.
func (p *proc) waitFor(s string) {
	GinkgoHelper()
	Eventually(func() string {
		if p.exited() {
			Fail(fmt.Sprintf("%s exited before %q:\n%s", p.name, s, tail(p.out.String(), 4<<10)))
		}
		return p.out.String()
	}, 60*time.Second, 50*time.Millisecond).Should(ContainSubstring(s), p.name)
}

// problems returns the first warning and error lines of a log.
func problems(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, `"level":"WARN"`) {
			out = append(out, l)
			if len(out) == 20 {
				break
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n---\n"
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[...]" + s[len(s)-n:]
}

func freeAddr() string {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	return ln.Addr().String()
}

// api is a client of one ade serve.
type api struct {
	base string
	ws   string
	http *http.Client
}

func newAPI(addr string) *api {
	return &api{base: "http://" + addr, ws: "/api/v1/workspaces/default",
		http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
}

func (a *api) waitReady() {
	GinkgoHelper()
	Eventually(func() int {
		res, err := a.http.Get(a.base + "/health/ready")
		if err != nil {
			return 0
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}, 60*time.Second, 50*time.Millisecond).Should(Equal(200))
}

// busyRetries bounds how often a request answered 503 is sent again.
const busyRetries = 8

// do sends a request with the admin key and decodes a JSON answer. A 503
// (a database busy beyond its timeout: SQLite's one writer under a
// thousand submissions on a loaded machine) is what API.md tells clients
// to retry after Retry-After, so do retries it as a careful client would,
// after checking the header is there; the flows' submissions carry an
// Idempotency-Key, so a retry can never make a second job.
func (a *api) do(method, path string, body []byte, headers map[string]string) (int, map[string]any, http.Header) {
	GinkgoHelper()
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequest(method, a.base+path, bytes.NewReader(body))
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Authorization", "Bearer "+adminKey)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := a.http.Do(req)
		Expect(err).NotTo(HaveOccurred())
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		Expect(err).NotTo(HaveOccurred())
		var m map[string]any
		if len(b) > 0 {
			Expect(json.Unmarshal(b, &m)).To(Succeed(), "%s %s: %s", method, path, b)
		}
		if res.StatusCode != http.StatusServiceUnavailable || attempt == busyRetries {
			return res.StatusCode, m, res.Header
		}
		wait, err := strconv.Atoi(res.Header.Get("Retry-After"))
		Expect(err).NotTo(HaveOccurred(), "a 503 says when to retry: %s %s: %s", method, path, b)
		GinkgoWriter.Printf("%s %s: 503 %v; retrying after %d s\n", method, path, m["detail"], wait)
		time.Sleep(time.Duration(min(wait, 10)) * time.Second)
	}
}

func (a *api) postJSON(path string, v any, headers map[string]string) (int, map[string]any) {
	GinkgoHelper()
	b, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	h := map[string]string{"Content-Type": "application/json"}
	for k, val := range headers {
		h[k] = val
	}
	status, m, _ := a.do(http.MethodPost, path, b, h)
	return status, m
}

func (a *api) get(path string) (int, map[string]any) {
	GinkgoHelper()
	status, m, _ := a.do(http.MethodGet, path, nil, nil)
	return status, m
}

// upload uploads data as filename, with extra form fields.
func (a *api) upload(filename string, data []byte, fields map[string]string) string {
	GinkgoHelper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		Expect(w.WriteField(k, v)).To(Succeed())
	}
	fw, err := w.CreateFormFile("file", filename)
	Expect(err).NotTo(HaveOccurred())
	_, err = fw.Write(data)
	Expect(err).NotTo(HaveOccurred())
	Expect(w.Close()).To(Succeed())
	status, m, _ := a.do(http.MethodPost, a.ws+"/documents", buf.Bytes(), map[string]string{"Content-Type": w.FormDataContentType()})
	Expect(status).To(Equal(201), "%v", m)
	return m["document_id"].(string)
}

// configure creates a configuration and returns its id.
func (a *api) configure(docType string, payload map[string]any) string {
	GinkgoHelper()
	status, m := a.postJSON(a.ws+"/configurations", map[string]any{"document_type": docType, "title": docType, "payload": payload}, nil)
	Expect(status).To(Equal(201), "%v", m)
	return m["configuration_id"].(string)
}

// submitAsync submits a job with Prefer: respond-async and returns its id.
func (a *api) submitAsync(docID, cfgID string) string {
	GinkgoHelper()
	status, m := a.postJSON(a.ws+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID},
		map[string]string{"Prefer": "respond-async", "Idempotency-Key": ulid.Make().String()})
	Expect(status).To(Equal(202), "%v", m)
	Expect(m["status"]).To(Equal("pending"))
	return m["job_id"].(string)
}

// eventually retries f until it stops failing or the time runs out.
func eventually(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
