// Command persistence measures how many "job create + status update +
// event write" operations per second the Bun repositories sustain, on
// SQLite and on PostgreSQL, with 1 and with many concurrent clients, next
// to a raw database/sql baseline doing the same three statements in one
// transaction. It prints figures; it asserts nothing.
//
//	go run ./test/bench/persistence -duration 5s
//	go run ./test/bench/persistence -pg postgres://ade:ade@127.0.0.1:5432/ade_test?sslmode=disable
//
// One repository operation is one WithinTx running Jobs.Create,
// Jobs.Update (Start: a locked read and a status-guarded write) and
// EventSink.Append: the pattern of every state change and its event. The
// baseline leaves the same rows (a running job and its event) with the
// least work, on the same *sql.DB: on PostgreSQL one statement (a
// data-modifying CTE, one round trip, committed on its own), on SQLite one
// transaction of two INSERTs.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/benchkit"
)

func main() {
	duration := flag.Duration("duration", 4*time.Second, "how long each case runs, per side (repos, raw)")
	pgURL := flag.String("pg", os.Getenv("ADE_TEST_DATABASE_URL"), "PostgreSQL URL (default $ADE_TEST_DATABASE_URL; empty skips PostgreSQL)")
	clientsFlag := flag.String("clients", "1,32", "comma-separated concurrent client counts")
	rounds := flag.Int("rounds", 3, "alternating repos/raw rounds per case; the median is reported (the host is noisy)")
	sqlitePath := flag.String("sqlite", "", "SQLite file (default: a new temporary file)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		must(err)
		must(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}

	var clients []int
	for _, s := range strings.Split(*clientsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			log.Fatalf("bad -clients %q", *clientsFlag)
		}
		clients = append(clients, n)
	}

	ctx := context.Background()
	path := *sqlitePath
	if path == "" {
		dir, err := os.MkdirTemp("", "ade-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "bench.db")
	}
	if *rounds < 1 {
		*rounds = 1
	}
	fmt.Printf("persistence benchmark: job create + status update + event write, %s per case and side, median of %d rounds\n\n", *duration, *rounds)
	fmt.Printf("%-10s %7s %14s %14s %7s\n", "database", "clients", "repos ops/s", "raw ops/s", "ratio")
	run(ctx, "sqlite", "sqlite:"+path, clients, *duration, *rounds)
	if *pgURL == "" {
		fmt.Println("postgres   skipped: no -pg flag and ADE_TEST_DATABASE_URL is empty")
	} else {
		run(ctx, "postgres", *pgURL, clients, *duration, *rounds)
	}
	fmt.Println("\nratio = repos / raw (target >= 0.5)")
	fmt.Println("raw: the same rows with the least work: one statement on PostgreSQL, one transaction of two INSERTs on SQLite")
	for _, r := range results {
		benchkit.Report(r)
	}
}

// fixture is what every operation refers to.
type fixture struct {
	ws, doc, conf string
	confVersion   int
}

func run(ctx context.Context, name, url string, clients []int, d time.Duration, rounds int) {
	db, err := bunstore.Open(ctx, url)
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	repos := db.Repositories()
	fx := setup(ctx, repos)
	defer cleanup(ctx, db, fx.ws)

	raw := newRaw(db)
	for _, n := range clients {
		// Alternate short rounds so that load from elsewhere on the host
		// hits both sides alike.
		var rs, bs []float64
		for range rounds {
			rs = append(rs, measure(n, d/time.Duration(rounds), func() error { return repoOp(ctx, repos, fx) }))
			bs = append(bs, measure(n, d/time.Duration(rounds), func() error { return raw.op(ctx, fx) }))
		}
		r, b := median(rs), median(bs)
		fmt.Printf("%-10s %7d %14.0f %14.0f %7.2f\n", name, n, r, b, r/b)
		baseline := "one transaction of two INSERTs"
		if raw.pg {
			baseline = "one statement (a CTE inserting both rows)"
		}
		results = append(results, benchkit.Result{
			Benchmark: fmt.Sprintf("job create + start + event through the repositories, %s, %d clients", name, n),
			ADE:       fmt.Sprintf("%.0f ops/s", r),
			Baseline:  fmt.Sprintf("%s: %.0f ops/s", baseline, b),
			Ratio:     benchkit.Ratio(r / b), Target: ">= 0.5", Met: r/b >= 0.5,
		})
	}
}

// results are the headline figures, reported after the table.
var results []benchkit.Result

func setup(ctx context.Context, repos ports.Repositories) fixture {
	now := time.Now().UTC()
	id := ulid.Make().String()
	ws, err := domain.NewWorkspace(id, "bench-"+strings.ToLower(id), "Benchmark", now)
	must(err)
	must(repos.Workspaces.Create(ctx, ws))
	doc, err := domain.NewDocument(domain.NewDocumentParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(),
		Filename: "bench.csv", ByteSize: 1, SHA256: strings.Repeat("0", 64), BlobKey: "bench",
		ExpiresAt: now.Add(time.Hour), Now: now})
	must(err)
	must(repos.Documents.Create(ctx, doc))
	conf, err := domain.NewConfiguration(domain.NewConfigurationParams{ID: ulid.Make().String(), WorkspaceID: ws.ID(),
		DocumentType: "bench", Title: "bench", Version: 1, Payload: map[string]any{"extractor": "csv"}, Now: now})
	must(err)
	must(repos.Configurations.Create(ctx, conf))
	return fixture{ws: ws.ID(), doc: doc.ID(), conf: conf.ID(), confVersion: 1}
}

