package wiring_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/fx"

	"github.com/ade-go/ade/adapters/httpapi"
	"github.com/ade-go/ade/cmd/ade/wiring"
)

const samples = "../../../adapters/extractor/tabular/testdata/"

var _ = Describe("a tabular job through the API on embedded defaults", func() {
	It("extracts an uploaded XLSX, lists its tables and serves its outputs", func() {
		c, err := wiring.ConfigFromEnv(env(map[string]string{"ADE_HTTP_ADDR": "127.0.0.1:0", "ADE_DATA_DIR": GinkgoT().TempDir()}))
		Expect(err).NotTo(HaveOccurred())
		var srv *httpapi.Server
		app := fx.New(server(c), fx.Populate(&srv))
		Expect(app.Start(context.Background())).To(Succeed())
		DeferCleanup(func() { Expect(stop(app)).To(Succeed()) })

		xlsx, err := os.ReadFile(filepath.Join(samples, "ade-samples", "S01_clean_roster_alias_headers.xlsx"))
		Expect(err).NotTo(HaveOccurred())
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "S01_clean_roster_alias_headers.xlsx")
		_, _ = fw.Write(xlsx)
		Expect(mw.Close()).To(Succeed())
		req := newRequest("POST", "/api/v1/workspaces/default/documents", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		status, doc := do(srv, req)
		Expect(status).To(Equal(201), "%v", doc)
		Expect(doc["content_type"]).To(Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))

		payload, err := os.ReadFile(filepath.Join(samples, "people.json"))
		Expect(err).NotTo(HaveOccurred())
		req = newRequest("POST", "/api/v1/workspaces/default/configurations",
			bytes.NewBufferString(`{"document_type":"roster","title":"People","payload":`+string(payload)+`}`))
		req.Header.Set("Content-Type", "application/json")
		status, cfg := do(srv, req)
		Expect(status).To(Equal(201), "%v", cfg)

		req = newRequest("POST", "/api/v1/workspaces/default/jobs",
			bytes.NewBufferString(fmt.Sprintf(`{"document_id":%q,"configuration_id":%q}`, doc["document_id"], cfg["configuration_id"])))
		req.Header.Set("Content-Type", "application/json")
		status, job := do(srv, req)
		Expect(status).To(Equal(201), "%v", job)
		Expect(job["status"]).To(Equal("succeeded"), "%v", job)
		metrics := job["metrics"].(map[string]any)
		Expect(metrics["tables_detected"]).To(BeEquivalentTo(1))
		Expect(metrics["rows_extracted"]).To(BeEquivalentTo(110))
		Expect(metrics["input_sha256"]).To(Equal(doc["sha256"]))
		Expect(metrics).To(HaveKey("configuration_digest"))

		status, results := do(srv, newRequest("GET", fmt.Sprintf("/api/v1/workspaces/default/jobs/%s/results", job["job_id"]), nil))
		Expect(status).To(Equal(200))
		tables := results["tables"].([]any)
		Expect(tables).To(HaveLen(1))
		table := tables[0].(map[string]any)
		Expect(table["sheet"]).To(Equal("Member Roster"))
		Expect(table["row_count"]).To(BeEquivalentTo(110))
		Expect(table["metadata"].(map[string]any)["range"]).To(Equal("A1:K111"))
		Expect(table["columns"]).To(ContainElements("first_name", "middle_name", "last_name", "email"))

		outputs := results["output_documents"].([]any)
		Expect(outputs).To(HaveLen(1))
		out := outputs[0].(map[string]any)
		Expect(out["produced_by_job_id"]).To(Equal(job["job_id"]))
		resp, err := srv.Test(newRequest("GET", fmt.Sprintf("/api/v1/workspaces/default/documents/%s/download", out["document_id"]), nil), -1)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		body, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		Expect(err).NotTo(HaveOccurred())
		Expect(rows).To(HaveLen(111), "header + 110 rows")
		Expect(rows[0]).To(ContainElements("first_name", "email"))
	})
})

var _ = Describe("a tabular job on a bad input through the API", func() {
	DescribeTable("fails with the extractor's code, keeping nothing it produced",
		func(name string, body func() []byte, code string) {
			c, err := wiring.ConfigFromEnv(env(map[string]string{"ADE_HTTP_ADDR": "127.0.0.1:0", "ADE_DATABASE_URL": "memory://", "ADE_BLOB_URL": "mem://"}))
			Expect(err).NotTo(HaveOccurred())
			var srv *httpapi.Server
			app := fx.New(server(c), fx.Populate(&srv))
			Expect(app.Start(context.Background())).To(Succeed())
			DeferCleanup(func() { Expect(stop(app)).To(Succeed()) })

			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", name)
			_, _ = fw.Write(body())
			Expect(mw.Close()).To(Succeed())
			req := newRequest("POST", "/api/v1/workspaces/default/documents", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			status, doc := do(srv, req)
			Expect(status).To(Equal(201), "%v", doc)

			payload, err := os.ReadFile(filepath.Join(samples, "people.json"))
			Expect(err).NotTo(HaveOccurred())
			req = newRequest("POST", "/api/v1/workspaces/default/configurations",
				bytes.NewBufferString(`{"document_type":"roster","title":"People","payload":`+string(payload)+`}`))
			req.Header.Set("Content-Type", "application/json")
			_, cfg := do(srv, req)

			req = newRequest("POST", "/api/v1/workspaces/default/jobs",
				bytes.NewBufferString(fmt.Sprintf(`{"document_id":%q,"configuration_id":%q}`, doc["document_id"], cfg["configuration_id"])))
			req.Header.Set("Content-Type", "application/json")
			status, job := do(srv, req)
			Expect(status).To(Equal(201), "%v", job)
			Expect(job["status"]).To(Equal("failed"))
			Expect(job["error"]).To(HaveKeyWithValue("code", code))
			Expect(job["output_document_ids"]).To(BeEmpty())
			if code == "no_tables_found" {
				Expect(job["error"]).To(HaveKeyWithValue("message", ContainSubstring(`sheet "notes": prose only`)))
				Expect(job["logs"]).To(ContainElement(And(HaveKeyWithValue("message", "no table found"),
					HaveKeyWithValue("details", HaveKeyWithValue("reason", "prose_only")))))
			}
		},
		Entry("empty file", "empty.csv", func() []byte { return nil }, "empty_input"),
		Entry("password-protected workbook", "locked.xlsx", func() []byte {
			return append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 2048)...)
		}, "unsupported_format"),
		Entry("truncated workbook", "broken.xlsx", func() []byte {
			b, err := os.ReadFile(filepath.Join(samples, "ade-samples", "S01_clean_roster_alias_headers.xlsx"))
			Expect(err).NotTo(HaveOccurred())
			return b[:len(b)/2]
		}, "corrupt_input"),
		Entry("a document without any table", "notes.csv", func() []byte {
			return []byte("How to fill in this form\n\nOne member per row please.\n")
		}, "no_tables_found"),
	)
})

