package tabular

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"github.com/ade-go/ade/adapters/extractor/tabular/detect"
	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
	"github.com/ade-go/ade/adapters/extractor/tabular/output"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Name is the extractor's name in payload.extractor.
const Name = "tabular"

// Stable failure codes of *ports.ExtractionError.
const (
	// CodeEmptyInput: the document has no content.
	CodeEmptyInput = read.CodeEmptyInput
	// CodeUnsupportedFormat: neither CSV text nor a readable workbook
	// (this includes password-protected workbooks).
	CodeUnsupportedFormat = read.CodeUnsupportedFormat
	// CodeCorruptInput: a workbook or CSV document that cannot be parsed.
	CodeCorruptInput = read.CodeCorruptInput
	// CodeInvalidConfiguration: the payload fails ValidatePayload.
	CodeInvalidConfiguration = "invalid_configuration"
	// CodeCancelled: the context was done before the extraction finished.
	CodeCancelled = read.CodeCancelled
	// CodeInputTooLarge: the document is past one of the Limits (a zip
	// bomb, a hostile shape, or a document far beyond operational sizes);
	// the message and the metrics name the limit.
	CodeInputTooLarge = read.CodeInputTooLarge
	// CodeNoTablesFound: no sheet holds a table (and the payload does not
	// set allow_empty); the logs say why, sheet by sheet.
	CodeNoTablesFound = "no_tables_found"
)

// Extractor is the tabular extractor. The zero value is ready to use.
type Extractor struct {
	// TempDir is where workbook inputs, shared strings, XLSX worksheets
	// and tables written side by side are spooled; "" means os.TempDir().
	// Every file is removed when the extraction ends, however it ends.
	TempDir string
	// Limits bound every extraction; zero fields take their defaults.
	Limits Limits
}

var _ ports.Extractor = (*Extractor)(nil)

// New returns a tabular extractor.
func New() *Extractor { return &Extractor{} }

// Name returns "tabular".
func (e *Extractor) Name() string { return Name }

// ValidatePayload checks a payload; see ParseConfig.
func (e *Extractor) ValidatePayload(payload map[string]any) error {
	_, err := ParseConfig(payload)
	return err
}

// Extract reads the document, detects its tables and writes one normalized
// output per table (CSV) or one workbook (XLSX) through req.Outputs, which
// may be nil to skip outputs.
func (e *Extractor) Extract(ctx context.Context, req ports.ExtractionRequest) (res ports.ExtractionResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = ports.ExtractionResult{}, read.Fail(CodeCorruptInput,
				"the document could not be read", fmt.Errorf("panic: %v", p))
		}
		if le, ok := read.ExceededLimit(err); ok {
			// Say which limit in the metrics too, beside what was found.
			if res.Metrics == nil {
				res.Metrics = map[string]any{}
			}
			res.Metrics["limit_exceeded"], res.Metrics["limit_value"] = le.Limit, le.Value
		}
	}()
	lim := e.Limits.WithDefaults()
	cfg, err := ParseConfig(req.Payload)
	if err != nil {
		return res, read.Fail(CodeInvalidConfiguration, err.Error(), err)
	}
	if err := ctx.Err(); err != nil {
		return res, read.Cancelled(err)
	}
	if req.Document.Open == nil {
		return res, errors.New("extract: the document has no content to open")
	}
	rc, err := req.Document.Open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return res, read.Cancelled(ctx.Err())
		}
		return res, fmt.Errorf("extract: open document: %w", err)
	}
	defer rc.Close()

	hasher := newAsyncHash()
	defer hasher.stop()
	// The buffer holds what Open looks at, no more: the CSV parser's own
	// buffer is larger, so its reads bypass this one instead of copying
	// every byte through it.
	br := bufio.NewReaderSize(io.TeeReader(&ctxReader{ctx: ctx, r: rc}, hasher), read.HeadSize)
	base := baseName(req.Document.Filename)
	doc, err := read.Open(ctx, br, read.Options{Filename: req.Document.Filename, TempDir: e.TempDir, CSVSheet: base, Limits: lim.read()})
	if err != nil {
		return res, readError(ctx, err)
	}
	defer doc.Book.Close()
	x := &extraction{ctx: ctx, cfg: cfg, doc: doc, lim: lim, schema: mapping.NewSchema(cfg.Fields, cfg.KeepUnmapped),
		outs: output.New(ctx, req.Outputs, output.Options{Format: cfg.OutputFormat, Base: base, TempDir: e.TempDir,
			EscapeFormulas: cfg.EscapeFormulas, MaxBytes: lim.OutputBytes})}
	defer x.outs.Cleanup()
	x.logFormat()
	if err := x.run(); err != nil {
		return x.partial(), readError(ctx, err)
	}
	// Hash whatever the parser did not need to read.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return res, readError(ctx, err)
	}
	if err := x.outs.Commit(); err != nil {
		return x.partial(), readError(ctx, err)
	}
	res = x.result(hex.EncodeToString(hasher.sum()))
	if len(x.tables) == 0 && !cfg.AllowEmpty {
		return res, read.Fail(CodeNoTablesFound, x.noTablesMessage(), nil)
	}
	return res, nil
}

