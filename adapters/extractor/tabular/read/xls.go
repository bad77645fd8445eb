package read

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/shakinm/xlsReader/cfb"
	"github.com/shakinm/xlsReader/xls"
	"github.com/shakinm/xlsReader/xls/structure"
)

// An OLE compound file is a legacy XLS workbook (BIFF8, its "Workbook"
// stream), a password-protected XLSX (an "EncryptedPackage" stream), or
// something else (a Word document). Legacy workbooks are read through
// github.com/shakinm/xlsReader, which loads the whole workbook: XLS files
// are bounded by the format (65,536 rows of 256 columns) and by the upload
// cap. The reader skips formula records, so this file reads their cached
// results itself, along with the sheet list (names, kinds, visibility)
// and the encryption marker the library does not look at.

// BIFF record types read here.
const (
	biffBlank      = 0x0201
	biffNumber     = 0x0203
	biffLabel      = 0x0204
	biffBoolErr    = 0x0205
	biffRK         = 0x027E
	biffMulRK      = 0x00BD
	biffMulBlank   = 0x00BE
	biffLabelSST   = 0x00FD
	biffFormula    = 0x0006
	biffEOF        = 0x000A
	biffFilePass   = 0x002F
	biffBoundSheet = 0x0085
	biffString     = 0x0207
	biffBOF        = 0x0809
)

func openOLE(file *os.File, size int64, lim Limits) (doc *Document, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, Fail(CodeCorruptInput, "the XLS workbook is damaged", fmt.Errorf("%v", p))
		}
	}()
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	c, err := cfb.OpenReader(file)
	if err != nil {
		return nil, Fail(CodeUnsupportedFormat, "the document is an OLE container that is not a readable XLS workbook", err)
	}
	var book, root *cfb.Directory
	for _, d := range c.GetDirs() {
		switch d.Name() {
		case "EncryptedPackage", "EncryptionInfo":
			return nil, Fail(CodeUnsupportedFormat, "the workbook is password-protected (encrypted), which cannot be read", nil)
		case "Workbook":
			if book == nil {
				book = d
			}
		case "Book":
			book = d
		case "Root Entry":
			root = d
		}
	}
	if book == nil || root == nil {
		return nil, Fail(CodeUnsupportedFormat, "the document is an OLE container without a workbook (not an XLS file)", nil)
	}
	rs, err := c.OpenObject(book, root)
	if err != nil {
		return nil, Fail(CodeCorruptInput, "the XLS workbook stream cannot be read", err)
	}
	stream := make([]byte, min(int64(book.GetStreamSize()), size))
	if _, err := io.ReadFull(rs, stream); err != nil {
		return nil, Fail(CodeCorruptInput, "the XLS workbook stream is truncated", err)
	}
	sheets, err := scanBIFF(stream, lim.WithDefaults().XLSCells)
	if err != nil {
		return nil, err
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	wb, err := xls.OpenReader(file)
	if err != nil {
		return nil, Fail(CodeCorruptInput, "the XLS workbook cannot be opened", err)
	}
	b := &xlsBook{wb: wb, sheets: sheets, file: file}
	return &Document{Format: FormatXLS, Book: b}, nil
}

// biffSheet is a sheet as the workbook globals list it, with the cached
// results of its formulas.
type biffSheet struct {
	name     string
	offset   uint32
	kind     byte // 0 worksheet, 1 macro sheet, 2 chart, 6 VB module
	hidden   bool
	formulas map[[2]uint16]formulaValue
}

// scanBIFF reads the globals (sheet list, encryption) and each
// worksheet's formula results, and refuses a workbook of more than
// maxCells cells: the XLS reader loads every cell.
func scanBIFF(s []byte, maxCells int64) ([]*biffSheet, error) {
	var sheets []*biffSheet
	for p := 0; p+4 <= len(s); {
		typ := binary.LittleEndian.Uint16(s[p:])
		n := int(binary.LittleEndian.Uint16(s[p+2:]))
		data := s[min(p+4, len(s)):min(p+4+n, len(s))]
		p += 4 + n
		switch typ {
		case biffFilePass:
			return nil, Fail(CodeUnsupportedFormat, "the workbook is password-protected (encrypted), which cannot be read", nil)
		case biffBoundSheet:
			if len(data) < 8 {
				continue
			}
			sheets = append(sheets, &biffSheet{offset: binary.LittleEndian.Uint32(data), hidden: data[4]&3 != 0,
				kind: data[5], name: shortString(data[6:])})
		case biffEOF:
			p = len(s) // end of the globals
		}
	}
	var cells int64
	for _, sh := range sheets {
		var n int64
		sh.formulas, n = formulaResults(s, int(sh.offset))
		if cells += n; cells > maxCells {
			return nil, TooLarge(LimitXLSCells, maxCells, fmt.Sprintf("sheet %q", sh.name),
				"an XLS workbook is read whole; save it as XLSX, which is read as it streams")
		}
	}
	return sheets, nil
}

