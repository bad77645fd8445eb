package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/storetest"
)

// nulCells is an extractor whose table, metrics, logs and error carry NUL
// and invalid UTF-8, as text read from a hostile spreadsheet may.
type nulCells struct{}

func (nulCells) Name() string                         { return "nul_cells" }
func (nulCells) ValidatePayload(map[string]any) error { return nil }
func (nulCells) Extract(context.Context, ports.ExtractionRequest) (ports.ExtractionResult, error) {
	return ports.ExtractionResult{
		Tables: []ports.ExtractedTable{{Title: "Sheet\x00", Sheet: "S\xff", RowCount: 1, Columns: []string{"na\x00me"},
			SampleRows: []map[string]any{{"na\x00me": "Ann\x00ie", "n": json.Number("123456789012345678901")}},
			Metadata:   map[string]any{"header\x00": "x\x00"}}},
		Metrics: map[string]any{"note": "\x00"},
		Logs:    []domain.LogEntry{{Level: domain.LogWarn, Message: "cell A1 holds \x00", Details: map[string]any{"cell": "\x00"}}},
	}, nil
}

// What a document holds is stored on every backend: NUL and invalid UTF-8
// become U+FFFD (PostgreSQL text and jsonb cannot hold NUL), the same on
// each, so a job's results never depend on the store.
var _ = Describe("Extracted text on every store", func() {
	for _, b := range storetest.All() {
		Context("on "+b.Name, func() {
			var e *env
			BeforeEach(func() { e = newEnvOn(b, app.Config{}, nulCells{}, tabular.New()) })

			run := func(docBody, filename string, payload map[string]any) (*domain.Job, app.Results) {
				GinkgoHelper()
				doc, err := e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: filename, Body: strings.NewReader(docBody)})
				Expect(err).NotTo(HaveOccurred())
				cfg, err := e.app.Configurations.Create(e.ctx, app.CreateConfigurationRequest{WorkspaceID: e.ws, DocumentType: "roster", Title: "T", Payload: payload})
				Expect(err).NotTo(HaveOccurred())
				j, err := e.app.Jobs.Submit(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID()})
				Expect(err).NotTo(HaveOccurred())
				res, err := e.app.Jobs.Results(e.ctx, e.ws, j.ID(), app.PageRequest{})
				Expect(err).NotTo(HaveOccurred())
				return j, res
			}

			It("stores an extractor's NUL and invalid UTF-8 as U+FFFD, and the job succeeds", func() {
				j, res := run("x", "in.csv", map[string]any{"extractor": "nul_cells"})
				Expect(j.Status()).To(Equal(domain.JobSucceeded), "%+v", j.Error())
				Expect(res.Tables.Items).To(HaveLen(1))
				t := res.Tables.Items[0].State()
				Expect(t.Title).To(Equal("Sheet\uFFFD"))
				Expect(t.Sheet).To(Equal("S\uFFFD"))
				Expect(t.Columns).To(Equal([]string{"na\uFFFDme"}))
				Expect(t.SampleRows).To(Equal([]map[string]any{{"na\uFFFDme": "Ann\uFFFDie", "n": json.Number("123456789012345678901")}}))
				Expect(t.Metadata).To(Equal(map[string]any{"header\uFFFD": "x\uFFFD"}))
				stored, err := e.app.Jobs.Get(e.ctx, e.ws, j.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(stored.State().Metrics).To(HaveKeyWithValue("note", "\uFFFD"))
				Expect(stored.State().Logs[0].Message).To(Equal("cell A1 holds \uFFFD"))
			})

			It("runs the tabular extractor on a workbook whose cells hold NUL", func() {
				f := excelize.NewFile()
				// Excel writes a NUL in a cell as _x0000_, which readers decode back.
				rows := [][]string{{"name", "email"}, {"Ann_x0000_ie", "ann@example.com"}, {"Bo_x0000_b", "bob@example.com"}}
				for r, row := range rows {
					for c, v := range row {
						cell, err := excelize.CoordinatesToCellName(c+1, r+1)
						Expect(err).NotTo(HaveOccurred())
						Expect(f.SetCellStr("Sheet1", cell, v)).To(Succeed())
					}
				}
				var buf bytes.Buffer
				Expect(f.Write(&buf)).To(Succeed())
				j, res := run(buf.String(), "in.xlsx", map[string]any{"extractor": "tabular", "fields": []any{
					map[string]any{"name": "name", "synonyms": []any{"name"}},
					map[string]any{"name": "email", "synonyms": []any{"email"}},
				}})
				Expect(j.Status()).To(Equal(domain.JobSucceeded), "%+v", j.Error())
				Expect(res.Tables.Items).To(HaveLen(1))
				Expect(res.Tables.Items[0].State().SampleRows).To(ContainElement(HaveKeyWithValue("name", "Ann\uFFFDie")))
			})
		})
	}
})
