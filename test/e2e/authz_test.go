package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the authorisation matrix on SQLite + file://", Ordered, ContinueOnFailure, func() {
	describeMatrix(sqliteFiles())
})

var _ = Describe("the authorisation matrix on PostgreSQL + S3", Ordered, ContinueOnFailure, func() {
	describeMatrix(postgresS3())
})

// credential is one column of the matrix.
type credential int

const (
	noKey credential = iota
	malformedKey
	unknownKey
	revokedKey
	viewerKey
	editorKey
	adminKey_
	otherAdminKey
	globalAdminKey
)

var credentialNames = []string{"no key", "malformed key", "unknown key", "revoked key", "viewer", "editor",
	"admin of the workspace", "admin of another workspace", "global admin"}

func (c credential) String() string { return credentialNames[c] }

var allCredentials = []credential{noKey, malformedKey, unknownKey, revokedKey, viewerKey, editorKey, adminKey_, otherAdminKey, globalAdminKey}

// least is the least a route asks for, as API.md states it.
type least int

const (
	anyKey least = iota // any valid key (workspace-less)
	viewerRole
	editorRole
	adminRole
	globalOnly
)

// expected is the status each credential gets from a route that answers
// ok when allowed, derived from API.md's rules (not from the server's
// permission table): no valid key 401; a role below the route's least
// 403; a workspace the key cannot see 404, exactly as a missing one.
func expected(l least, ok int, c credential) int {
	switch c {
	case noKey, malformedKey, unknownKey, revokedKey:
		return http.StatusUnauthorized
	case globalAdminKey:
		return ok
	}
	switch l {
	case anyKey:
		return ok
	case globalOnly:
		return http.StatusForbidden
	}
	if c == otherAdminKey {
		return http.StatusNotFound
	}
	rank := map[credential]least{viewerKey: viewerRole, editorKey: editorRole, adminKey_: adminRole}[c]
	if rank >= l {
		return ok
	}
	return http.StatusForbidden
}

// call is one prepared request of a route.
type call struct {
	method, path string
	body         []byte
	headers      []header
}

// matrixRoute is one row: a route, what it asks for, and how to make a
// fresh, valid request to it in workspace ws (fixtures made with the
// global admin key).
type matrixRoute struct {
	name    string
	least   least
	ok      int
	prepare func(f *matrixFixtures) call
}

// matrixFixtures holds the workspaces and keys of the matrix.
type matrixFixtures struct {
	srv            *adeServer
	ws, wsID, api  string
	otherWS        string
	keys           map[credential]string
	docID, cfgID   string
	terminalJobID  string
	webhookID      string
	uniqueCounter  int
	revokableKeyID func() string
}

func (f *matrixFixtures) unique(prefix string) string {
	f.uniqueCounter++
	return fmt.Sprintf("%s-%d-%s", prefix, f.uniqueCounter, randomHex(3))
}

func jsonCall(method, path, body string) call {
	return call{method: method, path: path, body: []byte(body), headers: []header{h("Content-Type", "application/json")}}
}

