package e2e_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("ade serve on SQLite + file:// (default storage)", Ordered, ContinueOnFailure, func() {
	describeAPI(sqliteFiles())
})

var _ = Describe("ade serve on PostgreSQL + S3", Ordered, ContinueOnFailure, func() {
	describeAPI(postgresS3())
})

// ulidPattern matches a ULID as the API renders it.
var ulidPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

// timePattern matches the API's RFC 3339 UTC times.
var timePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)

const rosterCSV = "Given Name,Surname,E-mail\nAvery,Smith,avery@example.com\nQuinn,Lee,quinn@example.com\n"

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// expectProblem asserts an application/problem+json error with the given
// status and code, whose request_id is the X-Request-ID header.
func expectProblem(r *reply, status int, code string) map[string]any {
	GinkgoHelper()
	Expect(r.Status).To(Equal(status), "%s: body %s", r.what, r.Body)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	Expect(err).NotTo(HaveOccurred())
	Expect(mt).To(Equal("application/problem+json"), r.what)
	p := r.JSON()
	Expect(p).To(HaveKeyWithValue("status", BeNumerically("==", status)))
	Expect(p).To(HaveKeyWithValue("code", code))
	Expect(p).To(HaveKeyWithValue("type", BeAssignableToTypeOf("")))
	Expect(p).To(HaveKeyWithValue("title", Not(BeEmpty())))
	Expect(p).To(HaveKey("detail"))
	Expect(p).To(HaveKeyWithValue("request_id", r.Header.Get("X-Request-ID")))
	return p
}

// fieldsOf returns the field names of a problem's errors[].
func fieldsOf(p map[string]any) []string {
	GinkgoHelper()
	errs, ok := p["errors"].([]any)
	Expect(ok).To(BeTrue(), "problem has no errors[]: %v", p)
	var out []string
	for _, e := range errs {
		m := e.(map[string]any)
		Expect(m).To(HaveKeyWithValue("message", Not(BeEmpty())))
		out = append(out, m["field"].(string))
	}
	return out
}

func idsOf(items []map[string]any, key string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it[key].(string)
	}
	return out
}

func typesOf(events []map[string]any) []string { return idsOf(events, "event_type") }

