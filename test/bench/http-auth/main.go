// Command http-auth measures what authentication costs per request: GET
// /jobs/{id} with a valid API key on the HTTP adapter as `ade serve` builds
// it, against the same adapter built without authentication
// (httpapi.Options.InsecureWithoutAuth: the same handlers, no guard but
// the workspace lookup), over the same database rows, in the same run.
// Each server runs alone in a child process of this program while
// concurrent keep-alive clients load it over loopback; the two alternate
// for several rounds and the medians are compared. Both receive the same
// request bytes, the key included.
//
// The authenticated path does what every request does: read the key from
// the header, hash it, find it in the key cache (a database read once per
// ADE_AUTH_CACHE_TTL), charge the key's token bucket, ask the permission
// table, record the use (sampled) and set the actor. The key is a viewer
// key of the workspace, so the workspace check runs too.
//
// On a machine busy with other work, throughput measured in turns swings
// by tens of percent between rounds. A second measure cancels that: both
// servers run side by side and every client alternates its requests
// between them, so both see the same load at the same moments and serve
// the same number of requests; the processor time each used per request
// gives the throughput cost (1 - cpu without / cpu with), paired round by
// round.
//
// A third figure removes the network and the database: both servers'
// handlers called in this process over the memory store, one request at a
// time, in alternating chunks, so the difference is the time
// authentication adds to one request.
//
// The baseline is built here, not in the ade binary, which has no way to
// turn authentication off (test/arch checks that only code under test/
// builds such a server). It prints requests/s, p50 and p99 of both, and
// the cost of authentication as a share of throughput; it asserts nothing.
//
//	go run ./test/bench/http-auth                    # 32 clients, 3 rounds of 5 s
//	go run ./test/bench/http-auth -rounds 1 -duration 2s -sqlite=false
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/test/benchkit"
)

// targetCost is the most authentication may cost, as a share of the
// throughput without it.
const targetCost = 0.10

// jobsToRead is how many jobs the load cycles through.
const jobsToRead = 200

