package xlsxstream_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/xuri/excelize/v2"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

// What "exactly excelize's cells" means in these properties.
//
// excelize is opened on the same bytes and read with f.Rows and
// Columns(excelize.Options{RawCellValue: true}); its row of strings, with
// trailing empty strings removed, must equal the reader's row laid out by
// column (a column the reader does not return is ""). Rows excelize
// returns empty and the reader does not return are equal. Hidden rows
// (GetRowVisible: the row iterator's GetRowOpts reports a row's options
// on the row before it when rows are skipped), hidden columns (GetColVisible), merged ranges
// (GetMergeCells), the sheet list, visibility and active sheet must match
// too.
//
// On top of excelize, the generator's intent checks what excelize's raw
// values cannot say: each cell's kind (a number written with a date or
// time format is a date, with another format a number; a bool a bool; a
// string text), and for each date the reader's DateISO of the raw serial
// equals the time the generator wrote, to the second ("2006-01-02" when
// the time is midnight, "2006-01-02T15:04:05" otherwise; the generator
// writes whole seconds), and equals excelize.ExcelDateToTime of the same
// serial formatted the same way.
//
// One difference is by design and asserted as such: a formula's string
// result (t="str") whose text holds an _xHHHH_ escape. excelize writes
// the escape and returns it undecoded; the reader decodes it, as Excel
// does, and returns the text the generator wrote.

// wantCell is what the generator wrote in a cell.
type wantCell struct {
	kind    xlsxstream.Kind
	when    time.Time // dates
	formula bool      // a formula's string result
	text    string    // strings: the text written
}

type genSheet struct {
	name       string
	stream     bool
	state      xlsxstream.Visibility
	cells      map[[2]int]wantCell // (row from 1, column from 0)
	hiddenRows map[int]bool
}

type genBook struct {
	sheets   []*genSheet
	active   int
	date1904 bool
}

var (
	textRunes  = []rune("aZ09 <>&\"'_x\t\né中😀-=+@;,.\r")
	sheetNames = []string{"Data & Notes", "Q1 <draft>", "Résumé", "plain", "Sheet 7", "a'b"}
	dateFmts   = []int{14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}
	customDate = []string{"yyyy-mm-dd", "dd/mm/yyyy hh:mm:ss", "[$-409]mmmm d, yyyy;@", `d "of" mmmm yyyy`, "m/d/yy h:mm AM/PM"}
	numberFmts = []int{1, 2, 3, 4, 9, 10, 11, 12, 37, 40, 48}
	customNum  = []string{"0.000", `#,##0 "kg"`, "0.00E+00", "[Red]0.0;[Blue]-0.0", `"yyyy"0`}
)

func drawText(t *rapid.T, label string) string {
	if rapid.IntRange(0, 9).Draw(t, label+"Literal") == 0 {
		return rapid.SampledFrom([]string{"_x0041_", "a_x005F_b", "_x000D_", "x_x", " lead", "trail "}).Draw(t, label+"L")
	}
	return rapid.StringOfN(rapid.SampledFrom(textRunes), 1, 10, -1).Draw(t, label)
}

// drawNumber returns a number's text in one of the forms Excel and other
// writers store.
func drawNumber(t *rapid.T, label string) string {
	switch rapid.IntRange(0, 5).Draw(t, label+"Form") {
	case 0:
		return strconv.FormatInt(rapid.Int64().Draw(t, label), 10)
	case 1:
		return strconv.FormatFloat(rapid.Float64Range(-1e6, 1e6).Draw(t, label), 'f', -1, 64)
	case 2:
		return strconv.FormatFloat(rapid.Float64().Draw(t, label), 'E', -1, 64)
	case 3:
		return rapid.SampledFrom([]string{"1.5E+300", "-2.5e-300", "0", "-0", "1E-7", "123456789012345678901234567890",
			"0.1000000000000000055511151231257827", "4.9406564584124654E-324", "1.7976931348623157E+308", ".5", "5."}).Draw(t, label)
	case 4:
		return strconv.FormatFloat(rapid.Float64Range(-1, 1).Draw(t, label), 'g', -1, 64)
	}
	return strconv.Itoa(rapid.IntRange(-1000, 1000).Draw(t, label))
}

