package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

// Hostile input on every store: what the in-memory store accepts, a
// database column may refuse (NUL in PostgreSQL text and jsonb, a year
// past 9999 in SQLite's fixed-width time text). Every refusal is a 400
// naming the field, never a 500, and nothing is kept.
var _ = Describe("Hostile input", func() {
	for _, b := range storetest.All() {
		Context("on "+b.Name, func() {
			var e *env
			BeforeEach(func() { e = newEnv(envOptions{backend: &b}) })

			rawJSON := func(method, path, body string) response {
				GinkgoHelper()
				req := e.newRequest(method, path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				return e.do(req, proseOnly)
			}
			// uploadNamed uploads a file whose filename is sent byte for
			// byte, as a browser does (quotes and backslashes escaped).
			uploadNamed := func(name string, check requestCheck) response {
				GinkgoHelper()
				esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)
				body := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + esc + "\"\r\n" +
					"Content-Type: text/csv\r\n\r\nx\r\n--B--\r\n"
				req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), strings.NewReader(body))
				req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
				return e.do(req, check)
			}
			refused := func(r response, field string) {
				GinkgoHelper()
				p := expectProblem(r, 400, "invalid_request")
				Expect(fieldsOf(p)).To(ContainElement(field), string(r.body))
			}

			Describe("timestamps", func() {
				It("refuses an expires_at past 9999-12-31T23:59:59.999999Z in UTC and keeps nothing", func() {
					for _, v := range []string{"9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59.9999999-00:01"} {
						r := e.upload(proseOnly, filePart("a.csv", []byte("x")), field("expires_at", v))
						refused(r, "expires_at")
					}
					Expect(e.documentCount()).To(Equal(0))
					e.noBlobsLeft()
				})

				It("accepts the latest expiry both databases and RFC 3339 hold, and serves the document", func() {
					r := e.upload(conforming, filePart("a.csv", []byte("x")), field("expires_at", "9999-12-31T23:59:59.999999Z"))
					Expect(r.StatusCode).To(Equal(201), string(r.body))
					id := r.json()["document_id"].(string)
					Expect(r.json()["expires_at"]).To(Equal("9999-12-31T23:59:59.999Z"))
					Expect(e.get(e.ws("/documents")).items()).To(HaveLen(1))
					Expect(e.get(e.ws("/documents/" + id)).json()["expires_at"]).To(Equal("9999-12-31T23:59:59.999Z"))
					Expect(e.get(e.ws("/documents/" + id + "/download")).StatusCode).To(Equal(200))
					Expect(e.do(e.newRequest(nethttp.MethodDelete, e.ws("/documents/"+id), nil), conforming).StatusCode).To(Equal(204))
				})
			})

			Describe("NUL and control characters", func() {
				It("refuses them in workspace fields", func() {
					refused(rawJSON("POST", "/api/v1/workspaces", `{"slug":"ok","name":"a\u0000b"}`), "name")
					refused(rawJSON("POST", "/api/v1/workspaces", `{"slug":"ok","name":"a\u0007b"}`), "name")
					refused(rawJSON("POST", "/api/v1/workspaces", `{"slug":"o\u0000k","name":"A"}`), "slug")
				})

				It("refuses them in configuration fields and payloads", func() {
					path := e.ws("/configurations")
					refused(rawJSON("POST", path, `{"document_type":"roster","title":"t\u0000","payload":{"extractor":"stub"}}`), "title")
					refused(rawJSON("POST", path, `{"document_type":"roster","title":"t\u001b[2J","payload":{"extractor":"stub"}}`), "title")
					refused(rawJSON("POST", path, `{"document_type":"ros\u0000ter","title":"t","payload":{"extractor":"stub"}}`), "document_type")
					refused(rawJSON("POST", path, `{"document_type":"roster","title":"t","payload":{"extractor":"stub","fail":"x\u0000"}}`), "payload.fail")
					refused(rawJSON("POST", path, `{"document_type":"roster","title":"t","payload":{"extractor":"stub","a\u0000":1}}`), "payload")
					Expect(e.get(path).items()).To(BeEmpty())
				})

				It("refuses them in metadata and keeps nothing", func() {
					refused(e.upload(proseOnly, filePart("a.csv", []byte("x")), field("metadata", `{"note":"a\u0000b"}`)), "metadata.note")
					refused(e.upload(proseOnly, filePart("a.csv", []byte("x")), field("metadata", `{"deep":[{"k\u0000":1}]}`)), "metadata.deep[0]")
					Expect(e.documentCount()).To(Equal(0))
					e.noBlobsLeft()
				})

				It("refuses them in job bodies and delete reasons", func() {
					d := e.uploaded("a.csv", "x")
					id := d["document_id"].(string)
					refused(rawJSON("POST", e.ws("/jobs"), `{"document_id":"`+id+`\u0000","document_type":"roster"}`), "document_id")
					refused(rawJSON("POST", e.ws("/jobs"), `{"document_id":"`+id+`","document_type":"ros\u0000ter"}`), "document_type")
					refused(rawJSON("POST", e.ws("/jobs"), `{"document_id":"`+id+`","configuration_id":"\u0001"}`), "configuration_id")
					refused(rawJSON("DELETE", e.ws("/documents/"+id), `{"reason":"gone\u0000"}`), "reason")
					refused(rawJSON("DELETE", e.ws("/documents/"+id), `{"reason":"gone\u0008"}`), "reason")
					Expect(e.get(e.ws("/jobs")).items()).To(BeEmpty())
					Expect(e.get(e.ws("/documents/" + id)).StatusCode).To(Equal(200))
				})

				DescribeTable("refuses them in list filters",
					func(path, query, fieldName string) {
						r := e.get(e.ws(path)+"?"+query, proseOnly)
						refused(r, fieldName)
					},
					Entry("document_type", "/configurations", "document_type=a%00", "document_type"),
					Entry("document_type, invalid UTF-8", "/configurations", "document_type=%FF", "document_type"),
					Entry("job document_id", "/jobs", "document_id=%00", "document_id"),
					Entry("job configuration_id", "/jobs", "configuration_id=x%1B", "configuration_id"),
					Entry("job status", "/jobs", "status=%00", "status"),
					Entry("event entity_id", "/events", "entity_id=%00", "entity_id"),
					Entry("event entity_id, invalid UTF-8", "/events", "entity_id=%C3", "entity_id"),
					Entry("event type", "/events", "event_type=%00", "event_type"),
				)

				It("answers 404 for a workspace reference holding them, as for any malformed path id", func() {
					for _, ref := range []string{"a%00b", "%FF", "x%0Ay"} {
						expectProblem(e.get("/api/v1/workspaces/"+ref+"/documents", proseOnly), 404, "not_found")
					}
				})
			})

			Describe("multipart", func() {
				DescribeTable("refuses a malformed part header with 400 and keeps nothing",
					func(header string) {
						body := "--B\r\n" + header + "\r\n\r\nx\r\n--B--\r\n"
						req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), strings.NewReader(body))
						req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
						expectProblem(e.do(req, proseOnly), 400, "invalid_request")
						Expect(e.documentCount()).To(Equal(0))
						e.noBlobsLeft()
					},
					Entry("no colon", `Content-Disposition form-data; name="file"; filename="a.csv"`),
					Entry("NUL in the disposition", "Content-Disposition: form-data; name=\"file\"; filename=\"a\x00.csv\""),
					Entry("NUL in the part's type", "Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\x00"),
					Entry("a control character in the part's type", "Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv; charset=\"\x01\""),
					Entry("unparsable disposition", `Content-Disposition: form-data; name="file"; filename="a.csv`),
					Entry("a header with no name", "Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n: x"),
					Entry("invalid UTF-8 in the name", "Content-Disposition: form-data; name=\"fi\xffle\"; filename=\"a.csv\""),
				)

				It("stores a filename with invalid UTF-8 without it", func() {
					r := uploadNamed("a\xffb.csv", proseOnly)
					Expect(r.StatusCode).To(Equal(201), string(r.body))
					Expect(r.json()["original_filename"]).To(Equal("ab.csv"))
				})

				It("stores an RFC 2231 encoded filename without its controls and bidi overrides", func() {
					body := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%00%01%E2%80%AEb.csv\r\n" +
						"Content-Type: text/csv\r\n\r\nx\r\n--B--\r\n"
					req := e.newRequest(nethttp.MethodPost, e.ws("/documents"), strings.NewReader(body))
					req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
					r := e.do(req, proseOnly)
					Expect(r.StatusCode).To(Equal(201), string(r.body))
					Expect(r.json()["original_filename"]).To(Equal("ab.csv"))
				})
			})

			Describe("filenames", func() {
				download := func(name string) (stored, disposition string) {
					GinkgoHelper()
					u := uploadNamed(name, conforming)
					Expect(u.StatusCode).To(Equal(201), string(u.body))
					d := u.json()
					r := e.get(e.ws("/documents/" + d["document_id"].(string) + "/download"))
					Expect(r.StatusCode).To(Equal(200))
					return d["original_filename"].(string), r.Header.Get("Content-Disposition")
				}

				It("strips bidirectional controls, so a name cannot display as another", func() {
					stored, cd := download("invoice\u202Efdp.exe")
					Expect(stored).To(Equal("invoicefdp.exe"))
					Expect(cd).To(Equal(`attachment; filename="invoicefdp.exe"`))
					for _, r := range "\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069" {
						stored, _ := download("a" + string(r) + "b.csv")
						Expect(stored).To(Equal("ab.csv"), "U+%04X", r)
					}
				})

				DescribeTable("names the saved file exactly, with filename* whenever the plain form had to change",
					func(name, want string) {
						_, cd := download(name)
						Expect(cd).To(Equal(want))
						_, params, err := parseDisposition(cd)
						Expect(err).NotTo(HaveOccurred())
						Expect(params["filename"]).To(Equal(name), "what an RFC 6266 client saves")
					},
					Entry("a quote", `a"b.csv`, `attachment; filename="a_b.csv"; filename*=UTF-8''a%22b.csv`),
					Entry("a percent sign", `100%.csv`, `attachment; filename="100_.csv"; filename*=UTF-8''100%25.csv`),
					Entry("a semicolon and spaces", `a; filename=b.csv`, `attachment; filename="a; filename=b.csv"`),
					Entry("non-ASCII", `é.csv`, `attachment; filename="_.csv"; filename*=UTF-8''%C3%A9.csv`),
				)
			})

			Describe("JSON numbers and keys", func() {
				It("keeps big integers and decimals exact through the store", func() {
					meta := `{"big":12345678901234567890123,"max_safe_plus_one":9007199254740993,"dec":0.1000,"neg":-0.0,"exp":1.5e3,"small":1e-7}`
					r := e.upload(conforming, filePart("a.csv", []byte("x")), field("metadata", meta))
					Expect(r.StatusCode).To(Equal(201), string(r.body))
					want := `"metadata":{"big":12345678901234567890123,"dec":0.1000,"exp":1500,"max_safe_plus_one":9007199254740993,"neg":0.0,"small":0.0000001}`
					Expect(string(r.body)).To(ContainSubstring(want))
					id := r.json()["document_id"].(string)
					Expect(string(e.get(e.ws("/documents/" + id)).body)).To(ContainSubstring(want))
					Expect(string(e.get(e.ws("/documents")).body)).To(ContainSubstring(want))
				})

				It("keeps numbers of a configuration payload exact", func() {
					body := `{"document_type":"roster","title":"t","payload":{"extractor":"stub"}}`
					r := rawJSON("POST", e.ws("/configurations"), body)
					Expect(r.StatusCode).To(Equal(201), string(r.body))
				})

				It("refuses a number too long to store exactly", func() {
					refused(e.upload(proseOnly, filePart("a.csv", []byte("x")), field("metadata", `{"n":1e5000}`)), "metadata.n")
				})

				It("refuses duplicate keys at any depth in every JSON body", func() {
					d := e.uploaded("a.csv", "x")
					id := d["document_id"].(string)
					refused(e.upload(proseOnly, filePart("a.csv", []byte("x")), field("metadata", `{"a":1,"a":2}`)), "metadata.a")
					refused(e.upload(proseOnly, filePart("a.csv", []byte("x")), field("metadata", `{"x":[{"b":1,"b":1}]}`)), "metadata.x[0].b")
					refused(rawJSON("POST", "/api/v1/workspaces", `{"slug":"a","name":"A","name":"B"}`), "name")
					refused(rawJSON("POST", e.ws("/configurations"), `{"document_type":"r","title":"t","payload":{"extractor":"stub","extractor":"stub"}}`), "payload.extractor")
					refused(rawJSON("POST", e.ws("/configurations"), `{"document_type":"r","document_type":"s","title":"t","payload":{"extractor":"stub"}}`), "document_type")
					refused(rawJSON("POST", e.ws("/jobs"), fmt.Sprintf(`{"document_id":%q,"document_id":%q,"document_type":"r"}`, id, id)), "document_id")
					refused(rawJSON("DELETE", e.ws("/documents/"+id), `{"reason":"a","reason":"b"}`), "reason")
					Expect(e.documentCount()).To(Equal(1))
					Expect(e.get(e.ws("/configurations")).items()).To(BeEmpty())
				})
			})
		})
	}
})

