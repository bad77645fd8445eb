package wiring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/fx"

	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/cmd/ade/wiring"
	"github.com/ade-go/ade/test/testkit"
)

func memoryConfig() wiring.Config {
	c, err := wiring.ConfigFromEnv(env(map[string]string{
		"ADE_HTTP_ADDR": "127.0.0.1:0", "ADE_DATABASE_URL": "memory://", "ADE_BLOB_URL": "mem://",
		"ADE_DATA_DIR": GinkgoT().TempDir(),
	}))
	Expect(err).NotTo(HaveOccurred())
	return c
}

// stop stops the graph within a bound, so a shutdown that hangs fails the
// spec instead of the whole run.
func stop(app *fx.App) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return app.Stop(ctx)
}

func do(srv *httpapi.Server, req *nethttp.Request) (int, map[string]any) {
	resp, err := srv.Test(req, -1)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return resp.StatusCode, out
}

var _ = Describe("the server graph", func() {
	It("starts on memory adapters, serves a job end to end, and stops", func() {
		var srv *httpapi.Server
		app := fx.New(server(memoryConfig()), fx.Populate(&srv))
		Expect(app.Err()).NotTo(HaveOccurred())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		Expect(app.Start(ctx)).To(Succeed())
		DeferCleanup(func() { Expect(stop(app)).To(Succeed()) })

		status, body := do(srv, newRequest("GET", "/health/ready", nil))
		Expect(status).To(Equal(200), "%v", body)

		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "roster.csv")
		_, _ = fw.Write([]byte("first name,email\nAvery,avery@example.com\n"))
		Expect(mw.Close()).To(Succeed())
		req := newRequest("POST", "/api/v1/workspaces/default/documents", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		status, doc := do(srv, req)
		Expect(status).To(Equal(201), "%v", doc)

		req = newRequest("POST", "/api/v1/workspaces/default/configurations",
			bytes.NewBufferString(`{"document_type":"roster","title":"Roster","payload":{"extractor":"stub"}}`))
		req.Header.Set("Content-Type", "application/json")
		status, cfg := do(srv, req)
		Expect(status).To(Equal(201), "%v", cfg)

		req = newRequest("POST", "/api/v1/workspaces/default/jobs",
			bytes.NewBufferString(`{"document_id":"`+doc["document_id"].(string)+`","configuration_id":"`+cfg["configuration_id"].(string)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		status, job := do(srv, req)
		Expect(status).To(Equal(201), "%v", job)
		Expect(job["status"]).To(Equal("succeeded"))
	})

	It("registers the stub and tabular extractors", func() {
		var srv *httpapi.Server
		app := fx.New(server(memoryConfig()), fx.Populate(&srv))
		Expect(app.Start(context.Background())).To(Succeed())
		DeferCleanup(func() { Expect(stop(app)).To(Succeed()) })
		for _, payload := range []string{`{"extractor":"stub"}`, `{"extractor":"tabular","fields":[{"name":"email","synonyms":["email"]}]}`} {
			req := newRequest("POST", "/api/v1/workspaces/default/configurations",
				bytes.NewBufferString(`{"document_type":"roster","title":"Roster","payload":`+payload+`}`))
			req.Header.Set("Content-Type", "application/json")
			status, body := do(srv, req)
			Expect(status).To(Equal(201), "%s: %v", payload, body)
		}
	})

	It("fails start-up when the port is busy", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		defer ln.Close()
		c := memoryConfig()
		c.HTTPAddr = ln.Addr().String()
		app := fx.New(server(c))
		err = app.Start(context.Background())
		Expect(err).To(MatchError(ContainSubstring("listen on " + c.HTTPAddr)))
	})

	It("fails fast on an unreachable database", func() {
		c := memoryConfig()
		c.DatabaseURL = "postgres://ade:secret@127.0.0.1:1/ade?sslmode=disable&connect_timeout=2"
		start := time.Now()
		app := fx.New(server(c))
		Expect(app.Err()).To(HaveOccurred())
		Expect(app.Err().Error()).NotTo(ContainSubstring("secret"))
		Expect(time.Since(start)).To(BeNumerically("<", 30*time.Second))
	})
})

var _ = Describe("the bootstrap admin key", func() {
	// start runs the graph on a SQLite file in dir and returns the app,
	// its server, and what it printed on the console and in the log.
	start := func(dir string, extra map[string]string) (*httpapi.Server, *testkit.SyncBuffer, *testkit.SyncBuffer) {
		GinkgoHelper()
		vars := map[string]string{"ADE_HTTP_ADDR": "127.0.0.1:0", "ADE_DATA_DIR": dir, "ADE_BLOB_URL": "mem://"}
		for k, v := range extra {
			vars[k] = v
		}
		c, err := wiring.ConfigFromEnv(env(vars))
		Expect(err).NotTo(HaveOccurred())
		console, logs := &testkit.SyncBuffer{}, &testkit.SyncBuffer{}
		var srv *httpapi.Server
		app := fx.New(wiring.Server(c, console, logs), fx.Populate(&srv))
		Expect(app.Start(context.Background())).To(Succeed())
		DeferCleanup(func() { Expect(stop(app)).To(Succeed()) })
		return srv, console, logs
	}
	get := func(srv *httpapi.Server, key string) int {
		GinkgoHelper()
		req := httptest.NewRequest("GET", "/api/v1/workspaces", nil)
		req.Header.Set("X-API-Key", key)
		status, _ := do(srv, req)
		return status
	}

	It("is generated on a first start and printed once on the console, never in the log", func() {
		dir := GinkgoT().TempDir()
		srv, console, logs := start(dir, nil)
		m := regexp.MustCompile(`^admin api key: (ade_[A-Z2-7]{52})\n$`).FindStringSubmatch(console.String())
		Expect(m).To(HaveLen(2), "console: %q", console.String())
		key := m[1]
		Expect(get(srv, key)).To(Equal(200))
		Expect(logs.String()).To(ContainSubstring("printed it once on standard output"))
		Expect(logs.String()).NotTo(ContainSubstring(key[4:]))

		// The next start on the same database prints nothing.
		srv2, console2, _ := start(dir, nil)
		Expect(console2.String()).To(BeEmpty())
		Expect(get(srv2, key)).To(Equal(200))
	})

	It("is ADE_BOOTSTRAP_ADMIN_KEY when set, with nothing printed or logged", func() {
		supplied := "ade_" + strings.Repeat("f00d", 10)
		srv, console, logs := start(GinkgoT().TempDir(), map[string]string{"ADE_BOOTSTRAP_ADMIN_KEY": supplied})
		Expect(console.String()).To(BeEmpty())
		Expect(get(srv, supplied)).To(Equal(200))
		Expect(get(srv, "ade_"+strings.Repeat("f00d", 9)+"beef")).To(Equal(401))
		Expect(logs.String()).NotTo(ContainSubstring(supplied[4:]))
	})
})
