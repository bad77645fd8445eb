package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// unknownID is a well-formed id that names nothing.
const unknownID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

// gate is an extractor that runs until its release channel closes, to
// hold jobs running.
type gate struct {
	started chan struct{}
	release chan struct{}
}

func newGate() *gate { return &gate{started: make(chan struct{}, 16), release: make(chan struct{})} }

func (*gate) Name() string                         { return "gate" }
func (*gate) ValidatePayload(map[string]any) error { return nil }
func (g *gate) Extract(ctx context.Context, _ ports.ExtractionRequest) (ports.ExtractionResult, error) {
	g.started <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	return ports.ExtractionResult{}, nil
}

// as sends method path with key (none when empty) and an optional JSON
// body, checking the response against the document.
func (e *env) as(key, method, path string, body any) response {
	GinkgoHelper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		Expect(err).NotTo(HaveOccurred())
		rd = bytes.NewReader(b)
	}
	req := e.newRequestAs(key, method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.do(req, proseOnly)
}

// concrete turns a documented path into one the server can answer,
// naming workspace ws and unknown ids.
func concrete(path, ws string) string {
	path = strings.ReplaceAll(path, "{ws}", ws)
	for _, p := range []string{"{document_id}", "{configuration_id}", "{job_id}", "{api_key_id}", "{webhook_id}"} {
		path = strings.ReplaceAll(path, p, unknownID)
	}
	return path
}

// withoutRequestID is a problem document without its request_id.
func withoutRequestID(r response) map[string]any {
	GinkgoHelper()
	p := r.json()
	Expect(p).To(HaveKey("request_id"))
	delete(p, "request_id")
	return p
}

var _ = Describe("Authentication", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("asks every /api/v1 route for a key, with a Bearer challenge, and the operations endpoints for none", func() {
		routes := httpapi.RouteActions()
		Expect(routes).To(HaveLen(28))
		for route := range routes {
			method, path, _ := strings.Cut(route, " ")
			r := e.as("", method, concrete(path, e.wsp.ID()), nil)
			p := expectProblem(r, 401, "unauthenticated")
			Expect(p["detail"]).To(ContainSubstring("API key is required"), route)
			Expect(r.Header.Get("WWW-Authenticate")).To(Equal(`Bearer realm="ade"`), route)
			Expect(r.Header.Get("RateLimit-Limit")).To(BeEmpty(), "no key, no quota: %s", route)
		}
		for _, path := range []string{"/health/live", "/health/ready", "/metrics", "/openapi.json", "/docs", "/docs/docs.js"} {
			Expect(e.as("", "GET", path, nil).StatusCode).To(Equal(200), path)
		}
	})

	It("refuses malformed, unknown and revoked keys with one answer that names none of them", func() {
		revoked := e.key(e.wsp.ID(), domain.RoleViewer)
		_, err := e.app.Keys.Revoke(context.Background(), e.wsp.ID(), revoked.Key.ID())
		Expect(err).NotTo(HaveOccurred())
		var bodies []map[string]any
		for _, key := range []string{"not-a-key", "ade_" + strings.Repeat("Z", 52), revoked.Text} {
			r := e.as(key, "GET", e.ws("/documents"), nil)
			expectProblem(r, 401, "unauthenticated")
			Expect(r.Header.Get("WWW-Authenticate")).To(Equal(`Bearer realm="ade", error="invalid_token"`))
			Expect(string(r.body)).NotTo(ContainSubstring(key))
			bodies = append(bodies, withoutRequestID(r))
		}
		Expect(bodies[1]).To(Equal(bodies[0]))
		Expect(bodies[2]).To(Equal(bodies[0]))
	})

	It("takes the key from X-API-Key too, and refuses two different keys or another scheme", func() {
		req := e.newRequestAs("", "GET", e.ws("/documents"), nil)
		req.Header.Set("X-API-Key", e.admin.Text)
		Expect(e.do(req, conforming).StatusCode).To(Equal(200))

		other := e.key(e.wsp.ID(), domain.RoleViewer)
		req = e.newRequest("GET", e.ws("/documents"), nil)
		req.Header.Set("X-API-Key", other.Text)
		expectProblem(e.do(req, conforming), 401, "unauthenticated")

		req = e.newRequestAs("", "GET", e.ws("/documents"), nil)
		req.Header.Set("Authorization", "Basic "+e.admin.Text)
		expectProblem(e.do(req, proseOnly), 401, "unauthenticated")
		req.Header.Set("Authorization", "bearer "+e.admin.Text)
		Expect(e.do(req, conforming).StatusCode).To(Equal(200), "the scheme is case-insensitive")
	})

	It("answers 503 with Retry-After, not 401, when keys cannot be read", func() {
		down := &switchableKeys{}
		e = newEnv(envOptions{keys: func(r ports.APIKeyRepository) ports.APIKeyRepository {
			down.APIKeyRepository = r
			return down
		}})
		down.set(true)
		r := e.as(e.admin.Text, "GET", e.ws("/documents"), nil)
		expectProblem(r, 503, "service_unavailable")
		Expect(r.Header.Get("Retry-After")).To(Equal("5"))
		Expect(r.Header.Get("WWW-Authenticate")).To(BeEmpty())
	})

	It("records requests under the key's id, never its text", func() {
		e.as(e.admin.Text, "GET", e.ws("/documents"), nil)
		e.as("ade_"+strings.Repeat("Q", 40), "GET", e.ws("/documents"), nil)
		Eventually(e.logText).Should(ContainSubstring(`"api_key_id":"` + e.admin.Key.ID() + `"`))
		Expect(e.logText()).NotTo(ContainSubstring(e.admin.Text[4:]))
		Expect(e.logText()).NotTo(ContainSubstring(strings.Repeat("Q", 40)))
		m := string(e.get("/metrics").body)
		Expect(m).To(ContainSubstring(`ade_auth_failures_total{reason="unknown"} 1`))
		Expect(m).NotTo(ContainSubstring(e.admin.Key.ID()))
		Expect(m).NotTo(ContainSubstring(e.admin.Text[4:]))
	})
})

