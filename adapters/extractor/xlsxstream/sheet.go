package xlsxstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Kind is what a cell holds.
type Kind uint8

// Cell kinds.
const (
	// KindText is a shared string, an inline string, a formula's string
	// result, or a value that is not a number in a cell typed as one.
	KindText Kind = iota
	// KindNumber is a number; Value is its text as stored ("1.5E-7").
	KindNumber
	// KindBool is a boolean; Value is "1" or "0" as stored.
	KindBool
	// KindDate is a number whose number format shows a date or a time
	// (Value is the serial as stored, "45123.5"; see DateISO), or a cell
	// stored as an ISO 8601 date (t="d"; Value is that text).
	KindDate
	// KindError is a formula error; Value is its text ("#DIV/0!").
	KindError
)

func (k Kind) String() string {
	switch k {
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindDate:
		return "date"
	case KindError:
		return "error"
	}
	return "text"
}

// Cell is one cell with a value.
type Cell struct {
	Col   int  // column index from 0 (A is 0)
	Kind  Kind // what Value holds
	Style int  // the cell's format (index into the workbook's cell formats)
	// Value is the value as stored, decoded from XML: the text of a
	// string, the digits of a number exactly as written (never through a
	// float). It stays valid after the next row is read.
	Value string
}

// Row is one row of a sheet.
type Row struct {
	Num    int  // row number from 1, as Excel shows it
	Hidden bool // the row is hidden
	// Cells are the row's cells with a non-empty value, by ascending
	// column. The slice is reused by the next call to Next; the cells'
	// values are not.
	Cells []Cell
}

// Range is a rectangle of cells: columns from 0, rows from 1.
type Range struct {
	FirstCol, FirstRow, LastCol, LastRow int
}

// Rows streams the rows of one sheet:
//
//	rows, err := wb.Rows(ctx, 0)
//	if err != nil { ... }
//	defer rows.Close()
//	for rows.Next() {
//		row := rows.Row()
//		...
//	}
//	if err := rows.Err(); err != nil { ... }
//
// Rows come in the order of the sheet's XML, which must be ascending; a
// row the sheet does not list (an empty one) is not returned.
type Rows struct {
	w     *Workbook
	ctx   context.Context
	sheet Sheet
	rc    io.ReadCloser
	s     *scanner

	dataDepth int // depth of the sheetData element's content
	inData    bool
	done      bool
	err       error

	row    Row
	cells  []Cell
	spans  []span // for each cell, where its value lies in buf
	buf    []byte // the current row's values
	direct int    // bytes of the current row's values held outside buf

	colSpecs []colSpec // column settings, until the rows start
	hidden   []bool
	merges   []Range
}

// colSpec is one col element: columns lo to hi (from 0).
type colSpec struct {
	lo, hi int32
	hidden bool
}

// span locates a cell's value in the row buffer; start < 0 when the value
// is held elsewhere (an in-memory shared string).
type span struct{ start, end int32 }

