// Command ui-documents measures the web UI's documents page over a
// workspace of 10,000 documents, each read by a job: the server's render
// time (p50, p99) for the first page, a page deep in the list, and a name
// search, and the page's weight before its document rows (the HTML shell
// and every asset it loads). Targets: render p99 <= 50 ms; weight <= 100 KB.
//
//	go run ./test/bench/ui-documents     # SQLite, then PostgreSQL when ADE_TEST_DATABASE_URL is set
//	go run ./test/bench/ui-documents -pg postgres://ade:ade@127.0.0.1:5432/ade_bench?sslmode=disable
//
// PostgreSQL runs in a fresh schema, dropped afterwards.
//
// The baseline is the least work that gets the page's data: the same use
// case (Documents.Find: the page of documents and each one's latest job)
// called directly, timed in chunks alternating with the page, so the
// ratio shows what rendering and the HTTP layer add.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/adapters/webui"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/test/benchkit"
)

const (
	targetP99    = 50 * time.Millisecond
	targetWeight = 100 * 1000
)

func main() {
	docs := flag.Int("documents", 10_000, "documents in the workspace")
	requests := flag.Int("requests", 400, "requests per case (and as many baseline calls)")
	pgURL := flag.String("pg", os.Getenv("ADE_TEST_DATABASE_URL"), "PostgreSQL URL (a fresh schema is used); default $ADE_TEST_DATABASE_URL")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed requests to this file")
	flag.Parse()
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		must(err)
		must(pprof.StartCPUProfile(pf))
		defer pprof.StopCPUProfile()
	}

	dir, err := os.MkdirTemp("", "ade-ui-bench")
	must(err)
	defer os.RemoveAll(dir)
	measure("sqlite:"+filepath.Join(dir, "ade.db"), *docs, *requests)
	must(benchkit.OnPostgres(*pgURL, func(schemaURL string) error {
		measure(schemaURL, *docs, *requests)
		return nil
	}))
}

