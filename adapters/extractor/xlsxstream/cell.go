package xlsxstream

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

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
			if errors.Is(err, errText) {
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