// Rows starts reading the rows of the sheet at index (its Sheet.Index).
// The first call reads the workbook's styles and shared strings. The
// sheet's column settings are read here, before its rows; its merged
// ranges come after its rows in the XML, so MergedRanges is complete once
// Next has returned false (Workbook.MergedRanges reads them first, at the
// cost of a pass over the sheet).
func (w *Workbook) Rows(ctx context.Context, index int) (*Rows, error) {
	sh, err := w.sheet(index)
	if err != nil {
		return nil, err
	}
	if err := w.prepare(ctx); err != nil {
		return nil, err
	}
	rc, err := w.pkg.open(sh.Part)
	if err != nil {
		return nil, err
	}
	r := &Rows{w: w, ctx: ctx, sheet: sh, rc: rc, s: newScanner(ctx, rc, sh.Part, &w.lim)}
	w.openRows[r] = struct{}{}
	if err := r.prologue(); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// Sheet returns the sheet being read.
func (r *Rows) Sheet() Sheet { return r.sheet }

// Row returns the row Next read.
func (r *Rows) Row() Row { return r.row }

// Err returns the error that ended the rows, if any: a *LimitError, a
// *MalformedError, or the context's error.
func (r *Rows) Err() error { return r.err }

// ColumnHidden reports whether column col (from 0) is hidden.
func (r *Rows) ColumnHidden(col int) bool {
	return col >= 0 && col < len(r.hidden) && r.hidden[col]
}

// HiddenColumns lists the hidden columns (from 0) in ascending order.
func (r *Rows) HiddenColumns() []int {
	var out []int
	for c, h := range r.hidden {
		if h {
			out = append(out, c)
		}
	}
	return out
}

// MergedRanges returns the sheet's merged ranges read so far: all of them
// once Next has returned false without error.
func (r *Rows) MergedRanges() []Range { return append([]Range(nil), r.merges...) }

// Close releases the sheet's reader. It does not end the workbook.
func (r *Rows) Close() error {
	if r.rc == nil {
		return nil
	}
	err := r.rc.Close()
	r.rc = nil
	r.done = true
	delete(r.w.openRows, r)
	return err
}

// Next reads the next row. It returns false at the end of the sheet or on
// an error (see Err).
func (r *Rows) Next() bool {
	if r.done || r.err != nil {
		return false
	}
	ok, err := r.next()
	if err != nil {
		r.err = err
		r.done = true
		return false
	}
	return ok
}

// prologue reads the sheet up to its rows: the root and the column
// settings.
func (r *Rows) prologue() error {
	s := r.s
	for {
		kind, err := s.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			r.finishCols()
			r.done = true
			return nil
		case tokEnd:
			continue
		}
		if s.depth == 1 && kind == tokStart {
			continue // the root
		}
		depth := s.depth
		if kind == tokEmpty {
			depth++
		}
		if depth == 2 {
			switch string(s.name) {
			case "sheetData":
				r.finishCols()
				if kind == tokEmpty {
					return r.tail()
				}
				r.inData, r.dataDepth = true, s.depth
				return nil
			case "cols":
				if kind == tokStart {
					if err := r.cols(); err != nil {
						return err
					}
				}
				continue
			case "mergeCells":
				if kind == tokStart {
					if err := r.mergeCells(); err != nil {
						return err
					}
				}
				continue
			}
		}
		if kind == tokStart {
			if err := s.skip(); err != nil {
				return err
			}
		}
	}
}

// cols reads the col elements of a cols element.
func (r *Rows) cols() error {
	s := r.s
	d := s.depth
	for {
		kind, err := s.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			return s.eofIn("cols")
		case tokEnd:
			if s.depth < d {
				return nil
			}
			continue
		}
		if string(s.name) == "col" && (kind == tokEmpty && s.depth == d || kind == tokStart && s.depth == d+1) {
			lo, hi, hidden := 0, 0, false
			err := s.eachAttr(func(a attr) error {
				switch string(a.name) {
				case "min":
					lo, _ = strconv.Atoi(string(a.value))
				case "max":
					hi, _ = strconv.Atoi(string(a.value))
				case "hidden":
					hidden = parseBool(string(a.value))
				}
				return nil
			})
			if err != nil {
				return err
			}
			if lo >= 1 && hi >= lo && lo <= MaxColumns {
				if len(r.colSpecs) >= MaxColumns {
					return s.malformed("more column settings than columns")
				}
				r.colSpecs = append(r.colSpecs, colSpec{int32(lo - 1), int32(min(hi, MaxColumns) - 1), hidden})
			}
		}
		if kind == tokStart {
			if err := s.skip(); err != nil {
				return err
			}
		}
	}
}

// finishCols turns the column settings into per-column flags. Where
// settings overlap (Excel writes none that do) the last one wins, as it
// would applied in order: they are applied from the last, each column
// painted once.
func (r *Rows) finishCols() {
	if len(r.colSpecs) == 0 {
		return
	}
	flags := make([]bool, MaxColumns)
	next := make([]int32, MaxColumns+1) // next[c]: the first unpainted column from c, once compressed
	for c := range next {
		next[c] = int32(c)
	}
	var find func(c int32) int32
	find = func(c int32) int32 {
		for next[c] != c {
			next[c] = next[next[c]]
			c = next[c]
		}
		return c
	}
	last := -1
	for i := len(r.colSpecs) - 1; i >= 0; i-- {
		sp := r.colSpecs[i]
		for c := find(sp.lo); c <= sp.hi; c = find(c + 1) {
			flags[c] = sp.hidden
			if sp.hidden {
				last = max(last, int(c))
			}
			next[c] = c + 1
		}
	}
	r.hidden = flags[:last+1]
	r.colSpecs = nil
}

