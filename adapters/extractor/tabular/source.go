package tabular

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// row is one spreadsheet row: its 1-based number and its cells from column
// A. Rows are read once and never modified.
type row struct {
	num    int
	cells  []string
	hidden bool
	// When masked (at most 64 cells, set by the CSV parser), bit c of
	// nonBlank is !isBlank(cells[c]) and bit c of labels is
	// maybeLabel(cells[c]): the per-row checks of the detection become bit
	// counts.
	masked           bool
	nonBlank, labels uint64
}

// mask fills in the row's cell masks when it has at most 64 cells.
func (r *row) mask() {
	if len(r.cells) > 64 {
		return
	}
	var nb, lb uint64
	for c, v := range r.cells {
		nonBlank, label := cellBits(v)
		if nonBlank {
			nb |= 1 << c
		}
		if label {
			lb |= 1 << c
		}
	}
	r.masked, r.nonBlank, r.labels = true, nb, lb
}

// cellBits is !isBlank(s) and maybeLabel(s) in one pass.
func cellBits(s string) (nonBlank, label bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return !isBlank(s), maybeLabel(s)
		case isASCIILetter(c):
			return true, strings.IndexByte(s[i+1:], '@') < 0
		case c == '@':
			return true, false
		case c == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
		default:
			nonBlank = true
		}
	}
	return nonBlank, false
}

// bandBits is the mask of a band's columns, and false when the band goes
// past column 64.
func bandBits(bd band) (uint64, bool) {
	if bd.a < 0 || bd.b >= 64 || bd.b < bd.a {
		return 0, false
	}
	return (^uint64(0) >> (63 - bd.b)) &^ (1<<bd.a - 1), true
}

// rowReader yields a sheet's rows in order; next returns io.EOF at the end.
type rowReader interface {
	next() (*row, error)
}

// Input formats.
const (
	formatCSV  = "csv"
	formatXLSX = "xlsx"
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
)

// sniff decides the input format from the first bytes. It returns an
// *ExtractionError for empty input and for binary files that are not XLSX.
func sniff(head []byte) (string, error) {
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, utf8BOM))) == 0:
		return "", extractionError(CodeEmptyInput, "the document is empty", nil)
	case bytes.HasPrefix(head, zipMagic), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return formatXLSX, nil
	case bytes.HasPrefix(head, oleMagic):
		return "", extractionError(CodeUnsupportedFormat,
			"the document is an OLE container (a password-protected XLSX or a legacy XLS), which cannot be read", nil)
	case bytes.IndexByte(head, 0) >= 0 || !mostlyText(head):
		return "", extractionError(CodeUnsupportedFormat, "the document is neither CSV text nor an XLSX workbook", nil)
	}
	return formatCSV, nil
}

// mostlyText reports whether a prefix looks like text: few control bytes.
func mostlyText(b []byte) bool {
	ctl := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			ctl++
		}
	}
	return ctl*50 <= len(b)
}

// csvReader reads a CSV document as one sheet. Row numbers are those a
// spreadsheet application shows: one per record, blank lines included.
//
// The text is parsed in a goroutine of its own, which hands the rows over
// in batches, in order, while the caller detects tables and writes
// outputs: the rows and their numbers are those a sequential read gives.
// close must be called once the caller is done with the reader.
type csvReader struct {
	batches chan csvBatch
	free    chan *batchMem
	done    chan struct{}
	exited  chan struct{}
	cur     []*row
	err     error
	// inUse are the batches handed over, oldest first. oldest, when set,
	// is the number of the oldest row the caller still holds (MaxInt: none);
	// a batch whose rows are all older goes back to the parser for reuse.
	inUse  []*batchMem
	oldest func() int
}

// csvBatch is a run of rows, or the error that ended the text (io.EOF at
// its end).
type csvBatch struct {
	mem *batchMem
	err error
}

// batchMem is the memory of a batch: its rows and their cells.
type batchMem struct {
	headers []row
	rows    []*row
	slab    []string
	last    int // number of the batch's last row
}

// csvBatchRows is how many rows a batch holds; csvBatchesAhead how many
// parsed batches may wait for the caller.
const (
	csvBatchRows    = 128
	csvBatchesAhead = 4
)

// recycleCSVBatches lets the parser reuse the memory of batches the
// caller is done with (tests turn it off to compare).
var recycleCSVBatches = true

func newCSVReader(r io.Reader) *csvReader {
	c := &csvReader{batches: make(chan csvBatch, csvBatchesAhead), free: make(chan *batchMem, 2*csvBatchesAhead),
		done: make(chan struct{}), exited: make(chan struct{})}
	go c.parse(newCSVParser(r))
	return c
}

