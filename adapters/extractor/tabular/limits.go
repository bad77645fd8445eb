package tabular

import (
	"github.com/ade-go/ade/adapters/extractor/tabular/output"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

// Limits bound what one extraction may cost whatever the document's
// shape. Each is checked while the document is read or the outputs are
// written; past one the extraction fails with CodeInputTooLarge, a
// message naming the limit and its value, and the metrics
// limit_exceeded (the name) and limit_value. A zero field takes its
// default; docs/configuration.md lists them.
type Limits struct {
	// CellBytes bounds one cell's text ("bytes per cell").
	CellBytes int
	// RowBytes bounds one row ("bytes per row"): a CSV record as written,
	// or a worksheet row's values.
	RowBytes int
	// CellsPerRow bounds a row's cells up to its last value ("cells per
	// row").
	CellsPerRow int
	// Cells bounds the cells read from the document ("cells").
	Cells int64
	// SharedStringsBytes bounds a workbook's shared-strings table ("bytes
	// of shared strings").
	SharedStringsBytes int64
	// UnpackedBytes bounds what a workbook's parts inflate to ("unpacked
	// bytes").
	UnpackedBytes int64
	// XLSCells bounds the cells of a legacy XLS workbook, which is read
	// whole ("cells of an XLS workbook").
	XLSCells int64
	// Tables bounds the tables found in the document ("tables per
	// document").
	Tables int
	// OutputBytes bounds the bytes of the output files together ("output
	// bytes"; an XLSX output's worksheets counted before compression).
	OutputBytes int64
	// ResultBytes bounds the table records and logs the extraction
	// returns, as estimated while they are built: each column of each
	// table, its headers and its metadata, and each log line ("result
	// bytes"). Sample rows have a fixed budget of their own
	// (mapping.SampleBytes).
	ResultBytes int64
}

// Defaults of the limits the read stage does not own.
const (
	DefaultTables      = 1000
	DefaultOutputBytes = output.DefaultMaxBytes
	DefaultResultBytes = 32 << 20
)

// Names of those limits, as messages and metrics give them.
const (
	LimitTables      = "tables per document"
	LimitOutputBytes = output.LimitBytes
	LimitResultBytes = "result bytes"
)

// Estimated memory of a table record's column (its headers apart) and of
// a log line (its text apart), for Limits.ResultBytes: measured on tables
// of 16,384 columns, about 630 bytes a column stay live. A column's
// inferred type, added to its metadata when the table ends, is charged
// then as inferenceCost: measured the same way, 410 bytes a column when no
// type reads its values, 700 when five do.
const (
	columnCost    = 640
	logCost       = 256
	inferenceCost = 704
)

// WithDefaults returns the limits with every zero (or negative) field set
// to its default.
func (l Limits) WithDefaults() Limits {
	r := l.read().WithDefaults()
	l.CellBytes, l.RowBytes, l.CellsPerRow, l.Cells = r.CellBytes, r.RowBytes, r.CellsPerRow, r.Cells
	l.SharedStringsBytes, l.UnpackedBytes, l.XLSCells = r.SharedStringsBytes, r.UnpackedBytes, r.XLSCells
	if l.Tables <= 0 {
		l.Tables = DefaultTables
	}
	if l.OutputBytes <= 0 {
		l.OutputBytes = DefaultOutputBytes
	}
	if l.ResultBytes <= 0 {
		l.ResultBytes = DefaultResultBytes
	}
	return l
}

// DefaultLimits returns every limit at its default.
func DefaultLimits() Limits { return Limits{}.WithDefaults() }

func (l Limits) read() read.Limits {
	return read.Limits{CellBytes: l.CellBytes, RowBytes: l.RowBytes, CellsPerRow: l.CellsPerRow, Cells: l.Cells,
		SharedStringsBytes: l.SharedStringsBytes, UnpackedBytes: l.UnpackedBytes, XLSCells: l.XLSCells}
}
