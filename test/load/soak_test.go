package load_test

import (
	"bufio"
	"bytes"
	"encoding/json"
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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/pgtest"
)

const (
	adminKey = "ade_soakGlobalAdmin0123456789abcdefghijklmnopqrstuvwxyz"
	workers  = 8
	// settle is how long the server may take to let go of what the
	// traffic held (connections closing, handlers returning).
	settle = 20 * time.Second
)

// soakDuration is SOAK_DURATION, 30s when unset.
func soakDuration() time.Duration {
	GinkgoHelper()
	v := os.Getenv("SOAK_DURATION")
	if v == "" {
		return 30 * time.Second
	}
	d, err := time.ParseDuration(v)
	Expect(err).NotTo(HaveOccurred(), "SOAK_DURATION")
	return d
}

// server is a running ade serve.
type server struct {
	base string
	cmd  *exec.Cmd
	done chan error
	log  string
}

func startServer(dbURL string) *server {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	logPath := filepath.Join(dir, "ade.log")
	logFile, err := os.Create(logPath)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(logFile.Close)
	cmd := exec.Command(adeBin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ADE_HTTP_ADDR="+addr, "ADE_DATA_DIR="+filepath.Join(dir, "data"), "ADE_DATABASE_URL="+dbURL,
		"ADE_BOOTSTRAP_ADMIN_KEY="+adminKey, "ADE_LOG_FORMAT=json", "ADE_RATE_LIMIT=1000000", "ADE_RATE_BURST=1000000",
		"ADE_MAX_CONCURRENT_UPLOADS=1000", "ADE_MAX_RUNNING_JOBS=1000", "ADE_SHUTDOWN_TIMEOUT=10s")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	Expect(cmd.Start()).To(Succeed())
	s := &server{base: "http://" + addr, cmd: cmd, done: make(chan error, 1), log: logPath}
	go func() { s.done <- cmd.Wait() }()
	DeferCleanup(func() { _ = cmd.Process.Kill() })
	Eventually(func() int {
		res, err := http.Get(s.base + "/health/ready")
		if err != nil {
			return 0
		}
		_ = res.Body.Close()
		return res.StatusCode
	}).WithTimeout(60*time.Second).WithPolling(100*time.Millisecond).Should(Equal(http.StatusOK), s.tail)
	return s
}

// tail is the end of the server's log, for failure messages.
func (s *server) tail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 8<<10 {
		b = b[len(b)-8<<10:]
	}
	return string(b)
}

// metrics reads the gauges the suite watches from /metrics.
func (s *server) metrics() map[string]float64 {
	GinkgoHelper()
	res, err := http.Get(s.base + "/metrics")
	Expect(err).NotTo(HaveOccurred())
	defer res.Body.Close()
	want := map[string]string{"go_goroutines": "goroutines", "process_open_fds": "open_fds",
		"go_memstats_heap_inuse_bytes": "heap_inuse", `go_sql_open_connections{db_name="ade"}`: "db_connections"}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if key := want[name]; ok && key != "" {
			out[key], err = strconv.ParseFloat(value, 64)
			Expect(err).NotTo(HaveOccurred())
		}
	}
	Expect(out).To(HaveLen(len(want)), "the gauges are exported")
	// The connection pool keeps idle database connections for minutes (a
	// bounded cache, ADE's own figure): the files that must come back are
	// the others.
	out["other_fds"] = out["open_fds"] - out["db_connections"]
	return out
}

// call sends one request and decodes a JSON answer.
func call(c *http.Client, method, url, contentType string, body []byte) (int, map[string]any, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	var m map[string]any
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(b) > 0 {
		_ = json.Unmarshal(b, &m)
	}
	return res.StatusCode, m, nil
}

func uploadBody(name string) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", name)
	fmt.Fprintf(fw, "first name,last name,email\nAvery,Smith,%s@example.com\n", strings.TrimSuffix(name, ".csv"))
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// tally is what one client was told.
type tally struct {
	uploaded, deleted, jobs, reads int
	unexpected                     []string
}

