// Command queue measures ADE's job queue on PostgreSQL (ADE_TEST_DATABASE_URL
// or -db), each figure against a baseline measured in the same run:
//
//   - Throughput: N asynchronous stub jobs submitted from concurrent
//     clients (app.Jobs.Enqueue: a read of the job's inputs, then one
//     statement with the job, its event and its queue task, both sent in
//     batches with the changes made at the same time) until every one is
//     terminal, against River itself working N no-op jobs with the same
//     settings (workers, fetch cooldown and poll interval), inserted twice
//     over: one transaction each, and batched as ade batches its changes
//     (insertBatches). The baseline is the faster of the two: the least
//     work that gets N queued tasks worked is River's own insert, fetch and
//     completion. Rounds alternate; medians are printed. Target ratio >= 0.4.
//
//   - Event streams: the real `ade serve` (API only) with 200 open, idle
//     streams of a pending job, against the same server with none: database
//     transactions per second (pg_stat_database) over the same window.
//     Target: at most one more per second with the streams than without.
//
//     export ADE_TEST_DATABASE_URL=$(bash .ci/postgres.sh | tail -1)
//     go run ./test/bench/queue
//     go run ./test/bench/queue -jobs 4000 -rounds 9 -window 20s
//     go run ./test/bench/queue -streams 0    # the throughput figures alone
//     go run ./test/bench/queue -streams 0 -cpuprofile ade.prof  # where ade's rounds spend CPU
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/benchkit"
)

// statsSettle is how long a phase waits before it measures: an idle
// PostgreSQL backend reports its transactions to pg_stat_database up to
// ten seconds late, so the streams' first reads (two per stream) must be
// counted before the window opens, not inside it.
const statsSettle = 15 * time.Second

// Targets printed beside the figures.
const (
	targetThroughputRatio = 0.4
	targetStreamQueries   = 1.0 // transactions per second attributable to the streams
)

func main() {
	db := flag.String("db", os.Getenv("ADE_TEST_DATABASE_URL"), "PostgreSQL URL (fresh schemas are made in it); default $ADE_TEST_DATABASE_URL")
	jobs := flag.Int("jobs", 2000, "jobs per throughput round")
	clients := flag.Int("clients", 16, "concurrent submitters")
	workers := flag.Int("workers", 8, "workers (River MaxWorkers of the jobs queue), as ADE_WORKERS")
	rounds := flag.Int("rounds", 5, "throughput rounds (each runs ADE and the baseline); 0 skips the throughput figures")
	streams := flag.Int("streams", 200, "idle event streams; 0 skips the stream figures")
	window := flag.Duration("window", 45*time.Second, "measured window of each stream phase")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of ade's throughput rounds (not the baseline's) to this file")
	flag.Parse()
	profilePath = *cpuProfile
	log.SetFlags(0)
	if *db == "" {
		fmt.Println("queue: SKIPPED (no -db and ADE_TEST_DATABASE_URL is empty; start one with: export ADE_TEST_DATABASE_URL=$(bash .ci/postgres.sh | tail -1))")
		return
	}
	if *rounds > 0 {
		if err := throughput(*db, *jobs, *clients, *workers, *rounds); err != nil {
			log.Fatal(err)
		}
	}
	if *streams > 0 {
		if err := streamLoad(*db, *streams, *window); err != nil {
			log.Fatal(err)
		}
	}
}

// settings are the queue settings both sides of the throughput run share.
func settings(workers int) riverqueue.Config {
	return riverqueue.Config{Workers: workers, FetchCooldown: riverqueue.DefaultFetchCooldown, FetchPollInterval: riverqueue.DefaultFetchPollInterval}
}

