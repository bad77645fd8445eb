package detect_test

import (
	"context"
	"fmt"
	"io"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular/detect"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

// sheetRows yields rows from a slice; nil is a blank row.
type sheetRows struct {
	rows [][]string
	i    int
}

func (s *sheetRows) Next() (*read.Row, error) {
	if s.i >= len(s.rows) {
		return nil, io.EOF
	}
	s.i++
	r := &read.Row{Num: s.i, Cells: s.rows[s.i-1]}
	r.Mask()
	return r, nil
}

func (s *sheetRows) Close() error { return nil }

// recorder keeps what the scan reports.
type recorder struct {
	tables []*detect.Table
	rows   map[*detect.Table][]int
	ended  int
}

func (r *recorder) Begin(t *detect.Table) error { r.tables = append(r.tables, t); return nil }
func (r *recorder) Row(t *detect.Table, row *read.Row) error {
	r.rows[t] = append(r.rows[t], row.Num)
	return nil
}
func (r *recorder) End(*detect.Table) error { r.ended++; return nil }

func scan(rows ...[]string) (*recorder, detect.Outcome) {
	GinkgoHelper()
	rec := &recorder{rows: map[*detect.Table][]int{}}
	out, err := detect.Scan(context.Background(), &sheetRows{rows: rows}, detect.Options{}, rec)
	Expect(err).NotTo(HaveOccurred())
	Expect(rec.ended).To(Equal(len(rec.tables)))
	return rec, out
}

func summary(rec *recorder) []string {
	var out []string
	for _, t := range rec.tables {
		out = append(out, fmt.Sprintf("cols %d-%d headers %v data %v", t.Band.First, t.Band.Last, t.HeaderRows, rec.rows[t]))
	}
	return out
}

var _ = Describe("Scan", func() {
	people := [][]string{{"Ann", "ann@x.org", "3"}, {"Bob", "bob@x.org", "4"}, {"Cy", "cy@x.org", "5"}}

	It("takes the row under a title line as the header, whatever blank rows surround them", func() {
		for above := range 3 {
			for between := range 3 {
				for under := range 3 {
					var rows [][]string
					for range above {
						rows = append(rows, nil)
					}
					rows = append(rows, []string{"Members by site"})
					for range between {
						rows = append(rows, nil)
					}
					header := len(rows) + 1
					rows = append(rows, []string{"Name", "Email", "Hours"})
					for range under {
						rows = append(rows, nil)
					}
					first := len(rows) + 1
					rows = append(rows, people...)
					rows = append(rows, nil, []string{"Source: ledger"})
					rec, _ := scan(rows...)
					Expect(summary(rec)).To(Equal([]string{fmt.Sprintf("cols 0-2 headers [%d] data [%d %d %d]",
						header, first, first+1, first+2)}), "blank rows: %d above, %d between, %d under", above, between, under)
					Expect(rec.tables[0].FirstDataRow).To(Equal(first))
				}
			}
		}
	})

	It("keeps category rows, value markers and totals as data, and notes out", func() {
		rec, _ := scan(
			[]string{"Region", "1990", "2000"},
			nil,
			[]string{"Total", "100", "200"},
			nil,
			[]string{"North"},
			[]string{"  East", "(NA)", "12"},
			[]string{"  West", "-", "Z"},
			nil,
			[]string{"1/ Estimated."},
			[]string{"Source: census."},
		)
		Expect(summary(rec)).To(Equal([]string{"cols 0-2 headers [1] data [3 5 6 7]"}))
		t := rec.tables[0]
		Expect(t.TotalRows).To(Equal([]int{3}))
		Expect(t.Evidence).To(ContainElement("1 blank row(s) between the header and the data"))
		Expect(t.EndReason).To(Equal("a note, source or footnote line"))
		Expect(t.EndRow).To(Equal(9))
	})

	DescribeTable("keeps a closing total row that fills only its amounts",
		func(tail [][]string, data []int, totals []int) {
			rows := [][]string{
				{"Member ID", "Name", "Phone", "Hours", "Gross", "Dues"},
				{"M-1", "Ann", "555-0101", "160", "5120.00", "76.80"},
				{"M-2", "Bob", "555-0102", "152", "4864.00", "72.96"},
				{"M-3", "Cy", "555-0103", "80", "2560.00", "38.40"},
			}
			rec, _ := scan(append(rows, tail...)...)
			Expect(rec.tables).To(HaveLen(1))
			t := rec.tables[0]
			Expect(rec.rows[t]).To(Equal(data))
			Expect(t.TotalRows).To(Equal(totals))
		},
		Entry("right below the data", [][]string{{"Total", "", "", "", "", "188.16"}, nil, {"Signature: ____"}},
			[]int{2, 3, 4, 5}, []int{5}),
		Entry("a subtotal, then a grand total", [][]string{{"Subtotal", "", "", "392", "", ""}, {"Grand total", "", "", "", "", "188.16"}},
			[]int{2, 3, 4, 5, 6}, []int{5, 6}),
		Entry("after a blank row", [][]string{nil, {"Total", "", "", "", "", "188.16"}},
			[]int{2, 3, 4, 6}, []int{6}),
		Entry("not a Key: line after a blank row", [][]string{nil, {"Grand total dues:", "", "", "", "", "188.16"}},
			[]int{2, 3, 4}, []int(nil)),
		Entry("not a label alone", [][]string{{"Total"}},
			[]int{2, 3, 4}, []int(nil)),
	)

	It("finds a one-row table three columns wide, not a two-by-two note", func() {
		rec, _ := scan([]string{"Employer", "Period", "Dues"}, []string{"Northwind", "January", "3120.75"})
		Expect(summary(rec)).To(Equal([]string{"cols 0-2 headers [1] data [2]"}))
		rec, out := scan([]string{"Adjustment Type", "Amount"}, []string{"Mileage", "$412.50"})
		Expect(rec.tables).To(BeEmpty())
		Expect(out.Reason).To(Equal(detect.ReasonHeaderOnly))
	})

	DescribeTable("says why a sheet has no table",
		func(rows [][]string, reason string) {
			rec, out := scan(rows...)
			Expect(rec.tables).To(BeEmpty())
			Expect(out.Reason).To(Equal(reason))
			Expect(out.Detail).NotTo(BeEmpty())
		},
		Entry("empty", [][]string{nil, {"", " "}}, detect.ReasonEmpty),
		Entry("prose", [][]string{{"How to fill in this form"}, {"1. One member per row."}}, detect.ReasonProse),
		Entry("a header alone", [][]string{{"First Name", "Last Name", "Email"}}, detect.ReasonHeaderOnly),
	)

	It("ends a table at a new header and says so", func() {
		rows := [][]string{{"Name", "Email", "Hours"}}
		rows = append(rows, people...)
		rows = append(rows, nil, []string{"Crew B"}, []string{"Item", "Code", "Qty"},
			[]string{"Bolt", "B-1", "4"}, []string{"Nut", "N-2", "9"})
		rec, _ := scan(rows...)
		Expect(summary(rec)).To(Equal([]string{"cols 0-2 headers [1] data [2 3 4]", "cols 0-2 headers [7] data [8 9]"}))
		Expect(rec.tables[0].EndReason).To(Equal("a new header"))
		Expect(rec.tables[0].EndRow).To(Equal(6))
	})
})

var _ = Describe("HeaderKey", func() {
	DescribeTable("ignores case, punctuation and spacing",
		func(a, b string) { Expect(detect.HeaderKey(a)).To(Equal(detect.HeaderKey(b))) },
		Entry(nil, "E-mail", "email"),
		Entry(nil, "M.I.", "mi"),
		Entry(nil, "Prénom", "prénom"),
	)
})
