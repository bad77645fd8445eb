package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// cluster is a PostgreSQL cluster of the spec's own, in a temporary
// directory on a port of its own, that the spec stops and starts: the
// shared server is never touched.
type cluster struct {
	bin, dir, port string
	// as runs a PostgreSQL tool as the user that owns the cluster
	// (postgres when the suite runs as root: initdb refuses root).
	as func(name string, args ...string) *exec.Cmd
}

// newCluster creates and starts a throw-away cluster, stopped and removed
// when the spec's cleanup runs. Without the PostgreSQL server programs it
// skips, or fails under CI=true.
func newCluster() *cluster {
	GinkgoHelper()
	bin := ""
	if p, err := exec.LookPath("initdb"); err == nil {
		bin = filepath.Dir(p)
	} else if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) > 0 {
		bin = filepath.Dir(m[len(m)-1])
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			Fail("initdb not found: the PostgreSQL stop suite needs the PostgreSQL server programs")
		}
		Skip("initdb not found")
	}
	dir, err := os.MkdirTemp("", "ade-pgstop-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	Expect(os.Chmod(dir, 0o755)).To(Succeed())
	c := &cluster{bin: bin, dir: dir, port: freePort()}
	c.as = func(name string, args ...string) *exec.Cmd {
		return exec.Command(filepath.Join(bin, name), args...)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		Expect(err).NotTo(HaveOccurred(), "running as root needs a postgres user to own the cluster")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		Expect(os.Chown(dir, uid, gid)).To(Succeed())
		c.as = func(name string, args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
	}
	c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "ade", "--no-sync", "-E", "UTF8")
	c.start()
	DeferCleanup(func() { _ = c.as("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop").Run() })
	return c
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) run(name string, args ...string) {
	GinkgoHelper()
	out, err := c.as(name, args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s %v:\n%s", name, args, out)
}

func (c *cluster) start() {
	GinkgoHelper()
	c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "30",
		"-o", "-p "+c.port+" -k "+c.dir+" -c listen_addresses=127.0.0.1 -c fsync=off", "start")
}

// stop shuts the cluster down the way an operator (or a failover) does:
// open sessions are terminated.
func (c *cluster) stop() {
	GinkgoHelper()
	c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop")
}

func (c *cluster) url() string {
	return "postgres://ade@127.0.0.1:" + c.port + "/postgres?sslmode=disable"
}

func freePort() string {
	GinkgoHelper()
	addr := freeAddr()
	return addr[len("127.0.0.1:"):]
}

// PostgreSQL stops under load and comes back: every request in between
// is answered in time, and 503 with Retry-After when it needs the
// database; readiness goes red and green again; afterwards the server
// serves without a restart, and the documents it holds are exactly the
// uploads it answered 201.
var _ = Describe("PostgreSQL stopped under load", Label("fault"), func() {
	It("answers 503 with Retry-After, never hangs, turns readiness red, and recovers fully", func() {
		pg := newCluster()
		srv := startServer(sqliteFiles(), serverOptions{env: map[string]string{"ADE_DATABASE_URL": pg.url()}})
		api := "/api/v1/workspaces/default"

		type outcome struct {
			status  int
			retry   string
			elapsed time.Duration
			err     error
		}
		var (
			mu       sync.Mutex
			outcomes []outcome
			created  atomic.Int64
			stopLoad = make(chan struct{})
			wg       sync.WaitGroup
		)
		raw := &http.Client{Timeout: 15 * time.Second}
		body, ct := multipartBody(&filePart{name: "r.csv", contentType: "text/csv", data: []byte(rosterCSV)})
		for w := range 6 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stopLoad:
						return
					default:
					}
					var req *http.Request
					if (w+i)%2 == 0 {
						req, _ = http.NewRequest(http.MethodPost, srv.base+api+"/documents", bytes.NewReader(body))
						req.Header.Set("Content-Type", ct)
					} else {
						req, _ = http.NewRequest(http.MethodGet, srv.base+api+"/documents?limit=5", nil)
					}
					req.Header.Set("Authorization", "Bearer "+adminKey)
					start := time.Now()
					res, err := raw.Do(req)
					o := outcome{elapsed: time.Since(start), err: err}
					if err == nil {
						o.status, o.retry = res.StatusCode, res.Header.Get("Retry-After")
						_ = res.Body.Close()
						if o.status == http.StatusCreated {
							created.Add(1)
						}
					}
					mu.Lock()
					outcomes = append(outcomes, o)
					mu.Unlock()
					if o.status != http.StatusOK && o.status != http.StatusCreated {
						time.Sleep(20 * time.Millisecond)
					}
				}
			})
		}
		ready := func() int {
			res, err := http.Get(srv.base + "/health/ready")
			if err != nil {
				return 0
			}
			_ = res.Body.Close()
			return res.StatusCode
		}

		time.Sleep(time.Second)
		pg.stop()
		Eventually(ready).WithTimeout(10 * time.Second).Should(Equal(http.StatusServiceUnavailable))
		time.Sleep(2 * time.Second)
		pg.start()
		Eventually(ready).WithTimeout(30 * time.Second).Should(Equal(http.StatusOK))
		time.Sleep(time.Second)
		close(stopLoad)
		wg.Wait()

		counts := map[string]int{}
		for _, o := range outcomes {
			Expect(o.err).NotTo(HaveOccurred(), "no request may hang or be dropped")
			Expect(o.elapsed).To(BeNumerically("<", 10*time.Second), "answered in time")
			switch o.status {
			case http.StatusOK, http.StatusCreated:
			case http.StatusServiceUnavailable:
				Expect(o.retry).NotTo(BeEmpty(), "a 503 says when to retry")
			default:
				Fail(fmt.Sprintf("status %d during the outage\n%s", o.status, srv.output()))
			}
			counts[strconv.Itoa(o.status)]++
		}
		GinkgoWriter.Printf("outcomes by status: %v\n", counts)
		Expect(counts["503"]).To(BeNumerically(">", 0), "the load met the outage")
		Expect(counts["201"]).To(BeNumerically(">", 0))

		// Full recovery: writes work again, and the database holds exactly
		// the uploads answered 201.
		srv.upload("default", &filePart{name: "after.csv", contentType: "text/csv", data: []byte(rosterCSV)}).expect(http.StatusCreated)
		total := 0
		for offset := 0; ; offset += 200 {
			page := srv.get(fmt.Sprintf("%s/documents?limit=200&offset=%d", api, offset)).Items()
			total += len(page)
			if len(page) < 200 {
				break
			}
		}
		Expect(total).To(Equal(int(created.Load()) + 1))
		Expect(srv.blobKeys()).To(HaveLen(total), "no bytes without their document")
	})
})