func throughput(pgURL string, jobs, clients, workers, rounds int) error {
	var adeRates, singleRates, batchedRates []float64
	for r := range rounds {
		single, err := baselineRound(pgURL, jobs, clients, workers, false)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		batched, err := baselineRound(pgURL, jobs, clients, workers, true)
		if err != nil {
			return fmt.Errorf("batched baseline: %w", err)
		}
		ade, err := profiled(func() (float64, error) { return adeRound(pgURL, jobs, clients, workers) })
		if err != nil {
			return fmt.Errorf("ade: %w", err)
		}
		fmt.Printf("round %d: ade %.0f jobs/s, river no-op %.0f jobs/s (inserts batched: %.0f jobs/s)\n", r+1, ade, single, batched)
		adeRates, singleRates, batchedRates = append(adeRates, ade), append(singleRates, single), append(batchedRates, batched)
	}
	ade, single, batched := benchkit.Median(adeRates), benchkit.Median(singleRates), benchkit.Median(batchedRates)
	// The ratio is taken against the faster of River's two ways of
	// getting the same jobs worked, so it is never flattered.
	base, how := single, "inserted one transaction each"
	if batched > single {
		base, how = batched, "inserted by concurrent submitters in shared transactions (InsertManyTx), batched as ade batches its job changes"
	}
	ratio := ade / base
	fmt.Printf("\nqueue throughput: %d jobs per round, %d submitters, %d workers, fetch cooldown %s, poll %s (medians of %d rounds)\n",
		jobs, clients, workers, riverqueue.DefaultFetchCooldown, riverqueue.DefaultFetchPollInterval, rounds)
	fmt.Printf("  ade, stub jobs submitted -> terminal                  %8.0f jobs/s\n", ade)
	fmt.Printf("  River, no-op jobs inserted one transaction each      %8.0f jobs/s  (ade %.2f of it)\n", single, ade/single)
	fmt.Printf("  River, no-op jobs, concurrent inserts batched        %8.0f jobs/s  (ade %.2f of it)\n", batched, ade/batched)
	fmt.Printf("  ratio against the faster %.2f (target >= %.1f) %s\n\n", ratio, targetThroughputRatio, benchkit.Verdict(ratio >= targetThroughputRatio))
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("asynchronous stub jobs submitted -> terminal, PostgreSQL, %d submitters, %d workers, %d jobs a round, medians of %d rounds", clients, workers, jobs, rounds),
		ADE:       fmt.Sprintf("%.0f jobs/s", ade),
		Baseline: fmt.Sprintf("River alone working no-op jobs %s, same workers, fetch cooldown and poll: %.0f jobs/s (one transaction each: %.0f; batched: %.0f)",
			how, base, single, batched),
		Ratio:  benchkit.Ratio(ratio),
		Target: fmt.Sprintf(">= %.1f", targetThroughputRatio),
		Met:    ratio >= targetThroughputRatio,
	})
	return nil
}

// profilePath, when set, receives a CPU profile of ade's rounds.
var profilePath string

// profiled runs round, under the CPU profiler when profilePath is set
// (each round rewrites the profile: it holds the last round), and prints
// the CPU time the process and the whole machine spent in it.
func profiled(round func() (float64, error)) (float64, error) {
	if profilePath == "" {
		return round()
	}
	f, err := os.Create(profilePath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return 0, err
	}
	defer pprof.StopCPUProfile()
	proc0, _ := benchkit.SelfCPU()
	mach0 := machineCPU()
	rate, err := round()
	proc1, _ := benchkit.SelfCPU()
	proc, mach := proc1-proc0, machineCPU()-mach0
	fmt.Printf("  ade round CPU: this process %s, the whole machine %s\n", proc.Round(time.Millisecond), mach.Round(time.Millisecond))
	return rate, err
}

