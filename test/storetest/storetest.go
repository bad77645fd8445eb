// Package storetest opens each storage backend ADE runs on (the in-memory
// store, SQLite and PostgreSQL) fresh and migrated for one Ginkgo spec, so
// suites above the repositories (use cases, HTTP, faults) can run the same
// specs on all of them. The in-memory store serialises every transaction;
// only the SQL backends show real races and real column limits.
package storetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/pgtest"
)

// Store is an opened backend.
type Store struct {
	// Repos are the backend's repositories.
	Repos ports.Repositories
	// SQL is the database under the repositories, for specs that plant
	// rows the repositories would refuse; nil for the in-memory store.
	SQL *sql.DB
	// Dialect is "memory", "sqlite" or "pg".
	Dialect string
	// DB is the SQL backends' database (for adapters that share it, such
	// as the River queue); nil for the in-memory store.
	DB *bunstore.DB
	// Mem is the in-memory store (for its in-memory queue); nil for the
	// SQL backends.
	Mem *memory.Store
}

// Backend opens one kind of store.
type Backend struct {
	// Name labels specs ("memory", "SQLite", "PostgreSQL").
	Name string
	// Open returns an empty, migrated store, closed (and for PostgreSQL
	// dropped) when the current spec's cleanup runs. PostgreSQL skips the
	// spec without ADE_TEST_DATABASE_URL, or fails it under CI=true.
	Open func() Store
}

var (
	// Memory is the in-memory store.
	Memory = Backend{Name: "memory", Open: func() Store {
		mem := memory.New()
		return Store{Repos: mem.Repositories(), Dialect: "memory", Mem: mem}
	}}
	// SQLite is a SQLite file in the spec's temporary directory.
	SQLite = Backend{Name: "SQLite", Open: func() Store {
		return openBun("sqlite:" + filepath.Join(GinkgoT().TempDir(), "ade.db"))
	}}
	// PostgreSQL is this run's schema on the server at
	// ADE_TEST_DATABASE_URL, migrated by the first Open and emptied by
	// every Open (migrating a schema per spec would cost a second each).
	// Suites register Cleanup to drop it.
	PostgreSQL = Backend{Name: "PostgreSQL", Open: openPostgres}
)

var (
	pgSchema   = pgtest.NewSchema("store")
	pgMu       sync.Mutex
	pgMigrated bool
)

// Cleanup drops the PostgreSQL schema of this run; register it with
// AfterSuite in every suite that opens PostgreSQL.
func Cleanup() {
	pgMu.Lock()
	defer pgMu.Unlock()
	pgSchema.Drop()
	pgMigrated = false
}

func openPostgres() Store {
	GinkgoHelper()
	ctx := context.Background()
	db, err := bunstore.Open(ctx, pgSchema.URL())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	pgMu.Lock()
	defer pgMu.Unlock()
	if !pgMigrated {
		Expect(db.Migrate(ctx)).To(Succeed())
		pgMigrated = true
	}
	// Every table but the migrations' own (River's too, when a suite
	// migrated its queue here), whatever the migrations made.
	var tables []string
	Expect(db.Bun().NewSelect().TableExpr("pg_tables").Column("tablename").
		Where("schemaname = current_schema()").Where("tablename NOT LIKE 'ade_migration%'").Where("tablename <> 'river_migration'").
		Scan(ctx, &tables)).To(Succeed())
	Expect(tables).NotTo(BeEmpty())
	_, err = db.SQL().ExecContext(ctx, "TRUNCATE "+strings.Join(tables, ", ")+" CASCADE")
	Expect(err).NotTo(HaveOccurred())
	return Store{Repos: db.Repositories(), SQL: db.SQL(), Dialect: db.Dialect(), DB: db}
}

// All lists every backend.
func All() []Backend { return []Backend{Memory, SQLite, PostgreSQL} }

// SQLBackends lists the backends with a database underneath.
func SQLBackends() []Backend { return []Backend{SQLite, PostgreSQL} }

func openBun(url string) Store {
	GinkgoHelper()
	ctx := context.Background()
	db, err := bunstore.Open(ctx, url)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(db.Close)
	Expect(db.Migrate(ctx)).To(Succeed())
	return Store{Repos: db.Repositories(), SQL: db.SQL(), Dialect: db.Dialect(), DB: db}
}

// Queue opens a job queue on s, as the binary would: the in-memory queue
// beside the in-memory store, River (its tables migrated) on the SQL
// backends, with workers workers and the given retry policies. Call start
// with the application's task handler once it is built; stop waits for
// the running tasks and may be called more than once (the spec's cleanup
// calls it too).
func Queue(s Store, workers int, policies map[ports.TaskKind]ports.RetryPolicy) (q ports.Queue, start func(ports.TaskHandler), stop func()) {
	GinkgoHelper()
	ctx := context.Background()
	var once sync.Once
	if s.Mem != nil {
		mq := memory.NewQueue(s.Mem, memory.QueueOptions{Workers: workers, Policies: policies})
		stop = func() { once.Do(func() { _ = mq.Stop(context.Background()) }) }
		DeferCleanup(stop)
		return mq, func(h ports.TaskHandler) { mq.Start(h) }, stop
	}
	Expect(riverqueue.Migrate(ctx, s.DB)).To(Succeed())
	rq, err := riverqueue.Open(ctx, s.DB, riverqueue.Config{Workers: workers, Policies: policies})
	Expect(err).NotTo(HaveOccurred())
	stop = func() { once.Do(func() { _ = rq.Stop(context.Background()) }) }
	DeferCleanup(stop)
	return rq, func(h ports.TaskHandler) {
		GinkgoHelper()
		Expect(rq.Start(ctx, h)).To(Succeed())
	}, stop
}