func readError(ctx context.Context, err error) error {
	var ee *ports.ExtractionError
	if errors.As(err, &ee) {
		return ee
	}
	if ctx.Err() != nil {
		return read.Cancelled(ctx.Err())
	}
	return fmt.Errorf("extract: %w", err)
}

// extraction is the state of one Extract call.
type extraction struct {
	ctx    context.Context
	cfg    *Config
	lim    Limits
	doc    *read.Document
	schema *mapping.Schema
	outs   *output.Set
	tables []*tableResult
	logs   []domain.LogEntry
	// empty lists the sheets without tables and why.
	empty []sheetReason

	sheets, rowsOut, mapped, unmapped, invalid int
	// totalsChecked and totalsMismatched count the stated totals compared
	// with their sums, and those that differ.
	totalsChecked, totalsMismatched int
	// found counts the tables begun, against Limits.Tables; kept is the
	// estimated memory of the table records and logs, against
	// Limits.ResultBytes.
	found, kept int
}

// sheetReason is why a sheet holds no table.
type sheetReason struct{ sheet, reason, detail string }

func (x *extraction) log(level domain.LogLevel, msg string, details map[string]any) {
	x.logs = append(x.logs, domain.LogEntry{Level: level, Message: msg, Details: details})
}

// logFormat records what the input was read as.
func (x *extraction) logFormat() {
	d := map[string]any{"format": x.doc.Format}
	if x.doc.Format == read.FormatCSV {
		d["encoding"], d["delimiter"] = x.doc.Encoding, delimiterName(x.doc.Delimiter)
	}
	x.log(domain.LogInfo, "input read as "+x.doc.Format, d)
}

// delimiterName is how a delimiter shows in metrics and logs.
func delimiterName(d rune) string {
	switch d {
	case '\t':
		return "tab"
	case 0:
		return ""
	}
	return string(d)
}

func (x *extraction) run() error {
	for _, sheet := range x.selectSheets() {
		if err := x.ctx.Err(); err != nil {
			return read.Cancelled(err)
		}
		x.sheets++
		rows, err := x.doc.Book.Rows(x.ctx, sheet)
		if err != nil {
			var ee *ports.ExtractionError
			if errors.As(err, &ee) && (ee.Code == CodeCancelled || ee.Code == CodeInputTooLarge) {
				return err
			}
			x.noTable(sheet, "unreadable", err.Error())
			continue
		}
		s := &sheetSink{x: x, sheet: sheet, info: x.doc.Book.Sheet(sheet), byTable: map[*detect.Table]*tableResult{}}
		out, err := detect.Scan(x.ctx, rows, detect.Options{Synonym: x.schema.IsSynonym}, s)
		_ = rows.Close()
		if err != nil {
			return err
		}
		for _, t := range s.order {
			x.tables = append(x.tables, t)
			x.logs = append(x.logs, t.logs...)
		}
		if out.Tables == 0 {
			x.noTable(sheet, out.Reason, out.Detail)
		}
	}
	if x.doc.Format == read.FormatCSV {
		if n := x.doc.NonUTF8Bytes(); n > 0 {
			x.log(domain.LogWarn, "bytes that are not UTF-8 read as Windows-1252", map[string]any{"bytes": n})
		}
	}
	return nil
}

// keep counts n more bytes of table records and logs.
func (x *extraction) keep(n int, sheet string) error {
	if x.kept += n; int64(x.kept) > x.lim.ResultBytes {
		return read.TooLarge(LimitResultBytes, x.lim.ResultBytes, fmt.Sprintf("sheet %q", sheet),
			"the tables' columns and logs would take more memory than that")
	}
	return nil
}

// noTable records and logs a sheet without a table.
func (x *extraction) noTable(sheet, reason, detail string) {
	x.empty = append(x.empty, sheetReason{sheet, reason, detail})
	x.log(domain.LogWarn, "no table found", map[string]any{"sheet": sheet, "reason": reason, "detail": detail})
}

