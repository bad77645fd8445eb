package output_test

import (
	"bytes"
	"context"
	"io"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"

	"github.com/ade-go/ade/adapters/extractor/tabular/output"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

// memSink keeps the files written to it.
type memSink struct{ files map[string]*bytes.Buffer }

type memFile struct{ *bytes.Buffer }

func (memFile) Close() error { return nil }

func (m *memSink) Create(_ context.Context, name, _ string) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	m.files[name] = b
	return memFile{b}, nil
}

func parser(t values.Type, o values.Options) *values.Parser {
	o.Date = read.ParseDate
	return values.MustParser(t, o)
}

var _ = Describe("XLSX outputs of typed columns", func() {
	header := []string{"id", "hours", "amount", "rate", "paid", "day", "phone", "count"}
	types := []*values.Parser{nil,
		parser(values.TypeNumber, values.Options{}),
		parser(values.TypeMoney, values.Options{}),
		parser(values.TypePercent, values.Options{PercentScale: "percent"}),
		parser(values.TypeBoolean, values.Options{}),
		parser(values.TypeDate, values.Options{}),
		parser(values.TypePhone, values.Options{}),
		parser(values.TypeInteger, values.Options{}),
	}
	rows := [][]string{
		{"A-1", "0.30000000000000004", "-1234.50 USD", "12.5", "true", "2024-03-31", "+12365511017", "123456789012345678901234567890"},
		{"A-2", "7.5", "1200 JPY", "0.125", "false", "1899-12-31", "+12365511017;ext=12", "n/a"},
		{"A-3", "", "12.345 KWD", "", "", "", "", "0"},
	}
	write := func() []byte {
		GinkgoHelper()
		sink := &memSink{files: map[string]*bytes.Buffer{}}
		set := output.New(context.Background(), sink, output.Options{Format: output.FormatXLSX, Base: "in", TempDir: GinkgoT().TempDir()})
		DeferCleanup(set.Cleanup)
		w, _, err := set.Open("in", 1, "Table 1", types)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Write(header)).To(Succeed())
		for _, r := range rows {
			Expect(w.Write(r)).To(Succeed())
		}
		Expect(w.Close()).To(Succeed())
		Expect(set.Commit()).To(Succeed())
		return sink.files["in-tables.xlsx"].Bytes()
	}

	It("store numbers, money, percentages and dates as numbers with their formats, booleans as booleans", func() {
		f, err := excelize.OpenReader(bytes.NewReader(write()))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		type cell struct {
			typ    excelize.CellType
			raw    string
			format string
		}
		get := func(ref string) cell {
			GinkgoHelper()
			typ, err := f.GetCellType("Table 1", ref)
			Expect(err).NotTo(HaveOccurred())
			raw, err := f.GetCellValue("Table 1", ref, excelize.Options{RawCellValue: true})
			Expect(err).NotTo(HaveOccurred())
			c := cell{typ: typ, raw: raw}
			idx, err := f.GetCellStyle("Table 1", ref)
			Expect(err).NotTo(HaveOccurred())
			if idx > 0 {
				st, err := f.GetStyle(idx)
				Expect(err).NotTo(HaveOccurred())
				Expect(st.CustomNumFmt).NotTo(BeNil())
				c.format = *st.CustomNumFmt
			}
			return c
		}
		number, text, boolean := excelize.CellTypeUnset, excelize.CellTypeInlineString, excelize.CellTypeBool
		Expect(get("A1")).To(Equal(cell{text, "id", ""}), "the header is text")
		Expect(get("B1")).To(Equal(cell{text, "hours", ""}))
		Expect(get("A2")).To(Equal(cell{text, "A-1", ""}))
		Expect(get("B2")).To(Equal(cell{number, "0.30000000000000004", ""}), "every digit, never through a float")
		Expect(get("C2")).To(Equal(cell{number, "-1234.50", `#,##0.00 "USD"`}))
		Expect(get("D2")).To(Equal(cell{number, "0.125", "0.00%"}), "points are stored as the fraction")
		Expect(get("E2")).To(Equal(cell{boolean, "1", ""}))
		Expect(get("F2")).To(Equal(cell{number, "45382", "yyyy-mm-dd"}))
		Expect(get("G2")).To(Equal(cell{text, "+12365511017", ""}))
		Expect(get("H2")).To(Equal(cell{number, "123456789012345678901234567890", ""}))
		Expect(get("C3")).To(Equal(cell{number, "1200", `#,##0 "JPY"`}))
		Expect(get("D3")).To(Equal(cell{number, "0.00125", "0.00%"}))
		Expect(get("E3")).To(Equal(cell{boolean, "0", ""}))
		Expect(get("F3")).To(Equal(cell{text, "1899-12-31", ""}), "dates before 1900 stay text")
		Expect(get("G3")).To(Equal(cell{text, "+12365511017;ext=12", ""}))
		Expect(get("H3")).To(Equal(cell{text, "n/a", ""}), "an invalid value kept as written is text")
		Expect(get("B4").raw).To(BeEmpty())
		Expect(get("C4")).To(Equal(cell{number, "12.345", `#,##0.000 "KWD"`}))
		Expect(get("H4")).To(Equal(cell{number, "0", ""}))
		v, err := f.GetCellValue("Table 1", "F2")
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(Equal("2024-03-31"), "the date format shows the date")
		b, err := f.GetCellValue("Table 1", "E2")
		Expect(err).NotTo(HaveOccurred())
		Expect(b).To(Equal("TRUE"))
	})

	It("write the same bytes every time", func() {
		Expect(write()).To(Equal(write()))
	})

	It("read back through the streaming XLSX reader with their kinds, stored digits and formats", func() {
		data := write()
		wb, err := xlsxstream.Open(context.Background(), bytes.NewReader(data), int64(len(data)), xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		Expect(wb.Sheets()).To(HaveLen(1))
		rows, err := wb.Rows(context.Background(), 0)
		Expect(err).NotTo(HaveOccurred())
		defer rows.Close()
		type cell struct {
			kind   xlsxstream.Kind
			value  string
			format string
		}
		got := map[string]cell{}
		for rows.Next() {
			r := rows.Row()
			for _, c := range r.Cells {
				_, code, ok := wb.NumberFormat(c.Style)
				Expect(ok).To(BeTrue())
				got[read.CellRef(c.Col, r.Num)] = cell{c.Kind, c.Value, code}
			}
		}
		Expect(rows.Err()).NotTo(HaveOccurred())
		number, text, boolean, date := xlsxstream.KindNumber, xlsxstream.KindText, xlsxstream.KindBool, xlsxstream.KindDate
		Expect(got).To(Equal(map[string]cell{
			"A1": {text, "id", ""}, "B1": {text, "hours", ""}, "C1": {text, "amount", ""}, "D1": {text, "rate", ""},
			"E1": {text, "paid", ""}, "F1": {text, "day", ""}, "G1": {text, "phone", ""}, "H1": {text, "count", ""},
			"A2": {text, "A-1", ""}, "B2": {number, "0.30000000000000004", ""}, "C2": {number, "-1234.50", `#,##0.00 "USD"`},
			"D2": {number, "0.125", "0.00%"}, "E2": {boolean, "1", ""}, "F2": {date, "45382", "yyyy-mm-dd"},
			"G2": {text, "+12365511017", ""}, "H2": {number, "123456789012345678901234567890", ""},
			"A3": {text, "A-2", ""}, "B3": {number, "7.5", ""}, "C3": {number, "1200", `#,##0 "JPY"`},
			"D3": {number, "0.00125", "0.00%"}, "E3": {boolean, "0", ""}, "F3": {text, "1899-12-31", ""},
			"G3": {text, "+12365511017;ext=12", ""}, "H3": {text, "n/a", ""},
			"A4": {text, "A-3", ""}, "C4": {number, "12.345", `#,##0.000 "KWD"`}, "H4": {number, "0", ""},
		}))
		iso, err := xlsxstream.DateISO(got["F2"].value, wb.Date1904())
		Expect(err).NotTo(HaveOccurred())
		Expect(iso).To(Equal("2024-03-31"))
	})
})
