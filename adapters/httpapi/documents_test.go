package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
)

var _ = Describe("Documents", func() {
	var e *env
	BeforeEach(func() { e = newEnv(envOptions{}) })

	Describe("upload", func() {
		It("stores the file with metadata and expiry given before or after it", func() {
			exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Millisecond)
			for _, order := range [][]int{{0, 1, 2}, {1, 2, 0}} {
				parts := []part{
					{name: "file", filename: "roster.csv", contentType: "text/csv", data: []byte("a,b\n1,2\n")},
					field("metadata", `{"source":"crm","n":1}`),
					field("expires_at", exp.Format(time.RFC3339Nano)),
				}
				r := e.upload(conforming, parts[order[0]], parts[order[1]], parts[order[2]])
				Expect(r.StatusCode).To(Equal(201), string(r.body))
				d := r.json()
				Expect(d["original_filename"]).To(Equal("roster.csv"))
				Expect(d["content_type"]).To(Equal("text/csv"))
				Expect(d["byte_size"]).To(BeNumerically("==", 8))
				Expect(d["sha256"]).To(MatchRegexp("^[0-9a-f]{64}$"))
				Expect(d["metadata"]).To(Equal(map[string]any{"source": "crm", "n": 1.0}))
				Expect(d["expires_at"]).To(Equal(exp.Format("2006-01-02T15:04:05.000Z")))
				Expect(d["created_at"]).To(MatchRegexp(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`))
				Expect(d).NotTo(HaveKey("deleted_at"))
				Expect(r.Header.Get("Location")).To(Equal(e.ws("/documents/" + d["document_id"].(string))))
			}
		})

		It("sniffs the type when the client declares none and defaults the expiry", func() {
			r := e.upload(conforming, filePart("report.pdf", []byte("%PDF-1.4 hello")))
			Expect(r.StatusCode).To(Equal(201))
			Expect(r.json()["content_type"]).To(Equal("application/pdf"))
			exp, err := time.Parse(time.RFC3339, r.json()["expires_at"].(string))
			Expect(err).NotTo(HaveOccurred())
			Expect(exp).To(BeTemporally("~", time.Now().Add(app.DefaultDocumentRetention), time.Minute))
		})

		It("keeps only the last element of a path-like filename", func() {
			d := e.uploaded("../../etc/passwd", "root:x:0:0\n")
			Expect(d["original_filename"]).To(Equal("passwd"))
		})

		It("refuses a body that is not multipart with 415", func() {
			req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), strings.NewReader("a,b\n"))
			req.Header.Set("Content-Type", "text/csv")
			expectProblem(e.do(req, nonconforming), 415, "unsupported_media_type")
			req = e.newRequest(nethttp.MethodPost, e.ws("/documents"), strings.NewReader("a,b\n"))
			expectProblem(e.do(req, nonconforming), 415, "unsupported_media_type")
		})

		It("refuses multipart without a boundary with 400", func() {
			body, _ := multipartBody(filePart("a.csv", []byte("x")))
			req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), body)
			req.Header.Set("Content-Type", "multipart/form-data")
			expectProblem(e.do(req, nonconforming), 400, "invalid_request")
		})

		It("requires a file part", func() {
			p := expectProblem(e.upload(nonconforming, field("metadata", `{}`)), 400, "invalid_request")
			Expect(fieldsOf(p)).To(ConsistOf("file"))
		})

		DescribeTable("refuses invalid metadata with 400 naming it, keeping nothing",
			func(metadata string) {
				p := expectProblem(e.upload(proseOnly, field("metadata", metadata), filePart("a.csv", []byte("a\n"))), 400, "invalid_request")
				Expect(fieldsOf(p)).To(ConsistOf("metadata"))
				Expect(e.documentCount()).To(BeZero())
				e.noBlobsLeft()
			},
			Entry("not JSON", `{"a":`),
			Entry("not an object", `[1,2]`),
			Entry("a string", `"x"`),
			Entry("over 64 KiB", `{"a":"`+strings.Repeat("x", 64<<10)+`"}`),
		)

		It("refuses invalid metadata that follows the file and removes the staged bytes", func() {
			p := expectProblem(e.upload(proseOnly, filePart("a.csv", []byte("a\n")), field("metadata", "nope")), 400, "invalid_request")
			Expect(fieldsOf(p)).To(ConsistOf("metadata"))
			Expect(e.blobs.putKeys()).To(HaveLen(1))
			e.noBlobsLeft()
			Expect(e.documentCount()).To(BeZero())
		})

		DescribeTable("refuses an invalid expires_at with 400 naming it",
			func(value string) {
				p := expectProblem(e.upload(proseOnly, filePart("a.csv", []byte("a\n")), field("expires_at", value)), 400, "invalid_request")
				Expect(fieldsOf(p)).To(ConsistOf("expires_at"))
				Expect(e.documentCount()).To(BeZero())
				e.noBlobsLeft()
			},
			Entry("in the past", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)),
			Entry("unparsable", "next tuesday"),
			Entry("a date only", "2099-01-01"),
		)

		It("refuses unknown parts and a second file", func() {
			p := expectProblem(e.upload(nonconforming, filePart("a.csv", []byte("a")), field("colour", "red")), 400, "invalid_request")
			Expect(fieldsOf(p)).To(ConsistOf("colour"))
			p = expectProblem(e.upload(proseOnly, filePart("a.csv", []byte("a")), filePart("b.csv", []byte("b"))), 400, "invalid_request")
			Expect(fieldsOf(p)).To(ConsistOf("file"))
			e.noBlobsLeft()
		})

		It("answers 413 one byte over the limit and keeps nothing", func() {
			r := e.upload(proseOnly, filePart("big.bin", bytes.Repeat([]byte("x"), testUploadLimit+1)))
			p := expectProblem(r, 413, "document_too_large")
			Expect(p["limit_bytes"]).To(BeNumerically("==", testUploadLimit))
			Expect(r.Close).To(BeTrue(), "the connection is closed after a 413")
			Expect(e.documentCount()).To(BeZero())
			Expect(e.blobs.putKeys()).To(HaveLen(1))
			e.noBlobsLeft()
		})

		It("accepts a file of exactly the limit", func() {
			r := e.upload(conforming, filePart("big.bin", bytes.Repeat([]byte("x"), testUploadLimit)))
			Expect(r.StatusCode).To(Equal(201), string(r.body))
			Expect(r.json()["byte_size"]).To(BeNumerically("==", testUploadLimit))
		})

		It("answers 413 before reading when Content-Length declares too much", func() {
			r := e.upload(proseOnly, filePart("big.bin", bytes.Repeat([]byte("x"), testUploadLimit+300<<10)))
			expectProblem(r, 413, "document_too_large")
			Expect(e.blobs.putKeys()).To(BeEmpty())
		})

		It("keeps nothing when the client goes away mid-upload", func() {
			body, ct := multipartBody(filePart("a.csv", bytes.Repeat([]byte("y"), 40<<10)))
			raw := body.Bytes()
			conn, err := (&nethttpDialer{}).dial(e.base)
			Expect(err).NotTo(HaveOccurred())
			_, err = conn.Write([]byte("POST " + e.ws("/documents") + " HTTP/1.1\r\nHost: x\r\nX-Request-ID: gone-away\r\nAuthorization: Bearer " + e.admin.Text + "\r\nContent-Type: " + ct +
				"\r\nContent-Length: " + itoa(len(raw)) + "\r\n\r\n"))
			Expect(err).NotTo(HaveOccurred())
			_, err = conn.Write(raw[:len(raw)/2])
			Expect(err).NotTo(HaveOccurred())
			Eventually(e.blobs.putKeys).Should(HaveLen(1))
			Expect(conn.Close()).To(Succeed())
			// The handler has finished once its request line is logged.
			Eventually(e.logText).Should(MatchRegexp(`"request_id":"gone-away"[^\n]*"bytes"`))
			Expect(e.documentCount()).To(BeZero())
			e.noBlobsLeft()
		})
	})

	Describe("reading", func() {
		var doc map[string]any
		var id string
		BeforeEach(func() {
			doc = e.uploaded("roster.csv", "0123456789")
			id = doc["document_id"].(string)
		})

		It("lists and gets documents", func() {
			e.uploaded("second.csv", "x")
			r := e.get(e.ws("/documents?limit=1"))
			Expect(r.StatusCode).To(Equal(200))
			l := r.json()
			Expect(l["limit"]).To(BeNumerically("==", 1))
			Expect(l["has_more"]).To(BeTrue())
			Expect(l["items"].([]any)[0].(map[string]any)["original_filename"]).To(Equal("second.csv"))
			r = e.get(e.ws("/documents?limit=1&offset=1"))
			Expect(r.json()["has_more"]).To(BeFalse())
			Expect(r.items()[0].(map[string]any)["document_id"]).To(Equal(id))

			g := e.get(e.ws("/documents/" + id))
			Expect(g.StatusCode).To(Equal(200))
			Expect(g.json()).To(Equal(doc))
		})

		It("resolves the workspace by slug and answers 404 for unknown ones", func() {
			Expect(e.get("/api/v1/workspaces/default/documents/" + id).StatusCode).To(Equal(200))
			expectProblem(e.get("/api/v1/workspaces/nope/documents/"+id), 404, "not_found")
			expectProblem(e.get("/api/v1/workspaces/01ARZ3NDEKTSV4RRFFQ69G5FAV/documents"), 404, "not_found")
		})

		DescribeTable("answers 404 for malformed and unknown ids",
			func(path string, check requestCheck) {
				expectProblem(e.get(e.ws(path), check), 404, "not_found")
			},
			Entry("malformed", "/documents/not-an-id", nonconforming),
			Entry("lowercase ULID", "/documents/01arz3ndektsv4rrffq69g5fav", nonconforming),
			Entry("unknown", "/documents/01ARZ3NDEKTSV4RRFFQ69G5FAV", conforming),
			Entry("malformed download", "/documents/x/download", nonconforming),
			Entry("malformed events", "/documents/x/events", nonconforming),
			Entry("malformed configuration", "/configurations/x", nonconforming),
			Entry("malformed job", "/jobs/x", nonconforming),
			Entry("malformed job results", "/jobs/x/results", nonconforming),
		)

		DescribeTable("refuses bad paging with 400",
			func(query string, field string) {
				p := expectProblem(e.get(e.ws("/documents?"+query), nonconforming), 400, "invalid_request")
				Expect(fieldsOf(p)).To(ContainElement(field))
			},
			Entry("limit 0", "limit=0", "limit"),
			Entry("limit 201", "limit=201", "limit"),
			Entry("limit -1", "limit=-1", "limit"),
			Entry("limit abc", "limit=abc", "limit"),
			Entry("offset -1", "offset=-1", "offset"),
			Entry("offset abc", "offset=abc", "offset"),
		)

		It("downloads the bytes with headers and records the download", func() {
			r := e.get(e.ws("/documents/" + id + "/download"))
			Expect(r.StatusCode).To(Equal(200))
			Expect(string(r.body)).To(Equal("0123456789"))
			Expect(r.Header.Get("Content-Type")).To(Equal("text/csv"))
			Expect(r.Header.Get("Content-Disposition")).To(Equal(`attachment; filename="roster.csv"`))
			Expect(r.Header.Get("ETag")).To(Equal(`"` + doc["sha256"].(string) + `"`))
			Expect(r.Header.Get("Content-Length")).To(Equal("10"))
			ev := e.get(e.ws("/documents/" + id + "/events"))
			types := eventTypes(ev)
			Expect(types).To(Equal([]string{"document.uploaded", "document.downloaded"}))
		})

		It("answers 304 for a matching If-None-Match without recording a download", func() {
			req := e.newRequest(nethttp.MethodGet, e.ws("/documents/"+id+"/download"), nil)
			req.Header.Set("If-None-Match", `"`+doc["sha256"].(string)+`"`)
			r := e.do(req, conforming)
			Expect(r.StatusCode).To(Equal(304))
			Expect(r.body).To(BeEmpty())
			req = e.newRequest(nethttp.MethodGet, e.ws("/documents/"+id+"/download"), nil)
			req.Header.Set("If-None-Match", `"other"`)
			Expect(e.do(req, conforming).StatusCode).To(Equal(200))
			Expect(eventTypes(e.get(e.ws("/documents/" + id + "/events")))).To(Equal([]string{"document.uploaded", "document.downloaded"}))
		})

		It("answers HEAD with the download's headers, no body and no event", func() {
			r := e.do(e.newRequest(nethttp.MethodHead, e.ws("/documents/"+id+"/download"), nil), conforming)
			Expect(r.StatusCode).To(Equal(200))
			Expect(r.body).To(BeEmpty())
			Expect(r.Header.Get("Content-Length")).To(Equal("10"))
			Expect(r.Header.Get("ETag")).To(Equal(`"` + doc["sha256"].(string) + `"`))
			req := e.newRequest(nethttp.MethodHead, e.ws("/documents/"+id+"/download"), nil)
			req.Header.Set("Range", "bytes=2-4")
			r = e.do(req, conforming)
			Expect(r.StatusCode).To(Equal(206))
			Expect(r.Header.Get("Content-Range")).To(Equal("bytes 2-4/10"))
			Expect(r.Header.Get("Content-Length")).To(Equal("3"))
			Expect(eventTypes(e.get(e.ws("/documents/" + id + "/events")))).To(Equal([]string{"document.uploaded"}))
		})

		DescribeTable("serves single ranges",
			func(rng string, status int, body, contentRange string) {
				req := e.newRequest(nethttp.MethodGet, e.ws("/documents/"+id+"/download"), nil)
				req.Header.Set("Range", rng)
				r := e.do(req, conforming)
				Expect(r.StatusCode).To(Equal(status), string(r.body))
				Expect(r.Header.Get("Content-Range")).To(Equal(contentRange))
				if status == 416 {
					expectProblem(r, 416, "invalid_request")
					return
				}
				Expect(string(r.body)).To(Equal(body))
			},
			Entry("a-b", "bytes=2-4", 206, "234", "bytes 2-4/10"),
			Entry("a-", "bytes=7-", 206, "789", "bytes 7-9/10"),
			Entry("-n", "bytes=-2", 206, "89", "bytes 8-9/10"),
			Entry("end past the size", "bytes=8-100", 206, "89", "bytes 8-9/10"),
			Entry("several ranges: whole body", "bytes=0-1,3-4", 200, "0123456789", ""),
			Entry("malformed: whole body", "bytes=x-y", 200, "0123456789", ""),
			Entry("the first byte alone", "bytes=0-0", 206, "0", "bytes 0-0/10"),
			Entry("the last byte alone", "bytes=9-9", 206, "9", "bytes 9-9/10"),
			Entry("the last byte as a suffix", "bytes=-1", 206, "9", "bytes 9-9/10"),
			Entry("start past the end", "bytes=10-", 416, "", "bytes */10"),
			Entry("empty suffix", "bytes=-0", 416, "", "bytes */10"),
		)

		DescribeTable("honours If-Range: the range only while the document is the one the client named",
			func(ifRange string, status int, body string) {
				req := e.newRequest(nethttp.MethodGet, e.ws("/documents/"+id+"/download"), nil)
				req.Header.Set("Range", "bytes=0-0")
				req.Header.Set("If-Range", strings.ReplaceAll(ifRange, "SHA", doc["sha256"].(string)))
				r := e.do(req, conforming)
				Expect(r.StatusCode).To(Equal(status))
				Expect(string(r.body)).To(Equal(body))
				Expect(r.Header.Get("Content-Length")).To(Equal(strconv.Itoa(len(body))))
			},
			Entry("its entity tag: the range", `"SHA"`, 206, "0"),
			Entry("another entity tag: everything", `"0000"`, 200, "0123456789"),
			Entry("its tag, weak: everything (If-Range compares strongly)", `W/"SHA"`, 200, "0123456789"),
			Entry("a date: everything (downloads carry no Last-Modified)", "Sun, 29 Nov 2026 10:00:00 GMT", 200, "0123456789"),
		)

		DescribeTable("serves an allow-listed Content-Type, never the uploader's word for anything a browser would render",
			func(declared, served string) {
				r := e.upload(conforming, part{name: "file", filename: "page.csv", contentType: declared, data: []byte("<script>alert(1)</script>")})
				Expect(r.StatusCode).To(Equal(201), string(r.body))
				Expect(r.json()["content_type"]).To(Equal(declared), "the recorded type is the uploader's")
				dl := e.get(e.ws("/documents/" + r.json()["document_id"].(string) + "/download"))
				Expect(dl.StatusCode).To(Equal(200))
				Expect(dl.Header.Get("Content-Type")).To(Equal(served))
				Expect(dl.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
				Expect(dl.Header.Get("Content-Disposition")).To(HavePrefix("attachment"))
			},
			Entry("text/html with utf-7", "text/html; charset=utf-7", "application/octet-stream"),
			Entry("SVG", "image/svg+xml", "application/octet-stream"),
			Entry("XHTML", "application/xhtml+xml", "application/octet-stream"),
			Entry("CSV with utf-7: the charset is dropped", "text/csv; charset=utf-7", "text/csv"),
			Entry("CSV with UTF-8: kept, lowercased", "text/csv; charset=UTF-8", "text/csv; charset=utf-8"),
			Entry("CSV with another parameter: dropped", "text/csv; header=present", "text/csv"),
			Entry("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
			Entry("PDF", "application/pdf", "application/pdf"),
		)

		It("marks every JSON answer nosniff and no-store", func() {
			for _, r := range []response{
				e.get(e.ws("/documents")), e.get(e.ws("/documents/" + id)), e.get("/health/live"),
				e.get(e.ws("/documents/01ARZ3NDEKTSV4RRFFQ69G5FAV")),
				e.do(e.newRequestAs("", nethttp.MethodGet, e.ws("/documents"), nil), conforming),
			} {
				Expect(r.Header.Get("Content-Type")).To(Or(HavePrefix("application/json"), HavePrefix("application/problem+json")))
				Expect(r.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
				Expect(r.Header.Get("Cache-Control")).To(Equal("no-store"))
			}
		})

		It("uses filename* for non-ASCII names", func() {
			d := e.uploaded("résumé 2026.csv", "x")
			r := e.get(e.ws("/documents/" + d["document_id"].(string) + "/download"))
			Expect(r.StatusCode).To(Equal(200))
			Expect(r.Header.Get("Content-Disposition")).To(Equal(
				`attachment; filename="r_sum_ 2026.csv"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.csv`))
		})

		It("deletes with a reason; afterwards the document is not found", func() {
			req := e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), strings.NewReader(`{"reason":"duplicate"}`))
			req.Header.Set("Content-Type", "application/json")
			r := e.do(req, conforming)
			Expect(r.StatusCode).To(Equal(204))
			expectProblem(e.get(e.ws("/documents/"+id)), 404, "not_found")
			expectProblem(e.get(e.ws("/documents/"+id+"/download")), 404, "not_found")
			expectProblem(e.do(e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), nil), conforming), 404, "not_found")
			Expect(e.get(e.ws("/documents")).items()).To(BeEmpty())
			d, err := e.app.Documents.Get(context.Background(), e.wsp.ID(), id)
			Expect(err).To(HaveOccurred())
			Expect(d).To(BeNil())
			ev := e.get(e.ws("/documents/" + id + "/events"))
			Expect(eventTypes(ev)).To(Equal([]string{"document.uploaded", "document.deleted"}))
			Expect(ev.items()[1].(map[string]any)["payload"]).To(Equal(map[string]any{"reason": "duplicate"}))
			e.noBlobsLeft()
		})

		It("deletes without a body", func() {
			Expect(e.do(e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), nil), conforming).StatusCode).To(Equal(204))
		})

		It("refuses an over-long reason, unknown members and a non-JSON body", func() {
			body, _ := json.Marshal(map[string]string{"reason": strings.Repeat("é", 1025)})
			req := e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			Expect(fieldsOf(expectProblem(e.do(req, nonconforming), 400, "invalid_request"))).To(ConsistOf("reason"))

			req = e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), strings.NewReader(`{"why":"x"}`))
			req.Header.Set("Content-Type", "application/json")
			Expect(fieldsOf(expectProblem(e.do(req, nonconforming), 400, "invalid_request"))).To(ConsistOf("why"))

			req = e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), strings.NewReader(`reason=x`))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			expectProblem(e.do(req, nonconforming), 415, "unsupported_media_type")
			Expect(e.get(e.ws("/documents/" + id)).StatusCode).To(Equal(200))
		})
	})
})

func eventTypes(r response) []string {
	GinkgoHelper()
	Expect(r.StatusCode).To(Equal(200), string(r.body))
	var out []string
	for _, it := range r.items() {
		out = append(out, it.(map[string]any)["event_type"].(string))
	}
	return out
}
