package mapping_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular/detect"
	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
)

// rowsWriter keeps what a table writes.
type rowsWriter struct{ rows [][]string }

func (w *rowsWriter) Write(vals []string) error {
	w.rows = append(w.rows, append([]string(nil), vals...))
	return nil
}

func (w *rowsWriter) Close() error { return nil }

// layout is a detected table over the headers, from column A.
func layout(headers ...string) *detect.Table {
	t := &detect.Table{Index: 1, Band: detect.Band{First: 0, Last: len(headers) - 1}, HeaderRows: []int{1}}
	for i, h := range headers {
		t.Columns = append(t.Columns, detect.Column{Col: i, Leaf: h, Header: h})
	}
	return t
}

func typedField(name string, t values.Type, o values.Options, transforms ...string) mapping.Field {
	o.Date = read.ParseDate
	return mapping.Field{Name: name, Synonyms: []string{name}, Type: t, Parser: values.MustParser(t, o), Transforms: transforms}
}

var _ = Describe("Typed columns", func() {
	var (
		w     *rowsWriter
		types []*values.Parser
	)
	open := func(_ []string, ts []*values.Parser) (mapping.Writer, string, error) {
		types = ts
		return w, "out", nil
	}
	BeforeEach(func() {
		w, types = &rowsWriter{}, nil
	})

	It("read a workbook's number cells from their stored numbers", func() {
		s := mapping.NewSchema([]mapping.Field{
			typedField("amount", values.TypeMoney, values.Options{Currency: "USD"}),
			typedField("rate", values.TypePercent, values.Options{PercentScale: "percent"}),
			typedField("day", values.TypeDate, values.Options{}),
			{Name: "note", Synonyms: []string{"note"}},
			typedField("trimmed", values.TypeMoney, values.Options{Currency: "USD"}, "trim"),
			typedField("count", values.TypeInteger, values.Options{}),
		}, true)
		t := s.NewTable(layout("amount", "rate", "day", "note", "trimmed", "count"), open)
		Expect(t.Add(&read.Row{Num: 2,
			Cells: []string{"€1,234.57", "12.5%", "01-01-24", "1,234.57", "$1,234.57", "12"},
			Kinds: []read.Kind{read.Number, read.Number, read.Date, read.Number, read.Number, read.Number},
			Raw:   []string{"1234.5678", "0.125", "45292", "1234.5678", "1234.5678", "12.4"},
		})).To(Succeed())
		Expect(t.Finish()).To(Succeed())
		Expect(w.rows[1]).To(Equal([]string{"1234.5678 EUR", "12.5", "2024-01-01", "1,234.57", "1234.57 USD", "12"}))
		Expect(t.Issues).To(Equal([]mapping.Issue{{Row: 2, Field: "count", Issue: "unparsable integer"}}),
			"a stored 12.4 shown as 12 is no integer")
		Expect(types[0].Type()).To(Equal(values.TypeMoney))
		Expect(types[3]).To(BeNil(), "a string field's column is text")
	})

	It("settle a column's decimal separator from the rows held before the mapping", func() {
		s := mapping.NewSchema([]mapping.Field{typedField("n", values.TypeNumber, values.Options{})}, true)
		t := s.NewTable(layout("n", "x"), open)
		for i, v := range []string{"1,234", "12,5", "0,75"} {
			Expect(t.Add(&read.Row{Num: i + 2, Cells: []string{v, "a"}})).To(Succeed())
		}
		Expect(t.Finish()).To(Succeed())
		Expect(w.rows[1:]).To(Equal([][]string{{"1.234", "a"}, {"12.5", "a"}, {"0.75", "a"}}))
		Expect(types[0].Options().Decimal).To(Equal(","))
	})

	It("infer each column from its first rows only, total rows left out", func() {
		s := mapping.NewSchema([]mapping.Field{{Name: "id", Synonyms: []string{"id"}}}, true)
		lay := layout("id", "qty")
		t := s.NewTable(lay, open)
		n := mapping.InferRows + 200
		for i := range n {
			qty := fmt.Sprint(i)
			if i >= mapping.InferRows {
				qty = "many"
			}
			Expect(t.Add(&read.Row{Num: i + 2, Cells: []string{fmt.Sprint("ID-", i), qty}})).To(Succeed())
		}
		lay.TotalRows = append(lay.TotalRows, n+2)
		Expect(t.Add(&read.Row{Num: n + 2, Cells: []string{"Total", "lots"}})).To(Succeed())
		Expect(t.Finish()).To(Succeed())
		qty := t.Columns[1].Inferred
		Expect(qty.Type).To(Equal(values.TypeInteger))
		Expect(qty.NonEmpty).To(Equal(mapping.InferRows))
		Expect(t.Columns[0].Inferred.Type).To(Equal(values.TypeString))
	})

	DescribeTable("infer fewer rows of a wide table",
		func(width, rows int) {
			headers := make([]string, width)
			for i := range headers {
				headers[i] = fmt.Sprint("c", i)
			}
			t := mapping.NewSchema([]mapping.Field{{Name: "c0"}}, true).NewTable(layout(headers...), open)
			cells := make([]string, width)
			for i := range cells {
				cells[i] = "1"
			}
			for i := range mapping.InferRows + 100 {
				Expect(t.Add(&read.Row{Num: i + 2, Cells: cells})).To(Succeed())
			}
			Expect(t.Finish()).To(Succeed())
			Expect(t.Columns[width-1].Inferred.NonEmpty).To(Equal(rows))
		},
		Entry("narrow: InferRows", 10, mapping.InferRows),
		Entry("wide: InferCells in all", 200, mapping.InferCells/200),
		Entry("very wide: never fewer than the mapping sample", 2000, mapping.SampleRows),
	)
})
