package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/bunstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/adapters/riverqueue"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/test/pgtest"
)

// The fuzz targets drive the Fiber app in-process (fiber.App.Test) over the
// use cases on SQLite, and on PostgreSQL too when ADE_TEST_DATABASE_URL is
// set, so hostile bytes reach a real database. Each asserts that no input
// makes the server answer 5xx or panic. `make test` runs their seed corpora
// (f.Add below and testdata/fuzz/); `make fuzz` explores further.

// fuzzServer is one server and the ids of the records it starts with.
type fuzzServer struct {
	store string
	app   *fiber.App
	key   string // a global admin key, sent with every request
	ws    string
	doc   string
	cfg   string
	job   string
}

// fuzzServers opens one server per store for a fuzz target.
func fuzzServers(f *testing.F) []*fuzzServer {
	f.Helper()
	ctx := context.Background()
	urls := map[string]string{"sqlite": "sqlite:" + filepath.Join(f.TempDir(), "ade.db")}
	if admin := os.Getenv(pgtest.EnvURL); admin != "" {
		u, drop, err := pgtest.CreateSchema(admin, "fuzz")
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() {
			if err := drop(); err != nil {
				f.Error(err)
			}
		})
		urls["pg"] = u
	} else if os.Getenv("CI") == "true" {
		f.Fatal(pgtest.EnvURL + " is empty but CI=true: the fuzz seeds must run on PostgreSQL too")
	}
	var out []*fuzzServer
	for _, name := range []string{"sqlite", "pg"} {
		u, ok := urls[name]
		if !ok {
			continue
		}
		db, err := bunstore.Open(ctx, u)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = db.Close() })
		if err := db.Migrate(ctx); err != nil {
			f.Fatal(err)
		}
		out = append(out, newFuzzServer(f, name, db))
	}
	return out
}