func main() {
	var o benchkit.LoadOptions
	db := flag.String("db", os.Getenv("ADE_TEST_DATABASE_URL"), "PostgreSQL URL (a fresh schema is created in it); default $ADE_TEST_DATABASE_URL")
	withSQLite := flag.Bool("sqlite", true, "also run on the embedded SQLite")
	rounds := flag.Int("rounds", 3, "rounds; each measures both servers, in alternating order")
	benchkit.LoadFlags(&o, 5*time.Second)
	dir := flag.String("dir", "", "parent directory for data (default: the system temp dir)")
	child := flag.String("serve", "", "internal: run a server on this address")
	childAuth := flag.Bool("auth", true, "internal: whether the server authenticates")
	childDB := flag.String("serve-db", "", "internal: the server's database")
	flag.Parse()
	log.SetFlags(0)

	if *child != "" {
		if err := serve(*child, *childDB, *childAuth); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(o, *db, *withSQLite, *rounds, *dir); err != nil {
		log.Fatal(err)
	}
}

// fixtures are the rows every server reads.
type fixtures struct {
	ws   string
	key  string
	jobs []string
}

// figures are the phases on one database.
type figures struct {
	name       string
	auth, none []measured
	// paired are the side-by-side rounds.
	paired []pairedRound
}

// pairedRound is one side-by-side round: each server's processor time per
// request while both served the same requests at the same time.
type pairedRound struct {
	requests   int64
	auth, none time.Duration
}

// cost is the throughput authentication costs, from processor time: at
// saturation throughput is inversely proportional to it.
func (r pairedRound) cost() float64 { return 1 - float64(r.none)/float64(r.auth) }

// measured is one phase and the server's processor time per request.
type measured struct {
	benchkit.Phase
	cpuPerRequest time.Duration
}

func run(o benchkit.LoadOptions, pgURL string, withSQLite bool, rounds int, parent string) error {
	work, err := os.MkdirTemp(parent, "ade-http-auth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	var all []figures
	err = benchkit.OnPostgres(pgURL, func(schemaURL string) error {
		f, err := runBackend(o, rounds, "PostgreSQL", schemaURL)
		all = append(all, f)
		return err
	})
	if err != nil {
		return err
	}
	if withSQLite {
		f, err := runBackend(o, rounds, "SQLite", "sqlite:"+filepath.Join(work, "ade.db"))
		if err != nil {
			return err
		}
		all = append(all, f)
	}

	fmt.Printf("\nhttp-auth: GET /jobs/{id}, %d clients, %d rounds of %s per server (after %s warm-up), loopback, keep-alive\n",
		o.Clients, rounds, o.Duration, o.Warmup)
	for _, f := range all {
		a, n := median(f.auth, rate), median(f.none, rate)
		cost := 1 - a.PerSec/n.PerSec
		ca, cn := median(f.auth, cpu).cpuPerRequest, median(f.none, cpu).cpuPerRequest
		fmt.Printf("  %s\n", f.name)
		fmt.Printf("    with a viewer key      %s  server CPU %s/request\n", a.Phase, ca)
		fmt.Printf("    without authentication %s  server CPU %s/request\n", n.Phase, cn)
		fmt.Printf("    authentication costs %.1f%% of throughput (medians; target <= %.0f%%) %s\n",
			100*cost, 100*targetCost, benchkit.Verdict(cost <= targetCost))
		fmt.Printf("    and %.1f%% more server CPU per request (%s; the steadier figure on a busy machine)\n",
			100*(float64(ca)/float64(cn)-1), ca-cn)
		for i := range f.auth {
			fmt.Printf("      round %d: %6.0f /s, %s/request with a key; %6.0f /s, %s/request without\n", i+1,
				f.auth[i].PerSec, f.auth[i].cpuPerRequest, f.none[i].PerSec, f.none[i].cpuPerRequest)
		}
		costs := make([]float64, len(f.paired))
		for i, r := range f.paired {
			costs[i] = r.cost()
		}
		pc := benchkit.Median(costs)
		fmt.Printf("    side by side, requests alternating between the two servers: authentication costs %.1f%% of throughput\n", 100*pc)
		fmt.Printf("    (median of %d paired rounds, from server CPU per request; target <= %.0f%%) %s\n",
			len(f.paired), 100*targetCost, benchkit.Verdict(pc <= targetCost))
		for i, r := range f.paired {
			fmt.Printf("      round %d: %d requests each; %s/request with a key, %s without: %.1f%%\n",
				i+1, r.requests, r.auth, r.none, 100*r.cost())
		}
		pa, pn := medianDuration(f.paired, func(r pairedRound) time.Duration { return r.auth }), medianDuration(f.paired, func(r pairedRound) time.Duration { return r.none })
		benchkit.Report(benchkit.Result{
			Benchmark: fmt.Sprintf("authentication on GET /jobs/{id} (viewer key), %d clients, %s, both servers side by side", o.Clients, f.name),
			ADE:       fmt.Sprintf("server CPU %s/request", pa),
			Baseline:  fmt.Sprintf("the same adapter and handlers without authentication: %s/request", pn),
			Ratio:     fmt.Sprintf("costs %.1f%%", 100*pc), Target: fmt.Sprintf("<= %.0f%%", 100*targetCost), Met: pc <= targetCost,
		})
	}
	in, err := inProcess()
	if err != nil {
		return err
	}
	fmt.Printf("  in process, memory store, one request at a time (medians of %d alternating chunks of %d requests)\n", inProcessChunks, inProcessChunkLen)
	fmt.Printf("    with a viewer key      %8.0f ns/request\n", in.auth)
	fmt.Printf("    without authentication %8.0f ns/request\n", in.none)
	fmt.Printf("    authentication adds %.0f ns (%.2f µs) to a request\n", in.diff, in.diff/1000)
	fmt.Println("  baseline: the same HTTP adapter and handlers built with InsecureWithoutAuth (workspace lookup only), same database and rows.")
	return nil
}

// In-process pacing: chunks of requests, each server's chunk timed right
// after the other's, so that whatever else the machine does falls on both
// alike; the medians of the chunks count.
const (
	inProcessChunks   = 200
	inProcessChunkLen = 500
)

type inProcessFigures struct{ auth, none, diff float64 }

// inProcess times GET /jobs/{id} through each server's Fiber handler,
// without a network or a database, in alternating chunks.
func inProcess() (inProcessFigures, error) {
	ctx := context.Background()
	blobs, err := blobstore.Open(ctx, "mem://")
	if err != nil {
		return inProcessFigures{}, err
	}
	defer blobs.Close()
	exs, err := app.NewExtractors(stub.Extractor{})
	if err != nil {
		return inProcessFigures{}, err
	}
	store := memory.New()
	queue := memory.NewQueue(store, memory.QueueOptions{Workers: 1})
	a, err := app.New(app.Deps{Repos: store.Repositories(), Queue: queue, Blobs: blobs, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs()})
	if err != nil {
		return inProcessFigures{}, err
	}
	queue.Start(a.Tasks)
	defer queue.Stop(ctx)
	fx, err := seed(ctx, a, 1)
	if err != nil {
		return inProcessFigures{}, err
	}
	uri := "/api/v1/workspaces/" + fx.ws + "/jobs/" + fx.jobs[0]
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	// chunk returns a function timing n requests through a server's
	// handler, in nanoseconds per request.
	chunk := func(auth bool) func(n int) (float64, error) {
		h := httpapi.New(httpapi.Options{
			App: a, Logger: slog.New(slog.DiscardHandler),
			Limits:              httpapi.Limits{Rate: 1e9, Burst: 1e9, Uploads: 1000, Jobs: 1000},
			InsecureWithoutAuth: !auth,
		}).Handler()
		var req fasthttp.Request
		var rc fasthttp.RequestCtx
		return func(n int) (float64, error) {
			start := time.Now()
			for range n {
				req.Reset()
				req.SetRequestURI(uri)
				req.Header.Set("Authorization", "Bearer "+fx.key)
				rc.Init(&req, addr, nil)
				h(&rc)
				if rc.Response.StatusCode() != http.StatusOK {
					return 0, fmt.Errorf("in process: status %d: %.200s", rc.Response.StatusCode(), rc.Response.Body())
				}
			}
			return float64(time.Since(start).Nanoseconds()) / float64(n), nil
		}
	}
	withKey, without := chunk(true), chunk(false)
	// Warm both up (caches, pools, the key cache).
	if _, err := withKey(inProcessChunkLen * 4); err != nil {
		return inProcessFigures{}, err
	}
	if _, err := without(inProcessChunkLen * 4); err != nil {
		return inProcessFigures{}, err
	}
	var as, ns, ds []float64
	for range inProcessChunks {
		x, err := withKey(inProcessChunkLen)
		if err != nil {
			return inProcessFigures{}, err
		}
		y, err := without(inProcessChunkLen)
		if err != nil {
			return inProcessFigures{}, err
		}
		as, ns, ds = append(as, x), append(ns, y), append(ds, x-y)
	}
	return inProcessFigures{auth: benchkit.Median(as), none: benchkit.Median(ns), diff: benchkit.Median(ds)}, nil
}

func rate(m measured) float64 { return m.PerSec }
func cpu(m measured) float64  { return float64(m.cpuPerRequest) }

// median returns the phase whose figure by is the median.
func median(ms []measured, by func(measured) float64) measured {
	vals := make([]float64, len(ms))
	for i, m := range ms {
		vals[i] = by(m)
	}
	mid := benchkit.Median(vals)
	best := ms[0]
	for _, m := range ms {
		if abs(by(m)-mid) < abs(by(best)-mid) {
			best = m
		}
	}
	return best
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// runBackend prepares the rows on databaseURL, then measures both servers
// round after round.
func runBackend(o benchkit.LoadOptions, rounds int, name, databaseURL string) (figures, error) {
	f := figures{name: name}
	fx, err := prepare(databaseURL)
	if err != nil {
		return f, fmt.Errorf("%s: prepare: %w", name, err)
	}
	self, err := os.Executable()
	if err != nil {
		return f, err
	}
	fmt.Printf("%s: side by side, %d rounds ...\n", name, rounds)
	if f.paired, err = sideBySide(o, rounds, self, databaseURL, fx); err != nil {
		return f, fmt.Errorf("%s: %w", name, err)
	}
	for r := range rounds {
		order := []bool{true, false}
		if r%2 == 1 {
			order = []bool{false, true}
		}
		for _, auth := range order {
			label := "without authentication"
			if auth {
				label = "with a key"
			}
			fmt.Printf("%s: round %d, GET /jobs/{id} %s ...\n", name, r+1, label)
			p, err := measure(o, self, databaseURL, auth, fx)
			if err != nil {
				return f, fmt.Errorf("%s: %w", name, err)
			}
			if p.Failed > 0 {
				return f, fmt.Errorf("%s %s: %d requests failed: %s", name, label, p.Failed, p.FirstError)
			}
			if auth {
				f.auth = append(f.auth, p)
			} else {
				f.none = append(f.none, p)
			}
		}
	}
	return f, nil
}

// startServer starts one server (a child process) on a free address.
func startServer(self, databaseURL string, auth bool) (*benchkit.Process, string, error) {
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, "-serve", addr, "-serve-db", databaseURL, fmt.Sprintf("-auth=%t", auth))
	cmd.Env = benchkit.CleanEnv()
	srv, err := benchkit.StartServer(cmd, addr)
	return srv, addr, err
}

// getter returns a load function reading the jobs from the server at
// addr. Every server gets the same bytes; the baseline ignores the key.
func getter(client *http.Client, addr string, fx fixtures) func(i int64) error {
	prefix := "http://" + addr + "/api/v1/workspaces/" + fx.ws + "/jobs/"
	return func(i int64) error {
		req, _ := http.NewRequest(http.MethodGet, prefix+fx.jobs[i%int64(len(fx.jobs))], nil)
		req.Header.Set("Authorization", "Bearer "+fx.key)
		_, err := benchkit.Fetch(client, req, http.StatusOK)
		return err
	}
}

// measure starts one server and loads it alone: a warm-up, then the
// measured phase, with the server's processor time taken around it.
func measure(o benchkit.LoadOptions, self, databaseURL string, auth bool, fx fixtures) (measured, error) {
	srv, addr, err := startServer(self, databaseURL, auth)
	if err != nil {
		return measured{}, err
	}
	client := benchkit.NewClient()
	get := getter(client, addr, fx)
	warm := o
	warm.Duration, warm.Warmup = o.Warmup, 0
	benchkit.Load(warm, get)
	o.Warmup = 0
	before := srv.CPUTime()
	p := benchkit.Load(o, get)
	m := measured{Phase: p}
	if p.OK > 0 {
		m.cpuPerRequest = (srv.CPUTime() - before) / time.Duration(p.OK)
	}
	client.CloseIdleConnections()
	if err := srv.Stop(); err != nil {
		return m, fmt.Errorf("stop the server: %w\n%s", err, srv.Stderr())
	}
	return m, nil
}

// sideBySide runs both servers at once; request i goes to the server with
// a key when i is even, to the other when it is odd, so both serve the
// same requests under the same load. Each round reports their processor
// time per request.
func sideBySide(o benchkit.LoadOptions, rounds int, self, databaseURL string, fx fixtures) ([]pairedRound, error) {
	withKey, addrA, err := startServer(self, databaseURL, true)
	if err != nil {
		return nil, err
	}
	defer withKey.Stop()
	without, addrB, err := startServer(self, databaseURL, false)
	if err != nil {
		return nil, err
	}
	defer without.Stop()
	client := benchkit.NewClient()
	defer client.CloseIdleConnections()
	getA, getB := getter(client, addrA, fx), getter(client, addrB, fx)
	get := func(i int64) error {
		if i%2 == 0 {
			return getA(i / 2)
		}
		return getB(i / 2)
	}
	warm := o
	warm.Duration, warm.Warmup = o.Warmup, 0
	benchkit.Load(warm, get)
	o.Warmup = 0
	var out []pairedRound
	for range rounds {
		a0, b0 := withKey.CPUTime(), without.CPUTime()
		p := benchkit.Load(o, get)
		if p.Failed > 0 {
			return out, fmt.Errorf("side by side: %d requests failed: %s", p.Failed, p.FirstError)
		}
		// Requests alternate, so each server served half (to within one).
		half := max(1, p.OK/2)
		out = append(out, pairedRound{requests: half,
			auth: (withKey.CPUTime() - a0) / time.Duration(half), none: (without.CPUTime() - b0) / time.Duration(half)})
	}
	return out, nil
}

// prepare migrates the database and seeds it with jobsToRead jobs.
func prepare(databaseURL string) (fixtures, error) {
	ctx := context.Background()
	a, closeAll, err := open(ctx, databaseURL, true)
	if err != nil {
		return fixtures{}, err
	}
	defer closeAll()
	return seed(ctx, a, jobsToRead)
}

// seed stores a workspace, a viewer key, a document, a configuration and
// n finished jobs through the use cases.
func seed(ctx context.Context, a *app.App, n int) (fixtures, error) {
	ws, err := a.Workspaces.EnsureDefault(ctx)
	if err != nil {
		return fixtures{}, err
	}
	k, err := a.Keys.Create(ctx, app.CreateAPIKeyRequest{WorkspaceID: ws.ID(), Role: domain.RoleViewer, Label: "bench"})
	if err != nil {
		return fixtures{}, err
	}
	doc, err := a.Documents.Upload(ctx, app.UploadRequest{WorkspaceID: ws.ID(), Filename: "roster.csv",
		Body: strings.NewReader("Given Name,Surname\nAvery,Smith\nQuinn,Lee\n")})
	if err != nil {
		return fixtures{}, err
	}
	cfg, err := a.Configurations.Create(ctx, app.CreateConfigurationRequest{WorkspaceID: ws.ID(), DocumentType: "member_roster",
		Title: "Roster", Payload: map[string]any{"extractor": "stub"}})
	if err != nil {
		return fixtures{}, err
	}
	fx := fixtures{ws: ws.ID(), key: k.Text}
	for range n {
		j, err := a.Jobs.Submit(ctx, app.SubmitJobRequest{WorkspaceID: ws.ID(), DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		if err != nil {
			return fixtures{}, err
		}
		fx.jobs = append(fx.jobs, j.ID())
	}
	return fx, nil
}

// open builds the use cases over databaseURL (blobs in memory: reading
// jobs touches none).
func open(ctx context.Context, databaseURL string, migrate bool) (*app.App, func(), error) {
	db, err := bunstore.Open(ctx, databaseURL)
	if err != nil {
		return nil, nil, err
	}
	if migrate {
		if err := db.Migrate(ctx); err != nil {
			_ = db.Close()
			return nil, nil, err
		}
	}
	blobs, err := blobstore.Open(ctx, "mem://")
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	closeAll := func() { _ = blobs.Close(); _ = db.Close() }
	exs, err := app.NewExtractors(stub.Extractor{})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	if migrate {
		if err := riverqueue.Migrate(ctx, db); err != nil {
			closeAll()
			return nil, nil, err
		}
	}
	// One worker runs the jobs the seed submits.
	queue, err := riverqueue.Open(ctx, db, riverqueue.Config{Workers: 1})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	a, err := app.New(app.Deps{Repos: db.Repositories(), Queue: queue, Blobs: blobs, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs()})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	if err := queue.Start(ctx, a.Tasks); err != nil {
		closeAll()
		return nil, nil, err
	}
	return a, func() { _ = queue.Stop(context.Background()); closeAll() }, nil
}

// serve runs one server (the child process) until SIGTERM: the HTTP
// adapter as `ade serve` builds it, or the same without authentication.
func serve(addr, databaseURL string, auth bool) error {
	ctx := context.Background()
	a, closeAll, err := open(ctx, databaseURL, false)
	if err != nil {
		return err
	}
	defer closeAll()
	f := httpapi.New(httpapi.Options{
		App: a, Logger: slog.New(slog.DiscardHandler),
		// Limits no load here reaches: the limiter still runs.
		Limits:              httpapi.Limits{Rate: 1e9, Burst: 1e9, Uploads: 1000, Jobs: 1000},
		InsecureWithoutAuth: !auth,
		Checks:              map[string]func(context.Context) error{"ready": func(context.Context) error { return nil }},
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		_ = f.ShutdownWithTimeout(10 * time.Second)
	}()
	if err := f.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// medianDuration is the median of one duration of each paired round.
func medianDuration(rounds []pairedRound, of func(pairedRound) time.Duration) time.Duration {
	v := make([]float64, len(rounds))
	for i, r := range rounds {
		v[i] = float64(of(r))
	}
	return time.Duration(benchkit.Median(v)).Round(100 * time.Nanosecond)
}
