package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	nethttp "net/http"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/adapters/webhooksender"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

func TestHTTP(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "HTTP Adapter Suite")
}

// Drops the PostgreSQL schema the specs on every store share.
var _ = AfterSuite(storetest.Cleanup)

// The OpenAPI document every request and response is checked against.
var (
	spec   *openapi3.T
	router routers.Router
)

var _ = BeforeSuite(func() {
	loader := openapi3.NewLoader()
	var err error
	spec, err = loader.LoadFromData(httpapi.OpenAPI)
	Expect(err).NotTo(HaveOccurred())
	Expect(spec.Validate(context.Background())).To(Succeed())
	router, err = legacy.NewRouter(spec)
	Expect(err).NotTo(HaveOccurred())
	// Bodies whose bytes the document describes as opaque strings.
	for _, ct := range []string{"text/csv", "text/plain", "text/html", "text/event-stream", "text/javascript", "text/css", "application/pdf"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
})

// testUploadLimit keeps oversized uploads cheap.
const testUploadLimit = 64 << 10

// recordingBlobs remembers every key a Put was asked to write, so specs can
// check that refused uploads left nothing.
type recordingBlobs struct {
	ports.BlobStore
	mu   sync.Mutex
	keys []string
}

func (r *recordingBlobs) Put(ctx context.Context, key string, body io.Reader, opts ports.PutOptions) (ports.BlobInfo, error) {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
	return r.BlobStore.Put(ctx, key, body, opts)
}

func (r *recordingBlobs) putKeys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}

// failingEvents is an event repository that fails like a broken database,
// with internal detail in its error that must never reach a client.
type failingEvents struct{ ports.EventRepository }

var errSecret = errors.New(`pq: relation "secret_internal_table" does not exist at 10.0.0.7:5432`)

func (failingEvents) List(context.Context, string, ports.EventFilter, ports.Page) ([]*domain.Event, error) {
	return nil, errSecret
}

// env is one application over in-memory adapters behind the Fiber app,
// listening on a loopback port. Requests carry a global admin key unless a
// spec takes it off.
type env struct {
	app   *app.App
	queue *memory.Queue
	// eventReads counts event reads (envOptions.countEvents).
	eventReads *atomic.Int64
	blobs      *recordingBlobs
	wsp        *domain.Workspace
	admin      app.CreatedAPIKey
	base       string
	client     *nethttp.Client
	logs       *bytes.Buffer
	ready      map[string]error
	readyMu    sync.Mutex
	stop       func() error
	logMu      sync.Mutex
	server     *httpapi.Server
}

// logText returns what the server logged so far.
func (e *env) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

type envOptions struct {
	failEvents bool
	// backend is the store under the app; nil means the in-memory one.
	backend *storetest.Backend
	// limits replace the specs' default of limits too high to reach.
	limits *httpapi.Limits
	// keys wraps the key repository (to make it fail).
	keys func(ports.APIKeyRepository) ports.APIKeyRepository
	// syncWait bounds a synchronous submission's wait (app.Config.SyncWait).
	syncWait time.Duration
	// paused starts the queue paused: jobs stay pending until Resume.
	paused bool
	// extractors are registered beside the stub.
	extractors []ports.Extractor
	// transport replaces the default connection limits.
	transport httpapi.Transport
	// maxUpload replaces testUploadLimit.
	maxUpload int64
	// events wraps the event repository (to make it fail or panic).
	events func(ports.EventRepository) ports.EventRepository
	// home is Options.Home.
	home string
	// countEvents counts event reads in eventReads.
	countEvents bool
	// strictWebhooks refuses private webhook addresses, as production does.
	strictWebhooks bool
}

// countingEvents counts the reads of the event repository.
type countingEvents struct {
	ports.EventRepository
	n *atomic.Int64
}

func (c countingEvents) List(ctx context.Context, ws string, f ports.EventFilter, p ports.Page) ([]*domain.Event, error) {
	c.n.Add(1)
	return c.EventRepository.List(ctx, ws, f, p)
}

// unreachable are limits no spec reaches unless it means to.
var unreachable = httpapi.Limits{Rate: 1e6, Burst: 1e6, Uploads: 1000, Jobs: 1000}

