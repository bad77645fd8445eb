package read_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

var _ = Describe("XLSX workbooks", func() {
	// book writes a workbook the way excelize (like a spreadsheet program)
	// writes one: shared strings, styles, hidden columns.
	book := func(build func(f *excelize.File)) []byte {
		GinkgoHelper()
		f := excelize.NewFile()
		defer f.Close()
		build(f)
		var buf bytes.Buffer
		Expect(f.Write(&buf)).To(Succeed())
		return buf.Bytes()
	}
	rowsOf := func(data []byte) (*read.Document, []*read.Row) {
		GinkgoHelper()
		doc, err := read.Open(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), 256<<10),
			read.Options{Filename: "book.xlsx", TempDir: GinkgoT().TempDir()})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(doc.Book.Close)
		rows, err := doc.Book.Rows(context.Background(), doc.Book.Active())
		Expect(err).NotTo(HaveOccurred())
		var out []*read.Row
		for {
			r, err := rows.Next()
			if err == io.EOF {
				break
			}
			Expect(err).NotTo(HaveOccurred())
			out = append(out, r)
		}
		return doc, out
	}

	It("show each kind of cell, with its kind and its raw value", func() {
		data := book(func(f *excelize.File) {
			date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
			stamp, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
			money, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
			pct, _ := f.NewStyle(&excelize.Style{NumFmt: 10})  // 0.00%
			f.SetCellValue("Sheet1", "A1", "text")
			f.SetCellValue("Sheet1", "B1", 1309.1)
			f.SetCellStyle("Sheet1", "B1", "B1", money)
			f.SetCellValue("Sheet1", "C1", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
			f.SetCellStyle("Sheet1", "C1", "C1", date)
			f.SetCellValue("Sheet1", "D1", 45352.5)
			f.SetCellStyle("Sheet1", "D1", "D1", stamp)
			f.SetCellValue("Sheet1", "E1", 0.125)
			f.SetCellStyle("Sheet1", "E1", "E1", pct)
			f.SetCellValue("Sheet1", "F1", true)
			f.SetCellDefault("Sheet1", "H1", "0.30000000000000004")
			f.SetCellValue("Sheet1", "I1", 123456789012345678)
			f.SetCellValue("Sheet1", "J1", -12.5)
		})
		doc, rows := rowsOf(data)
		Expect(doc.Format).To(Equal(read.FormatXLSX))
		Expect(rows).To(HaveLen(1))
		r := rows[0]
		Expect(r.Num).To(Equal(1))
		Expect(r.Cell(0)).To(Equal(read.Cell{Kind: read.Text, Text: "text", Raw: "text"}))
		Expect(r.Cell(1)).To(Equal(read.Cell{Kind: read.Number, Text: "1309.1", Raw: "1309.1"}))
		Expect(r.Cell(2)).To(Equal(read.Cell{Kind: read.Date, Text: "2024-03-01", Raw: "45352"}))
		Expect(r.Cell(3)).To(Equal(read.Cell{Kind: read.Date, Text: "2024-03-01 12:00:00", Raw: "45352.5"}))
		Expect(r.Cell(4)).To(Equal(read.Cell{Kind: read.Number, Text: "12.5%", Raw: "0.125"}))
		Expect(r.Cell(5)).To(Equal(read.Cell{Kind: read.Bool, Text: "TRUE", Raw: "1"}))
		Expect(r.Cell(6)).To(Equal(read.Cell{}), "a gap is empty")
		Expect(r.Cell(7)).To(Equal(read.Cell{Kind: read.Number, Text: "0.3", Raw: "0.30000000000000004"}))
		Expect(r.Cell(8).Text).To(Equal("123456789012346000"), "15 significant digits")
		Expect(r.Cell(9)).To(Equal(read.Cell{Kind: read.Number, Text: "-12.5", Raw: "-12.5"}))
	})

	It("report hidden rows and columns, and row numbers with gaps", func() {
		data := book(func(f *excelize.File) {
			f.SetCellValue("Sheet1", "A1", "a")
			f.SetCellValue("Sheet1", "C4", "c")
			f.SetColVisible("Sheet1", "B", false)
			f.SetRowVisible("Sheet1", 4, false)
		})
		doc, rows := rowsOf(data)
		Expect(rows).To(HaveLen(2))
		Expect(rows[0].Num).To(Equal(1))
		Expect(rows[0].Hidden).To(BeFalse())
		Expect(rows[1].Num).To(Equal(4))
		Expect(rows[1].Hidden).To(BeTrue())
		Expect(rows[1].Cells).To(Equal([]string{"", "", "c"}))
		sh := doc.Book.Sheet("Sheet1")
		Expect(sh.HiddenCol(1)).To(BeTrue())
		Expect(sh.HiddenCol(0)).To(BeFalse())
		Expect(sh.HiddenCol(2)).To(BeFalse())
	})

	It("list the sheets in workbook order with the active one", func() {
		data := book(func(f *excelize.File) {
			f.NewSheet("Second")
			f.NewSheet("Third")
			f.SetActiveSheet(2)
		})
		doc, err := read.Open(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), 256<<10),
			read.Options{Filename: "book.xlsx", TempDir: GinkgoT().TempDir()})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(doc.Book.Close)
		Expect(doc.Book.Sheets()).To(Equal([]string{"Sheet1", "Second", "Third"}))
		Expect(doc.Book.Active()).To(Equal("Third"))
	})

	It("fail input_too_large naming the reader's limit", func() {
		data := book(func(f *excelize.File) {
			f.SetCellValue("Sheet1", "A1", "a")
			f.SetCellValue("Sheet1", "Z1", "z")
		})
		doc, err := read.Open(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), 256<<10),
			read.Options{Filename: "book.xlsx", TempDir: GinkgoT().TempDir(), Limits: read.Limits{CellsPerRow: 1}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(doc.Book.Close)
		rows, err := doc.Book.Rows(context.Background(), "Sheet1")
		Expect(err).NotTo(HaveOccurred())
		_, err = rows.Next()
		le, ok := read.ExceededLimit(err)
		Expect(ok).To(BeTrue(), "%v", err)
		Expect(le.Limit).To(Equal(read.LimitCellsPerRow))
		Expect(le.Value).To(BeEquivalentTo(1))
	})
})