// mergeCells reads the mergeCell elements of a mergeCells element.
func (r *Rows) mergeCells() error {
	var err error
	r.merges, err = readMergeCells(r.s, r.merges, r.w.lim.MergedRanges)
	return err
}

func readMergeCells(s *scanner, merges []Range, limit int) ([]Range, error) {
	d := s.depth
	for {
		kind, err := s.next()
		if err != nil {
			return merges, err
		}
		switch kind {
		case tokEOF:
			return merges, s.eofIn("mergeCells")
		case tokEnd:
			if s.depth < d {
				return merges, nil
			}
			continue
		}
		if string(s.name) == "mergeCell" && (kind == tokEmpty && s.depth == d || kind == tokStart && s.depth == d+1) {
			if len(merges) >= limit {
				return merges, &LimitError{Limit: LimitMergedRanges, Value: int64(limit), Part: s.part}
			}
			var rg Range
			ok := false
			err := s.eachAttr(func(a attr) error {
				if string(a.name) == "ref" {
					rg, ok = parseRange(a.value)
				}
				return nil
			})
			if err != nil {
				return merges, err
			}
			if !ok {
				return merges, s.malformed("a merged range is not a cell range")
			}
			merges = append(merges, rg)
		}
		if kind == tokStart {
			if err := s.skip(); err != nil {
				return merges, err
			}
		}
	}
}

// tail reads what follows the rows: the merged ranges.
func (r *Rows) tail() error {
	r.inData = false
	s := r.s
	for {
		kind, err := s.next()
		if err != nil {
			return err
		}
		if kind == tokEOF {
			r.done = true
			return nil
		}
		if kind == tokEnd {
			continue
		}
		if string(s.name) == "mergeCells" && kind == tokStart && s.depth == 2 {
			if err := r.mergeCells(); err != nil {
				return err
			}
			continue
		}
		if kind == tokStart {
			if err := s.skip(); err != nil {
				return err
			}
		}
	}
}

// next reads rows until one is found or the sheet data ends.
func (r *Rows) next() (bool, error) {
	if !r.inData {
		r.done = true
		return false, nil
	}
	s := r.s
	for {
		kind, err := s.next()
		if err != nil {
			return false, err
		}
		switch kind {
		case tokEOF:
			return false, s.eofIn("sheetData")
		case tokEnd:
			if s.depth < r.dataDepth {
				return false, r.tail()
			}
			continue
		}
		isRow := string(s.name) == "row" &&
			(kind == tokStart && s.depth == r.dataDepth+1 || kind == tokEmpty && s.depth == r.dataDepth)
		if !isRow {
			if kind == tokStart {
				if err := s.skip(); err != nil {
					return false, err
				}
			}
			continue
		}
		return true, r.readRow(kind == tokEmpty)
	}
}

