package xlsxstream_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

// hostile is one hostile workbook and the outcome it must have.
type hostile struct {
	build  func() []byte
	limits xlsxstream.Limits
	limit  string // the LimitError expected, by name
	err    error  // else the sentinel expected (nil: success)
	check  func(rows, cells int)
}

// heapBound is the Go heap a hostile workbook may cost beyond its bytes:
// a row at the row limit (16 MiB) while its buffer grows, the shared
// strings' budget of these specs and the windows, with room for garbage.
const heapBound = 64 << 20

// stored builds a workbook whose sheet 0 is body, with its large parts
// stored uncompressed (the specs would otherwise spend their time
// compressing).
func stored(b book, body string) []byte {
	var parts []rawPart
	for _, p := range b.parts() {
		if p.name == "xl/worksheets/sheet1.xml" && body != "" {
			p.body = body
		}
		parts = append(parts, rawPart{name: p.name, body: []byte(p.body), store: len(p.body) > 1<<20, declared: -1})
	}
	return zipRaw(parts...)
}

// repeatRows is a sheet of n copies of a row's XML.
func repeatRows(row string, n int) string {
	return sheetXML(strings.Repeat(row, n))
}

// deep nests n elements.
func deep(n int) string { return strings.Repeat("<x>", n) + strings.Repeat("</x>", n) }

func manyStrings(n int, item func(i int) string) string {
	var b strings.Builder
	b.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for i := range n {
		b.WriteString(item(i))
	}
	b.WriteString(`</sst>`)
	return b.String()
}

