package wiring_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/fx"

	"github.com/ade-go/ade/adapters/httpapi"
)

// fields_missing, as docs/configuration.md states it: each table's
// metadata lists the configured fields no column maps to, and an empty
// list (never null) when every field is found.
var _ = Describe("fields_missing in a tabular job's tables", func() {
	It("lists exactly the fields not found, and is empty when all are", func() {
		var srv *httpapi.Server
		app := fx.New(server(memoryConfig()), fx.Populate(&srv))
		Expect(app.Start(context.Background())).To(Succeed())
		DeferCleanup(func() { Expect(stop(app)).To(Succeed()) })

		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "people.csv")
		_, _ = fw.Write([]byte("Name,City\nAnn,Oslo\nBob,Rome\n"))
		Expect(mw.Close()).To(Succeed())
		req := newRequest("POST", "/api/v1/workspaces/default/documents", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		status, doc := do(srv, req)
		Expect(status).To(Equal(201), "%v", doc)

		missing := func(fields string) []any {
			GinkgoHelper()
			req := newRequest("POST", "/api/v1/workspaces/default/configurations", bytes.NewBufferString(
				`{"document_type":"people","title":"People","payload":{"extractor":"tabular","fields":`+fields+`}}`))
			req.Header.Set("Content-Type", "application/json")
			status, cfg := do(srv, req)
			Expect(status).To(Equal(201), "%v", cfg)
			req = newRequest("POST", "/api/v1/workspaces/default/jobs", bytes.NewBufferString(
				fmt.Sprintf(`{"document_id":%q,"configuration_id":%q}`, doc["document_id"], cfg["configuration_id"])))
			req.Header.Set("Content-Type", "application/json")
			status, job := do(srv, req)
			Expect(status).To(Equal(201), "%v", job)
			Expect(job["status"]).To(Equal("succeeded"), "%v", job)
			status, res := do(srv, newRequest("GET", "/api/v1/workspaces/default/jobs/"+job["job_id"].(string)+"/results", nil))
			Expect(status).To(Equal(200), "%v", res)
			tables := res["tables"].([]any)
			Expect(tables).To(HaveLen(1))
			meta := tables[0].(map[string]any)["metadata"].(map[string]any)
			Expect(meta).To(HaveKey("fields_missing"))
			list, ok := meta["fields_missing"].([]any)
			Expect(ok).To(BeTrue(), "fields_missing is a list, never null: %v", meta["fields_missing"])
			return list
		}
		Expect(missing(`[{"name":"name"},{"name":"city"}]`)).To(BeEmpty())
		Expect(missing(`[{"name":"name"},{"name":"email","required":true},{"name":"city"},{"name":"phone"}]`)).To(Equal([]any{"email", "phone"}))
	})
})
