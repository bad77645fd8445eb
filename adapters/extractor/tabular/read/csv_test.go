package read_test

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/ports"
)

// oracleRecord is a record as encoding/csv (LazyQuotes, any number of
// fields) reads it, with the row number a spreadsheet shows, the number
// of raw bytes its lines take and its fields up to the last non-empty one.
type oracleRecord struct {
	num    int
	fields []string
	raw    int
	filled int
}

func oracle(text string, delim rune) []oracleRecord {
	GinkgoHelper()
	lineStart := []int{0, 0} // lineStart[l] is where line l (from 1) starts
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = delim, true, -1
	var out []oracleRecord
	num, lastEnd := 0, 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		Expect(err).NotTo(HaveOccurred())
		start, _ := r.FieldPos(0)
		num += max(start-lastEnd-1, 0) + 1
		lastLine, _ := r.FieldPos(len(rec) - 1)
		lastEnd = lastLine + strings.Count(rec[len(rec)-1], "\n")
		filled := 0
		for i, f := range rec {
			if f != "" {
				filled = i + 1
			}
		}
		out = append(out, oracleRecord{num: num, fields: rec, raw: int(r.InputOffset()) - lineStart[start], filled: filled})
	}
}

var _ = Describe("CSV parsing", func() {
	// Texts made of the bytes that matter to CSV: delimiters, quotes, line
	// ends, white space, multi-byte runes.
	text := func(t *rapid.T) string {
		return rapid.StringOf(rapid.SampledFrom([]rune("ab,;\"\"\n\n\r \té"))).Draw(t, "text")
	}

	It("reads what encoding/csv reads with lazy quotes, row numbers included", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			s := text(t)
			delim := rapid.SampledFrom([]rune{',', ';'}).Draw(t, "delim")
			size := rapid.SampledFrom([]int{16, 17, 64, 4096}).Draw(t, "buffer")
			want := oracle(s, delim)
			got, err := read.ParseCSV(s, delim, read.Limits{}, size)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			if len(got) != len(want) {
				t.Fatalf("%q: %d rows, want %d", s, len(got), len(want))
			}
			for i, w := range want {
				if got[i].Num != w.num || strings.Join(got[i].Cells, "\x00") != strings.Join(w.fields, "\x00") || len(got[i].Cells) != len(w.fields) {
					t.Fatalf("%q row %d: %d %q, want %d %q", s, i, got[i].Num, got[i].Cells, w.num, w.fields)
				}
				// The masks the parser makes as it goes are those of the cells.
				fresh := read.Row{Cells: got[i].Cells}
				fresh.Mask()
				if m := got[i]; m.Masked != fresh.Masked || m.NonBlank != fresh.NonBlank || m.Letters != fresh.Letters || m.Plain != fresh.Plain {
					t.Fatalf("%q row %d: masks %v %b %b %b, want %v %b %b %b", s, i, m.Masked, m.NonBlank, m.Letters, m.Plain,
						fresh.Masked, fresh.NonBlank, fresh.Letters, fresh.Plain)
				}
			}
		})
	})

	It("stops at the first record past a limit, naming a limit it is past", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			s := text(t)
			lim := read.Limits{
				CellBytes:   rapid.IntRange(1, 12).Draw(t, "cell"),
				RowBytes:    rapid.IntRange(1, 40).Draw(t, "row"),
				CellsPerRow: rapid.IntRange(1, 6).Draw(t, "cells per row"),
				Cells:       int64(rapid.IntRange(1, 30).Draw(t, "cells")),
			}
			want := oracle(s, ',')
			got, err := read.ParseCSV(s, ',', lim, rapid.SampledFrom([]int{16, 4096}).Draw(t, "buffer"))
			cells := int64(0)
			for i, w := range want {
				kept := w.fields[:min(len(w.fields), lim.CellsPerRow)]
				longest := 0
				for _, f := range w.fields {
					longest = max(longest, len(f))
				}
				past := map[string]bool{
					read.LimitRowBytes:    w.raw > lim.RowBytes,
					read.LimitCellBytes:   longest > lim.CellBytes,
					read.LimitCellsPerRow: w.filled > lim.CellsPerRow,
					read.LimitCells:       cells+int64(len(kept)) > lim.Cells,
				}
				if past[read.LimitRowBytes] || past[read.LimitCellBytes] || past[read.LimitCellsPerRow] || past[read.LimitCells] {
					le, ok := read.ExceededLimit(err)
					if !ok || len(got) != i || !past[le.Limit] {
						t.Fatalf("%q with %+v: record %d is past %v; got %d rows and %v", s, lim, i, past, len(got), err)
					}
					Expect(err.Error()).To(ContainSubstring(le.Limit))
					return
				}
				cells += int64(len(kept))
				if i >= len(got) || got[i].Num != w.num || strings.Join(got[i].Cells, "\x00") != strings.Join(kept, "\x00") || len(got[i].Cells) != len(kept) {
					t.Fatalf("%q with %+v: row %d differs: %v, want %d %q (error %v)", s, lim, i, got, w.num, kept, err)
				}
			}
			if err != nil || len(got) != len(want) {
				t.Fatalf("%q with %+v: %d rows, want %d; %v", s, lim, len(got), len(want), err)
			}
		})
	})

	DescribeTable("name the limit and the row in the message",
		func(text string, lim read.Limits, want string) {
			_, err := read.ParseCSV(text, ',', lim, 4096)
			Expect(err).To(MatchError(ContainSubstring(want)))
			var ee *ports.ExtractionError
			Expect(errors.As(err, &ee)).To(BeTrue())
			Expect(ee.Code).To(Equal(read.CodeInputTooLarge))
		},
		Entry("a cell", "a,b\nc,dddd\n", read.Limits{CellBytes: 3}, "over the limit of 3 bytes per cell at row 2"),
		Entry("a wide row", "\n\na,b,c\n", read.Limits{CellsPerRow: 2}, "over the limit of 2 cells per row at row 3"),
		Entry("a long row", "a\n\"b\nc\nd\"\n", read.Limits{RowBytes: 6}, "over the limit of 6 bytes per row at row 2 (a quote that never closes?)"),
		Entry("the document", "a,b\nc,d\ne,f\n", read.Limits{Cells: 5}, "over the limit of 5 cells at row 3"),
	)

	It("drop the empty cells past the cells per row, keeping the row", func() {
		rows, err := read.ParseCSV("a,b"+strings.Repeat(",", 50000)+"\n", ',', read.Limits{}, 4096)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows).To(HaveLen(1))
		Expect(rows[0].Cells).To(HaveLen(read.DefaultCellsPerRow))
		Expect(rows[0].Cells[:3]).To(Equal([]string{"a", "b", ""}))
	})
})
