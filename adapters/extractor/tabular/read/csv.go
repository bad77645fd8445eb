package read

import (
	"bufio"
	"encoding/csv"
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

// csvBatchRows is how many rows a batch holds; csvBatchesAhead how many
// parsed batches may wait for the caller.
const (
	csvBatchRows    = 128
	csvBatchesAhead = 4
)

// RecycleCSVBatches lets the parser reuse the memory of batches the
// caller is done with (tests turn it off to compare).
var RecycleCSVBatches = true

func newCSVRows(r io.Reader, delim rune) *csvRows {
	c := &csvRows{batches: make(chan csvBatch, csvBatchesAhead), free: make(chan *batchMem, 2*csvBatchesAhead),
		done: make(chan struct{}), exited: make(chan struct{})}
	go c.parse(newCSVParser(r, delim))
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
		for len(m.rows) < csvBatchRows {
			r := &m.headers[len(m.rows)]
			if err = p.next(r); err != nil {
				break
			}
			m.rows = append(m.rows, r)
			m.last = r.Num
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

// MaxRecordBytes bounds one CSV record. encoding/csv keeps a record in
// memory until it ends, so an unterminated quote would otherwise turn the
// rest of the file into one field.
const MaxRecordBytes = 16 << 20

// errRecordTooLarge stops a record past MaxRecordBytes.
var errRecordTooLarge = errors.New("CSV record too large")

// recordGuard fails reads once more than MaxRecordBytes were read since
// the last complete record.
type recordGuard struct {
	r         io.Reader
	read      int64 // bytes read from r
	recordEnd int64 // value of read where the last complete record ended
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.read-g.recordEnd > MaxRecordBytes {
		return 0, errRecordTooLarge
	}
	n, err := g.r.Read(p)
	g.read += int64(n)
	return n, err
}

// csvParser turns CSV text into numbered rows.
type csvParser struct {
	r       *csv.Reader
	guard   *recordGuard
	num     int
	lastEnd int      // line the previous record ended on
	slab    []string // where rows' cells are carved from
}

func newCSVParser(r io.Reader, delim rune) *csvParser {
	guard := &recordGuard{r: r}
	cr := csv.NewReader(bufio.NewReaderSize(guard, 256<<10))
	cr.Comma = delim
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true // the cells are copied into the slab
	return &csvParser{r: cr, guard: guard}
}

// next reads the next record into r.
func (c *csvParser) next(r *Row) error {
	rec, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		if errors.Is(err, errRecordTooLarge) {
			return Fail(CodeCorruptInput,
				fmt.Sprintf("a CSV record is longer than %d MiB (an unterminated quote?)", MaxRecordBytes>>20), err)
		}
		var ee *ports.ExtractionError
		if errors.As(err, &ee) {
			return err // a cancelled read
		}
		return Fail(CodeCorruptInput, "the CSV text cannot be parsed", err)
	}
	c.guard.recordEnd = c.r.InputOffset()
	start, _ := c.r.FieldPos(0)
	gap := max(start-c.lastEnd-1, 0)
	c.num += gap + 1
	lastLine, _ := c.r.FieldPos(len(rec) - 1)
	c.lastEnd = lastLine + strings.Count(rec[len(rec)-1], "\n")
	n := len(rec)
	if cap(c.slab)-len(c.slab) < n {
		c.slab = make([]string, 0, max(n, 2*cap(c.slab), 1024))
	}
	cells := c.slab[len(c.slab) : len(c.slab)+n : len(c.slab)+n]
	c.slab = c.slab[:len(c.slab)+n]
	copy(cells, rec)
	*r = Row{Num: c.num, Cells: cells}
	r.Mask()
	return nil
}
