package webui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/adapters/webui"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

func TestWebUI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Web UI adapter")
}

var secret = []byte("specs-session-secret-0123456789abcdefghij")

// env is one process's UI over a shared application.
type env struct {
	app  *app.App
	keys map[domain.Role]string
	ws   *domain.Workspace
}

// newEnv is one application over the in-memory store, with two queue
// workers that run the jobs.
func newEnv(extra ...ports.Extractor) *env { return newEnvWith(2, extra...) }

// newIdleEnv is newEnv with a queue that runs nothing: jobs stay pending.
func newIdleEnv(extra ...ports.Extractor) *env { return newEnvWith(0, extra...) }

func newEnvWith(workers int, extra ...ports.Extractor) *env {
	ctx := context.Background()
	bs, err := blobstore.Open(ctx, "mem://")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(bs.Close)
	exs, err := app.NewExtractors(append([]ports.Extractor{stub.Extractor{}}, extra...)...)
	Expect(err).NotTo(HaveOccurred())
	store := memory.New()
	queue := memory.NewQueue(store, memory.QueueOptions{Workers: workers})
	a, err := app.New(app.Deps{Repos: store.Repositories(), Queue: queue, Blobs: bs, Extractors: exs, Clock: system.Clock{}, IDs: system.NewULIDs()})
	Expect(err).NotTo(HaveOccurred())
	queue.Start(a.Tasks)
	DeferCleanup(queue.Stop)
	ws, err := a.Workspaces.EnsureDefault(ctx)
	Expect(err).NotTo(HaveOccurred())
	e := &env{app: a, ws: ws, keys: map[domain.Role]string{}}
	for _, r := range domain.Roles {
		k, err := a.Keys.Create(ctx, app.CreateAPIKeyRequest{WorkspaceID: ws.ID(), Role: r, Label: string(r)})
		Expect(err).NotTo(HaveOccurred())
		e.keys[r] = k.Text
	}
	return e
}

// process mounts a UI (one server process) with secret over the env's
// application.
func (e *env) process(secret []byte, opts ...func(*webui.Options)) *fiber.App {
	f := fiber.New(fiber.Config{StreamRequestBody: true, DisablePreParseMultipartForm: true})
	o := webui.Options{App: e.app, SessionSecret: secret}
	for _, fn := range opts {
		fn(&o)
	}
	ui, err := webui.Mount(f, o)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = ui.Shutdown(context.Background()) })
	return f
}

