package read

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ade-go/ade/ports"
)

// csvRows reads a CSV document as one sheet. Row numbers are those a
// spreadsheet application shows: one per record, blank lines included.
//
// The text is parsed in a goroutine of its own, which hands the rows over
// in batches, in order, while the caller detects tables and writes
// outputs: the rows and their numbers are those a sequential read gives.
// Close must be called once the caller is done with the reader.
type csvRows struct {
	batches chan csvBatch
	free    chan *batchMem
	done    chan struct{}
	exited  chan struct{}
	cur     []*Row
	err     error
	// inUse are the batches handed over, oldest first. oldest, when set,
	// is the number of the oldest row the caller still holds (MaxInt: none);
	// a batch whose rows are all older goes back to the parser for reuse.
	inUse  []*batchMem
	oldest func() int
	closed bool
}

var _ Recycler = (*csvRows)(nil)

// csvBatch is a run of rows, or the error that ended the text (io.EOF at
// its end).
type csvBatch struct {
	mem *batchMem
	err error
}

// batchMem is the memory of a batch: its rows and their cells.
type batchMem struct {
	headers []Row
	rows    []*Row
	slab    []string
	last    int // number of the batch's last row
}

// A batch ends after csvBatchRows rows, or once its rows hold
// csvBatchCells cells or csvBatchBytes bytes of text (wide or long rows);
// csvBatchesAhead parsed batches may wait for the caller.
const (
	csvBatchRows    = 512
	csvBatchCells   = 32 << 10
	csvBatchBytes   = 1 << 20
	csvBatchesAhead = 4
)

// RecycleCSVBatches lets the parser reuse the memory of batches the
// caller is done with (tests turn it off to compare).
var RecycleCSVBatches = true

func newCSVRows(r io.Reader, delim rune, lim Limits) *csvRows {
	c := &csvRows{batches: make(chan csvBatch, csvBatchesAhead), free: make(chan *batchMem, 2*csvBatchesAhead),
		done: make(chan struct{}), exited: make(chan struct{})}
	go c.parse(newCSVParser(r, delim, lim))
	return c
}