var _ = Describe("Hostile workbooks", func() {
	sheet16k := func(cell string) string {
		var b strings.Builder
		b.WriteString(`<row r="1">`)
		for range xlsxstream.MaxColumns {
			b.WriteString(cell)
		}
		b.WriteString(`</row>`)
		return b.String()
	}
	cell16KiB := strings.Repeat("w", 16<<10)

	DescribeTable("end with their outcome, in bounded memory, leaving no temporary file",
		func(h hostile) {
			data := h.build()
			dir := GinkgoT().TempDir()
			opts := xlsxstream.Options{TempDir: dir, SharedStringsMemory: 256 << 10, Limits: h.limits}
			var err error
			rows, cells := 0, 0
			peak := peakHeap(func() {
				var wb *xlsxstream.Workbook
				if wb, err = open(data, opts); err != nil {
					return
				}
				defer wb.Close()
				for _, sh := range wb.Sheets() {
					var it *xlsxstream.Rows
					if it, err = wb.Rows(context.Background(), sh.Index); err != nil {
						return
					}
					for it.Next() {
						rows++
						cells += len(it.Row().Cells)
					}
					err = it.Err()
					it.Close()
					if err != nil {
						return
					}
				}
			})
			switch {
			case h.limit != "":
				var le *xlsxstream.LimitError
				Expect(errors.As(err, &le)).To(BeTrue(), "want the %s limit, got %v", h.limit, err)
				Expect(le.Limit).To(Equal(h.limit))
				Expect(err).To(MatchError(xlsxstream.ErrLimit))
				Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("%d %s", le.Value, h.limit)))
			case h.err != nil:
				Expect(err).To(MatchError(h.err))
			default:
				Expect(err).NotTo(HaveOccurred())
				if h.check != nil {
					h.check(rows, cells)
				}
			}
			Expect(peak).To(BeNumerically("<", heapBound), "peak heap %d MiB", peak>>20)
			Expect(dirEntries(dir)).To(BeEmpty())
			Expect(openFiles(dir)).To(BeEmpty())
		},
		Entry("a zip bomb: a sheet declared 1 KiB that inflates to 6 MiB", hostile{
			build: func() []byte {
				body := sheetXML(strings.Repeat("<row/>", 1<<20))
				parts := []rawPart{}
				for _, p := range (book{sheets: []string{""}}).parts() {
					if p.name == "xl/worksheets/sheet1.xml" {
						parts = append(parts, rawPart{name: p.name, body: []byte(body), declared: 1 << 10})
					} else {
						parts = append(parts, rawPart{name: p.name, body: []byte(p.body), declared: -1})
					}
				}
				return zipRaw(parts...)
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("a sheet that declares 10 MiB and inflates to less", hostile{
			build: func() []byte {
				parts := []rawPart{}
				for _, p := range (book{sheets: []string{sheetXML(`<row><c><v>1</v></c></row>`)}}).parts() {
					declared := int64(-1)
					if p.name == "xl/worksheets/sheet1.xml" {
						declared = 10 << 20
					}
					parts = append(parts, rawPart{name: p.name, body: []byte(p.body), declared: declared})
				}
				return zipRaw(parts...)
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("a sheet past the unpacked bytes per part", hostile{
			build:  func() []byte { return stored(book{sheets: []string{""}}, repeatRows("<row/>", 1<<20)) },
			limits: xlsxstream.Limits{PartBytes: 4 << 20},
			limit:  xlsxstream.LimitPartBytes,
		}),
		Entry("sheets past the unpacked bytes in total", hostile{
			build: func() []byte {
				s := repeatRows("<row/>", 500_000)
				return book{sheets: []string{s, s, s}}.bytes()
			},
			limits: xlsxstream.Limits{TotalBytes: 8 << 20},
			limit:  xlsxstream.LimitTotalBytes,
		}),
		Entry("a row of 16,384 cells", hostile{
			build: func() []byte { return book{sheets: []string{sheetXML(sheet16k(`<c><v>1</v></c>`))}}.bytes() },
			check: func(rows, cells int) { Expect([]int{rows, cells}).To(Equal([]int{1, 16384})) },
		}),
		Entry("a row of 16,385 cells", hostile{
			build: func() []byte {
				return book{sheets: []string{sheetXML(strings.Replace(sheet16k(`<c><v>1</v></c>`), "</row>", "<c><v>1</v></c></row>", 1))}}.bytes()
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("3 rows of 16,384 cells of a 16 KiB shared string", hostile{
			build: func() []byte {
				rows := strings.Repeat(sheet16k(`<c t="s"><v>0</v></c>`), 3)
				rows = strings.ReplaceAll(rows, `<row r="1">`, `<row>`)
				return book{sst: sstXML(`<si><t>` + cell16KiB + `</t></si>`), sheets: []string{sheetXML(rows)}}.bytes()
			},
			limit: xlsxstream.LimitRowBytes,
		}),
		Entry("a row of 1,100 inline cells of 16 KiB", hostile{
			build: func() []byte {
				return stored(book{sheets: []string{""}},
					sheetXML(`<row>`+strings.Repeat(`<c t="inlineStr"><is><t>`+cell16KiB+`</t></is></c>`, 1100)+`</row>`))
			},
			limit: xlsxstream.LimitRowBytes,
		}),
		Entry("one 16 MiB inline cell", hostile{
			build: func() []byte {
				return stored(book{sheets: []string{sheetXML(`<row><c t="inlineStr"><is><t>` + strings.Repeat("x", 16<<20) + `</t></is></c></row>`)}}, "")
			},
			limit: xlsxstream.LimitCellBytes,
		}),
		Entry("one 16 MiB number", hostile{
			build: func() []byte {
				return stored(book{sheets: []string{sheetXML(`<row><c><v>` + strings.Repeat("9", 16<<20) + `</v></c></row>`)}}, "")
			},
			limit: xlsxstream.LimitCellBytes,
		}),
		Entry("one 16 MiB shared string", hostile{
			build: func() []byte {
				return stored(book{sst: sstXML(`<si><t>` + strings.Repeat("x", 16<<20) + `</t></si>`), sheets: []string{sheetXML("")}}, "")
			},
			limit: xlsxstream.LimitCellBytes,
		}),
		Entry("a huge shared-strings table, spilled and read", hostile{
			build: func() []byte {
				sst := manyStrings(100_000, func(i int) string { return "<si><t>item " + strconv.Itoa(i) + "</t></si>" })
				return stored(book{sst: sst, sheets: []string{sheetXML(`<row><c t="s"><v>0</v></c><c t="s"><v>50000</v></c><c t="s"><v>99999</v></c></row>`)}}, "")
			},
			check: func(rows, cells int) { Expect([]int{rows, cells}).To(Equal([]int{1, 3})) },
		}),
		Entry("more shared strings than the limit", hostile{
			build: func() []byte {
				return book{sst: manyStrings(20_000, func(int) string { return "<si><t>x</t></si>" }), sheets: []string{sheetXML("")}}.bytes()
			},
			limits: xlsxstream.Limits{SharedStrings: 10_000},
			limit:  xlsxstream.LimitSharedStrings,
		}),
		Entry("shared strings past their bytes limit", hostile{
			build: func() []byte {
				return book{sst: manyStrings(2000, func(int) string { return "<si><t>" + strings.Repeat("y", 1000) + "</t></si>" }), sheets: []string{sheetXML("")}}.bytes()
			},
			limits: xlsxstream.Limits{SharedStringsBytes: 1 << 20},
			limit:  xlsxstream.LimitSharedStringsBytes,
		}),
		Entry("deep nesting in a sheet", hostile{
			build: func() []byte { return book{sheets: []string{sheetXML(`<row>` + deep(200_000) + `</row>`)}}.bytes() },
			limit: xlsxstream.LimitDepth,
		}),
		Entry("deep nesting in a cell", hostile{
			build: func() []byte {
				return book{sheets: []string{sheetXML(`<row><c t="inlineStr"><is>` + deep(200_000) + `</is></c></row>`)}}.bytes()
			},
			limit: xlsxstream.LimitDepth,
		}),
		Entry("deep nesting in the shared strings", hostile{
			build: func() []byte {
				return book{sst: sstXML(`<si>` + deep(200_000) + `</si>`), sheets: []string{sheetXML("")}}.bytes()
			},
			limit: xlsxstream.LimitDepth,
		}),
		Entry("deep nesting in the workbook part", hostile{
			build: func() []byte {
				var parts []part
				for _, p := range (book{sheets: []string{sheetXML("")}}).parts() {
					if p.name == "xl/workbook.xml" {
						p.body = strings.Replace(p.body, "<sheets>", deep(200_000)+"<sheets>", 1)
					}
					parts = append(parts, p)
				}
				return zipParts(parts...)
			},
			limit: xlsxstream.LimitDepth,
		}),
		Entry("a sheet with no rows", hostile{
			build: func() []byte {
				return book{sheets: []string{sheetXML(""), `<worksheet ` + nsMain + `/>`, `<worksheet ` + nsMain + `><sheetData/></worksheet>`}}.bytes()
			},
			check: func(rows, cells int) { Expect([]int{rows, cells}).To(Equal([]int{0, 0})) },
		}),
		Entry("a sheet whose 8 MiB are all outside its rows", hostile{
			build: func() []byte {
				return stored(book{sheets: []string{""}}, `<worksheet `+nsMain+`><sheetData/>`+strings.Repeat(`<extLst><ext uri="x"><y/></ext></extLst>`, 200_000)+`</worksheet>`)
			},
			check: func(rows, cells int) { Expect([]int{rows, cells}).To(Equal([]int{0, 0})) },
		}),
		Entry("a million empty rows", hostile{
			build: func() []byte { return stored(book{sheets: []string{""}}, repeatRows("<row/>", xlsxstream.MaxRows)) },
			check: func(rows, cells int) { Expect([]int{rows, cells}).To(Equal([]int{xlsxstream.MaxRows, 0})) },
		}),
		Entry("a truncated zip", hostile{
			build: func() []byte {
				data := book{sheets: []string{repeatRows(`<row><c><v>1</v></c></row>`, 10_000)}}.bytes()
				return data[:len(data)/2]
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("a damaged deflate stream", hostile{
			build: func() []byte {
				var rows strings.Builder
				for i := range 20_000 {
					fmt.Fprintf(&rows, `<row><c><v>%d</v></c><c t="inlineStr"><is><t>%x</t></is></c></row>`, i*7919, i*104729)
				}
				data := book{sheets: []string{sheetXML(rows.String())}}.bytes()
				for i := len(data) / 3; i < len(data)/3+64; i++ {
					data[i] ^= 0x5A
				}
				return data
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("no workbook part", hostile{
			build: func() []byte { return withoutPart(book{sheets: []string{sheetXML("")}}.bytes(), "xl/workbook.xml") },
			err:   xlsxstream.ErrNotWorkbook,
		}),
		Entry("a missing shared-strings part that cells refer to", hostile{
			build: func() []byte {
				return withoutPart(book{sst: sstXML(`<si><t>a</t></si>`), sheets: []string{sheetXML(`<row><c t="s"><v>0</v></c></row>`)}}.bytes(), "xl/sharedStrings.xml")
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("20,000 zip entries", hostile{
			build: func() []byte {
				b := book{sheets: []string{sheetXML("")}}
				for i := range 20_000 {
					b.extra = append(b.extra, part{name: fmt.Sprintf("junk/%d", i)})
				}
				return b.bytes()
			},
			limit: xlsxstream.LimitParts,
		}),
		Entry("5,000 sheets", hostile{
			build: func() []byte {
				s := make([]string, 5000)
				for i := range s {
					s[i] = sheetXML("")
				}
				return book{sheets: s}.bytes()
			},
			limit: xlsxstream.LimitSheets,
		}),
		Entry("a 2 MiB tag", hostile{
			build: func() []byte {
				return book{sheets: []string{sheetXML(`<row r="1" x="` + strings.Repeat("a", 2<<20) + `"/>`)}}.bytes()
			},
			limit: xlsxstream.LimitTagBytes,
		}),
		Entry("more cells than the workbook's limit", hostile{
			build: func() []byte {
				return book{sheets: []string{repeatRows(`<row><c><v>1</v></c><c><v>2</v></c></row>`, 1000)}}.bytes()
			},
			limits: xlsxstream.Limits{Cells: 1500},
			limit:  xlsxstream.LimitCells,
		}),
		Entry("more cells in a row than its limit", hostile{
			build: func() []byte {
				return book{sheets: []string{sheetXML(`<row>` + strings.Repeat(`<c><v>1</v></c>`, 11) + `</row>`)}}.bytes()
			},
			limits: xlsxstream.Limits{CellsPerRow: 10},
			limit:  xlsxstream.LimitCellsPerRow,
		}),
		Entry("more merged ranges than the limit", hostile{
			build: func() []byte {
				var m strings.Builder
				for i := range 200 {
					fmt.Fprintf(&m, `<mergeCell ref="A%d:B%d"/>`, i+1, i+1)
				}
				return book{sheets: []string{`<worksheet ` + nsMain + `><sheetData/><mergeCells>` + m.String() + `</mergeCells></worksheet>`}}.bytes()
			},
			limits: xlsxstream.Limits{MergedRanges: 100},
			limit:  xlsxstream.LimitMergedRanges,
		}),
		Entry("a billion laughs", hostile{
			build: func() []byte {
				return book{sheets: []string{`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` +
					`<worksheet ` + nsMain + `><sheetData><row><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>`}}.bytes()
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("a sheet in UTF-16", hostile{
			build: func() []byte {
				s := sheetXML("")
				u := []byte{0xFF, 0xFE}
				for _, c := range []byte(s) {
					u = append(u, c, 0)
				}
				return book{sheets: []string{string(u)}}.bytes()
			},
			err: xlsxstream.ErrMalformed,
		}),
		Entry("a sheet declared in another encoding", hostile{
			build: func() []byte {
				return book{sheets: []string{`<?xml version="1.0" encoding="ISO-8859-1"?><worksheet ` + nsMain + `><sheetData/></worksheet>`}}.bytes()
			},
			err: xlsxstream.ErrMalformed,
		}),
	)
})
