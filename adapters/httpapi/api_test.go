package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	nethttp "net/http"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
)

var _ = Describe("Workspaces", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("creates and lists workspaces", func() {
		r := e.postJSON("/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"})
		Expect(r.StatusCode).To(Equal(201), string(r.body))
		w := r.json()
		Expect(w["slug"]).To(Equal("acme"))
		l := e.get("/api/v1/workspaces")
		Expect(l.StatusCode).To(Equal(200))
		Expect(l.items()).To(HaveLen(2))
		Expect(l.items()[0].(map[string]any)["workspace_id"]).To(Equal(w["workspace_id"]))
		// The new workspace answers by slug and by id.
		Expect(e.get("/api/v1/workspaces/acme/documents").StatusCode).To(Equal(200))
		Expect(e.get("/api/v1/workspaces/" + w["workspace_id"].(string) + "/documents").StatusCode).To(Equal(200))
	})

	It("answers 409 for a duplicate slug and 400 for an invalid one", func() {
		expectProblem(e.postJSON("/api/v1/workspaces", map[string]any{"slug": "default", "name": "Again"}), 409, "conflict")
		p := expectProblem(e.postJSON("/api/v1/workspaces", map[string]any{"slug": "Not A Slug", "name": "x"}), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("slug"))
	})

	DescribeTable("decodes JSON strictly",
		func(body string, field string, check requestCheck) {
			p := expectProblem(e.postJSON("/api/v1/workspaces", []byte(body), check), 400, "invalid_request")
			if field != "" {
				Expect(fieldsOf(p)).To(ConsistOf(field))
			}
		},
		Entry("unknown member", `{"slug":"a","name":"A","owner":"me"}`, "owner", nonconforming),
		Entry("wrong type", `{"slug":42,"name":"A"}`, "slug", nonconforming),
		Entry("missing member", `{"slug":"a"}`, "name", nonconforming),
		Entry("not JSON", `{"slug":`, "", nonconforming),
		Entry("an array", `[1]`, "", nonconforming),
		Entry("trailing data", `{"slug":"a","name":"A"} {}`, "", proseOnly),
		Entry("empty", ``, "", nonconforming),
	)

	It("answers 415 for a wrong or missing Content-Type", func() {
		req := e.newRequest(nethttp.MethodPost, "/api/v1/workspaces", strings.NewReader(`{"slug":"a","name":"A"}`))
		req.Header.Set("Content-Type", "text/plain")
		expectProblem(e.do(req, nonconforming), 415, "unsupported_media_type")
		req = e.newRequest(nethttp.MethodPost, "/api/v1/workspaces", strings.NewReader(`{"slug":"a","name":"A"}`))
		expectProblem(e.do(req, nonconforming), 415, "unsupported_media_type")
	})

	It("answers 413 for a JSON body over 1 MiB and closes the connection", func() {
		body := []byte(`{"slug":"a","name":"` + strings.Repeat("x", 1<<20) + `"}`)
		r := e.postJSON("/api/v1/workspaces", body, proseOnly)
		p := expectProblem(r, 413, "document_too_large")
		Expect(p["limit_bytes"]).To(BeNumerically("==", 1<<20))
		Expect(r.Close).To(BeTrue())
	})
})

