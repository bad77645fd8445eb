package queue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/contract/queuecontract"
)

func TestQueues(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Queue contract suite")
}

var _ = queuecontract.DescribeQueue("memory", func() queuecontract.Harness {
	store := memory.New()
	q := memory.NewQueue(store, memory.QueueOptions{Workers: 4, Policies: queuecontract.Policies})
	return queuecontract.Harness{Repos: store.Repositories(), Queue: q, Workers: 4, Start: func(h ports.TaskHandler) {
		q.Start(h)
		DeferCleanup(q.Stop)
	}, Second: func() ports.Queue { return memory.NewQueue(store, memory.QueueOptions{}) }}
})

var _ = queuecontract.DescribeQueue("River on SQLite", func() queuecontract.Harness {
	ctx := context.Background()
	db, err := bunstore.Open(ctx, "sqlite:"+filepath.Join(GinkgoT().TempDir(), "ade.db"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	Expect(db.Migrate(ctx)).To(Succeed())
	Expect(riverqueue.Migrate(ctx, db)).To(Succeed())
	return riverHarness(db)
})

var _ = queuecontract.DescribeQueue("River on PostgreSQL", func() queuecontract.Harness {
	ctx := context.Background()
	db, err := bunstore.Open(ctx, postgresSchema())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	_, err = db.SQL().ExecContext(ctx, "TRUNCATE river_job, river_leader, ade_queue_workers, workspaces CASCADE")
	Expect(err).NotTo(HaveOccurred())
	return riverHarness(db)
})

var _ = queuecontract.DescribeWakeUp("River on PostgreSQL", func() queuecontract.Harness {
	ctx := context.Background()
	db, err := bunstore.Open(ctx, postgresSchema())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	return riverHarnessPolling(db, 30*time.Second)
})

func riverHarness(db *bunstore.DB) queuecontract.Harness {
	return riverHarnessPolling(db, 200*time.Millisecond)
}

// riverHarnessPolling is a River queue on db whose workers look for
// tasks every poll when nothing wakes them.
func riverHarnessPolling(db *bunstore.DB, poll time.Duration) queuecontract.Harness {
	q, err := riverqueue.Open(context.Background(), db, riverqueue.Config{
		Workers: 4, WebhookWorkers: 2, Policies: queuecontract.Policies, FetchPollInterval: poll,
		Logger: slog.New(slog.NewTextHandler(GinkgoWriter, nil)),
	})
	Expect(err).NotTo(HaveOccurred())
	started := false
	DeferCleanup(func() {
		if !started {
			Expect(q.Stop(context.Background())).To(Succeed())
		}
	})
	second := func() ports.Queue {
		q, err := riverqueue.Open(context.Background(), db, riverqueue.Config{Policies: queuecontract.Policies})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(q.Stop(context.Background())).To(Succeed()) })
		return q
	}
	return queuecontract.Harness{Repos: db.Repositories(), Queue: q, Workers: 4, Second: second, Start: func(h ports.TaskHandler) {
		Expect(q.Start(context.Background(), h)).To(Succeed())
		started = true
		DeferCleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			Expect(q.Stop(ctx)).To(Succeed())
		})
	}}
}

var (
	schemaOnce sync.Once
	schemaURL  string
)

// postgresSchema returns the URL of a schema of the database at
// ADE_TEST_DATABASE_URL made for this run (migrated once, dropped after
// the suite).
func postgresSchema() string {
	GinkgoHelper()
	admin := os.Getenv("ADE_TEST_DATABASE_URL")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			Fail("ADE_TEST_DATABASE_URL is empty but CI=true: the PostgreSQL queue specs must run in CI")
		}
		Skip("ADE_TEST_DATABASE_URL is not set: skipping the PostgreSQL queue specs")
	}
	schemaOnce.Do(func() {
		ctx := context.Background()
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "ade_queue_" + hex.EncodeToString(b)
		conn, err := pgx.Connect(ctx, admin)
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
		Expect(err).NotTo(HaveOccurred())
		u, err := url.Parse(admin)
		Expect(err).NotTo(HaveOccurred())
		q := u.Query()
		q.Set("options", "-csearch_path="+schema)
		u.RawQuery = q.Encode()
		schemaURL = u.String()
		db, err := bunstore.Open(ctx, schemaURL)
		Expect(err).NotTo(HaveOccurred())
		defer db.Close()
		Expect(db.Migrate(ctx)).To(Succeed())
		Expect(riverqueue.Migrate(ctx, db)).To(Succeed())
		dropSchema = func() {
			conn, err := pgx.Connect(context.Background(), admin)
			Expect(err).NotTo(HaveOccurred())
			defer conn.Close(context.Background())
			_, err = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			Expect(err).NotTo(HaveOccurred())
		}
	})
	return schemaURL
}

var dropSchema = func() {}

var _ = AfterSuite(func() { dropSchema() })
