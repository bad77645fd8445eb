package tabular_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"
	"pgregory.net/rapid"
)

// grid is a sparse sheet: (row, col) -> text, 0-based.
type grid map[[2]int]string

func (g grid) set(r, c int, v string) { g[[2]int{r, c}] = v }

func (g grid) bounds() (int, int) {
	rows, cols := 0, 0
	for k := range g {
		rows, cols = max(rows, k[0]+1), max(cols, k[1]+1)
	}
	return rows, cols
}

func (g grid) csv() []byte {
	rows, cols := g.bounds()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for r := range rows {
		rec := make([]string, cols)
		empty := true
		for c := range cols {
			rec[c] = g[[2]int{r, c}]
			empty = empty && rec[c] == ""
		}
		if empty {
			w.Flush()
			buf.WriteString("\n")
			continue
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

func (g grid) xlsx(t *rapid.T) []byte {
	f := excelize.NewFile()
	defer f.Close()
	for k, v := range g {
		ref, _ := excelize.CoordinatesToCellName(k[1]+1, k[0]+1)
		if err := f.SetCellStr("Sheet1", ref, v); err != nil {
			t.Fatalf("set cell: %v", err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatalf("write xlsx: %v", err)
	}
	return buf.Bytes()
}

// as writes the sheet as a "csv" or "xlsx" document.
func (g grid) as(t *rapid.T, format string) []byte {
	if format == "csv" {
		return g.csv()
	}
	return g.xlsx(t)
}

var (
	headerPool = []string{"Region", "Status", "Owner", "Category", "Project", "Phase", "Team", "Site",
		"Level", "Shift", "Quantity", "Reference", "Priority", "Channel", "Origin"}
	wordPool = []string{"north", "south", "open", "closed", "green", "amber", "pending", "done",
		"alpha crew", "beta crew", "day", "night"}
	kinds = []string{"number", "email", "code", "word"}
)

// genTable is a generated table: its header and rows (row-major).
type genTable struct {
	header []string
	rows   [][]string
	blanks map[int]bool // data row index -> a blank row is inserted before it
}

func drawTable(t *rapid.T, label string, minCols int) genTable {
	w := rapid.IntRange(minCols, 6).Draw(t, label+"cols")
	perm := rapid.Permutation(headerPool).Draw(t, label+"headers")
	g := genTable{header: perm[:w], blanks: map[int]bool{}}
	kind := make([]string, w)
	for c := range w {
		kind[c] = rapid.SampledFrom(kinds).Draw(t, fmt.Sprintf("%skind%d", label, c))
	}
	n := rapid.IntRange(2, 25).Draw(t, label+"rows")
	for i := range n {
		row := make([]string, w)
		for c := range w {
			k := i*7 + c
			switch kind[c] {
			case "number":
				row[c] = fmt.Sprint(k * 13 % 9973)
			case "email":
				row[c] = fmt.Sprintf("user%d@example.org", k)
			case "code":
				row[c] = fmt.Sprintf("ID-%d", 1000+k)
			default:
				row[c] = wordPool[k%len(wordPool)]
			}
		}
		// At most a minority of optional cells are empty (never the first).
		if w >= 4 && rapid.Bool().Draw(t, fmt.Sprintf("%sgap%d", label, i)) {
			row[w-1] = ""
		}
		g.rows = append(g.rows, row)
		if i >= 2 && i < n && !g.blanks[i-1] && rapid.IntRange(0, 9).Draw(t, fmt.Sprintf("%sblank%d", label, i)) == 0 {
			g.blanks[i] = true
		}
	}
	return g
}

// place writes the table with its header at (r0, c0) and returns the last
// row used and the expected A1 range.
func (gt genTable) place(g grid, r0, c0 int) (int, string) {
	for c, h := range gt.header {
		g.set(r0, c0+c, h)
	}
	r := r0
	for i, row := range gt.rows {
		if gt.blanks[i] {
			r++
		}
		r++
		for c, v := range row {
			if v != "" {
				g.set(r, c0+c, v)
			}
		}
	}
	rng := fmt.Sprintf("%s%d:%s%d", colName(c0), r0+1, colName(c0+len(gt.header)-1), r+1)
	return r, rng
}

func colName(c int) string {
	n, _ := excelize.ColumnNumberToName(c + 1)
	return n
}

var _ = Describe("Detection properties", func() {
	It("finds generated tables with exact ranges and row counts, as CSV and XLSX", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			g := grid{}
			r := 0
			for i := range rapid.IntRange(0, 3).Draw(t, "preamble") {
				g.set(r, 0, fmt.Sprintf("Report line %d: weekly export", i+1))
				r++
			}
			r += rapid.IntRange(0, 2).Draw(t, "gapAfterPreamble")
			c0 := rapid.IntRange(0, 4).Draw(t, "col")
			t1 := drawTable(t, "t1", 2)
			last1, rng1 := t1.place(g, r, c0)
			type want struct {
				rng  string
				rows int
			}
			wants := []want{{rng1, len(t1.rows)}}
			last := last1

			switch layout := rapid.SampledFrom([]string{"alone", "below", "beside"}).Draw(t, "layout"); layout {
			case "below":
				r2 := last1 + 1
				switch rapid.IntRange(0, 2).Draw(t, "separator") {
				case 0: // four blank rows
					r2 += 4
				case 1: // a note set off by blank rows
					g.set(r2+1, c0, "Note: figures above are provisional.")
					r2 += 3
				default: // a blank row and a section title
					g.set(r2+1, 0, "Second section")
					r2 += 2
				}
				c2 := rapid.IntRange(0, 4).Draw(t, "col2")
				t2 := drawTable(t, "t2", 2)
				var rng2 string
				last, rng2 = t2.place(g, r2, c2)
				wants = append(wants, want{rng2, len(t2.rows)})
			case "beside":
				c2 := c0 + len(t1.header) + rapid.IntRange(1, 2).Draw(t, "colGap")
				r2 := r + rapid.IntRange(0, 3).Draw(t, "rowShift")
				t2 := drawTable(t, "t2", 2)
				last2, rng2 := t2.place(g, r2, c2)
				last = max(last1, last2)
				wants = append(wants, want{rng2, len(t2.rows)})
			}
			if rapid.Bool().Draw(t, "footer") {
				g.set(last+2, 0, "Generated by the export tool; do not edit.")
			}

			for _, format := range []string{"csv", "xlsx"} {
				data := g.as(t, format)
				res, err := run(bytesDoc("gen."+format, data), simplePayload(nil), nil)
				if err != nil {
					t.Fatalf("%s: extract: %v", format, err)
				}
				var got []string
				for _, tb := range res.Tables {
					got = append(got, fmt.Sprintf("%s/%d", tb.Metadata["range"], tb.RowCount))
				}
				var exp []string
				for _, w := range wants {
					exp = append(exp, fmt.Sprintf("%s/%d", w.rng, w.rows))
				}
				if strings.Join(got, " ") != strings.Join(exp, " ") {
					t.Fatalf("%s: got tables %v, want %v\n%s", format, got, exp, g.csv())
				}
			}
		})
	})

	It("finds generated statistical tables: year headers, spacer rows, categories, markers, notes", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			g := grid{}
			r := 0
			if rapid.Bool().Draw(t, "title") {
				g.set(r, 0, "Table 7. Employment by sector and year")
				r++
				if rapid.Bool().Draw(t, "unitNote") {
					g.set(r, 0, "[In thousands. See notes]")
					r++
				}
				r += rapid.IntRange(0, 2).Draw(t, "gapAfterTitle")
			}
			years := rapid.IntRange(2, 6).Draw(t, "years")
			first := rapid.IntRange(1950, 2015).Draw(t, "firstYear")
			style := rapid.SampledFrom([]string{"%d", "%d.0", "FY%d"}).Draw(t, "yearStyle")
			header := r
			g.set(r, 0, "Sector")
			for y := range years {
				g.set(r, 1+y, fmt.Sprintf(style, first+y))
			}
			r++
			r += rapid.IntRange(0, 2).Draw(t, "spacer")
			markerPool := []string{"(NA)", "(X)", "(D)", "-", "Z"}
			rows, last := 0, 0
			sections := rapid.IntRange(1, 4).Draw(t, "sections")
			for sec := range sections {
				if sec > 0 && rapid.Bool().Draw(t, fmt.Sprintf("blank%d", sec)) {
					r++
				}
				if rapid.Bool().Draw(t, fmt.Sprintf("category%d", sec)) {
					g.set(r, 0, fmt.Sprintf("Section %c", 'A'+sec))
					r, rows = r+1, rows+1
				}
				for i := range rapid.IntRange(2, 6).Draw(t, fmt.Sprintf("items%d", sec)) {
					g.set(r, 0, fmt.Sprintf("  Item %d.%d", sec+1, i+1))
					for y := range years {
						v := fmt.Sprint((sec*31 + i*17 + y*7) % 9000)
						if rapid.IntRange(0, 9).Draw(t, fmt.Sprintf("m%d.%d.%d", sec, i, y)) == 0 {
							v = rapid.SampledFrom(markerPool).Draw(t, fmt.Sprintf("mk%d.%d.%d", sec, i, y))
						}
						g.set(r, 1+y, v)
					}
					last = r
					r, rows = r+1, rows+1
				}
			}
			r += rapid.IntRange(0, 2).Draw(t, "gapBeforeNotes")
			for i := range rapid.IntRange(0, 3).Draw(t, "notes") {
				g.set(r, 0, []string{"1/ Includes items not shown separately.", "(NA) Not available.",
					"Source: Bureau of Statistics, annual survey."}[i])
				r++
			}
			want := fmt.Sprintf("A%d:%s%d/%d", header+1, colName(years), last+1, rows)
			for _, format := range []string{"csv", "xlsx"} {
				data := g.as(t, format)
				res, err := run(bytesDoc("stat."+format, data), simplePayload(nil), nil)
				if err != nil {
					t.Fatalf("%s: extract: %v\n%s", format, err, g.csv())
				}
				var got []string
				for _, tb := range res.Tables {
					got = append(got, fmt.Sprintf("%s/%d", tb.Metadata["range"], tb.RowCount))
				}
				if strings.Join(got, " ") != want {
					t.Fatalf("%s: got tables %v, want %s\n%s", format, got, want, g.csv())
				}
			}
		})
	})

	It("never fails on arbitrary small grids of text", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			g := grid{}
			cells := rapid.IntRange(0, 60).Draw(t, "cells")
			for i := range cells {
				r := rapid.IntRange(0, 15).Draw(t, fmt.Sprintf("r%d", i))
				c := rapid.IntRange(0, 6).Draw(t, fmt.Sprintf("c%d", i))
				g.set(r, c, rapid.SampledFrom(append(append([]string{"1", "2.5", "x@y.z", "2024-01-02", "Total", "Name"}, wordPool...), headerPool...)).Draw(t, fmt.Sprintf("v%d", i)))
			}
			data := g.csv()
			if len(bytes.TrimSpace(data)) == 0 {
				return
			}
			sink := newMemSink()
			res, err := run(bytesDoc("g.csv", data), simplePayload(map[string]any{"allow_empty": true}), sink)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Tables).To(HaveLen(len(sink.order)))
			for _, tb := range res.Tables {
				Expect(tb.RowCount).To(BeNumerically(">=", 1))
				Expect(sink.csvRows(tb.Metadata["output"].(string))).To(HaveLen(tb.RowCount + 1))
			}
		})
	})
})
