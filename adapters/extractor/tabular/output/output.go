// Package output is the last stage of the tabular extractor: it writes
// mapped tables as they stream, one CSV file per table or one XLSX
// workbook with a sheet per table, through a ports.OutputSink, with names
// and bytes that depend only on the input. Typed columns are text in CSV
// (their canonical form) and typed cells with number formats in XLSX.
package output

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/ports"
)

// Content types of the outputs.
const (
	ContentTypeCSV  = "text/csv"
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// Output formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// Writer receives one table's rows, the header row first.
type Writer interface {
	Write(vals []string) error
	Close() error
}

// Options are the settings of a Set.
type Options struct {
	// Format is FormatCSV or FormatXLSX.
	Format string
	// Base names the outputs (the input's name).
	Base string
	// TempDir holds spooled worksheets and tables; "" means os.TempDir().
	TempDir string
	// EscapeFormulas neutralises CSV cells a spreadsheet program would
	// read as formulas (see EscapeFormula).
	EscapeFormulas bool
	// MaxBytes bounds the bytes of all the outputs together ("output
	// bytes"; XLSX worksheets counted before compression); 0 means
	// DefaultMaxBytes.
	MaxBytes int64
}

// DefaultMaxBytes is the default bound on an extraction's outputs.
const DefaultMaxBytes = 512 << 20

// LimitBytes names the output bound in messages and metrics.
const LimitBytes = "output bytes"

// maxDirect is how many CSV outputs stream to the sink at once. Tables
// side by side are written together; past this many, a table is spooled
// to a temporary file and copied to the sink when it ends, so a sheet of
// a thousand narrow tables does not hold a thousand sink writers (each
// with its buffers) open.
const maxDirect = 8

// Write buffers: a table streamed to the sink, one spooled.
const (
	directBuffer = 64 << 10
	spoolBuffer  = 16 << 10
)

// Set creates the files of one extraction. CSV files are committed as
// each table ends; the XLSX workbook is assembled when the extraction ends.
type Set struct {
	ctx    context.Context
	sink   ports.OutputSink
	opts   Options
	names  map[string]bool
	book   *xlsxBook
	direct int // CSV outputs open on the sink
	spools map[*os.File]struct{}
	// written counts the bytes of every output so far.
	written int64
}

// New returns the outputs of one extraction written to sink (nil: none).
func New(ctx context.Context, sink ports.OutputSink, opts Options) *Set {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Set{ctx: ctx, sink: sink, opts: opts, names: map[string]bool{}, spools: map[*os.File]struct{}{}}
}

// count adds n output bytes, failing past the bound.
func (o *Set) count(n int) error {
	o.written += int64(n)
	if o.written > o.opts.MaxBytes {
		return read.TooLarge(LimitBytes, o.opts.MaxBytes, "", "the outputs would be larger")
	}
	return nil
}

// Open starts the output of a table (its sheet, its index within the
// sheet, its title, and the parser of each typed column, nil for text) and
// returns its writer and name (a filename, or a sheet name inside the XLSX
// workbook). Without a sink it returns a nil writer. CSV outputs write
// every value as it comes (typed values come canonical); the XLSX
// workbook stores a typed column's values as typed cells.
func (o *Set) Open(sheet string, index int, title string, types []*values.Parser) (Writer, string, error) {
	if o.sink == nil {
		return nil, "", nil
	}
	if o.opts.Format == FormatXLSX {
		if o.book == nil {
			o.book = &xlsxBook{set: o, names: map[string]bool{}}
		}
		sh, err := o.book.addSheet(title, types)
		if err != nil {
			return nil, "", err
		}
		return sh, sh.name, nil
	}
	base := o.opts.Base
	name := base
	if sheet != base {
		name += "-" + SafeName(sheet)
	}
	name = fmt.Sprintf("%s-%d", name, index)
	for n := 2; o.names[strings.ToLower(name)+".csv"]; n++ {
		name = fmt.Sprintf("%s-%d-%d", base, index, n)
	}
	name += ".csv"
	o.names[strings.ToLower(name)] = true
	out := &csvOut{set: o, name: name, escape: o.opts.EscapeFormulas}
	if o.direct >= maxDirect {
		f, err := os.CreateTemp(o.opts.TempDir, "ade-tabular-table-*.csv")
		if err != nil {
			return nil, "", fmt.Errorf("spool output %s: %w", name, err)
		}
		o.spools[f] = struct{}{}
		out.spool, out.dst, out.buf = f, f, make([]byte, 0, spoolBuffer)
		return out, name, nil
	}
	w, err := o.sink.Create(o.ctx, name, ContentTypeCSV)
	if err != nil {
		return nil, "", fmt.Errorf("create output %s: %w", name, err)
	}
	o.direct++
	out.w, out.dst, out.buf = w, w, make([]byte, 0, directBuffer)
	return out, name, nil
}

// Commit writes the XLSX workbook, if any.
func (o *Set) Commit() error {
	if o.book == nil || len(o.book.sheets) == 0 {
		return nil
	}
	name := o.opts.Base + "-tables.xlsx"
	w, err := o.sink.Create(o.ctx, name, ContentTypeXLSX)
	if err != nil {
		return fmt.Errorf("create output %s: %w", name, err)
	}
	if err := o.book.writeTo(w); err != nil {
		return fmt.Errorf("write output %s: %w", name, err)
	}
	if err := o.ctx.Err(); err != nil {
		return read.Cancelled(err)
	}
	return w.Close()
}

// Cleanup removes the spooled worksheets and tables.
func (o *Set) Cleanup() {
	if o.book != nil {
		o.book.cleanup()
	}
	for f := range o.spools {
		o.unspool(f)
	}
}

func (o *Set) unspool(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name())
	delete(o.spools, f)
}

