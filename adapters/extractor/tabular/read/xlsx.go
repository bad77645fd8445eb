package read

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

// xlsxBook is an XLSX or XLSM workbook read through xlsxstream, which
// streams a sheet's cells with their kinds and raw values in bounded
// memory (shared strings past a budget spill to a temporary file) and
// checks the limits as it reads. How each kind is shown is cellText's.
type xlsxBook struct {
	wb     *xlsxstream.Workbook
	file   *os.File
	sheets []xlsxstream.Sheet
	hidden map[string][]bool // by sheet, once its rows are opened
	// percent caches, by cell format, whether a number shows as a
	// percentage (0: not known yet, 1: no, 2: yes).
	percent []uint8
}

// xlsxLimits are the read limits as the XLSX reader takes them; its
// other limits (nesting, tag size, zip entries, sheets) keep their
// defaults.
func xlsxLimits(l Limits) xlsxstream.Limits {
	return xlsxstream.Limits{
		CellBytes: l.CellBytes, RowBytes: l.RowBytes, CellsPerRow: l.CellsPerRow, Cells: l.Cells,
		SharedStringsBytes: l.SharedStringsBytes, TotalBytes: l.UnpackedBytes,
		PartBytes: min(l.UnpackedBytes, xlsxstream.DefaultPartBytes),
	}
}

// openXLSX opens the spooled zip as a workbook.
func openXLSX(ctx context.Context, file *os.File, size int64, opts Options) (doc *Document, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, Fail(CodeCorruptInput, "the XLSX workbook is damaged", fmt.Errorf("%v", p))
		}
	}()
	lim := opts.Limits.WithDefaults()
	wb, err := xlsxstream.Open(ctx, file, size, xlsxstream.Options{TempDir: opts.TempDir, Limits: xlsxLimits(lim)})
	if err != nil {
		return nil, xlsxError(ctx, err)
	}
	format := FormatXLSX
	if macroEnabled(file, size) {
		format = FormatXLSM
	}
	return &Document{Format: format, Book: &xlsxBook{wb: wb, file: file, sheets: wb.Sheets(), hidden: map[string][]bool{}}}, nil
}

// xlsxError turns the reader's errors into extraction failures: a limit
// into input_too_large naming it, damage into corrupt_input.
func xlsxError(ctx context.Context, err error) error {
	var le *xlsxstream.LimitError
	var me *xlsxstream.MalformedError
	switch {
	case errors.As(err, &le):
		where := ""
		if le.Part != "" {
			where = "part " + le.Part
		}
		return TooLarge(le.Limit, le.Value, where, "")
	case errors.Is(err, xlsxstream.ErrNotWorkbook):
		return Fail(CodeUnsupportedFormat, "the zip archive is not an XLSX workbook (no workbook part)", err)
	case ctx.Err() != nil:
		return Cancelled(ctx.Err())
	case errors.As(err, &me):
		return Fail(CodeCorruptInput, "the XLSX workbook is damaged: "+strings.TrimPrefix(me.Error(), "xlsx: malformed workbook: "), err)
	}
	return Fail(CodeCorruptInput, "the XLSX workbook cannot be read", err)
}

// macroEnabled reports whether the workbook part's content type is
// macro-enabled (an XLSM); the reader has already bounded the archive.
func macroEnabled(file *os.File, size int64) bool {
	zr, err := zip.NewReader(file, size)
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		if strings.ToLower(strings.TrimPrefix(f.Name, "/")) != "[content_types].xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return false
		}
		defer rc.Close()
		var types struct {
			Overrides []struct {
				Part string `xml:"PartName,attr"`
				Type string `xml:"ContentType,attr"`
			} `xml:"Override"`
		}
		if xml.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&types) != nil {
			return false
		}
		for _, o := range types.Overrides {
			if strings.EqualFold(strings.TrimPrefix(o.Part, "/"), "xl/workbook.xml") &&
				strings.Contains(strings.ToLower(o.Type), "macroenabled") {
				return true
			}
		}
	}
	return false
}

func (w *xlsxBook) Close() error {
	_ = w.wb.Close()
	_ = w.file.Close()
	return os.Remove(w.file.Name())
}

func (w *xlsxBook) Sheets() []string {
	out := make([]string, len(w.sheets))
	for i, s := range w.sheets {
		out[i] = s.Name
	}
	return out
}

func (w *xlsxBook) Active() string {
	for _, s := range w.sheets {
		if s.Active {
			return s.Name
		}
	}
	if len(w.sheets) > 0 {
		return w.sheets[0].Name
	}
	return ""
}

// Sheet says which columns are hidden; it is known once Rows has opened
// the sheet.
func (w *xlsxBook) Sheet(name string) Sheet { return Sheet{Name: name, HiddenCols: w.hidden[name]} }

func (w *xlsxBook) Rows(ctx context.Context, name string) (Rows, error) {
	for _, s := range w.sheets {
		if s.Name != name {
			continue
		}
		if s.Type != "worksheet" || s.Part == "" {
			return nil, fmt.Errorf("sheet %q is a %s, which holds no cells", name, strings.TrimSuffix(strings.TrimPrefix(s.Type, "xl"), "sheet")+" sheet")
		}
		rows, err := w.wb.Rows(ctx, s.Index)
		if err != nil {
			return nil, xlsxError(ctx, err)
		}
		var hidden []bool
		for _, c := range rows.HiddenColumns() {
			if c < MaxColumns {
				for len(hidden) <= c {
					hidden = append(hidden, false)
				}
				hidden[c] = true
			}
		}
		w.hidden[name] = hidden
		return pipe(&xlsxRows{book: w, ctx: ctx, rows: rows, date1904: w.wb.Date1904()}), nil
	}
	return nil, fmt.Errorf("sheet %q cannot be read", name)
}

