package tabular_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"

	"github.com/ade-go/ade/ports"
)

// sheetSpec describes one worksheet of a generated workbook.
type sheetSpec struct {
	name   string
	cells  map[string]any // A1 ref -> value
	rows   [][]any        // or rows from A1 ("" = empty)
	hidden []string       // hidden column letters
	merges [][2]string
}

func buildXLSX(active int, sheets ...sheetSpec) []byte {
	GinkgoHelper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			Expect(f.SetSheetName("Sheet1", s.name)).To(Succeed())
		} else {
			_, err := f.NewSheet(s.name)
			Expect(err).NotTo(HaveOccurred())
		}
		for r, row := range s.rows {
			for c, v := range row {
				if v == "" || v == nil {
					continue
				}
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				Expect(f.SetCellValue(s.name, ref, v)).To(Succeed())
			}
		}
		for ref, v := range s.cells {
			Expect(f.SetCellValue(s.name, ref, v)).To(Succeed())
		}
		for _, col := range s.hidden {
			Expect(f.SetColVisible(s.name, col, false)).To(Succeed())
		}
		for _, m := range s.merges {
			Expect(f.MergeCell(s.name, m[0], m[1])).To(Succeed())
		}
	}
	f.SetActiveSheet(active)
	var buf bytes.Buffer
	Expect(f.Write(&buf)).To(Succeed())
	return buf.Bytes()
}

func ranges(res ports.ExtractionResult) []string {
	var out []string
	for _, t := range res.Tables {
		out = append(out, t.Metadata["range"].(string))
	}
	return out
}

func headersOf(t ports.ExtractedTable) []string {
	var out []string
	for _, c := range t.Metadata["columns"].([]any) {
		out = append(out, c.(map[string]any)["header"].(string))
	}
	return out
}

func people(n int, offset int) [][]any {
	var rows [][]any
	for i := range n {
		rows = append(rows, []any{fmt.Sprintf("Person %c%d", 'A'+i%26, i+offset), fmt.Sprintf("p%d@example.org", i+offset), (i + 1) * 10})
	}
	return rows
}