func newEnv(o envOptions) *env {
	ctx := context.Background()
	bs, err := blobstore.Open(ctx, "mem://")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(bs.Close)
	rec := &recordingBlobs{BlobStore: bs}
	exs, err := app.NewExtractors(append([]ports.Extractor{stub.Extractor{}, tabular.New()}, o.extractors...)...)
	Expect(err).NotTo(HaveOccurred())
	backend := storetest.Memory
	if o.backend != nil {
		backend = *o.backend
	}
	store := backend.Open()
	repos := store.Repos
	if o.failEvents {
		repos.Events = failingEvents{repos.Events}
	}
	if o.keys != nil {
		repos.APIKeys = o.keys(repos.APIKeys)
	}
	reads := &atomic.Int64{}
	if o.countEvents {
		repos.Events = countingEvents{repos.Events, reads}
	}
	if o.events != nil {
		repos.Events = o.events(repos.Events)
	}
	maxUpload := int64(testUploadLimit)
	if o.maxUpload > 0 {
		maxUpload = o.maxUpload
	}
	q, start, _ := storetest.Queue(store, 2, map[ports.TaskKind]ports.RetryPolicy{
		ports.TaskDeliverWebhook: {MaxAttempts: 3, FirstDelay: 20 * time.Millisecond, MaxDelay: 50 * time.Millisecond},
	})
	// The in-memory queue can pause; specs that pause it run on memory.
	queue, _ := q.(*memory.Queue)
	a, err := app.New(app.Deps{
		Repos: repos, Queue: q, Blobs: rec, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs(),
		Webhooks: webhooksender.New(webhooksender.Options{AllowPrivate: !o.strictWebhooks, Timeout: 2 * time.Second}),
		Config:   app.Config{MaxUploadBytes: maxUpload, SyncWait: o.syncWait},
	})
	Expect(err).NotTo(HaveOccurred())
	if o.paused {
		Expect(queue).NotTo(BeNil(), "only the in-memory queue pauses")
		queue.Pause()
	}
	start(a.Tasks)
	ws, err := a.Workspaces.EnsureDefault(ctx)
	Expect(err).NotTo(HaveOccurred())
	admin, err := a.Keys.Create(ctx, app.CreateAPIKeyRequest{Role: domain.RoleAdmin, Label: "spec admin"})
	Expect(err).NotTo(HaveOccurred())
	limits := unreachable
	if o.limits != nil {
		limits = *o.limits
	}

	e := &env{app: a, queue: queue, blobs: rec, wsp: ws, admin: admin, logs: &bytes.Buffer{}, ready: map[string]error{}, eventReads: reads}
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&e.logMu, e.logs}, nil))
	check := func(name string) func(context.Context) error {
		return func(context.Context) error {
			e.readyMu.Lock()
			defer e.readyMu.Unlock()
			return e.ready[name]
		}
	}
	f := httpapi.New(httpapi.Options{
		App: a, Logger: logger, MaxUploadBytes: maxUpload, Limits: limits, Transport: o.transport, Home: o.home,
		Checks: map[string]func(context.Context) error{"database": check("database"), "blob_store": check("blob_store")},
	})
	e.server = f
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	go func() { _ = f.Listener(ln) }()
	e.stop = sync.OnceValue(func() error { return f.ShutdownWithTimeout(5 * time.Second) })
	DeferCleanup(func() { Expect(e.stop()).To(Succeed()) })
	e.base = "http://" + ln.Addr().String()
	e.client = &nethttp.Client{Timeout: 10 * time.Second}
	return e
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// response is a finished exchange.
type response struct {
	*nethttp.Response
	body []byte
}

func (r response) json() map[string]any {
	var m map[string]any
	ExpectWithOffset(1, json.Unmarshal(r.body, &m)).To(Succeed(), string(r.body))
	return m
}

func (r response) items() []any {
	return r.json()["items"].([]any)
}

// requestCheck says what the request is expected to be per the document.
type requestCheck int

const (
	// conforming requests must validate.
	conforming requestCheck = iota
	// nonconforming requests break a constraint the document states in
	// its schemas, and must fail validation.
	nonconforming
	// proseOnly requests break a rule the document states in prose only
	// (e.g. metadata must be a JSON object inside a string part).
	proseOnly
)