func newFuzzServer(f *testing.F, name string, db *bunstore.DB) *fuzzServer {
	ctx := context.Background()
	bs, err := blobstore.Open(ctx, "mem://")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = bs.Close() })
	exs, err := app.NewExtractors(stub.Extractor{})
	if err != nil {
		f.Fatal(err)
	}
	// Jobs run on River over the same store, as in the binary.
	if err := riverqueue.Migrate(ctx, db); err != nil {
		f.Fatal(err)
	}
	q, err := riverqueue.Open(ctx, db, riverqueue.Config{Workers: 2})
	if err != nil {
		f.Fatal(err)
	}
	a, err := app.New(app.Deps{Repos: db.Repositories(), Queue: q, Blobs: bs, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs(),
		Config: app.Config{MaxUploadBytes: 1 << 20}})
	if err != nil {
		f.Fatal(err)
	}
	if err := q.Start(ctx, a.Tasks); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = q.Stop(context.Background()) })
	ws, err := a.Workspaces.EnsureDefault(ctx)
	if err != nil {
		f.Fatal(err)
	}
	doc, err := a.Documents.Upload(ctx, app.UploadRequest{WorkspaceID: ws.ID(), Filename: "r.csv", Body: strings.NewReader("a,b\n1,2\n")})
	if err != nil {
		f.Fatal(err)
	}
	cfg, err := a.Configurations.Create(ctx, app.CreateConfigurationRequest{WorkspaceID: ws.ID(), DocumentType: "roster", Title: "Roster",
		Payload: map[string]any{"extractor": "stub"}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := a.Configurations.Activate(ctx, ws.ID(), cfg.ID()); err != nil {
		f.Fatal(err)
	}
	job, err := a.Jobs.Submit(ctx, app.SubmitJobRequest{WorkspaceID: ws.ID(), DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
	if err != nil {
		f.Fatal(err)
	}
	admin, err := a.Keys.Create(ctx, app.CreateAPIKeyRequest{Role: domain.RoleAdmin, Label: "fuzz admin"})
	if err != nil {
		f.Fatal(err)
	}
	h := httpapi.New(httpapi.Options{App: a, Logger: slog.New(slog.DiscardHandler), MaxUploadBytes: 1 << 20, Limits: unreachable})
	s := &fuzzServer{store: name, app: h.App, key: admin.Text, ws: ws.ID(), doc: doc.ID(), cfg: cfg.ID(), job: job.ID()}
	// The key works: inputs reach the handlers, not only authentication.
	req := request(nethttp.MethodGet, s.expand("/api/v1/workspaces/{ws}/documents/{doc}"), "", nil)
	req.Header.Set("Authorization", "Bearer "+s.key)
	resp, err := h.Test(req, -1)
	if err != nil || resp.StatusCode != nethttp.StatusOK {
		f.Fatalf("%s: the fuzz server does not answer a plain read: %v %v", name, err, resp)
	}
	resp.Body.Close()
	return s
}

// expand replaces {ws}, {doc}, {cfg} and {job} with the server's ids.
func (s *fuzzServer) expand(v string) string {
	return strings.NewReplacer("{ws}", s.ws, "{doc}", s.doc, "{cfg}", s.cfg, "{job}", s.job).Replace(v)
}

// send serves req and fails the target on a 5xx or a panic. A request
// Go cannot write or fasthttp cannot parse never reaches a handler.
func (s *fuzzServer) send(t *testing.T, req *nethttp.Request) {
	t.Helper()
	req.Header.Set("Authorization", "Bearer "+s.key)
	resp, err := s.app.Test(req, -1)
	if err != nil {
		if strings.Contains(err.Error(), "panic") {
			t.Fatalf("%s: %s %s: %v", s.store, req.Method, req.URL, err)
		}
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		t.Fatalf("%s: %s %s answered %d: %s", s.store, req.Method, req.URL, resp.StatusCode, body)
	}
}

func request(method, path, rawQuery string, body []byte) *nethttp.Request {
	req := &nethttp.Request{Method: method, URL: &url.URL{Scheme: "http", Host: "ade.test", Path: path, RawQuery: rawQuery},
		Header: nethttp.Header{}, Host: "ade.test", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: nethttp.NoBody}
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	return req
}

func FuzzUpload(f *testing.F) {
	servers := fuzzServers(f)
	part := func(headers, data string) string { return "--B\r\n" + headers + "\r\n\r\n" + data + "\r\n" }
	file := `Content-Disposition: form-data; name="file"; filename="a.csv"` + "\r\nContent-Type: text/csv"
	for _, seed := range []string{
		part(file, "a,b\n1,2") + "--B--\r\n",
		part(`Content-Disposition: form-data; name="metadata"`, `{"a":12345678901234567890123,"b":[1e2,0.10]}`) + part(file, "x") + "--B--\r\n",
		part(file, "x") + part(`Content-Disposition: form-data; name="metadata"`, `{"a":1,"a":2}`) + "--B--\r\n",
		part(file, "x") + part(`Content-Disposition: form-data; name="metadata"`, `{"a":"\u0000"}`) + "--B--\r\n",
		part(file, "x") + part(`Content-Disposition: form-data; name="metadata"`, `{"n":1e99999}`) + "--B--\r\n",
		part(file, "x") + part(`Content-Disposition: form-data; name="expires_at"`, "9999-12-31T23:59:59-23:59") + "--B--\r\n",
		part(file, "x") + part(`Content-Disposition: form-data; name="expires_at"`, "0000-01-01T00:00:00+23:59") + "--B--\r\n",
		part(`Content-Disposition form-data; name="file"`, "x") + "--B--\r\n",
		part("Content-Disposition: form-data; name=\"file\"; filename=\"a\x00.csv\"", "x") + "--B--\r\n",
		part("Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\x00", "x") + "--B--\r\n",
		part("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%00%E2%80%AE.csv", "x") + "--B--\r\n",
		part(`Content-Disposition: form-data; name="file"; filename="a.csv`, "x") + "--B--\r\n",
		part("Content-Disposition: form-data; name=\"fi\xffle\"", "x") + "--B--\r\n",
		part(file, "x") + part(file, "y") + "--B--\r\n",
		part(file, "x"),
		"--B\r\n",
		"",
	} {
		f.Add([]byte(seed), "B")
	}
	f.Add([]byte(part(file, "x")+"--B--\r\n"), `"B"; charset=x`)
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		for _, s := range servers {
			req := request(nethttp.MethodPost, s.expand("/api/v1/workspaces/{ws}/documents"), "", body)
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
			s.send(t, req)
		}
	})
}

// jsonRoutes are the JSON bodies the API reads.
var jsonRoutes = []struct{ method, path string }{
	{nethttp.MethodPost, "/api/v1/workspaces"},
	{nethttp.MethodPost, "/api/v1/workspaces/{ws}/configurations"},
	{nethttp.MethodPost, "/api/v1/workspaces/{ws}/jobs"},
	{nethttp.MethodDelete, "/api/v1/workspaces/{ws}/documents/{doc}"},
	{nethttp.MethodPost, "/api/v1/workspaces/{ws}/api-keys"},
}

func FuzzJSONBody(f *testing.F) {
	servers := fuzzServers(f)
	for i, seeds := range [][]string{
		{`{"slug":"a","name":"A"}`, `{"slug":"a","name":"a\u0000"}`, `{"slug":"a","name":"A","name":"B"}`, `{"slug":1}`, `[`, `{"slug":"b","name":"\u001b[2J"}`},
		{`{"document_type":"r","title":"t","payload":{"extractor":"stub"}}`, `{"document_type":"r","title":"t","payload":{"extractor":"stub","x":{"y":1,"y":2}}}`,
			`{"document_type":"r\u0000","title":"t","payload":{"extractor":"stub"}}`, `{"document_type":"r","title":"t","payload":{"extractor":"stub","fail":"\u0000"}}`,
			`{"document_type":"r","title":"t","payload":{"extractor":"stub","n":123456789012345678901234567890}}`, `{"document_type":"r","title":"t","payload":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}`},
		{`{"document_id":"{doc}","configuration_id":"{cfg}"}`, `{"document_id":"{doc}","document_type":"roster"}`, `{"document_id":"{doc}\u0000","document_type":"roster"}`,
			`{"document_id":"\ud800","document_type":"roster"}`, `{"document_id":"{doc}","document_id":"{doc}","document_type":"roster"}`},
		{`{"reason":"dup"}`, `{"reason":"a\u0000"}`, `{"reason":"a","reason":"b"}`, `{"reason":7}`},
		{`{"role":"viewer","label":"ci"}`, `{"role":"viewer","label":"a\u0000"}`, `{"role":"admin","role":"viewer"}`, `{"role":"owner"}`, `{"label":"\u202e"}`},
	} {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := jsonRoutes[int(route)%len(jsonRoutes)]
		for _, s := range servers {
			req := request(r.method, s.expand(r.path), "", []byte(s.expand(string(body))))
			req.Header.Set("Content-Type", "application/json")
			s.send(t, req)
		}
	})
}