var _ = Describe("Table detection", func() {
	It("finds a table away from A1 with title rows above and notes below", func() {
		s := sheetSpec{name: "Report", cells: map[string]any{"A1": "Quarterly report", "A2": "Prepared by ops"}}
		s.cells["C4"], s.cells["D4"], s.cells["E4"] = "Name", "Email", "Amount"
		for i, r := range people(12, 0) {
			for j, v := range r {
				ref, _ := excelize.CoordinatesToCellName(3+j, 5+i)
				s.cells[ref] = v
			}
		}
		s.cells["C18"] = "Note: amounts are in CAD, figures unaudited."
		s.cells["C19"], s.cells["E19"] = "Total", 780
		res := mustRun(bytesDoc("r.xlsx", buildXLSX(0, s)), simplePayload(nil), nil)
		Expect(ranges(res)).To(Equal([]string{"C4:E16"}))
		Expect(res.Tables[0].RowCount).To(Equal(12))
		Expect(res.Tables[0].Columns).To(Equal([]string{"name", "email", "Amount"}))
	})

	It("splits two tables side by side in the same rows", func() {
		rows := [][]any{{"Name", "Email", "Hours", "", "Item", "Qty", "Price"}}
		for i := range 9 {
			r := []any{fmt.Sprintf("N%d", i), fmt.Sprintf("n%d@x.org", i), i + 1, ""}
			if i < 5 {
				r = append(r, fmt.Sprintf("Item %d", i), i*2, fmt.Sprintf("%d.50", i))
			}
			rows = append(rows, r)
		}
		res := mustRun(bytesDoc("s.xlsx", buildXLSX(0, sheetSpec{name: "Both", rows: rows})), simplePayload(nil), nil)
		Expect(ranges(res)).To(Equal([]string{"A1:C10", "E1:G6"}))
		Expect(res.Tables[0].RowCount).To(Equal(9))
		Expect(res.Tables[1].RowCount).To(Equal(5))
		Expect(res.Tables[0].Title).To(Equal("Both 1"))
		Expect(res.Tables[1].Title).To(Equal("Both 2"))
		Expect(headersOf(res.Tables[1])).To(Equal([]string{"Item", "Qty", "Price"}))
	})

	It("names blank headers after their column and numbers duplicates", func() {
		rows := [][]any{{"Name", "", "Amount", "amount", "Amount"}}
		for i := range 5 {
			rows = append(rows, []any{fmt.Sprintf("N%d", i), fmt.Sprintf("x%d", i), i, i * 2, i * 3})
		}
		res := mustRun(bytesDoc("d.xlsx", buildXLSX(0, sheetSpec{name: "S", rows: rows})), simplePayload(nil), nil)
		Expect(ranges(res)).To(Equal([]string{"A1:E6"}))
		Expect(headersOf(res.Tables[0])).To(Equal([]string{"Name", "column_B", "Amount", "amount_2", "Amount_3"}))
		Expect(res.Tables[0].Columns).To(Equal([]string{"name", "column_B", "Amount", "amount_2", "Amount_3"}))
		Expect(res.Logs).To(ContainElement(HaveField("Message", "blank or duplicate headers renamed")))
	})

	It("reads hidden columns as data and flags them", func() {
		rows := [][]any{{"Name", "Internal ID", "Email"}}
		for i := range 4 {
			rows = append(rows, []any{fmt.Sprintf("N%d", i), fmt.Sprintf("ID-%d", i), fmt.Sprintf("n%d@x.org", i)})
		}
		res := mustRun(bytesDoc("h.xlsx", buildXLSX(0, sheetSpec{name: "S", rows: rows, hidden: []string{"B"}})), simplePayload(nil), nil)
		Expect(res.Tables).To(HaveLen(1))
		cols := res.Tables[0].Metadata["columns"].([]any)
		Expect(cols[1]).To(HaveKeyWithValue("hidden", true))
		Expect(cols[0]).To(HaveKeyWithValue("hidden", false))
		Expect(res.Tables[0].Columns).To(Equal([]string{"name", "Internal ID", "email"}))
		Expect(res.Logs).To(ContainElement(HaveField("Message", "hidden columns read as data")))
	})

	Describe("a document without tables", func() {
		var doc ports.SourceDocument
		BeforeEach(func() {
			prose := sheetSpec{name: "Instructions", rows: [][]any{
				{"How to fill in this workbook"}, {""}, {"1. Enter one member per row on the Data sheet."},
				{"2. Do not rename the headers."}, {"Questions: ops@example.org"},
			}}
			doc = bytesDoc("p.xlsx", buildXLSX(0, prose))
		})
		It("fails with no_tables_found, saying why for each sheet", func() {
			res, err := run(doc, simplePayload(nil), nil)
			Expect(extractionCode(err)).To(Equal("no_tables_found"))
			Expect(err.Error()).To(ContainSubstring(`sheet "Instructions": prose only`))
			Expect(res.Logs).To(ContainElement(And(HaveField("Message", "no table found"),
				HaveField("Details", HaveKeyWithValue("reason", "prose_only")))))
		})
		It("succeeds with no table when allow_empty is set", func() {
			res := mustRun(doc, simplePayload(map[string]any{"allow_empty": true}), nil)
			Expect(res.Tables).To(BeEmpty())
			Expect(res.Metrics["tables_detected"]).To(Equal(0))
			Expect(res.Logs).To(ContainElement(HaveField("Message", "no table found")))
		})
	})

	Describe("sheet selection", func() {
		var doc ports.SourceDocument
		BeforeEach(func() {
			data := sheetSpec{name: "Data", rows: append([][]any{{"Name", "Email", "N"}}, people(3, 0)...)}
			other := sheetSpec{name: "Other", rows: append([][]any{{"Name", "Email", "N"}}, people(4, 0)...)}
			doc = bytesDoc("m.xlsx", buildXLSX(1, data, other))
		})
		It("reads all sheets by default", func() {
			res := mustRun(doc, simplePayload(nil), nil)
			Expect(res.Tables).To(HaveLen(2))
			Expect(res.Metrics["sheets_scanned"]).To(Equal(2))
		})
		It("reads only the active sheet", func() {
			res := mustRun(doc, simplePayload(map[string]any{"sheets": "active"}), nil)
			Expect(res.Tables).To(HaveLen(1))
			Expect(res.Tables[0].Sheet).To(Equal("Other"))
		})
		It("reads listed sheets and warns about missing ones", func() {
			res := mustRun(doc, simplePayload(map[string]any{"sheets": []any{"Data", "Nope"}}), nil)
			Expect(res.Tables).To(HaveLen(1))
			Expect(res.Tables[0].Sheet).To(Equal("Data"))
			Expect(res.Logs).To(ContainElement(HaveField("Message", "sheet not found")))
		})
	})

	It("ends a table at a new header row that follows its data directly", func() {
		rows := [][]any{{"Name", "Email", "Hours"}}
		rows = append(rows, people(5, 0)...)
		rows = append(rows, []any{"Name", "Email", "Hours"})
		rows = append(rows, people(6, 100)...)
		res := mustRun(bytesDoc("n.xlsx", buildXLSX(0, sheetSpec{name: "S", rows: rows})), simplePayload(nil), nil)
		Expect(ranges(res)).To(Equal([]string{"A1:C6", "A7:C13"}))
	})

	It("splits tables separated by blank rows and a section title", func() {
		rows := [][]any{{"Crew A"}, {"Name", "Email", "Hours"}}
		rows = append(rows, people(4, 0)...)
		rows = append(rows, []any{""}, []any{""}, []any{"Crew B"}, []any{"Full Name", "E-mail", "Hours"})
		rows = append(rows, people(3, 50)...)
		res := mustRun(bytesDoc("v.xlsx", buildXLSX(0, sheetSpec{name: "S", rows: rows})), simplePayload(nil), nil)
		Expect(ranges(res)).To(Equal([]string{"A2:C6", "A10:C13"}))
	})

	It("joins the text of merged group headers with the leaf headers", func() {
		rows := [][]any{{"Person", "", "Pay", ""}, {"Name", "Email", "Hours", "Rate"}}
		for i := range 4 {
			rows = append(rows, []any{fmt.Sprintf("N%d", i), fmt.Sprintf("n%d@x.org", i), i + 30, "25.50"})
		}
		s := sheetSpec{name: "S", rows: rows, merges: [][2]string{{"A1", "B1"}, {"C1", "D1"}}}
		res := mustRun(bytesDoc("g.xlsx", buildXLSX(0, s)), simplePayload(nil), nil)
		Expect(ranges(res)).To(Equal([]string{"A1:D6"}))
		Expect(headersOf(res.Tables[0])).To(Equal([]string{"Person Name", "Person Email", "Pay Hours", "Pay Rate"}))
		Expect(mapping(res.Tables[0])).To(Equal(map[string]any{"name": "Person Name", "email": "Person Email"}))
	})

	Describe("CSV quirks", func() {
		It("strips a BOM and keeps quoted newlines inside one cell", func() {
			csv := "\ufeffName,Email,Notes\r\nAnn,ann@x.org,\"line one\r\nline two\"\r\nBob,bob@x.org,plain\r\n\r\nCy,cy@x.org,\"a, b\"\r\n"
			sink := newMemSink()
			res := mustRun(bytesDoc("q.csv", []byte(csv)), simplePayload(nil), sink)
			Expect(res.Tables).To(HaveLen(1))
			Expect(res.Tables[0].Columns).To(Equal([]string{"name", "email", "Notes"}))
			Expect(res.Tables[0].RowCount).To(Equal(3))
			// One spreadsheet row per record, blank lines included.
			Expect(res.Tables[0].Metadata["range"]).To(Equal("A1:C5"))
			rows := sink.csvRows("q-1.csv")
			Expect(rows[1][2]).To(Equal("line one\nline two"))
			Expect(rows[3][2]).To(Equal("a, b"))
		})
		It("finds a CSV table below a preamble", func() {
			csv := "Export of members\nGenerated 2026-01-30\n\nName,Email,Local\nAnn,ann@x.org,Local 1\nBob,bob@x.org,Local 2\nCy,cy@x.org,Local 3\n\nEnd of export\n"
			res := mustRun(bytesDoc("p.csv", []byte(csv)), simplePayload(nil), nil)
			Expect(ranges(res)).To(Equal([]string{"A4:C7"}))
		})
	})

	Describe("field mapping", func() {
		It("maps by value pattern when no header matches, leftmost on ties", func() {
			p := map[string]any{"fields": []any{map[string]any{"name": "email", "pattern": `^\S+@\S+\.\S+$`}}}
			csv := "Who,Contact,Backup\nAnn,ann@x.org,a2@x.org\nBob,bob@x.org,b2@x.org\nCy,n/a,c2@x.org\n"
			res := mustRun(bytesDoc("m.csv", []byte(csv)), p, nil)
			Expect(mapping(res.Tables[0])).To(Equal(map[string]any{"email": "Backup"}), "Backup matches 3/3, Contact 2/3")
			csv = "Who,Contact,Backup\nAnn,ann@x.org,a2@x.org\nBob,bob@x.org,b2@x.org\n"
			res = mustRun(bytesDoc("m.csv", []byte(csv)), p, nil)
			Expect(mapping(res.Tables[0])).To(Equal(map[string]any{"email": "Contact"}))
		})
		It("gives each column to one field at most, the first field in payload order", func() {
			p := map[string]any{"fields": []any{
				map[string]any{"name": "a", "synonyms": []any{"name"}},
				map[string]any{"name": "b", "synonyms": []any{"name"}},
			}}
			res := mustRun(bytesDoc("m.csv", []byte("Name,Name,X\n1,2,3\n4,5,6\n")), p, nil)
			Expect(mapping(res.Tables[0])).To(Equal(map[string]any{"a": "Name", "b": "Name_2"}))
		})
		It("drops unmapped columns when keep_unmapped_columns is false", func() {
			sink := newMemSink()
			res := mustRun(fileDoc(fixture("S01_clean_roster_alias_headers.xlsx")),
				func() map[string]any { p := peoplePayload(); p["keep_unmapped_columns"] = false; return p }(), sink)
			Expect(res.Tables[0].Columns).To(Equal([]string{"first_name", "middle_name", "last_name", "email"}))
			Expect(sink.csvRows(res.Tables[0].Metadata["output"].(string))[0]).To(Equal(res.Tables[0].Columns))
			Expect(res.Metrics["columns_unmapped"]).To(Equal(7))
		})
		It("counts invalid values per row and keeps the rows", func() {
			p := map[string]any{"fields": []any{
				map[string]any{"name": "name", "required": true},
				map[string]any{"name": "email", "validate": map[string]any{"pattern": `^\S+@\S+$`}},
				map[string]any{"name": "joined", "transforms": []any{"date"}},
			}}
			csv := "Name,Email,Joined\nAnn,ann@x.org,2024-01-02\n,bad,soon\nCy,cy@x.org,3/4/2024\n"
			sink := newMemSink()
			res := mustRun(bytesDoc("v.csv", []byte(csv)), p, sink)
			Expect(res.Tables[0].RowCount).To(Equal(3))
			Expect(res.Metrics["values_invalid"]).To(Equal(3))
			Expect(res.Tables[0].Metadata["rows_invalid"]).To(Equal(1))
			Expect(res.Tables[0].Metadata["invalid_values"]).To(ConsistOf(
				map[string]any{"row": 3, "field": "name", "issue": "required value missing"},
				map[string]any{"row": 3, "field": "email", "issue": "fails validate.pattern"},
				map[string]any{"row": 3, "field": "joined", "issue": "unparsable date"},
			))
			rows := sink.csvRows("v-1.csv")
			Expect(rows[2]).To(Equal([]string{"", "bad", "soon"}))
			Expect(rows[3][2]).To(Equal("2024-03-04"))
			Expect(res.Logs).To(ContainElement(HaveField("Message", "rows with invalid values")))
		})
	})

	It("writes one XLSX workbook with a sheet per table", func() {
		sink := newMemSink()
		p := peoplePayload()
		p["output_format"] = "xlsx"
		res := mustRun(fileDoc(fixture("S02_two_tables_vertical_same_sheet.xlsx")), p, sink)
		Expect(sink.names()).To(Equal([]string{"S02_two_tables_vertical_same_sheet-tables.xlsx"}))
		f, err := excelize.OpenReader(bytes.NewReader(sink.files[sink.names()[0]]))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		Expect(f.GetSheetList()).To(Equal([]string{"Weekly Payroll 1", "Weekly Payroll 2"}))
		rows, err := f.GetRows("Weekly Payroll 2")
		Expect(err).NotTo(HaveOccurred())
		Expect(rows).To(HaveLen(34))
		Expect(rows[0][:4]).To(Equal([]string{"first_name", "middle_name", "last_name", "email"}))
		Expect(res.Tables[1].Metadata["output"]).To(Equal("Weekly Payroll 2"))
	})

	It("titles tables by sheet and index and names CSV outputs after the input", func() {
		sink := newMemSink()
		mustRun(fileDoc(fixture("S02_two_tables_vertical_same_sheet.xlsx")), peoplePayload(), sink)
		Expect(sink.names()).To(Equal([]string{
			"S02_two_tables_vertical_same_sheet-Weekly_Payroll-1.csv",
			"S02_two_tables_vertical_same_sheet-Weekly_Payroll-2.csv",
		}))
		Expect(sink.open).To(BeZero())
		Expect(strings.Count(string(sink.files[sink.names()[0]]), "\n")).To(Equal(25))
	})
})

