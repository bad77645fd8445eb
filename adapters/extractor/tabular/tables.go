package tabular

import (
	"fmt"

	"github.com/ade-go/ade/adapters/extractor/tabular/detect"
	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// sheetSink composes the stages for one sheet: each table the detector
// confirms gets a mapping, whose rows go to an output opened once the
// mapping is decided; at its end the table's record and logs are built.
type sheetSink struct {
	x       *extraction
	sheet   string
	info    read.Sheet
	order   []*tableResult
	byTable map[*detect.Table]*tableResult
}

var _ detect.Sink = (*sheetSink)(nil)

// tableResult is one table on its way through the stages.
type tableResult struct {
	layout *detect.Table
	m      *mapping.Table
	result ports.ExtractedTable
	logs   []domain.LogEntry
}

func (s *sheetSink) title(t *detect.Table) string { return fmt.Sprintf("%s %d", s.sheet, t.Index) }

func (s *sheetSink) Begin(t *detect.Table) error {
	if s.x.found++; s.x.found > s.x.lim.Tables {
		return read.TooLarge(LimitTables, int64(s.x.lim.Tables), fmt.Sprintf("sheet %q", s.sheet), "")
	}
	cost := 0
	for _, c := range t.Columns {
		cost += columnCost + 2*(len(c.Leaf)+len(c.Group)+len(c.Header))
	}
	if err := s.x.keep(cost, s.sheet); err != nil {
		return err
	}
	tr := &tableResult{layout: t}
	tr.m = s.x.schema.NewTable(t, func(_ []string, types []*values.Parser) (mapping.Writer, string, error) {
		w, name, err := s.x.outs.Open(s.sheet, t.Index, s.title(t), types)
		if err != nil || w == nil {
			return nil, name, err
		}
		return w, name, nil
	})
	s.byTable[t] = tr
	s.order = append(s.order, tr)
	return nil
}

func (s *sheetSink) Row(t *detect.Table, r *read.Row) error { return s.byTable[t].m.Add(r) }

func (s *sheetSink) End(t *detect.Table) error {
	tr := s.byTable[t]
	if err := tr.m.Finish(); err != nil {
		return err
	}
	return s.finish(tr)
}

// finish records a finished table: its metadata, logs and counts.
func (s *sheetSink) finish(tr *tableResult) error {
	t, m, x := tr.layout, tr.m, s.x
	f := tableFacts{
		title:      s.title(t),
		rng:        read.CellRef(t.Band.First, t.HeaderRows[0]) + ":" + read.CellRef(t.Band.Last, t.LastDataRow),
		headerRows: intsToAny(t.HeaderRows),
		issues:     make([]any, len(m.Issues)),
	}
	for i, is := range m.Issues {
		f.issues[i] = map[string]any{"row": is.Row, "field": is.Field, "issue": is.Issue}
	}
	s.describeColumns(m, &f)
	for fi, field := range x.schema.Fields {
		if !m.FieldMapped(fi) {
			f.missing = append(f.missing, field.Name)
		}
	}
	samples := m.Samples
	if samples == nil {
		samples = []map[string]any{}
	}
	tr.result = ports.ExtractedTable{
		Title: f.title, Sheet: s.sheet, RowCount: t.Rows,
		Columns: append([]string{}, m.OutputNames...), SampleRows: samples, Metadata: tableMeta(t, m, &f),
	}
	tr.logs = s.tableLogs(tr.logs, t, m, &f)
	cost := (len(tr.logs)+len(f.issues)+len(m.Totals.Checks))*logCost + len(m.Columns)*inferenceCost
	if err := x.keep(cost, s.sheet); err != nil {
		return err
	}
	x.rowsOut += t.Rows
	x.unmapped += f.unmapped
	x.invalid += m.InvalidValues
	x.totalsChecked += m.Totals.Values
	x.totalsMismatched += m.Totals.Mismatched
	return nil
}

// tableFacts is what a finished table's metadata and logs both say.
type tableFacts struct {
	title      string
	rng        string
	headerRows []any
	issues     []any
	columns    []any          // one object per column
	mapped     map[string]any // field -> header
	hidden     []any          // letters of hidden columns
	renamed    []any          // headers renamed because blank or repeated
	unmapped   int
	missing    []any // names of fields no column maps
}

// describeColumns fills f's column facts and counts the mapped columns.
func (s *sheetSink) describeColumns(m *mapping.Table, f *tableFacts) {
	fields := s.x.schema.Fields
	f.columns = make([]any, 0, len(m.Columns))
	f.mapped = map[string]any{}
	for _, c := range m.Columns {
		var field, by, out, typ any
		if c.Field >= 0 {
			field, by = fields[c.Field].Name, c.By
			typ = string(fields[c.Field].Type)
			f.mapped[fields[c.Field].Name] = c.Header
			s.x.mapped++
		} else {
			f.unmapped++
		}
		if c.Output != "" {
			out = c.Output
		}
		isHidden := s.info.HiddenCol(c.Col)
		f.columns = append(f.columns, map[string]any{
			"column": read.ColumnLetter(c.Col), "header": c.Header, "source_header": c.Leaf,
			"group": c.Group, "field": field, "mapped_by": by, "hidden": isHidden, "output": out,
			"type": typ, "inferred": inferenceMeta(c.Inferred),
		})
		if isHidden {
			f.hidden = append(f.hidden, read.ColumnLetter(c.Col))
		}
		if c.Header != c.Leaf && (c.Group == "" || c.Leaf == "") {
			f.renamed = append(f.renamed, map[string]any{"column": read.ColumnLetter(c.Col), "header": c.Leaf, "renamed_to": c.Header})
		}
	}
}

// tableMeta is a finished table's metadata.
func tableMeta(t *detect.Table, m *mapping.Table, f *tableFacts) map[string]any {
	detection := map[string]any{"evidence": stringsToAny(t.Evidence), "ended_by": t.EndReason}
	if t.EndRow > 0 {
		detection["end_row"] = t.EndRow
	}
	meta := map[string]any{
		"index":          t.Index,
		"range":          f.rng,
		"header_row":     t.HeaderRows[0],
		"first_data_row": t.FirstDataRow,
		"last_data_row":  t.LastDataRow,
		"columns":        f.columns,
		"mapping":        f.mapped,
		"fields_missing": nonNil(f.missing),
		"values_invalid": m.InvalidValues,
		"rows_invalid":   m.InvalidRows,
		"invalid_values": f.issues,
		"output":         m.Output,
		"detection":      detection,
	}
	if len(t.HeaderRows) > 1 {
		meta["header_rows"] = f.headerRows
	}
	if t.HiddenRows > 0 {
		meta["hidden_rows"] = t.HiddenRows
	}
	if len(t.TotalRows) > 0 {
		meta["total_rows"] = intsToAny(t.TotalRows)
		meta["totals"] = totalsMeta(m.Totals)
	}
	return meta
}

// tableLogs appends a finished table's log entries to logs.
func (s *sheetSink) tableLogs(logs []domain.LogEntry, t *detect.Table, m *mapping.Table, f *tableFacts) []domain.LogEntry {
	x, title := s.x, f.title
	log := func(level domain.LogLevel, msg string, details map[string]any) {
		logs = append(logs, domain.LogEntry{Level: level, Message: msg, Details: details})
	}
	log(domain.LogInfo, "table found", map[string]any{
		"table": title, "sheet": s.sheet, "range": f.rng, "header_rows": f.headerRows, "rows": t.Rows,
		"evidence": stringsToAny(t.Evidence), "ended_by": t.EndReason,
	})
	if len(f.renamed) > 0 {
		log(domain.LogInfo, "blank or duplicate headers renamed", map[string]any{"table": title, "columns": f.renamed})
	}
	if len(f.hidden) > 0 {
		log(domain.LogInfo, "hidden columns read as data", map[string]any{"table": title, "columns": f.hidden})
	}
	for _, c := range m.Columns {
		if c.Field >= 0 {
			log(domain.LogInfo, "field mapped", map[string]any{
				"table": title, "field": x.schema.Fields[c.Field].Name, "header": c.Header,
				"column": read.ColumnLetter(c.Col), "by": c.By,
			})
		}
	}
	for _, name := range f.missing {
		field := x.schema.Field(name.(string))
		level := domain.LogInfo
		if field.Required {
			level = domain.LogWarn
		}
		log(level, "field not found", map[string]any{"table": title, "field": name, "required": field.Required})
	}
	if !x.cfg.KeepUnmapped && f.unmapped > 0 {
		log(domain.LogInfo, "unmapped columns dropped", map[string]any{"table": title, "columns": f.unmapped})
	}
	for _, c := range m.Totals.Checks {
		d := map[string]any{
			"table": title, "row": c.Row, "column": read.ColumnLetter(c.Col), "field": c.Field,
			"stated": c.Stated, "computed": c.Computed, "scope": c.Scope, "values_added": c.Added,
		}
		if c.Skipped > 0 {
			d["values_not_added"] = c.Skipped
		}
		if c.Match {
			log(domain.LogInfo, "total matches", d)
			continue
		}
		if c.Above != "" {
			d["computed_above"] = c.Above
		}
		log(domain.LogWarn, "total mismatch", d)
	}
	if m.InvalidRows > 0 {
		log(domain.LogWarn, "rows with invalid values", map[string]any{
			"table": title, "rows": m.InvalidRows, "values": m.InvalidValues, "first": f.issues,
		})
	}
	return logs
}

// intsToAny is ns as JSON values.
func intsToAny(ns []int) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

// inferenceMeta is a column's inferred type as metadata.
func inferenceMeta(inf values.Inference) map[string]any {
	parsed := make(map[string]any, len(inf.Parsed))
	for t, n := range inf.Parsed {
		parsed[string(t)] = n
	}
	m := map[string]any{"type": string(inf.Type), "non_empty": inf.NonEmpty, "parsed": parsed, "decimal": inf.Decimal}
	if inf.Checkbox {
		m["checkbox"] = true
	}
	return m
}

// totalsMeta is the audit of a table's total rows as metadata.
func totalsMeta(t mapping.Totals) map[string]any {
	checks := make([]any, len(t.Checks))
	for i, c := range t.Checks {
		d := map[string]any{
			"row": c.Row, "column": read.ColumnLetter(c.Col), "field": c.Field, "stated": c.Stated,
			"computed": c.Computed, "scope": c.Scope, "match": c.Match, "values_added": c.Added,
			"values_not_added": c.Skipped,
		}
		if c.Above != "" {
			d["computed_above"] = c.Above
		}
		checks[i] = d
	}
	return map[string]any{
		"checked": t.Checked, "rows_checked": t.Rows, "values_checked": t.Values,
		"mismatched": t.Mismatched, "checks": checks,
	}
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func nonNil(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}