func send(f *fiber.App, req *http.Request) *http.Response {
	GinkgoHelper()
	resp, err := f.Test(req, 10_000)
	Expect(err).NotTo(HaveOccurred())
	return resp
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

var tokenPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn signs in through f and returns the session cookie and the
// session's token.
func signIn(f *fiber.App, key string) (*http.Cookie, string) {
	GinkgoHelper()
	resp := send(f, httptest.NewRequest("GET", "/ui/sign-in", nil))
	page := body(resp)
	pre := cookieNamed(resp, "ade_signin")
	Expect(pre).NotTo(BeNil())
	tok := tokenPattern.FindStringSubmatch(page)[1]
	req := httptest.NewRequest("POST", "/ui/sign-in", strings.NewReader(url.Values{"csrf_token": {tok}, "api_key": {key}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	resp = send(f, req)
	Expect(resp.StatusCode).To(Equal(http.StatusSeeOther), body(resp))
	sess := cookieNamed(resp, webui.SessionCookie)
	Expect(sess).NotTo(BeNil())
	req = httptest.NewRequest("GET", "/ui/w/default/documents", nil)
	req.AddCookie(sess)
	m := tokenPattern.FindStringSubmatch(body(send(f, req)))
	Expect(m).To(HaveLen(2))
	return sess, m[1]
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var _ = Describe("Vendored assets", func() {
	It("match the checksum recorded beside them, and the version the notes give", func() {
		Expect(webui.VerifyVendored()).To(Succeed())
		b, err := os.ReadFile("assets/htmx.min.js")
		Expect(err).NotTo(HaveOccurred())
		sum := sha256.Sum256(b)
		rec, err := os.ReadFile("assets/htmx.min.js.sha256")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(rec)).To(HavePrefix(hex.EncodeToString(sum[:]) + "  htmx.min.js"))
		notes, err := os.ReadFile("assets/VENDORED.md")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(notes)).To(ContainSubstring("| " + webui.HTMXVersion + " |"))
		Expect(string(notes)).To(ContainSubstring(hex.EncodeToString(sum[:])))
		Expect(string(b)).To(ContainSubstring(`version:"` + webui.HTMXVersion + `"`))
	})
})

var _ = Describe("Sealed session cookies", func() {
	now := time.Unix(1_800_000_000, 0)

	It("round-trip, and refuse tampering, another cookie's name, another secret and age", func() {
		v, err := webui.Seal(secret, "ade_session", "ade_key", "tok", now)
		Expect(err).NotTo(HaveOccurred())
		Expect(v).NotTo(ContainSubstring("ade_key"))
		k, tok, err := webui.Open(secret, "ade_session", v, time.Hour, now.Add(time.Minute))
		Expect(err).NotTo(HaveOccurred())
		Expect(k).To(Equal("ade_key"))
		Expect(tok).To(Equal("tok"))

		flipped := []byte(v)
		flipped[len(flipped)/2] ^= 1
		_, _, err = webui.Open(secret, "ade_session", string(flipped), time.Hour, now)
		Expect(err).To(HaveOccurred())
		_, _, err = webui.Open(secret, "ade_signin", v, time.Hour, now)
		Expect(err).To(HaveOccurred(), "a cookie cannot be replayed under another name")
		_, _, err = webui.Open([]byte("another-secret-of-enough-length-0123456789"), "ade_session", v, time.Hour, now)
		Expect(err).To(HaveOccurred())
		_, _, err = webui.Open(secret, "ade_session", v, time.Hour, now.Add(time.Hour))
		Expect(err).To(HaveOccurred(), "expired")
		_, _, err = webui.Open(secret, "ade_session", "", time.Hour, now)
		Expect(err).To(HaveOccurred())
	})

	It("refuse a short secret", func() {
		_, err := webui.Seal([]byte("short"), "ade_session", "k", "t", now)
		Expect(err).To(HaveOccurred())
	})
})

var _ = Describe("Sessions across processes", func() {
	var e *env
	BeforeEach(func() { e = newEnv() })

	It("work on every process given the same secret, and on no other", func() {
		one, two := e.process(secret), e.process(secret)
		other := e.process([]byte("a-different-secret-0123456789abcdefghijkl"))
		sess, _ := signIn(one, e.keys[domain.RoleEditor])
		for _, f := range []*fiber.App{one, two} {
			req := httptest.NewRequest("GET", "/ui/w/default/documents", nil)
			req.AddCookie(sess)
			Expect(send(f, req).StatusCode).To(Equal(http.StatusOK))
		}
		req := httptest.NewRequest("GET", "/ui/w/default/documents", nil)
		req.AddCookie(sess)
		resp := send(other, req)
		Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
		Expect(resp.Header.Get("Location")).To(HavePrefix("/ui/sign-in"))
	})

	It("end on every process once the key is revoked (here, where it is revoked: at once)", func() {
		f := e.process(secret)
		sess, _ := signIn(f, e.keys[domain.RoleViewer])
		page, err := e.app.Keys.List(context.Background(), portsFilter(e.ws.ID()), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		for _, k := range page.Items {
			if k.Role() == domain.RoleViewer {
				_, err := e.app.Keys.Revoke(context.Background(), e.ws.ID(), k.ID())
				Expect(err).NotTo(HaveOccurred())
			}
		}
		req := httptest.NewRequest("GET", "/ui/w/default/documents", nil)
		req.AddCookie(sess)
		resp := send(f, req)
		Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
		Expect(resp.Header.Get("Location")).To(Equal("/ui/sign-in?ended=1"))
		cleared := cookieNamed(resp, webui.SessionCookie)
		Expect(cleared.Value).To(BeEmpty(), "the cookie is cleared")
		Expect(cleared.Expires.Before(time.Now())).To(BeTrue())
	})

	It("set HttpOnly, SameSite=Strict cookies, Secure only over TLS or behind a trusted proxy", func() {
		plain := e.process(secret)
		resp := send(plain, httptest.NewRequest("GET", "/ui/sign-in", nil))
		c := cookieNamed(resp, "ade_signin")
		Expect(c.HttpOnly).To(BeTrue())
		Expect(c.SameSite).To(Equal(http.SameSiteStrictMode))
		Expect(c.Secure).To(BeFalse())

		req := httptest.NewRequest("GET", "/ui/sign-in", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		Expect(cookieNamed(send(plain, req), "ade_signin").Secure).To(BeFalse(), "an untrusted X-Forwarded-Proto is ignored")

		proxied := e.process(secret, func(o *webui.Options) { o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")} })
		req = httptest.NewRequest("GET", "/ui/sign-in", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		Expect(cookieNamed(send(proxied, req), "ade_signin").Secure).To(BeTrue())
	})
})

var _ = Describe("Roles and forms", func() {
	var (
		e *env
		f *fiber.App
	)
	BeforeEach(func() {
		e = newEnv()
		f = e.process(secret)
	})

	post := func(sess *http.Cookie, path string, form url.Values) *http.Response {
		req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(sess)
		return send(f, req)
	}

	DescribeTable("the permission table decides, for pages and forms alike",
		func(role domain.Role, method, path string, want int) {
			sess, tok := signIn(f, e.keys[role])
			var resp *http.Response
			if method == "GET" {
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(sess)
				resp = send(f, req)
			} else {
				resp = post(sess, path, url.Values{"csrf_token": {tok}, "document_type": {"roster"}, "title": {"t"}, "payload": {`{"extractor":"stub"}`}})
			}
			Expect(resp.StatusCode).To(Equal(want), body(resp))
		},
		Entry("viewer reads documents", domain.RoleViewer, "GET", "/ui/w/default/documents", 200),
		Entry("viewer may not open the upload form", domain.RoleViewer, "GET", "/ui/w/default/upload", 403),
		Entry("editor may", domain.RoleEditor, "GET", "/ui/w/default/upload", 200),
		Entry("editor may not save a configuration", domain.RoleEditor, "POST", "/ui/w/default/configurations", 403),
		Entry("admin may", domain.RoleAdmin, "POST", "/ui/w/default/configurations", 303),
		Entry("another workspace looks missing", domain.RoleAdmin, "GET", "/ui/w/elsewhere/documents", 404),
	)

	It("shows the upload link only to roles that may upload", func() {
		for role, want := range map[domain.Role]bool{domain.RoleViewer: false, domain.RoleEditor: true} {
			sess, _ := signIn(f, e.keys[role])
			req := httptest.NewRequest("GET", "/ui/w/default/documents", nil)
			req.AddCookie(sess)
			Expect(strings.Contains(body(send(f, req)), `href="/ui/w/default/upload"`)).To(Equal(want), string(role))
		}
	})

	It("renders a problem as a page whose one heading is its title, with the sentence below", func() {
		sess, _ := signIn(f, e.keys[domain.RoleAdmin])
		req := httptest.NewRequest("GET", "/ui/w/elsewhere/documents", nil)
		req.AddCookie(sess)
		resp := send(f, req)
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
		page := body(resp)
		Expect(page).To(ContainSubstring("<h1>Not found</h1>"))
		Expect(strings.Count(page, "Not found</h")).To(Equal(1), "the title is not repeated inside the message")
		Expect(page).To(MatchRegexp(`id="problem">\s*<p>There is nothing here, or your key cannot see it.</p>`))
	})

	It("refuses a form without the session's token, and a form too large to read", func() {
		sess, _ := signIn(f, e.keys[domain.RoleAdmin])
		resp := post(sess, "/ui/w/default/configurations", url.Values{"csrf_token": {"wrong"}, "payload": {"{}"}})
		Expect(resp.StatusCode).To(Equal(http.StatusForbidden))
		Expect(body(resp)).To(ContainSubstring("The form has expired"))
		page, err := e.app.Configurations.List(context.Background(), e.ws.ID(), configFilter(), app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(page.Items).To(BeEmpty())
	})

	It("shows a configuration's errors at their paths, and keeps the draft", func() {
		sess, tok := signIn(f, e.keys[domain.RoleAdmin])
		resp := post(sess, "/ui/w/default/configurations", url.Values{"csrf_token": {tok}, "document_type": {"roster"}, "title": {"t"},
			"payload": {`{"extractor":"stub","fail":3}`}})
		Expect(resp.StatusCode).To(Equal(http.StatusUnprocessableEntity))
		page := body(resp)
		Expect(page).To(ContainSubstring("<code>payload.fail</code>: must be a string"))
		Expect(page).To(ContainSubstring(`&#34;fail&#34;:3`))
		Expect(page).NotTo(ContainSubstring(`"fields":`), "a message, not JSON")
	})
})

var _ = Describe("The editor's JSON reader", func() {
	It("names the line and column of a syntax error", func() {
		_, err := webui.ParsePayload("{\n  \"a\": 1,\n  \"b\": ]\n}")
		var ve *domain.ValidationError
		Expect(errors.As(err, &ve)).To(BeTrue(), "a validation error: %v", err)
		Expect(ve.Fields[0].Field).To(Equal("payload (line 3, column 8)"))
	})
	It("refuses what is not one object", func() {
		for _, text := range []string{"", "[]", `"x"`, "{} {}"} {
			_, err := webui.ParsePayload(text)
			Expect(err).To(MatchError(domain.ErrInvalidInput), text)
		}
	})
})

// manyTables is an extractor that finds n one-row tables, titled
// "Table 1" to "Table n".
type manyTables struct{ n int }

func (manyTables) Name() string                         { return "many" }
func (manyTables) ValidatePayload(map[string]any) error { return nil }
func (m manyTables) Extract(ctx context.Context, req ports.ExtractionRequest) (ports.ExtractionResult, error) {
	var res ports.ExtractionResult
	for i := 1; i <= m.n; i++ {
		res.Tables = append(res.Tables, ports.ExtractedTable{
			Title: fmt.Sprintf("Table %d", i), Sheet: "s", RowCount: 1,
			Columns: []string{"n"}, SampleRows: []map[string]any{{"n": float64(i)}},
		})
	}
	return res, nil
}

var _ = Describe("A job's page", func() {
	It("pages its tables, twenty at a time, with links both ways", func() {
		e := newEnv(manyTables{n: 45})
		f := e.process(secret)
		ctx := context.Background()
		doc, err := e.app.Documents.Upload(ctx, app.UploadRequest{WorkspaceID: e.ws.ID(), Filename: "a.csv", Body: strings.NewReader("n\n1\n")})
		Expect(err).NotTo(HaveOccurred())
		cfg, err := e.app.Configurations.Create(ctx, app.CreateConfigurationRequest{WorkspaceID: e.ws.ID(), DocumentType: "many", Title: "many", Payload: map[string]any{"extractor": "many"}})
		Expect(err).NotTo(HaveOccurred())
		job, err := e.app.Jobs.Submit(ctx, app.SubmitJobRequest{WorkspaceID: e.ws.ID(), DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		Expect(job.Status()).To(Equal(domain.JobSucceeded))

		sess, _ := signIn(f, e.keys[domain.RoleViewer])
		get := func(path string) string {
			req := httptest.NewRequest("GET", path, nil)
			req.AddCookie(sess)
			resp := send(f, req)
			Expect(resp.StatusCode).To(Equal(http.StatusOK), path)
			return body(resp)
		}
		titles := regexp.MustCompile(`<h3>Table (\d+) `)
		shown := func(page string) (out []string) {
			for _, m := range titles.FindAllStringSubmatch(page, -1) {
				out = append(out, m[1])
			}
			return out
		}
		path := "/ui/w/default/jobs/" + job.ID()
		first := get(path)
		Expect(shown(first)).To(HaveLen(20))
		Expect(shown(first)[0]).To(Equal("1"))
		Expect(first).To(ContainSubstring(`href="` + path + `?offset=20#tables" rel="next"`))
		Expect(first).NotTo(ContainSubstring(`rel="prev"`))
		last := get(path + "?offset=40")
		Expect(shown(last)).To(Equal([]string{"41", "42", "43", "44", "45"}))
		Expect(last).To(ContainSubstring(`href="` + path + `?offset=20#tables" rel="prev"`))
		Expect(last).NotTo(ContainSubstring(`rel="next"`))
	})

	It("shows a draft's trial with its first twenty tables, and says how many were found", func() {
		e := newEnv(manyTables{n: 45})
		f := e.process(secret)
		doc, err := e.app.Documents.Upload(context.Background(), app.UploadRequest{WorkspaceID: e.ws.ID(), Filename: "a.csv", Body: strings.NewReader("n\n1\n")})
		Expect(err).NotTo(HaveOccurred())
		sess, tok := signIn(f, e.keys[domain.RoleAdmin])
		req := httptest.NewRequest("POST", "/ui/w/default/configurations", strings.NewReader(url.Values{"csrf_token": {tok},
			"document_type": {"many"}, "title": {"t"}, "payload": {`{"extractor":"many"}`}, "intent": {"try"}, "document_id": {doc.ID()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(sess)
		resp := send(f, req)
		page := body(resp)
		Expect(resp.StatusCode).To(Equal(http.StatusOK), page)
		Expect(page).To(ContainSubstring("45 tables found"))
		Expect(page).To(ContainSubstring("The first 20 tables are shown."))
		Expect(strings.Count(page, `<article class="table">`)).To(Equal(20))
		Expect(page).To(ContainSubstring("<h3>Table 20 "))
		Expect(page).NotTo(ContainSubstring("<h3>Table 21 "))
	})
})

var _ = Describe("The live status stream", func() {
	var (
		e    *env
		f    *fiber.App
		sess *http.Cookie
		doc  *domain.Document
		cfg  *domain.Configuration
	)
	BeforeEach(func() {
		e = newIdleEnv()
		f = e.process(secret)
		ctx := context.Background()
		var err error
		doc, err = e.app.Documents.Upload(ctx, app.UploadRequest{WorkspaceID: e.ws.ID(), Filename: "a.csv", Body: strings.NewReader("n\n1\n")})
		Expect(err).NotTo(HaveOccurred())
		cfg, err = e.app.Configurations.Create(ctx, app.CreateConfigurationRequest{WorkspaceID: e.ws.ID(), DocumentType: "roster", Title: "t", Payload: map[string]any{"extractor": "stub"}})
		Expect(err).NotTo(HaveOccurred())
		sess, _ = signIn(f, e.keys[domain.RoleViewer])
	})
	get := func(path string) (int, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(sess)
		resp := send(f, req)
		return resp.StatusCode, body(resp)
	}
	pending := func() *domain.Job {
		job, err := e.app.Jobs.Enqueue(context.Background(), app.SubmitJobRequest{WorkspaceID: e.ws.ID(), DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
		Expect(err).NotTo(HaveOccurred())
		return job
	}

	It("sends the listed jobs' changes only, then end once they have all ended", func() {
		a, b := pending(), pending()
		for _, j := range []*domain.Job{a, b} {
			_, err := e.app.Jobs.Cancel(context.Background(), e.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
		}
		status, text := get("/ui/w/default/events?after=0&jobs=" + a.ID())
		Expect(status).To(Equal(http.StatusOK))
		Expect(text).To(ContainSubstring(`"job_id":"` + a.ID() + `","status":"pending"`))
		Expect(text).To(ContainSubstring(`"job_id":"` + a.ID() + `","status":"cancelled"`))
		Expect(text).NotTo(ContainSubstring(b.ID()), "a job the page does not show")
		Expect(text).To(HaveSuffix("event: end\ndata: {}\n\n"))
	})

	It("learns of a change from the event feed, not from reading on a timer", func() {
		// A refresh of an hour: only the feed's signal can bring the
		// change within the spec's wait.
		f = e.process(secret, func(o *webui.Options) { o.StreamRefresh = time.Hour })
		sess, _ = signIn(f, e.keys[domain.RoleViewer])
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		go func() { _ = f.Listener(ln) }()
		DeferCleanup(func() { _ = f.ShutdownWithTimeout(5 * time.Second) })
		a := pending()
		req, err := http.NewRequest("GET", "http://"+ln.Addr().String()+"/ui/w/default/events?after=0&jobs="+a.ID(), nil)
		Expect(err).NotTo(HaveOccurred())
		req.AddCookie(sess)
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		out := gbytes.BufferReader(resp.Body)
		Eventually(out).WithTimeout(10 * time.Second).Should(gbytes.Say(`"job_id":"` + a.ID() + `","status":"pending"`))
		_, err = e.app.Jobs.Cancel(context.Background(), e.ws.ID(), a.ID())
		Expect(err).NotTo(HaveOccurred())
		Eventually(out).WithTimeout(20 * time.Second).Should(gbytes.Say(`"job_id":"` + a.ID() + `","status":"cancelled"`))
		Eventually(out).WithTimeout(10 * time.Second).Should(gbytes.Say("event: end\n"))
		Eventually(out.Closed).WithTimeout(10*time.Second).Should(BeTrue(), "the stream ends")
	})

	It("follows as many jobs as a page shows, fifty", func() {
		var ids []string
		for range 50 {
			j := pending()
			_, err := e.app.Jobs.Cancel(context.Background(), e.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			ids = append(ids, j.ID())
		}
		status, text := get("/ui/w/default/events?after=0&jobs=" + strings.Join(ids, ","))
		Expect(status).To(Equal(http.StatusOK), text)
		Expect(strings.Count(text, `"status":"cancelled"`)).To(Equal(50))
		Expect(text).To(HaveSuffix("event: end\ndata: {}\n\n"))
	})

	DescribeTable("refuses what does not name the jobs to follow",
		func(query string) {
			status, text := get("/ui/w/default/events?" + query)
			Expect(status).To(Equal(http.StatusBadRequest), text)
		},
		Entry("no jobs", "after=0"),
		Entry("not an id", "after=0&jobs=a-b"),
		Entry("an empty id", "after=0&jobs=A,,B"),
		Entry("more than a page shows", "after=0&jobs="+idList(51)),
		Entry("a bad cursor", "after=x%0Ay&jobs=A"),
	)

	It("is set on a page only for the jobs it shows that have not ended", func() {
		a, b := pending(), pending()
		_, err := e.app.Jobs.Cancel(context.Background(), e.ws.ID(), b.ID())
		Expect(err).NotTo(HaveOccurred())
		_, page := get("/ui/w/default/jobs")
		m := regexp.MustCompile(`data-watch="([^"]+)"`).FindStringSubmatch(page)
		Expect(m).To(HaveLen(2))
		u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Path).To(Equal("/ui/w/default/events"))
		Expect(u.Query().Get("jobs")).To(Equal(a.ID()))
		Expect(u.Query().Get("after")).NotTo(BeEmpty())

		_, err = e.app.Jobs.Cancel(context.Background(), e.ws.ID(), a.ID())
		Expect(err).NotTo(HaveOccurred())
		for _, path := range []string{"/ui/w/default/jobs", "/ui/w/default/documents", "/ui/w/default/documents/" + doc.ID(), "/ui/w/default/jobs/" + a.ID()} {
			_, page = get(path)
			Expect(page).NotTo(ContainSubstring("data-watch="), "%s: every job shown has ended", path)
		}
	})
})

// idList returns n distinct job-like ids.
func idList(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("J%03d", i)
	}
	return strings.Join(ids, ",")
}
