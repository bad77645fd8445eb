package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// client speaks to one server with one API key (none when empty); every
// response it receives is checked against the OpenAPI document.
type client struct {
	base string
	http *http.Client
	key  string
}

// as returns a client of the same server that sends key instead (no key
// when empty).
func (c *client) as(key string) *client {
	cp := *c
	cp.key = key
	return &cp
}

// authorize adds the client's key unless the request names credentials
// of its own.
func (c *client) authorize(req *http.Request) {
	if c.key != "" && req.Header.Get("Authorization") == "" && req.Header.Get("X-API-Key") == "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
}

func newClient(base, key string) *client {
	return &client{base: base, key: key, http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			// Raw bytes: the specs check Content-Length, ETag and ranges.
			DisableCompression:  true,
			MaxIdleConnsPerHost: 8,
		},
	}}
}

// reply is a fully read response.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	// what names the request in failure messages.
	what string
}

// JSON decodes the body as a JSON object.
func (r *reply) JSON() map[string]any {
	GinkgoHelper()
	var m map[string]any
	Expect(json.Unmarshal(r.Body, &m)).To(Succeed(), "%s: body is not a JSON object: %s", r.what, r.Body)
	return m
}

// Items returns the items of a list response, checking the envelope.
func (r *reply) Items() []map[string]any {
	GinkgoHelper()
	Expect(r.Status).To(Equal(http.StatusOK), "%s: %s", r.what, r.Body)
	var l struct {
		Items   []map[string]any `json:"items"`
		Limit   *int             `json:"limit"`
		Offset  *int             `json:"offset"`
		HasMore *bool            `json:"has_more"`
	}
	Expect(json.Unmarshal(r.Body, &l)).To(Succeed())
	Expect(l.Items).NotTo(BeNil(), "%s: items must be a list: %s", r.what, r.Body)
	Expect(l.Limit).NotTo(BeNil())
	Expect(l.Offset).NotTo(BeNil())
	Expect(l.HasMore).NotTo(BeNil())
	return l.Items
}

// ID returns the string member key of a JSON object body.
func (r *reply) ID(key string) string {
	GinkgoHelper()
	m := r.JSON()
	id, ok := m[key].(string)
	Expect(ok).To(BeTrue(), "%s: no %q in %s", r.what, key, r.Body)
	return id
}

// expect asserts the status code, quoting the body on mismatch.
func (r *reply) expect(status int) *reply {
	GinkgoHelper()
	Expect(r.Status).To(Equal(status), "%s: body %s", r.what, r.Body)
	return r
}

// header is a request header.
type header struct{ key, value string }

func h(key, value string) header { return header{key, value} }

// do sends a request, reads the whole response and checks it against the
// contract.
func (c *client) do(method, path string, body io.Reader, headers ...header) *reply {
	GinkgoHelper()
	req, err := http.NewRequest(method, c.base+path, body)
	Expect(err).NotTo(HaveOccurred())
	for _, hd := range headers {
		if strings.EqualFold(hd.key, "Host") {
			req.Host = hd.value
			continue
		}
		req.Header.Set(hd.key, hd.value)
	}
	return c.send(req)
}

func (c *client) send(req *http.Request) *reply {
	GinkgoHelper()
	c.authorize(req)
	res, err := c.http.Do(req)
	Expect(err).NotTo(HaveOccurred(), "%s %s", req.Method, req.URL.Path)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	Expect(err).NotTo(HaveOccurred(), "%s %s: reading the body", req.Method, req.URL.Path)
	r := &reply{Status: res.StatusCode, Header: res.Header, Body: b, what: req.Method + " " + req.URL.RequestURI()}
	Expect(r.Header.Get("X-Request-ID")).NotTo(BeEmpty(), "%s: every response carries X-Request-ID", r.what)
	contract.check(req, r)
	return r
}

// sendEager writes the request on a connection of its own while reading
// the response, as curl does: a server may answer an oversized body before
// reading it all and then close the connection, and net/http's client then
// reports its failed write instead of the response.
func (c *client) sendEager(req *http.Request) *reply {
	GinkgoHelper()
	c.authorize(req)
	conn, err := net.Dial("tcp", req.URL.Host)
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close()
	Expect(conn.SetDeadline(time.Now().Add(30 * time.Second))).To(Succeed())
	go func() { _ = req.Write(conn) }()
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	Expect(err).NotTo(HaveOccurred(), "%s %s: reading the response", req.Method, req.URL.Path)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	Expect(err).NotTo(HaveOccurred())
	r := &reply{Status: res.StatusCode, Header: res.Header, Body: b, what: req.Method + " " + req.URL.RequestURI()}
	Expect(r.Header.Get("X-Request-ID")).NotTo(BeEmpty(), "%s: every response carries X-Request-ID", r.what)
	contract.check(req, r)
	return r
}