var _ = Describe("Side-by-side tables of different lengths", func() {
	It("keeps the longer table going past the shorter one's totals line, which it keeps as data", func() {
		rows := [][]any{{"Name", "Email", "Hours", "", "Item", "Qty"}}
		for i := range 8 {
			r := []any{fmt.Sprintf("N%d", i), fmt.Sprintf("n%d@x.org", i), i + 1, ""}
			switch {
			case i < 3:
				r = append(r, fmt.Sprintf("Item %d", i), i*2)
			case i == 3:
				r = append(r, "Total", 6)
			}
			rows = append(rows, r)
		}
		res := mustRun(bytesDoc("s.xlsx", buildXLSX(0, sheetSpec{name: "S", rows: rows})), simplePayload(nil), nil)
		Expect(ranges(res)).To(Equal([]string{"A1:C9", "E1:F5"}))
		Expect(res.Tables[1].Metadata["total_rows"]).To(Equal([]any{5}))
	})
})

var _ = Describe("CSV outputs", func() {
	It("quote exactly as encoding/csv does, carriage returns included", func() {
		rows := [][]any{{"Name", "Notes"}, {"Ann", "a\r\nb"}, {"Bob", " lead \"x\", y"}, {"Cy", "\\."}}
		sink := newMemSink()
		res := mustRun(bytesDoc("c.xlsx", buildXLSX(0, sheetSpec{name: "S", rows: rows})), simplePayload(nil), sink)
		got := sink.files[res.Tables[0].Metadata["output"].(string)]
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		Expect(w.WriteAll([][]string{{"name", "Notes"}, {"Ann", "a\r\nb"}, {"Bob", " lead \"x\", y"}, {"Cy", "\\."}})).To(Succeed())
		Expect(string(got)).To(Equal(want.String()))
	})
})