// csvOut streams a table as CSV: the bytes encoding/csv.Writer would
// write (RFC 4180 quoting, \n line ends), without its per-rune work on the
// common unquoted field. A table is written to the sink as it streams, or
// to a spool file copied to the sink at Close.
type csvOut struct {
	set    *Set
	name   string
	escape bool
	w      io.WriteCloser // the sink's writer, nil while spooled
	spool  *os.File
	dst    io.Writer // w, or spool
	buf    []byte    // rows not written to dst yet
}

// rowRoom is the room a csvOut's buffer keeps for the next row: with less
// left it is written out, so that a row is built in place, not in a
// buffer of its own.
const rowRoom = 4 << 10

func (c *csvOut) Write(vals []string) error { return c.WritePlain(vals, 0) }

// WritePlain writes a row whose values with their bit set in plain (the
// first 64) are known to need neither quotes nor a formula escape
// (read.Row.Plain): they are copied without a look.
func (c *csvOut) WritePlain(vals []string, plain uint64) error {
	// The row is built in the buffer's free end, where it stays: no copy
	// unless it does not fit.
	b := c.buf[len(c.buf):]
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		if plain>>i&1 != 0 && i < 64 {
			b = append(b, v...)
			continue
		}
		if c.escape && NeedsEscape(v) {
			v = "'" + v
		}
		if !CSVNeedsQuotes(v) {
			b = append(b, v...)
			continue
		}
		b = append(b, '"')
		for {
			j := strings.IndexByte(v, '"')
			if j < 0 {
				b = append(b, v...)
				break
			}
			b = append(b, v[:j+1]...)
			b = append(b, '"')
			v = v[j+1:]
		}
		b = append(b, '"')
	}
	b = append(b, '\n')
	if err := c.set.count(len(b)); err != nil {
		return err
	}
	if len(b) <= cap(c.buf)-len(c.buf) {
		c.buf = c.buf[:len(c.buf)+len(b)] // built in place
		if cap(c.buf)-len(c.buf) >= rowRoom {
			return nil
		}
		return c.flush()
	}
	if err := c.flush(); err != nil {
		return err
	}
	if len(b) >= cap(c.buf) {
		_, err := c.dst.Write(b)
		return err
	}
	c.buf = append(c.buf, b...)
	return nil
}

// flush writes the buffered rows.
func (c *csvOut) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.dst.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

// csvSpecial marks the bytes that make encoding/csv quote a field.
var csvSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}

// hasCSVSpecial reports whether one of eight bytes is ',', '"', '\r' or
// '\n' (the classic has-zero-byte test on the word xor each of them).
func hasCSVSpecial(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(y uint64) uint64 { return (y - ones) &^ y & highs }
	return zero(x^(ones*','))|zero(x^(ones*'"'))|zero(x^(ones*'\r'))|zero(x^(ones*'\n')) != 0
}

