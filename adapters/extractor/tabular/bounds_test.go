package tabular_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/ports"
)

// hostileCells is a table whose cells a spreadsheet would evaluate.
const hostileCells = "Name,Note,Amount\n" +
	"Ann,\"=HYPERLINK(\"\"http://x.test\"\",\"\"click\"\")\",-12.5\n" +
	"Bob,@SUM(A1:A9),+3\n" +
	"Cy,\"=cmd|' /C calc'!A0\",-\n"

// extractWith runs an extractor with the given limits and temporary
// directory.
func extractWith(lim tabular.Limits, tempDir string, doc ports.SourceDocument, payload map[string]any, sink ports.OutputSink) (ports.ExtractionResult, error) {
	ex := &tabular.Extractor{TempDir: tempDir, Limits: lim}
	return ex.Extract(context.Background(), ports.ExtractionRequest{JobID: "job-1", Payload: payload, Document: doc, Outputs: sink})
}

// filesIn lists a directory's files.
func filesIn(dir string) []string {
	GinkgoHelper()
	entries, err := os.ReadDir(dir)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

var _ = Describe("Formula-safe outputs", func() {
	It("prefix CSV cells a spreadsheet would evaluate, keeping plain numbers", func() {
		sink := newMemSink()
		res := mustRun(bytesDoc("notes.csv", []byte(hostileCells)), simplePayload(nil), sink)
		Expect(sink.csvRows("notes-1.csv")).To(Equal([][]string{
			{"name", "Note", "Amount"},
			{"Ann", `'=HYPERLINK("http://x.test","click")`, "-12.5"},
			{"Bob", "'@SUM(A1:A9)", "+3"},
			{"Cy", `'=cmd|' /C calc'!A0`, "'-"},
		}))
		// The table record keeps the values as they are.
		Expect(res.Tables[0].SampleRows[1]).To(HaveKeyWithValue("Note", "@SUM(A1:A9)"))
	})

	It("write CSV cells as they are with escape_formulas false", func() {
		sink := newMemSink()
		mustRun(bytesDoc("notes.csv", []byte(hostileCells)), simplePayload(map[string]any{"escape_formulas": false}), sink)
		rows := sink.csvRows("notes-1.csv")
		Expect(rows[1][1]).To(Equal(`=HYPERLINK("http://x.test","click")`))
		Expect(rows[3][2]).To(Equal("-"))
	})

	It("write XLSX cells as strings, never as formulas", func() {
		sink := newMemSink()
		mustRun(bytesDoc("notes.csv", []byte(hostileCells)), simplePayload(map[string]any{"output_format": "xlsx"}), sink)
		data := sink.files["notes-tables.xlsx"]
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		Expect(err).NotTo(HaveOccurred())
		var sheetXML []byte
		for _, f := range zr.File {
			if f.Name == "xl/worksheets/sheet1.xml" {
				rc, err := f.Open()
				Expect(err).NotTo(HaveOccurred())
				sheetXML, err = io.ReadAll(rc)
				Expect(err).NotTo(HaveOccurred())
				rc.Close()
			}
		}
		var ws struct {
			Cells []struct {
				Ref     string    `xml:"r,attr"`
				Type    string    `xml:"t,attr"`
				Formula *struct{} `xml:"f"`
				Text    string    `xml:"is>t"`
			} `xml:"sheetData>row>c"`
		}
		Expect(xml.Unmarshal(sheetXML, &ws)).To(Succeed())
		texts := map[string]string{}
		for _, c := range ws.Cells {
			Expect(c.Type).To(Equal("inlineStr"), c.Ref)
			Expect(c.Formula).To(BeNil(), c.Ref)
			texts[c.Ref] = c.Text
		}
		Expect(texts).To(HaveKeyWithValue("B2", `=HYPERLINK("http://x.test","click")`))

		f, err := excelize.OpenReader(bytes.NewReader(data))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		formula, err := f.GetCellFormula("notes 1", "B2")
		Expect(err).NotTo(HaveOccurred())
		Expect(formula).To(BeEmpty())
		v, err := f.GetCellValue("notes 1", "B2")
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(Equal(`=HYPERLINK("http://x.test","click")`))
	})
})

// typedHostile is a table of typed columns with values a spreadsheet
// would evaluate: as written, and canonical ones beginning with '-' or '+'.
const typedHostile = "Line,Note,Amount,Rate,Phone\n" +
	"1,=1+2,(12.50),-12.5,236.551.1017 ext. 12\n" +
	"2,plain,=SUM(A1:A2),+3,(236) 551-1017\n" +
	"3,-,1234.50-,0.125,+33 1 42 68 53 00\n"

var _ = Describe("Formula-safe typed outputs", func() {
	payload := func(extra map[string]any) map[string]any {
		p := map[string]any{"extractor": "tabular", "fields": []any{
			map[string]any{"name": "line", "synonyms": []any{"line"}},
			map[string]any{"name": "note", "synonyms": []any{"note"}},
			map[string]any{"name": "amount", "synonyms": []any{"amount"}, "type": "money", "currency": "USD"},
			map[string]any{"name": "rate", "synonyms": []any{"rate"}, "type": "number"},
			map[string]any{"name": "phone", "synonyms": []any{"phone"}, "type": "phone", "region": "CA"},
		}}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}

	It("prefix every CSV cell that is not a plain number, typed or not, and leave canonical numbers alone", func() {
		sink := newMemSink()
		res := mustRun(bytesDoc("typed.csv", []byte(typedHostile)), payload(nil), sink)
		Expect(sink.csvRows("typed-1.csv")).To(Equal([][]string{
			{"line", "note", "amount", "rate", "phone"},
			{"1", "'=1+2", "'-12.50 USD", "-12.5", "'+12365511017;ext=12"},
			{"2", "plain", "'=SUM(A1:A2)", "3", "+12365511017"},
			{"3", "'-", "'-1234.50 USD", "0.125", "+33142685300"},
		}))
		Expect(res.Metrics["values_invalid"]).To(Equal(1)) // =SUM(A1:A2), kept as written
		// The table record keeps the canonical values as they are.
		Expect(res.Tables[0].SampleRows[0]).To(HaveKeyWithValue("amount", "-12.50 USD"))
		Expect(res.Tables[0].SampleRows[1]).To(HaveKeyWithValue("amount", "=SUM(A1:A2)"))
	})

	It("write the canonical text with escape_formulas false", func() {
		sink := newMemSink()
		mustRun(bytesDoc("typed.csv", []byte(typedHostile)), payload(map[string]any{"escape_formulas": false}), sink)
		Expect(sink.csvRows("typed-1.csv")[1]).To(Equal([]string{"1", "=1+2", "-12.50 USD", "-12.5", "+12365511017;ext=12"}))
	})

	It("write typed XLSX cells as numbers and an invalid value as a string, never a formula", func() {
		sink := newMemSink()
		mustRun(bytesDoc("typed.csv", []byte(typedHostile)), payload(map[string]any{"output_format": "xlsx"}), sink)
		f, err := excelize.OpenReader(bytes.NewReader(sink.files["typed-tables.xlsx"]))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		cell := func(ref string) (excelize.CellType, string) {
			GinkgoHelper()
			formula, err := f.GetCellFormula("typed 1", ref)
			Expect(err).NotTo(HaveOccurred())
			Expect(formula).To(BeEmpty(), ref)
			typ, err := f.GetCellType("typed 1", ref)
			Expect(err).NotTo(HaveOccurred())
			v, err := f.GetCellValue("typed 1", ref, excelize.Options{RawCellValue: true})
			Expect(err).NotTo(HaveOccurred())
			return typ, v
		}
		typ, v := cell("C2")
		Expect(typ).To(Equal(excelize.CellTypeUnset)) // a number cell: no t attribute
		Expect(v).To(Equal("-12.50"))
		typ, v = cell("C3")
		Expect(typ).To(Equal(excelize.CellTypeInlineString))
		Expect(v).To(Equal("=SUM(A1:A2)"))
		typ, v = cell("B2")
		Expect(typ).To(Equal(excelize.CellTypeInlineString))
		Expect(v).To(Equal("=1+2"))
		typ, v = cell("D2")
		Expect(typ).To(Equal(excelize.CellTypeUnset))
		Expect(v).To(Equal("-12.5"))
	})
})

var _ = Describe("Extraction limits", func() {
	sideBySide := func(tables, rows int) []byte {
		var b strings.Builder
		for r := 0; r <= rows; r++ {
			for t := range tables {
				if t > 0 {
					b.WriteString(",,")
				}
				if r == 0 {
					b.WriteString("Name,Amount")
				} else {
					fmt.Fprintf(&b, "n%d-%d,%d", t, r, r*t)
				}
			}
			b.WriteString("\n")
		}
		return []byte(b.String())
	}

	It("write many tables side by side completely, spooling past a few open at once", func() {
		dir := GinkgoT().TempDir()
		sink := newMemSink()
		res, err := extractWith(tabular.Limits{}, dir, bytesDoc("side.csv", sideBySide(20, 300)), simplePayload(nil), sink)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Tables).To(HaveLen(20))
		for t := range 20 {
			rows := sink.csvRows(fmt.Sprintf("side-%d.csv", t+1))
			Expect(rows).To(HaveLen(301))
			Expect(rows[300]).To(Equal([]string{fmt.Sprintf("n%d-300", t), fmt.Sprint(300 * t)}))
		}
		Expect(sink.open).To(Equal(0))
		Expect(filesIn(dir)).To(BeEmpty())
	})

	DescribeTable("fail input_too_large naming the limit, in the message and the metrics, leaving nothing",
		func(lim tabular.Limits, data []byte, payload map[string]any, limit string, value int) {
			dir := GinkgoT().TempDir()
			sink := newMemSink()
			res, err := extractWith(lim, dir, bytesDoc("side.csv", data), payload, sink)
			Expect(extractionCode(err)).To(Equal(tabular.CodeInputTooLarge))
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("over the limit of %d %s", value, limit)))
			Expect(res.Metrics).To(HaveKeyWithValue("limit_exceeded", limit))
			Expect(res.Metrics).To(HaveKeyWithValue("limit_value", int64(value)))
			Expect(res.Metrics).To(HaveKeyWithValue("input_format", "csv"))
			Expect(res.Tables).To(BeEmpty())
			Expect(filesIn(dir)).To(BeEmpty(), "every spooled file removed")
		},
		Entry("tables", tabular.Limits{Tables: 3}, sideBySide(4, 3), simplePayload(nil), "tables per document", 3),
		Entry("output bytes, CSV with tables spooled", tabular.Limits{OutputBytes: 20000}, sideBySide(20, 300), simplePayload(nil), "output bytes", 20000),
		Entry("output bytes, XLSX", tabular.Limits{OutputBytes: 20000}, sideBySide(20, 300),
			simplePayload(map[string]any{"output_format": "xlsx"}), "output bytes", 20000),
		Entry("result bytes", tabular.Limits{ResultBytes: 4000}, sideBySide(6, 3), simplePayload(nil), "result bytes", 4000),
		Entry("cells per row", tabular.Limits{CellsPerRow: 4}, sideBySide(2, 3), simplePayload(nil), "cells per row", 4),
		Entry("bytes per cell", tabular.Limits{CellBytes: 4}, sideBySide(2, 3), simplePayload(nil), "bytes per cell", 4),
		Entry("bytes per row", tabular.Limits{RowBytes: 12}, sideBySide(2, 3), simplePayload(nil), "bytes per row", 12),
		Entry("cells", tabular.Limits{Cells: 100}, sideBySide(4, 30), simplePayload(nil), "cells", 100),
	)
})

