package xlsxstream

import (
	"errors"
	"fmt"
)

// Default limits. Each bounds the memory or the time a workbook can cost;
// they are generous for workbooks people write and refuse the shapes only
// hostile or broken files have.
const (
	// DefaultCellBytes bounds one cell's decoded value. Excel keeps at most
	// 32,767 UTF-16 units in a cell, at most 96 KiB of UTF-8.
	DefaultCellBytes = 128 << 10
	// DefaultRowBytes bounds the decoded values of one row together.
	DefaultRowBytes = 16 << 20
	// DefaultCellsPerRow is Excel's own maximum number of columns.
	DefaultCellsPerRow = MaxColumns
	// DefaultCells bounds the cells yielded by all the rows read from one
	// workbook.
	DefaultCells = 50_000_000
	// DefaultSharedStrings bounds the number of shared strings.
	DefaultSharedStrings = 16 << 20
	// DefaultSharedStringsBytes bounds the decoded size of all the shared
	// strings together.
	DefaultSharedStringsBytes = 256 << 20
	// DefaultPartBytes bounds the bytes one part (one XML file of the
	// package) inflates to.
	DefaultPartBytes = 1 << 30
	// DefaultTotalBytes bounds the bytes inflated from all the parts read
	// through one workbook.
	DefaultTotalBytes = 2 << 30
	// DefaultDepth bounds XML element nesting. Spreadsheet parts rarely go
	// past 12 levels.
	DefaultDepth = 128
	// DefaultTagBytes bounds one XML tag with its attributes.
	DefaultTagBytes = 1 << 20
	// DefaultParts bounds the entries of the zip archive.
	DefaultParts = 10_000
	// DefaultSheets bounds the sheets a workbook lists.
	DefaultSheets = 4_096
	// DefaultMergedRanges bounds the merged ranges of one sheet.
	DefaultMergedRanges = 1 << 18
	// DefaultSharedStringsMemory is the memory shared strings may take
	// before they are spilled to a temporary file.
	DefaultSharedStringsMemory = 16 << 20
)

// Excel's grid.
const (
	// MaxColumns is Excel's number of columns (A to XFD).
	MaxColumns = 16_384
	// MaxRows is Excel's number of rows.
	MaxRows = 1_048_576
)

// Limits bound what reading a workbook may cost. A zero field takes its
// default (the Default... constants).
type Limits struct {
	CellBytes          int   // decoded bytes of one cell value ("bytes per cell")
	RowBytes           int   // decoded bytes of one row's values ("bytes per row")
	CellsPerRow        int   // cells with a value in one row ("cells per row")
	Cells              int64 // cells yielded by all the rows of the workbook ("cells")
	SharedStrings      int   // number of shared strings ("shared strings")
	SharedStringsBytes int64 // decoded bytes of all shared strings ("bytes of shared strings")
	PartBytes          int64 // inflated bytes of one part ("unpacked bytes per part")
	TotalBytes         int64 // inflated bytes of all the parts read ("unpacked bytes")
	Depth              int   // XML element nesting ("levels of XML nesting")
	TagBytes           int   // bytes of one XML tag ("bytes per XML tag")
	Parts              int   // entries of the zip archive ("zip entries")
	Sheets             int   // sheets listed by the workbook ("sheets")
	MergedRanges       int   // merged ranges of one sheet ("merged ranges")
}

// Names of the limits, as LimitError.Limit reports them.
const (
	LimitCellBytes          = "bytes per cell"
	LimitRowBytes           = "bytes per row"
	LimitCellsPerRow        = "cells per row"
	LimitCells              = "cells"
	LimitSharedStrings      = "shared strings"
	LimitSharedStringsBytes = "bytes of shared strings"
	LimitPartBytes          = "unpacked bytes per part"
	LimitTotalBytes         = "unpacked bytes"
	LimitDepth              = "levels of XML nesting"
	LimitTagBytes           = "bytes per XML tag"
	LimitParts              = "zip entries"
	LimitSheets             = "sheets"
	LimitMergedRanges       = "merged ranges"
)

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.CellBytes, DefaultCellBytes)
	def(&l.RowBytes, DefaultRowBytes)
	def(&l.CellsPerRow, DefaultCellsPerRow)
	def64(&l.Cells, DefaultCells)
	def(&l.SharedStrings, DefaultSharedStrings)
	def64(&l.SharedStringsBytes, DefaultSharedStringsBytes)
	def64(&l.PartBytes, DefaultPartBytes)
	def64(&l.TotalBytes, DefaultTotalBytes)
	def(&l.Depth, DefaultDepth)
	def(&l.TagBytes, DefaultTagBytes)
	def(&l.Parts, DefaultParts)
	def(&l.Sheets, DefaultSheets)
	def(&l.MergedRanges, DefaultMergedRanges)
	return l
}

// Options configure a Workbook. The zero value is ready to use.
type Options struct {
	// Limits bound the work; zero fields take their defaults.
	Limits Limits
	// TempDir is where shared strings spill when they outgrow
	// SharedStringsMemory; empty means os.TempDir().
	TempDir string
	// SharedStringsMemory is the memory the shared strings may take before
	// they spill to a temporary file; zero means
	// DefaultSharedStringsMemory.
	SharedStringsMemory int64
}

// Sentinel errors; match them with errors.Is.
var (
	// ErrLimit is matched by every *LimitError.
	ErrLimit = errors.New("xlsx: limit exceeded")
	// ErrMalformed is matched by every *MalformedError: the package, a
	// part or its XML is damaged or not what a workbook contains.
	ErrMalformed = errors.New("xlsx: malformed workbook")
	// ErrNotWorkbook is returned for a zip archive that holds no workbook.
	ErrNotWorkbook = errors.New("xlsx: the zip archive is not a workbook")
)

// LimitError reports the limit a workbook exceeded.
type LimitError struct {
	Limit string // one of the Limit... names
	Value int64  // the limit's value
	Part  string // the part being read, when there is one
}

func (e *LimitError) Error() string {
	if e.Part != "" {
		return fmt.Sprintf("xlsx: %s: over the limit of %d %s", e.Part, e.Value, e.Limit)
	}
	return fmt.Sprintf("xlsx: over the limit of %d %s", e.Value, e.Limit)
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// MalformedError reports a damaged package or part.
type MalformedError struct {
	Part   string // the part, when the damage is in one
	Offset int64  // byte offset in the inflated part, -1 when not known
	Reason string
	Err    error // the underlying error, if any
}

func (e *MalformedError) Error() string {
	msg := "xlsx: malformed workbook"
	if e.Part != "" {
		msg += ": " + e.Part
		if e.Offset >= 0 {
			msg += fmt.Sprintf(" at byte %d", e.Offset)
		}
	}
	msg += ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// Unwrap returns the underlying error.
func (e *MalformedError) Unwrap() error { return e.Err }

func malformed(part, reason string, err error) error {
	return &MalformedError{Part: part, Offset: -1, Reason: reason, Err: err}
}