// describeAPI registers the API specs against servers on backend b. The
// container shares one server; every spec works in a workspace of its own.
func describeAPI(b *backend) {
	var (
		srv *adeServer
		// ws is this spec's workspace slug; wsID its id; api the base path
		// of its resources.
		ws, wsID, api string
	)

	BeforeAll(func() {
		b.prepare()
		srv = startServer(b, serverOptions{})
	})

	BeforeEach(func() {
		ws = "ws-" + randomHex(6)
		r := srv.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "Workspace " + ws}).expect(http.StatusCreated)
		wsID = r.ID("workspace_id")
		api = "/api/v1/workspaces/" + ws
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() && srv != nil {
			GinkgoWriter.Println(srv.output())
		}
	})

	// uploadRoster stores rosterCSV and returns its document.
	uploadRoster := func() map[string]any {
		GinkgoHelper()
		return srv.upload(ws, &filePart{name: "roster.csv", contentType: "text/csv", data: []byte(rosterCSV)}).expect(http.StatusCreated).JSON()
	}
	createConfig := func(docType string, payload map[string]any) map[string]any {
		GinkgoHelper()
		return srv.postJSON(api+"/configurations", map[string]any{"document_type": docType, "title": "Roster", "payload": payload}).
			expect(http.StatusCreated).JSON()
	}
	stubPayload := map[string]any{"extractor": "stub"}

	Describe("operations", func() {
		It("answers /health/live and /health/ready", func() {
			Expect(srv.get("/health/live").expect(http.StatusOK).JSON()).To(HaveKeyWithValue("status", "ok"))
			Expect(srv.get("/health/ready").expect(http.StatusOK).JSON()).To(HaveKeyWithValue("status", "ok"))
		})

		It("counts requests in /metrics", func() {
			srv.get("/health/live").expect(http.StatusOK)
			srv.get(api + "/documents").expect(http.StatusOK)
			r := srv.get("/metrics").expect(http.StatusOK)
			Expect(r.Header.Get("Content-Type")).To(HavePrefix("text/plain"))
			Expect(string(r.Body)).To(MatchRegexp(`(?m)^\w*http_requests_total\{.*route="/health/live".*\} \d+`))
			Expect(string(r.Body)).To(MatchRegexp(`(?m)^\w*http_requests_total\{.*route="/api/v1/workspaces/:ws/documents".*\} \d+`))
		})

		It("serves its OpenAPI document, the one in the repository", func() {
			r := srv.get("/openapi.json").expect(http.StatusOK)
			served := r.JSON()
			Expect(served).To(HaveKey("openapi"))
			Expect(served).To(HaveKeyWithValue("paths", HaveKey("/api/v1/workspaces/{ws}/jobs")))
			Expect(served["info"]).To(HaveKeyWithValue("title", contract.doc.Info.Title))
			Expect(served["paths"]).To(HaveLen(contract.doc.Paths.Len()), "the served document differs from adapters/httpapi/openapi.json")
		})

		It("renders /docs offline, without external scripts or styles", func() {
			r := srv.get("/docs").expect(http.StatusOK)
			Expect(r.Header.Get("Content-Type")).To(HavePrefix("text/html"))
			page := string(r.Body)
			Expect(page).To(ContainSubstring("openapi.json"))
			Expect(page).NotTo(MatchRegexp(`(?i)<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?\s*(https?:)?//`))
			Expect(page).NotTo(MatchRegexp(`(?i)@import\s+(url\()?["']?(https?:)?//`))
			// Assets the page loads are served by ade itself.
			for _, m := range regexp.MustCompile(`(?i)<(?:script|link)[^>]+(?:src|href)\s*=\s*["']([^"']+)["']`).FindAllStringSubmatch(page, -1) {
				u, err := url.Parse(m[1])
				Expect(err).NotTo(HaveOccurred())
				ref := (&url.URL{Path: "/docs"}).ResolveReference(u)
				srv.get(ref.RequestURI()).expect(http.StatusOK)
			}
		})

		It("answers unknown routes 404 as problem+json", func() {
			expectProblem(srv.get("/api/v1/nothing-here"), http.StatusNotFound, "not_found")
		})
	})

	Describe("request ids", func() {
		It("echoes X-Request-ID and generates one when absent", func() {
			r := srv.get(api+"/documents", h("X-Request-ID", "e2e-echo-1")).expect(http.StatusOK)
			Expect(r.Header.Get("X-Request-ID")).To(Equal("e2e-echo-1"))
			r1 := srv.get(api + "/documents").expect(http.StatusOK)
			r2 := srv.get(api + "/documents").expect(http.StatusOK)
			Expect(r1.Header.Get("X-Request-ID")).NotTo(BeEmpty())
			Expect(r1.Header.Get("X-Request-ID")).NotTo(Equal(r2.Header.Get("X-Request-ID")))
		})

		It("carries the request id in problem documents, echoed or generated", func() {
			p := expectProblem(srv.get(api+"/documents/"+strings.Repeat("0", 26), h("X-Request-ID", "e2e-problem-1")), http.StatusNotFound, "not_found")
			Expect(p).To(HaveKeyWithValue("request_id", "e2e-problem-1"))
			expectProblem(srv.get(api+"/jobs/"+strings.Repeat("0", 26)), http.StatusNotFound, "not_found")
		})

		It("stores the request id on the events the request caused", func() {
			rid := "e2e-" + randomHex(8)
			doc := srv.uploadWith(ws, []header{h("X-Request-ID", rid)},
				&filePart{name: "a.csv", contentType: "text/csv", data: []byte("a,b\n1,2\n")}).expect(http.StatusCreated).JSON()
			evs := srv.get(api + "/events?entity_id=" + doc["document_id"].(string)).Items()
			Expect(evs).To(HaveLen(1))
			Expect(evs[0]).To(HaveKeyWithValue("event_type", "document.uploaded"))
			Expect(evs[0]).To(HaveKeyWithValue("request_id", rid))

			cfgRid := "e2e-" + randomHex(8)
			cfg := srv.postJSON(api+"/configurations", map[string]any{"document_type": "t", "title": "T", "payload": stubPayload},
				h("X-Request-ID", cfgRid)).expect(http.StatusCreated).JSON()
			evs = srv.get(api + "/configurations/" + cfg["configuration_id"].(string) + "/events").Items()
			Expect(evs).To(ContainElement(And(HaveKeyWithValue("event_type", "configuration.created"), HaveKeyWithValue("request_id", cfgRid))))

			jobRid := "e2e-" + randomHex(8)
			job := srv.postJSON(api+"/jobs", map[string]any{"document_id": doc["document_id"], "configuration_id": cfg["configuration_id"]},
				h("X-Request-ID", jobRid)).expect(http.StatusCreated).JSON()
			evs = srv.get(api + "/jobs/" + job["job_id"].(string) + "/events").Items()
			Expect(evs).To(HaveLen(3))
			for _, e := range evs {
				Expect(e).To(HaveKeyWithValue("request_id", jobRid))
			}
		})
	})

	Describe("workspaces", func() {
		It("creates and lists workspaces; {ws} takes the id or the slug", func() {
			items := srv.get("/api/v1/workspaces?limit=200").Items()
			Expect(idsOf(items, "slug")).To(ContainElement(ws))
			for _, it := range items {
				Expect(it["workspace_id"]).To(MatchRegexp(ulidPattern.String()))
				Expect(it["created_at"]).To(MatchRegexp(timePattern.String()))
			}
			Expect(srv.get("/api/v1/workspaces/" + wsID + "/documents").Items()).To(BeEmpty())
			Expect(srv.get("/api/v1/workspaces/" + ws + "/documents").Items()).To(BeEmpty())
		})

		It("answers 404 for an unknown workspace", func() {
			expectProblem(srv.get("/api/v1/workspaces/no-such-ws/documents"), http.StatusNotFound, "not_found")
			expectProblem(srv.get("/api/v1/workspaces/"+strings.Repeat("7", 26)+"/jobs"), http.StatusNotFound, "not_found")
		})

		It("refuses a taken slug with 409", func() {
			expectProblem(srv.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "again"}), http.StatusConflict, "conflict")
		})

		It("refuses invalid bodies with 400 naming the field", func() {
			p := expectProblem(srv.postJSON("/api/v1/workspaces", map[string]any{"slug": "Not A Slug!", "name": "x"}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("slug"))
			p = expectProblem(srv.postJSON("/api/v1/workspaces", map[string]any{"slug": "ok-slug-" + randomHex(3)}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("name"))
		})

		It("refuses unknown JSON fields, malformed JSON and trailing data with 400", func() {
			p := expectProblem(srv.postJSON("/api/v1/workspaces", map[string]any{"slug": "s-" + randomHex(3), "name": "n", "colour": "red"}),
				http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("colour"))
			expectProblem(srv.postJSON("/api/v1/workspaces", `{"slug":`), http.StatusBadRequest, "invalid_request")
			expectProblem(srv.postJSON("/api/v1/workspaces", `{"slug":"a","name":"b"} {}`), http.StatusBadRequest, "invalid_request")
			expectProblem(srv.postJSON("/api/v1/workspaces", `[]`), http.StatusBadRequest, "invalid_request")
			expectProblem(srv.postJSON("/api/v1/workspaces", ``), http.StatusBadRequest, "invalid_request")
		})

		It("refuses a body that is not JSON with 415", func() {
			expectProblem(srv.do(http.MethodPost, "/api/v1/workspaces", strings.NewReader(`{"slug":"x","name":"y"}`), h("Content-Type", "text/plain")),
				http.StatusUnsupportedMediaType, "unsupported_media_type")
			expectProblem(srv.do(http.MethodPost, "/api/v1/workspaces", strings.NewReader(`{"slug":"x","name":"y"}`)),
				http.StatusUnsupportedMediaType, "unsupported_media_type")
		})

		It("refuses a JSON body over 1 MiB with 413", func() {
			big := `{"slug":"big","name":"` + strings.Repeat("a", 1<<20) + `"}`
			// An ordinary client that writes the whole body before reading:
			// the server must drain (linger) rather than reset the connection.
			p := expectProblem(srv.postJSON("/api/v1/workspaces", big), http.StatusRequestEntityTooLarge, "document_too_large")
			Expect(p).To(HaveKeyWithValue("limit_bytes", BeNumerically("==", 1<<20)))
			Expect(idsOf(srv.get("/api/v1/workspaces?limit=200").Items(), "slug")).NotTo(ContainElement("big"))
		})
	})

	Describe("lists", func() {
		DescribeTable("refuse a bad limit or offset with 400 naming it",
			func(path, query, field string) {
				p := expectProblem(srv.get(strings.ReplaceAll(path, "{api}", api)+"?"+query), http.StatusBadRequest, "invalid_request")
				Expect(fieldsOf(p)).To(ContainElement(field))
			},
			func(path, query, field string) string { return path + "?" + query },
			Entry(nil, "/api/v1/workspaces", "limit=0", "limit"),
			Entry(nil, "{api}/documents", "limit=201", "limit"),
			Entry(nil, "{api}/configurations", "limit=-1", "limit"),
			Entry(nil, "{api}/jobs", "limit=abc", "limit"),
			Entry(nil, "{api}/events", "limit=0", "limit"),
			Entry(nil, "{api}/documents", "offset=-1", "offset"),
			Entry(nil, "{api}/events", "offset=abc", "offset"),
		)

		It("pages newest first with limit, offset and has_more", func() {
			var ids []string
			for i := range 3 {
				d := srv.upload(ws, &filePart{name: fmt.Sprintf("p%d.txt", i), contentType: "text/plain", data: []byte(fmt.Sprintf("page %d\n", i))}).
					expect(http.StatusCreated)
				ids = append(ids, d.ID("document_id"))
			}
			r := srv.get(api + "/documents?limit=2")
			Expect(idsOf(r.Items(), "document_id")).To(Equal([]string{ids[2], ids[1]}))
			Expect(r.JSON()).To(And(HaveKeyWithValue("has_more", true), HaveKeyWithValue("limit", BeNumerically("==", 2)), HaveKeyWithValue("offset", BeNumerically("==", 0))))
			r = srv.get(api + "/documents?limit=2&offset=2")
			Expect(idsOf(r.Items(), "document_id")).To(Equal([]string{ids[0]}))
			Expect(r.JSON()).To(And(HaveKeyWithValue("has_more", false), HaveKeyWithValue("offset", BeNumerically("==", 2))))
			Expect(srv.get(api + "/documents").JSON()).To(HaveKeyWithValue("limit", BeNumerically("==", 50)))
		})
	})

	Describe("documents", func() {
		It("uploads with metadata and expiry, then gets, lists and downloads the document", func() {
			expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
			r := srv.upload(ws, &filePart{name: "roster.csv", contentType: "text/csv", data: []byte(rosterCSV)},
				[2]string{"metadata", `{"source":"crm","n":2}`}, [2]string{"expires_at", expires.Format(time.RFC3339)}).expect(http.StatusCreated)
			doc := r.JSON()
			id := doc["document_id"].(string)
			Expect(id).To(MatchRegexp(ulidPattern.String()))
			Expect(doc).To(HaveKeyWithValue("workspace_id", wsID))
			Expect(doc).To(HaveKeyWithValue("original_filename", "roster.csv"))
			Expect(doc).To(HaveKeyWithValue("content_type", "text/csv"))
			Expect(doc).To(HaveKeyWithValue("byte_size", BeNumerically("==", len(rosterCSV))))
			Expect(doc).To(HaveKeyWithValue("sha256", sha256Hex([]byte(rosterCSV))))
			Expect(doc).To(HaveKeyWithValue("metadata", Equal(map[string]any{"source": "crm", "n": 2.0})))
			Expect(doc["created_at"]).To(MatchRegexp(timePattern.String()))
			Expect(doc["expires_at"]).To(MatchRegexp(timePattern.String()))
			exp, err := time.Parse(time.RFC3339Nano, doc["expires_at"].(string))
			Expect(err).NotTo(HaveOccurred())
			Expect(exp).To(BeTemporally("==", expires))
			Expect(doc).NotTo(HaveKey("deleted_at"))

			Expect(srv.get(api + "/documents/" + id).expect(http.StatusOK).JSON()).To(Equal(doc))
			Expect(srv.get("/api/v1/workspaces/" + wsID + "/documents/" + id).expect(http.StatusOK).JSON()).To(Equal(doc))
			Expect(srv.get(api + "/documents").Items()).To(Equal([]map[string]any{doc}))

			dl := srv.get(api + "/documents/" + id + "/download").expect(http.StatusOK)
			Expect(string(dl.Body)).To(Equal(rosterCSV))
			Expect(dl.Header.Get("Content-Type")).To(Equal("text/csv"))
			Expect(dl.Header.Get("ETag")).To(Equal(`"` + sha256Hex([]byte(rosterCSV)) + `"`))
			disp, params, err := mime.ParseMediaType(dl.Header.Get("Content-Disposition"))
			Expect(err).NotTo(HaveOccurred())
			Expect(disp).To(Equal("attachment"))
			Expect(params).To(HaveKeyWithValue("filename", "roster.csv"))

			evs := srv.get(api + "/documents/" + id + "/events").Items()
			Expect(typesOf(evs)).To(ConsistOf("document.uploaded", "document.downloaded"))
			for _, e := range evs {
				Expect(e).To(HaveKeyWithValue("entity_type", "document"))
				Expect(e).To(HaveKeyWithValue("entity_id", id))
				Expect(e["event_id"]).To(MatchRegexp(ulidPattern.String()))
				Expect(e["occurred_at"]).To(MatchRegexp(timePattern.String()))
			}
		})

		It("defaults the expiry and sniffs the type when the client declares none", func() {
			pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n")
			doc := srv.upload(ws, &filePart{name: "scan.pdf", contentType: "application/octet-stream", data: pdf}).expect(http.StatusCreated).JSON()
			Expect(doc).To(HaveKeyWithValue("content_type", "application/pdf"))
			exp, err := time.Parse(time.RFC3339Nano, doc["expires_at"].(string))
			Expect(err).NotTo(HaveOccurred())
			Expect(exp).To(BeTemporally("~", time.Now().Add(30*24*time.Hour), time.Hour))
			Expect(doc).To(HaveKeyWithValue("metadata", BeEmpty()))
		})

		It("answers a single Range with 206 and If-None-Match with 304", func() {
			id := uploadRoster()["document_id"].(string)
			dl := api + "/documents/" + id + "/download"
			r := srv.get(dl, h("Range", "bytes=6-9")).expect(http.StatusPartialContent)
			Expect(string(r.Body)).To(Equal(rosterCSV[6:10]))
			Expect(r.Header.Get("Content-Range")).To(Equal(fmt.Sprintf("bytes 6-9/%d", len(rosterCSV))))
			r = srv.get(dl, h("Range", "bytes=-5")).expect(http.StatusPartialContent)
			Expect(string(r.Body)).To(Equal(rosterCSV[len(rosterCSV)-5:]))
			r = srv.get(dl, h("Range", fmt.Sprintf("bytes=%d-", len(rosterCSV)+10)))
			Expect(r.Status).To(Equal(http.StatusRequestedRangeNotSatisfiable), string(r.Body))

			etag := `"` + sha256Hex([]byte(rosterCSV)) + `"`
			r = srv.get(dl, h("If-None-Match", etag)).expect(http.StatusNotModified)
			Expect(r.Body).To(BeEmpty())
			Expect(r.Header.Get("ETag")).To(Equal(etag))
			srv.get(dl, h("If-None-Match", `"something-else"`)).expect(http.StatusOK)
		})

		It("names non-ASCII files with filename* (RFC 6266)", func() {
			name := "Résumé 2026 – été.csv"
			id := srv.upload(ws, &filePart{name: name, contentType: "text/csv", data: []byte("a\n1\n")}).expect(http.StatusCreated).ID("document_id")
			Expect(srv.get(api + "/documents/" + id).JSON()).To(HaveKeyWithValue("original_filename", name))
			r := srv.get(api + "/documents/" + id + "/download").expect(http.StatusOK)
			cd := r.Header.Get("Content-Disposition")
			Expect(cd).To(ContainSubstring("filename*=UTF-8''"))
			for _, c := range cd {
				Expect(c).To(BeNumerically("<", 0x80), "the header itself must be ASCII: %q", cd)
			}
			_, params, err := mime.ParseMediaType(cd)
			Expect(err).NotTo(HaveOccurred())
			Expect(params).To(HaveKeyWithValue("filename", name))
		})

		It("stores ../../etc/passwd as passwd and writes nothing outside the data directory", func() {
			r := srv.upload(ws, &filePart{name: "../../etc/passwd", contentType: "text/plain", data: []byte("root:x:0:0\n")}).expect(http.StatusCreated)
			Expect(r.JSON()).To(HaveKeyWithValue("original_filename", "passwd"))
			_, params, err := mime.ParseMediaType(srv.get(api + "/documents/" + r.ID("document_id") + "/download").expect(http.StatusOK).Header.Get("Content-Disposition"))
			Expect(err).NotTo(HaveOccurred())
			Expect(params).To(HaveKeyWithValue("filename", "passwd"))
			for _, f := range filesUnder(srv.parentDir) {
				Expect(f).To(HavePrefix(srv.dataDir+string(filepath.Separator)), "written outside ADE_DATA_DIR")
			}
			r = srv.upload(ws, &filePart{name: `..\..\windows\win.ini`, contentType: "text/plain", data: []byte("x\n")}).expect(http.StatusCreated)
			Expect(r.JSON()["original_filename"]).NotTo(ContainSubstring(".."))
		})

		It("soft-deletes with a reason; afterwards get, download and delete answer 404", func() {
			keep := uploadRoster()["document_id"].(string)
			id := uploadRoster()["document_id"].(string)
			stored := len(srv.blobKeys())
			srv.do(http.MethodDelete, api+"/documents/"+id, strings.NewReader(`{"reason":"uploaded twice"}`), h("Content-Type", "application/json")).
				expect(http.StatusNoContent)
			Expect(srv.blobKeys()).To(HaveLen(stored-1), "the deleted document's bytes must be removed")
			expectProblem(srv.get(api+"/documents/"+id), http.StatusNotFound, "not_found")
			expectProblem(srv.get(api+"/documents/"+id+"/download"), http.StatusNotFound, "not_found")
			expectProblem(srv.do(http.MethodDelete, api+"/documents/"+id, nil), http.StatusNotFound, "not_found")
			Expect(idsOf(srv.get(api+"/documents").Items(), "document_id")).To(Equal([]string{keep}))
			evs := srv.get(api + "/events?entity_type=document&entity_id=" + id + "&event_type=document.deleted").Items()
			Expect(evs).To(HaveLen(1))
			Expect(evs[0]["payload"]).To(HaveKeyWithValue("reason", "uploaded twice"))

			// Without a body too.
			srv.do(http.MethodDelete, api+"/documents/"+keep, nil).expect(http.StatusNoContent)
			Expect(srv.get(api + "/documents").Items()).To(BeEmpty())
		})

		It("refuses a delete reason over 1024 characters with 400", func() {
			id := uploadRoster()["document_id"].(string)
			body, _ := json.Marshal(map[string]string{"reason": strings.Repeat("é", 1025)})
			p := expectProblem(srv.do(http.MethodDelete, api+"/documents/"+id, bytes.NewReader(body), h("Content-Type", "application/json")),
				http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("reason"))
			srv.get(api + "/documents/" + id).expect(http.StatusOK)
		})

		It("refuses a body that is not multipart with 415", func() {
			expectProblem(srv.postJSON(api+"/documents", map[string]any{"file": "x"}), http.StatusUnsupportedMediaType, "unsupported_media_type")
			expectProblem(srv.do(http.MethodPost, api+"/documents", strings.NewReader("raw")), http.StatusUnsupportedMediaType, "unsupported_media_type")
			Expect(srv.get(api + "/documents").Items()).To(BeEmpty())
		})

		It("refuses a missing file, bad metadata or a bad expiry with 400 naming the fields", func() {
			p := expectProblem(srv.upload(ws, nil, [2]string{"metadata", `{"a":1}`}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("file"))
			file := &filePart{name: "a.csv", contentType: "text/csv", data: []byte("a\n")}
			p = expectProblem(srv.upload(ws, file, [2]string{"metadata", `[1,2]`}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("metadata"))
			p = expectProblem(srv.upload(ws, file, [2]string{"metadata", `not json`}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("metadata"))
			p = expectProblem(srv.upload(ws, file, [2]string{"expires_at", "tomorrow"}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("expires_at"))
			p = expectProblem(srv.upload(ws, file, [2]string{"expires_at", "2001-01-01T00:00:00Z"}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("expires_at"))
			Expect(srv.get(api + "/documents").Items()).To(BeEmpty())
			Expect(srv.get(api + "/events?entity_type=document").Items()).To(BeEmpty())
		})

		DescribeTable("answers 404 for malformed and unknown ids",
			func(method, sub string) {
				for _, id := range []string{"not-an-id", "01ARZ3NDEKTSV4RRFFQ69G5FA", strings.Repeat("Z", 27), "01ARZ3NDEKTSV4RRFFQ69G5FAV", "%2e%2e"} {
					expectProblem(srv.do(method, api+"/documents/"+id+sub, nil), http.StatusNotFound, "not_found")
				}
			},
			Entry("get", http.MethodGet, ""),
			Entry("download", http.MethodGet, "/download"),
			Entry("events", http.MethodGet, "/events"),
			Entry("delete", http.MethodDelete, ""),
		)

		It("does not show one workspace's documents in another", func() {
			id := uploadRoster()["document_id"].(string)
			other := "ws-" + randomHex(6)
			srv.postJSON("/api/v1/workspaces", map[string]any{"slug": other, "name": "Other"}).expect(http.StatusCreated)
			expectProblem(srv.get("/api/v1/workspaces/"+other+"/documents/"+id), http.StatusNotFound, "not_found")
			expectProblem(srv.get("/api/v1/workspaces/"+other+"/documents/"+id+"/download"), http.StatusNotFound, "not_found")
			Expect(srv.get("/api/v1/workspaces/" + other + "/documents").Items()).To(BeEmpty())
		})
	})

	Describe("upload limit", func() {
		It("answers one byte over ADE_MAX_UPLOAD_BYTES with 413 and keeps nothing", func() {
			const limit = 4096
			small := startServer(b, serverOptions{env: map[string]string{"ADE_MAX_UPLOAD_BYTES": fmt.Sprint(limit)}})
			DeferCleanup(func() {
				if CurrentSpecReport().Failed() {
					GinkgoWriter.Println(small.output())
				}
			})
			lws := "limit-" + randomHex(4)
			small.postJSON("/api/v1/workspaces", map[string]any{"slug": lws, "name": "Limit"}).expect(http.StatusCreated)
			lapi := "/api/v1/workspaces/" + lws

			over := bytes.Repeat([]byte("x"), limit+1)
			p := expectProblem(small.upload(lws, &filePart{name: "big.csv", contentType: "text/csv", data: over}),
				http.StatusRequestEntityTooLarge, "document_too_large")
			Expect(p).To(HaveKeyWithValue("limit_bytes", BeNumerically("==", limit)))

			// The same without Content-Length (chunked): the server counts.
			body, ct := multipartBody(&filePart{name: "big.csv", contentType: "text/csv", data: over})
			req, err := http.NewRequest(http.MethodPost, small.base+lapi+"/documents", io.MultiReader(bytes.NewReader(body)))
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Content-Type", ct)
			req.ContentLength = -1
			expectProblem(small.send(req), http.StatusRequestEntityTooLarge, "document_too_large")

			// Far over the limit (beyond what the server drains before it
			// closes), declared and chunked: read the answer while sending.
			body, ct = multipartBody(&filePart{name: "huge.bin", contentType: "application/octet-stream", data: bytes.Repeat([]byte("z"), 3<<20)})
			for _, length := range []int64{int64(len(body)), -1} {
				req, err = http.NewRequest(http.MethodPost, small.base+lapi+"/documents", io.MultiReader(bytes.NewReader(body)))
				Expect(err).NotTo(HaveOccurred())
				req.Header.Set("Content-Type", ct)
				req.ContentLength = length
				p = expectProblem(small.sendEager(req), http.StatusRequestEntityTooLarge, "document_too_large")
				Expect(p).To(HaveKeyWithValue("limit_bytes", BeNumerically("==", limit)))
			}

			Expect(small.get(lapi + "/documents").Items()).To(BeEmpty())
			Expect(small.get(lapi + "/events").Items()).To(BeEmpty())
			Expect(small.blobKeys()).To(BeEmpty(), "the refused upload left stored bytes")

			exact := bytes.Repeat([]byte("y"), limit)
			doc := small.upload(lws, &filePart{name: "exact.csv", contentType: "text/csv", data: exact}).expect(http.StatusCreated).JSON()
			Expect(doc).To(HaveKeyWithValue("byte_size", BeNumerically("==", limit)))
			Expect(small.blobKeys()).To(HaveLen(1))
		})
	})

	Describe("configurations", func() {
		It("creates versions, filters, activates one at a time and records events", func() {
			v1 := createConfig("member_roster", stubPayload)
			Expect(v1).To(HaveKeyWithValue("version", BeNumerically("==", 1)))
			Expect(v1).To(HaveKeyWithValue("is_active", false))
			Expect(v1).To(HaveKeyWithValue("activated_at", BeNil()))
			Expect(v1).To(HaveKeyWithValue("payload", Equal(stubPayload)))
			Expect(v1).To(HaveKeyWithValue("workspace_id", wsID))
			Expect(v1).To(HaveKeyWithValue("document_type", "member_roster"))
			v2 := createConfig("member_roster", stubPayload)
			Expect(v2).To(HaveKeyWithValue("version", BeNumerically("==", 2)))
			other := createConfig("invoice", stubPayload)
			Expect(other).To(HaveKeyWithValue("version", BeNumerically("==", 1)))
			id1, id2 := v1["configuration_id"].(string), v2["configuration_id"].(string)

			Expect(srv.get(api + "/configurations/" + id1).expect(http.StatusOK).JSON()).To(Equal(v1))
			Expect(idsOf(srv.get(api+"/configurations").Items(), "configuration_id")).To(Equal([]string{other["configuration_id"].(string), id2, id1}))
			Expect(idsOf(srv.get(api+"/configurations?document_type=member_roster").Items(), "configuration_id")).To(Equal([]string{id2, id1}))
			Expect(srv.get(api + "/configurations?is_active=true").Items()).To(BeEmpty())

			a1 := srv.postJSON(api+"/configurations/"+id1+"/activate", nil).expect(http.StatusOK).JSON()
			Expect(a1).To(HaveKeyWithValue("is_active", true))
			Expect(a1["activated_at"]).To(MatchRegexp(timePattern.String()))
			srv.do(http.MethodPost, api+"/configurations/"+id2+"/activate", nil).expect(http.StatusOK)
			Expect(srv.get(api + "/configurations/" + id1).JSON()).To(HaveKeyWithValue("is_active", false))
			Expect(idsOf(srv.get(api+"/configurations?is_active=true").Items(), "configuration_id")).To(Equal([]string{id2}))
			Expect(idsOf(srv.get(api+"/configurations?is_active=false&document_type=member_roster").Items(), "configuration_id")).To(Equal([]string{id1}))

			Expect(typesOf(srv.get(api + "/configurations/" + id1 + "/events").Items())).To(ConsistOf("configuration.created", "configuration.activated"))
			Expect(typesOf(srv.get(api + "/configurations/" + id2 + "/events").Items())).To(ConsistOf("configuration.created", "configuration.activated"))
			Expect(srv.get(api + "/events?event_type=configuration.activated").Items()).To(HaveLen(2))
		})

		It("refuses an invalid payload with 422 naming the field", func() {
			p := expectProblem(srv.postJSON(api+"/configurations", map[string]any{"document_type": "t", "title": "T", "payload": map[string]any{"extractor": "stub", "colour": 1}}),
				http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement(ContainSubstring("colour")))
			p = expectProblem(srv.postJSON(api+"/configurations", map[string]any{"document_type": "t", "title": "T", "payload": map[string]any{"extractor": "no-such-extractor"}}),
				http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement(ContainSubstring("extractor")))
			Expect(srv.get(api + "/configurations").Items()).To(BeEmpty())
		})

		It("refuses missing fields, unknown fields and a bad is_active filter with 400", func() {
			p := expectProblem(srv.postJSON(api+"/configurations", map[string]any{"title": "T", "payload": stubPayload}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("document_type"))
			p = expectProblem(srv.postJSON(api+"/configurations", map[string]any{"document_type": "t", "title": "T", "payload": stubPayload, "active": true}),
				http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("active"))
			p = expectProblem(srv.get(api+"/configurations?is_active=maybe"), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("is_active"))
			expectProblem(srv.do(http.MethodPost, api+"/configurations", strings.NewReader("document_type=t"), h("Content-Type", "application/x-www-form-urlencoded")),
				http.StatusUnsupportedMediaType, "unsupported_media_type")
		})

		DescribeTable("answers 404 for malformed and unknown ids",
			func(method, sub string) {
				for _, id := range []string{"nope", strings.Repeat("0", 26), "01ARZ3NDEKTSV4RRFFQ69G5FA"} {
					expectProblem(srv.do(method, api+"/configurations/"+id+sub, nil), http.StatusNotFound, "not_found")
				}
			},
			Entry("get", http.MethodGet, ""),
			Entry("activate", http.MethodPost, "/activate"),
			Entry("events", http.MethodGet, "/events"),
		)
	})

	Describe("jobs", func() {
		var docID, cfgID string
		BeforeEach(func() {
			docID = uploadRoster()["document_id"].(string)
			cfgID = createConfig("member_roster", stubPayload)["configuration_id"].(string)
		})

		It("runs a job by configuration_id and serves it, its results and its events", func() {
			r := srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID}).expect(http.StatusCreated)
			job := r.JSON()
			id := job["job_id"].(string)
			Expect(id).To(MatchRegexp(ulidPattern.String()))
			Expect(job).To(HaveKeyWithValue("status", "succeeded"))
			Expect(job).To(HaveKeyWithValue("workspace_id", wsID))
			Expect(job).To(HaveKeyWithValue("document_type", "member_roster"))
			Expect(job).To(HaveKeyWithValue("configuration_id", cfgID))
			Expect(job).To(HaveKeyWithValue("configuration_version", BeNumerically("==", 1)))
			Expect(job).To(HaveKeyWithValue("input_document_id", docID))
			Expect(job["started_at"]).To(MatchRegexp(timePattern.String()))
			Expect(job["finished_at"]).To(MatchRegexp(timePattern.String()))
			Expect(job).To(HaveKeyWithValue("attempts", BeNumerically(">=", 1)))
			Expect(job["metrics"]).To(And(HaveKey("duration_ms"), HaveKeyWithValue("tables_detected", BeNumerically("==", 1)), HaveKeyWithValue("rows_extracted", BeNumerically("==", 3))))
			Expect(job).To(HaveKeyWithValue("output_document_ids", BeEmpty()))
			Expect(job).To(HaveKey("logs"))
			Expect(job).NotTo(HaveKey("error"))

			Expect(srv.get(api + "/jobs/" + id).expect(http.StatusOK).JSON()).To(Equal(job))

			res := srv.get(api + "/jobs/" + id + "/results").expect(http.StatusOK).JSON()
			Expect(res).To(HaveKeyWithValue("job_id", id))
			Expect(res).To(HaveKeyWithValue("output_documents", BeEmpty()))
			Expect(res["tables"]).To(HaveLen(1))
			table := res["tables"].([]any)[0].(map[string]any)
			Expect(table).To(And(HaveKeyWithValue("job_id", id), HaveKeyWithValue("document_id", docID),
				HaveKeyWithValue("sequence_index", BeNumerically("==", 0)), HaveKeyWithValue("row_count", BeNumerically("==", 3)),
				HaveKeyWithValue("columns", Equal([]any{"field", "value"}))))
			Expect(table["sample_rows"]).To(ContainElement(Equal(map[string]any{"field": "job_id", "value": id})))

			evs := srv.get(api + "/jobs/" + id + "/events").Items()
			Expect(typesOf(evs)).To(ConsistOf("job.created", "job.status.running", "job.status.succeeded"))
			Expect(srv.get(api + "/events?entity_type=job&entity_id=" + id).Items()).To(HaveLen(3))
			Expect(srv.get(api + "/events?event_type=job.created").Items()).To(HaveLen(1))
			Expect(srv.get(api + "/events?entity_type=job&event_type=job.status.succeeded&entity_id=" + id).Items()).To(HaveLen(1))
		})

		It("runs a job by document_type with the active configuration", func() {
			p := expectProblem(srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "document_type": "member_roster"}), http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement("document_type"))
			v2 := createConfig("member_roster", stubPayload)["configuration_id"].(string)
			srv.postJSON(api+"/configurations/"+v2+"/activate", nil).expect(http.StatusOK)
			job := srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "document_type": "member_roster"}).expect(http.StatusCreated).JSON()
			Expect(job).To(HaveKeyWithValue("status", "succeeded"))
			Expect(job).To(HaveKeyWithValue("configuration_id", v2))
			Expect(job).To(HaveKeyWithValue("configuration_version", BeNumerically("==", 2)))
		})

		It("records a failing extraction as a failed job with its error", func() {
			bad := createConfig("member_roster", map[string]any{"extractor": "stub", "fail": "the sheet is empty"})["configuration_id"].(string)
			job := srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": bad}).expect(http.StatusCreated).JSON()
			Expect(job).To(HaveKeyWithValue("status", "failed"))
			Expect(job["error"]).To(And(HaveKeyWithValue("code", Not(BeEmpty())), HaveKeyWithValue("message", ContainSubstring("the sheet is empty"))))
			Expect(typesOf(srv.get(api + "/jobs/" + job["job_id"].(string) + "/events").Items())).To(ConsistOf("job.created", "job.status.running", "job.status.failed"))
			res := srv.get(api + "/jobs/" + job["job_id"].(string) + "/results").expect(http.StatusOK).JSON()
			Expect(res["tables"]).To(BeEmpty())
		})

		It("lists jobs with the status, document_id and configuration_id filters", func() {
			ok := srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID}).expect(http.StatusCreated).ID("job_id")
			bad := createConfig("member_roster", map[string]any{"extractor": "stub", "fail": "no"})["configuration_id"].(string)
			doc2 := uploadRoster()["document_id"].(string)
			failed := srv.postJSON(api+"/jobs", map[string]any{"document_id": doc2, "configuration_id": bad}).expect(http.StatusCreated).ID("job_id")

			Expect(idsOf(srv.get(api+"/jobs").Items(), "job_id")).To(Equal([]string{failed, ok}))
			Expect(idsOf(srv.get(api+"/jobs?status=succeeded").Items(), "job_id")).To(Equal([]string{ok}))
			Expect(idsOf(srv.get(api+"/jobs?status=failed").Items(), "job_id")).To(Equal([]string{failed}))
			Expect(srv.get(api + "/jobs?status=cancelled").Items()).To(BeEmpty())
			Expect(idsOf(srv.get(api+"/jobs?document_id="+doc2).Items(), "job_id")).To(Equal([]string{failed}))
			Expect(idsOf(srv.get(api+"/jobs?configuration_id="+cfgID).Items(), "job_id")).To(Equal([]string{ok}))
			Expect(srv.get(api + "/jobs?configuration_id=" + cfgID + "&status=failed").Items()).To(BeEmpty())
			p := expectProblem(srv.get(api+"/jobs?status=done"), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("status"))
		})

		It("refuses to cancel a terminal job with 409", func() {
			id := srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID}).expect(http.StatusCreated).ID("job_id")
			expectProblem(srv.postJSON(api+"/jobs/"+id+"/cancel", nil), http.StatusConflict, "conflict")
			Expect(srv.get(api + "/jobs/" + id).JSON()).To(HaveKeyWithValue("status", "succeeded"))
			Expect(srv.get(api + "/events?event_type=job.status.cancelled").Items()).To(BeEmpty())
		})

		It("refuses references that do not resolve with 422 naming the field", func() {
			unknown := strings.Repeat("0", 26)
			p := expectProblem(srv.postJSON(api+"/jobs", map[string]any{"document_id": unknown, "configuration_id": cfgID}), http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement("document_id"))
			p = expectProblem(srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": unknown}), http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement("configuration_id"))
			p = expectProblem(srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "document_type": "never_configured"}), http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement("document_type"))

			deleted := uploadRoster()["document_id"].(string)
			srv.do(http.MethodDelete, api+"/documents/"+deleted, nil).expect(http.StatusNoContent)
			p = expectProblem(srv.postJSON(api+"/jobs", map[string]any{"document_id": deleted, "configuration_id": cfgID}), http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElement("document_id"))

			// A configuration of another workspace does not resolve either.
			other := "ws-" + randomHex(6)
			srv.postJSON("/api/v1/workspaces", map[string]any{"slug": other, "name": "Other"}).expect(http.StatusCreated)
			p = expectProblem(srv.postJSON("/api/v1/workspaces/"+other+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID}),
				http.StatusUnprocessableEntity, "unprocessable")
			Expect(fieldsOf(p)).To(ContainElements("document_id", "configuration_id"))
			Expect(srv.get(api + "/jobs").Items()).To(BeEmpty())
		})

		It("refuses malformed submissions with 400 and 415", func() {
			p := expectProblem(srv.postJSON(api+"/jobs", map[string]any{"configuration_id": cfgID}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("document_id"))
			p = expectProblem(srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID, "priority": 1}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("priority"))
			p = expectProblem(srv.postJSON(api+"/jobs", map[string]any{"document_id": 42, "configuration_id": cfgID}), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("document_id"))
			expectProblem(srv.do(http.MethodPost, api+"/jobs", strings.NewReader(`{}`), h("Content-Type", "text/xml")), http.StatusUnsupportedMediaType, "unsupported_media_type")
			Expect(srv.get(api + "/jobs").Items()).To(BeEmpty())
		})

		DescribeTable("answers 404 for malformed and unknown ids",
			func(method, sub string) {
				for _, id := range []string{"nope", strings.Repeat("0", 26), "01ARZ3NDEKTSV4RRFFQ69G5FAVX"} {
					expectProblem(srv.do(method, api+"/jobs/"+id+sub, nil), http.StatusNotFound, "not_found")
				}
			},
			Entry("get", http.MethodGet, ""),
			Entry("results", http.MethodGet, "/results"),
			Entry("cancel", http.MethodPost, "/cancel"),
			Entry("events", http.MethodGet, "/events"),
			Entry("event stream", http.MethodGet, "/events?stream=true"),
		)

		It("streams a job's events as Server-Sent Events and resumes after Last-Event-ID", func() {
			id := srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID}).expect(http.StatusCreated).ID("job_id")
			r := srv.get(api+"/jobs/"+id+"/events?stream=true", h("Accept", "text/event-stream")).expect(http.StatusOK)
			Expect(r.Header.Get("Content-Type")).To(HavePrefix("text/event-stream"))
			evs := parseSSE(r.Body)
			Expect(evs).To(HaveLen(3), string(r.Body))
			Expect([]string{evs[0].event, evs[1].event, evs[2].event}).To(Equal([]string{"job.created", "job.status.running", "job.status.succeeded"}))
			for _, e := range evs {
				Expect(e.id).To(MatchRegexp(ulidPattern.String()))
				var data map[string]any
				Expect(json.Unmarshal([]byte(e.data), &data)).To(Succeed())
				Expect(data).To(HaveKeyWithValue("event_id", e.id))
				Expect(data).To(HaveKeyWithValue("entity_id", id))
			}

			r = srv.get(api+"/jobs/"+id+"/events?stream=true", h("Last-Event-ID", evs[0].id)).expect(http.StatusOK)
			resumed := parseSSE(r.Body)
			Expect(resumed).To(HaveLen(2), string(r.Body))
			Expect(resumed[0].id).To(Equal(evs[1].id))
			Expect(resumed[1].id).To(Equal(evs[2].id))
		})
	})

	Describe("events", func() {
		It("lists the workspace's events newest first with filters", func() {
			docID := uploadRoster()["document_id"].(string)
			cfgID := createConfig("member_roster", stubPayload)["configuration_id"].(string)
			srv.postJSON(api+"/jobs", map[string]any{"document_id": docID, "configuration_id": cfgID}).expect(http.StatusCreated)
			all := srv.get(api + "/events").Items()
			Expect(typesOf(all)).To(Equal([]string{"job.status.succeeded", "job.status.running", "job.created", "configuration.created", "document.uploaded"}))
			for _, e := range all {
				Expect(e).To(HaveKeyWithValue("actor_type", Not(BeEmpty())))
				// A worker runs the job: its status changes come from it,
				// on behalf of the request (same actor and request id).
				source := "api"
				if strings.HasPrefix(e["event_type"].(string), "job.status.") {
					source = "worker"
				}
				Expect(e).To(HaveKeyWithValue("source", source))
				Expect(e).To(HaveKey("actor_id"))
				Expect(e).To(HaveKey("actor_label"))
				Expect(e).To(HaveKeyWithValue("payload", BeAssignableToTypeOf(map[string]any{})))
			}
			Expect(typesOf(srv.get(api + "/events?entity_type=configuration").Items())).To(Equal([]string{"configuration.created"}))
			Expect(typesOf(srv.get(api + "/events?entity_id=" + docID).Items())).To(Equal([]string{"document.uploaded"}))
			Expect(typesOf(srv.get(api + "/events?event_type=job.status.running").Items())).To(Equal([]string{"job.status.running"}))
			Expect(srv.get(api + "/events?limit=2&offset=1").Items()).To(HaveLen(2))
			p := expectProblem(srv.get(api+"/events?entity_type=planet"), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("entity_type"))
			p = expectProblem(srv.get(api+"/events?event_type=job.exploded"), http.StatusBadRequest, "invalid_request")
			Expect(fieldsOf(p)).To(ContainElement("event_type"))
		})
	})

	Describe("under concurrent load", func() {
		describeLoad(func() *adeServer { return srv })
	})
}

// sseEvent is one Server-Sent Event.
type sseEvent struct{ id, event, data string }

// parseSSE splits a complete event stream into its events (comments and
// keep-alives skipped).
func parseSSE(b []byte) []sseEvent {
	GinkgoHelper()
	var out []sseEvent
	var cur sseEvent
	has := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if has {
				out = append(out, cur)
			}
			cur, has = sseEvent{}, false
		case strings.HasPrefix(line, ":"):
		default:
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			has = true
			switch k {
			case "id":
				cur.id = v
			case "event":
				cur.event = v
			case "data":
				if cur.data != "" {
					cur.data += "\n"
				}
				cur.data += v
			}
		}
	}
	Expect(sc.Err()).NotTo(HaveOccurred())
	if has {
		out = append(out, cur)
	}
	return out
}
