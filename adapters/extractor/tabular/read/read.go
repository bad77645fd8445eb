package read

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Rows yields a sheet's rows in order; Next returns io.EOF at the end. A
// row stays valid until the next call of Next unless the source is a
// Recycler, whose rows stay valid while the caller says it holds them.
type Rows interface {
	Next() (*Row, error)
	Close() error
}

// Recycler is a Rows that reuses the memory of rows its caller is done
// with. Hold registers the function that returns the number of the oldest
// row the caller still holds (math.MaxInt for none); the source calls it
// between batches of rows.
type Recycler interface {
	Hold(oldest func() int)
}

// Sheet is what a workbook says about a sheet before its rows.
type Sheet struct {
	Name string
	// HiddenCols marks hidden columns, by 0-based column.
	HiddenCols []bool
}

// HiddenCol reports whether 0-based column col is hidden.
func (s Sheet) HiddenCol(col int) bool {
	return col < len(s.HiddenCols) && s.HiddenCols[col]
}

// Workbook is an opened document: its sheets in order and their rows. A
// CSV document is a workbook of one sheet.
type Workbook interface {
	// Sheets returns the sheet names in workbook order.
	Sheets() []string
	// Active returns the name of the sheet shown when the file is opened.
	Active() string
	// Sheet returns what the workbook says about a sheet; for XLSX it is
	// complete once Rows has opened the sheet.
	Sheet(name string) Sheet
	// Rows starts reading a sheet's rows; ctx governs the reading. A
	// failure that ends the whole extraction (a limit, a cancellation)
	// is an *ports.ExtractionError with that code; any other error means
	// this sheet cannot be read.
	Rows(ctx context.Context, name string) (Rows, error)
	// Close releases the workbook and its temporary files.
	Close() error
}

// Input formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	FormatXLSM = "xlsm"
	FormatXLS  = "xls"
)

// Document is an opened input: its format, for text its encoding and
// delimiter, and its workbook.
type Document struct {
	Format    string
	Encoding  string // CSV only
	Delimiter rune   // CSV only
	Book      Workbook
	fallback  *fallback
}

// NonUTF8Bytes is how many bytes of a document first read as UTF-8 were
// not UTF-8 and were read as Windows-1252 instead; known once its rows
// are read.
func (d *Document) NonUTF8Bytes() int {
	if d.fallback == nil {
		return 0
	}
	return d.fallback.Replaced
}

// Options are the settings of Open.
type Options struct {
	// Filename is the document's name; its extension breaks ties (.tsv
	// prefers tab) and, without its extension, names a CSV's one sheet.
	Filename string
	// TempDir is where workbooks are spooled; "" means os.TempDir().
	TempDir string
	// CSVSheet names a CSV document's one sheet; "" means the filename
	// without its extension.
	CSVSheet string
	// Limits bound the reading; zero fields take their defaults.
	Limits Limits
}

// HeadSize is how much of a document Open looks at to decide its format,
// encoding and delimiter.
const HeadSize = 64 << 10

var (
	zipMagic = []byte("PK\x03\x04")
	zipEmpty = []byte("PK\x05\x06")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Open decides the document's format from its first bytes and opens it.
// Text is read from br as its rows are; a workbook is spooled to a
// temporary file first, and ctx governs the reading of its parts. Open
// returns an *ports.ExtractionError for empty input, for formats it cannot
// read and for a workbook past a limit.
func Open(ctx context.Context, br *bufio.Reader, opts Options) (*Document, error) {
	head, err := br.Peek(HeadSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, zipMagic), bytes.HasPrefix(head, zipEmpty):
		return spool(br, opts, func(f *os.File, size int64) (*Document, error) { return openXLSX(ctx, f, size, opts) })
	case bytes.HasPrefix(head, oleMagic):
		lim := opts.Limits
		return spool(br, opts, func(f *os.File, size int64) (*Document, error) { return openOLE(f, size, lim) })
	}
	enc := detectEncoding(head)
	text := decodeHead(head, enc)
	switch {
	case len(bytes.TrimSpace(text)) == 0:
		return nil, Fail(CodeEmptyInput, "the document is empty", nil)
	case enc != EncodingUTF16LE && enc != EncodingUTF16BE && (bytes.IndexByte(head, 0) >= 0 || !mostlyText(head)):
		return nil, Fail(CodeUnsupportedFormat, "the document is neither CSV text nor a workbook", nil)
	}
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(opts.Filename, "\\", "/")))
	delim := detectDelimiter(text, len(head) == HeadSize, ext == ".tsv" || ext == ".tab")
	r, fb := decoder(br, enc)
	doc := &Document{Format: FormatCSV, Encoding: enc, Delimiter: delim, fallback: fb}
	name := opts.CSVSheet
	if name == "" {
		name = SheetName(opts.Filename)
	}
	doc.Book = &csvBook{name: name, r: r, delim: delim, lim: opts.Limits}
	return doc, nil
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

// SheetName is a CSV document's sheet name: its filename without the
// directory and extension ("document" when nothing is left).
func SheetName(filename string) string {
	name := path.Base(strings.ReplaceAll(filename, "\\", "/"))
	if ext := path.Ext(name); ext != "" && ext != name {
		name = strings.TrimSuffix(name, ext)
	}
	if name == "." || name == "/" || strings.TrimSpace(name) == "" {
		return "document"
	}
	return name
}

// spool copies the document to a temporary file and opens it as a
// workbook, which then owns (and removes) the file.
func spool(r io.Reader, opts Options, open func(f *os.File, size int64) (*Document, error)) (*Document, error) {
	tmp, err := os.CreateTemp(opts.TempDir, "ade-tabular-*.book")
	if err != nil {
		return nil, fmt.Errorf("spool workbook: %w", err)
	}
	size, err := io.Copy(tmp, r)
	if err == nil {
		var doc *Document
		if doc, err = open(tmp, size); err == nil {
			return doc, nil
		}
	}
	_ = tmp.Close()
	_ = os.Remove(tmp.Name())
	return nil, err
}

// csvBook is a CSV document as a workbook of one sheet.
type csvBook struct {
	name  string
	r     io.Reader
	delim rune
	lim   Limits
	rows  *csvRows
}

func (b *csvBook) Sheets() []string        { return []string{b.name} }
func (b *csvBook) Active() string          { return b.name }
func (b *csvBook) Sheet(name string) Sheet { return Sheet{Name: name} }

func (b *csvBook) Rows(_ context.Context, name string) (Rows, error) {
	if name != b.name || b.rows != nil {
		return nil, fmt.Errorf("sheet %q cannot be read", name)
	}
	b.rows = newCSVRows(b.r, b.delim, b.lim)
	return b.rows, nil
}

func (b *csvBook) Close() error {
	if b.rows != nil {
		return b.rows.Close()
	}
	return nil
}
