package xlsxstream_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

// fuzzLimits keep each input cheap while leaving every limit reachable.
var fuzzLimits = xlsxstream.Limits{CellBytes: 1 << 10, RowBytes: 16 << 10, Cells: 10_000, SharedStrings: 1000,
	SharedStringsBytes: 64 << 10, PartBytes: 1 << 20, Depth: 24, TagBytes: 1 << 10, MergedRanges: 100}

// storedBook zips a workbook without compressing its parts.
func storedBook(b book) []byte {
	var parts []rawPart
	for _, p := range b.parts() {
		parts = append(parts, rawPart{name: p.name, body: []byte(p.body), store: true, declared: -1})
	}
	return zipRaw(parts...)
}

// fuzzRead reads sheet 0 and checks what holds for any input: the error
// is typed, rows and cells are in order and inside the grid, values are
// UTF-8 and not empty. It returns the rows and merged ranges as text.
func fuzzRead(t *testing.T, data []byte, opts xlsxstream.Options) string {
	t.Helper()
	wb, err := open(data, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer wb.Close()
	rows, err := wb.Rows(context.Background(), 0)
	out := ""
	if err == nil {
		prev := 0
		for rows.Next() {
			r := rows.Row()
			if r.Num <= prev || r.Num > xlsxstream.MaxRows {
				t.Fatalf("row %d after %d", r.Num, prev)
			}
			prev = r.Num
			col := -1
			for _, c := range r.Cells {
				if c.Col <= col || c.Col >= xlsxstream.MaxColumns {
					t.Fatalf("row %d: column %d after %d", r.Num, c.Col, col)
				}
				col = c.Col
				if c.Value == "" || !utf8.ValidString(c.Value) || c.Kind > xlsxstream.KindError {
					t.Fatalf("row %d column %d: %v %q", r.Num, c.Col, c.Kind, c.Value)
				}
			}
			out += fmt.Sprintf("%+v\n", r)
		}
		err = rows.Err()
		out += fmt.Sprintf("merged %v hidden %v\n", rows.MergedRanges(), rows.HiddenColumns())
		rows.Close()
	}
	if err != nil && !errors.Is(err, xlsxstream.ErrMalformed) && !errors.Is(err, xlsxstream.ErrLimit) {
		t.Fatalf("untyped error: %v", err)
	}
	return out + fmt.Sprint(err)
}

// fuzzCompare reads data with the fast paths and without, and spilled
// and not: all four must agree.
func fuzzCompare(t *testing.T, data []byte) {
	defer xlsxstream.SetFastPaths(true)
	dir := t.TempDir()
	var first string
	for i, mode := range []struct {
		fast  bool
		spill bool
	}{{true, false}, {false, false}, {true, true}, {false, true}} {
		xlsxstream.SetFastPaths(mode.fast)
		opts := xlsxstream.Options{Limits: fuzzLimits, TempDir: dir}
		if mode.spill {
			opts.SharedStringsMemory = 1
		}
		got := fuzzRead(t, data, opts)
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("fast paths %v, spilled %v read\n%s\nwhere the first reading gave\n%s", mode.fast, mode.spill, got, first)
		}
	}
}

func FuzzSheet(f *testing.F) {
	for _, seed := range []string{
		sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1.5E+3</v></c><c r="C1" s="1"><v>45000.5</v></c></row>`),
		sheetXML(`<row><c t="inlineStr"><is><r><t>a&amp;b</t></r><rPh><t>x</t></rPh></is></c><c t="str"><f>1</f><v>_x000D_</v></c></row>`),
		sheetXML(`<row r="3" hidden="1"><c r="C3" t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c t="d"><v>2024-01-01</v></c></row>`),
		`<worksheet ` + nsMain + `><cols><col min="1" max="3" hidden="1"/></cols><sheetData><row><c><v><![CDATA[1]]></v></c></row></sheetData><mergeCells><mergeCell ref="A1:B2"/></mergeCells></worksheet>`,
		"<x:worksheet xmlns:x=\"m\">\n <x:sheetData>\n  <x:row r='2'><x:c r='B2'><x:v>7</x:v></x:c><!-- c --></x:row>\n </x:sheetData>\n</x:worksheet>",
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet><sheetData><row><c><v>1</v></c></row></sheetData></worksheet>",
		sheetXML(`<row><c r="XFD1"><v>1</v></c></row><row r="1048576"/>`),
		sheetXML(`<row><c t="inlineStr"><is><t>` + "\xff\xfe" + `&#x1F600;_xD83D__xDE00_</t></is></c></row>`),
		sheetXML(`<row><c><v>1</v></row>`),
		`<!DOCTYPE x><worksheet/>`,
		``,
	} {
		f.Add([]byte(seed))
	}
	sst := sstXML(`<si><t>zero</t></si>`, `<si><r><t>o</t></r><r><t>ne</t></r></si>`, `<si/>`)
	styles := stylesXML(map[int]string{164: "yyyy-mm-dd"}, 14, 164, 2)
	f.Fuzz(func(t *testing.T, sheet []byte) {
		fuzzCompare(t, storedBook(book{sst: sst, styles: styles, sheets: []string{string(sheet)}}))
	})
}

func FuzzSharedStrings(f *testing.F) {
	for _, seed := range []string{
		sstXML(`<si><t>a</t></si>`, `<si><t xml:space="preserve"> b </t></si>`, `<si><r><rPr><b/></rPr><t>c</t></r><r><t>d</t></r></si>`),
		sstXML(`<si><t>&lt;&#233;&#x4E2D;_x005F_x0041_</t><rPh sb="0" eb="1"><t>P</t></rPh><phoneticPr fontId="0"/></si>`, `<si/>`, `<si><t/></si>`),
		"<x:sst xmlns:x='m'>\n<x:si><x:t>p</x:t></x:si>\n<x:si><x:t><![CDATA[<&>]]></x:t></x:si></x:sst>",
		sstXML(`<si><t>`+"one\r\ntwo\rthree"+`</t></si>`, `<si><t>x<!-- c -->y</t></si>`),
		sstXML(`<si><t>unterminated</si>`),
		sstXML(`<si><t>&bogus;</t></si>`),
		`<sst>` + deep(40) + `</sst>`,
		``,
	} {
		f.Add([]byte(seed))
	}
	var rows string
	for i := range 10 {
		rows += fmt.Sprintf(`<c t="s"><v>%d</v></c>`, i)
	}
	sheet := sheetXML(`<row>` + rows + `</row><row><c t="s"><v>1</v></c><c t="s"><v>0</v></c></row>`)
	f.Fuzz(func(t *testing.T, sst []byte) {
		fuzzCompare(t, storedBook(book{sst: string(sst), sheets: []string{sheet}}))
	})
}