func drawTime(t *rapid.T, label string, date1904 bool) time.Time {
	lo := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	if date1904 {
		lo = time.Date(1904, 1, 2, 0, 0, 0, 0, time.UTC).Unix()
	}
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	if rapid.Bool().Draw(t, label+"Recent") {
		lo, hi = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	}
	tm := time.Unix(rapid.Int64Range(lo, hi).Draw(t, label), 0).UTC()
	if rapid.Bool().Draw(t, label+"Midnight") {
		tm = tm.Truncate(24 * time.Hour)
	}
	return tm
}

// writeExcelize builds a random workbook with excelize and returns its
// bytes and what was written.
func writeExcelize(t *rapid.T) ([]byte, *genBook) {
	f := excelize.NewFile()
	defer f.Close()
	g := &genBook{date1904: rapid.IntRange(0, 4).Draw(t, "date1904") == 0}
	if g.date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatalf("1904: %v", err)
		}
	}
	names := rapid.SliceOfNDistinct(rapid.SampledFrom(sheetNames), 1, 3, rapid.ID[string]).Draw(t, "sheets")
	for i, name := range names {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatalf("rename: %v", err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatalf("new sheet: %v", err)
		}
		sh := &genSheet{name: name, stream: rapid.Bool().Draw(t, "stream"), cells: map[[2]int]wantCell{}, hiddenRows: map[int]bool{}}
		g.sheets = append(g.sheets, sh)
		fillSheet(t, f, g, sh)
	}
	g.active = rapid.IntRange(0, len(names)-1).Draw(t, "active")
	f.SetActiveSheet(g.active)
	for i, sh := range g.sheets {
		if i == g.active {
			continue
		}
		switch rapid.IntRange(0, 2).Draw(t, "state") {
		case 1:
			sh.state = xlsxstream.Hidden
			_ = f.SetSheetVisible(sh.name, false)
		case 2:
			sh.state = xlsxstream.VeryHidden
			_ = f.SetSheetVisible(sh.name, false, true)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatalf("write: %v", err)
	}
	return buf.Bytes(), g
}