// shortString reads a BIFF8 ShortXLUnicodeString: a one-byte length, a
// flags byte, then 8-bit or UTF-16LE characters.
func shortString(b []byte) string {
	if len(b) < 2 {
		return ""
	}
	n, wide := int(b[0]), b[1]&1 == 1
	return biffChars(b[2:], n, wide)
}

func biffChars(b []byte, n int, wide bool) string {
	if !wide {
		n = min(n, len(b))
		runes := make([]rune, n)
		for i := range n {
			runes[i] = rune(b[i]) // ISO-8859-1, as BIFF8 compresses
		}
		return string(runes)
	}
	n = min(n, len(b)/2)
	u := make([]uint16, n)
	for i := range n {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// formulaValue is a formula's cached result: a number (formatted by its
// XF once the workbook's formats are known) or a finished cell.
type formulaValue struct {
	cell    Cell
	numeric bool
	f       float64
	xf      int
}

// formulaResults reads the FORMULA records of the substream at offset
// (and the STRING records after string results) up to its EOF, and counts
// its cell records (blanks included: the reader keeps them too).
func formulaResults(s []byte, offset int) (map[[2]uint16]formulaValue, int64) {
	out := map[[2]uint16]formulaValue{}
	var pending *[2]uint16
	var cells int64
	for p := offset; p >= 0 && p+4 <= len(s); {
		typ := binary.LittleEndian.Uint16(s[p:])
		n := int(binary.LittleEndian.Uint16(s[p+2:]))
		data := s[min(p+4, len(s)):min(p+4+n, len(s))]
		p += 4 + n
		switch typ {
		case biffBlank, biffNumber, biffLabel, biffBoolErr, biffRK, biffLabelSST:
			cells++
		case biffMulRK:
			cells += int64(max(len(data)-6, 0) / 6)
		case biffMulBlank:
			cells += int64(max(len(data)-6, 0) / 2)
		}
		switch typ {
		case biffEOF:
			return out, cells
		case biffString:
			if pending != nil && len(data) >= 3 {
				t := biffChars(data[3:], int(binary.LittleEndian.Uint16(data)), data[2]&1 == 1)
				kind := Text
				if IsBlank(t) {
					kind = Empty
				}
				out[*pending] = formulaValue{cell: Cell{Kind: kind, Text: t, Raw: t}}
			}
			pending = nil
		case biffFormula:
			cells++
			pending = nil
			if len(data) < 14 {
				continue
			}
			key := [2]uint16{binary.LittleEndian.Uint16(data), binary.LittleEndian.Uint16(data[2:])}
			res := data[6:14]
			if res[6] != 0xFF || res[7] != 0xFF {
				out[key] = formulaValue{numeric: true, f: math.Float64frombits(binary.LittleEndian.Uint64(res)),
					xf: int(binary.LittleEndian.Uint16(data[4:]))}
				continue
			}
			switch res[0] {
			case 0: // a string, in the STRING record that follows
				pending = &key
			case 1:
				c := Cell{Kind: Bool, Text: "FALSE", Raw: "0"}
				if res[2] != 0 {
					c = Cell{Kind: Bool, Text: "TRUE", Raw: "1"}
				}
				out[key] = formulaValue{cell: c}
			case 2:
				e := biffError(res[2])
				out[key] = formulaValue{cell: Cell{Kind: Error, Text: e, Raw: e}}
			}
		}
	}
	return out, cells
}

func biffError(code byte) string {
	switch code {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	}
	return "#ERROR!"
}

// formatNumber shows a number as a spreadsheet's General format does, to
// 15 significant digits.
func formatNumber(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		r = f
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// xlsBook is a legacy workbook.
type xlsBook struct {
	wb     xls.Workbook
	sheets []*biffSheet
	file   *os.File
}

func (b *xlsBook) Sheets() []string {
	out := make([]string, len(b.sheets))
	for i, s := range b.sheets {
		out[i] = s.name
	}
	return out
}

// Active is the first visible sheet (the library does not read the
// window settings).
func (b *xlsBook) Active() string {
	for _, s := range b.sheets {
		if !s.hidden {
			return s.name
		}
	}
	if len(b.sheets) > 0 {
		return b.sheets[0].name
	}
	return ""
}

func (b *xlsBook) Sheet(name string) Sheet { return Sheet{Name: name} }

func (b *xlsBook) Close() error {
	_ = b.file.Close()
	return os.Remove(b.file.Name())
}

func (b *xlsBook) Rows(_ context.Context, name string) (rows Rows, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, Fail(CodeCorruptInput, fmt.Sprintf("sheet %q cannot be read", name), fmt.Errorf("%v", p))
		}
	}()
	for i, s := range b.sheets {
		if s.name != name {
			continue
		}
		if s.kind != 0 {
			return nil, fmt.Errorf("sheet %q is not a worksheet (a chart or macro sheet)", name)
		}
		sh, err := b.wb.GetSheet(i)
		if err != nil || sh == nil {
			return nil, fmt.Errorf("sheet %q cannot be read", name)
		}
		return &xlsRows{b: b, sheet: sh, meta: s, n: sh.GetNumberRows()}, nil
	}
	return nil, fmt.Errorf("sheet %q does not exist", name)
}

// xlsRows yields a legacy sheet's rows.
type xlsRows struct {
	b     *xlsBook
	sheet *xls.Sheet
	meta  *biffSheet
	i, n  int
}

func (x *xlsRows) Close() error { return nil }

func (x *xlsRows) Next() (row *Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			row, err = nil, Fail(CodeCorruptInput, "the XLS worksheet is damaged", fmt.Errorf("%v", p))
		}
	}()
	if x.i >= x.n {
		return nil, io.EOF
	}
	r, err := x.sheet.GetRow(x.i)
	x.i++
	if err != nil {
		return nil, Fail(CodeCorruptInput, "the XLS worksheet is damaged", err)
	}
	cols := r.GetCols()
	last := len(cols) - 1
	for c := range x.meta.formulas {
		if int(c[0]) == x.i-1 {
			last = max(last, int(c[1]))
		}
	}
	out := &Row{Num: x.i, Cells: make([]string, last+1), Kinds: make([]Kind, last+1), Raw: make([]string, last+1)}
	for c := 0; c <= last; c++ {
		var cell Cell
		if f, ok := x.meta.formulas[[2]uint16{uint16(x.i - 1), uint16(c)}]; ok {
			cell = x.b.formulaCell(f)
		} else if c < len(cols) {
			cell = x.b.cell(cols[c])
		}
		out.Cells[c], out.Kinds[c], out.Raw[c] = cell.Text, cell.Kind, cell.Raw
	}
	out.Mask()
	return out, nil
}