// CSVNeedsQuotes mirrors encoding/csv's rule.
func CSVNeedsQuotes(v string) bool {
	if v == "" {
		return false
	}
	if v == `\.` {
		return true
	}
	b := unsafe.Slice(unsafe.StringData(v), len(v))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if hasCSVSpecial(binary.LittleEndian.Uint64(b[i:])) {
			return true
		}
	}
	for ; i < len(b); i++ {
		if csvSpecial[b[i]] {
			return true
		}
	}
	if c := v[0]; c < utf8.RuneSelf {
		return c == ' ' || c == '\t' || c == '\v' || c == '\f'
	}
	r, _ := utf8.DecodeRuneInString(v)
	return unicode.IsSpace(r)
}

func (c *csvOut) Close() error {
	if err := c.flush(); err != nil {
		return err
	}
	if c.spool == nil {
		c.set.direct--
		return c.w.Close()
	}
	// A spooled table: copy it to the sink now that it is complete.
	defer c.set.unspool(c.spool)
	if _, err := c.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w, err := c.set.sink.Create(c.set.ctx, c.name, ContentTypeCSV)
	if err != nil {
		return fmt.Errorf("create output %s: %w", c.name, err)
	}
	if _, err := io.Copy(w, c.spool); err != nil {
		_ = w.Close()
		return fmt.Errorf("write output %s: %w", c.name, err)
	}
	return w.Close()
}

// NeedsEscape reports whether a spreadsheet program could read a CSV cell
// as a formula (OWASP's CSV injection): it begins with '=', '+', '-', '@',
// a tab or a carriage return, and is not a plain number. A plain number
// is an optional sign, digits with at most one decimal point (at least one
// digit), and optionally an exponent: 'e' or 'E', an optional sign and
// digits ("-12.5", "+3", "-.5", "-1e-7"); nothing else, not even spaces or
// thousands separators.
func NeedsEscape(v string) bool {
	if v == "" {
		return false
	}
	switch v[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		return !plainNumber(v)
	}
	return false
}

// EscapeFormula returns v with a leading "'" when NeedsEscape(v): the
// spreadsheet then shows the text as it was, and never evaluates it.
func EscapeFormula(v string) string {
	if NeedsEscape(v) {
		return "'" + v
	}
	return v
}

// plainNumber reports whether v is [+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?.
func plainNumber(v string) bool {
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		digits++
	}
	if i < len(v) && v[i] == '.' {
		for i++; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(v)
}

// xlsxBook is a minimal streaming XLSX writer: each table's worksheet is
// spooled to a temp file as its rows arrive, and the workbook is zipped in
// table order at the end, with fixed timestamps so the bytes are
// reproducible. (excelize's writer buffers the whole workbook in memory
// and orders stream-written sheets by map iteration.)
type xlsxBook struct {
	set    *Set
	sheets []*xlsxSheet
	names  map[string]bool
	styles styles
}

// xlsxSheet is one table's worksheet, spooled to a file that stays open
// only while the table is written.
type xlsxSheet struct {
	book   *xlsxBook
	types  []*values.Parser // by column; nil: text
	name   string
	path   string
	f      *os.File // nil once closed
	bw     *bufio.Writer
	rows   int
	cols   int
	err    error
	closed bool
}

// counted passes writes to w and counts them against the outputs' bound.
type counted struct {
	w   io.Writer
	set *Set
}

func (c counted) Write(p []byte) (int, error) {
	if err := c.set.count(len(p)); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// sheetName makes an Excel-valid, unique sheet name (31 characters, none
// of []:*?/\).
func (b *xlsxBook) sheetName(title string) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, title)
	clean = strings.Trim(clean, "'")
	if clean == "" {
		clean = "Table"
	}
	cut := func(s string, n int) string {
		r := []rune(s)
		if len(r) > n {
			r = r[:n]
		}
		return string(r)
	}
	name := cut(clean, 31)
	for n := 2; b.names[strings.ToLower(name)]; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		name = cut(clean, 31-len(suffix)) + suffix
	}
	b.names[strings.ToLower(name)] = true
	return name
}

func (b *xlsxBook) addSheet(title string, types []*values.Parser) (*xlsxSheet, error) {
	f, err := os.CreateTemp(b.set.opts.TempDir, "ade-tabular-sheet-*.xml")
	if err != nil {
		return nil, fmt.Errorf("spool output sheet: %w", err)
	}
	sh := &xlsxSheet{
		book: b, types: types, name: b.sheetName(title), path: f.Name(), f: f,
		bw: bufio.NewWriterSize(counted{f, b.set}, spoolBuffer),
	}
	b.sheets = append(b.sheets, sh)
	return sh, nil
}