func (c *csvReader) parse(p *csvParser) {
	defer close(c.exited)
	defer func() {
		if v := recover(); v != nil {
			select {
			case c.batches <- csvBatch{err: extractionError(CodeCorruptInput,
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
			m = &batchMem{headers: make([]row, csvBatchRows), rows: make([]*row, 0, csvBatchRows)}
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
			m.last = r.num
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

func (c *csvReader) next() (*row, error) {
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
func (c *csvReader) recycle() {
	if c.oldest == nil || !recycleCSVBatches {
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

// close stops the parser and waits for it: the underlying reader is the
// caller's again.
func (c *csvReader) close() {
	close(c.done)
	<-c.exited
}

// maxRecordBytes bounds one CSV record. encoding/csv keeps a record in
// memory until it ends, so an unterminated quote would otherwise turn the
// rest of the file into one field.
const maxRecordBytes = 16 << 20

// errRecordTooLarge stops a record past maxRecordBytes.
var errRecordTooLarge = errors.New("CSV record too large")

// recordGuard fails reads once more than maxRecordBytes were read since
// the last complete record.
type recordGuard struct {
	r         io.Reader
	read      int64 // bytes read from r
	recordEnd int64 // value of read where the last complete record ended
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.read-g.recordEnd > maxRecordBytes {
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
	skipped int64 // bytes before the parser's offset 0 (a BOM)
	num     int
	lastEnd int      // line the previous record ended on
	slab    []string // where rows' cells are carved from
}

func newCSVParser(r io.Reader) *csvParser {
	guard := &recordGuard{r: r}
	br := bufio.NewReaderSize(guard, 256<<10)
	var skipped int64
	if head, err := br.Peek(3); err == nil && bytes.Equal(head, utf8BOM) {
		_, _ = br.Discard(3)
		skipped = 3
	}
	cr := csv.NewReader(br)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true // the cells are copied into the slab
	return &csvParser{r: cr, guard: guard, skipped: skipped}
}

// next reads the next record into r.
func (c *csvParser) next(r *row) error {
	rec, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		if errors.Is(err, errRecordTooLarge) {
			return extractionError(CodeCorruptInput,
				fmt.Sprintf("a CSV record is longer than %d MiB (an unterminated quote?)", maxRecordBytes>>20), err)
		}
		return extractionError(CodeCorruptInput, "the CSV text cannot be parsed", err)
	}
	c.guard.recordEnd = c.skipped + c.r.InputOffset()
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
	*r = row{num: c.num, cells: cells}
	r.mask()
	return nil
}

// workbook is an opened XLSX document.
type workbook struct {
	f      *excelize.File
	parts  map[string]string // sheet name -> part path in the zip
	zr     *zip.Reader
	closer io.Closer
}

// sheetInfo is what the workbook says about one sheet before its rows.
type sheetInfo struct {
	hiddenCols []bool // by 0-based column
}

func (s sheetInfo) hidden(col int) bool {
	return col < len(s.hiddenCols) && s.hiddenCols[col]
}

type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// openWorkbook opens the spooled XLSX file.
func openWorkbook(name string, file readerAtCloser, size int64) (wb *workbook, err error) {
	defer func() {
		if p := recover(); p != nil {
			wb, err = nil, extractionError(CodeCorruptInput, "the XLSX workbook is damaged", fmt.Errorf("%v", p))
		}
	}()
	zr, err := zip.NewReader(file, size)
	if err != nil {
		return nil, extractionError(CodeCorruptInput, "the XLSX workbook is not a readable zip archive", err)
	}
	if err := checkUnpackedSize(zr); err != nil {
		return nil, err
	}
	parts, err := sheetParts(zr)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(name, excelize.Options{UnzipXMLSizeLimit: 16 << 20, UnzipSizeLimit: maxUnpackedBytes})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, extractionError(CodeCorruptInput, "the XLSX workbook cannot be opened", err)
	}
	return &workbook{f: f, parts: parts, zr: zr, closer: file}, nil
}

// Bounds on what a workbook may unpack to. Worksheets larger than 16 MiB
// are streamed from temporary files, but excelize holds the shared-strings
// table in memory, so it gets its own, tighter bound.
const (
	maxUnpackedBytes      = 4 << 30
	maxSharedStringsBytes = 256 << 20
)

// checkUnpackedSize refuses a workbook whose parts, as the zip directory
// declares them, unpack past the bounds (zip.Reader also stops a part that
// unpacks to more than it declared).
func checkUnpackedSize(zr *zip.Reader) error {
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if zipPartName(f.Name) == "xl/sharedstrings.xml" && f.UncompressedSize64 > maxSharedStringsBytes {
			return extractionError(CodeInputTooLarge,
				fmt.Sprintf("the workbook's shared strings unpack to more than %d MiB", maxSharedStringsBytes>>20), nil)
		}
	}
	if total > maxUnpackedBytes {
		return extractionError(CodeInputTooLarge,
			fmt.Sprintf("the workbook unpacks to more than %d GiB", maxUnpackedBytes>>30), nil)
	}
	return nil
}

// zipPartName is a zip entry's name as a lowercase part path.
func zipPartName(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "/"))
}

func (w *workbook) close() {
	_ = w.f.Close()
	_ = w.closer.Close()
}

// sheetParts maps sheet names to their worksheet parts by reading the
// workbook and its relationships. A zip without a workbook is not XLSX.
func sheetParts(zr *zip.Reader) (map[string]string, error) {
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[zipPartName(f.Name)] = f
	}
	wbFile, ok := files["xl/workbook.xml"]
	if !ok {
		return nil, extractionError(CodeUnsupportedFormat, "the zip archive is not an XLSX workbook (no xl/workbook.xml)", nil)
	}
	var wbXML struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodeZipXML(wbFile, &wbXML); err != nil {
		return nil, extractionError(CodeCorruptInput, "the XLSX workbook part is damaged", err)
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if relFile, ok := files["xl/_rels/workbook.xml.rels"]; ok {
		if err := decodeZipXML(relFile, &rels); err != nil {
			return nil, extractionError(CodeCorruptInput, "the XLSX workbook relationships are damaged", err)
		}
	}
	out := map[string]string{}
	for _, s := range wbXML.Sheets {
		for _, r := range rels.Rels {
			if r.ID != s.RID {
				continue
			}
			target := strings.ReplaceAll(r.Target, "\\", "/")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join("xl", target)
			}
			out[s.Name] = strings.ToLower(target)
		}
	}
	return out, nil
}

func decodeZipXML(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v)
}

// info reads the worksheet's column settings, which come before its rows,
// and stops at <sheetData>: cheap whatever the sheet's size.
func (w *workbook) info(sheet string) sheetInfo {
	var info sheetInfo
	p, ok := w.parts[sheet]
	if !ok {
		return info
	}
	var zf *zip.File
	for _, f := range w.zr.File {
		if zipPartName(f.Name) == p {
			zf = f
			break
		}
	}
	if zf == nil {
		return info
	}
	rc, err := zf.Open()
	if err != nil {
		return info
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	for {
		tok, err := dec.Token()
		if err != nil {
			return info
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "sheetData":
			return info
		case "col":
			var lo, hi int
			hidden := false
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "min":
					lo, _ = strconv.Atoi(a.Value)
				case "max":
					hi, _ = strconv.Atoi(a.Value)
				case "hidden":
					hidden = a.Value == "1" || a.Value == "true"
				}
			}
			if !hidden || lo < 1 || hi < lo || lo > excelize.MaxColumns {
				continue
			}
			hi = min(hi, excelize.MaxColumns)
			for len(info.hiddenCols) < hi {
				info.hiddenCols = append(info.hiddenCols, false)
			}
			for c := lo; c <= hi; c++ {
				info.hiddenCols[c-1] = true
			}
		}
	}
}

// xlsxReader streams one worksheet through excelize's row iterator.
type xlsxReader struct {
	rows *excelize.Rows
	num  int
}

func (w *workbook) rows(sheet string) (*xlsxReader, error) {
	rows, err := w.f.Rows(sheet)
	if err != nil {
		return nil, extractionError(CodeCorruptInput, fmt.Sprintf("sheet %q cannot be read", sheet), err)
	}
	return &xlsxReader{rows: rows}, nil
}

func (x *xlsxReader) next() (r *row, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, extractionError(CodeCorruptInput, "the worksheet is damaged", fmt.Errorf("%v", p))
		}
	}()
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, extractionError(CodeCorruptInput, "the worksheet is damaged", err)
		}
		return nil, io.EOF
	}
	x.num++
	cells, err := x.rows.Columns()
	if err != nil {
		return nil, extractionError(CodeCorruptInput, "the worksheet is damaged", err)
	}
	return &row{num: x.num, cells: cells, hidden: x.rows.GetRowOpts().Hidden}, nil
}

func (x *xlsxReader) close() { _ = x.rows.Close() }