// measure seeds a workspace on the database at target and measures its
// documents page.
func measure(target string, docs, requests int) {
	ctx := context.Background()
	db, err := bunstore.Open(ctx, target)
	must(err)
	defer db.Close()
	must(db.Migrate(ctx))
	blobs, err := blobstore.Open(ctx, "mem://")
	must(err)
	exs, err := app.NewExtractors(stub.Extractor{})
	must(err)
	// An insert-only queue: the seed stores pending jobs directly and the
	// page only reads them.
	must(riverqueue.Migrate(ctx, db))
	queue, err := riverqueue.Open(ctx, db, riverqueue.Config{})
	must(err)
	a, err := app.New(app.Deps{Repos: db.Repositories(), Queue: queue, Blobs: blobs, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs()})
	must(err)
	ws, err := a.Workspaces.Create(ctx, fmt.Sprintf("bench-%d", time.Now().UnixNano()), "Bench")
	must(err)
	key, err := a.Keys.Create(ctx, app.CreateAPIKeyRequest{WorkspaceID: ws.ID(), Role: domain.RoleEditor, Label: "bench"})
	must(err)

	start := time.Now()
	seed(ctx, a, db, ws.ID(), docs)
	dialect := map[string]string{"pg": "PostgreSQL", "sqlite": "SQLite"}[db.Dialect()]
	fmt.Printf("ui-documents: %d documents and %d jobs seeded in %s (%s)\n", docs, docs, time.Since(start).Round(time.Millisecond), dialect)

	f := fiber.New(fiber.Config{StreamRequestBody: true, DisablePreParseMultipartForm: true})
	_, err = webui.Mount(f, webui.Options{App: a, SessionSecret: []byte("bench-session-secret-0123456789abcdefghij")})
	must(err)
	h := f.Handler()
	cookie := signIn(h, key.Text)

	base := "/ui/w/" + ws.Slug() + "/documents"
	cases := []struct {
		name, path string
		query      app.DocumentQuery
		offset     int
	}{
		{"first page (50 rows)", base, app.DocumentQuery{}, 0},
		{"page at offset 9,000", base + "?offset=9000", app.DocumentQuery{}, 9000},
		{"name search, 1 match", base + "?name=" + url.QueryEscape("roster-07777"), app.DocumentQuery{Name: "roster-07777"}, 0},
		{"name search, 1,000 matches", base + "?name=" + url.QueryEscape("-09"), app.DocumentQuery{Name: "-09"}, 0},
		{"name search, 100 matches", base + "?name=" + url.QueryEscape("777"), app.DocumentQuery{Name: "777"}, 0},
	}
	fmt.Printf("  server render time, %d requests per case, in process (the handler from request to response bytes):\n", requests)
	for _, c := range cases {
		var page, use []time.Duration
		for chunk := 0; chunk < requests; chunk += 20 {
			for range 20 {
				t0 := time.Now()
				status, _ := get(h, c.path, cookie)
				page = append(page, time.Since(t0))
				if status != 200 {
					log.Fatalf("%s: status %d", c.path, status)
				}
			}
			for range 20 {
				t0 := time.Now()
				_, err := a.Documents.Find(ctx, ws.ID(), c.query, app.PageRequest{Limit: 50, Offset: c.offset})
				use = append(use, time.Since(t0))
				must(err)
			}
		}
		p50, p99 := pct(page, 50), pct(page, 99)
		b50, b99 := pct(use, 50), pct(use, 99)
		fmt.Printf("    %-28s p50 %7s  p99 %7s  (target p99 <= %s) %s\n", c.name, round(p50), round(p99), targetP99, benchkit.Verdict(p99 <= targetP99))
		fmt.Printf("    %-28s baseline Documents.Find p50 %7s  p99 %7s; the page costs %.2fx its data at p50\n", "", round(b50), round(b99), float64(p50)/float64(b50))
		benchkit.Report(benchkit.Result{
			Benchmark: fmt.Sprintf("web UI documents page, %s, %d documents each with a job, %s, server render in process", c.name, docs, dialect),
			ADE:       fmt.Sprintf("p50 %s, p99 %s", round(p50), round(p99)),
			Baseline:  fmt.Sprintf("Documents.Find alone (the page's data): p50 %s, p99 %s", round(b50), round(b99)),
			Ratio:     fmt.Sprintf("%.2fx its data at p50", float64(p50)/float64(b50)),
			Target:    fmt.Sprintf("p99 <= %s", targetP99),
			Met:       p99 <= targetP99,
		})
	}

	// Weight: the page's HTML without its document rows, plus every asset
	// it loads (the browser caches them for a year after the first visit).
	_, full := get(h, base, cookie)
	rows := regexp.MustCompile(`(?s)<tbody>.*</tbody>`)
	shell := rows.ReplaceAll(full, []byte("<tbody></tbody>"))
	assets := regexp.MustCompile(`(?:href|src)="(/ui/assets/[^"]+)"`).FindAllSubmatch(full, -1)
	var assetBytes, assetGzip int
	var names []string
	for _, m := range assets {
		_, body := get(h, string(m[1]), cookie)
		assetBytes += len(body)
		assetGzip += gz(body)
		name, _, _ := strings.Cut(strings.TrimPrefix(string(m[1]), "/ui/assets/"), "?")
		names = append(names, fmt.Sprintf("%s %.1f KB", name, float64(len(body))/1000))
	}
	total := len(shell) + assetBytes
	fmt.Printf("  page weight before the document rows: %.1f KB (HTML %.1f KB + assets %.1f KB: %s); gzip %.1f KB (target <= %d KB) %s\n",
		float64(total)/1000, float64(len(shell))/1000, float64(assetBytes)/1000, strings.Join(names, ", "),
		float64(gz(shell)+assetGzip)/1000, targetWeight/1000, benchkit.Verdict(total <= targetWeight))
	fmt.Printf("  the 50 rows add %.1f KB (%.0f bytes a row); the whole first page is %.1f KB of HTML\n",
		float64(len(full)-len(shell))/1000, float64(len(full)-len(shell))/50, float64(len(full))/1000)
	fmt.Println("  baseline: Documents.Find on the same store, same page and filter, called directly in alternating chunks of 20.")
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("web UI documents page weight before its rows (HTML and every asset), %s", dialect),
		ADE:       fmt.Sprintf("%.1f KB (gzip %.1f KB), %.0f bytes a row", float64(total)/1000, float64(gz(shell)+assetGzip)/1000, float64(len(full)-len(shell))/50),
		Target:    fmt.Sprintf("<= %d KB", targetWeight/1000),
		Met:       total <= targetWeight,
	})
}