func (s *xlsxSheet) Write(vals []string) error {
	if s.err != nil {
		return s.err
	}
	s.rows++
	s.cols = max(s.cols, len(vals))
	w := s.bw
	fmt.Fprintf(w, `<row r="%d">`, s.rows)
	for i, v := range vals {
		if v == "" {
			continue
		}
		if s.rows > 1 && i < len(s.types) && s.types[i] != nil {
			s.typedCell(i, s.types[i].SheetCell(v))
			continue
		}
		writeTextCell(w, read.CellRef(i, s.rows), v)
	}
	_, s.err = w.WriteString(`</row>`)
	return s.err
}

// Close ends the table: its worksheet is complete in its file.
func (s *xlsxSheet) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.err == nil {
		s.err = s.bw.Flush()
	}
	if err := s.f.Close(); s.err == nil {
		s.err = err
	}
	s.f, s.bw = nil, nil
	return s.err
}

func (b *xlsxBook) cleanup() {
	for _, s := range b.sheets {
		if s.f != nil {
			_ = s.f.Close()
		}
		_ = os.Remove(s.path)
	}
}

// zipEpoch is the fixed modification time of every workbook part.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPkg  = "http://schemas.openxmlformats.org/package/2006/relationships"
	xmlHdr = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
)

func (b *xlsxBook) writeTo(w io.Writer) error {
	zw := zip.NewWriter(w)
	part := func(name string, body func(io.Writer) error) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipEpoch})
		if err != nil {
			return err
		}
		return body(fw)
	}
	text := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	var ct, wb, rels strings.Builder
	ct.WriteString(xmlHdr + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`)
	wb.WriteString(xmlHdr + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets>`)
	rels.WriteString(xmlHdr + `<Relationships xmlns="` + nsPkg + `">`)
	for i, s := range b.sheets {
		n := i + 1
		fmt.Fprintf(&ct, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, n)
		wb.WriteString(`<sheet name="`)
		_ = xml.EscapeText(&wb, []byte(s.name))
		fmt.Fprintf(&wb, `" sheetId="%d" r:id="rId%d"/>`, n, n)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="`+nsRel+`/worksheet" Target="worksheets/sheet%d.xml"/>`, n, n)
	}
	ct.WriteString(`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	ct.WriteString(`</Types>`)
	wb.WriteString(`</sheets></workbook>`)
	rels.WriteString(`<Relationship Id="rIdStyles" Type="` + nsRel + `/styles" Target="styles.xml"/>`)
	rels.WriteString(`</Relationships>`)
	steps := []struct {
		name string
		body func(io.Writer) error
	}{
		{"[Content_Types].xml", text(ct.String())},
		{"_rels/.rels", text(xmlHdr + `<Relationships xmlns="` + nsPkg + `"><Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", text(wb.String())},
		{"xl/_rels/workbook.xml.rels", text(rels.String())},
		{"xl/styles.xml", text(b.styles.xml())},
	}
	for _, st := range steps {
		if err := part(st.name, st.body); err != nil {
			return err
		}
	}
	for i, s := range b.sheets {
		if err := s.Close(); err != nil {
			return err
		}
		err := part(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), func(w io.Writer) error {
			dim := "A1"
			if s.rows > 0 && s.cols > 0 {
				dim = "A1:" + read.CellRef(s.cols-1, s.rows)
			}
			if _, err := io.WriteString(w, xmlHdr+`<worksheet xmlns="`+nsMain+`"><dimension ref="`+dim+`"/><sheetData>`); err != nil {
				return err
			}
			f, err := os.Open(s.path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(w, f); err != nil {
				return err
			}
			_, err = io.WriteString(w, `</sheetData></worksheet>`)
			return err
		})
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// SafeName keeps letters, digits, '-', '_' and '.' of s for a filename.
func SafeName(s string) string {
	var b strings.Builder
	underscore := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
			underscore = false
			continue
		}
		if !underscore {
			b.WriteByte('_')
			underscore = true
		}
	}
	out := strings.Trim(b.String(), "_.")
	if out == "" {
		return "table"
	}
	return out
}
