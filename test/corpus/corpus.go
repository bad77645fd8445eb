// Package corpus is a set of real-world-shaped spreadsheets with their
// truth (which rows are headers, which are data, where each table is),
// for the tabular extractor's specs and its detection-quality benchmark.
//
// Every case is written here as rows, each row declared for what it is
// (title, note, header, data, blank), so the truth follows from the
// layout instead of being typed twice. The documents are generated from
// the rows in the case's format (CSV in several delimiters and encodings,
// XLSX), except legacy XLS, which no Go library writes: those files were
// converted from the same rows with python3-xlwt (testdata/make_xls.py)
// and are embedded.
package corpus

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Families of layouts, as the quality table groups them.
const (
	FamilyStatistical = "statistical"
	FamilyLookup      = "lookup"
	FamilyOneRow      = "one-row"
	FamilyTitled      = "title-above-header"
	FamilyRemittance  = "remittance"
	FamilyVariants    = "delimiter-encoding"
	FamilyXLS         = "xls"
	FamilyNoTable     = "no-table"
)

// Families lists the families in report order.
var Families = []string{FamilyStatistical, FamilyLookup, FamilyOneRow, FamilyTitled,
	FamilyRemittance, FamilyVariants, FamilyXLS, FamilyNoTable}

// Truth is one table as a reader sees it: its sheet, header rows, data
// rows (1-based row numbers) and columns (0-based, inclusive).
type Truth struct {
	Sheet      string
	HeaderRows []int
	DataRows   []int
	FirstCol   int
	LastCol    int
}

// Sheet is one sheet of a case: its rows (string or number cells; nil or
// "" is empty) and its tables.
type Sheet struct {
	Name   string
	Rows   [][]any
	Tables []Truth
}

// Case is one document and its truth.
type Case struct {
	Name     string
	Family   string
	Filename string
	// Format is csv, xlsx or xls; Encoding and Delimiter apply to csv.
	Format    string
	Encoding  string
	Delimiter rune
	Sheets    []Sheet
}

// Tables returns every table of the case, sheet by sheet.
func (c Case) Tables() []Truth {
	var out []Truth
	for _, s := range c.Sheets {
		out = append(out, s.Tables...)
	}
	return out
}

// Cell returns the text of a cell (1-based row, 0-based column) of a
// sheet, as a CSV export writes it.
func (c Case) Cell(sheet string, row, col int) string {
	for _, s := range c.Sheets {
		if s.Name != sheet || row < 1 || row > len(s.Rows) || col >= len(s.Rows[row-1]) {
			continue
		}
		return text(s.Rows[row-1][col])
	}
	return ""
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

//go:embed testdata/*.xls
var xlsFiles embed.FS

// Bytes renders the case's document.
func (c Case) Bytes() ([]byte, error) {
	switch c.Format {
	case "xls":
		return xlsFiles.ReadFile("testdata/" + c.Filename)
	case "xlsx":
		return c.xlsx()
	}
	return c.csv()
}

func (c Case) csv() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if c.Delimiter != 0 {
		w.Comma = c.Delimiter
	}
	for _, r := range c.Sheets[0].Rows {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = text(v)
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	out := buf.Bytes()
	switch c.Encoding {
	case "utf-8-bom":
		return append([]byte{0xEF, 0xBB, 0xBF}, out...), nil
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(out)
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes(out)
	case "windows-1252":
		return charmap.Windows1252.NewEncoder().Bytes(out)
	}
	return out, nil
}

func (c Case) xlsx() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range c.Sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return nil, err
		}
		for r, row := range s.Rows {
			for col, v := range row {
				if v == nil || v == "" {
					continue
				}
				ref, _ := excelize.CoordinatesToCellName(col+1, r+1)
				if err := f.SetCellValue(s.Name, ref, v); err != nil {
					return nil, err
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sheet builds a sheet row by row, recording the truth as it goes.
type sheet struct {
	s   Sheet
	cur *Truth
	col int // first column of the tables that follow
}

func newSheet(name string) *sheet { return &sheet{s: Sheet{Name: name}} }

func (b *sheet) row(cells ...any) int {
	r := make([]any, b.col, b.col+len(cells))
	b.s.Rows = append(b.s.Rows, append(r, cells...))
	return len(b.s.Rows)
}

// line adds a row that is neither header nor data (a title, a note, a
// footnote, a source line).
func (b *sheet) line(cells ...any) *sheet { b.row(cells...); return b }

// blank adds n blank rows.
func (b *sheet) blank(n int) *sheet {
	for range n {
		b.s.Rows = append(b.s.Rows, nil)
	}
	return b
}

// header adds a header row: the first starts a table, the next ones stack.
func (b *sheet) header(cells ...any) *sheet {
	n := b.row(cells...)
	if b.cur == nil || len(b.cur.DataRows) > 0 {
		b.s.Tables = append(b.s.Tables, Truth{Sheet: b.s.Name, FirstCol: b.col, LastCol: b.col + len(cells) - 1})
		b.cur = &b.s.Tables[len(b.s.Tables)-1]
	}
	b.cur.HeaderRows = append(b.cur.HeaderRows, n)
	b.cur.LastCol = max(b.cur.LastCol, b.col+len(cells)-1)
	return b
}

// data adds a data row of the current table (a category row, a total and
// a row of value markers are data too).
func (b *sheet) data(cells ...any) *sheet {
	n := b.row(cells...)
	b.cur.DataRows = append(b.cur.DataRows, n)
	return b
}

// end closes the current table: rows after it belong to none.
func (b *sheet) end() *sheet { b.cur = nil; return b }

func (b *sheet) done() Sheet {
	for i := range b.s.Tables {
		b.s.Tables[i].HeaderRows = append([]int(nil), b.s.Tables[i].HeaderRows...)
	}
	return b.s
}

// headerOnly drops the current table from the truth: a header without
// data is no table.
func (b *sheet) headerOnly() *sheet {
	b.s.Tables = b.s.Tables[:len(b.s.Tables)-1]
	b.cur = nil
	return b
}

func indent(s string, n int) string { return strings.Repeat(" ", n) + s }