var _ = Describe("Configurations", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("creates versions, lists with filters, gets and activates", func() {
		r := e.postJSON(e.ws("/configurations"), map[string]any{"document_type": "roster", "title": "Roster", "payload": map[string]any{"extractor": "stub"}})
		Expect(r.StatusCode).To(Equal(201), string(r.body))
		c1 := r.json()
		Expect(c1["version"]).To(BeNumerically("==", 1))
		Expect(c1["is_active"]).To(BeFalse())
		Expect(c1["activated_at"]).To(BeNil())
		Expect(r.Header.Get("Location")).To(Equal(e.ws("/configurations/" + c1["configuration_id"].(string))))
		c2 := e.configured("roster", map[string]any{"extractor": "stub"})
		Expect(c2["version"]).To(BeNumerically("==", 2))
		Expect(c2["is_active"]).To(BeTrue())
		Expect(c2["activated_at"]).To(MatchRegexp(`Z$`))

		Expect(e.get(e.ws("/configurations")).items()).To(HaveLen(2))
		active := e.get(e.ws("/configurations?is_active=true&document_type=roster")).items()
		Expect(active).To(HaveLen(1))
		Expect(active[0].(map[string]any)["configuration_id"]).To(Equal(c2["configuration_id"]))
		Expect(e.get(e.ws("/configurations?document_type=other")).items()).To(BeEmpty())
		expectProblem(e.get(e.ws("/configurations?is_active=maybe"), nonconforming), 400, "invalid_request")

		g := e.get(e.ws("/configurations/" + c1["configuration_id"].(string)))
		Expect(g.StatusCode).To(Equal(200))
		Expect(g.json()["payload"]).To(Equal(map[string]any{"extractor": "stub"}))

		// Activating version 1 deactivates version 2.
		a := e.do(e.newRequest(nethttp.MethodPost, e.ws("/configurations/"+c1["configuration_id"].(string)+"/activate"), nil), conforming)
		Expect(a.StatusCode).To(Equal(200))
		Expect(e.get(e.ws("/configurations/" + c2["configuration_id"].(string))).json()["is_active"]).To(BeFalse())

		ev := e.get(e.ws("/configurations/" + c1["configuration_id"].(string) + "/events"))
		Expect(eventTypes(ev)).To(Equal([]string{"configuration.created", "configuration.activated"}))
		expectProblem(e.do(e.newRequest(nethttp.MethodPost, e.ws("/configurations/01ARZ3NDEKTSV4RRFFQ69G5FAV/activate"), nil), conforming), 404, "not_found")
	})

	DescribeTable("answers 422 with errors[] for invalid payloads",
		func(payload map[string]any, field string) {
			p := expectProblem(e.postJSON(e.ws("/configurations"), map[string]any{"document_type": "roster", "title": "R", "payload": payload}, proseOnly), 422, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement(field))
		},
		Entry("unknown extractor", map[string]any{"extractor": "nope"}, "payload.extractor"),
		Entry("refused by the extractor", map[string]any{"extractor": "stub", "colour": "red"}, "payload.colour"),
		Entry("wrong type for the extractor", map[string]any{"extractor": "stub", "fail": 3}, "payload.fail"),
	)

	It("answers 400 for a payload that is not an object and a missing title", func() {
		p := expectProblem(e.postJSON(e.ws("/configurations"), []byte(`{"document_type":"r","title":"R","payload":"stub"}`), nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("payload"))
		p = expectProblem(e.postJSON(e.ws("/configurations"), []byte(`{"document_type":"r","payload":{"extractor":"stub"}}`), nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("title"))
	})
})

var _ = Describe("Jobs", func() {
	var e *env
	var docID, cfgID string
	BeforeEach(func() {
		e = newEnv(envOptions{})
		docID = e.uploaded("roster.csv", "a,b\n1,2\n")["document_id"].(string)
		cfgID = e.configured("roster", map[string]any{"extractor": "stub"})["configuration_id"].(string)
	})

	It("runs a job by configuration id and by document type", func() {
		r := e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID})
		Expect(r.StatusCode).To(Equal(201), string(r.body))
		j := r.json()
		Expect(j["status"]).To(Equal("succeeded"))
		Expect(j["configuration_version"]).To(BeNumerically("==", 1))
		Expect(j["input_document_id"]).To(Equal(docID))
		Expect(j["created_by"]).To(Equal(e.admin.Key.ID()))
		Expect(j["attempts"]).To(BeNumerically("==", 1))
		Expect(j["metrics"]).To(HaveKeyWithValue("tables_detected", 1.0))
		Expect(j).NotTo(HaveKey("error"))
		Expect(r.Header.Get("Location")).To(Equal(e.ws("/jobs/" + j["job_id"].(string))))

		r = e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "document_type": "roster"})
		Expect(r.StatusCode).To(Equal(201))
		Expect(r.json()["configuration_id"]).To(Equal(cfgID))

		g := e.get(e.ws("/jobs/" + j["job_id"].(string)))
		Expect(g.json()["status"]).To(Equal("succeeded"))

		res := e.get(e.ws("/jobs/" + j["job_id"].(string) + "/results"))
		Expect(res.StatusCode).To(Equal(200))
		tables := res.json()["tables"].([]any)
		Expect(tables).To(HaveLen(1))
		t := tables[0].(map[string]any)
		Expect(t["columns"]).To(Equal([]any{"field", "value"}))
		Expect(t["row_count"]).To(BeNumerically("==", 3))
		Expect(res.json()["output_documents"]).To(BeEmpty())
	})

	It("pages a job's tables and lists all its outputs", func() {
		var csv strings.Builder
		for i := range 5 {
			fmt.Fprintf(&csv, "Name,Amount\nAnn %d,%d\nBob %d,%d\n\nNotes,set off\n\n", i, i, i, i+1)
		}
		doc := e.uploaded("tables.csv", csv.String())["document_id"].(string)
		cfg := e.configured("tables", map[string]any{"extractor": "tabular",
			"fields": []any{map[string]any{"name": "name", "synonyms": []any{"name"}}}})
		r := e.postJSON(e.ws("/jobs"), map[string]any{"document_id": doc, "configuration_id": cfg["configuration_id"]})
		Expect(r.StatusCode).To(Equal(201), string(r.body))
		results := e.ws("/jobs/" + r.json()["job_id"].(string) + "/results")

		var titles []any
		for offset := 0; ; offset += 2 {
			page := e.get(fmt.Sprintf("%s?limit=2&offset=%d", results, offset)).json()
			Expect(page["limit"]).To(BeNumerically("==", 2))
			Expect(page["offset"]).To(BeNumerically("==", offset))
			Expect(page["output_documents"]).To(HaveLen(5), "every output on every page")
			for _, t := range page["tables"].([]any) {
				titles = append(titles, t.(map[string]any)["title"])
			}
			if page["has_more"] == false {
				break
			}
			Expect(page["tables"]).To(HaveLen(2))
		}
		Expect(titles).To(Equal([]any{"tables 1", "tables 2", "tables 3", "tables 4", "tables 5"}))

		all := e.get(results).json()
		Expect(all["tables"]).To(HaveLen(5))
		Expect(all["limit"]).To(BeNumerically("==", 50))
		Expect(all["has_more"]).To(BeFalse())
		p := expectProblem(e.get(results+"?limit=0", nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("limit"))
	})

	It("reports a failed job with its error", func() {
		failing := e.configured("broken", map[string]any{"extractor": "stub", "fail": "cannot read"})
		r := e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": failing["configuration_id"]})
		Expect(r.StatusCode).To(Equal(201))
		j := r.json()
		Expect(j["status"]).To(Equal("failed"))
		Expect(j["error"]).To(Equal(map[string]any{"code": "stub_failure", "message": "cannot read"}))
	})

	DescribeTable("answers 422 naming references that do not resolve",
		func(body func() map[string]any, field string) {
			p := expectProblem(e.postJSON(e.ws("/jobs"), body(), conforming), 422, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement(field))
		},
		Entry("unknown document", func() map[string]any {
			return map[string]any{"document_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "configuration_id": cfgID}
		}, "document_id"),
		Entry("malformed document id", func() map[string]any {
			return map[string]any{"document_id": "nope", "configuration_id": cfgID}
		}, "document_id"),
		Entry("unknown configuration", func() map[string]any {
			return map[string]any{"document_id": docID, "configuration_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}
		}, "configuration_id"),
		Entry("no active configuration", func() map[string]any {
			return map[string]any{"document_id": docID, "document_type": "invoice"}
		}, "document_type"),
	)

	It("answers 422 for a deleted document", func() {
		Expect(e.do(e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+docID), nil), conforming).StatusCode).To(Equal(204))
		p := expectProblem(e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID}), 422, "unprocessable")
		Expect(fieldsOf(p)).To(ConsistOf("document_id"))
	})

	DescribeTable("answers 400 for malformed submissions",
		func(body string, field string, check requestCheck) {
			p := expectProblem(e.postJSON(e.ws("/jobs"), []byte(body), check), 400, "invalid_request")
			Expect(fieldsOf(p)).To(ConsistOf(field))
		},
		Entry("missing document_id", `{"configuration_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}`, "document_id", nonconforming),
		Entry("wrong type", `{"document_id":7,"document_type":"roster"}`, "document_id", nonconforming),
		Entry("unknown member", `{"document_id":"x","document_type":"roster","priority":1}`, "priority", nonconforming),
		Entry("neither configuration nor type", `{"document_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}`, "configuration_id", proseOnly),
		Entry("both configuration and type", `{"document_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","configuration_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","document_type":"x"}`, "configuration_id", proseOnly),
	)

	It("lists with filters and refuses an unknown status", func() {
		e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID})
		failing := e.configured("broken", map[string]any{"extractor": "stub", "fail": "no"})
		e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": failing["configuration_id"]})
		Expect(e.get(e.ws("/jobs")).items()).To(HaveLen(2))
		Expect(e.get(e.ws("/jobs?status=failed")).items()).To(HaveLen(1))
		Expect(e.get(e.ws("/jobs?configuration_id=" + cfgID)).items()).To(HaveLen(1))
		Expect(e.get(e.ws("/jobs?document_id=" + docID + "&status=succeeded")).items()).To(HaveLen(1))
		p := expectProblem(e.get(e.ws("/jobs?status=done"), nonconforming), 400, "invalid_request")
		Expect(fieldsOf(p)).To(ConsistOf("status"))
	})

	It("cancels a pending job and refuses to cancel a terminal one", func() {
		e.queue.Pause()
		pending, err := e.app.Jobs.Enqueue(context.Background(), app.SubmitJobRequest{WorkspaceID: e.wsp.ID(), DocumentID: docID, ConfigurationID: cfgID})
		Expect(err).NotTo(HaveOccurred())
		r := e.do(e.newRequest(nethttp.MethodPost, e.ws("/jobs/"+pending.ID()+"/cancel"), nil), conforming)
		Expect(r.StatusCode).To(Equal(200), string(r.body))
		Expect(r.json()["status"]).To(Equal("cancelled"))
		expectProblem(e.do(e.newRequest(nethttp.MethodPost, e.ws("/jobs/"+pending.ID()+"/cancel"), nil), conforming), 409, "conflict")

		e.queue.Resume()
		done := e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID}).json()
		expectProblem(e.do(e.newRequest(nethttp.MethodPost, e.ws("/jobs/"+done["job_id"].(string)+"/cancel"), nil), conforming), 409, "conflict")
		expectProblem(e.do(e.newRequest(nethttp.MethodPost, e.ws("/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel"), nil), conforming), 404, "not_found")
	})

	It("lists a job's events and streams them as Server-Sent Events", func() {
		j := e.postJSON(e.ws("/jobs"), map[string]any{"document_id": docID, "configuration_id": cfgID}).json()
		id := j["job_id"].(string)
		want := []string{"job.created", "job.status.running", "job.status.succeeded"}
		Expect(eventTypes(e.get(e.ws("/jobs/" + id + "/events")))).To(Equal(want))

		r := e.get(e.ws("/jobs/" + id + "/events?stream=true"))
		Expect(r.StatusCode).To(Equal(200))
		Expect(r.Header.Get("Content-Type")).To(HavePrefix("text/event-stream"))
		msgs := parseSSE(r.body)
		Expect(msgs).To(HaveLen(3))
		for i, m := range msgs {
			Expect(m.event).To(Equal(want[i]))
			Expect(m.data).To(HaveKeyWithValue("event_id", m.id))
			Expect(m.data).To(HaveKeyWithValue("event_type", want[i]))
		}

		// Last-Event-ID resumes after the given event.
		req := e.newRequest(nethttp.MethodGet, e.ws("/jobs/"+id+"/events?stream=true"), nil)
		req.Header.Set("Last-Event-ID", msgs[0].id)
		resumed := parseSSE(e.do(req, conforming).body)
		Expect(resumed).To(HaveLen(2))
		Expect(resumed[0].id).To(Equal(msgs[1].id))

		// Resuming after the terminal event ends the stream at once.
		req = e.newRequest(nethttp.MethodGet, e.ws("/jobs/"+id+"/events?stream=true"), nil)
		req.Header.Set("Last-Event-ID", msgs[2].id)
		Expect(parseSSE(e.do(req, conforming).body)).To(BeEmpty())

		expectProblem(e.get(e.ws("/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/events?stream=true")), 404, "not_found")
		expectProblem(e.get(e.ws("/jobs/"+id+"/events?stream=yes"), nonconforming), 400, "invalid_request")
	})

	It("streams a pending job's events as they happen and closes after the terminal one", func() {
		e.queue.Pause()
		pending, err := e.app.Jobs.Enqueue(context.Background(), app.SubmitJobRequest{WorkspaceID: e.wsp.ID(), DocumentID: docID, ConfigurationID: cfgID})
		Expect(err).NotTo(HaveOccurred())
		resp, err := e.client.Do(e.newRequest(nethttp.MethodGet, e.ws("/jobs/"+pending.ID()+"/events?stream=true"), nil))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		rd := bufio.NewReader(resp.Body)
		line, err := rd.ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		Expect(line).To(HavePrefix("id: "))
		go func() {
			defer GinkgoRecover()
			time.Sleep(300 * time.Millisecond)
			e.queue.Resume() // a worker runs the job now
		}()
		rest, err := io.ReadAll(rd)
		Expect(err).NotTo(HaveOccurred())
		msgs := parseSSE(append([]byte(line), rest...))
		Expect(msgs).To(HaveLen(3))
		Expect(msgs[2].event).To(Equal("job.status.succeeded"))
	})

	It("ends open streams when the server shuts down", func() {
		e.queue.Pause()
		pending, err := e.app.Jobs.Enqueue(context.Background(), app.SubmitJobRequest{WorkspaceID: e.wsp.ID(), DocumentID: docID, ConfigurationID: cfgID})
		Expect(err).NotTo(HaveOccurred())
		resp, err := e.client.Do(e.newRequest(nethttp.MethodGet, e.ws("/jobs/"+pending.ID()+"/events?stream=true"), nil))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		rd := bufio.NewReader(resp.Body)
		_, err = rd.ReadString('\n')
		Expect(err).NotTo(HaveOccurred())
		start := time.Now()
		Expect(e.stop()).To(Succeed())
		Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second))
		_, err = io.ReadAll(rd)
		Expect(err).NotTo(HaveOccurred())
	})
})