func matrixRoutes() []matrixRoute {
	get := func(name string, path func(f *matrixFixtures) string) matrixRoute {
		return matrixRoute{name: "GET " + name, least: viewerRole, ok: http.StatusOK,
			prepare: func(f *matrixFixtures) call { return call{method: http.MethodGet, path: path(f)} }}
	}
	return []matrixRoute{
		{name: "POST /workspaces", least: globalOnly, ok: http.StatusCreated, prepare: func(f *matrixFixtures) call {
			return jsonCall(http.MethodPost, "/api/v1/workspaces", fmt.Sprintf(`{"slug":%q,"name":"Made by the matrix"}`, f.unique("mx")))
		}},
		{name: "GET /workspaces", least: anyKey, ok: http.StatusOK, prepare: func(*matrixFixtures) call {
			return call{method: http.MethodGet, path: "/api/v1/workspaces"}
		}},
		{name: "POST .../api-keys", least: adminRole, ok: http.StatusCreated, prepare: func(f *matrixFixtures) call {
			return jsonCall(http.MethodPost, f.api+"/api-keys", `{"role":"viewer","label":"matrix"}`)
		}},
		{name: "GET .../api-keys", least: adminRole, ok: http.StatusOK, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodGet, path: f.api + "/api-keys"}
		}},
		{name: "DELETE .../api-keys/{id}", least: adminRole, ok: http.StatusNoContent, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodDelete, path: f.api + "/api-keys/" + f.revokableKeyID()}
		}},
		{name: "POST .../documents", least: editorRole, ok: http.StatusCreated, prepare: func(f *matrixFixtures) call {
			body, ct := multipartBody(&filePart{name: "m.csv", contentType: "text/csv", data: []byte(rosterCSV)})
			return call{method: http.MethodPost, path: f.api + "/documents", body: body, headers: []header{h("Content-Type", ct)}}
		}},
		get("/documents", func(f *matrixFixtures) string { return f.api + "/documents" }),
		get("/documents/{id}", func(f *matrixFixtures) string { return f.api + "/documents/" + f.docID }),
		{name: "DELETE .../documents/{id}", least: editorRole, ok: http.StatusNoContent, prepare: func(f *matrixFixtures) call {
			id := f.srv.upload(f.ws, &filePart{name: "d.csv", contentType: "text/csv", data: []byte(rosterCSV)}).expect(http.StatusCreated).ID("document_id")
			return call{method: http.MethodDelete, path: f.api + "/documents/" + id}
		}},
		get("/documents/{id}/download", func(f *matrixFixtures) string { return f.api + "/documents/" + f.docID + "/download" }),
		{name: "HEAD .../documents/{id}/download", least: viewerRole, ok: http.StatusOK, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodHead, path: f.api + "/documents/" + f.docID + "/download"}
		}},
		get("/documents/{id}/events", func(f *matrixFixtures) string { return f.api + "/documents/" + f.docID + "/events" }),
		{name: "POST .../configurations", least: adminRole, ok: http.StatusCreated, prepare: func(f *matrixFixtures) call {
			return jsonCall(http.MethodPost, f.api+"/configurations", `{"document_type":"matrix","title":"M","payload":{"extractor":"stub"}}`)
		}},
		get("/configurations", func(f *matrixFixtures) string { return f.api + "/configurations" }),
		get("/configurations/{id}", func(f *matrixFixtures) string { return f.api + "/configurations/" + f.cfgID }),
		{name: "POST .../configurations/{id}/activate", least: adminRole, ok: http.StatusOK, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodPost, path: f.api + "/configurations/" + f.cfgID + "/activate"}
		}},
		get("/configurations/{id}/events", func(f *matrixFixtures) string { return f.api + "/configurations/" + f.cfgID + "/events" }),
		{name: "POST .../jobs", least: editorRole, ok: http.StatusCreated, prepare: func(f *matrixFixtures) call {
			return jsonCall(http.MethodPost, f.api+"/jobs", fmt.Sprintf(`{"document_id":%q,"configuration_id":%q}`, f.docID, f.cfgID))
		}},
		get("/jobs", func(f *matrixFixtures) string { return f.api + "/jobs" }),
		get("/jobs/{id}", func(f *matrixFixtures) string { return f.api + "/jobs/" + f.terminalJobID }),
		get("/jobs/{id}/results", func(f *matrixFixtures) string { return f.api + "/jobs/" + f.terminalJobID + "/results" }),
		// Jobs end during their request, so cancelling one is refused
		// (409) for whoever may try: the guard let the request through.
		{name: "POST .../jobs/{id}/cancel", least: editorRole, ok: http.StatusConflict, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodPost, path: f.api + "/jobs/" + f.terminalJobID + "/cancel"}
		}},
		get("/jobs/{id}/events", func(f *matrixFixtures) string { return f.api + "/jobs/" + f.terminalJobID + "/events" }),
		get("/jobs/{id}/events?stream=true", func(f *matrixFixtures) string {
			return f.api + "/jobs/" + f.terminalJobID + "/events?stream=true"
		}),
		get("/events", func(f *matrixFixtures) string { return f.api + "/events" }),
		{name: "POST .../webhooks", least: adminRole, ok: http.StatusCreated, prepare: func(f *matrixFixtures) call {
			return jsonCall(http.MethodPost, f.api+"/webhooks", matrixWebhook)
		}},
		{name: "GET .../webhooks", least: adminRole, ok: http.StatusOK, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodGet, path: f.api + "/webhooks"}
		}},
		{name: "GET .../webhooks/{id}", least: adminRole, ok: http.StatusOK, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodGet, path: f.api + "/webhooks/" + f.webhookID}
		}},
		{name: "DELETE .../webhooks/{id}", least: adminRole, ok: http.StatusNoContent, prepare: func(f *matrixFixtures) call {
			id := f.srv.postJSON(f.api+"/webhooks", matrixWebhook).expect(http.StatusCreated).ID("webhook_id")
			return call{method: http.MethodDelete, path: f.api + "/webhooks/" + id}
		}},
		{name: "GET .../webhooks/{id}/deliveries", least: adminRole, ok: http.StatusOK, prepare: func(f *matrixFixtures) call {
			return call{method: http.MethodGet, path: f.api + "/webhooks/" + f.webhookID + "/deliveries"}
		}},
	}
}

