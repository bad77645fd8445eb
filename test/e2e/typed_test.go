package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"
)

// remittances holds the tabular extractor's remittance fixtures.
var remittances = filepath.Join("..", "..", "adapters", "extractor", "tabular", "testdata", "remittance")

var _ = Describe("typed fields through the API", Ordered, ContinueOnFailure, func() {
	var (
		srv      *adeServer
		api      string
		payload  map[string]any
		document string
	)

	BeforeAll(func() {
		b := sqliteFiles()
		b.prepare()
		srv = startServer(b, serverOptions{})
		ws := "typed-" + randomHex(4)
		srv.postJSON("/api/v1/workspaces", map[string]any{"slug": ws, "name": "Typed"}).expect(http.StatusCreated)
		api = "/api/v1/workspaces/" + ws
		raw, err := os.ReadFile(filepath.Join(remittances, "remittance.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(raw, &payload)).To(Succeed())
		payload["output_format"] = "xlsx"
		csv, err := os.ReadFile(filepath.Join(remittances, "remittance-short.csv"))
		Expect(err).NotTo(HaveOccurred())
		document = srv.upload(ws, &filePart{name: "remittance-short.csv", contentType: "text/csv", data: csv}).
			expect(http.StatusCreated).ID("document_id")
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() && srv != nil {
			GinkgoWriter.Println(srv.output())
		}
	})

	It("refuses a misplaced or invalid type option with 422 naming its path", func() {
		bad := map[string]any{"extractor": "tabular", "fields": []any{
			map[string]any{"name": "id"},
			map[string]any{"name": "amount", "type": "money", "decimal": ";", "region": "CA"},
			map[string]any{"name": "rate", "type": "ratio"},
		}}
		p := expectProblem(srv.postJSON(api+"/configurations", map[string]any{"document_type": "remittance", "title": "Bad", "payload": bad}),
			http.StatusUnprocessableEntity, "unprocessable")
		Expect(fieldsOf(p)).To(Equal([]string{"payload.fields[1].decimal", "payload.fields[1].region", "payload.fields[2].type"}))
	})

	It("audits a remittance's total, warns about the cent it is short, and writes typed XLSX cells", func() {
		cfg := srv.postJSON(api+"/configurations", map[string]any{"document_type": "remittance", "title": "Dues", "payload": payload}).
			expect(http.StatusCreated).ID("configuration_id")
		job := srv.postJSON(api+"/jobs", map[string]any{"document_id": document, "configuration_id": cfg}).expect(http.StatusCreated).JSON()
		Expect(job).To(HaveKeyWithValue("status", "succeeded"))
		Expect(job["metrics"]).To(And(HaveKeyWithValue("totals_checked", BeNumerically("==", 3)),
			HaveKeyWithValue("totals_mismatched", BeNumerically("==", 1)), HaveKeyWithValue("values_invalid", BeNumerically("==", 0))))
		var mismatches []any
		for _, l := range job["logs"].([]any) {
			if e := l.(map[string]any); e["message"] == "total mismatch" {
				Expect(e).To(HaveKeyWithValue("level", "warn"))
				mismatches = append(mismatches, e["details"])
			}
		}
		Expect(mismatches).To(ConsistOf(And(HaveKeyWithValue("column", "F"), HaveKeyWithValue("stated", "411.11 EUR"),
			HaveKeyWithValue("computed", "411.12 EUR"))))

		res := srv.get(api + "/jobs/" + job["job_id"].(string) + "/results").expect(http.StatusOK).JSON()
		table := res["tables"].([]any)[0].(map[string]any)
		meta := table["metadata"].(map[string]any)
		Expect(meta["totals"]).To(HaveKeyWithValue("mismatched", BeNumerically("==", 1)))
		inferred := map[string]any{}
		for _, c := range meta["columns"].([]any) {
			col := c.(map[string]any)
			inferred[col["header"].(string)] = col["inferred"].(map[string]any)["type"]
		}
		Expect(inferred).To(HaveKeyWithValue("Gross Wages", "money"))
		Expect(inferred).To(HaveKeyWithValue("Hours", "number"))
		Expect(table["sample_rows"]).To(ContainElement(HaveKeyWithValue("dues", "-3.84 EUR")))

		outputs := job["output_document_ids"].([]any)
		Expect(outputs).To(HaveLen(1))
		xlsx := srv.get(api + "/documents/" + outputs[0].(string) + "/download").expect(http.StatusOK).Body
		f, err := excelize.OpenReader(bytes.NewReader(xlsx))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		sheet := f.GetSheetList()[0]
		for ref, want := range map[string]string{"E2": "5120.00", "F9": "-3.84", "D8": "144.5", "F10": "411.11"} {
			raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
			Expect(err).NotTo(HaveOccurred())
			Expect(raw).To(Equal(want), ref)
			typ, err := f.GetCellType(sheet, ref)
			Expect(err).NotTo(HaveOccurred())
			Expect(typ).To(Equal(excelize.CellTypeUnset), "%s is a number cell", ref)
		}
		shown, err := f.GetCellValue(sheet, "F9")
		Expect(err).NotTo(HaveOccurred())
		Expect(shown).To(Equal("-3.84 EUR"))
	})
})
