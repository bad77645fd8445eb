package multiprocess_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/pgtest"
)

// freshSchema creates a schema of its own in the database of
// ADE_TEST_DATABASE_URL, dropped at cleanup, and returns a URL whose
// search_path is that schema.
func freshSchema() string {
	GinkgoHelper()
	u, err := url.Parse(pgtest.FreshSchema("mp"))
	Expect(err).NotTo(HaveOccurred())
	q := u.Query()
	// synchronous_commit=off (a session setting) spares every commit its
	// flush to disk: what this suite checks is ADE processes dying, not
	// PostgreSQL; on a shared disk the flushes would make it crawl.
	q.Set("options", q.Get("options")+" -csynchronous_commit=off")
	// pgx reads %20, not +, as a space (Encode escapes a + itself).
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}

var _ = Describe("two API processes and two workers on PostgreSQL + S3", Ordered, func() {
	AfterAll(stopAll)

	var (
		d       *deployment
		fx      fixtures
		hooks   *hookReceiver
		live    string
		dead    string
		env     map[string]string
		workers []*proc
		wmu     sync.Mutex
	)

	startWorker := func(i int) *proc {
		w := run(fmt.Sprintf("worker-%d", i), env, "worker")
		w.waitFor("queue ready")
		return w
	}

	BeforeAll(func() {
		dbURL := freshSchema()
		backend := s3mem.New()
		s3 := httptest.NewServer(gofakes3.New(backend).Server())
		DeferCleanup(s3.Close)
		Expect(backend.CreateBucket("ade-mp")).To(Succeed())
		q := url.Values{}
		q.Set("endpoint", s3.URL)
		q.Set("region", "us-east-1")
		q.Set("use_path_style", "true")
		q.Set("request_checksum_calculation", "when_required")
		q.Set("response_checksum_validation", "when_required")
		env = map[string]string{
			"ADE_DATABASE_URL": dbURL, "ADE_BLOB_URL": "s3://ade-mp?" + q.Encode(),
			"AWS_ACCESS_KEY_ID": "mp", "AWS_SECRET_ACCESS_KEY": "mp-secret",
			"ADE_DATA_DIR": GinkgoT().TempDir(), "ADE_LOG_FORMAT": "json", "ADE_SHUTDOWN_TIMEOUT": "5s",
			"ADE_BOOTSTRAP_ADMIN_KEY": adminKey, "ADE_WORKER_LEASE_TTL": leaseTTL.String(),
			// The flows submit as fast as they can with one key.
			"ADE_RATE_LIMIT": "1000000", "ADE_RATE_BURST": "1000000",
			"ADE_WEBHOOK_ALLOW_PRIVATE": "true", "ADE_WEBHOOK_BACKOFF": "200ms",
			"ADE_WEBHOOK_MAX_ATTEMPTS": strconv.Itoa(webhookAttempts), "ADE_PURGE_INTERVAL": "2s",
		}
		sqldb, err := sql.Open("pgx", dbURL)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sqldb.Close)

		d = &deployment{db: sqldb, pg: true}
		// Two API processes start at once, migrating the same schema.
		var apis []*api
		for i := range 2 {
			addr := freeAddr()
			e := map[string]string{"ADE_HTTP_ADDR": addr, "ADE_WORKERS": "0"}
			for k, v := range env {
				e[k] = v
			}
			run(fmt.Sprintf("api-%d", i), e, "serve")
			apis = append(apis, newAPI(addr))
		}
		for _, a := range apis {
			a.waitReady()
		}
		d.apis = apis
		d.blobs = func() int {
			res, err := backend.ListBucket("ade-mp", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
			Expect(err).NotTo(HaveOccurred())
			return len(res.Contents)
		}
		d.killWorker = func(running []string) (time.Time, []string) {
			wmu.Lock()
			defer wmu.Unlock()
			for i, w := range workers {
				mark := "-" + strconv.Itoa(w.cmd.Process.Pid) + "-"
				rows, err := sqldb.Query(`SELECT args->>'job_id' FROM river_job WHERE kind = 'ade.run_job' AND state = 'running'
					AND attempted_by[array_length(attempted_by, 1)] LIKE '%' || $1 || '%' AND args->>'job_id' = ANY($2)`, mark, running)
				Expect(err).NotTo(HaveOccurred())
				var mine []string
				for rows.Next() {
					var id string
					Expect(rows.Scan(&id)).To(Succeed())
					mine = append(mine, id)
				}
				Expect(rows.Close()).To(Succeed())
				if len(mine) == 0 {
					continue
				}
				w.kill()
				killedAt := time.Now()
				d.restart = func() {
					wmu.Lock()
					defer wmu.Unlock()
					workers[i] = startWorker(i)
				}
				return killedAt, mine
			}
			return time.Time{}, nil
		}
		fx = setUp(apis[0])
		hooks = newHookReceiver()
		live, dead = registerHooks(apis[1], hooks)
	})

	It("cancels a pending job through another API process before any worker takes it", func() {
		id := d.apis[0].submitAsync(fx.stubDoc, fx.okCfg)
		status, j := d.apis[1].postJSON(d.apis[1].ws+"/jobs/"+id+"/cancel", nil, nil)
		Expect(status).To(Equal(200), "%v", j)
		Expect(j["status"]).To(Equal("cancelled"))
		status, _ = d.apis[0].postJSON(d.apis[0].ws+"/jobs/"+id+"/cancel", nil, nil)
		Expect(status).To(Equal(409))
	})

	It("answers an Idempotency-Key the same from every API process, and 409 for another body", func() {
		body := map[string]any{"document_id": fx.stubDoc, "configuration_id": fx.okCfg}
		async := map[string]string{"Prefer": "respond-async", "Idempotency-Key": "mp-order-1"}
		var wg sync.WaitGroup
		ids := make(chan string, 20)
		for i := range 20 {
			wg.Go(func() {
				defer GinkgoRecover()
				status, j := d.apis[i%2].postJSON(d.apis[i%2].ws+"/jobs", body, async)
				Expect(status).To(Equal(202), "%v", j)
				ids <- j["job_id"].(string)
			})
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		Expect(seen).To(HaveLen(1), "one job for the key")
		other := map[string]any{"document_id": fx.stubDoc, "configuration_id": fx.failCfg}
		status, p := d.apis[1].postJSON(d.apis[1].ws+"/jobs", other, async)
		Expect(status).To(Equal(409))
		Expect(p["code"]).To(Equal("conflict"))
	})

	It("runs a thousand jobs submitted through both APIs on two workers, one killed mid-run and restarted", func() {
		wmu.Lock()
		workers = []*proc{startWorker(0), startWorker(1)}
		wmu.Unlock()
		runFlow(d, fx, hooks, live, dead)
	})

	It("cancels a running job on whichever worker runs it, through either API", func() {
		for attempt := 0; ; attempt++ {
			id := d.apis[0].submitAsync(fx.bigRosterDoc, fx.rosterCfg)
			Eventually(func() any { _, j := d.apis[1].get(d.apis[1].ws + "/jobs/" + id); return j["status"] }, 30*time.Second, 10*time.Millisecond).
				Should(Equal("running"))
			status, j := d.apis[1].postJSON(d.apis[1].ws+"/jobs/"+id+"/cancel", nil, nil)
			if status == 409 && attempt < 3 {
				continue // it ended first: try again
			}
			Expect(status).To(Equal(200), "%v", j)
			Expect(j["status"]).To(Equal("cancelled"))
			time.Sleep(2 * time.Second) // the worker stops and discards
			_, got := d.apis[0].get(d.apis[0].ws + "/jobs/" + id)
			Expect(got["status"]).To(Equal("cancelled"))
			Expect(d.count("SELECT count(*) FROM events WHERE entity_id = $1 AND event_type LIKE 'job.status.%' AND event_type <> 'job.status.running'", id)).To(Equal(1))
			Expect(d.count("SELECT count(*) FROM extracted_tables WHERE job_id = $1", id)).To(BeZero())
			Expect(d.count("SELECT count(*) FROM documents WHERE produced_by_job_id = $1", id)).To(BeZero())
			docs := d.count("SELECT count(*) FROM documents WHERE deleted_at IS NULL")
			Eventually(d.blobs, 10*time.Second).Should(Equal(docs), "the cancelled run's output was discarded")
			return
		}
	})

	It("purges an expired document once, from the periodic maintenance of one worker", func() {
		expires := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
		id := d.apis[0].upload("short-lived.csv", []byte("a\n1\n"), map[string]string{"expires_at": expires})
		Eventually(func() int { s, _ := d.apis[1].get(d.apis[1].ws + "/documents/" + id); return s }, 20*time.Second, 200*time.Millisecond).
			Should(Equal(http.StatusNotFound))
		Consistently(func() int {
			return d.count("SELECT count(*) FROM events WHERE entity_id = $1 AND event_type = 'document.purged'", id)
		}, 5*time.Second, 500*time.Millisecond).Should(Equal(1), "one runner across the processes")
		docs := d.count("SELECT count(*) FROM documents WHERE deleted_at IS NULL")
		Eventually(d.blobs, 10*time.Second).Should(Equal(docs))
	})
})