// fillSheet writes random cells, hidden columns and rows and merged
// ranges, with the cell API or a stream writer.
func fillSheet(t *rapid.T, f *excelize.File, g *genBook, sh *genSheet) {
	style := func(numFmt int, custom string) int {
		st := &excelize.Style{NumFmt: numFmt}
		if custom != "" {
			st = &excelize.Style{CustomNumFmt: &custom}
		}
		id, err := f.NewStyle(st)
		if err != nil {
			t.Fatalf("style: %v", err)
		}
		return id
	}
	nRows := rapid.IntRange(0, 12).Draw(t, "rows")
	nCols := rapid.IntRange(1, 8).Draw(t, "cols")
	var sw *excelize.StreamWriter
	if sh.stream {
		var err error
		if sw, err = f.NewStreamWriter(sh.name); err != nil {
			t.Fatalf("stream: %v", err)
		}
	}
	hiddenCols := rapid.SliceOfN(rapid.IntRange(1, nCols+2), 0, 3).Draw(t, "hiddenCols")
	for _, c := range hiddenCols {
		if sw != nil {
			_ = sw.SetColVisible(c, c, false)
		} else {
			name, _ := excelize.ColumnNumberToName(c)
			_ = f.SetColVisible(sh.name, name, false)
		}
	}
	for r := 1; r <= nRows; r++ {
		if rapid.IntRange(0, 4).Draw(t, "emptyRow") == 0 {
			continue
		}
		hidden := rapid.IntRange(0, 5).Draw(t, "hiddenRow") == 0
		row := make([]any, nCols)
		for c := range nCols {
			if rapid.IntRange(0, 3).Draw(t, "sparse") == 0 {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(c+1, r)
			var want wantCell
			var value any
			styleID := 0
			switch kind := rapid.IntRange(0, 9).Draw(t, "kind"); kind {
			case 0, 1: // a string: shared with the cell API, inline with a stream writer
				s := drawText(t, "text")
				want, value = wantCell{kind: xlsxstream.KindText, text: s}, s
			case 2: // rich text
				runs := []excelize.RichTextRun{{Text: drawText(t, "run1")}, {Text: drawText(t, "run2"), Font: &excelize.Font{Bold: true}}}
				want, value = wantCell{kind: xlsxstream.KindText, text: runs[0].Text + runs[1].Text}, runs
			case 3: // a number in a raw lexical form
				n := drawNumber(t, "number")
				if sw != nil {
					// The stream writer has no raw form: a float.
					v, _ := strconv.ParseFloat(n, 64)
					want, value = wantCell{kind: xlsxstream.KindNumber}, v
				} else {
					want, value = wantCell{kind: xlsxstream.KindNumber}, rawNumber(n)
				}
			case 4: // a number with a number format
				v := rapid.Float64Range(-1e9, 1e9).Draw(t, "formatted")
				if rapid.Bool().Draw(t, "customNum") {
					styleID = style(0, rapid.SampledFrom(customNum).Draw(t, "customNumFmt"))
				} else {
					styleID = style(rapid.SampledFrom(numberFmts).Draw(t, "numFmt"), "")
				}
				want, value = wantCell{kind: xlsxstream.KindNumber}, v
			case 5:
				b := rapid.Bool().Draw(t, "bool")
				want, value = wantCell{kind: xlsxstream.KindBool}, b
			case 6, 7: // a date or time, with excelize's default style, a built-in or a custom one
				tm := drawTime(t, "time", g.date1904)
				switch rapid.IntRange(0, 2).Draw(t, "dateStyle") {
				case 1:
					styleID = style(rapid.SampledFrom(dateFmts).Draw(t, "dateFmt"), "")
				case 2:
					styleID = style(0, rapid.SampledFrom(customDate).Draw(t, "customDate"))
				}
				want, value = wantCell{kind: xlsxstream.KindDate, when: tm}, tm
			case 8: // an integer
				v := rapid.IntRange(-1_000_000, 1_000_000).Draw(t, "int")
				want, value = wantCell{kind: xlsxstream.KindNumber}, v
			case 9: // a formula's string result (stream writer), else a string
				s := drawText(t, "formula")
				if sw != nil {
					want, value = wantCell{kind: xlsxstream.KindText, text: s, formula: true}, excelize.Cell{Formula: `"x"&"y"`, Value: s}
				} else {
					want, value = wantCell{kind: xlsxstream.KindText, text: s}, s
				}
			}
			sh.cells[[2]int{r, c}] = want
			if sw != nil {
				if cell, ok := value.(excelize.Cell); ok {
					cell.StyleID = styleID
					row[c] = cell
				} else if styleID != 0 {
					row[c] = excelize.Cell{StyleID: styleID, Value: value}
				} else {
					row[c] = value
				}
				continue
			}
			var err error
			switch v := value.(type) {
			case rawNumber:
				err = f.SetCellDefault(sh.name, ref, string(v))
			case []excelize.RichTextRun:
				err = f.SetCellRichText(sh.name, ref, v)
			default:
				err = f.SetCellValue(sh.name, ref, v)
			}
			if err == nil && styleID != 0 {
				err = f.SetCellStyle(sh.name, ref, ref, styleID)
			}
			if err != nil {
				t.Fatalf("set %s: %v", ref, err)
			}
		}
		if hidden {
			sh.hiddenRows[r] = true
		}
		if sw != nil {
			ref, _ := excelize.CoordinatesToCellName(1, r)
			if err := sw.SetRow(ref, row, excelize.RowOpts{Hidden: hidden}); err != nil {
				t.Fatalf("set row: %v", err)
			}
		} else if hidden {
			_ = f.SetRowVisible(sh.name, r, false)
		}
	}
	// Merged ranges of two cells or more, apart from one another (excelize
	// folds overlapping ones), below the cells (excelize's MergeCell clears
	// the cells a range covers).
	for i := range rapid.IntRange(0, 2).Draw(t, "merges") {
		r := nRows + 1 + rapid.IntRange(0, 2).Draw(t, "mergeRow")
		c := 1 + 3*i
		w, h := rapid.IntRange(0, 1).Draw(t, "mergeW"), rapid.IntRange(0, 2).Draw(t, "mergeH")
		if w == 0 && h == 0 {
			h = 1
		}
		a, _ := excelize.CoordinatesToCellName(c, r)
		b, _ := excelize.CoordinatesToCellName(c+w, r+h)
		if sw != nil {
			_ = sw.MergeCell(a, b)
		} else {
			_ = f.MergeCell(sh.name, a, b)
		}
	}
	if sw != nil {
		if err := sw.Flush(); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
}

// rawNumber is a number written as its text (SetCellDefault).
type rawNumber string

// excelizeSheet is excelize's reading of one sheet: its rows, trailing ""
// removed, empty rows absent.
type excelizeSheet struct {
	rows map[int][]string
}

func readExcelize(f *excelize.File, sheet string) (excelizeSheet, error) {
	out := excelizeSheet{rows: map[int][]string{}}
	rows, err := f.Rows(sheet)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return out, err
		}
		for len(cols) > 0 && cols[len(cols)-1] == "" {
			cols = cols[:len(cols)-1]
		}
		if len(cols) > 0 {
			out.rows[n] = cols
		}
	}
	return out, rows.Error()
}

