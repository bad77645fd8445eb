package multiprocess_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/benchkit"
)

// Sizes of the flow.
const (
	okJobs     = 900 // stub jobs that succeed
	failJobs   = 100 // stub jobs that fail (and are delivered to webhooks)
	slowJobs   = 12  // tabular jobs on a roster of a few MB, with an output document each
	submitters = 16
	// leaseTTL is ADE_WORKER_LEASE_TTL in the flows.
	leaseTTL = 3 * time.Second
	// rescueDelay is how long a job lost with its worker may wait to be
	// started again: the lease TTL, a renewal and rescue pass (1 s) and a
	// fetch poll (1 s), plus scheduling slack on a loaded machine.
	rescueDelay = leaseTTL + 2*time.Second + 3*time.Second
	// flowTimeout bounds the wait for every job to end.
	flowTimeout = 3 * time.Minute
)

// deployment is one set of ade processes sharing storage.
type deployment struct {
	apis []*api
	db   *sql.DB
	pg   bool
	// killWorker kills a process with workers (`ade worker`, or `ade
	// serve` on SQLite) that is running some of the running jobs, and
	// returns when it is gone with the time and the jobs it was running;
	// restart starts it again.
	killWorker func(running []string) (time.Time, []string)
	restart    func()
	// blobs counts the objects in the blob store.
	blobs func() int
	// extraRestart is how long a restart of the killed process itself
	// takes before it can rescue anything (SQLite: the only process).
	extraRestart time.Duration
}

// ph is the dialect's n-th placeholder.
func (d *deployment) ph(n int) string {
	if d.pg {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

func (d *deployment) count(query string, args ...any) int {
	GinkgoHelper()
	var n int
	Expect(d.db.QueryRow(query, args...).Scan(&n)).To(Succeed(), query)
	return n
}

// fixtures are what the flow's jobs run on.
type fixtures struct {
	stubDoc, rosterDoc, bigRosterDoc string
	okCfg, failCfg, rosterCfg        string
}

func setUp(a *api) fixtures {
	GinkgoHelper()
	var small, roster, big bytes.Buffer
	small.WriteString("name,email\nAvery,avery@example.com\n")
	_, err := benchkit.WriteRosterCSV(&roster, 3<<20)
	Expect(err).NotTo(HaveOccurred())
	_, err = benchkit.WriteRosterCSV(&big, 12<<20)
	Expect(err).NotTo(HaveOccurred())
	return fixtures{
		stubDoc:      a.upload("members.csv", small.Bytes(), nil),
		rosterDoc:    a.upload("roster.csv", roster.Bytes(), nil),
		bigRosterDoc: a.upload("big-roster.csv", big.Bytes(), nil),
		okCfg:        a.configure("members", map[string]any{"extractor": "stub"}),
		failCfg:      a.configure("broken", map[string]any{"extractor": "stub", "fail": "the source refused"}),
		rosterCfg:    a.configure("roster", benchkit.RosterPayload()),
	}
}

// hookReceiver verifies and counts webhook deliveries; it answers 500 to
// the first attempt of every event, 200 afterwards.
type hookReceiver struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	byID   map[string][]int // event id -> statuses answered
	bad    []string
}

func newHookReceiver() *hookReceiver {
	r := &hookReceiver{byID: map[string][]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if !validSignature(req.Header.Get("ADE-Signature"), r.secret, body) {
			r.bad = append(r.bad, req.Header.Get("ADE-Event-ID"))
			w.WriteHeader(400)
			return
		}
		var ev map[string]any
		_ = json.Unmarshal(body, &ev)
		id, _ := ev["event_id"].(string)
		status := 200
		if len(r.byID[id]) == 0 {
			status = 500
		}
		r.byID[id] = append(r.byID[id], status)
		w.WriteHeader(status)
	}))
	DeferCleanup(r.Close)
	return r
}

func validSignature(sig, secret string, body []byte) bool {
	t, v1, ok := strings.Cut(sig, ",")
	if !ok || !strings.HasPrefix(t, "t=") || !strings.HasPrefix(v1, "v1=") {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.TrimPrefix(t, "t=") + "." + string(body)))
	return hmac.Equal([]byte(strings.TrimPrefix(v1, "v1=")), []byte(hex.EncodeToString(mac.Sum(nil))))
}

// registerHooks registers the counting receiver and a dead one for
// job.status.failed.
func registerHooks(a *api, r *hookReceiver) (live, dead string) {
	GinkgoHelper()
	status, m := a.postJSON(a.ws+"/webhooks", map[string]any{"url": r.URL + "/ade", "events": []string{"job.status.failed"}}, nil)
	Expect(status).To(Equal(201), "%v", m)
	r.mu.Lock()
	r.secret = m["secret"].(string)
	r.mu.Unlock()
	live = m["webhook_id"].(string)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	deadURL := "http://" + ln.Addr().String() + "/down"
	Expect(ln.Close()).To(Succeed())
	status, m = a.postJSON(a.ws+"/webhooks", map[string]any{"url": deadURL, "events": []string{"job.status.failed"}}, nil)
	Expect(status).To(Equal(201), "%v", m)
	return live, m["webhook_id"].(string)
}