// cleanup removes the benchmark's workspace, so a shared test database
// stays small.
func cleanup(ctx context.Context, db *bunstore.DB, ws string) {
	for _, table := range []string{"events", "extracted_tables", "jobs", "configurations", "documents", "workspaces"} {
		col := "workspace_id"
		if table == "workspaces" {
			col = "id"
		}
		if _, err := db.Bun().ExecContext(ctx, "DELETE FROM "+table+" WHERE "+col+" = ?", ws); err != nil {
			log.Printf("cleanup %s: %v", table, err)
		}
	}
}

// measure runs op from n goroutines for d and returns operations per
// second. Errors stop the program: a benchmark of failures means nothing.
func measure(n int, d time.Duration, op func() error) float64 {
	var count atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := op(); err != nil {
					log.Fatalf("operation failed: %v", err)
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds()
}

func repoOp(ctx context.Context, repos ports.Repositories, fx fixture) error {
	now := time.Now()
	job, err := domain.NewJob(domain.NewJobParams{ID: ulid.Make().String(), WorkspaceID: fx.ws, DocumentType: "bench",
		ConfigurationID: fx.conf, ConfigurationVersion: fx.confVersion, InputDocumentID: fx.doc, CreatedBy: "bench", Now: now})
	if err != nil {
		return err
	}
	ev, err := domain.NewEvent(domain.EventState{ID: ulid.Make().String(), WorkspaceID: fx.ws,
		EventType: domain.EventJobRunning, EntityType: domain.EntityJob, EntityID: job.ID(), OccurredAt: now,
		ActorType: domain.ActorSystem, ActorID: "bench", ActorLabel: "bench", Source: "bench",
		Payload: map[string]any{"status": "running"}})
	if err != nil {
		return err
	}
	return repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := repos.Jobs.Create(ctx, job); err != nil {
			return err
		}
		if _, err := repos.Jobs.Update(ctx, fx.ws, job.ID(), func(j *domain.Job) error { return j.Start(now) }); err != nil {
			return err
		}
		return repos.EventSink.Append(ctx, ev)
	})
}

// raw is the baseline: the same rows written with hand-written SQL and
// placeholders on the adapter's *sql.DB.
type raw struct {
	db                        *sql.DB
	pg                        bool
	insertJob, insertEv, both string
	ts                        func(time.Time) any
}

func newRaw(db *bunstore.DB) *raw {
	r := &raw{db: db.SQL(), pg: db.Dialect() == "pg"}
	r.insertJob = `INSERT INTO jobs (id, workspace_id, status, document_type, configuration_id, configuration_version,
		input_document_id, created_by, created_at, updated_at, started_at, attempts, metrics, logs, output_document_ids)
		VALUES (?, ?, 'running', 'bench', ?, ?, ?, 'bench', ?, ?, ?, 1, '{}', '[]', '[]')`
	r.insertEv = `INSERT INTO events (id, workspace_id, event_type, entity_type, entity_id, occurred_at,
		actor_type, actor_id, actor_label, source, request_id, payload)
		VALUES (?, ?, 'job.status.running', 'job', ?, ?, 'system', 'bench', 'bench', 'bench', '', '{"status":"running"}')`
	if r.pg {
		// Both rows in one statement: $1 job, $2 workspace, $3
		// configuration, $4 version, $5 document, $6 time, $7 event.
		r.both = `WITH j AS (INSERT INTO jobs (id, workspace_id, status, document_type, configuration_id, configuration_version,
			input_document_id, created_by, created_at, updated_at, started_at, attempts, metrics, logs, output_document_ids)
			VALUES ($1, $2, 'running', 'bench', $3, $4, $5, 'bench', $6, $6, $6, 1, '{}', '[]', '[]') RETURNING id)
			INSERT INTO events (id, workspace_id, event_type, entity_type, entity_id, occurred_at,
			actor_type, actor_id, actor_label, source, request_id, payload)
			SELECT $7, $2, 'job.status.running', 'job', j.id, $6, 'system', 'bench', 'bench', 'bench', '', '{"status":"running"}' FROM j`
		r.ts = func(t time.Time) any { return t.UTC() }
	} else {
		r.ts = func(t time.Time) any { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
	}
	return r
}

func (r *raw) op(ctx context.Context, fx fixture) error {
	now := r.ts(time.Now())
	id := ulid.Make().String()
	if r.pg {
		res, err := r.db.ExecContext(ctx, r.both, id, fx.ws, fx.conf, fx.confVersion, fx.doc, now, ulid.Make().String())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("insert: %d events, %v", n, err)
		}
		return nil
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.ExecContext(ctx, r.insertJob, id, fx.ws, fx.conf, fx.confVersion, fx.doc, now, now, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, r.insertEv, ulid.Make().String(), fx.ws, id, now); err != nil {
		return err
	}
	return tx.Commit()
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