// machineCPU is the CPU time every core spent busy since boot
// (/proc/stat: user, nice, system, irq, softirq, steal).
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		if i < len(f) {
			if n, err := strconv.ParseInt(f[i], 10, 64); err == nil {
				ticks += n
			}
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// timeRound submits jobs jobs from clients goroutines and waits until
// done counts them all worked; it returns the jobs per second from the
// first submission to the last job's end.
func timeRound(jobs, clients int, done *atomic.Int64, submit func() error) (float64, error) {
	start := time.Now()
	if err := submitAll(jobs, clients, submit); err != nil {
		return 0, err
	}
	if err := waitCount(done, int64(jobs)); err != nil {
		return 0, err
	}
	return float64(jobs) / time.Since(start).Seconds(), nil
}

// submitAll runs submit jobs times from clients goroutines.
func submitAll(jobs, clients int, submit func() error) error {
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(jobs) {
				if err := submit(); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// waitCount waits until n reaches want, or a minute passes with no
// progress.
func waitCount(n *atomic.Int64, want int64) error {
	last, lastAt := int64(-1), time.Now()
	for {
		cur := n.Load()
		if cur >= want {
			return nil
		}
		if cur != last {
			last, lastAt = cur, time.Now()
		}
		if time.Since(lastAt) > time.Minute {
			return fmt.Errorf("stuck at %d of %d", cur, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noopArgs is the baseline's job.
type noopArgs struct{ N int64 }

func (noopArgs) Kind() string { return "bench.noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
	done *atomic.Int64
}

func (w *noopWorker) Work(context.Context, *river.Job[noopArgs]) error {
	w.done.Add(1)
	return nil
}

// baselineRound: River on its own, no-op jobs, one insert transaction
// each; batched, the inserts the submitters make at the same time share
// transactions, as ade's job changes do (insertBatches).
func baselineRound(pgURL string, jobs, clients, workers int, batched bool) (float64, error) {
	var rate float64
	err := benchkit.OnPostgres(pgURL, func(schemaURL string) error {
		ctx := context.Background()
		// The schema and the pools as ADE opens them: bunstore's
		// database/sql pool, a small pgx pool for LISTEN.
		db, err := bunstore.Open(ctx, schemaURL)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := riverqueue.Migrate(ctx, db); err != nil {
			return err
		}
		pcfg, err := pgxpool.ParseConfig(schemaURL)
		if err != nil {
			return err
		}
		pcfg.MaxConns = 2
		listener, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			return err
		}
		defer listener.Close()
		done := &atomic.Int64{}
		ws := river.NewWorkers()
		river.AddWorker(ws, &noopWorker{done: done})
		s := settings(workers)
		client, err := river.NewClient[*sql.Tx](riverdatabasesql.NewWithPgxListener(db.SQL(), listener), &river.Config{
			Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
			Workers:           ws,
			FetchCooldown:     s.FetchCooldown,
			FetchPollInterval: s.FetchPollInterval,
		})
		if err != nil {
			return err
		}
		if err := client.Start(ctx); err != nil {
			return err
		}
		defer func() { _ = client.Stop(context.Background()) }()
		var n atomic.Int64
		insert := func(count int) error {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			params := make([]river.InsertManyParams, count)
			for i := range params {
				params[i] = river.InsertManyParams{Args: noopArgs{N: n.Add(1)}}
			}
			if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
				_ = tx.Rollback()
				return err
			}
			return tx.Commit()
		}
		submit := func() error { return insert(1) }
		if batched {
			b := &insertBatches{insert: insert}
			submit = b.submit
		}
		rate, err = timeRound(jobs, clients, done, submit)
		return err
	})
	return rate, err
}

// insertBatches gives River's inserts the batching ade's store gives its
// job changes: an insert that finds a slot free goes at once, alone; while
// every slot is busy, inserts wait, and the next free slot inserts all of
// them (up to 32) in one transaction with River's InsertManyTx. Each
// submitter returns once its job's transaction committed. The slots are as
// many as ade's store has (one per two cores, at least one), which is also
// River's faster choice here: on two cores, one slot ran about 3% more
// no-op jobs per second than two.
type insertBatches struct {
	insert   func(n int) error
	mu       sync.Mutex
	waiting  []chan error
	inFlight int
}

func (b *insertBatches) submit() error {
	done := make(chan error, 1)
	b.mu.Lock()
	b.waiting = append(b.waiting, done)
	start := b.inFlight < max(1, runtime.GOMAXPROCS(0)/2)
	if start {
		b.inFlight++
	}
	b.mu.Unlock()
	if start {
		go b.run()
	}
	return <-done
}

func (b *insertBatches) run() {
	for {
		b.mu.Lock()
		n := min(len(b.waiting), 32)
		if n == 0 {
			b.inFlight--
			b.mu.Unlock()
			return
		}
		batch := append([]chan error(nil), b.waiting[:n]...)
		b.waiting = append(b.waiting[:0:0], b.waiting[n:]...)
		b.mu.Unlock()
		err := b.insert(len(batch))
		for _, done := range batch {
			done <- err
		}
	}
}

// countingHandler counts the job runs the application finished.
type countingHandler struct {
	next ports.TaskHandler
	done *atomic.Int64
}

func (h countingHandler) HandleTask(ctx context.Context, t ports.Task, a ports.TaskAttempt) error {
	err := h.next.HandleTask(ctx, t, a)
	if err == nil && t.Kind == ports.TaskRunJob {
		h.done.Add(1)
	}
	return err
}

// adeRound: the application over bunstore and the River queue, stub jobs
// submitted asynchronously; a job counts once its terminal state committed.
func adeRound(pgURL string, jobs, clients, workers int) (float64, error) {
	var rate float64
	err := benchkit.OnPostgres(pgURL, func(schemaURL string) error {
		ctx := context.Background()
		db, err := bunstore.Open(ctx, schemaURL)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		if err := riverqueue.Migrate(ctx, db); err != nil {
			return err
		}
		q, err := riverqueue.Open(ctx, db, settings(workers))
		if err != nil {
			return err
		}
		blobs, err := blobstore.Open(ctx, "mem://")
		if err != nil {
			return err
		}
		defer blobs.Close()
		exs, err := app.NewExtractors(stub.Extractor{})
		if err != nil {
			return err
		}
		a, err := app.New(app.Deps{Repos: db.Repositories(), Queue: q, Blobs: blobs, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs()})
		if err != nil {
			return err
		}
		done := &atomic.Int64{}
		if err := q.Start(ctx, countingHandler{next: a.Tasks, done: done}); err != nil {
			return err
		}
		defer func() { _ = q.Stop(context.Background()) }()
		ws, err := a.Workspaces.EnsureDefault(ctx)
		if err != nil {
			return err
		}
		doc, err := a.Documents.Upload(ctx, app.UploadRequest{WorkspaceID: ws.ID(), Filename: "r.csv", Body: strings.NewReader("a,b\n1,2\n")})
		if err != nil {
			return err
		}
		cfg, err := a.Configurations.Create(ctx, app.CreateConfigurationRequest{WorkspaceID: ws.ID(), DocumentType: "r", Title: "R",
			Payload: map[string]any{"extractor": "stub"}})
		if err != nil {
			return err
		}
		rate, err = timeRound(jobs, clients, done, func() error {
			_, err := a.Jobs.Enqueue(ctx, app.SubmitJobRequest{WorkspaceID: ws.ID(), DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
			return err
		})
		return err
	})
	return rate, err
}

// streamLoad opens idle event streams on the real server and compares the
// database's transaction rate with and without them.
func streamLoad(pgURL string, streams int, window time.Duration) error {
	work, err := os.MkdirTemp("", "ade-bench-queue-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin, err := benchkit.BuildAde(work)
	if err != nil {
		return err
	}
	return benchkit.OnPostgres(pgURL, func(schemaURL string) error {
		addr, err := benchkit.FreeAddr()
		if err != nil {
			return err
		}
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(benchkit.CleanEnv(), append(benchkit.AuthEnv(),
			"ADE_HTTP_ADDR="+addr, "ADE_DATABASE_URL="+schemaURL, "ADE_BLOB_URL=mem://", "ADE_DATA_DIR="+work,
			"ADE_WORKERS=0", "ADE_LOG_FORMAT=json")...)
		srv, err := benchkit.StartServer(cmd, addr)
		if err != nil {
			return err
		}
		defer func() { _ = srv.Stop() }()
		stats, err := sql.Open("pgx", pgURL)
		if err != nil {
			return err
		}
		defer stats.Close()

		c := benchkit.NewClient()
		base := "http://" + addr + "/api/v1/workspaces/default"
		jobID, err := pendingJob(c, base)
		if err != nil {
			return err
		}
		time.Sleep(statsSettle) // start-up's transactions reach the statistics
		idle, err := txRate(stats, window)
		if err != nil {
			return err
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		opened := make(chan error, streams)
		sc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams, DisableCompression: true}}
		for range streams {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/jobs/"+jobID+"/events?stream=true", nil)
				req.Header.Set("Authorization", "Bearer "+benchkit.AdminKey)
				res, err := sc.Do(req)
				if err != nil {
					opened <- err
					return
				}
				defer res.Body.Close()
				rd := bufio.NewReader(res.Body)
				if _, err := rd.ReadString('\n'); err != nil {
					opened <- err
					return
				}
				opened <- nil
				for {
					if _, err := rd.ReadString('\n'); err != nil {
						return
					}
				}
			})
		}
		for range streams {
			if err := <-opened; err != nil {
				return fmt.Errorf("open a stream: %w", err)
			}
		}
		time.Sleep(statsSettle) // the streams' first reads reach the statistics
		busy, err := txRate(stats, window)
		if err != nil {
			return err
		}
		cancel()
		wg.Wait()

		extra := busy - idle
		fmt.Printf("event streams: `ade serve` (API only) on PostgreSQL, database transactions per second over %s (pg_stat_database)\n", window)
		fmt.Printf("  no stream open          %6.2f /s\n", idle)
		fmt.Printf("  %d idle streams open   %6.2f /s\n", streams, busy)
		fmt.Printf("  attributable to the streams %.2f /s (target <= %.1f) %s\n", extra, targetStreamQueries, benchkit.Verdict(extra <= targetStreamQueries))
		benchkit.Report(benchkit.Result{
			Benchmark: fmt.Sprintf("database transactions per second with %d idle job event streams open (`ade serve`, API only, PostgreSQL, %s windows)", streams, window),
			ADE:       fmt.Sprintf("%.2f/s", busy),
			Baseline:  fmt.Sprintf("the same server with none open: %.2f/s", idle),
			Ratio:     fmt.Sprintf("%+.2f/s attributable to the streams", extra),
			Target:    fmt.Sprintf("<= %.1f/s", targetStreamQueries),
			Met:       extra <= targetStreamQueries,
		})
		return nil
	})
}

// pendingJob uploads a document, configures the stub and submits one job
// asynchronously: with no worker it stays pending, and its stream idle.
func pendingJob(c *http.Client, base string) (string, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", "r.csv")
	if err != nil {
		return "", err
	}
	if _, err := fw.Write([]byte("a,b\n1,2\n")); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/documents", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	b, err := benchkit.Fetch(c, req, http.StatusCreated)
	if err != nil {
		return "", err
	}
	docID, err := field(b, "document_id")
	if err != nil {
		return "", err
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/configurations", strings.NewReader(`{"document_type":"r","title":"R","payload":{"extractor":"stub"}}`))
	req.Header.Set("Content-Type", "application/json")
	if b, err = benchkit.Fetch(c, req, http.StatusCreated); err != nil {
		return "", err
	}
	cfgID, err := field(b, "configuration_id")
	if err != nil {
		return "", err
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/jobs", strings.NewReader(fmt.Sprintf(`{"document_id":%q,"configuration_id":%q}`, docID, cfgID)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "respond-async")
	if b, err = benchkit.Fetch(c, req, http.StatusAccepted); err != nil {
		return "", err
	}
	return field(b, "job_id")
}

func field(b []byte, name string) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	s, ok := m[name].(string)
	if !ok {
		return "", errors.New("no " + name + " in " + string(b))
	}
	return s, nil
}

// txRate measures the database's committed and rolled-back transactions
// per second over window. The two reads are transactions themselves: the
// same two in every phase.
func txRate(db *sql.DB, window time.Duration) (float64, error) {
	count := func() (int64, error) {
		var n int64
		err := db.QueryRow("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
		return n, err
	}
	before, err := count()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	time.Sleep(window)
	after, err := count()
	if err != nil {
		return 0, err
	}
	return float64(after-before) / time.Since(start).Seconds(), nil
}