// dense lays a row's cells out by column.
func dense(cells []xlsxstream.Cell) []string {
	if len(cells) == 0 {
		return nil
	}
	out := make([]string, cells[len(cells)-1].Col+1)
	for _, c := range cells {
		out[c.Col] = c.Value
	}
	return out
}

// isoOf is DateISO's form of a time: a date alone at midnight.
func isoOf(tm time.Time) string {
	if tm.Hour() == 0 && tm.Minute() == 0 && tm.Second() == 0 {
		return tm.Format("2006-01-02")
	}
	return tm.Format("2006-01-02T15:04:05")
}

// compareWithExcelize checks the reader against excelize on data; want,
// when given, adds the generator's intent. hidden, when given, are the
// hidden rows of the first sheet, written in a shape excelize's
// worksheet model misplaces (rows without numbers).
func compareWithExcelize(t interface {
	Fatalf(string, ...any)
}, data []byte, want *genBook, hidden map[int]bool) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("excelize open: %v", err)
	}
	defer f.Close()
	wb, err := open(data, xlsxstream.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer wb.Close()
	sheets := wb.Sheets()
	var names []string
	for _, s := range sheets {
		names = append(names, s.Name)
		if vis, _ := f.GetSheetVisible(s.Name); vis != (s.Visibility == xlsxstream.Visible) {
			t.Fatalf("sheet %q: visibility %v, excelize visible %v", s.Name, s.Visibility, vis)
		}
		if s.Active != (s.Index == f.GetActiveSheetIndex()) {
			t.Fatalf("sheet %q: active %v, excelize's active sheet is %d", s.Name, s.Active, f.GetActiveSheetIndex())
		}
	}
	if fmt.Sprint(names) != fmt.Sprint(f.GetSheetList()) {
		t.Fatalf("sheets %q, excelize %q", names, f.GetSheetList())
	}
	if want != nil && wb.Date1904() != want.date1904 {
		t.Fatalf("date1904 %v, written %v", wb.Date1904(), want.date1904)
	}
	for _, s := range sheets {
		rows, iter, err := readSheet(wb, s.Index)
		if err != nil {
			t.Fatalf("sheet %q: %v", s.Name, err)
		}
		ex, err := readExcelize(f, s.Name)
		if err != nil {
			t.Fatalf("excelize sheet %q: %v", s.Name, err)
		}
		var gs *genSheet
		if want != nil {
			gs = want.sheets[s.Index]
			if gs.state != s.Visibility {
				t.Fatalf("sheet %q: visibility %v, written %v", s.Name, s.Visibility, gs.state)
			}
		}
		mine := map[int]xlsxstream.Row{}
		for _, r := range rows {
			mine[r.Num] = r
			if hidden != nil {
				if r.Hidden != hidden[r.Num] {
					t.Fatalf("sheet %q row %d: hidden %v, written %v", s.Name, r.Num, r.Hidden, hidden[r.Num])
				}
			} else if vis, err := f.GetRowVisible(s.Name, r.Num); err != nil || r.Hidden == vis {
				t.Fatalf("sheet %q row %d: hidden %v, excelize visible %v (%v)", s.Name, r.Num, r.Hidden, vis, err)
			}
			if gs != nil && r.Hidden != gs.hiddenRows[r.Num] {
				t.Fatalf("sheet %q row %d: hidden %v, written %v", s.Name, r.Num, r.Hidden, gs.hiddenRows[r.Num])
			}
		}
		for num := range ex.rows {
			if _, ok := mine[num]; !ok {
				t.Fatalf("sheet %q: row %d missing; excelize reads %q", s.Name, num, ex.rows[num])
			}
		}
		for num, r := range mine {
			got, exp := dense(r.Cells), ex.rows[num]
			for c := range max(len(got), len(exp)) {
				var g, e string
				if c < len(got) {
					g = got[c]
				}
				if c < len(exp) {
					e = exp[c]
				}
				w, written := wantCell{}, false
				if gs != nil {
					w, written = gs.cells[[2]int{num, c}]
				}
				if g != e && !(written && w.formula && g == w.text && strings.Contains(w.text, "_x")) {
					t.Fatalf("sheet %q cell %d:%d: %q, excelize %q", s.Name, num, c, g, e)
				}
			}
			for _, c := range r.Cells {
				if gs == nil {
					continue
				}
				w, ok := gs.cells[[2]int{num, c.Col}]
				if !ok {
					t.Fatalf("sheet %q cell %d:%d: %q was not written", s.Name, num, c.Col, c.Value)
				}
				if c.Kind != w.kind {
					t.Fatalf("sheet %q cell %d:%d %q: kind %v, written %v", s.Name, num, c.Col, c.Value, c.Kind, w.kind)
				}
				if w.formula && c.Value != w.text {
					t.Fatalf("sheet %q cell %d:%d: formula result %q, written %q", s.Name, num, c.Col, c.Value, w.text)
				}
				if c.Kind != xlsxstream.KindDate {
					continue
				}
				iso, err := xlsxstream.DateISO(c.Value, wb.Date1904())
				if err != nil {
					t.Fatalf("sheet %q cell %d:%d %q: %v", s.Name, num, c.Col, c.Value, err)
				}
				if iso != isoOf(w.when) {
					t.Fatalf("sheet %q cell %d:%d %q: %s, written %s", s.Name, num, c.Col, c.Value, iso, isoOf(w.when))
				}
				serial, _ := strconv.ParseFloat(c.Value, 64)
				exTime, err := excelize.ExcelDateToTime(serial, wb.Date1904())
				if err != nil || isoOf(exTime) != iso {
					t.Fatalf("sheet %q cell %d:%d %q: %s, excelize %s (%v)", s.Name, num, c.Col, c.Value, iso, isoOf(exTime), err)
				}
			}
		}
		if gs != nil {
			for k, w := range gs.cells {
				if _, ok := mine[k[0]]; !ok && (w.kind != xlsxstream.KindText || w.text != "") {
					t.Fatalf("sheet %q: row %d was written and not read", s.Name, k[0])
				}
			}
		}
		for c := 1; c <= 12; c++ {
			name, _ := excelize.ColumnNumberToName(c)
			vis, err := f.GetColVisible(s.Name, name)
			if err == nil && iter.ColumnHidden(c-1) == vis {
				t.Fatalf("sheet %q column %s: hidden %v, excelize visible %v", s.Name, name, iter.ColumnHidden(c-1), vis)
			}
		}
		exMerges, err := f.GetMergeCells(s.Name)
		if err != nil {
			t.Fatalf("excelize merges: %v", err)
		}
		var exRanges []string
		for _, m := range exMerges {
			exRanges = append(exRanges, m.GetStartAxis()+":"+m.GetEndAxis())
		}
		pre, err := wb.MergedRanges(context.Background(), s.Index)
		if err != nil {
			t.Fatalf("merged ranges: %v", err)
		}
		if a, b, c := rangeNames(iter.MergedRanges()), rangeNames(pre), sorted(exRanges); fmt.Sprint(a) != fmt.Sprint(c) || fmt.Sprint(b) != fmt.Sprint(c) {
			t.Fatalf("sheet %q merged ranges %v (before the rows %v), excelize %v", s.Name, a, b, c)
		}
	}
}

