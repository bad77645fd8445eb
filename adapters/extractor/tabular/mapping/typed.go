package mapping

import (
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
)

// Bounds on type inference: a table's columns are inferred from its first
// InferRows data rows that are not total rows, and from fewer on a wide
// table, so that at most InferCells cells are read (but never fewer than
// SampleRows rows). A sample, not every row: each value is tried against
// every type (a few hundred nanoseconds, microseconds for a phone number),
// which over every row would cost more than the rest of the extraction.
// Inference holds no rows: each value is counted as it streams past.
const (
	InferRows  = 200
	InferCells = 20_000
)

// isNumeric reports whether a type reads decimal numbers, whose number
// cells are read from their stored value.
func isNumeric(t values.Type) bool {
	switch t {
	case values.TypeNumber, values.TypeInteger, values.TypeMoney, values.TypePercent:
		return true
	}
	return false
}

// typed reads v (the value after the field's transforms) as the column's
// type and appends its canonical form to the row's arena; false when it
// does not parse (the value is then kept as written). A number cell of a
// numeric column without transforms is read from its stored number
// (values.Parser.CanonicalStored), and a date cell of a date column from
// its serial day, so no digit a number format hides is lost.
func (t *Table) typed(p *outPlan, row *pendingRow, v string) bool {
	if row.kinds != nil && len(p.steps) == 0 {
		switch k := row.kinds[p.col]; {
		case k == read.Number && p.stored:
			out, ok := p.parser.CanonicalStored(v, row.raw[p.col])
			if ok {
				t.appendCanonical(p, out)
			}
			return ok
		case k == read.Date && p.field.Type == values.TypeDate:
			if out, ok := p.parser.Canonical(row.raw[p.col]); ok {
				t.appendCanonical(p, out)
				return true
			}
		}
	}
	start := len(t.arena)
	if p.summed {
		// The value is kept for the column's sum: parsed once.
		val, err := p.parser.Parse(v)
		if err != nil {
			return false
		}
		t.arena = val.AppendText(t.arena)
		p.start, p.end, p.val, p.hasVal = start, len(t.arena), val, true
		return true
	}
	arena, ok := p.parser.AppendCanonical(t.arena, v)
	if !ok {
		return false
	}
	t.arena = arena
	p.start, p.end = start, len(arena)
	return true
}

// appendCanonical puts a column's canonical value in the row's arena.
func (t *Table) appendCanonical(p *outPlan, out string) {
	p.start = len(t.arena)
	t.arena = append(t.arena, out...)
	p.end = len(t.arena)
}

// inference counts each column's values against every type.
type inference struct {
	cols  []*values.Inferrer // by column
	rows  int
	limit int
}

// startInference starts the columns' inference once the mapping is
// decided: a typed field's column with the field's options (its currency
// lets plain amounts count as money), every column with the extractor's
// date parser; the held rows settle each column's decimal separator.
func (t *Table) startInference() {
	t.infer.limit = max(SampleRows, min(InferRows, InferCells/max(1, len(t.Columns))))
	t.infer.cols = make([]*values.Inferrer, len(t.Columns))
	for ci, c := range t.Columns {
		o := values.Options{Date: inferDate}
		if c.Field >= 0 {
			if p := t.schema.Fields[c.Field].Parser; p != nil {
				o = p.Options()
				o.Date = inferDate
			}
		}
		t.infer.cols[ci] = values.NewInferrer(t.sample(ci), o)
	}
}

// inferDate is the date parser of inference: the extractor's, except that
// a plain number is not counted as a date. The date parser reads one as
// a spreadsheet serial day (a workbook's date shown as General), which a
// date field wants; but then every column of amounts or counts would
// read as dates too.
func inferDate(s string) (string, bool) {
	digits, points := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			points++
		case c == ' ' || c == '\t':
		default:
			return read.ParseDate(s)
		}
	}
	if digits > 0 && points <= 1 {
		return "", false
	}
	return read.ParseDate(s)
}

// add counts a row's values, up to the limit; total rows are left out.
func (x *inference) add(row *pendingRow) {
	if row.total || x.rows >= x.limit {
		return
	}
	x.rows++
	for ci, inf := range x.cols {
		inf.Add(row.vals[ci])
	}
}

// finish records each column's inference.
func (t *Table) finishInference() {
	for ci, inf := range t.infer.cols {
		t.Columns[ci].Inferred = inf.Result()
	}
	t.infer.cols = nil
}