// hookSink is a memSink that calls hook on every write of every output.
type hookSink struct {
	*memSink
	hook func()
}

func (h hookSink) Create(ctx context.Context, name, ct string) (io.WriteCloser, error) {
	w, err := h.memSink.Create(ctx, name, ct)
	return hookWriter{w, h.hook}, err
}

type hookWriter struct {
	io.WriteCloser
	hook func()
}

func (h hookWriter) Write(p []byte) (int, error) {
	h.hook()
	return h.WriteCloser.Write(p)
}

var _ = Describe("Temporary files", func() {
	// A workbook (spooled while it is read), with an XLSX output (its
	// worksheets spooled) or many tables side by side (spooled past a few).
	inputs := map[string]func() (ports.SourceDocument, map[string]any){
		"a workbook to an XLSX output": func() (ports.SourceDocument, map[string]any) {
			p := peoplePayload()
			p["output_format"] = "xlsx"
			return fileDoc(fixture("S02_two_tables_vertical_same_sheet.xlsx")), p
		},
		"tables side by side to CSV outputs": func() (ports.SourceDocument, map[string]any) {
			var b strings.Builder
			for r := range 400 {
				for t := range 12 {
					if r == 0 {
						b.WriteString("Name,Amount,,")
					} else {
						fmt.Fprintf(&b, "n%d,%d,,", r, t)
					}
				}
				b.WriteString("\n")
			}
			return bytesDoc("side.csv", []byte(b.String())), simplePayload(nil)
		},
	}
	for what, input := range inputs {
		It("are removed when the extraction is cancelled: "+what, func() {
			dir := GinkgoT().TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			writes := 0
			sink := hookSink{newMemSink(), func() {
				if writes++; writes == 2 {
					cancel()
				}
			}}
			doc, payload := input()
			ex := &tabular.Extractor{TempDir: dir}
			_, err := ex.Extract(ctx, ports.ExtractionRequest{Payload: payload, Document: doc, Outputs: sink})
			Expect(extractionCode(err)).To(Equal(tabular.CodeCancelled))
			Expect(filesIn(dir)).To(BeEmpty())
		})

		It("are removed when the extraction panics: "+what, func() {
			dir := GinkgoT().TempDir()
			writes := 0
			sink := hookSink{newMemSink(), func() {
				if writes++; writes == 2 {
					panic("the sink broke")
				}
			}}
			doc, payload := input()
			_, err := extractWith(tabular.Limits{}, dir, doc, payload, sink)
			Expect(err).To(HaveOccurred())
			Expect(filesIn(dir)).To(BeEmpty())
		})

		It("are removed when the extraction succeeds: "+what, func() {
			dir := GinkgoT().TempDir()
			doc, payload := input()
			_, err := extractWith(tabular.Limits{}, dir, doc, payload, newMemSink())
			Expect(err).NotTo(HaveOccurred())
			Expect(filesIn(dir)).To(BeEmpty())
		})
	}
})