func (c *csvRows) parse(p *csvParser) {
	defer close(c.exited)
	defer func() {
		if v := recover(); v != nil {
			select {
			case c.batches <- csvBatch{err: Fail(CodeCorruptInput,
				"the document could not be read", fmt.Errorf("panic: %v", v))}:
			case <-c.done:
			}
		}
	}()
	for {
		var m *batchMem
		select {
		case m = <-c.free:
		default:
			m = &batchMem{headers: make([]Row, csvBatchRows), rows: make([]*Row, 0, csvBatchRows)}
		}
		m.rows = m.rows[:0]
		p.slab = m.slab[:0]
		var err error
		for cells, size := 0, 0; len(m.rows) < csvBatchRows && cells < csvBatchCells && size < csvBatchBytes; {
			r := &m.headers[len(m.rows)]
			if err = p.next(r); err != nil {
				break
			}
			m.rows = append(m.rows, r)
			m.last = r.Num
			cells += len(r.Cells)
			size += p.bytes
		}
		m.slab = p.slab // the slab grown to the batch's size serves the next use
		select {
		case c.batches <- csvBatch{mem: m, err: err}:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// Hold registers the function that says which rows the caller still holds.
func (c *csvRows) Hold(oldest func() int) { c.oldest = oldest }

// Next returns the next record as a row.
func (c *csvRows) Next() (*Row, error) {
	for len(c.cur) == 0 {
		if c.err != nil {
			return nil, c.err
		}
		c.recycle()
		b := <-c.batches
		c.err = b.err
		if b.mem != nil {
			c.cur = b.mem.rows
			c.inUse = append(c.inUse, b.mem)
		}
	}
	r := c.cur[0]
	c.cur = c.cur[1:]
	return r, nil
}

// recycle hands the batches whose rows the caller no longer holds back to
// the parser. Called only between batches: every row handed over so far
// is then either dropped or held where oldest looks.
func (c *csvRows) recycle() {
	if c.oldest == nil || !RecycleCSVBatches {
		c.inUse = c.inUse[:0]
		return
	}
	oldest := c.oldest()
	n := 0
	for _, m := range c.inUse {
		if m.last >= oldest {
			break
		}
		// The batch's stale strings would keep their text alive, and the
		// collector would follow every one of them while the batch waits.
		clear(m.slab[:cap(m.slab)])
		clear(m.headers)
		select {
		case c.free <- m:
		default:
		}
		n++
	}
	c.inUse = append(c.inUse[:0], c.inUse[n:]...)
}

// Close stops the parser and waits for it: the underlying reader is the
// caller's again.
func (c *csvRows) Close() error {
	if !c.closed {
		c.closed = true
		close(c.done)
		<-c.exited
	}
	return nil
}

// csvParser turns CSV text into numbered rows. It reads what encoding/csv
// reads with LazyQuotes and a variable number of fields (RFC 4180 quoting,
// a quote inside an unquoted field or after a closing quote kept as
// written, \r\n read as \n, blank lines skipped), and checks the limits
// while it scans, so a hostile record fails before it takes the memory it
// asks for: encoding/csv would hold a whole record, and a string header
// per field, whatever their number.
type csvParser struct {
	br       *bufio.Reader
	delim    byte
	lim      Limits
	line     int   // lines read
	start    int   // line the record being read starts on
	num      int   // number of the last row
	lastEnd  int   // line the last record ended on
	cells    int64 // cells read from the document
	bytes    int   // bytes of the current row's cells
	fields   int   // fields of the current record, kept or not
	rowFirst int   // where the current row's cells start in slab
	slab     []string
	long     []byte // a line longer than the reader's buffer
	rec      []byte // a quoted record's text, unquoted
	ends     []int  // where each field of rec ends
	text     Chunks // where records' text is kept
	// masks are the current row's masks, made cell by cell as its cells
	// are kept, while their text is in the cache.
	masks masks
}

// csvReadBuffer is the reader's buffer: lines up to this long are parsed
// in place.
const csvReadBuffer = 256 << 10

func newCSVParser(r io.Reader, delim rune, lim Limits) *csvParser {
	return &csvParser{br: bufio.NewReaderSize(r, csvReadBuffer), delim: byte(delim), lim: lim.WithDefaults()}
}

// quoteHint is the likely cause of a record that grows past a limit
// inside quotes.
const quoteHint = "a quote that never closes?"

// readLine returns the next line with its \n (\r\n read as \n; a \r right
// before the end of the text dropped), as encoding/csv does. held is how
// many bytes of the current record came before it.
func (c *csvParser) readLine(held int) ([]byte, error) {
	hint := ""
	if held > 0 {
		hint = quoteHint
	}
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		c.long = append(c.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if held+len(c.long) > c.lim.RowBytes {
				return nil, c.tooLarge(LimitRowBytes, int64(c.lim.RowBytes), hint)
			}
			line, err = c.br.ReadSlice('\n')
			c.long = append(c.long, line...)
		}
		line = c.long
	}
	if held+len(line) > c.lim.RowBytes && (held > 0 || !blankLine(line)) {
		return nil, c.tooLarge(LimitRowBytes, int64(c.lim.RowBytes), hint)
	}
	if n := len(line); n > 0 {
		c.line++
		if err == io.EOF {
			err = nil
			if line[n-1] == '\r' {
				line = line[:n-1]
			}
		}
	}
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// rowNum is the number of the row being read.
func (c *csvParser) rowNum() int { return c.num + max(c.start-c.lastEnd-1, 0) + 1 }

// tooLarge is the failure of the row being read past a limit.
func (c *csvParser) tooLarge(limit string, value int64, hint string) error {
	return TooLarge(limit, value, "row "+itoa(c.rowNum()), hint)
}

// blankLine reports whether a line read is blank: no record, whatever the
// limits.
func blankLine(b []byte) bool {
	return len(b) == 0 || string(b) == "\n" || string(b) == "\r\n" || string(b) == "\r"
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// next reads the next record into r.
func (c *csvParser) next(r *Row) error {
	var line []byte
	var err error
	for {
		c.start = c.line + 1
		if line, err = c.readLine(0); err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return c.readError(err)
		}
		if len(line) > lengthNL(line) {
			break
		}
		// a blank line: counted, not a record
	}
	c.fields, c.bytes, c.rowFirst, c.masks = 0, 0, len(c.slab), masks{}
	body := line[:len(line)-lengthNL(line)]
	switch {
	case bytes.IndexByte(body, '"') < 0:
		err = c.split(c.text.String(body))
	default:
		var done bool
		if done, err = c.quotedLine(body); err == nil && !done {
			// A quoted field goes on past the line.
			c.slab, c.fields, c.bytes, c.masks = c.slab[:c.rowFirst], 0, 0, masks{}
			err = c.quoted(line)
		}
	}
	if err != nil {
		return err
	}
	cells := c.slab[c.rowFirst:len(c.slab):len(c.slab)]
	c.cells += int64(len(cells))
	if c.cells > c.lim.Cells {
		return TooLarge(LimitCells, c.lim.Cells, "row "+itoa(c.rowNum()), "")
	}
	c.num = c.rowNum()
	c.lastEnd = c.line
	*r = Row{Num: c.num, Cells: cells}
	if len(cells) <= 64 {
		c.masks.set(r)
	}
	return nil
}

// readError is the failure of the text's reader.
func (c *csvParser) readError(err error) error {
	var ee *ports.ExtractionError
	if errors.As(err, &ee) {
		return err // a cancelled read, a limit
	}
	return Fail(CodeCorruptInput, "the CSV text cannot be read", err)
}

// keep appends a field to the row, checking the cell limits. Empty fields
// past CellsPerRow are dropped: only a value there makes the row too wide.
func (c *csvParser) keep(f string) error {
	c.fields++
	if len(f) > c.lim.CellBytes {
		return c.tooLarge(LimitCellBytes, int64(c.lim.CellBytes), "")
	}
	if c.fields > c.lim.CellsPerRow {
		if f == "" {
			return nil
		}
		return c.tooLarge(LimitCellsPerRow, int64(c.lim.CellsPerRow), "")
	}
	if len(c.slab) == cap(c.slab) {
		// A new slab; the rows handed over keep the old one.
		row := c.slab[c.rowFirst:]
		c.slab = append(make([]string, 0, max(2*cap(c.slab), 1024, 2*len(row))), row...)
		c.rowFirst = 0
	}
	if k := len(c.slab) - c.rowFirst; k < 64 {
		c.masks.add(k, f)
	}
	c.slab = append(c.slab, f)
	c.bytes += len(f)
	return nil
}

// split reads a line without quotes: one string, cut at each delimiter.
func (c *csvParser) split(s string) error {
	for {
		i := strings.IndexByte(s, c.delim)
		if i < 0 {
			return c.keep(s)
		}
		if err := c.keep(s[:i]); err != nil {
			return err
		}
		s = s[i+1:]
	}
}

// quotedLine reads a line with quotes whose quoted fields all end on it,
// as quoted would: the line is copied once, and its fields are cut from
// that string (a quoted field is copied again only when it holds a
// doubled or stray quote). It reports false, having kept nothing for
// sure, when a quoted field goes on past the line.
func (c *csvParser) quotedLine(line []byte) (bool, error) {
	s := c.text.String(line)
	for {
		if s == "" || s[0] != '"' {
			i := strings.IndexByte(s, c.delim)
			if i < 0 {
				return true, c.keep(s)
			}
			if err := c.keep(s[:i]); err != nil {
				return true, err
			}
			s = s[i+1:]
			continue
		}
		s = s[1:]
		c.rec = c.rec[:0]
		copied := false // the field differs from a part of s: it is in rec
		start := 0
		for {
			i := strings.IndexByte(s[start:], '"')
			if i < 0 {
				return false, nil
			}
			i += start
			if i+1 < len(s) && s[i+1] != c.delim {
				// "" is a quote; any other quote is a stray one, kept.
				c.rec = append(append(c.rec, s[start:i]...), '"')
				copied, start = true, i+1
				if s[i+1] == '"' {
					start++
				}
				continue
			}
			field := s[:i]
			if copied {
				c.rec = append(c.rec, s[start:i]...)
				field = c.text.String(c.rec)
			}
			if err := c.keep(field); err != nil {
				return true, err
			}
			if i+1 >= len(s) {
				return true, nil
			}
			s = s[i+2:]
			break
		}
	}
}

// keepRec keeps the fields of rec, cut at ends, as one string.
func (c *csvParser) keepRec() error {
	s := c.text.String(c.rec)
	if n := len(c.ends); n <= c.lim.CellsPerRow && len(s) <= c.lim.CellBytes {
		// Every field is within the limits: no check field by field.
		if len(c.slab)+n > cap(c.slab) {
			row := c.slab[c.rowFirst:]
			c.slab = append(make([]string, 0, max(2*cap(c.slab), 1024, 2*(len(row)+n))), row...)
			c.rowFirst = 0
		}
		prev := 0
		for i, e := range c.ends {
			v := s[prev:e]
			c.slab = append(c.slab, v)
			if i < 64 {
				c.masks.add(i, v)
			}
			prev = e
		}
		c.fields, c.bytes = n, c.bytes+len(s)
		return nil
	}
	prev := 0
	c.fields = 0
	for _, e := range c.ends {
		if err := c.keep(s[prev:e]); err != nil {
			return err
		}
		prev = e
	}
	return nil
}

// endField ends a field of a quoted record at the end of rec.
func (c *csvParser) endField(hint string) error {
	c.fields++
	start := 0
	if len(c.ends) > 0 {
		start = c.ends[len(c.ends)-1]
	}
	n := len(c.rec)
	switch {
	case n-start > c.lim.CellBytes:
		return c.tooLarge(LimitCellBytes, int64(c.lim.CellBytes), hint)
	case c.fields <= c.lim.CellsPerRow:
		c.ends = append(c.ends, n)
	case n > start:
		return c.tooLarge(LimitCellsPerRow, int64(c.lim.CellsPerRow), "")
	}
	return nil
}

// quoted reads a record with quotes, which may go on over more lines,
// the way encoding/csv does with LazyQuotes.
func (c *csvParser) quoted(line []byte) error {
	c.rec, c.ends = c.rec[:0], c.ends[:0]
	held := len(line)
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, c.delim)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			c.rec = append(c.rec, field...)
			if err := c.endField(""); err != nil {
				return err
			}
			if i < 0 {
				break parseField
			}
			line = line[i+1:]
			continue
		}
		// A quoted field.
		fieldStart := len(c.rec)
		line = line[1:]
		for {
			if i := bytes.IndexByte(line, '"'); i >= 0 {
				c.rec = append(c.rec, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"':
					c.rec = append(c.rec, '"') // "" is a quote
					line = line[1:]
				case len(line) > 0 && line[0] == c.delim:
					line = line[1:]
					if err := c.endField(""); err != nil {
						return err
					}
					continue parseField
				case lengthNL(line) == len(line):
					if err := c.endField(""); err != nil {
						return err
					}
					break parseField
				default:
					c.rec = append(c.rec, '"') // a stray quote, kept
				}
				continue
			}
			if len(line) == 0 {
				// The text ended inside the quotes: so does the field.
				if err := c.endField(quoteHint); err != nil {
					return err
				}
				break parseField
			}
			c.rec = append(c.rec, line...)
			if len(c.rec)-fieldStart > c.lim.CellBytes {
				return c.tooLarge(LimitCellBytes, int64(c.lim.CellBytes), quoteHint)
			}
			var err error
			line, err = c.readLine(held)
			held += len(line)
			if err != nil && !errors.Is(err, io.EOF) {
				return c.readError(err)
			}
		}
	}
	return c.keepRec()
}
