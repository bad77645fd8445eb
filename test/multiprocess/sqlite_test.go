package multiprocess_test

import (
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/uptrace/bun/driver/sqliteshim"
)

var _ = Describe("the embedded default: one ade serve with in-process workers on SQLite + files", Ordered, func() {
	AfterAll(stopAll)

	var (
		d       *deployment
		fx      fixtures
		hooks   *hookReceiver
		live    string
		dead    string
		env     map[string]string
		dataDir string
		server  *proc
		a       *api
	)

	start := func() {
		server = run("serve", env, "serve")
		a.waitReady()
	}

	BeforeAll(func() {
		dataDir = GinkgoT().TempDir()
		addr := freeAddr()
		env = map[string]string{
			"ADE_HTTP_ADDR": addr, "ADE_DATA_DIR": dataDir, "ADE_LOG_FORMAT": "json", "ADE_SHUTDOWN_TIMEOUT": "5s",
			"ADE_BOOTSTRAP_ADMIN_KEY": adminKey, "ADE_WORKER_LEASE_TTL": leaseTTL.String(),
			// The flows submit as fast as they can with one key.
			"ADE_RATE_LIMIT": "1000000", "ADE_RATE_BURST": "1000000",
			"ADE_WEBHOOK_ALLOW_PRIVATE": "true", "ADE_WEBHOOK_BACKOFF": "200ms",
			"ADE_WEBHOOK_MAX_ATTEMPTS": strconv.Itoa(webhookAttempts),
			// The manual purge below must find the document still there.
			"ADE_PURGE_INTERVAL": "1h",
		}
		a = newAPI(addr)
		start()
		db, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dataDir, "ade.db")+"?_pragma=busy_timeout(10000)&mode=ro")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(db.Close)
		d = &deployment{apis: []*api{a, a}, db: db}
		d.blobs = func() int {
			n := 0
			err := filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(path string, e fs.DirEntry, err error) error {
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						return nil
					}
					return err
				}
				if !e.IsDir() && !strings.HasSuffix(e.Name(), ".tmp") {
					n++
				}
				return nil
			})
			Expect(err).NotTo(HaveOccurred())
			return n
		}
		d.killWorker = func(running []string) (time.Time, []string) {
			server.kill()
			return time.Now(), running
		}
		d.restart = start
		// The process restarts before anything can rescue its jobs: its
		// own lease must first expire.
		d.extraRestart = 3 * time.Second
		fx = setUp(a)
		hooks = newHookReceiver()
		live, dead = registerHooks(a, hooks)
	})

	It("runs a thousand jobs with in-process workers, the process killed mid-run and restarted", func() {
		runFlow(d, fx, hooks, live, dead)
	})

	It("purges expired documents on demand with ade purge, after a dry run that changes nothing", func() {
		expires := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
		id := a.upload("short-lived.csv", []byte("a\n1\n"), map[string]string{"expires_at": expires})
		time.Sleep(2500 * time.Millisecond)

		dry := run("purge --dry-run", env, "purge", "--dry-run")
		Eventually(dry.done, 60*time.Second).Should(BeClosed())
		Expect(dry.err).NotTo(HaveOccurred(), dry.out.String())
		Expect(dry.out.String()).To(ContainSubstring("would purge document " + id))
		Expect(dry.out.String()).To(ContainSubstring("dry run: 1 expired document would be purged; nothing was changed"))
		status, _ := a.get(a.ws + "/documents/" + id)
		Expect(status).To(Equal(200), "the dry run changed nothing")

		purge := run("purge", env, "purge")
		Eventually(purge.done, 60*time.Second).Should(BeClosed())
		Expect(purge.err).NotTo(HaveOccurred(), purge.out.String())
		Expect(purge.out.String()).To(ContainSubstring("purged document " + id))
		Expect(purge.out.String()).To(MatchRegexp(`purged 1 expired document, ended 0 stale jobs, deleted \d+ expired idempotency keys? and \d+ old webhook deliver`))
		status, _ = a.get(a.ws + "/documents/" + id)
		Expect(status).To(Equal(404))
		Expect(d.count("SELECT count(*) FROM events WHERE entity_id = ? AND event_type = 'document.purged'", id)).To(Equal(1))

		again := run("purge again", env, "purge")
		Eventually(again.done, 60*time.Second).Should(BeClosed())
		Expect(again.out.String()).To(ContainSubstring("purged 0 expired documents"))
	})
})