// queryRoutes are the lists and timelines, whose query strings the API
// reads (paging, filters, stream).
var queryRoutes = []string{
	"/api/v1/workspaces",
	"/api/v1/workspaces/{ws}/documents",
	"/api/v1/workspaces/{ws}/configurations",
	"/api/v1/workspaces/{ws}/jobs",
	"/api/v1/workspaces/{ws}/events",
	"/api/v1/workspaces/{ws}/documents/{doc}/events",
	"/api/v1/workspaces/{ws}/configurations/{cfg}/events",
	"/api/v1/workspaces/{ws}/jobs/{job}/events",
	"/api/v1/workspaces/{ws}/api-keys",
}

func FuzzQuery(f *testing.F) {
	servers := fuzzServers(f)
	for i, q := range []string{
		"limit=1&offset=0", "limit=0", "limit=99999999999999999999", "offset=-1", "limit=&offset=",
		"document_type=a%00", "document_type=%FF&is_active=true", "is_active=maybe",
		"status=%00&document_id=%C3&configuration_id=x%1B", "status=running",
		"entity_type=job&entity_id=%00&event_type=job.created", "event_type=%FF",
		"limit=1", "limit=1&offset=1", "limit=1&offset=2", "stream=true", "stream=%00",
	} {
		f.Add(uint8(i), q)
	}
	f.Fuzz(func(t *testing.T, route uint8, rawQuery string) {
		path := queryRoutes[int(route)%len(queryRoutes)]
		for _, s := range servers {
			s.send(t, request(nethttp.MethodGet, s.expand(path), rawQuery, nil))
		}
	})
}

