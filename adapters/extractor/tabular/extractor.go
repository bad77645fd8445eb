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
	"os"
	"path"
	"slices"
	"strings"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Name is the extractor's name in payload.extractor.
const Name = "tabular"

// Stable failure codes of *ports.ExtractionError.
const (
	// CodeEmptyInput: the document has no content.
	CodeEmptyInput = "empty_input"
	// CodeUnsupportedFormat: neither CSV text nor an XLSX workbook (this
	// includes password-protected workbooks and legacy XLS files).
	CodeUnsupportedFormat = "unsupported_format"
	// CodeCorruptInput: an XLSX or CSV document that cannot be parsed.
	CodeCorruptInput = "corrupt_input"
	// CodeInvalidConfiguration: the payload fails ValidatePayload.
	CodeInvalidConfiguration = "invalid_configuration"
	// CodeCancelled: the context was done before the extraction finished.
	CodeCancelled = "cancelled"
	// CodeInputTooLarge: the workbook unpacks to more than ADE reads (a
	// zip bomb, or a workbook far beyond operational sizes).
	CodeInputTooLarge = "input_too_large"
)

// Extractor is the tabular extractor. The zero value is ready to use.
type Extractor struct {
	// TempDir is where XLSX inputs are spooled; "" means os.TempDir().
	TempDir string
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

func extractionError(code, msg string, err error) *ports.ExtractionError {
	return &ports.ExtractionError{Code: code, Message: msg, Err: err}
}

func cancelled(err error) error {
	return extractionError(CodeCancelled, "the extraction was cancelled", err)
}

// extraction is the state of one Extract call.
type extraction struct {
	ctx    context.Context
	cfg    *Config
	base   string
	format string
	outs   *outputs
	tables []*table
	// validate holds each field's validate.pattern matcher, or nil.
	validate []*matcher
	logs     []domain.LogEntry

	sheets, rowsOut, mapped, unmapped, invalid int
}

func (x *extraction) account(t *table, unmapped int) {
	x.rowsOut += t.rows
	x.unmapped += unmapped
	x.invalid += t.invalidValues
	for _, c := range t.cols {
		if c.field >= 0 {
			x.mapped++
		}
	}
}

// Extract reads the document, detects its tables and writes one normalized
// output per table (CSV) or one workbook (XLSX) through req.Outputs, which
// may be nil to skip outputs.
func (e *Extractor) Extract(ctx context.Context, req ports.ExtractionRequest) (res ports.ExtractionResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = ports.ExtractionResult{}, extractionError(CodeCorruptInput,
				"the document could not be read", fmt.Errorf("panic: %v", p))
		}
	}()
	cfg, err := ParseConfig(req.Payload)
	if err != nil {
		return res, extractionError(CodeInvalidConfiguration, err.Error(), err)
	}
	if err := ctx.Err(); err != nil {
		return res, cancelled(err)
	}
	if req.Document.Open == nil {
		return res, errors.New("extract: the document has no content to open")
	}
	rc, err := req.Document.Open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return res, cancelled(ctx.Err())
		}
		return res, fmt.Errorf("extract: open document: %w", err)
	}
	defer rc.Close()

	hasher := newAsyncHash()
	defer hasher.stop()
	br := bufio.NewReaderSize(io.TeeReader(&ctxReader{ctx: ctx, r: rc}, hasher), 256<<10)
	head, err := br.Peek(8 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return res, readError(ctx, err)
	}
	format, err := sniff(head)
	if err != nil {
		return res, err
	}
	x := &extraction{ctx: ctx, cfg: cfg, base: baseName(req.Document.Filename), format: format}
	x.validate = make([]*matcher, len(cfg.Fields))
	for i, f := range cfg.Fields {
		if f.Validate != nil {
			x.validate[i] = newMatcher(f.Validate)
		}
	}
	x.outs = newOutputs(ctx, req.Outputs, cfg.OutputFormat, x.base, e.TempDir)
	defer x.outs.cleanup()

	switch format {
	case formatCSV:
		err = x.runCSV(br)
	default:
		err = x.runXLSX(br, e.TempDir)
	}
	if err != nil {
		return res, readError(ctx, err)
	}
	// Hash whatever the parser did not need to read.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return res, readError(ctx, err)
	}
	if err := x.outs.commit(); err != nil {
		return res, readError(ctx, err)
	}
	return x.result(hex.EncodeToString(hasher.sum())), nil
}