// cell converts one of the library's cells.
func (b *xlsBook) cell(d structure.CellData) Cell {
	switch d.GetType() {
	case "*record.LabelSSt", "*record.LabelBIFF8", "*record.LabelBIFF5", "*record.Rstring":
		s := d.GetString()
		if IsBlank(s) {
			return Cell{Text: s, Raw: s}
		}
		return Cell{Kind: Text, Text: s, Raw: s}
	case "*record.Number", "*record.Rk":
		return b.number(d.GetFloat64(), d.GetXFIndex())
	case "*record.BoolErr":
		s := d.GetString()
		if strings.HasPrefix(s, "#") {
			return Cell{Kind: Error, Text: s, Raw: s}
		}
		raw := "0"
		if s == "TRUE" {
			raw = "1"
		}
		return Cell{Kind: Bool, Text: s, Raw: raw}
	}
	return Cell{}
}

// formulaCell resolves a cached formula result read by formulaResults.
func (b *xlsBook) formulaCell(v formulaValue) Cell {
	if v.numeric {
		return b.number(v.f, v.xf)
	}
	return v.cell
}

// number is a numeric cell, a date when its number format shows a date.
func (b *xlsBook) number(f float64, xf int) Cell {
	raw := strconv.FormatFloat(f, 'g', -1, 64)
	format := b.formatOf(xf)
	switch {
	case isDateFormat(format) && f >= 0 && f < 2958466:
		t := SerialDate(f)
		text := t.Format("2006-01-02")
		switch {
		case f < 1:
			text = t.Format("15:04:05")
		case f != math.Floor(f):
			text = t.Format("2006-01-02 15:04:05")
		}
		return Cell{Kind: Date, Text: text, Raw: raw}
	case strings.Contains(format.code, "%"):
		return Cell{Kind: Number, Text: formatNumber(f*100) + "%", Raw: raw}
	}
	return Cell{Kind: Number, Text: formatNumber(f), Raw: raw}
}

// numberFormat is a cell's number format: its id and, for custom
// formats, its code.
type numberFormat struct {
	id   int
	code string
}

func (b *xlsBook) formatOf(xf int) (nf numberFormat) {
	defer func() {
		if recover() != nil {
			nf = numberFormat{}
		}
	}()
	rec := b.wb.GetXFbyIndex(xf)
	id := rec.GetFormatIndex()
	nf.id = id
	if id >= 164 {
		f := b.wb.GetFormatByIndex(id)
		nf.code = f.String()
	} else if id == 9 || id == 10 {
		nf.code = "0%"
	}
	return nf
}

// isDateFormat reports whether a number format shows dates or times: the
// built-in date formats, or a custom code with day, month, year or hour
// parts outside quotes and brackets.
func isDateFormat(nf numberFormat) bool {
	switch {
	case nf.id >= 14 && nf.id <= 22, nf.id >= 27 && nf.id <= 36, nf.id >= 45 && nf.id <= 47, nf.id >= 50 && nf.id <= 58:
		return true
	case nf.id < 164:
		return false
	}
	quoted, bracket := false, false
	for _, r := range strings.ToLower(nf.code) {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '[':
			bracket = true
		case r == ']':
			bracket = false
		case bracket:
		case r == 'd', r == 'm', r == 'y', r == 'h':
			return true
		}
	}
	return false
}