// parseDisposition reads a Content-Disposition as an RFC 6266 client
// does: filename* (RFC 8187, UTF-8) wins over filename.
func parseDisposition(v string) (string, map[string]string, error) {
	kind, rest, _ := strings.Cut(v, ";")
	params := map[string]string{}
	for _, p := range splitParams(rest) {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return "", nil, fmt.Errorf("parameter %q has no value", p)
		}
		switch k {
		case "filename":
			if _, set := params["filename*"]; !set {
				params["filename"] = strings.Trim(val, `"`)
			}
		case "filename*":
			enc, ok := strings.CutPrefix(val, "UTF-8''")
			if !ok {
				return "", nil, fmt.Errorf("filename* %q is not UTF-8''", val)
			}
			dec, err := url.PathUnescape(enc)
			if err != nil {
				return "", nil, err
			}
			params["filename*"], params["filename"] = dec, dec
		}
	}
	return kind, params, nil
}

// splitParams splits on semicolons outside quoted strings.
func splitParams(s string) []string {
	var out []string
	var cur bytes.Buffer
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ';' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}

// brokenBlobs fails every Put after reading the body, as a full disk does.
type brokenBlobs struct{ ports.BlobStore }

func (brokenBlobs) Put(_ context.Context, _ string, r io.Reader, _ ports.PutOptions) (ports.BlobInfo, error) {
	_, _ = io.Copy(io.Discard, r)
	return ports.BlobInfo{}, errors.New("write /var/ade/blobs/x: no space left on device")
}