// switchableKeys is a key repository that can stop answering.
type switchableKeys struct {
	ports.APIKeyRepository
	mu   sync.Mutex
	down bool
}

func (s *switchableKeys) set(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *switchableKeys) GetByHash(ctx context.Context, hash string) (*domain.APIKey, error) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		return nil, domain.ErrUnavailable
	}
	return s.APIKeyRepository.GetByHash(ctx, hash)
}

var _ = Describe("Roles and workspaces", func() {
	var (
		e                 *env
		other             *domain.Workspace
		viewer, outsider  app.CreatedAPIKey
		docID, cfgID, job string
	)
	BeforeEach(func() {
		e = newEnv(envOptions{})
		var err error
		other, err = e.app.Workspaces.Create(context.Background(), "other", "Other")
		Expect(err).NotTo(HaveOccurred())
		viewer = e.key(e.wsp.ID(), domain.RoleViewer)
		outsider = e.key(other.ID(), domain.RoleAdmin)
		docID = e.uploaded("a.csv", "a\n1\n")["document_id"].(string)
		cfgID = e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
		job = e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID}).json()["job_id"].(string)
	})

	It("answers another workspace's resources exactly as missing ones", func() {
		probes := map[string][2]string{
			"document":         {e.ws("/documents/" + docID), "/api/v1/workspaces/other/documents/" + unknownID},
			"document events":  {e.ws("/documents/" + docID + "/events"), "/api/v1/workspaces/other/documents/" + unknownID + "/events"},
			"download":         {e.ws("/documents/" + docID + "/download"), "/api/v1/workspaces/other/documents/" + unknownID + "/download"},
			"configuration":    {e.ws("/configurations/" + cfgID), "/api/v1/workspaces/other/configurations/" + unknownID},
			"job":              {e.ws("/jobs/" + job), "/api/v1/workspaces/other/jobs/" + unknownID},
			"results":          {e.ws("/jobs/" + job + "/results"), "/api/v1/workspaces/other/jobs/" + unknownID + "/results"},
			"list by id":       {e.ws("/documents"), "/api/v1/workspaces/nowhere/documents"},
			"list by slug":     {"/api/v1/workspaces/default/jobs", "/api/v1/workspaces/nowhere/jobs"},
			"events":           {e.ws("/events"), "/api/v1/workspaces/nowhere/events"},
			"keys":             {e.ws("/api-keys"), "/api/v1/workspaces/nowhere/api-keys"},
			"stream":           {e.ws("/jobs/" + job + "/events?stream=true"), "/api/v1/workspaces/other/jobs/" + unknownID + "/events?stream=true"},
			"unknown resource": {e.ws("/jobs/" + unknownID), "/api/v1/workspaces/other/jobs/" + unknownID},
		}
		for name, p := range probes {
			foreign := e.as(outsider.Text, "GET", p[0], nil)
			missing := e.as(outsider.Text, "GET", p[1], nil)
			expectProblem(foreign, 404, "not_found")
			expectProblem(missing, 404, "not_found")
			Expect(withoutRequestID(foreign)).To(Equal(withoutRequestID(missing)), name)
			Expect(foreign.Header.Get("Content-Type")).To(Equal(missing.Header.Get("Content-Type")), name)
		}
		// Writes too, whatever the role would allow.
		for _, w := range []struct{ method, path string }{
			{"DELETE", e.ws("/documents/" + docID)}, {"POST", e.ws("/jobs/" + job + "/cancel")},
			{"POST", e.ws("/configurations/" + cfgID + "/activate")}, {"DELETE", e.ws("/api-keys/" + viewer.Key.ID())},
		} {
			expectProblem(e.as(outsider.Text, w.method, w.path, nil), 404, "not_found")
		}
		Expect(e.get(e.ws("/documents/"+docID)).StatusCode).To(Equal(200), "nothing was deleted")
		_, err := e.app.Keys.Authenticate(context.Background(), viewer.Text)
		Expect(err).NotTo(HaveOccurred(), "nothing was revoked")
	})

	It("answers 403 for a role that does not allow the action, in the key's own workspace only", func() {
		body, ct := multipartBody(filePart("b.csv", []byte("b\n")))
		req := e.newRequestAs(viewer.Text, "POST", e.ws("/documents"), body)
		req.Header.Set("Content-Type", ct)
		p := expectProblem(e.do(req, conforming), 403, "forbidden")
		Expect(p["detail"]).To(Equal("Forbidden"))
		expectProblem(e.as(viewer.Text, "POST", e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID}), 403, "forbidden")
		expectProblem(e.as(viewer.Text, "GET", e.ws("/api-keys"), nil), 403, "forbidden")
		expectProblem(e.as(viewer.Text, "POST", "/api/v1/workspaces", map[string]any{"slug": "mine", "name": "Mine"}), 403, "forbidden")
		Expect(e.as(viewer.Text, "GET", e.ws("/jobs/"+job+"/results"), nil).StatusCode).To(Equal(200))
		// The same write in a workspace it cannot see is a 404.
		expectProblem(e.as(viewer.Text, "POST", "/api/v1/workspaces/other/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID}), 404, "not_found")
	})

	It("lists only the workspaces a key may see", func() {
		items := e.as(viewer.Text, "GET", "/api/v1/workspaces", nil).items()
		Expect(items).To(HaveLen(1))
		Expect(items[0].(map[string]any)["workspace_id"]).To(Equal(e.wsp.ID()))
		Expect(e.as(e.admin.Text, "GET", "/api/v1/workspaces", nil).items()).To(HaveLen(2))
		Expect(e.as(outsider.Text, "GET", "/api/v1/workspaces?offset=1", nil).items()).To(BeEmpty())
	})

	It("records the key as the actor of what it changes", func() {
		editor := e.key(e.wsp.ID(), domain.RoleEditor)
		r := e.as(editor.Text, "POST", e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID})
		Expect(r.StatusCode).To(Equal(201))
		Expect(r.json()["created_by"]).To(Equal(editor.Key.ID()))
		evs := e.get(e.ws("/jobs/" + r.json()["job_id"].(string) + "/events")).items()
		for _, ev := range evs {
			m := ev.(map[string]any)
			Expect(m["actor_type"]).To(Equal("api_key"))
			Expect(m["actor_id"]).To(Equal(editor.Key.ID()))
			Expect(m["actor_label"]).To(Equal("spec editor"))
		}
	})
})