var _ = Describe("Events and request ids", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("echoes a sane X-Request-ID and stores it on the events the request caused", func() {
		body, ct := multipartBody(filePart("a.csv", []byte("a\n")))
		req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-Request-ID", "trace-abc.123")
		r := e.do(req, conforming)
		Expect(r.StatusCode).To(Equal(201))
		Expect(r.Header.Get("X-Request-ID")).To(Equal("trace-abc.123"))

		l := e.get(e.ws("/events?entity_type=document&event_type=document.uploaded"))
		Expect(l.items()).To(HaveLen(1))
		ev := l.items()[0].(map[string]any)
		Expect(ev["request_id"]).To(Equal("trace-abc.123"))
		Expect(ev["source"]).To(Equal("api"))
		Expect(ev["actor_type"]).To(Equal("api_key"))
		Expect(ev["actor_id"]).To(Equal(e.admin.Key.ID()))
		Expect(ev["actor_label"]).To(Equal("spec admin"))
		Expect(ev["entity_id"]).To(Equal(r.json()["document_id"]))
		Expect(e.get(e.ws("/events?entity_id=" + ev["entity_id"].(string))).items()).To(HaveLen(1))
	})

	It("replaces an unsafe or over-long X-Request-ID with a generated one", func() {
		for _, bad := range []string{"has space", strings.Repeat("a", 129), "new\tline"} {
			req := e.newRequest(nethttp.MethodGet, "/health/live", nil)
			req.Header.Set("X-Request-ID", bad)
			r := e.do(req, conforming)
			Expect(r.Header.Get("X-Request-ID")).To(MatchRegexp("^[0-9A-Z]{26}$"))
		}
		Expect(e.get("/health/live").Header.Get("X-Request-ID")).To(MatchRegexp("^[0-9A-Z]{26}$"))
	})

	It("refuses unknown filters", func() {
		expectProblem(e.get(e.ws("/events?entity_type=planet"), nonconforming), 400, "invalid_request")
		expectProblem(e.get(e.ws("/events?event_type=document.eaten"), nonconforming), 400, "invalid_request")
	})

	It("answers unknown routes with a 404 problem and unsupported methods with 405", func() {
		expectProblem(e.get("/api/v1/nothing", proseOnly), 404, "not_found")
		r := e.do(e.newRequest(nethttp.MethodPut, e.ws("/documents"), nil), proseOnly)
		expectProblem(r, 405, "invalid_request")
	})
})