func (c *client) get(path string, headers ...header) *reply {
	GinkgoHelper()
	return c.do(http.MethodGet, path, nil, headers...)
}

// postJSON sends v (or, when v is a string or []byte, that text) as JSON.
func (c *client) postJSON(path string, v any, headers ...header) *reply {
	GinkgoHelper()
	var b []byte
	switch t := v.(type) {
	case string:
		b = []byte(t)
	case []byte:
		b = t
	case nil:
	default:
		var err error
		b, err = json.Marshal(v)
		Expect(err).NotTo(HaveOccurred())
	}
	headers = append([]header{h("Content-Type", "application/json")}, headers...)
	return c.do(http.MethodPost, path, bytes.NewReader(b), headers...)
}

// filePart is the file of an upload.
type filePart struct {
	name        string
	contentType string
	data        []byte
}

// multipartBody builds a multipart/form-data body from ordered form fields
// and an optional file; it returns the body and its Content-Type.
func multipartBody(file *filePart, fields ...[2]string) ([]byte, string) {
	GinkgoHelper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		Expect(w.WriteField(f[0], f[1])).To(Succeed())
	}
	if file != nil {
		hd := textproto.MIMEHeader{}
		hd.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, strings.ReplaceAll(file.name, `"`, `\"`)))
		if file.contentType != "" {
			hd.Set("Content-Type", file.contentType)
		}
		pw, err := w.CreatePart(hd)
		Expect(err).NotTo(HaveOccurred())
		_, err = pw.Write(file.data)
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(w.Close()).To(Succeed())
	return buf.Bytes(), w.FormDataContentType()
}

// upload posts a document to the workspace's documents.
func (c *client) upload(ws string, file *filePart, fields ...[2]string) *reply {
	GinkgoHelper()
	return c.uploadWith(ws, nil, file, fields...)
}

func (c *client) uploadWith(ws string, headers []header, file *filePart, fields ...[2]string) *reply {
	GinkgoHelper()
	body, ct := multipartBody(file, fields...)
	return c.do(http.MethodPost, "/api/v1/workspaces/"+ws+"/documents", bytes.NewReader(body),
		append([]header{h("Content-Type", ct)}, headers...)...)
}

// contractChecker validates responses against the OpenAPI document.
type contractChecker struct {
	doc    *openapi3.T
	router routers.Router
}

func loadContract(path string) *contractChecker {
	GinkgoHelper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	Expect(err).NotTo(HaveOccurred(), "load %s", path)
	Expect(doc.Validate(loader.Context)).To(Succeed(), "%s is not a valid OpenAPI document", path)
	// Match routes by path alone: the servers list names the default
	// address, the specs use a free port.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	Expect(err).NotTo(HaveOccurred())
	for _, ct := range []string{"text/html", "text/css", "text/javascript", "application/javascript", "text/event-stream"} {
		if openapi3filter.RegisteredBodyDecoder(ct) == nil {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
	}
	return &contractChecker{doc: doc, router: router}
}

// check fails the spec when the response is not one the document allows.
// Requests to routes the document does not describe may only answer 404
// or 405.
func (cc *contractChecker) check(req *http.Request, r *reply) {
	GinkgoHelper()
	route, params, err := cc.router.FindRoute(req)
	if err != nil {
		var re *routers.RouteError
		if errors.As(err, &re) && (re.Reason == routers.ErrPathNotFound.Error() || re.Reason == routers.ErrMethodNotAllowed.Error()) {
			Expect(r.Status).To(BeElementOf(http.StatusNotFound, http.StatusMethodNotAllowed),
				"%s is not in openapi.json, so it must answer 404 or 405: %s", r.what, r.Body)
			return
		}
		Fail(fmt.Sprintf("%s: route lookup in openapi.json: %v", r.what, err))
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.Status,
		Header:                 r.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.Body)
	err = openapi3filter.ValidateResponse(context.Background(), in)
	Expect(err).NotTo(HaveOccurred(), "%s -> %d does not match adapters/httpapi/openapi.json (status, headers or body)\nbody: %s",
		r.what, r.Status, tail(string(r.Body), 2000))
}