// idRoutes take an id (or a workspace reference) in their path.
var idRoutes = []struct{ method, path string }{
	{nethttp.MethodGet, "/api/v1/workspaces/%s/documents"},
	{nethttp.MethodGet, "/api/v1/workspaces/{ws}/documents/%s"},
	{nethttp.MethodGet, "/api/v1/workspaces/{ws}/documents/%s/download"},
	{nethttp.MethodDelete, "/api/v1/workspaces/{ws}/documents/%s"},
	{nethttp.MethodGet, "/api/v1/workspaces/{ws}/configurations/%s"},
	{nethttp.MethodPost, "/api/v1/workspaces/{ws}/configurations/%s/activate"},
	{nethttp.MethodGet, "/api/v1/workspaces/{ws}/jobs/%s"},
	{nethttp.MethodGet, "/api/v1/workspaces/{ws}/jobs/%s/results"},
	{nethttp.MethodPost, "/api/v1/workspaces/{ws}/jobs/%s/cancel"},
	{nethttp.MethodDelete, "/api/v1/workspaces/{ws}/api-keys/%s"},
}

func FuzzIDs(f *testing.F) {
	servers := fuzzServers(f)
	for i, id := range []string{"{ws}", "default", "{doc}", "{doc}", "{doc}", "x", "{cfg}", "{cfg}", "{job}", "{job}", "{job}",
		"a\x00b", "\xff", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "01arz3ndektsv4rrffq69g5fav", strings.Repeat("9", 300), "..", "%"} {
		f.Add(uint8(i), id)
	}
	f.Fuzz(func(t *testing.T, route uint8, id string) {
		r := idRoutes[int(route)%len(idRoutes)]
		for _, s := range servers {
			path := strings.Replace(s.expand(r.path), "%s", url.PathEscape(s.expand(id)), 1)
			req := request(r.method, "", "", nil)
			req.URL.Opaque = path // sent as escaped, byte for byte
			s.send(t, req)
		}
	})
}

func FuzzDownloadHeaders(f *testing.F) {
	servers := fuzzServers(f)
	for _, seed := range [][3]string{
		{"bytes=0-0", "", ""}, {"bytes=2-", "", ""}, {"bytes=-3", "", ""}, {"bytes=-0", "", ""}, {"bytes=9-1", "", ""},
		{"bytes=0-1,3-4", "", ""}, {"bytes=99999999999999999999-", "", ""}, {"bytes=-99999999999999999999", "", ""},
		{"", `"x", W/"y", *`, ""}, {"", `W/`, ""}, {"bytes=x", "\x00", ""},
		{"", "", "{job}"}, {"", "", "x\x00"}, {"", "", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, rng, ifNoneMatch, lastEventID string) {
		for _, s := range servers {
			for _, v := range []string{rng, ifNoneMatch, lastEventID} {
				if strings.ContainsAny(v, "\r\n") {
					return // cannot be sent as one header
				}
			}
			req := request(nethttp.MethodGet, s.expand("/api/v1/workspaces/{ws}/documents/{doc}/download"), "", nil)
			req.Header.Set("Range", rng)
			req.Header.Set("If-None-Match", ifNoneMatch)
			s.send(t, req)
			// The job is terminal, so its stream ends after its events.
			req = request(nethttp.MethodGet, s.expand("/api/v1/workspaces/{ws}/jobs/{job}/events"), "stream=true", nil)
			req.Header.Set("Last-Event-ID", s.expand(lastEventID))
			s.send(t, req)
		}
	})
}
