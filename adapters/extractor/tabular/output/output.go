// Package output is the last stage of the tabular extractor: it writes
// mapped tables as they stream, one CSV file per table or one XLSX
// workbook with a sheet per table, through a ports.OutputSink, with names
// and bytes that depend only on the input.
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

// Set creates the files of one extraction. CSV files are committed as
// each table ends; the XLSX workbook is assembled when the extraction ends.
type Set struct {
	ctx     context.Context
	sink    ports.OutputSink
	format  string
	base    string
	tempDir string
	names   map[string]bool
	book    *xlsxBook
}

// New returns the outputs of one extraction written to sink (nil: none)
// in format, named after base (the input's name); tempDir holds the XLSX
// workbook's spooled sheets ("" means os.TempDir()).
func New(ctx context.Context, sink ports.OutputSink, format, base, tempDir string) *Set {
	return &Set{ctx: ctx, sink: sink, format: format, base: base, tempDir: tempDir, names: map[string]bool{}}
}

// Open starts the output of a table (its sheet, its index within the
// sheet and its title) and returns its writer and name (a filename, or a
// sheet name inside the XLSX workbook). Without a sink it returns a nil
// writer.
func (o *Set) Open(sheet string, index int, title string) (Writer, string, error) {
	if o.sink == nil {
		return nil, "", nil
	}
	if o.format == FormatXLSX {
		if o.book == nil {
			o.book = &xlsxBook{tempDir: o.tempDir, names: map[string]bool{}}
		}
		sh, err := o.book.addSheet(title)
		if err != nil {
			return nil, "", err
		}
		return sh, sh.name, nil
	}
	name := o.base
	if sheet != o.base {
		name += "-" + SafeName(sheet)
	}
	name = fmt.Sprintf("%s-%d", name, index)
	for n := 2; o.names[strings.ToLower(name)+".csv"]; n++ {
		name = fmt.Sprintf("%s-%d-%d", o.base, index, n)
	}
	name += ".csv"
	o.names[strings.ToLower(name)] = true
	w, err := o.sink.Create(o.ctx, name, ContentTypeCSV)
	if err != nil {
		return nil, "", fmt.Errorf("create output %s: %w", name, err)
	}
	return &csvOut{w: w, bw: bufio.NewWriterSize(w, 256<<10)}, name, nil
}

// Commit writes the XLSX workbook, if any.
func (o *Set) Commit() error {
	if o.book == nil || len(o.book.sheets) == 0 {
		return nil
	}
	name := o.base + "-tables.xlsx"
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

// Cleanup removes the XLSX workbook's spooled sheets.
func (o *Set) Cleanup() {
	if o.book != nil {
		o.book.cleanup()
	}
}

// csvOut streams a table as CSV: the bytes encoding/csv.Writer would
// write (RFC 4180 quoting, \n line ends), without its per-rune work on the
// common unquoted field.
type csvOut struct {
	w  io.WriteCloser
	bw *bufio.Writer
}

func (c *csvOut) Write(vals []string) error {
	// The row is built in the writer's free space: no copy unless it does
	// not fit.
	b := c.bw.AvailableBuffer()
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
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
	_, err := c.bw.Write(b)
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
	if err := c.bw.Flush(); err != nil {
		return err
	}
	return c.w.Close()
}

// xlsxBook is a minimal streaming XLSX writer: each table's worksheet is
// spooled to a temp file as its rows arrive, and the workbook is zipped in
// table order at the end, with fixed timestamps so the bytes are
// reproducible. (excelize's writer buffers the whole workbook in memory
// and orders stream-written sheets by map iteration.)
type xlsxBook struct {
	tempDir string
	sheets  []*xlsxSheet
	names   map[string]bool
}

type xlsxSheet struct {
	name string
	f    *os.File
	bw   *bufio.Writer
	rows int
	cols int
	err  error
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

func (b *xlsxBook) addSheet(title string) (*xlsxSheet, error) {
	f, err := os.CreateTemp(b.tempDir, "ade-tabular-sheet-*.xml")
	if err != nil {
		return nil, fmt.Errorf("spool output sheet: %w", err)
	}
	sh := &xlsxSheet{name: b.sheetName(title), f: f, bw: bufio.NewWriterSize(f, 64<<10)}
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
		w.WriteString(`<c r="`)
		w.WriteString(read.CellRef(i, s.rows))
		w.WriteString(`" t="inlineStr"><is><t xml:space="preserve">`)
		_ = xml.EscapeText(w, []byte(v))
		w.WriteString(`</t></is></c>`)
	}
	_, s.err = w.WriteString(`</row>`)
	return s.err
}

func (s *xlsxSheet) Close() error {
	if s.err == nil {
		s.err = s.bw.Flush()
	}
	return s.err
}

func (b *xlsxBook) cleanup() {
	for _, s := range b.sheets {
		_ = s.f.Close()
		_ = os.Remove(s.f.Name())
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
	ct.WriteString(`</Types>`)
	wb.WriteString(`</sheets></workbook>`)
	rels.WriteString(`</Relationships>`)
	steps := []struct {
		name string
		body func(io.Writer) error
	}{
		{"[Content_Types].xml", text(ct.String())},
		{"_rels/.rels", text(xmlHdr + `<Relationships xmlns="` + nsPkg + `"><Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", text(wb.String())},
		{"xl/_rels/workbook.xml.rels", text(rels.String())},
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
			if _, err := s.f.Seek(0, io.SeekStart); err != nil {
				return err
			}
			if _, err := io.Copy(w, s.f); err != nil {
				return err
			}
			_, err := io.WriteString(w, `</sheetData></worksheet>`)
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