var _ = Describe("Internal errors", func() {
	It("answer 500 with no internal detail and log the cause", func() {
		e := newEnv(envOptions{failEvents: true})
		req := e.newRequest(nethttp.MethodGet, e.ws("/events"), nil)
		req.Header.Set("X-Request-ID", "req-500")
		r := e.do(req, conforming)
		p := expectProblem(r, 500, "internal")
		Expect(string(r.body)).NotTo(ContainSubstring("secret_internal_table"))
		Expect(string(r.body)).NotTo(ContainSubstring("pq:"))
		Expect(string(r.body)).NotTo(ContainSubstring("10.0.0.7"))
		Expect(p).NotTo(HaveKey("errors"))
		Eventually(e.logText).Should(ContainSubstring("secret_internal_table"))
		// One structured line per request, without bodies.
		Eventually(e.logText).Should(MatchRegexp(
			`"msg":"request","method":"GET","route":"/api/v1/workspaces/:ws/events","status":500,"duration":\d+,"request_id":"req-500","bytes":\d+`))
	})
})

var _ = Describe("Operations", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	It("answers liveness and readiness", func() {
		r := e.get("/health/live")
		Expect(r.StatusCode).To(Equal(200))
		Expect(r.json()).To(Equal(map[string]any{"status": "ok"}))
		r = e.get("/health/ready")
		Expect(r.StatusCode).To(Equal(200))
		Expect(r.json()["checks"]).To(Equal(map[string]any{"database": "ok", "blob_store": "ok"}))

		e.readyMu.Lock()
		e.ready["blob_store"] = domain.ErrUnavailable
		e.readyMu.Unlock()
		p := expectProblem(e.get("/health/ready"), 503, "service_unavailable")
		Expect(p["detail"]).To(ContainSubstring("blob_store"))
		Expect(p["checks"]).To(Equal(map[string]any{"database": "ok", "blob_store": "failed"}))
	})

	It("serves Prometheus metrics by route template", func() {
		e.uploaded("a.csv", "a\n")
		e.get(e.ws("/documents/01ARZ3NDEKTSV4RRFFQ69G5FAV"))
		r := e.get("/metrics")
		Expect(r.StatusCode).To(Equal(200))
		m := string(r.body)
		Expect(m).To(ContainSubstring(`ade_http_requests_total{method="POST",route="/api/v1/workspaces/:ws/documents",status="201"} 1`))
		Expect(m).To(ContainSubstring(`route="/api/v1/workspaces/:ws/documents/:document_id",status="404"`))
		Expect(m).To(ContainSubstring("ade_http_request_duration_seconds_bucket"))
		Expect(m).To(ContainSubstring("ade_upload_bytes_total 2"))
		Expect(m).To(ContainSubstring(`ade_jobs_total{status="succeeded"} 0`))
		Expect(m).NotTo(ContainSubstring("01ARZ3NDEKTSV4RRFFQ69G5FAV"))
		e.get("/no/such/path/01ARZ3NDEKTSV4RRFFQ69G5FAV", proseOnly)
		m = string(e.get("/metrics").body)
		Expect(m).To(ContainSubstring(`route="unmatched",status="404"`))
		Expect(m).NotTo(ContainSubstring("/no/such/path"))
	})

	It("leads from / to the documentation page, or to the home page it is given", func() {
		client := &nethttp.Client{CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }}
		e.client = client
		r := e.get("/")
		Expect(r.StatusCode).To(Equal(302))
		Expect(r.Header.Get("Location")).To(Equal("/docs"))

		// A server given a home page (the binary's web UI) leads there.
		ui := newEnv(envOptions{home: "/ui/"})
		ui.client = client
		r = ui.get("/")
		Expect(r.StatusCode).To(Equal(302))
		Expect(r.Header.Get("Location")).To(Equal("/ui/"))
	})

	It("serves the OpenAPI document and an offline documentation page", func() {
		r := e.get("/openapi.json")
		Expect(r.StatusCode).To(Equal(200))
		Expect(r.body).To(Equal(openAPIBytes()))
		d := e.get("/docs")
		Expect(d.StatusCode).To(Equal(200))
		Expect(d.Header.Get("Content-Type")).To(HavePrefix("text/html"))
		Expect(d.Header.Get("Content-Security-Policy")).To(ContainSubstring("default-src 'none'"))
		for _, asset := range []string{"/docs/docs.js", "/docs/docs.css"} {
			a := e.get(asset)
			Expect(a.StatusCode).To(Equal(200))
			d.body = append(d.body, a.body...)
		}
		// Nothing is loaded from another origin.
		Expect(regexp.MustCompile(`(src|href)=["']?(https?:)?//`).Match(d.body)).To(BeFalse())
		Expect(bytes.Contains(d.body, []byte("https://"))).To(BeFalse())
		Expect(string(d.body)).To(ContainSubstring(`id="problem-not_found"`))
		expectProblem(e.get("/docs/other.js", nonconforming), 404, "not_found")
	})
})

// sseMessage is one parsed Server-Sent Event.
type sseMessage struct {
	id, event string
	data      map[string]any
}

func parseSSE(b []byte) []sseMessage {
	GinkgoHelper()
	var out []sseMessage
	for _, block := range strings.Split(string(b), "\n\n") {
		var m sseMessage
		var data string
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "id: "):
				m.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				m.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			}
		}
		if m.id == "" {
			continue
		}
		Expect(jsonUnmarshal([]byte(data), &m.data)).To(Succeed())
		out = append(out, m)
	}
	return out
}