// seed stores n documents, each with a pending job, in batches.
func seed(ctx context.Context, a *app.App, db *bunstore.DB, wsID string, n int) {
	repos := db.Repositories()
	cfg, err := a.Configurations.Create(ctx, app.CreateConfigurationRequest{WorkspaceID: wsID, DocumentType: "roster", Title: "Roster", Payload: map[string]any{"extractor": "stub"}})
	must(err)
	ids := system.NewULIDs()
	now := time.Now().UTC()
	for i := 0; i < n; i += 500 {
		must(repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
			for j := i; j < min(i+500, n); j++ {
				at := now.Add(time.Duration(j) * time.Millisecond)
				d, err := domain.NewDocument(domain.NewDocumentParams{
					ID: ids.NewID(), WorkspaceID: wsID, Filename: fmt.Sprintf("roster-%05d.xlsx", j),
					ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ByteSize: int64(10_000 + j),
					SHA256: strings.Repeat("ab", 32), BlobKey: "documents/bench/" + fmt.Sprint(j),
					ExpiresAt: at.Add(30 * 24 * time.Hour), Now: at,
				})
				if err != nil {
					return err
				}
				if err := repos.Documents.Create(ctx, d); err != nil {
					return err
				}
				job, err := domain.NewJob(domain.NewJobParams{ID: ids.NewID(), WorkspaceID: wsID, DocumentType: "roster",
					ConfigurationID: cfg.ID(), ConfigurationVersion: 1, InputDocumentID: d.ID(), CreatedBy: "bench", Now: at})
				if err != nil {
					return err
				}
				if err := repos.Jobs.Create(ctx, job); err != nil {
					return err
				}
			}
			return nil
		}))
	}
}

// get runs one request through the handler, in process.
func get(h fasthttp.RequestHandler, path, cookie string) (int, []byte) {
	var c fasthttp.RequestCtx
	c.Request.SetRequestURI(path)
	c.Request.Header.SetMethod("GET")
	c.Request.Header.SetHost("bench.local")
	c.Request.Header.Set("Cookie", cookie)
	h(&c)
	return c.Response.StatusCode(), bytes.Clone(c.Response.Body())
}

// signIn goes through the sign-in form and returns the session cookie.
func signIn(h fasthttp.RequestHandler, key string) string {
	var c fasthttp.RequestCtx
	c.Request.SetRequestURI("/ui/sign-in")
	c.Request.Header.SetHost("bench.local")
	h(&c)
	tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(c.Response.Body())[1]
	pre := cookieValue(&c, "ade_signin")
	var p fasthttp.RequestCtx
	p.Request.SetRequestURI("/ui/sign-in")
	p.Request.Header.SetMethod("POST")
	p.Request.Header.SetHost("bench.local")
	p.Request.Header.SetContentType("application/x-www-form-urlencoded")
	p.Request.Header.Set("Cookie", "ade_signin="+pre)
	p.Request.SetBodyString(url.Values{"csrf_token": {string(tok)}, "api_key": {key}}.Encode())
	h(&p)
	if p.Response.StatusCode() != 303 {
		log.Fatalf("sign-in: status %d: %s", p.Response.StatusCode(), p.Response.Body())
	}
	return "ade_session=" + cookieValue(&p, "ade_session")
}

func cookieValue(c *fasthttp.RequestCtx, name string) string {
	var ck fasthttp.Cookie
	ck.SetKey(name)
	if !c.Response.Header.Cookie(&ck) {
		log.Fatalf("no cookie %s", name)
	}
	return string(ck.Value())
}

func gz(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Len()
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
