package read

import (
	"errors"
	"fmt"

	"github.com/ade-go/ade/ports"
)

// Limits bound what reading one document may cost, whatever its shape:
// each is checked while the document is read, and a document past one
// fails with CodeInputTooLarge naming it, before it can take the memory
// or the time it asks for. A zero field takes its default.
type Limits struct {
	// CellBytes bounds one cell's text ("bytes per cell").
	CellBytes int
	// RowBytes bounds one row: a CSV record as it is written, a worksheet
	// row's values ("bytes per row").
	RowBytes int
	// CellsPerRow bounds the cells of one row up to its last non-empty one
	// ("cells per row"); Excel's own maximum is 16,384 columns.
	CellsPerRow int
	// Cells bounds the cells read from the whole document ("cells").
	Cells int64
	// SharedStringsBytes bounds the text of a workbook's shared-strings
	// table ("bytes of shared strings").
	SharedStringsBytes int64
	// UnpackedBytes bounds what a workbook's parts inflate to, together
	// ("unpacked bytes").
	UnpackedBytes int64
	// XLSCells bounds the cells of a legacy XLS workbook ("cells of an XLS
	// workbook"), which its reader loads whole.
	XLSCells int64
}

// Default limits: generous for documents people write, and together they
// keep an extraction of any document within the upload cap under 256 MiB
// of memory.
const (
	DefaultCellBytes          = 1 << 20
	DefaultRowBytes           = 8 << 20
	DefaultCellsPerRow        = 16_384
	DefaultCells              = 50_000_000
	DefaultSharedStringsBytes = 256 << 20
	DefaultUnpackedBytes      = 2 << 30
	DefaultXLSCells           = 300_000
)

// Names of the limits, as failure messages and metrics give them.
const (
	LimitCellBytes          = "bytes per cell"
	LimitRowBytes           = "bytes per row"
	LimitCellsPerRow        = "cells per row"
	LimitCells              = "cells"
	LimitSharedStringsBytes = "bytes of shared strings"
	LimitUnpackedBytes      = "unpacked bytes"
	LimitXLSCells           = "cells of an XLS workbook"
)

// WithDefaults returns the limits with every zero (or negative) field set
// to its default.
func (l Limits) WithDefaults() Limits {
	if l.CellBytes <= 0 {
		l.CellBytes = DefaultCellBytes
	}
	if l.RowBytes <= 0 {
		l.RowBytes = DefaultRowBytes
	}
	if l.CellsPerRow <= 0 {
		l.CellsPerRow = DefaultCellsPerRow
	}
	if l.Cells <= 0 {
		l.Cells = DefaultCells
	}
	if l.SharedStringsBytes <= 0 {
		l.SharedStringsBytes = DefaultSharedStringsBytes
	}
	if l.UnpackedBytes <= 0 {
		l.UnpackedBytes = DefaultUnpackedBytes
	}
	if l.XLSCells <= 0 {
		l.XLSCells = DefaultXLSCells
	}
	return l
}

// LimitError says which limit a document went past. It is the Err of the
// *ports.ExtractionError TooLarge returns.
type LimitError struct {
	// Limit is the limit's name (a Limit... constant, or one a later
	// stage defines).
	Limit string
	// Value is the limit's value.
	Value int64
	// Where says where in the document, when known ("row 3").
	Where string
}

func (e *LimitError) Error() string {
	msg := fmt.Sprintf("over the limit of %d %s", e.Value, e.Limit)
	if e.Where != "" {
		msg += " at " + e.Where
	}
	return msg
}

// TooLarge is the failure of a document past a limit: code
// CodeInputTooLarge, a message naming the limit and its value (and hint,
// when not empty), and a *LimitError.
func TooLarge(limit string, value int64, where, hint string) *ports.ExtractionError {
	le := &LimitError{Limit: limit, Value: value, Where: where}
	msg := "the document is " + le.Error()
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return Fail(CodeInputTooLarge, msg, le)
}

// ExceededLimit returns the limit err reports going past, if any.
func ExceededLimit(err error) (*LimitError, bool) {
	var le *LimitError
	if errors.As(err, &le) {
		return le, true
	}
	return nil, false
}