var _ = Describe("Soak on PostgreSQL", Label("soak"), func() {
	It("keeps the database equal to the successes clients saw, and comes back to its baseline of goroutines, files and memory", func() {
		dur := soakDuration()
		srv := startServer(pgtest.FreshSchema("soak"))
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
		st, m, err := call(client, http.MethodPost, srv.base+"/api/v1/workspaces", "application/json", []byte(`{"slug":"soak","name":"Soak"}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(st).To(Equal(http.StatusCreated), "%v", m)
		api := srv.base + "/api/v1/workspaces/soak"
		st, m, err = call(client, http.MethodPost, api+"/configurations", "application/json",
			[]byte(`{"document_type":"roster","title":"Roster","payload":{"extractor":"stub"}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(st).To(Equal(http.StatusCreated), "%v", m)
		cfg := m["configuration_id"].(string)

		// One client's traffic until the deadline: uploads, jobs on its
		// documents, reads, downloads, lists and deletes, in a fixed mix.
		run := func(w int, until time.Time, t *tally) {
			var mine []string
			expect := func(what string, got int, want ...int) bool {
				for _, s := range want {
					if got == s {
						return true
					}
				}
				t.unexpected = append(t.unexpected, fmt.Sprintf("%s: %d", what, got))
				return false
			}
			for i := 0; time.Now().Before(until); i++ {
				var (
					st  int
					m   map[string]any
					err error
				)
				switch {
				case i%4 == 0 || len(mine) == 0:
					body, ct := uploadBody(fmt.Sprintf("w%d-%d.csv", w, i))
					st, m, err = call(client, http.MethodPost, api+"/documents", ct, body)
					if err == nil && expect("upload", st, http.StatusCreated) {
						t.uploaded++
						mine = append(mine, m["document_id"].(string))
					}
				case i%4 == 1:
					doc := mine[len(mine)-1]
					st, _, err = call(client, http.MethodPost, api+"/jobs", "application/json",
						[]byte(`{"document_id":"`+doc+`","configuration_id":"`+cfg+`"}`))
					if err == nil && expect("job", st, http.StatusCreated) {
						t.jobs++
					}
				case i%12 == 2:
					doc := mine[0]
					st, _, err = call(client, http.MethodDelete, api+"/documents/"+doc, "", nil)
					if err == nil && expect("delete", st, http.StatusNoContent) {
						t.deleted++
						mine = mine[1:]
					}
				default:
					doc := mine[i%len(mine)]
					url := [...]string{api + "/documents/" + doc, api + "/documents/" + doc + "/download",
						api + "/documents?limit=20", api + "/jobs?limit=20"}[i%4]
					st, _, err = call(client, http.MethodGet, url, "", nil)
					if err == nil && expect("GET "+url, st, http.StatusOK) {
						t.reads++
					}
				}
				if err != nil {
					t.unexpected = append(t.unexpected, err.Error())
				}
			}
		}
		drive := func(d time.Duration) tally {
			until := time.Now().Add(d)
			tallies := make([]tally, workers)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() { run(w, until, &tallies[w]) })
			}
			wg.Wait()
			var sum tally
			for _, t := range tallies {
				sum.uploaded += t.uploaded
				sum.deleted += t.deleted
				sum.jobs += t.jobs
				sum.reads += t.reads
				sum.unexpected = append(sum.unexpected, t.unexpected...)
			}
			return sum
		}
		quiet := func() map[string]float64 {
			client.CloseIdleConnections()
			time.Sleep(time.Second)
			return srv.metrics()
		}

		// A short warm-up fills the pools and caches; then the baseline.
		warm := drive(2 * time.Second)
		base := quiet()
		soak := drive(dur)
		GinkgoWriter.Printf("soak of %s with %d clients: %d uploads, %d jobs, %d deletes, %d reads; baseline %v\n",
			dur, workers, soak.uploaded, soak.jobs, soak.deleted, soak.reads, base)
		Expect(soak.unexpected).To(BeEmpty(), srv.tail)
		Expect(soak.uploaded).To(BeNumerically(">", 0))

		// Back to the baseline once the traffic stops: the connections and
		// their goroutines are gone, no file is left open but the database
		// pool's (within its cap of 32), and the heap is not holding what
		// the soak allocated.
		Eventually(func() map[string]float64 { return quiet() }).WithTimeout(settle).Should(SatisfyAll(
			HaveKeyWithValue("goroutines", BeNumerically("<=", base["goroutines"]+2)),
			HaveKeyWithValue("other_fds", BeNumerically("<=", base["other_fds"]+2)),
			HaveKeyWithValue("db_connections", BeNumerically("<=", 32)),
			HaveKeyWithValue("heap_inuse", BeNumerically("<=", 2*base["heap_inuse"]+32<<20)),
		))
		GinkgoWriter.Printf("after the soak: %v\n", srv.metrics())

		// The database holds exactly what the clients were told.
		count := func(path string) int {
			n := 0
			for offset := 0; ; offset += 200 {
				st, m, err := call(client, http.MethodGet, fmt.Sprintf("%s?limit=200&offset=%d", path, offset), "", nil)
				Expect(err).NotTo(HaveOccurred())
				Expect(st).To(Equal(http.StatusOK))
				items := m["items"].([]any)
				n += len(items)
				if len(items) < 200 {
					return n
				}
			}
		}
		Expect(count(api+"/documents")).To(Equal(warm.uploaded+soak.uploaded-warm.deleted-soak.deleted), "documents")
		Expect(count(api+"/jobs")).To(Equal(warm.jobs+soak.jobs), "jobs")

		Expect(srv.cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		Eventually(srv.done).WithTimeout(30 * time.Second).Should(Receive(BeNil()))
	})
})