var _ = Describe("Upload errors", func() {
	It("blames the server, not the request, when the blob store fails", func() {
		ctx := context.Background()
		bs, err := blobstore.Open(ctx, "mem://")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(bs.Close)
		exs, err := app.NewExtractors(stub.Extractor{})
		Expect(err).NotTo(HaveOccurred())
		store := memory.New()
		queue := memory.NewQueue(store, memory.QueueOptions{Workers: 1})
		a, err := app.New(app.Deps{Repos: store.Repositories(), Queue: queue, Blobs: brokenBlobs{bs}, Extractors: exs,
			Clock: system.Clock{}, IDs: system.NewULIDs()})
		Expect(err).NotTo(HaveOccurred())
		queue.Start(a.Tasks)
		DeferCleanup(queue.Stop)
		ws, err := a.Workspaces.EnsureDefault(ctx)
		Expect(err).NotTo(HaveOccurred())
		admin, err := a.Keys.Create(ctx, app.CreateAPIKeyRequest{Role: domain.RoleAdmin, Label: "spec admin"})
		Expect(err).NotTo(HaveOccurred())
		f := httpapi.New(httpapi.Options{App: a, Limits: unreachable})
		body, ct := multipartBody(filePart("a.csv", []byte("a,b\n")))
		req, err := nethttp.NewRequest(nethttp.MethodPost, "/api/v1/workspaces/"+ws.ID()+"/documents", body)
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+admin.Text)
		resp, err := f.Test(req, -1)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(500))
		raw, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(raw)).NotTo(ContainSubstring("no space"), "no internal detail")
	})
})
