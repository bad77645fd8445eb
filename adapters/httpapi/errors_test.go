package httpapi_test

import (
	nethttp "net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
)

// What an error answer says: which resource was not found, why a change
// conflicts, messages as written (no Go formatting, no HTML escapes), and
// one rule for missing members.
var _ = Describe("Error answers", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	const unknownID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"

	DescribeTable("a 404 names the kind of resource the path names",
		func(method, path, detail string, check requestCheck) {
			p := expectProblem(e.do(e.newRequest(method, strings.ReplaceAll(path, "{ws}", e.wsp.ID()), nil), check), 404, "not_found")
			Expect(p["detail"]).To(Equal(detail))
		},
		Entry("a document", "GET", "/api/v1/workspaces/{ws}/documents/"+unknownID, "no such document", conforming),
		Entry("a document's download", "GET", "/api/v1/workspaces/{ws}/documents/"+unknownID+"/download", "no such document", conforming),
		Entry("a document's events", "GET", "/api/v1/workspaces/{ws}/documents/"+unknownID+"/events", "no such document", conforming),
		Entry("a malformed document id", "GET", "/api/v1/workspaces/{ws}/documents/nope", "no such document", nonconforming),
		Entry("a configuration to activate", "POST", "/api/v1/workspaces/{ws}/configurations/"+unknownID+"/activate", "no such configuration", conforming),
		Entry("a job's results", "GET", "/api/v1/workspaces/{ws}/jobs/"+unknownID+"/results", "no such job", conforming),
		Entry("a job to cancel", "POST", "/api/v1/workspaces/{ws}/jobs/"+unknownID+"/cancel", "no such job", conforming),
		Entry("an API key to revoke", "DELETE", "/api/v1/workspaces/{ws}/api-keys/"+unknownID, "no such API key", conforming),
		Entry("a workspace", "GET", "/api/v1/workspaces/nowhere/documents", "no such workspace", conforming),
		Entry("a document of a workspace that does not exist: named by the path alone", "GET", "/api/v1/workspaces/nowhere/documents/"+unknownID, "no such document", conforming),
		Entry("a path that names nothing", "GET", "/api/v1/nothing", "no such resource", proseOnly),
	)

	It("says why a change conflicts", func() {
		p := expectProblem(e.postJSON("/api/v1/workspaces", map[string]any{"slug": "default", "name": "Again"}), 409, "conflict")
		Expect(p["detail"]).To(Equal("a workspace with this slug already exists"))

		k := e.key(e.wsp.ID(), domain.RoleViewer)
		Expect(e.do(e.newRequest(nethttp.MethodDelete, e.ws("/api-keys/"+k.Key.ID()), nil), conforming).StatusCode).To(Equal(204))
		p = expectProblem(e.do(e.newRequest(nethttp.MethodDelete, e.ws("/api-keys/"+k.Key.ID()), nil), conforming), 409, "conflict")
		Expect(p["detail"]).To(Equal("the API key is already revoked"))

		doc := e.uploaded("a.csv", "a\n1\n")["document_id"].(string)
		e.configured("roster", map[string]any{"extractor": "stub"})
		job := e.postJSON(e.ws("/jobs"), map[string]any{"document_id": doc, "document_type": "roster"}).json()
		Expect(job["status"]).To(Equal("succeeded"))
		p = expectProblem(e.do(e.newRequest(nethttp.MethodPost, e.ws("/jobs/"+job["job_id"].(string)+"/cancel"), nil), conforming), 409, "conflict")
		Expect(p["detail"]).To(Equal("the job has already ended (succeeded): it cannot become cancelled"))
	})

	It("writes messages as they read, without Go formatting or HTML escapes", func() {
		r := e.postJSON(e.ws("/configurations"), map[string]any{"document_type": "r", "title": "R", "payload": map[string]any{"extractor": "ocr"}}, proseOnly)
		p := expectProblem(r, 422, "unprocessable")
		Expect(p["errors"]).To(ContainElement(HaveKeyWithValue("message", "must name a known extractor: stub, tabular")))

		r = e.get(e.ws("/documents?offset=-1"), nonconforming)
		expectProblem(r, 400, "invalid_request")
		Expect(string(r.body)).To(ContainSubstring(`"must be an integer >= 0"`))
		Expect(string(r.body)).NotTo(ContainSubstring(`\u003e`))

		e.readyMu.Lock()
		e.ready["blob_store"] = domain.ErrUnavailable
		e.ready["database"] = domain.ErrUnavailable
		e.readyMu.Unlock()
		p = expectProblem(e.get("/health/ready"), 503, "service_unavailable")
		Expect(p["detail"]).To(Equal("not ready: blob_store, database failed"))
	})

	It("answers a missing required member 400 wherever it is missing, and 422 only for what does not resolve", func() {
		p := expectProblem(e.postJSON(e.ws("/configurations"), map[string]any{"document_type": "r", "title": "R"}, nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("payload"))
		p = expectProblem(e.postJSON(e.ws("/configurations"), map[string]any{"title": "R", "payload": map[string]any{"extractor": "stub"}}, nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("document_type"))
		p = expectProblem(e.postJSON(e.ws("/jobs"), map[string]any{"document_type": "r"}, nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("document_id"))
		p = expectProblem(e.postJSON("/api/v1/workspaces", map[string]any{"slug": "x"}, nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("name"))
		p = expectProblem(e.postJSON(e.ws("/api-keys"), map[string]any{"label": "x"}, nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("role"))
		p = expectProblem(e.upload(proseOnly, field("metadata", "{}")), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("file"))

		p = expectProblem(e.postJSON(e.ws("/jobs"), map[string]any{"document_id": unknownID, "document_type": "r"}), 422, "unprocessable")
		Expect(fieldsOf(p)).To(ConsistOf("document_id", "document_type"))
	})
})

// Each boundary the contract states, from both sides.
var _ = Describe("Stated boundaries", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	deleteWith := func(id, reason string, check requestCheck) response {
		GinkgoHelper()
		b, err := jsonMarshal(map[string]any{"reason": reason})
		Expect(err).NotTo(HaveOccurred())
		req := e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		return e.do(req, check)
	}

	It("takes a delete reason of 1024 characters and refuses 1025", func() {
		id := e.uploaded("a.csv", "a\n")["document_id"].(string)
		p := expectProblem(deleteWith(id, strings.Repeat("é", 1025), proseOnly), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("reason"))
		Expect(e.get(e.ws("/documents/" + id)).StatusCode).To(Equal(200))
		Expect(deleteWith(id, strings.Repeat("é", 1024), conforming).StatusCode).To(Equal(204))
		events := e.get(e.ws("/documents/" + id + "/events")).items()
		Expect(events[len(events)-1].(map[string]any)["payload"]).To(HaveKeyWithValue("reason", strings.Repeat("é", 1024)))
	})

	It("takes a metadata part of 64 KiB and refuses one byte more", func() {
		meta := func(n int) string { return `{"x":"` + strings.Repeat("a", n-8) + `"}` }
		Expect(len(meta(65536))).To(Equal(65536))
		r := e.upload(conforming, filePart("a.csv", []byte("a\n")), field("metadata", meta(65536)))
		Expect(r.StatusCode).To(Equal(201), truncate(r.body))
		p := expectProblem(e.upload(proseOnly, filePart("b.csv", []byte("b\n")), field("metadata", meta(65537))), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("metadata"))
		Expect(e.documentCount()).To(Equal(1))
	})

	It("pages with limit 1 and 200, and refuses 0 and 201", func() {
		for range 3 {
			e.uploaded("a.csv", "a\n")
		}
		Expect(e.get(e.ws("/documents?limit=1")).items()).To(HaveLen(1))
		Expect(e.get(e.ws("/documents?limit=200")).items()).To(HaveLen(3))
		expectProblem(e.get(e.ws("/documents?limit=0"), nonconforming), 400, "invalid_request")
		expectProblem(e.get(e.ws("/documents?limit=201"), nonconforming), 400, "invalid_request")
		Expect(e.get(e.ws("/documents?offset=0")).items()).To(HaveLen(3))
		Expect(e.get(e.ws("/documents?offset=3")).items()).To(BeEmpty())
	})
})

var _ = Describe("Requests that change nothing", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("re-activating the active configuration records no event and keeps activated_at", func() {
		cfg := e.configured("roster", map[string]any{"extractor": "stub"})
		id := cfg["configuration_id"].(string)
		again := e.do(e.newRequest(nethttp.MethodPost, e.ws("/configurations/"+id+"/activate"), nil), conforming)
		Expect(again.StatusCode).To(Equal(200))
		Expect(again.json()["is_active"]).To(BeTrue())
		Expect(again.json()["activated_at"]).To(Equal(cfg["activated_at"]))
		Expect(again.json()["updated_at"]).To(Equal(cfg["updated_at"]))
		Expect(eventTypes(e.get(e.ws("/configurations/" + id + "/events")))).To(Equal([]string{"configuration.created", "configuration.activated"}))
	})
})

var _ = Describe("Job metrics", func() {
	It("count every job that ends, by status", func() {
		e := newEnv(envOptions{})
		doc := e.uploaded("a.csv", "a\n1\n")["document_id"].(string)
		ok := e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
		bad := e.configured("broken", map[string]any{"extractor": "stub", "fail": "asked to"})["configuration_id"].(string)
		for _, cfg := range []string{ok, ok, bad} {
			e.postJSON(e.ws("/jobs"), map[string]any{"document_id": doc, "configuration_id": cfg})
		}
		m := string(e.get("/metrics").body)
		Expect(m).To(ContainSubstring(`ade_jobs_total{status="succeeded"} 2`))
		Expect(m).To(ContainSubstring(`ade_jobs_total{status="failed"} 1`))
	})
})