var _ = Describe("extraction limits and temporary files on a server", func() {
	It("fails a job past a configured limit naming it, and leaves no temporary file", func() {
		dataDir := GinkgoT().TempDir()
		c, err := wiring.ConfigFromEnv(env(map[string]string{"ADE_HTTP_ADDR": "127.0.0.1:0", "ADE_DATA_DIR": dataDir,
			"ADE_DATABASE_URL": "memory://", "ADE_MAX_CELLS_PER_ROW": "4"}))
		Expect(err).NotTo(HaveOccurred())
		// A spool directory a killed process left behind, with its files.
		stale := filepath.Join(c.SpoolRoot(), "ade-spool-crashed")
		Expect(os.MkdirAll(stale, 0o750)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(stale, ".lock"), nil, 0o600)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(stale, "ade-tabular-1.book"), []byte("spooled"), 0o600)).To(Succeed())

		var srv *httpapi.Server
		app := fx.New(server(c), fx.Populate(&srv))
		Expect(app.Start(context.Background())).To(Succeed())
		Expect(stale).NotTo(BeADirectory(), "swept at start-up")
		spools, err := filepath.Glob(filepath.Join(c.SpoolRoot(), "ade-spool-*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(spools).To(HaveLen(1), "this process's own")
		spool := spools[0]

		upload := func(name string, data []byte) string {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", name)
			_, _ = fw.Write(data)
			Expect(mw.Close()).To(Succeed())
			req := newRequest("POST", "/api/v1/workspaces/default/documents", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			status, doc := do(srv, req)
			Expect(status).To(Equal(201), "%v", doc)
			return doc["document_id"].(string)
		}
		payload, err := os.ReadFile(filepath.Join(samples, "people.json"))
		Expect(err).NotTo(HaveOccurred())
		req := newRequest("POST", "/api/v1/workspaces/default/configurations",
			bytes.NewBufferString(`{"document_type":"roster","title":"People","payload":`+string(payload)+`}`))
		req.Header.Set("Content-Type", "application/json")
		_, cfg := do(srv, req)
		submit := func(docID string) map[string]any {
			req := newRequest("POST", "/api/v1/workspaces/default/jobs",
				bytes.NewBufferString(fmt.Sprintf(`{"document_id":%q,"configuration_id":%q}`, docID, cfg["configuration_id"])))
			req.Header.Set("Content-Type", "application/json")
			status, job := do(srv, req)
			Expect(status).To(Equal(201), "%v", job)
			return job
		}
		spooled := func() []string {
			entries, err := os.ReadDir(spool)
			Expect(err).NotTo(HaveOccurred())
			var names []string
			for _, e := range entries {
				if e.Name() != ".lock" {
					names = append(names, e.Name())
				}
			}
			return names
		}

		job := submit(upload("wide.csv", []byte("First Name,Last Name,Email,Phone,City\nAnn,Lee,a@x.org,1,Oslo\nBob,Ray,b@x.org,2,Rome\n")))
		Expect(job["status"]).To(Equal("failed"))
		Expect(job["error"]).To(HaveKeyWithValue("code", "input_too_large"))
		Expect(job["error"]).To(HaveKeyWithValue("message", ContainSubstring("over the limit of 4 cells per row at row 1")))
		Expect(job["metrics"]).To(HaveKeyWithValue("limit_exceeded", "cells per row"))
		Expect(job["metrics"]).To(HaveKeyWithValue("limit_value", BeEquivalentTo(4)))
		Expect(job["metrics"]).To(HaveKeyWithValue("input_format", "csv"))
		Expect(spooled()).To(BeEmpty())

		// A workbook is spooled while it is read, and removed after.
		book, err := os.ReadFile(filepath.Join(samples, "ade-samples", "S01_clean_roster_alias_headers.xlsx"))
		Expect(err).NotTo(HaveOccurred())
		job = submit(upload("roster.xlsx", book))
		Expect(job["error"]).To(HaveKeyWithValue("code", "input_too_large"), "S01 has 11 columns")
		Expect(spooled()).To(BeEmpty())

		Expect(stop(app)).To(Succeed())
		Expect(spool).NotTo(BeADirectory(), "removed at stop")
	})
})
