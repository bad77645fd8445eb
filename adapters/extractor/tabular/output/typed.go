package output

import (
	"bufio"
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
)

// writeTextCell writes an inline string cell.
func writeTextCell(w *bufio.Writer, ref, v string) {
	w.WriteString(`<c r="`)
	w.WriteString(ref)
	w.WriteString(`" t="inlineStr"><is><t xml:space="preserve">`)
	_ = xml.EscapeText(w, []byte(v))
	w.WriteString(`</t></is></c>`)
}

// typedCell writes a typed column's cell: a number's digits go into the
// file as they are (the canonical decimal, never through a float), with
// the style of its number format; a boolean is a boolean cell; anything
// else (an invalid value kept as written, a phone number) is text.
func (s *xlsxSheet) typedCell(col int, c values.SheetCell) {
	w := s.bw
	ref := read.CellRef(col, s.rows)
	switch c.Kind {
	case values.CellNumber:
		w.WriteString(`<c r="`)
		w.WriteString(ref)
		if st := s.book.styles.index(c.Format); st > 0 {
			w.WriteString(`" s="`)
			w.WriteString(strconv.Itoa(st))
		}
		w.WriteString(`"><v>`)
		w.WriteString(c.Value)
		w.WriteString(`</v></c>`)
	case values.CellBoolean:
		w.WriteString(`<c r="`)
		w.WriteString(ref)
		w.WriteString(`" t="b"><v>`)
		w.WriteString(c.Value)
		w.WriteString(`</v></c>`)
	default:
		writeTextCell(w, ref, c.Value)
	}
}

// firstCustomFormat is the first number format id a workbook may define
// (ids below are Excel's built-in formats).
const firstCustomFormat = 164

// styles are a workbook's cell formats: one custom number format per
// format code, numbered in the order first used, so the same rows give
// the same workbook.
type styles struct {
	codes []string
	ids   map[string]int
}

// index returns the cell format (xf) index of a number format code: 0
// (General) for "", else 1 + the code's position.
func (st *styles) index(code string) int {
	if code == "" {
		return 0
	}
	if i, ok := st.ids[code]; ok {
		return i
	}
	if st.ids == nil {
		st.ids = map[string]int{}
	}
	st.codes = append(st.codes, code)
	st.ids[code] = len(st.codes)
	return len(st.codes)
}

// xml is the workbook's styles part: the custom number formats, and one
// cell format per number format after the default one.
func (st *styles) xml() string {
	var b strings.Builder
	b.WriteString(xmlHdr + `<styleSheet xmlns="` + nsMain + `">`)
	if len(st.codes) > 0 {
		b.WriteString(`<numFmts count="` + strconv.Itoa(len(st.codes)) + `">`)
		for i, code := range st.codes {
			b.WriteString(`<numFmt numFmtId="` + strconv.Itoa(firstCustomFormat+i) + `" formatCode="`)
			_ = xml.EscapeText(&b, []byte(code))
			b.WriteString(`"/>`)
		}
		b.WriteString(`</numFmts>`)
	}
	b.WriteString(`<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>`)
	b.WriteString(`<cellXfs count="` + strconv.Itoa(1+len(st.codes)) + `"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`)
	for i := range st.codes {
		b.WriteString(`<xf numFmtId="` + strconv.Itoa(firstCustomFormat+i) + `" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`)
	}
	b.WriteString(`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`)
	return b.String()
}
