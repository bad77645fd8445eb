package xlsxstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
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
	find := func(c int32) int32 {
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