func rangeNames(rs []xlsxstream.Range) []string {
	var out []string
	for _, r := range rs {
		a, _ := excelize.CoordinatesToCellName(r.FirstCol+1, r.FirstRow)
		b, _ := excelize.CoordinatesToCellName(r.LastCol+1, r.LastRow)
		out = append(out, a+":"+b)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

var _ = Describe("Reading what excelize reads", func() {
	It("yields exactly excelize's cells for random workbooks excelize writes", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			data, g := writeExcelize(t)
			compareWithExcelize(t, data, g, nil)
		})
	})
})

// drawXMLText draws character data as XML writers encode it: plain text,
// the predefined entities and character references, CDATA sections,
// comments, raw line ends, and Excel's _xHHHH_ escapes (noEscapes leaves
// the last out).
func drawXMLText(t *rapid.T, label string, noEscapes bool) string {
	var b strings.Builder
	for i := range rapid.IntRange(1, 5).Draw(t, label+"Segments") {
		kinds := 8
		if noEscapes {
			kinds = 7
		}
		switch rapid.IntRange(0, kinds-1).Draw(t, fmt.Sprintf("%sSeg%d", label, i)) {
		case 0, 1:
			b.WriteString(rapid.StringOfN(rapid.SampledFrom([]rune("ab Z09-é中😀\t,;.'\"")), 1, 6, -1).Draw(t, label+"Plain"))
		case 2:
			b.WriteString(rapid.SampledFrom([]string{"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#38;", "&#x26;", "&#233;", "&#x1F600;", "&#xD;", "&#10;", "&#9;"}).Draw(t, label+"Entity"))
		case 3:
			b.WriteString("<![CDATA[" + rapid.SampledFrom([]string{"<b>", "a & b", "]]", "]", ""}).Draw(t, label+"CDATA") + "]]>")
		case 4:
			b.WriteString("<!-- " + rapid.SampledFrom([]string{"note", "-", "<c>"}).Draw(t, label+"Comment") + " -->")
		case 5:
			b.WriteString(rapid.SampledFrom([]string{"\r\n", "\n", "\r", " "}).Draw(t, label+"EOL"))
		case 6:
			b.WriteString(">")
		case 7:
			b.WriteString(rapid.SampledFrom([]string{"_x000D_", "_x005F_x0041_", "_x0041_", "_x00e9_", "_x4E2D_", "_x005f_", "_xZZZZ_", "_x12_"}).Draw(t, label+"Escape"))
		}
	}
	return b.String()
}