var _ = Describe("API key routes", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("creates a key shown once, lists keys without their text, and revokes at once", func() {
		admin := e.key(e.wsp.ID(), domain.RoleAdmin)
		r := e.as(admin.Text, "POST", e.ws("/api-keys"), map[string]any{"role": "editor", "label": "importer"})
		Expect(r.StatusCode).To(Equal(201), string(r.body))
		Expect(r.Header.Get("Cache-Control")).To(Equal("no-store"))
		created := r.json()
		text := created["key"].(string)
		Expect(text).To(MatchRegexp(`^ade_[A-Z2-7]{52}$`))
		Expect(created).To(HaveKeyWithValue("role", "editor"))
		Expect(created).To(HaveKeyWithValue("label", "importer"))
		Expect(created).To(HaveKeyWithValue("workspace_id", e.wsp.ID()))
		Expect(created["revoked_at"]).To(BeNil())
		id := created["api_key_id"].(string)

		Expect(e.as(text, "GET", e.ws("/documents"), nil).StatusCode).To(Equal(200))
		list := e.as(admin.Text, "GET", e.ws("/api-keys"), nil)
		Expect(list.StatusCode).To(Equal(200))
		Expect(string(list.body)).NotTo(ContainSubstring(text[4:]))
		Expect(string(list.body)).NotTo(ContainSubstring(`"key"`))
		Expect(list.items()).To(HaveLen(2))
		Expect(list.items()[0].(map[string]any)["api_key_id"]).To(Equal(id))

		Expect(e.as(admin.Text, "DELETE", e.ws("/api-keys/"+id), nil).StatusCode).To(Equal(204))
		expectProblem(e.as(text, "GET", e.ws("/documents"), nil), 401, "unauthenticated")
		expectProblem(e.as(admin.Text, "DELETE", e.ws("/api-keys/"+id), nil), 409, "conflict")
		expectProblem(e.as(admin.Text, "DELETE", e.ws("/api-keys/"+unknownID), nil), 404, "not_found")
		expectProblem(e.as(admin.Text, "DELETE", e.ws("/api-keys/not-an-id"), nil), 404, "not_found")
		Expect(e.as(admin.Text, "GET", e.ws("/api-keys"), nil).items()[0].(map[string]any)["revoked_at"]).To(MatchRegexp(`Z$`))

		evs := e.get(e.ws("/events?entity_type=api_key&entity_id=" + id)).items()
		Expect(evs).To(HaveLen(2))
		for _, ev := range evs {
			m := ev.(map[string]any)
			Expect(m["actor_id"]).To(Equal(admin.Key.ID()))
			Expect(m["payload"]).To(Equal(map[string]any{"role": "editor", "label": "importer"}))
		}
		Expect(e.get(e.ws("/events?event_type=api_key.revoked")).items()).To(HaveLen(1))
	})

	It("refuses a bad role or label with 400 naming it", func() {
		p := expectProblem(e.as(e.admin.Text, "POST", e.ws("/api-keys"), map[string]any{"role": "owner"}), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("role"))
		p = expectProblem(e.as(e.admin.Text, "POST", e.ws("/api-keys"), map[string]any{"label": "x"}), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("role"))
		p = expectProblem(e.as(e.admin.Text, "POST", e.ws("/api-keys"), map[string]any{"role": "viewer", "label": "a\u0007b"}), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("label"))
	})

	It("ends an event stream once its key is revoked", func() {
		docID := e.uploaded("a.csv", "a\n")["document_id"].(string)
		cfgID := e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
		e.queue.Pause()
		pending, err := e.app.Jobs.Enqueue(context.Background(), app.SubmitJobRequest{WorkspaceID: e.wsp.ID(), DocumentID: docID, ConfigurationID: cfgID})
		Expect(err).NotTo(HaveOccurred())
		watcher := e.key(e.wsp.ID(), domain.RoleViewer)
		resp, err := e.client.Do(e.newRequestAs(watcher.Text, "GET", e.ws("/jobs/"+pending.ID()+"/events?stream=true"), nil))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		rd := bufio.NewReader(resp.Body)
		line, err := rd.ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		Expect(line).To(HavePrefix("id: "))

		Expect(e.as(e.admin.Text, "DELETE", e.ws("/api-keys/"+watcher.Key.ID()), nil).StatusCode).To(Equal(204))
		done := make(chan []byte)
		go func() {
			defer GinkgoRecover()
			rest, _ := io.ReadAll(rd)
			done <- rest
		}()
		var rest []byte
		Eventually(done).WithTimeout(5*time.Second).Should(Receive(&rest), "the stream ends within its recheck period")
		Expect(string(rest)).NotTo(ContainSubstring("job.status."))
	})
})

