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
	fields := x.schema.Fields
	rng := read.CellRef(t.Band.First, t.HeaderRows[0]) + ":" + read.CellRef(t.Band.Last, t.LastDataRow)
	title := s.title(t)
	columns := make([]any, 0, len(m.Columns))
	mapped := map[string]any{}
	var hidden, renamed []any
	unmapped := 0
	for _, c := range m.Columns {
		var field, by, out any
		if c.Field >= 0 {
			field, by = fields[c.Field].Name, c.By
			mapped[fields[c.Field].Name] = c.Header
			x.mapped++
		} else {
			unmapped++
		}
		if c.Output != "" {
			out = c.Output
		}
		isHidden := s.info.HiddenCol(c.Col)
		var typ any
		if c.Field >= 0 {
			typ = string(fields[c.Field].Type)
		}
		columns = append(columns, map[string]any{
			"column": read.ColumnLetter(c.Col), "header": c.Header, "source_header": c.Leaf,
			"group": c.Group, "field": field, "mapped_by": by, "hidden": isHidden, "output": out,
			"type": typ, "inferred": inferenceMeta(c.Inferred),
		})
		if isHidden {
			hidden = append(hidden, read.ColumnLetter(c.Col))
		}
		if c.Header != c.Leaf && (c.Group == "" || c.Leaf == "") {
			renamed = append(renamed, map[string]any{"column": read.ColumnLetter(c.Col), "header": c.Leaf, "renamed_to": c.Header})
		}
	}
	var missing []any
	for fi, f := range fields {
		if !m.FieldMapped(fi) {
			missing = append(missing, f.Name)
		}
	}
	headerRows := make([]any, len(t.HeaderRows))
	for i, h := range t.HeaderRows {
		headerRows[i] = h
	}
	issues := make([]any, len(m.Issues))
	for i, is := range m.Issues {
		issues[i] = map[string]any{"row": is.Row, "field": is.Field, "issue": is.Issue}
	}
	detection := map[string]any{"evidence": stringsToAny(t.Evidence), "ended_by": t.EndReason}
	if t.EndRow > 0 {
		detection["end_row"] = t.EndRow
	}
	meta := map[string]any{
		"index":          t.Index,
		"range":          rng,
		"header_row":     t.HeaderRows[0],
		"first_data_row": t.FirstDataRow,
		"last_data_row":  t.LastDataRow,
		"columns":        columns,
		"mapping":        mapped,
		"fields_missing": nonNil(missing),
		"values_invalid": m.InvalidValues,
		"rows_invalid":   m.InvalidRows,
		"invalid_values": issues,
		"output":         m.Output,
		"detection":      detection,
	}
	if len(t.HeaderRows) > 1 {
		meta["header_rows"] = headerRows
	}
	if t.HiddenRows > 0 {
		meta["hidden_rows"] = t.HiddenRows
	}
	if len(t.TotalRows) > 0 {
		totals := make([]any, len(t.TotalRows))
		for i, n := range t.TotalRows {
			totals[i] = n
		}
		meta["total_rows"] = totals
		meta["totals"] = totalsMeta(m.Totals)
	}
	samples := m.Samples
	if samples == nil {
		samples = []map[string]any{}
	}
	tr.result = ports.ExtractedTable{
		Title: title, Sheet: s.sheet, RowCount: t.Rows,
		Columns: append([]string{}, m.OutputNames...), SampleRows: samples, Metadata: meta,
	}
	log := func(level, msg string, details map[string]any) {
		tr.logs = append(tr.logs, domain.LogEntry{Level: level, Message: msg, Details: details})
	}
	log("info", "table found", map[string]any{
		"table": title, "sheet": s.sheet, "range": rng, "header_rows": headerRows, "rows": t.Rows,
		"evidence": stringsToAny(t.Evidence), "ended_by": t.EndReason,
	})
	if len(renamed) > 0 {
		log("info", "blank or duplicate headers renamed", map[string]any{"table": title, "columns": renamed})
	}
	if len(hidden) > 0 {
		log("info", "hidden columns read as data", map[string]any{"table": title, "columns": hidden})
	}
	for _, c := range m.Columns {
		if c.Field >= 0 {
			log("info", "field mapped", map[string]any{
				"table": title, "field": fields[c.Field].Name, "header": c.Header,
				"column": read.ColumnLetter(c.Col), "by": c.By,
			})
		}
	}
	for _, name := range missing {
		f := x.schema.Field(name.(string))
		level := "info"
		if f.Required {
			level = "warn"
		}
		log(level, "field not found", map[string]any{"table": title, "field": name, "required": f.Required})
	}
	if !x.cfg.KeepUnmapped && unmapped > 0 {
		log("info", "unmapped columns dropped", map[string]any{"table": title, "columns": unmapped})
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
			log("info", "total matches", d)
			continue
		}
		if c.Above != "" {
			d["computed_above"] = c.Above
		}
		log("warn", "total mismatch", d)
	}
	if m.InvalidRows > 0 {
		log("warn", "rows with invalid values", map[string]any{
			"table": title, "rows": m.InvalidRows, "values": m.InvalidValues, "first": issues,
		})
	}
	cost := (len(tr.logs)+len(issues)+len(m.Totals.Checks))*logCost + len(m.Columns)*inferenceCost
	if err := x.keep(cost, s.sheet); err != nil {
		return err
	}
	x.rowsOut += t.Rows
	x.unmapped += unmapped
	x.invalid += m.InvalidValues
	x.totalsChecked += m.Totals.Values
	x.totalsMismatched += m.Totals.Mismatched
	return nil
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