// drawItem draws the content of a string item (si, or a cell's is).
func drawItem(t *rapid.T, p string) string {
	tOpen := rapid.SampledFrom([]string{"<" + p + "t>", "<" + p + `t xml:space="preserve">`}).Draw(t, "tOpen")
	tClose := "</" + p + "t>"
	var b strings.Builder
	if rapid.Bool().Draw(t, "rich") {
		for i := range rapid.IntRange(1, 3).Draw(t, "runs") {
			b.WriteString("<" + p + "r>")
			if i%2 == 1 {
				b.WriteString("<" + p + `rPr><` + p + `b/><` + p + `sz val="11"/></` + p + "rPr>")
			}
			b.WriteString(tOpen + drawXMLText(t, "run", false) + tClose + "</" + p + "r>")
		}
	} else {
		b.WriteString(tOpen + drawXMLText(t, "text", false) + tClose)
	}
	if rapid.IntRange(0, 3).Draw(t, "phonetic") == 0 {
		b.WriteString("<" + p + `rPh sb="0" eb="1">` + tOpen + "PH" + tClose + "</" + p + "rPh><" + p + `phoneticPr fontId="1"/>`)
	}
	return b.String()
}

// drawRawBook draws a workbook as XML in the shapes spreadsheet programs
// and libraries write: references present or implied, namespace prefixes,
// pretty printing, comments, every cell type.
func drawRawBook(t *rapid.T) (book, map[int]bool) {
	p := rapid.SampledFrom([]string{"", "x:"}).Draw(t, "prefix")
	ns := `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	if p != "" {
		ns = `xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	}
	gap := ""
	if rapid.Bool().Draw(t, "pretty") {
		gap = "\n  "
	}
	el := func(name, attrs, body string) string {
		if body == "" && rapid.Bool().Draw(t, "selfClose") {
			return "<" + p + name + attrs + "/>"
		}
		return "<" + p + name + attrs + ">" + body + "</" + p + name + ">"
	}
	attr := func(name, value string) string {
		if rapid.Bool().Draw(t, "singleQuote") {
			return " " + name + "='" + value + "'"
		}
		return " " + name + `="` + value + `"`
	}
	var b book
	nSST := rapid.IntRange(0, 6).Draw(t, "sstItems")
	if nSST > 0 {
		var sst strings.Builder
		sst.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<" + p + "sst " + ns + ">")
		for range nSST {
			sst.WriteString(gap + "<" + p + "si>" + drawItem(t, p) + "</" + p + "si>")
		}
		sst.WriteString("</" + p + "sst>")
		b.sst = sst.String()
	}
	// Cell formats: 1 a built-in date, 2 a custom date-time, 3 a built-in
	// number, 4 a custom number.
	b.styles = stylesXML(map[int]string{164: "yyyy-mm-dd hh:mm", 165: `0.00" kg"`}, 14, 164, 2, 165)
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<" + p + "worksheet " + ns + ">")
	sheet.WriteString(gap + "<" + p + `dimension ref="A1"/>`)
	if rapid.Bool().Draw(t, "cols") {
		sheet.WriteString(gap + "<" + p + "cols>")
		for range rapid.IntRange(1, 3).Draw(t, "colElems") {
			lo := rapid.IntRange(1, 10).Draw(t, "colMin")
			hi := lo + rapid.IntRange(0, 3).Draw(t, "colSpan")
			hidden := rapid.SampledFrom([]string{"", attr("hidden", "1"), attr("hidden", "true"), attr("hidden", "0")}).Draw(t, "colHidden")
			sheet.WriteString("<" + p + "col" + attr("min", strconv.Itoa(lo)) + attr("max", strconv.Itoa(hi)) + hidden + attr("width", "9") + "/>")
		}
		sheet.WriteString("</" + p + "cols>")
	}
	sheet.WriteString(gap + "<" + p + "sheetData>")
	row := 0
	hiddenRows := map[int]bool{}
	for range rapid.IntRange(0, 10).Draw(t, "rows") {
		ra := ""
		if rapid.IntRange(0, 3).Draw(t, "rowRef") > 0 {
			row += rapid.IntRange(1, 3).Draw(t, "rowStep")
			ra = attr("r", strconv.Itoa(row))
		} else {
			row++ // implied: the row after the previous one
		}
		hidden := rapid.SampledFrom([]string{"", "", attr("hidden", "1"), attr("hidden", "true"), attr("hidden", "0")}).Draw(t, "rowHidden")
		if strings.Contains(hidden, "1") || strings.Contains(hidden, "true") {
			hiddenRows[row] = true
		}
		spans := rapid.SampledFrom([]string{"", attr("spans", "1:9")}).Draw(t, "spans")
		var cells strings.Builder
		col := 0
		for range rapid.IntRange(0, 8).Draw(t, "cells") {
			col += rapid.IntRange(1, 3).Draw(t, "colStep")
			ca := ""
			if rapid.IntRange(0, 3).Draw(t, "cellRef") > 0 {
				ref, _ := excelize.CoordinatesToCellName(col, row)
				ca = attr("r", ref)
			}
			cells.WriteString(gap)
			if rapid.IntRange(0, 9).Draw(t, "comment") == 0 {
				cells.WriteString("<!-- between cells -->")
			}
			v := func(text string) string { return "<" + p + "v>" + text + "</" + p + "v>" }
			switch kind := rapid.IntRange(0, 10).Draw(t, "cellKind"); {
			case kind == 0 && nSST > 0:
				idx := strconv.Itoa(rapid.IntRange(0, nSST-1).Draw(t, "sstIndex"))
				cells.WriteString(el("c", ca+attr("t", "s"), v(idx)))
			case kind <= 1:
				cells.WriteString(el("c", ca+attr("t", "inlineStr"), "<"+p+"is>"+drawItem(t, p)+"</"+p+"is>"))
			case kind == 2:
				cells.WriteString(el("c", ca+attr("t", "str"), "<"+p+"f>A1&amp;\"x\"</"+p+"f>"+v(drawXMLText(t, "str", true))))
			case kind == 3:
				style := rapid.SampledFrom([]string{"", attr("s", "0"), attr("s", "3"), attr("s", "4")}).Draw(t, "numStyle")
				cells.WriteString(el("c", ca+style, v(drawNumber(t, "num"))))
			case kind == 4:
				style := rapid.SampledFrom([]string{attr("s", "1"), attr("s", "2")}).Draw(t, "dateStyle")
				serial := strconv.FormatFloat(rapid.Float64Range(1, 2958465).Draw(t, "serial"), 'f', -1, 64)
				cells.WriteString(el("c", ca+style, v(serial)))
			case kind == 5:
				cells.WriteString(el("c", ca+attr("t", "b"), v(rapid.SampledFrom([]string{"0", "1"}).Draw(t, "bool"))))
			case kind == 6:
				cells.WriteString(el("c", ca+attr("t", "e"), v(rapid.SampledFrom([]string{"#N/A", "#DIV/0!", "#REF!", "#VALUE!"}).Draw(t, "err"))))
			case kind == 7:
				cells.WriteString(el("c", ca+attr("t", "d"), v(rapid.SampledFrom([]string{"2024-01-02T03:04:05", "1999-12-31", "2024-02-29T00:00:00Z"}).Draw(t, "iso"))))
			case kind == 8:
				cells.WriteString(el("c", ca+attr("s", "3"), ""))
			case kind == 9:
				cells.WriteString(el("c", ca, "<"+p+"f>1+1</"+p+"f>"))
			default:
				cells.WriteString(el("c", ca+attr("t", "n"), v(drawNumber(t, "n"))))
			}
		}
		sheet.WriteString(gap + el("row", ra+spans+hidden, cells.String()))
	}
	sheet.WriteString(gap + "</" + p + "sheetData>")
	if n := rapid.IntRange(0, 2).Draw(t, "merges"); n > 0 {
		sheet.WriteString(gap + "<" + p + "mergeCells>")
		for i := range n {
			a, _ := excelize.CoordinatesToCellName(1+3*i, rapid.IntRange(1, 20).Draw(t, "mergeRow"))
			z, _ := excelize.CoordinatesToCellName(2+3*i, rapid.IntRange(21, 25).Draw(t, "mergeEnd"))
			sheet.WriteString("<" + p + "mergeCell" + attr("ref", a+":"+z) + "/>")
		}
		sheet.WriteString("</" + p + "mergeCells>")
	}
	sheet.WriteString(gap + "<" + p + `pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>`)
	sheet.WriteString("\n</" + p + "worksheet>")
	b.sheets = []string{sheet.String()}
	return b, hiddenRows
}

var _ = Describe("Reading XML the way excelize reads it", func() {
	It("yields exactly excelize's cells for random sheet and shared-strings XML", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			b, hidden := drawRawBook(t)
			compareWithExcelize(t, b.bytes(), nil, hidden)
		})
	})

	It("reads the same with and without the fast paths", func() {
		DeferCleanup(xlsxstream.SetFastPaths, true)
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			b, _ := drawRawBook(t)
			data := b.bytes()
			xlsxstream.SetFastPaths(true)
			fast, fastErr := readBytes(data, 0, xlsxstream.Options{})
			xlsxstream.SetFastPaths(false)
			slow, slowErr := readBytes(data, 0, xlsxstream.Options{})
			if fmt.Sprint(fastErr) != fmt.Sprint(slowErr) || fmt.Sprintf("%+v", fast) != fmt.Sprintf("%+v", slow) {
				t.Fatalf("fast paths read\n%+v (%v)\nthe general path\n%+v (%v)", fast, fastErr, slow, slowErr)
			}
		})
	})
})
