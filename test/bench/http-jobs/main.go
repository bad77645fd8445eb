// Command http-jobs measures synchronous job submission (POST /jobs with
// the stub extractor) and job reads (GET /jobs/{id}) on the real
// `ade serve` with concurrent keep-alive clients over loopback, against a
// minimal Fiber server in a child process that runs the same SQL
// statements directly. It runs on PostgreSQL (ADE_TEST_DATABASE_URL or
// -db) and, unless -sqlite=false, on the embedded SQLite. It prints
// jobs/s, requests/s, p50 and p99 and the ratios to the baselines; it
// asserts nothing. Each baseline is the least work that leaves the same
// rows and answers (see pgSubmit).
//
// The reads are measured in rounds over the jobs ade's submissions left
// (so both servers read the same rows), with both servers up and taking
// turns, in alternating order, and the figure is the round with the median
// ratio: on a machine busy with other work, one phase after the other
// swings by tens of percent with whatever else runs at the time. Before
// the rounds, the program checks that both servers answer those jobs with
// the same bytes, so the GET baseline is the least work that gives ade's
// body, not a lighter one. Every submission is synchronous and has
// finished before the reads start: no job is still queued or running.
// Each server's submissions run with that server alone; ade is started
// again on the same database for the rounds. Idle, ade serve still polls
// the queue and renews its worker lease (about 1% of a core on
// PostgreSQL, 3% on SQLite), also while the baseline takes its turn.
//
//	export ADE_TEST_DATABASE_URL=$(bash .ci/postgres.sh | tail -1)
//	go run ./test/bench/http-jobs                    # 32 clients, 10 s per phase, 3 GET rounds
//	go run ./test/bench/http-jobs -duration 3s -clients 8 -rounds 1
package main

import (
	"bytes"
	"cmp"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the baseline
	"github.com/oklog/ulid/v2"
	_ "modernc.org/sqlite" // database/sql driver "sqlite" for the baseline

	"github.com/ade-go/ade/test/benchkit"
)

// Targets printed beside the figures.
const (
	targetSubmitRatio = 0.5
	targetGetRatio    = 0.6
)