// matrixWebhook registers a public address (a literal, so nothing is
// resolved) for cancellations, which the matrix never makes: nothing is
// ever delivered.
const matrixWebhook = `{"url":"https://192.0.2.10/ade","events":["job.status.cancelled"]}`

// describeMatrix runs every route with every credential against one
// server on backend b.
func describeMatrix(b *backend) {
	var f *matrixFixtures

	BeforeAll(func() {
		b.prepare()
		srv := startServer(b, serverOptions{})
		f = &matrixFixtures{srv: srv, keys: map[credential]string{}}
		f.ws = "matrix-" + randomHex(4)
		f.wsID = srv.postJSON("/api/v1/workspaces", map[string]any{"slug": f.ws, "name": "Matrix"}).expect(http.StatusCreated).ID("workspace_id")
		f.api = "/api/v1/workspaces/" + f.ws
		f.otherWS = "elsewhere-" + randomHex(4)
		srv.postJSON("/api/v1/workspaces", map[string]any{"slug": f.otherWS, "name": "Elsewhere"}).expect(http.StatusCreated)

		newKey := func(ws, role string) (string, string) {
			r := srv.postJSON("/api/v1/workspaces/"+ws+"/api-keys", map[string]any{"role": role, "label": "matrix " + role}).expect(http.StatusCreated)
			return r.JSON()["key"].(string), r.ID("api_key_id")
		}
		f.keys[noKey] = ""
		f.keys[malformedKey] = "ade_not a key"
		f.keys[unknownKey] = "ade_" + strings.Repeat("UNKNOWN0", 7)
		revoked, revokedID := newKey(f.ws, "admin")
		srv.do(http.MethodDelete, f.api+"/api-keys/"+revokedID, nil).expect(http.StatusNoContent)
		f.keys[revokedKey] = revoked
		f.keys[viewerKey], _ = newKey(f.ws, "viewer")
		f.keys[editorKey], _ = newKey(f.ws, "editor")
		f.keys[adminKey_], _ = newKey(f.ws, "admin")
		f.keys[otherAdminKey], _ = newKey(f.otherWS, "admin")
		f.keys[globalAdminKey] = adminKey
		f.revokableKeyID = func() string {
			_, id := newKey(f.ws, "viewer")
			return id
		}

		f.docID = srv.upload(f.ws, &filePart{name: "roster.csv", contentType: "text/csv", data: []byte(rosterCSV)}).expect(http.StatusCreated).ID("document_id")
		f.cfgID = srv.postJSON(f.api+"/configurations", map[string]any{"document_type": "roster", "title": "R", "payload": map[string]any{"extractor": "stub"}}).
			expect(http.StatusCreated).ID("configuration_id")
		f.terminalJobID = srv.postJSON(f.api+"/jobs", map[string]any{"document_id": f.docID, "configuration_id": f.cfgID}).
			expect(http.StatusCreated).ID("job_id")
		f.webhookID = srv.postJSON(f.api+"/webhooks", matrixWebhook).expect(http.StatusCreated).ID("webhook_id")
	})

	send := func(c *client, k call) *reply {
		GinkgoHelper()
		var body *bytes.Reader
		if k.body != nil {
			body = bytes.NewReader(k.body)
			return c.do(k.method, k.path, body, k.headers...)
		}
		return c.do(k.method, k.path, nil, k.headers...)
	}

	entries := []TableEntry{}
	for _, r := range matrixRoutes() {
		entries = append(entries, Entry(r.name, r))
	}
	DescribeTable("answers every credential as API.md says",
		func(r matrixRoute) {
			for _, cred := range allCredentials {
				k := r.prepare(f)
				c := f.srv.as(f.keys[cred])
				got := send(c, k)
				want := expected(r.least, r.ok, cred)
				Expect(got.Status).To(Equal(want), "%s with %s: %s", r.name, cred, got.Body)
				if k.method == http.MethodHead {
					// No body to compare; the challenge still comes.
					if want == http.StatusUnauthorized {
						Expect(got.Header.Get("WWW-Authenticate")).To(HavePrefix("Bearer "), "%s with %s", r.name, cred)
					}
					continue
				}
				switch want {
				case http.StatusUnauthorized:
					p := expectProblem(got, want, "unauthenticated")
					Expect(got.Header.Get("WWW-Authenticate")).To(HavePrefix("Bearer "), "%s with %s", r.name, cred)
					Expect(p["detail"]).NotTo(ContainSubstring(f.keys[cred][min(4, len(f.keys[cred])):] + "x"))
				case http.StatusForbidden:
					expectProblem(got, want, "forbidden")
				case http.StatusNotFound:
					// Exactly a missing resource: the same route in a
					// workspace that does not exist, and (for a route with
					// an id) an unknown id in the key's own workspace.
					missing := k
					missing.path = strings.Replace(k.path, f.api, "/api/v1/workspaces/no-such-"+randomHex(3), 1)
					if k.body != nil {
						missing = r.prepare(f)
						missing.path = strings.Replace(missing.path, f.api, "/api/v1/workspaces/no-such-"+randomHex(3), 1)
					}
					probes := []call{missing}
					if strings.Count(k.path, "/") > strings.Count(f.api, "/")+1 && k.method != http.MethodPost {
						own := k
						own.path = strings.Replace(k.path, f.api, "/api/v1/workspaces/"+f.otherWS, 1)
						for _, id := range []string{f.docID, f.cfgID, f.terminalJobID} {
							own.path = strings.Replace(own.path, id, "01ARZ3NDEKTSV4RRFFQ69G5FAV", 1)
						}
						if strings.Contains(own.path, "/api-keys/") {
							own.path = own.path[:strings.LastIndex(own.path, "/")+1] + "01ARZ3NDEKTSV4RRFFQ69G5FAV"
						}
						probes = append(probes, own)
					}
					foreign := problemWithoutRequestID(got)
					for _, m := range probes {
						ref := send(c, m)
						Expect(ref.Status).To(Equal(http.StatusNotFound), "%s probe %s %s: %s", r.name, m.method, m.path, ref.Body)
						Expect(problemWithoutRequestID(ref)).To(Equal(foreign), "%s: another workspace's answer differs from a missing one's (%s)", r.name, m.path)
						Expect(ref.Header.Get("Content-Type")).To(Equal(got.Header.Get("Content-Type")))
					}
				}
			}
		},
		entries,
	)

	It("covers every /api/v1 operation of the OpenAPI document", func() {
		documented := 0
		for path, item := range contract.doc.Paths.Map() {
			if strings.HasPrefix(path, "/api/v1/") {
				documented += len(item.Operations())
			}
		}
		// The stream is a variant of GET .../jobs/{id}/events.
		Expect(len(matrixRoutes()) - 1).To(Equal(documented))
	})
}

// problemWithoutRequestID is a problem body (HEAD answers carry none)
// without its request_id.
func problemWithoutRequestID(r *reply) map[string]any {
	GinkgoHelper()
	if len(r.Body) == 0 {
		return map[string]any{}
	}
	p := r.JSON()
	delete(p, "request_id")
	return p
}