// readRow reads the row whose tag was just read.
func (r *Rows) readRow(empty bool) error {
	s := r.s
	num, hidden := r.row.Num+1, false
	err := s.eachAttr(func(a attr) error {
		switch string(a.name) {
		case "r":
			n, ok := atoi(a.value)
			if !ok {
				return s.malformed("a row number is not a number")
			}
			num = n
		case "hidden":
			hidden = parseBool(string(a.value))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if num <= r.row.Num || num > MaxRows {
		return s.malformed(fmt.Sprintf("row %d follows row %d", num, r.row.Num))
	}
	r.cells, r.spans, r.buf, r.direct = r.cells[:0], r.spans[:0], r.buf[:0], 0
	r.row = Row{Num: num, Hidden: hidden}
	if !empty {
		if err := r.readCells(); err != nil {
			return err
		}
	}
	r.finishRow()
	return nil
}

// readCells reads a row's cells, up to the row's end tag.
func (r *Rows) readCells() error {
	s := r.s
	d := s.depth
	col := -1
	for {
		c, ok, err := r.fastCell(col)
		if err != nil {
			return err
		}
		if ok {
			col = c
			continue
		}
		kind, err := s.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokEOF:
			return s.eofIn("a row")
		case tokEnd:
			if s.depth < d {
				return nil
			}
			continue
		}
		isCell := string(s.name) == "c" && (kind == tokStart && s.depth == d+1 || kind == tokEmpty && s.depth == d)
		if !isCell {
			if kind == tokStart {
				if err := s.skip(); err != nil {
					return err
				}
			}
			continue
		}
		if col, err = r.readCell(col, kind == tokEmpty); err != nil {
			return err
		}
	}
}

// cellType is a cell's t attribute.
type cellType uint8

const (
	typeNumber cellType = iota
	typeShared
	typeInline
	typeFormulaStr
	typeBool
	typeError
	typeDate
)

func parseCellType(v []byte) cellType {
	switch string(v) {
	case "s":
		return typeShared
	case "inlineStr":
		return typeInline
	case "str":
		return typeFormulaStr
	case "b":
		return typeBool
	case "e":
		return typeError
	case "d":
		return typeDate
	}
	return typeNumber
}

// readCell reads the cell whose tag was just read; prev is the column of
// the row's previous cell. It returns the cell's column.
func (r *Rows) readCell(prev int, empty bool) (int, error) {
	s := r.s
	col, typ, style := prev+1, typeNumber, 0
	err := s.eachAttr(func(a attr) error {
		switch string(a.name) {
		case "r":
			c, ok := parseCol(a.value)
			if !ok {
				return s.malformed("a cell reference is not valid")
			}
			col = c
		case "t":
			typ = parseCellType(a.value)
		case "s":
			if n, ok := atoi(a.value); ok {
				style = n
			}
		}
		return nil
	})
	if err != nil {
		return col, err
	}
	if col <= prev || col >= MaxColumns {
		return col, s.malformed(fmt.Sprintf("a cell in column %d follows column %d", col+1, prev+1))
	}
	if empty {
		return col, nil
	}
	lim := &r.w.lim
	start := len(r.buf)
	limit := min(start+lim.CellBytes, lim.RowBytes-r.direct)
	vs, ve, is, ie := -1, -1, -1, -1
	d := s.depth
	for {
		kind, err := s.next()
		if err != nil {
			return col, err
		}
		if kind == tokEOF {
			return col, s.eofIn("a cell")
		}
		if kind == tokEnd {
			if s.depth < d {
				break
			}
			continue
		}
		if kind == tokEmpty || s.depth != d+1 {
			if kind == tokStart {
				if err := s.skip(); err != nil {
					return col, err
				}
			}
			continue
		}
		switch string(s.name) {
		case "v":
			vs = len(r.buf)
			r.buf, err = s.text(r.buf, limit)
			if err == nil {
				kind, err = s.next()
				if err == nil && kind != tokEnd {
					err = s.malformed("a value element holds an element")
				}
			}
			ve = len(r.buf)
		case "is":
			is = len(r.buf)
			r.buf, err = s.richText(r.buf, limit)
			ie = len(r.buf)
		default:
			err = s.skip()
		}
		if err != nil {
			if err == errText {
				err = r.tooLong(start)
			}
			return col, err
		}
	}
	// The value: the inline string of an inlineStr cell, else the v.
	a, b := vs, ve
	if typ == typeInline && is >= 0 {
		a, b = is, ie
	}
	if a < 0 {
		r.buf = r.buf[:start]
		return col, nil
	}
	if a != start {
		r.buf = r.buf[:start+copy(r.buf[start:], r.buf[a:b])]
	} else {
		r.buf = r.buf[:b]
	}
	return col, r.finishCell(col, typ, style, start)
}

// finishCell types the value of a cell, buf[start:], and adds the cell.
func (r *Rows) finishCell(col int, typ cellType, style, start int) error {
	kind := KindText
	switch typ {
	case typeShared:
		return r.shared(col, style, start)
	case typeInline, typeFormulaStr:
		r.buf = unescapeX(r.buf, start)
	case typeBool:
		kind = KindBool
	case typeError:
		kind = KindError
	case typeDate:
		kind = KindDate
	default:
		if isNumber(r.buf[start:]) {
			kind = KindNumber
			if r.w.styles.isDate(style) {
				kind = KindDate
			}
		}
	}
	if len(r.buf) == start {
		return nil
	}
	return r.add(Cell{Col: col, Kind: kind, Style: style}, span{int32(start), int32(len(r.buf))})
}

// shared resolves a shared-string cell whose index is buf[start:].
func (r *Rows) shared(col, style, start int) error {
	idx, ok := atoi(trimSpace(r.buf[start:]))
	r.buf = r.buf[:start]
	sst := r.w.sst
	if !ok || sst == nil || idx >= sst.n {
		return r.s.malformed("a cell refers to a shared string that does not exist")
	}
	lim := &r.w.lim
	if !sst.spilled() {
		v := sst.str(idx)
		if v == "" {
			return nil
		}
		r.direct += len(v)
		if len(r.buf)+r.direct > lim.RowBytes {
			return &LimitError{Limit: LimitRowBytes, Value: int64(lim.RowBytes), Part: r.sheet.Part}
		}
		return r.add(Cell{Col: col, Kind: KindText, Style: style, Value: v}, span{-1, -1})
	}
	var err error
	if r.buf, err = sst.appendItem(r.buf, idx); err != nil {
		return err
	}
	if len(r.buf)+r.direct > lim.RowBytes {
		return &LimitError{Limit: LimitRowBytes, Value: int64(lim.RowBytes), Part: r.sheet.Part}
	}
	if len(r.buf) == start {
		return nil
	}
	return r.add(Cell{Col: col, Kind: KindText, Style: style}, span{int32(start), int32(len(r.buf))})
}

// tooLong names the limit a value starting at buf[start] outgrew: the
// tighter of the two.
func (r *Rows) tooLong(start int) error {
	lim := &r.w.lim
	if start+lim.CellBytes <= lim.RowBytes-r.direct {
		return &LimitError{Limit: LimitCellBytes, Value: int64(lim.CellBytes), Part: r.sheet.Part}
	}
	return &LimitError{Limit: LimitRowBytes, Value: int64(lim.RowBytes), Part: r.sheet.Part}
}

// add appends a cell to the row, within the limits.
func (r *Rows) add(c Cell, sp span) error {
	lim := &r.w.lim
	if len(r.cells) >= lim.CellsPerRow {
		return &LimitError{Limit: LimitCellsPerRow, Value: int64(lim.CellsPerRow), Part: r.sheet.Part}
	}
	if r.w.cells >= lim.Cells {
		return &LimitError{Limit: LimitCells, Value: lim.Cells, Part: r.sheet.Part}
	}
	r.w.cells++
	r.cells = append(r.cells, c)
	r.spans = append(r.spans, sp)
	return nil
}

// finishRow gives the cells whose values lie in the row buffer their
// strings: one allocation for the row.
func (r *Rows) finishRow() {
	if len(r.buf) > 0 && !utf8.Valid(r.buf) {
		r.fixUTF8()
	}
	str := string(r.buf)
	for i, sp := range r.spans {
		if sp.start >= 0 {
			r.cells[i].Value = str[sp.start:sp.end]
		}
	}
	r.row.Cells = r.cells
}

// fixUTF8 replaces invalid UTF-8 in each buffered value with U+FFFD.
func (r *Rows) fixUTF8() {
	var nb []byte
	for i, sp := range r.spans {
		if sp.start < 0 {
			continue
		}
		start := len(nb)
		nb = validUTF8(append(nb, r.buf[sp.start:sp.end]...), start)
		r.spans[i] = span{int32(start), int32(len(nb))}
	}
	r.buf = nb
}

// MergedRanges reads the merged ranges of the sheet at index, in one pass
// over the sheet, before (or without) reading its rows.
func (w *Workbook) MergedRanges(ctx context.Context, index int) ([]Range, error) {
	sh, err := w.sheet(index)
	if err != nil {
		return nil, err
	}
	var merges []Range
	err = w.walk(ctx, sh.Part, func(s *scanner, depth int) error {
		if depth != 2 || s.depth != 2 {
			return nil
		}
		switch string(s.name) {
		case "sheetData":
			return s.skipData()
		case "mergeCells":
			merges, err = readMergeCells(s, merges, w.lim.MergedRanges)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return merges, nil
}

// skipData skips the content of the sheetData element whose start tag
// was just read, up to and including its end tag, looking at little more
// than each '<': start tags cannot hide one in their attributes, comments
// and CDATA sections are skipped whole. The rows are not checked.
func (s *scanner) skipData() error {
	for {
		i := bytes.IndexByte(s.buf[s.r:s.w], '<')
		if i < 0 {
			s.r = s.w
			ok, err := s.more()
			if err != nil {
				return err
			}
			if !ok {
				return s.eofIn("sheetData")
			}
			continue
		}
		s.r += i
		if ok, err := s.need(2); !ok {
			if err == nil {
				err = s.eofIn("sheetData")
			}
			return err
		}
		switch s.buf[s.r+1] {
		case '/':
			end, err := s.tagEnd(false)
			if err != nil {
				return err
			}
			name := localName(bytes.TrimRight(s.buf[s.r+2:s.r+end], " \t\r\n"))
			s.r += end + 1
			if string(name) == "sheetData" {
				s.depth--
				return nil
			}
		case '!', '?':
			if _, err := s.markup(); err != nil {
				return err
			}
		default:
			s.r++
		}
	}
}

// atoi parses a non-negative decimal integer.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		if len(b) > 9 {
			n, err := strconv.Atoi(string(b))
			return n, err == nil && n >= 0
		}
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseCol reads the column of a cell reference ("B7" is 1).
func parseCol(ref []byte) (int, bool) {
	col, _, ok := parseRef(ref)
	return col, ok
}

// parseRef parses a cell reference: letters then digits, $ allowed.
func parseRef(ref []byte) (col, row int, ok bool) {
	i := 0
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	c := 0
	j := i
	for ; j < len(ref); j++ {
		ch := ref[j] &^ 0x20
		if ch < 'A' || ch > 'Z' {
			break
		}
		c = c*26 + int(ch-'A'+1)
		if c > MaxColumns {
			return 0, 0, false
		}
	}
	if j == i {
		return 0, 0, false
	}
	if j < len(ref) && ref[j] == '$' {
		j++
	}
	n, ok := atoi(ref[j:])
	if !ok || n < 1 || n > MaxRows {
		return 0, 0, false
	}
	return c - 1, n, true
}

// parseRange parses "A1:B2" (or a single cell "A1").
func parseRange(ref []byte) (Range, bool) {
	ref = trimSpace(ref)
	a, b := ref, ref
	for i, c := range ref {
		if c == ':' {
			a, b = ref[:i], ref[i+1:]
			break
		}
	}
	c1, r1, ok1 := parseRef(a)
	c2, r2, ok2 := parseRef(b)
	if !ok1 || !ok2 {
		return Range{}, false
	}
	return Range{FirstCol: min(c1, c2), FirstRow: min(r1, r2), LastCol: max(c1, c2), LastRow: max(r1, r2)}, true
}

// isNumber reports whether b is a decimal number as XML Schema writes
// one: an optional sign, digits with an optional fraction, an optional
// exponent.
func isNumber(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		exp := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(b)
}

// fastWindow is how much input fastCell wants in the window.
const fastWindow = 4 << 10

// fastPaths turns fastCell and fastItem on; tests turn them off to check
// that they read what the general path reads.
var fastPaths = true

// fastCell reads the shapes of a cell that spreadsheet programs write,
// straight from the window: <c .../>, <c ...><v>text</v></c> and
// <c ...><is><t>text</t></is></c>, with attributes and text free of
// entities and carriage returns, and the whole cell in the window. For
// anything else it consumes nothing and reports false: the general path
// reads that cell (and reports what is wrong with it).
func (r *Rows) fastCell(prev int) (col int, ok bool, err error) {
	if !fastPaths {
		return 0, false, nil
	}
	s := r.s
	if s.w-s.r < fastWindow && s.rerr == nil {
		if _, err := s.more(); err != nil {
			return 0, false, err
		}
	}
	b := s.buf[s.r:s.w]
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if len(b)-i < 4 || b[i] != '<' || b[i+1] != 'c' || (b[i+2] != ' ' && b[i+2] != '>' && b[i+2] != '/') {
		return 0, false, nil
	}
	i += 2
	col, typ, style := prev+1, typeNumber, 0
	empty := false
attrs:
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i+1 >= len(b) {
			return 0, false, nil
		}
		switch b[i] {
		case '>':
			i++
			break attrs
		case '/':
			if b[i+1] != '>' {
				return 0, false, nil
			}
			i += 2
			empty = true
			break attrs
		}
		ns := i
		for i < len(b) && nameByte[b[i]] {
			i++
		}
		if i == ns || i+1 >= len(b) || b[i] != '=' || (b[i+1] != '"' && b[i+1] != '\'') {
			return 0, false, nil
		}
		name := b[ns:i]
		q := b[i+1]
		i += 2
		j := bytes.IndexByte(b[i:], q)
		if j < 0 {
			return 0, false, nil
		}
		val := b[i : i+j]
		i += j + 1
		if len(name) != 1 {
			continue
		}
		switch name[0] {
		case 'r':
			c, ok := parseCol(val)
			if !ok {
				return 0, false, nil
			}
			col = c
		case 's':
			n, ok := atoi(val)
			if !ok {
				return 0, false, nil
			}
			style = n
		case 't':
			if bytes.IndexByte(val, '&') >= 0 {
				return 0, false, nil
			}
			typ = parseCellType(val)
		}
	}
	if col <= prev || col >= MaxColumns {
		return 0, false, nil
	}
	if empty {
		s.r += i
		return col, true, nil
	}
	var val []byte
	rest := b[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("<v>")):
		v, n, ok := fastText(rest[3:], "</v></c>")
		if !ok {
			return 0, false, nil
		}
		val, i = v, i+3+n
	case bytes.HasPrefix(rest, []byte("<is><t>")):
		v, n, ok := fastText(rest[7:], "</t></is></c>")
		if !ok {
			return 0, false, nil
		}
		val, i = v, i+7+n
		if typ != typeInline {
			val = nil
		}
	case bytes.HasPrefix(rest, []byte(`<is><t xml:space="preserve">`)):
		const open = len(`<is><t xml:space="preserve">`)
		v, n, ok := fastText(rest[open:], "</t></is></c>")
		if !ok {
			return 0, false, nil
		}
		val, i = v, i+open+n
		if typ != typeInline {
			val = nil
		}
	case bytes.HasPrefix(rest, []byte("</c>")):
		i += 4
	default:
		return 0, false, nil
	}
	lim := &r.w.lim
	start := len(r.buf)
	if len(val) > lim.CellBytes || start+len(val)+r.direct > lim.RowBytes {
		return 0, false, nil // the general path names the limit
	}
	s.r += i
	if len(val) == 0 {
		return col, true, nil
	}
	r.buf = append(r.buf, val...)
	return col, true, r.finishCell(col, typ, style, start)
}

// nameByte marks the bytes of the attribute names fastCell reads; any
// other byte sends the cell to the general path.
var nameByte = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.-") {
		t[c] = true
	}
	return t
}()

// fastText returns the text at the start of b when it is plain (no markup,
// entity or carriage return) and followed by end, with the bytes it spans.
func fastText(b []byte, end string) ([]byte, int, bool) {
	j := bytes.IndexByte(b, '<')
	if j < 0 || !bytes.HasPrefix(b[j:], []byte(end)) {
		return nil, 0, false
	}
	v := b[:j]
	for _, c := range v {
		if c == '&' || c == '\r' {
			return nil, 0, false
		}
	}
	return v, j + len(end), true
}