// do sends req after checking it against the document, then checks the
// response (status, headers and body) against the document.
func (e *env) do(req *nethttp.Request, check requestCheck) response {
	GinkgoHelper()
	var reqBody []byte
	if req.Body != nil {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		Expect(err).NotTo(HaveOccurred())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		// Only requests meant to miss the document may do so; their
		// answer must still be a problem document.
		Expect(check).To(Equal(proseOnly), "route %s %s is not in the document", req.Method, req.URL.Path)
		return e.send(req, reqBody, func(resp *nethttp.Response, body []byte) {
			var v any
			Expect(json.Unmarshal(body, &v)).To(Succeed())
			Expect(spec.Components.Schemas["Problem"].Value.VisitJSON(v)).To(Succeed())
		})
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	verr := openapi3filter.ValidateRequest(context.Background(), in)
	switch check {
	case conforming:
		Expect(verr).NotTo(HaveOccurred(), "request does not conform to the document")
	case nonconforming:
		Expect(verr).To(HaveOccurred(), "the document accepts a request the server refuses")
	}
	return e.send(req, reqBody, func(resp *nethttp.Response, body []byte) {
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body:    io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		Expect(openapi3filter.ValidateResponse(context.Background(), out)).To(Succeed(),
			"response %d %s does not conform: %s", resp.StatusCode, resp.Header.Get("Content-Type"), truncate(body))
	})
}

// send sends req and checks the response with validate.
func (e *env) send(req *nethttp.Request, reqBody []byte, validate func(*nethttp.Response, []byte)) response {
	GinkgoHelper()
	if reqBody != nil {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.ContentLength = int64(len(reqBody))
	}
	resp, err := e.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.Header.Get("X-Request-ID")).NotTo(BeEmpty())
	validate(resp, body)
	return response{resp, body}
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// newRequest makes a request with the global admin key.
func (e *env) newRequest(method, path string, body io.Reader) *nethttp.Request {
	GinkgoHelper()
	return e.newRequestAs(e.admin.Text, method, path, body)
}

// newRequestAs makes a request with key (none when empty).
func (e *env) newRequestAs(key, method, path string, body io.Reader) *nethttp.Request {
	GinkgoHelper()
	req, err := nethttp.NewRequest(method, e.base+path, body)
	Expect(err).NotTo(HaveOccurred())
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req
}

// key makes a key of the workspace with a role and returns it.
func (e *env) key(workspaceID string, role domain.Role) app.CreatedAPIKey {
	GinkgoHelper()
	k, err := e.app.Keys.Create(context.Background(), app.CreateAPIKeyRequest{WorkspaceID: workspaceID, Role: role, Label: "spec " + string(role)})
	Expect(err).NotTo(HaveOccurred())
	return k
}

func (e *env) get(path string, check ...requestCheck) response {
	GinkgoHelper()
	return e.do(e.newRequest(nethttp.MethodGet, path, nil), first(check))
}

func (e *env) postJSON(path string, v any, check ...requestCheck) response {
	GinkgoHelper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		b, err = json.Marshal(v)
		Expect(err).NotTo(HaveOccurred())
	}
	req := e.newRequest(nethttp.MethodPost, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return e.do(req, first(check))
}

func first(c []requestCheck) requestCheck {
	if len(c) == 0 {
		return conforming
	}
	return c[0]
}

// ws returns the path of the default workspace plus rest.
func (e *env) ws(rest string) string { return "/api/v1/workspaces/" + e.wsp.ID() + rest }

// part is one multipart part.
type part struct {
	name, filename, contentType string
	data                        []byte
}

func filePart(name string, data []byte) part {
	return part{name: "file", filename: name, contentType: "application/octet-stream", data: data}
}

func field(name, value string) part { return part{name: name, data: []byte(value)} }

func multipartBody(parts ...part) (*bytes.Buffer, string) {
	GinkgoHelper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		Expect(err).NotTo(HaveOccurred())
		_, err = pw.Write(p.data)
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(w.Close()).To(Succeed())
	return &buf, w.FormDataContentType()
}

func (e *env) upload(check requestCheck, parts ...part) response {
	GinkgoHelper()
	body, ct := multipartBody(parts...)
	req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), body)
	req.Header.Set("Content-Type", ct)
	return e.do(req, check)
}

// uploaded uploads a CSV document and returns its JSON.
func (e *env) uploaded(name, content string) map[string]any {
	GinkgoHelper()
	r := e.upload(conforming, part{name: "file", filename: name, contentType: "text/csv", data: []byte(content)})
	Expect(r.StatusCode).To(Equal(201), string(r.body))
	return r.json()
}

// configured creates and activates a stub configuration for docType.
func (e *env) configured(docType string, payload map[string]any) map[string]any {
	GinkgoHelper()
	r := e.postJSON(e.ws("/configurations"), map[string]any{"document_type": docType, "title": "T " + docType, "payload": payload})
	Expect(r.StatusCode).To(Equal(201), string(r.body))
	id := r.json()["configuration_id"].(string)
	a := e.do(e.newRequest(nethttp.MethodPost, e.ws("/configurations/"+id+"/activate"), nil), conforming)
	Expect(a.StatusCode).To(Equal(200), string(a.body))
	return a.json()
}

// expectProblem checks a problem document's status and code.
func expectProblem(r response, status int, code string) map[string]any {
	GinkgoHelper()
	Expect(r.StatusCode).To(Equal(status), string(r.body))
	Expect(r.Header.Get("Content-Type")).To(HavePrefix("application/problem+json"))
	p := r.json()
	Expect(p["code"]).To(Equal(code))
	Expect(p["status"]).To(BeNumerically("==", status))
	Expect(p["request_id"]).To(Equal(r.Header.Get("X-Request-ID")))
	Expect(p["type"]).To(Equal("/docs#problem-" + code))
	return p
}

// fieldsOf returns the field names of a problem's errors[].
func fieldsOf(p map[string]any) []string {
	var out []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

// noBlobsLeft checks that every key a Put was asked for is absent.
func (e *env) noBlobsLeft() {
	GinkgoHelper()
	for _, k := range e.blobs.putKeys() {
		_, err := e.blobs.Open(context.Background(), k, 0, -1)
		Expect(err).To(MatchError(domain.ErrNotFound), "blob %s was kept", k)
	}
}

// documentCount counts the workspace's documents through the use cases.
func (e *env) documentCount() int {
	GinkgoHelper()
	p, err := e.app.Documents.List(context.Background(), e.wsp.ID(), app.PageRequest{Limit: 200})
	Expect(err).NotTo(HaveOccurred())
	return len(p.Items)
}

type nethttpDialer struct{}

func (nethttpDialer) dial(base string) (net.Conn, error) {
	return net.Dial("tcp", strings.TrimPrefix(base, "http://"))
}

func itoa(n int) string { return fmt.Sprint(n) }

func openAPIBytes() []byte { return httpapi.OpenAPI }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