var _ = Describe("Limits", func() {
	It("refuses a key over its rate with 429, Retry-After and RateLimit headers, and lets it through again", func() {
		e := newEnv(envOptions{limits: &httpapi.Limits{Rate: 1, Burst: 3, Uploads: 10, Jobs: 10}})
		other := e.key(e.wsp.ID(), domain.RoleViewer)
		for want := 2; want >= 0; want-- {
			r := e.get(e.ws("/documents"))
			Expect(r.StatusCode).To(Equal(200))
			Expect(r.Header.Get("RateLimit-Limit")).To(Equal("3"))
			Expect(r.Header.Get("RateLimit-Remaining")).To(Equal(strconv.Itoa(want)))
		}
		r := e.get(e.ws("/documents"))
		p := expectProblem(r, 429, "rate_limited")
		Expect(p["detail"]).To(ContainSubstring("rate limit"))
		Expect(r.Header.Get("Retry-After")).To(Equal("1"))
		Expect(r.Header.Get("RateLimit-Remaining")).To(Equal("0"))
		Expect(strconv.Atoi(r.Header.Get("RateLimit-Reset"))).To(BeNumerically(">=", 1))
		Expect(e.as(other.Text, "GET", e.ws("/documents"), nil).StatusCode).To(Equal(200), "limits are per key")
		Expect(e.get("/metrics").body).To(ContainSubstring(`ade_rate_limited_total{limit="rate"} 1`))

		time.Sleep(time.Second)
		Expect(e.get(e.ws("/documents")).StatusCode).To(Equal(200), "the bucket refilled")
	})

	It("caps one key's concurrent uploads, and frees the slot when an upload ends", func() {
		e := newEnv(envOptions{limits: &httpapi.Limits{Rate: 1e6, Burst: 1e6, Uploads: 1, Jobs: 10}})
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		req := e.newRequest("POST", e.ws("/documents"), pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		first := make(chan int, 1)
		go func() {
			defer GinkgoRecover()
			resp, err := e.client.Do(req)
			Expect(err).NotTo(HaveOccurred())
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			first <- resp.StatusCode
		}()
		fw, err := mw.CreateFormFile("file", "slow.csv")
		Expect(err).NotTo(HaveOccurred())
		// More than the client's write buffer, so the server sees it now.
		_, err = fw.Write(bytes.Repeat([]byte("a,b\n"), 4<<10))
		Expect(err).NotTo(HaveOccurred())
		Eventually(e.blobs.putKeys).Should(HaveLen(1), "the first upload is streaming")

		r := e.upload(conforming, filePart("second.csv", []byte("x\n")))
		expectProblem(r, 429, "rate_limited")
		Expect(r.Header.Get("Retry-After")).To(Equal("1"))
		other := e.key(e.wsp.ID(), domain.RoleEditor)
		body, ct := multipartBody(filePart("third.csv", []byte("y\n")))
		oreq := e.newRequestAs(other.Text, "POST", e.ws("/documents"), body)
		oreq.Header.Set("Content-Type", ct)
		Expect(e.do(oreq, conforming).StatusCode).To(Equal(201), "the cap is per key")

		_, err = fw.Write([]byte("1,2\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(mw.Close()).To(Succeed())
		Expect(pw.Close()).To(Succeed())
		Eventually(first).Should(Receive(Equal(201)))
		Expect(e.upload(conforming, filePart("fourth.csv", []byte("z\n"))).StatusCode).To(Equal(201))
		Expect(e.get("/metrics").body).To(ContainSubstring(`ade_rate_limited_total{limit="uploads"} 1`))
	})

	It("caps the synchronous jobs running in one workspace, answering 429 rather than queueing; an asynchronous one queues", func() {
		g := newGate()
		e := newEnv(envOptions{limits: &httpapi.Limits{Rate: 1e6, Burst: 1e6, Uploads: 10, Jobs: 1}, extractors: []ports.Extractor{g}})
		docID := e.uploaded("a.csv", "a\n")["document_id"].(string)
		cfgID := e.configured("held", map[string]any{"extractor": "gate"})["configuration_id"].(string)
		submit := func() response {
			return e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID})
		}
		first := make(chan response, 1)
		go func() {
			defer GinkgoRecover()
			first <- submit()
		}()
		Eventually(g.started).Should(Receive(), "the first job is running")

		r := submit()
		expectProblem(r, 429, "rate_limited")
		Expect(r.Header.Get("Retry-After")).To(Equal("1"))
		Expect(r.json()["detail"]).To(ContainSubstring("jobs running"))

		// An asynchronous submission holds no slot: it queues (a quick
		// job, so that it does not keep the second worker).
		quick := e.configured("quick", map[string]any{"extractor": "stub"})["configuration_id"].(string)
		req := e.newRequest("POST", e.ws("/jobs"), strings.NewReader(`{"document_id":"`+docID+`","configuration_id":"`+quick+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Prefer", "respond-async")
		queued := e.do(req, conforming)
		Expect(queued.StatusCode).To(Equal(202), string(queued.body))
		Expect(queued.json()["status"]).To(Equal("pending"))

		// Another workspace has a cap of its own.
		otherWS, err := e.app.Workspaces.Create(context.Background(), "busy", "Busy")
		Expect(err).NotTo(HaveOccurred())
		odoc, err := e.app.Documents.Upload(context.Background(), app.UploadRequest{WorkspaceID: otherWS.ID(), Filename: "o.csv", Body: strings.NewReader("o\n")})
		Expect(err).NotTo(HaveOccurred())
		ocfg, err := e.app.Configurations.Create(context.Background(), app.CreateConfigurationRequest{
			WorkspaceID: otherWS.ID(), DocumentType: "t", Title: "T", Payload: map[string]any{"extractor": "stub"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.postJSON("/api/v1/workspaces/busy/jobs", map[string]any{"document_id": odoc.ID(), "configuration_id": ocfg.ID()}).StatusCode).To(Equal(201))

		close(g.release)
		Eventually(first).Should(Receive(WithTransform(func(r response) int { return r.StatusCode }, Equal(201))))
		Eventually(func() any { return e.get(e.ws("/jobs/" + queued.json()["job_id"].(string))).json()["status"] }, 5*time.Second).
			Should(Equal("succeeded"))
		Expect(submit().StatusCode).To(Equal(201), "the slot is free again")
	})
})

var _ = Describe("The OpenAPI document", func() {
	It("names each operation's permission as the server enforces it", func() {
		routes := httpapi.RouteActions()
		seen := 0
		for path, item := range spec.Paths.Map() {
			for method, op := range item.Operations() {
				ext, ok := op.Extensions["x-ade-permission"]
				if !strings.HasPrefix(path, "/api/v1/") {
					Expect(ok).To(BeFalse(), "%s %s", method, path)
					Expect(op.Security).NotTo(BeNil(), "%s %s needs no key and says so", method, path)
					Expect(*op.Security).To(BeEmpty(), "%s %s", method, path)
					continue
				}
				Expect(ok).To(BeTrue(), "%s %s has x-ade-permission", method, path)
				raw, err := json.Marshal(ext)
				Expect(err).NotTo(HaveOccurred())
				var perm struct {
					Action string   `json:"action"`
					Roles  []string `json:"roles"`
				}
				Expect(json.Unmarshal(raw, &perm)).To(Succeed())
				key := method + " " + path
				if method == "HEAD" {
					key = "GET " + path
				}
				Expect(routes).To(HaveKeyWithValue(key, perm.Action), key)
				roles := []string{}
				for _, r := range domain.RolesFor(domain.Action(perm.Action)) {
					roles = append(roles, string(r))
				}
				Expect(perm.Roles).To(Equal(roles), key)
				for _, status := range []string{"401", "403", "429"} {
					Expect(op.Responses.Value(status)).NotTo(BeNil(), "%s answers %s", key, status)
				}
				seen++
			}
		}
		Expect(seen).To(Equal(len(routes) + 1)) // HEAD of the download
	})
})