// noTablesMessage explains a document without tables, sheet by sheet.
func (x *extraction) noTablesMessage() string {
	var b strings.Builder
	b.WriteString("no table was found in the document")
	for i, s := range x.empty {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more sheet(s)", len(x.empty)-i)
			break
		}
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		fmt.Fprintf(&b, "%ssheet %q: %s (%s)", sep, s.sheet, strings.ReplaceAll(s.reason, "_", " "), s.detail)
	}
	if len(x.empty) == 0 {
		b.WriteString(": no sheet was read")
	}
	return b.String()
}

// selectSheets applies the "sheets" setting, in workbook order.
func (x *extraction) selectSheets() []string {
	list := x.doc.Book.Sheets()
	switch x.cfg.SheetMode {
	case SheetsActive:
		if name := x.doc.Book.Active(); name != "" {
			return []string{name}
		}
		return nil
	case sheetsList:
		var out []string
		for _, s := range list {
			if slices.Contains(x.cfg.SheetNames, s) {
				out = append(out, s)
			}
		}
		for _, want := range x.cfg.SheetNames {
			if !slices.Contains(list, want) {
				x.log(domain.LogWarn, "sheet not found", map[string]any{"sheet": want})
			}
		}
		return out
	}
	return list
}

// partial is what a failed extraction reports: the logs so far and the
// metrics that describe the input, without tables.
func (x *extraction) partial() ports.ExtractionResult {
	res := x.result("")
	delete(res.Metrics, "input_sha256")
	return ports.ExtractionResult{Metrics: res.Metrics, Logs: res.Logs}
}

func (x *extraction) result(inputSHA string) ports.ExtractionResult {
	tables := make([]ports.ExtractedTable, len(x.tables))
	for i, t := range x.tables {
		tables[i] = t.result
	}
	logs := x.logs
	if logs == nil {
		logs = []domain.LogEntry{}
	}
	metrics := map[string]any{
		"duration_ms":          0,
		"sheets_scanned":       x.sheets,
		"tables_detected":      len(x.tables),
		"rows_extracted":       x.rowsOut,
		"fields_mapped":        x.mapped,
		"columns_unmapped":     x.unmapped,
		"values_invalid":       x.invalid,
		"totals_checked":       x.totalsChecked,
		"totals_mismatched":    x.totalsMismatched,
		"input_sha256":         inputSHA,
		"configuration_digest": x.cfg.Digest,
		"input_format":         x.doc.Format,
	}
	if x.doc.Format == read.FormatCSV {
		metrics["input_encoding"] = x.doc.Encoding
		metrics["csv_delimiter"] = delimiterName(x.doc.Delimiter)
	}
	return ports.ExtractionResult{Tables: tables, Metrics: metrics, Logs: logs}
}

// asyncHash computes the SHA-256 of what is written to it in a goroutine
// of its own, so hashing the input overlaps with parsing it. Writes are
// copied into pooled chunks and hashed in order.
type asyncHash struct {
	chunks chan []byte
	free   chan []byte
	done   chan struct{}
	h      hash.Hash
	closed bool
}

const (
	hashChunk  = 256 << 10
	hashChunks = 8
)

func newAsyncHash() *asyncHash {
	a := &asyncHash{chunks: make(chan []byte, hashChunks), free: make(chan []byte, hashChunks),
		done: make(chan struct{}), h: sha256.New()}
	go func() {
		defer close(a.done)
		for c := range a.chunks {
			a.h.Write(c)
			select {
			case a.free <- c[:0]:
			default:
			}
		}
	}()
	return a
}

func (a *asyncHash) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		var c []byte
		select {
		case c = <-a.free:
		default:
			c = make([]byte, 0, hashChunk)
		}
		k := min(len(p), hashChunk)
		c = append(c, p[:k]...)
		a.chunks <- c
		p = p[k:]
	}
	return n, nil
}

// sum waits for everything written to be hashed and returns the digest.
func (a *asyncHash) sum() []byte {
	a.stop()
	return a.h.Sum(nil)
}

// stop ends the hashing goroutine; nothing may be written after it.
func (a *asyncHash) stop() {
	if !a.closed {
		a.closed = true
		close(a.chunks)
	}
	<-a.done
}

// ctxReader stops reading once the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, read.Cancelled(err)
	}
	return c.r.Read(p)
}

// baseName is the input's filename without its extension, made safe for
// output filenames.
func baseName(filename string) string { return output.SafeName(read.SheetName(filename)) }