func main() {
	var o benchkit.LoadOptions
	db := flag.String("db", os.Getenv("ADE_TEST_DATABASE_URL"), "PostgreSQL URL (a fresh schema is created in it); default $ADE_TEST_DATABASE_URL")
	withSQLite := flag.Bool("sqlite", true, "also run on the embedded SQLite")
	benchkit.LoadFlags(&o, 10*time.Second)
	rounds := flag.Int("rounds", 3, "GET rounds; each measures both servers, in alternating order")
	dir := flag.String("dir", "", "parent directory for data (default: the system temp dir)")
	child := flag.String("serve-baseline", "", "internal: run the baseline server on this address")
	childDriver := flag.String("baseline-driver", "", "internal: pgx or sqlite")
	childDSN := flag.String("baseline-dsn", "", "internal: the baseline's database")
	flag.Parse()
	log.SetFlags(0)

	if *child != "" {
		if err := serveBaseline(*child, *childDriver, *childDSN); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(o, max(1, *rounds), *db, *withSQLite, *dir); err != nil {
		log.Fatal(err)
	}
}

// backendFigures are the phases on one database: one submission phase
// per server, then the GET rounds.
type backendFigures struct {
	name                  string
	adeSubmit, baseSubmit benchkit.Phase
	rounds                []getRound
}

// getRound is one GET round: both servers, one after the other, over the
// same jobs.
type getRound struct {
	ade, base benchkit.Phase
}

func (r getRound) ratio() float64 { return r.ade.PerSec / r.base.PerSec }

// medianRound is the round whose ratio is the median (the lower of the
// two middle ones for an even count): its ratio is the GET figure, its
// throughputs and latencies are reported with it.
func (f backendFigures) medianRound() getRound {
	rounds := slices.Clone(f.rounds)
	slices.SortFunc(rounds, func(a, b getRound) int { return cmp.Compare(a.ratio(), b.ratio()) })
	return rounds[(len(rounds)-1)/2]
}

func run(o benchkit.LoadOptions, rounds int, pgURL string, withSQLite bool, parent string) error {
	work, err := os.MkdirTemp(parent, "ade-http-jobs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin, err := benchkit.BuildAde(work)
	if err != nil {
		return err
	}

	var figures []backendFigures
	err = benchkit.OnPostgres(pgURL, func(schemaURL string) error {
		f, err := runBackend(o, rounds, bin, work, "PostgreSQL", schemaURL, "pgx", schemaURL)
		figures = append(figures, f)
		return err
	})
	if err != nil {
		return err
	}
	if withSQLite {
		dataDir := filepath.Join(work, "sqlite")
		dsn := "file:" + filepath.Join(dataDir, "ade.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
		f, err := runBackend(o, rounds, bin, dataDir, "SQLite", "", "sqlite", dsn)
		if err != nil {
			return err
		}
		figures = append(figures, f)
	}

	fmt.Printf("\nhttp-jobs: %d clients, %s per phase (after %s warm-up), GET in %d rounds per server, loopback, keep-alive\n",
		o.Clients, o.Duration, o.Warmup, rounds)
	for _, f := range figures {
		sr := f.adeSubmit.PerSec / f.baseSubmit.PerSec
		gr := f.medianRound().ratio()
		fmt.Printf("  %s\n", f.name)
		fmt.Printf("    POST /jobs      ade      %s\n", f.adeSubmit)
		fmt.Printf("    POST /jobs      baseline %s\n", f.baseSubmit)
		fmt.Printf("    ratio %.2f (target >= %.1f) %s\n", sr, targetSubmitRatio, benchkit.Verdict(sr >= targetSubmitRatio))
		for i, r := range f.rounds {
			fmt.Printf("    GET /jobs/{id}  round %d  ade      %s\n", i+1, r.ade)
			fmt.Printf("    GET /jobs/{id}  round %d  baseline %s  ratio %.2f\n", i+1, r.base, r.ratio())
		}
		fmt.Printf("    ratio %.2f, the median round's (target >= %.1f) %s\n", gr, targetGetRatio, benchkit.Verdict(gr >= targetGetRatio))
	}
	fmt.Println("  baseline: Fiber handlers on database/sql doing the least work that leaves what ade leaves. POST writes the job")
	fmt.Println("  (already succeeded, its type and version read from the configuration), the stub's table and the three events")
	fmt.Println("  in one statement on PostgreSQL (one round trip) and one transaction on SQLite; GET runs one primary-key select")
	fmt.Println("  and renders the row as ade does: both servers answer the jobs ade's submissions left with the same bytes (checked).")
	fmt.Println("  ade also authenticates the key, resolves the workspace, document and configuration, commits the job with its")
	fmt.Println("  queue entry, and a worker runs the extractor and commits its start and its end (with the table and events).")
	fmt.Println("  Both servers run side by side during the GET rounds and take turns, in alternating order, so that a machine")
	fmt.Println("  busy with other work weighs on both alike; the figure is the round with the median ratio.")
	for _, f := range figures {
		sr := f.adeSubmit.PerSec / f.baseSubmit.PerSec
		mr := f.medianRound()
		gr := mr.ratio()
		benchkit.Report(benchkit.Result{
			Benchmark: fmt.Sprintf("POST /jobs (stub, synchronous), %d clients, %s", o.Clients, f.name),
			ADE:       fmt.Sprintf("%.0f jobs/s, p99 %s", f.adeSubmit.PerSec, f.adeSubmit.P99.Round(100*time.Microsecond)),
			Baseline:  fmt.Sprintf("Fiber handler, one statement (PostgreSQL) or one transaction (SQLite): %.0f jobs/s", f.baseSubmit.PerSec),
			Ratio:     benchkit.Ratio(sr), Target: fmt.Sprintf(">= %.1f", targetSubmitRatio), Met: sr >= targetSubmitRatio,
		})
		benchkit.Report(benchkit.Result{
			Benchmark: fmt.Sprintf("GET /jobs/{id}, %d clients, %s, the median of %d alternating rounds", o.Clients, f.name, len(f.rounds)),
			ADE:       fmt.Sprintf("%.0f requests/s, p99 %s", mr.ade.PerSec, mr.ade.P99.Round(100*time.Microsecond)),
			Baseline:  fmt.Sprintf("Fiber handler, one primary-key select, the same body: %.0f requests/s", mr.base.PerSec),
			Ratio:     benchkit.Ratio(gr), Target: fmt.Sprintf(">= %.1f", targetGetRatio), Met: gr >= targetGetRatio,
		})
	}
	return nil
}

// runBackend measures on one database: ade's submissions with ade alone,
// the baseline's submissions with the baseline alone, then GET rounds over
// the jobs ade's submissions left, with both servers up (ade started
// again on the same database) and taking turns. adeDB is
// ADE_DATABASE_URL (empty for SQLite in dataDir); the baseline opens
// driver/dsn, the same database.
func runBackend(o benchkit.LoadOptions, rounds int, bin, dataDir, name, adeDB, driver, dsn string) (f backendFigures, err error) {
	f.name = name
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return f, err
	}
	startAde := func() (*benchkit.Process, string, error) {
		addr, err := benchkit.FreeAddr()
		if err != nil {
			return nil, "", err
		}
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(benchkit.CleanEnv(), "ADE_HTTP_ADDR="+addr, "ADE_DATA_DIR="+dataDir, "ADE_DATABASE_URL="+adeDB, "ADE_LOG_FORMAT=json")
		cmd.Env = append(cmd.Env, benchkit.AuthEnv()...)
		srv, err := benchkit.StartServer(cmd, addr)
		if err != nil {
			return nil, "", fmt.Errorf("ade serve: %w", err)
		}
		return srv, "http://" + addr, nil
	}
	stop := func(p *benchkit.Process, what string) {
		if serr := p.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("stop %s: %w\n%s", what, serr, p.Stderr())
		}
	}
	srv, adeBase, err := startAde()
	if err != nil {
		return f, err
	}
	ws, doc, cfg, err := setup(adeBase)
	if err != nil {
		stop(srv, "ade serve")
		return f, fmt.Errorf("%w\n%s", err, srv.Stderr())
	}
	client := benchkit.NewClient()
	defer client.CloseIdleConnections()
	fmt.Printf("%s: ade POST /jobs ...\n", name)
	var jobIDs []string
	f.adeSubmit, jobIDs = submitPhase(o, client, adeBase, ws, doc, cfg)
	if len(jobIDs) == 0 {
		stop(srv, "ade serve")
		return f, fmt.Errorf("ade POST /jobs created no job: %s\n%s", f.adeSubmit.FirstError, srv.Stderr())
	}
	client.CloseIdleConnections()
	if stop(srv, "ade serve"); err != nil {
		return f, err
	}

	addr, err := benchkit.FreeAddr()
	if err != nil {
		return f, err
	}
	self, err := os.Executable()
	if err != nil {
		return f, err
	}
	cmd := exec.Command(self, "-serve-baseline", addr, "-baseline-driver", driver, "-baseline-dsn", dsn)
	cmd.Env = benchkit.CleanEnv()
	bsrv, err := benchkit.StartServer(cmd, addr)
	if err != nil {
		return f, fmt.Errorf("baseline: %w", err)
	}
	defer stop(bsrv, "baseline")
	baseBase := "http://" + addr
	fmt.Printf("%s: baseline POST /jobs ...\n", name)
	f.baseSubmit, _ = submitPhase(o, client, baseBase, ws, doc, cfg)

	if srv, adeBase, err = startAde(); err != nil {
		return f, err
	}
	defer stop(srv, "ade serve")
	// Both serve the jobs ade's submissions left, and must answer them
	// with the same bytes.
	if err := sameBodies(client, adeBase, baseBase, ws, jobIDs); err != nil {
		return f, err
	}
	for r := range rounds {
		var round getRound
		measure := func(label, base string, into *benchkit.Phase) {
			fmt.Printf("%s: round %d, %s GET /jobs/{id} ...\n", name, r+1, label)
			*into = getPhase(o, client, base, ws, jobIDs)
		}
		if r%2 == 0 {
			measure("ade", adeBase, &round.ade)
			measure("baseline", baseBase, &round.base)
		} else {
			measure("baseline", baseBase, &round.base)
			measure("ade", adeBase, &round.ade)
		}
		f.rounds = append(f.rounds, round)
	}
	return f, nil
}

// sameBodies fails unless ade and the baseline answer GET /jobs/{id}
// with the same body for a sample of the jobs.
func sameBodies(c *http.Client, adeBase, baseBase, ws string, ids []string) error {
	for i := 0; i < len(ids); i += max(1, len(ids)/20) {
		var bodies [2][]byte
		for k, base := range []string{adeBase, baseBase} {
			req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/workspaces/"+ws+"/jobs/"+ids[i], nil)
			b, err := benchkit.Fetch(c, req, http.StatusOK)
			if err != nil {
				return err
			}
			bodies[k] = bytes.TrimSpace(b)
		}
		if !bytes.Equal(bodies[0], bodies[1]) {
			return fmt.Errorf("GET /jobs/%s: the baseline's body differs from ade's:\nade      %s\nbaseline %s", ids[i], bodies[0], bodies[1])
		}
	}
	return nil
}

// setup uploads a small document and creates a stub configuration through
// ade's API; it returns the workspace id, document id and configuration id.
func setup(base string) (ws, doc, cfg string, err error) {
	c := benchkit.NewClient()
	defer c.CloseIdleConnections()
	var w struct {
		Items []struct {
			ID   string `json:"workspace_id"`
			Slug string `json:"slug"`
		} `json:"items"`
	}
	if err := call(c, http.MethodGet, base+"/api/v1/workspaces", "", nil, http.StatusOK, &w); err != nil {
		return "", "", "", err
	}
	for _, it := range w.Items {
		if it.Slug == "default" {
			ws = it.ID
		}
	}
	if ws == "" {
		return "", "", "", errors.New("no default workspace")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "roster.csv")
	_, _ = io.WriteString(fw, "Given Name,Surname\nAvery,Smith\nQuinn,Lee\n")
	_ = mw.Close()
	var d struct {
		ID string `json:"document_id"`
	}
	if err := call(c, http.MethodPost, base+"/api/v1/workspaces/"+ws+"/documents", mw.FormDataContentType(), body.Bytes(), http.StatusCreated, &d); err != nil {
		return "", "", "", err
	}
	var cf struct {
		ID string `json:"configuration_id"`
	}
	payload := []byte(`{"document_type":"member_roster","title":"Roster","payload":{"extractor":"stub"}}`)
	if err := call(c, http.MethodPost, base+"/api/v1/workspaces/"+ws+"/configurations", "application/json", payload, http.StatusCreated, &cf); err != nil {
		return "", "", "", err
	}
	return ws, d.ID, cf.ID, nil
}

func call(c *http.Client, method, u, ct string, body []byte, want int, out any) error {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	b, err := benchkit.Fetch(c, req, want)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// submitPhase runs POST /jobs under load and returns the figures and up to
// 10,000 of the created job ids.
func submitPhase(o benchkit.LoadOptions, c *http.Client, base, ws, doc, cfg string) (benchkit.Phase, []string) {
	u := base + "/api/v1/workspaces/" + ws + "/jobs"
	body := []byte(`{"document_id":"` + doc + `","configuration_id":"` + cfg + `"}`)
	var mu sync.Mutex
	var ids []string
	p := benchkit.Load(o, func(i int64) error {
		req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		b, err := benchkit.Fetch(c, req, http.StatusCreated) // the baseline ignores the key
		if err != nil {
			return err
		}
		var j struct {
			ID     string `json:"job_id"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(b, &j); err != nil {
			return err
		}
		if j.Status != "succeeded" {
			return fmt.Errorf("job %s ended %s", j.ID, j.Status)
		}
		mu.Lock()
		if len(ids) < 10_000 {
			ids = append(ids, j.ID)
		}
		mu.Unlock()
		return nil
	})
	return p, ids
}

// getPhase runs GET /jobs/{id} under load over the given ids.
func getPhase(o benchkit.LoadOptions, c *http.Client, base, ws string, ids []string) benchkit.Phase {
	if len(ids) == 0 {
		return benchkit.Phase{FirstError: "no jobs to read"}
	}
	prefix := base + "/api/v1/workspaces/" + ws + "/jobs/"
	return benchkit.Load(o, func(i int64) error {
		req, _ := http.NewRequest(http.MethodGet, prefix+ids[i%int64(len(ids))], nil)
		_, err := benchkit.Fetch(c, req, http.StatusOK) // the baseline ignores the key
		return err
	})
}

// ---- the baseline server (child process) ----

// baseline holds the child's database and its dialect.
type baseline struct {
	db     *sql.DB
	pg     bool
	tsText bool
}

// sqliteTime is the fixed-width UTC text ade stores in SQLite.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

func (b *baseline) ts(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if b.tsText {
		return t.Format(sqliteTime)
	}
	return t
}

// q rewrites ? placeholders as $n for PostgreSQL.
func (b *baseline) q(s string) string {
	if !b.pg {
		return s
	}
	var out strings.Builder
	n := 0
	for _, r := range s {
		if r == '?' {
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// The baseline's statements. A submission is the least work that leaves
// what ade leaves: the job row, already succeeded (its document type and
// configuration version read from the configuration in the same
// statement, so an unknown configuration inserts nothing), the stub's one
// table and the job's three events. On PostgreSQL that is one statement
// (data-modifying CTEs, one round trip, committed on its own); on SQLite
// one transaction of three INSERTs.
const (
	jobColumns = `id, workspace_id, status, document_type, configuration_id, configuration_version,
	input_document_id, created_by, created_at, updated_at, started_at, finished_at, attempts, metrics, logs,
	error_code, error_message, output_document_ids`
	// Arguments: job id, workspace, document, created, started, finished,
	// metrics, configuration.
	insertSucceededJob = `INSERT INTO jobs (` + jobColumns + `)
	SELECT ?, c.workspace_id, 'succeeded', c.document_type, c.id, c.version, ?, 'admin', ?, ?, ?, ?, 1, ?, '[]', NULL, NULL, '[]'
	FROM configurations c WHERE c.workspace_id = ? AND c.id = ?`
	// Arguments: table id, workspace, job, document, sample rows, created.
	insertTable = `INSERT INTO extracted_tables (id, workspace_id, job_id, document_id, sequence_index, title, sheet,
	row_count, columns, sample_rows, metadata, created_at) VALUES (?, ?, ?, ?, 0, 'Member Roster summary', 'summary', 3, '["field","value"]', ?, '{"extractor":"stub"}', ?)`
	// Arguments per event: id, workspace, type, job, time, request id, payload.
	insertEvents = `INSERT INTO events (id, workspace_id, event_type, entity_type, entity_id, occurred_at,
	actor_type, actor_id, actor_label, source, request_id, payload) VALUES
	(?, ?, ?, 'job', ?, ?, 'api_key', 'admin', 'global admin', 'api', ?, ?),
	(?, ?, ?, 'job', ?, ?, 'api_key', 'admin', 'global admin', 'api', ?, ?),
	(?, ?, ?, 'job', ?, ?, 'api_key', 'admin', 'global admin', 'api', ?, ?)`
	// pgSubmit is all of it in one PostgreSQL statement. Arguments: job
	// id $1, workspace $2, document $3, created $4, started $5, finished
	// $6, metrics $7, configuration $8, table id $9, sample rows $10,
	// event ids $11-$13, request id $14.
	pgSubmit = `WITH j AS (
	INSERT INTO jobs (` + jobColumns + `)
	SELECT $1, c.workspace_id, 'succeeded', c.document_type, c.id, c.version, $3, 'admin', $4, $6, $5, $6, 1, $7, '[]', NULL, NULL, '[]'
	FROM configurations c WHERE c.workspace_id = $2 AND c.id = $8
	RETURNING id, document_type, configuration_version
), t AS (
	INSERT INTO extracted_tables (id, workspace_id, job_id, document_id, sequence_index, title, sheet,
	row_count, columns, sample_rows, metadata, created_at)
	SELECT $9, $2, j.id, $3, 0, 'Member Roster summary', 'summary', 3, '["field","value"]', $10, '{"extractor":"stub"}', $6 FROM j
), e AS (
	INSERT INTO events (id, workspace_id, event_type, entity_type, entity_id, occurred_at,
	actor_type, actor_id, actor_label, source, request_id, payload)
	SELECT v.id, $2, v.type, 'job', j.id, v.at, 'api_key', 'admin', 'global admin', 'api', $14, v.payload
	FROM j, (VALUES ($11::text, 'job.created', $4::timestamptz, '{"status":"pending"}'::jsonb),
		($12::text, 'job.status.running', $5::timestamptz, '{"from":"pending","to":"running","attempts":1}'::jsonb),
		($13::text, 'job.status.succeeded', $6::timestamptz, '{"from":"running","to":"succeeded","attempts":1}'::jsonb)) AS v(id, type, at, payload)
)
SELECT document_type, configuration_version FROM j`
	selectJob = `SELECT id, workspace_id, status, document_type, configuration_id, configuration_version,
	input_document_id, created_by, created_at, updated_at, started_at, finished_at, attempts, metrics, logs,
	error_code, error_message, output_document_ids FROM jobs WHERE workspace_id = ? AND id = ?`
)

func serveBaseline(addr, driver, dsn string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	b := &baseline{db: db, pg: driver == "pgx", tsText: driver == "sqlite"}
	if b.pg {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
	} else {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	if err := db.Ping(); err != nil {
		return err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/health/ready", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Post("/api/v1/workspaces/:ws/jobs", b.submit)
	app.Get("/api/v1/workspaces/:ws/jobs/:id", b.get)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		_ = app.ShutdownWithTimeout(10 * time.Second)
	}()
	return app.Listener(ln)
}

// apiTime is how ade's API renders every time: RFC 3339 in UTC with
// milliseconds.
const apiTime = "2006-01-02T15:04:05.000Z"

// apiJobJSON is a job exactly as ade's API renders it (field order, time
// format, metrics defaults, log entries), so that the GET baseline answers
// the same bytes; the POST baseline answers its new job in it too.
type apiJobJSON struct {
	JobID                string         `json:"job_id"`
	WorkspaceID          string         `json:"workspace_id"`
	Status               string         `json:"status"`
	DocumentType         string         `json:"document_type"`
	ConfigurationID      string         `json:"configuration_id"`
	ConfigurationVersion int            `json:"configuration_version"`
	InputDocumentID      string         `json:"input_document_id"`
	CreatedBy            string         `json:"created_by"`
	CreatedAt            string         `json:"created_at"`
	UpdatedAt            string         `json:"updated_at"`
	StartedAt            *string        `json:"started_at"`
	FinishedAt           *string        `json:"finished_at"`
	Attempts             int            `json:"attempts"`
	Metrics              map[string]any `json:"metrics"`
	Logs                 []apiLogJSON   `json:"logs"`
	Error                *apiErrorJSON  `json:"error,omitempty"`
	OutputDocumentIDs    []string       `json:"output_document_ids"`
}

type apiLogJSON struct {
	At      string         `json:"at"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

type apiErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (b *baseline) submit(c *fiber.Ctx) error {
	var req struct {
		DocumentID      string `json:"document_id"`
		ConfigurationID string `json:"configuration_id"`
	}
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	ws := c.Params("ws")
	ctx := c.UserContext()
	id, tableID, rid := ulid.Make().String(), ulid.Make().String(), ulid.Make().String()
	created := time.Now().UTC()
	// The stub extractor's result.
	rows := []map[string]any{{"field": "job_id", "value": id}, {"field": "document_id", "value": req.DocumentID}, {"field": "configuration_version", "value": 1}}
	sample, _ := json.Marshal(rows)
	started, finished := created, time.Now().UTC()
	metrics := map[string]any{"duration_ms": finished.Sub(started).Milliseconds(), "tables_detected": 1, "rows_extracted": 3}
	mj, _ := json.Marshal(metrics)
	var docType string
	var version int
	if b.pg {
		err := b.db.QueryRowContext(ctx, pgSubmit, id, ws, req.DocumentID, created, started, finished, string(mj), req.ConfigurationID,
			tableID, string(sample), ulid.Make().String(), ulid.Make().String(), ulid.Make().String(), rid).Scan(&docType, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "unknown configuration")
		}
		if err != nil {
			return err
		}
	} else {
		t, err := b.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer t.Rollback() //nolint:errcheck // a no-op after Commit
		err = t.QueryRowContext(ctx, insertSucceededJob+" RETURNING document_type, configuration_version",
			id, req.DocumentID, b.ts(created), b.ts(finished), b.ts(started), b.ts(finished), string(mj), ws, req.ConfigurationID).Scan(&docType, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "unknown configuration")
		}
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, insertTable, tableID, ws, id, req.DocumentID, string(sample), b.ts(finished)); err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, insertEvents,
			ulid.Make().String(), ws, "job.created", id, b.ts(created), rid, `{"status":"pending"}`,
			ulid.Make().String(), ws, "job.status.running", id, b.ts(started), rid, `{"from":"pending","to":"running","attempts":1}`,
			ulid.Make().String(), ws, "job.status.succeeded", id, b.ts(finished), rid, `{"from":"running","to":"succeeded","attempts":1}`); err != nil {
			return err
		}
		if err := t.Commit(); err != nil {
			return err
		}
	}
	c.Location("/api/v1/workspaces/" + ws + "/jobs/" + id)
	startedAt, finishedAt := started.Format(apiTime), finished.Format(apiTime)
	return c.Status(fiber.StatusCreated).JSON(apiJobJSON{
		JobID: id, WorkspaceID: ws, Status: "succeeded", DocumentType: docType, ConfigurationID: req.ConfigurationID,
		ConfigurationVersion: version, InputDocumentID: req.DocumentID, CreatedBy: "admin", CreatedAt: created.Format(apiTime),
		UpdatedAt: finishedAt, StartedAt: &startedAt, FinishedAt: &finishedAt, Attempts: 1, Metrics: metrics,
		Logs: []apiLogJSON{}, OutputDocumentIDs: []string{},
	})
}

// scanTime reads a timestamp column of either dialect.
type scanTime struct{ t *time.Time }

func (s scanTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case time.Time:
		t := v.UTC()
		*s.t = t
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return err
		}
		*s.t = t
	case []byte:
		return s.Scan(string(v))
	default:
		return fmt.Errorf("timestamp of type %T", src)
	}
	return nil
}