// submitted are the jobs of the flow by kind.
type submitted struct {
	ok, fail, slow []string
}

func (s submitted) all() []string {
	return append(append(append([]string{}, s.ok...), s.fail...), s.slow...)
}

// submitAll submits the stub jobs from several goroutines, then the slow
// jobs, spreading every kind over the API processes.
func submitAll(d *deployment, fx fixtures) submitted {
	GinkgoHelper()
	var s submitted
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range submitters {
		wg.Go(func() {
			defer GinkgoRecover()
			a := d.apis[g%len(d.apis)]
			for i := g; i < okJobs+failJobs; i += submitters {
				if i < okJobs {
					id := a.submitAsync(fx.stubDoc, fx.okCfg)
					mu.Lock()
					s.ok = append(s.ok, id)
					mu.Unlock()
				} else {
					id := a.submitAsync(fx.stubDoc, fx.failCfg)
					mu.Lock()
					s.fail = append(s.fail, id)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for i := range slowJobs {
		s.slow = append(s.slow, d.apis[i%len(d.apis)].submitAsync(fx.rosterDoc, fx.rosterCfg))
	}
	Expect(s.ok).To(HaveLen(okJobs))
	Expect(s.fail).To(HaveLen(failJobs))
	return s
}

// runningSlow returns the slow jobs running now.
func runningSlow(d *deployment) []string {
	rows, err := d.db.Query("SELECT id FROM jobs WHERE status = 'running' AND document_type = 'roster'")
	if err != nil {
		return nil
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// stillRunning returns those of ids whose job is running.
func stillRunning(d *deployment, ids []string) []string {
	GinkgoHelper()
	var out []string
	for _, id := range ids {
		if d.count("SELECT count(*) FROM jobs WHERE status = 'running' AND id = "+d.ph(1), id) == 1 {
			out = append(out, id)
		}
	}
	return out
}

// runFlow is the whole flow: submit, kill a worker while it runs a slow
// job, restart it, wait for every job to end, check the invariants.
func runFlow(d *deployment, fx fixtures, hooks *hookReceiver, liveHook, deadHook string) {
	started := time.Now()
	s := submitAll(d, fx)
	GinkgoWriter.Printf("submitted %d jobs in %s\n", len(s.all()), time.Since(started).Round(time.Millisecond))

	var (
		interrupted []string
		killed      time.Time
	)
	Eventually(func() []string {
		running := runningSlow(d)
		if len(running) == 0 {
			return nil
		}
		at, candidates := d.killWorker(running)
		if len(candidates) == 0 {
			return nil
		}
		// A job listed running a moment before the kill may have ended in
		// between: the interrupted jobs are those still running now that
		// their process is gone (nothing else can start them before their
		// lease expires).
		killed, interrupted = at, stillRunning(d, candidates)
		if len(interrupted) == 0 {
			GinkgoWriter.Printf("the killed process's slow jobs %v had ended before the kill: restarting it and trying again\n", candidates)
			d.restart()
		}
		return interrupted
	}, 60*time.Second, 20*time.Millisecond).ShouldNot(BeEmpty(), "a worker was killed while running a slow job")
	GinkgoWriter.Printf("killed a worker at %s with slow jobs %v running\n", killed.Sub(started).Round(time.Millisecond), interrupted)
	time.Sleep(time.Second)
	d.restart()

	ctx, cancel := context.WithTimeout(context.Background(), flowTimeout)
	defer cancel()
	Expect(eventually(ctx, func() error {
		if n := d.count("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')"); n > 0 {
			return fmt.Errorf("%d jobs not ended", n)
		}
		return nil
	})).To(Succeed())
	elapsed := time.Since(started)
	GinkgoWriter.Printf("every job ended %s after the first submission (%.0f jobs/s)\n", elapsed.Round(time.Millisecond), float64(len(s.all()))/elapsed.Seconds())

	By("every job ended as its configuration says")
	in := func(ids []string) string { return "('" + strings.Join(ids, "','") + "')" }
	Expect(d.count("SELECT count(*) FROM jobs WHERE status = 'succeeded' AND id IN " + in(s.ok))).To(Equal(okJobs))
	Expect(d.count("SELECT count(*) FROM jobs WHERE status = 'failed' AND error_code = 'stub_failure' AND id IN " + in(s.fail))).To(Equal(failJobs))
	Expect(d.count("SELECT count(*) FROM jobs WHERE status = 'succeeded' AND id IN " + in(s.slow))).To(Equal(slowJobs))

	By("each job has exactly one terminal event")
	terminal := "('job.status.succeeded', 'job.status.failed', 'job.status.cancelled')"
	Expect(d.count("SELECT count(*) FROM events WHERE event_type IN " + terminal + " AND entity_id IN " + in(s.all()))).To(Equal(len(s.all())))
	Expect(d.count("SELECT count(*) FROM (SELECT entity_id FROM events WHERE event_type IN " + terminal +
		" GROUP BY entity_id HAVING count(*) <> 1) AS dup")).To(BeZero())

	By("no table or output document is duplicated, and no blob is left behind")
	Expect(d.count("SELECT count(*) FROM extracted_tables WHERE job_id IN " + in(s.ok))).To(Equal(okJobs))
	Expect(d.count("SELECT count(*) FROM (SELECT job_id FROM extracted_tables GROUP BY job_id, sequence_index HAVING count(*) > 1) AS dup")).To(BeZero())
	Expect(d.count("SELECT count(*) FROM documents WHERE produced_by_job_id IN " + in(s.slow))).To(Equal(slowJobs))
	Expect(d.count("SELECT count(*) FROM extracted_tables WHERE job_id IN " + in(s.slow))).To(Equal(slowJobs))
	Expect(d.count("SELECT count(*) FROM documents WHERE produced_by_job_id IN " + in(s.ok))).To(BeZero())
	docs := d.count("SELECT count(*) FROM documents WHERE deleted_at IS NULL")
	Eventually(d.blobs, 10*time.Second).Should(Equal(docs), "one blob per document: the lost attempts' outputs were removed")

	By("the interrupted jobs started again within the rescue delay, counting the attempt")
	restarted := 0
	for _, id := range interrupted {
		var attempts int
		Expect(d.db.QueryRow("SELECT attempts FROM jobs WHERE id = "+d.ph(1), id).Scan(&attempts)).To(Succeed())
		Expect(attempts).To(BeNumerically(">=", 2), "job %s was running in the killed process", id)
		restarted++
	}
	var restarts []time.Time
	rows, err := d.db.Query("SELECT occurred_at FROM events WHERE event_type = 'job.status.running' AND entity_id IN " + in(interrupted) + " ORDER BY occurred_at")
	Expect(err).NotTo(HaveOccurred())
	for rows.Next() {
		var at timeValue
		Expect(rows.Scan(&at)).To(Succeed())
		if at.After(killed) {
			restarts = append(restarts, at.Time)
		}
	}
	Expect(rows.Close()).To(Succeed())
	Expect(restarts).To(HaveLen(restarted))
	limit := rescueDelay + d.extraRestart
	for _, at := range restarts {
		GinkgoWriter.Printf("a lost job started again %s after the kill\n", at.Sub(killed).Round(time.Millisecond))
		Expect(at.Sub(killed)).To(BeNumerically("<=", limit), "picked up within the rescue delay")
	}

	By("webhooks: every failure delivered and verified, retried after a 5xx; the dead receiver's deliveries given up")
	Eventually(func() int {
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		ok := 0
		for _, st := range hooks.byID {
			if len(st) >= 2 && st[0] == 500 && st[len(st)-1] == 200 {
				ok++
			}
		}
		return ok
	}, 60*time.Second, 100*time.Millisecond).Should(Equal(failJobs))
	hooks.mu.Lock()
	Expect(hooks.bad).To(BeEmpty(), "every signature verifies")
	hooks.mu.Unlock()
	_, log := d.apis[1].get(d.apis[1].ws + "/webhooks/" + liveHook + "/deliveries?limit=200")
	Expect(log["items"]).NotTo(BeEmpty())
	Eventually(func() int {
		return d.count("SELECT count(*) FROM river_job WHERE kind = 'ade.deliver_webhook' AND state IN ('available', 'scheduled', 'retryable', 'running')")
	}, 60*time.Second, 200*time.Millisecond).Should(BeZero(), "every delivery ended: delivered, or given up after its attempts")
	// A delivery running when its process was killed may have posted
	// without logging it; it is retried, so an event's attempts to the
	// dead receiver number its allowed attempts, or one less.
	Expect(d.count("SELECT count(DISTINCT event_id) FROM webhook_deliveries WHERE webhook_id = "+d.ph(1), deadHook)).To(Equal(failJobs))
	Expect(d.count("SELECT count(*) FROM (SELECT event_id FROM webhook_deliveries WHERE webhook_id = "+d.ph(1)+
		" GROUP BY event_id HAVING count(*) > "+d.ph(2)+" OR count(*) < "+d.ph(3)+") AS odd", deadHook, webhookAttempts, webhookAttempts-1)).To(BeZero())
	Expect(d.count("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = "+d.ph(1)+" AND status_code <> 0", deadHook)).To(BeZero())
}

// webhookAttempts is ADE_WEBHOOK_MAX_ATTEMPTS in the flows.
const webhookAttempts = 3

// timeValue scans a timestamp from PostgreSQL (time.Time) or SQLite
// (fixed-width UTC text).
type timeValue struct{ time.Time }

func (t *timeValue) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return fmt.Errorf("scan time: %T", src)
}

func (t *timeValue) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	t.Time = v
	return err
}