func readError(ctx context.Context, err error) error {
	var ee *ports.ExtractionError
	if errors.As(err, &ee) {
		return ee
	}
	if ctx.Err() != nil {
		return cancelled(ctx.Err())
	}
	return fmt.Errorf("extract: %w", err)
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
		return 0, cancelled(err)
	}
	return c.r.Read(p)
}

// baseName is the input's filename without its extension, made safe for
// output filenames.
func baseName(filename string) string {
	name := path.Base(strings.ReplaceAll(filename, "\\", "/"))
	if ext := path.Ext(name); ext != "" && ext != name {
		name = strings.TrimSuffix(name, ext)
	}
	if name == "." || name == "/" || strings.TrimSpace(name) == "" {
		return "document"
	}
	return safeName(name)
}

func (x *extraction) runCSV(r io.Reader) error {
	x.sheets = 1
	src := newCSVReader(r)
	defer src.close()
	return x.scanSheet(x.base, sheetInfo{}, src)
}

func (x *extraction) runXLSX(r io.Reader, tempDir string) error {
	tmp, err := os.CreateTemp(tempDir, "ade-tabular-*.xlsx")
	if err != nil {
		return fmt.Errorf("spool workbook: %w", err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	size, err := io.Copy(tmp, r)
	if err != nil {
		_ = tmp.Close()
		return err
	}
	wb, err := openWorkbook(name, tmp, size)
	if err != nil {
		_ = tmp.Close()
		return err
	}
	defer wb.close()
	for _, sheet := range x.selectSheets(wb) {
		if err := x.ctx.Err(); err != nil {
			return cancelled(err)
		}
		rows, err := wb.rows(sheet)
		if err != nil {
			return err
		}
		x.sheets++
		err = x.scanSheet(sheet, wb.info(sheet), rows)
		rows.close()
		if err != nil {
			return err
		}
	}
	return nil
}

// selectSheets applies the "sheets" setting, in workbook order.
func (x *extraction) selectSheets(wb *workbook) []string {
	list := wb.f.GetSheetList()
	switch x.cfg.SheetMode {
	case SheetsActive:
		name := wb.f.GetSheetName(wb.f.GetActiveSheetIndex())
		if name == "" && len(list) > 0 {
			name = list[0]
		}
		if name == "" {
			return nil
		}
		return []string{name}
	case sheetsList:
		var out []string
		for _, s := range list {
			if slices.Contains(x.cfg.SheetNames, s) {
				out = append(out, s)
			}
		}
		for _, want := range x.cfg.SheetNames {
			if !slices.Contains(list, want) {
				x.logs = append(x.logs, domain.LogEntry{Level: "warn", Message: "sheet not found",
					Details: map[string]any{"sheet": want}})
			}
		}
		return out
	}
	return list
}

func (x *extraction) scanSheet(sheet string, info sheetInfo, src rowReader) error {
	s := &sheetScan{ctx: x.ctx, x: x, sheet: sheet, info: info, src: src}
	if c, ok := src.(*csvReader); ok {
		c.oldest = s.oldestRow
	}
	if err := s.run(); err != nil {
		return err
	}
	for _, t := range s.tables {
		x.tables = append(x.tables, t)
		x.logs = append(x.logs, t.logs...)
	}
	if len(s.tables) == 0 {
		x.logs = append(x.logs, domain.LogEntry{Level: "info", Message: "no table found",
			Details: map[string]any{"sheet": sheet}})
	}
	return nil
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
	return ports.ExtractionResult{
		Tables: tables,
		Metrics: map[string]any{
			"duration_ms":          0,
			"sheets_scanned":       x.sheets,
			"tables_detected":      len(x.tables),
			"rows_extracted":       x.rowsOut,
			"fields_mapped":        x.mapped,
			"columns_unmapped":     x.unmapped,
			"values_invalid":       x.invalid,
			"input_sha256":         inputSHA,
			"configuration_digest": x.cfg.Digest,
		},
		Logs: logs,
	}
}