// scanJSON decodes a JSON column of either dialect into dst.
type scanJSON struct{ dst any }

func (s scanJSON) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), s.dst)
	case []byte:
		return json.Unmarshal(v, s.dst)
	case nil:
		return nil
	default:
		return fmt.Errorf("json of type %T", src)
	}
}

func (b *baseline) get(c *fiber.Ctx) error {
	var j apiJobJSON
	var created, updated, started, finished time.Time
	var errCode, errMsg sql.NullString
	var logs []struct {
		At      time.Time      `json:"at"`
		Level   string         `json:"level"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	err := b.db.QueryRowContext(c.UserContext(), b.q(selectJob), c.Params("ws"), c.Params("id")).Scan(
		&j.JobID, &j.WorkspaceID, &j.Status, &j.DocumentType, &j.ConfigurationID, &j.ConfigurationVersion,
		&j.InputDocumentID, &j.CreatedBy, scanTime{&created}, scanTime{&updated}, scanTime{&started}, scanTime{&finished},
		&j.Attempts, scanJSON{&j.Metrics}, scanJSON{&logs}, &errCode, &errMsg, scanJSON{&j.OutputDocumentIDs})
	if errors.Is(err, sql.ErrNoRows) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	j.CreatedAt, j.UpdatedAt = created.UTC().Format(apiTime), updated.UTC().Format(apiTime)
	if !started.IsZero() {
		s := started.UTC().Format(apiTime)
		j.StartedAt = &s
	}
	if !finished.IsZero() {
		s := finished.UTC().Format(apiTime)
		j.FinishedAt = &s
	}
	if j.Metrics == nil {
		j.Metrics = map[string]any{}
	}
	for _, k := range []string{"duration_ms", "tables_detected", "rows_extracted"} {
		if _, ok := j.Metrics[k]; !ok {
			j.Metrics[k] = 0
		}
	}
	j.Logs = make([]apiLogJSON, len(logs))
	for i, l := range logs {
		if l.Details == nil {
			l.Details = map[string]any{}
		}
		j.Logs[i] = apiLogJSON{At: l.At.UTC().Format(apiTime), Level: l.Level, Message: l.Message, Details: l.Details}
	}
	if j.OutputDocumentIDs == nil {
		j.OutputDocumentIDs = []string{}
	}
	if j.Status == "failed" && errCode.Valid {
		j.Error = &apiErrorJSON{Code: errCode.String, Message: errMsg.String}
	}
	return c.JSON(j)
}