// MaxColumns is Excel's number of columns.
const MaxColumns = xlsxstream.MaxColumns

// xlsxRows turns the reader's rows (the cells with a value, each with its
// column) into rows of cells from column A.
type xlsxRows struct {
	book     *xlsxBook
	ctx      context.Context
	rows     *xlsxstream.Rows
	date1904 bool
	// slabs the rows' cells are carved from: rows handed over keep them.
	texts []string
	kinds []Kind
	heads []Row
}

const slabCells = 4096

func (x *xlsxRows) Next() (r *Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, Fail(CodeCorruptInput, "the worksheet is damaged", fmt.Errorf("%v", p))
		}
	}()
	if !x.rows.Next() {
		if err := x.rows.Err(); err != nil {
			return nil, xlsxError(x.ctx, err)
		}
		return nil, io.EOF
	}
	src := x.rows.Row()
	if len(x.heads) == 0 {
		x.heads = make([]Row, 256)
	}
	r = &x.heads[0]
	x.heads = x.heads[1:]
	*r = Row{Num: src.Num, Hidden: src.Hidden}
	if len(src.Cells) == 0 {
		return r, nil
	}
	n := src.Cells[len(src.Cells)-1].Col + 1
	r.Cells = x.strings(n)
	r.Kinds = x.kindSlab(n)
	var raw []string
	for _, c := range src.Cells {
		text, kind := x.cellText(c)
		r.Cells[c.Col], r.Kinds[c.Col] = text, kind
		if text != c.Value {
			if raw == nil {
				raw = x.strings(n)
				copy(raw, r.Cells)
			}
		}
		if raw != nil {
			raw[c.Col] = c.Value
		}
	}
	r.Raw = raw
	r.Mask()
	return r, nil
}

// strings carves n empty strings from the slab.
func (x *xlsxRows) strings(n int) []string {
	if n > slabCells {
		return make([]string, n)
	}
	if len(x.texts) < n {
		x.texts = make([]string, slabCells)
	}
	s := x.texts[:n:n]
	x.texts = x.texts[n:]
	return s
}

// kindSlab carves n Empty kinds from the slab.
func (x *xlsxRows) kindSlab(n int) []Kind {
	if n > slabCells {
		return make([]Kind, n)
	}
	if len(x.kinds) < n {
		x.kinds = make([]Kind, slabCells)
	}
	s := x.kinds[:n:n]
	x.kinds = x.kinds[n:]
	return s
}

func (x *xlsxRows) Close() error { return x.rows.Close() }

// cellText is what the extractor shows of a cell, and its kind. Text is
// as stored; a number as a spreadsheet's General format shows it (15
// significant digits, no exponent; a percentage format multiplies by 100
// and adds "%"); a date as ISO 8601 (2024-01-31, 2024-01-31 13:45:00 or
// 13:45:00); a boolean as TRUE or FALSE; an error as its text (#N/A).
// Other number formats (currency, separators, fixed decimals) are not
// applied: the raw value keeps every digit.
func (x *xlsxRows) cellText(c xlsxstream.Cell) (string, Kind) {
	switch c.Kind {
	case xlsxstream.KindNumber:
		if x.book.isPercent(c.Style) {
			if f, err := strconv.ParseFloat(c.Value, 64); err == nil {
				return formatNumber(f*100) + "%", Number
			}
		}
		return generalNumber(c.Value), Number
	case xlsxstream.KindDate:
		iso, err := xlsxstream.DateISO(c.Value, x.date1904)
		if err != nil {
			return generalNumber(c.Value), Number
		}
		return strings.Replace(iso, "T", " ", 1), Date
	case xlsxstream.KindBool:
		if c.Value == "1" || strings.EqualFold(c.Value, "true") {
			return "TRUE", Bool
		}
		return "FALSE", Bool
	case xlsxstream.KindError:
		return c.Value, Error
	}
	if IsBlank(c.Value) {
		return c.Value, Empty
	}
	return c.Value, Text
}

// isPercent reports whether a cell format shows numbers as percentages:
// built-in formats 9 and 10, or a custom one with % outside quotes.
func (w *xlsxBook) isPercent(style int) bool {
	if style < 0 || style >= 1<<16 {
		return false
	}
	if style >= len(w.percent) {
		w.percent = append(w.percent, make([]uint8, style+1-len(w.percent))...)
	}
	if w.percent[style] == 0 {
		w.percent[style] = 1
		if id, code, ok := w.wb.NumberFormat(style); ok && (id == 9 || id == 10 || percentCode(code)) {
			w.percent[style] = 2
		}
	}
	return w.percent[style] == 2
}

// percentCode reports whether a custom number format has a % outside
// quoted text and escapes.
func percentCode(code string) bool {
	quoted := false
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\\':
			i++
		case c == '%':
			return true
		}
	}
	return false
}

// generalNumber shows a stored number as the General format does: a
// value already in its shortest plain form (up to 15 digits, no exponent)
// as it is, anything else through formatNumber.
func generalNumber(v string) string {
	digits, dot, i := 0, -1, 0
	if strings.HasPrefix(v, "-") {
		i = 1
	}
	if i == len(v) {
		return v
	}
	for j := i; j < len(v); j++ {
		switch c := v[j]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && dot < 0:
			dot = j
		default:
			return formatGeneral(v)
		}
	}
	plain := digits <= 15 &&
		!(v[i] == '0' && len(v) > i+1 && v[i+1] != '.') && // no leading zeros
		(dot < 0 || dot > i && dot < len(v)-1 && v[len(v)-1] != '0') // no bare or trailing-zero fraction
	if plain && v != "-0" {
		return v
	}
	return formatGeneral(v)
}

func formatGeneral(v string) string {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	return formatNumber(f)
}
