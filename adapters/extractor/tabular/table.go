package tabular

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

const (
	// maxIssues bounds the invalid-value details a table keeps.
	maxIssues = 50
)

// column is one source column of a table.
type column struct {
	src    int    // 0-based source column
	leaf   string // header cell right above the data
	group  string // group header (stacked headers), forward-filled
	header string // display header, unique within the table
	field  int    // index in Config.Fields, or -1
	by     string // "synonym" or "pattern"
	hidden bool
}

// outPlan is how one output column is made from its source column,
// resolved once per table.
type outPlan struct {
	col      int    // index in table.cols
	field    *Field // nil: written as read
	name     string
	steps    []transformFunc
	validate *matcher
}

// pendingRow is a data row kept until the mapping is decided.
type pendingRow struct {
	num  int
	vals []string
}

// table is one detected table, built while its rows stream past.
type table struct {
	x          *extraction
	sheet      string
	index      int // 1-based within the sheet
	band       band
	headerRows []int
	cols       []column
	headerNorm []string
	headerSet  map[string]bool
	normBuf    []byte
	rowBuf     []string
	refFill    int

	lastSeen, lastData int
	confirmed          int // last row of the header's confirmation
	gap                int
	pending            []*row

	profile  [][classCount]int32
	profiled int

	rows       int
	hiddenRows int
	buffer     []pendingRow
	mapped     bool
	outCols    []int
	outNames   []string
	outBuf     []string
	plan       []outPlan
	writer     tableWriter
	output     string
	samples    []map[string]any

	invalidValues, invalidRows int
	issues                     []any
	missing                    []string
	logs                       []domain.LogEntry
	result                     ports.ExtractedTable
}

func (x *extraction) newTable(s *sheetScan, c candidate) *table {
	t := &table{
		x: x, sheet: s.sheet, index: len(s.tables) + 1, band: c.band,
		profile: make([][classCount]int32, c.band.width()),
	}
	for _, h := range c.headers {
		t.headerRows = append(t.headerRows, h.num)
	}
	t.lastSeen = c.headers[len(c.headers)-1].num
	t.confirmed = c.data[1].num
	t.refFill = max(rowFill(c.data[0], c.band), rowFill(c.data[1], c.band))
	leafRow := c.headers[len(c.headers)-1]
	var groupRow *row
	if len(c.headers) > 1 {
		groupRow = c.headers[0]
	}
	group := ""
	seen := map[string]int{}
	for col := c.band.a; col <= c.band.b; col++ {
		cl := column{src: col, field: -1, hidden: s.info.hidden(col)}
		cl.leaf = cellText(leafRow.cells, col)
		if groupRow != nil {
			if g := cellText(groupRow.cells, col); g != "" {
				group = g
			}
			cl.group = group
		}
		h := cl.leaf
		switch {
		case h == "" && cl.group != "":
			h = cl.group
		case h == "":
			h = "column_" + columnLetter(col)
		case cl.group != "" && !strings.Contains(strings.ToLower(h), strings.ToLower(cl.group)):
			h = cl.group + " " + h
		}
		cl.header = uniqueName(h, seen)
		t.cols = append(t.cols, cl)
		t.headerNorm = append(t.headerNorm, normalizeHeader(cl.leaf))
	}
	t.headerSet = map[string]bool{}
	for _, h := range t.headerNorm {
		if h != "" {
			t.headerSet[h] = true
		}
	}
	return t
}

// cellText is a cell's value with white space trimmed and collapsed.
func cellText(cells []string, col int) string {
	if col >= len(cells) {
		return ""
	}
	return strings.TrimSpace(collapseSpaces(cells[col]))
}

// uniqueName returns name, or name_2, name_3... when a name equal to it
// ignoring case is already taken, and records the result.
func uniqueName(name string, seen map[string]int) string {
	key := strings.ToLower(name)
	if _, taken := seen[key]; !taken {
		seen[key] = 1
		return name
	}
	for n := seen[key] + 1; ; n++ {
		cand := fmt.Sprintf("%s_%d", name, n)
		if _, taken := seen[strings.ToLower(cand)]; !taken {
			seen[key] = n
			seen[strings.ToLower(cand)] = 1
			return cand
		}
	}
}

// fill counts the table's non-blank cells in a row and reports whether the
// row spills into the columns right outside the band.
func (t *table) fill(r *row) (int, bool) {
	cells := r.cells
	n := rowFill(r, t.band)
	spill := false
	for _, c := range []int{t.band.a - 1, t.band.b + 1} {
		if c >= 0 && c < len(cells) && !isBlank(cells[c]) {
			spill = true
		}
	}
	return n, spill
}

// dominant is the value shape most of a column's profiled data shares
// (numbers, dates, e-mails or codes), or classEmpty.
func (t *table) dominant(i int) cellClass {
	var total, best int32
	bestClass := classEmpty
	for cl := classWord; cl < classCount; cl++ {
		n := t.profile[i][cl]
		total += n
		if n > best {
			best, bestClass = n, cl
		}
	}
	if total < 2 || best*5 < total*4 || bestClass == classWord {
		return classEmpty
	}
	return bestClass
}

// headerSignal reports whether a full row inside the table reads like a
// new header: label-like cells that repeat the table's header, name
// configured fields, or break the shapes of the columns' data. It runs on
// every full row, so the common "no" answer allocates nothing.
func (t *table) headerSignal(r *row, cfg *Config) bool {
	// Cheap first look: a cell without letters, or with an '@', is no
	// label; more than a fifth of those and the row is data.
	fill, nonLabels := 0, 0
	if m, ok := bandBits(t.band); ok && r.masked {
		fill = bits.OnesCount64(r.nonBlank & m)
		nonLabels = bits.OnesCount64(r.nonBlank &^ r.labels & m)
	} else {
		fill, nonLabels = t.labelFill(r)
	}
	if fill < 2 || nonLabels*5 > fill {
		return false
	}
	fill, labels, k, m := 0, 0, 0, 0
	for i := 0; i < t.band.width() && t.band.a+i < len(r.cells); i++ {
		v := r.cells[t.band.a+i]
		if isBlank(v) {
			continue
		}
		fill++
		cl := classify(v)
		if isLabel(cl, v) {
			labels++
		}
		if d := t.dominant(i); d != classEmpty {
			k++
			if cl != d {
				m++
			}
		}
	}
	if fill < 2 || labels*100 < fill*80 {
		return false
	}
	signal := k >= 1 && m*2 > k
	if !signal {
		rep, syn := 0, 0
		for i := 0; i < t.band.width() && t.band.a+i < len(r.cells); i++ {
			v := r.cells[t.band.a+i]
			if isBlank(v) || len(v) > 80 {
				continue
			}
			t.normBuf = appendNormalized(t.normBuf[:0], v)
			if len(t.normBuf) == 0 {
				continue
			}
			if t.headerSet[string(t.normBuf)] {
				rep++
			}
			if _, ok := cfg.synonyms[string(t.normBuf)]; ok {
				syn++
			}
		}
		signal = rep*2 >= fill || syn >= 2
	}
	return signal && headerish(stats(r.cells, t.band), 80)
}

// labelFill counts a row's non-blank cells in the band, and those of them
// that cannot be labels (it may stop counting once those are more than a
// fifth of the band).
func (t *table) labelFill(r *row) (fill, nonLabels int) {
	for i := 0; i < t.band.width() && t.band.a+i < len(r.cells); i++ {
		v := r.cells[t.band.a+i]
		if isBlank(v) {
			continue
		}
		fill++
		if !maybeLabel(v) {
			nonLabels++
			if nonLabels*5 > t.band.width() {
				return fill, nonLabels // more than a fifth of any fill
			}
		}
	}
	return fill, nonLabels
}

// addData appends a data row.
func (t *table) addData(r *row) error {
	var vals []string
	switch {
	case t.mapped && len(r.cells) > t.band.b:
		// Rows are written at once: the row's own cells serve.
		vals = r.cells[t.band.a : t.band.b+1]
	case t.mapped:
		if t.rowBuf == nil {
			t.rowBuf = make([]string, t.band.width())
		}
		vals = t.rowBuf
		clear(vals)
	default:
		vals = make([]string, t.band.width())
	}
	if len(r.cells) <= t.band.b || !t.mapped {
		for c := t.band.a; c <= t.band.b && c < len(r.cells); c++ {
			vals[c-t.band.a] = r.cells[c]
		}
	}
	t.rows++
	t.lastData = r.num
	if r.hidden {
		t.hiddenRows++
	}
	if t.profiled < profileRows {
		for i, v := range vals {
			t.profile[i][classify(v)]++
		}
		t.profiled++
	}
	if !t.mapped {
		t.buffer = append(t.buffer, pendingRow{r.num, vals})
		if len(t.buffer) >= profileRows {
			return t.decide()
		}
		return nil
	}
	return t.emit(r.num, vals)
}

// decide maps fields to columns from the headers and the buffered sample,
// opens the table's output and writes the buffered rows.
func (t *table) decide() error {
	t.mapped = true
	cfg := t.x.cfg
	taken := make([]bool, len(t.cols))
	for fi, f := range cfg.Fields {
		for ci := range t.cols {
			if !taken[ci] && f.matchesHeader(t.cols[ci]) {
				t.cols[ci].field, t.cols[ci].by, taken[ci] = fi, "synonym", true
				break
			}
		}
	}
	for fi, f := range cfg.Fields {
		if f.Pattern == nil || t.fieldMapped(fi) {
			continue
		}
		best, bestScore := -1, 0.5
		for ci := range t.cols {
			if taken[ci] {
				continue
			}
			hits, nonEmpty := 0, 0
			for _, p := range t.buffer {
				v := strings.TrimSpace(p.vals[ci])
				if v == "" {
					continue
				}
				nonEmpty++
				if f.Pattern.MatchString(v) {
					hits++
				}
			}
			if nonEmpty > 0 {
				if score := float64(hits) / float64(nonEmpty); score > bestScore {
					best, bestScore = ci, score
				}
			}
		}
		if best >= 0 {
			t.cols[best].field, t.cols[best].by, taken[best] = fi, "pattern", true
		}
	}
	seen := map[string]int{}
	for _, f := range cfg.Fields {
		seen[strings.ToLower(f.Name)] = 1
	}
	for ci, c := range t.cols {
		if c.field >= 0 {
			t.outCols = append(t.outCols, ci)
			t.outNames = append(t.outNames, cfg.Fields[c.field].Name)
		} else if cfg.KeepUnmapped {
			t.outCols = append(t.outCols, ci)
			t.outNames = append(t.outNames, uniqueName(c.header, seen))
		}
	}
	t.outBuf = make([]string, len(t.outCols))
	t.plan = make([]outPlan, len(t.outCols))
	for j, ci := range t.outCols {
		p := outPlan{col: ci}
		if fi := t.cols[ci].field; fi >= 0 {
			p.field = &cfg.Fields[fi]
			p.name = p.field.Name
			p.steps = compileTransforms(p.field.Transforms)
			p.validate = t.x.validate[fi]
		}
		t.plan[j] = p
	}
	w, name, err := t.x.outs.open(t)
	if err != nil {
		return err
	}
	t.writer, t.output = w, name
	if t.writer != nil {
		if err := t.writer.write(t.outNames); err != nil {
			return err
		}
	}
	for _, p := range t.buffer {
		if err := t.emit(p.num, p.vals); err != nil {
			return err
		}
	}
	t.buffer = nil
	return nil
}

func (t *table) fieldMapped(fi int) bool {
	for _, c := range t.cols {
		if c.field == fi {
			return true
		}
	}
	return false
}

// emit normalizes one data row and writes it out.
func (t *table) emit(num int, vals []string) error {
	bad := 0
	for j := range t.plan {
		p := &t.plan[j]
		v := vals[p.col]
		if f := p.field; f != nil {
			ok := true
			for _, step := range p.steps {
				var good bool
				v, good = step(v)
				ok = ok && good
			}
			issue := ""
			switch {
			case !ok:
				issue = "unparsable " + TransformDate
			case f.Required && isBlank(v):
				issue = "required value missing"
			case p.validate != nil && !isBlank(v) && !p.validate.MatchString(v):
				issue = "fails validate.pattern"
			}
			if issue != "" {
				bad++
				if len(t.issues) < maxIssues {
					t.issues = append(t.issues, map[string]any{"row": num, "field": p.name, "issue": issue})
				}
			}
		}
		t.outBuf[j] = v
	}
	if bad > 0 {
		t.invalidValues += bad
		t.invalidRows++
	}
	if len(t.samples) < domain.MaxSampleRows {
		m := make(map[string]any, len(t.outNames))
		for j, n := range t.outNames {
			m[n] = t.outBuf[j]
		}
		t.samples = append(t.samples, m)
	}
	if t.writer != nil {
		return t.writer.write(t.outBuf)
	}
	return nil
}

// title is the table's display title: the sheet name and its index.
func (t *table) title() string { return fmt.Sprintf("%s %d", t.sheet, t.index) }

// finish completes the table: decides the mapping if the table was too
// short to fill the sample, closes its output and records the result.
func (t *table) finish() error {
	if !t.mapped {
		if err := t.decide(); err != nil {
			return err
		}
	}
	if t.writer != nil {
		if err := t.writer.close(); err != nil {
			return err
		}
	}
	cfg := t.x.cfg
	rng := cellRef(t.band.a, t.headerRows[0]) + ":" + cellRef(t.band.b, t.lastData)
	title := t.title()
	columns := make([]any, 0, len(t.cols))
	mapping := map[string]any{}
	var hidden, renamed []any
	unmapped := 0
	for ci, c := range t.cols {
		var field any
		var by any
		if c.field >= 0 {
			field = cfg.Fields[c.field].Name
			by = c.by
			mapping[cfg.Fields[c.field].Name] = c.header
		} else {
			unmapped++
		}
		out := any(nil)
		for j, oc := range t.outCols {
			if oc == ci {
				out = t.outNames[j]
			}
		}
		columns = append(columns, map[string]any{
			"column": columnLetter(c.src), "header": c.header, "source_header": c.leaf,
			"group": c.group, "field": field, "mapped_by": by, "hidden": c.hidden, "output": out,
		})
		if c.hidden {
			hidden = append(hidden, columnLetter(c.src))
		}
		if c.header != c.leaf && (c.group == "" || c.leaf == "") {
			renamed = append(renamed, map[string]any{"column": columnLetter(c.src), "header": c.leaf, "renamed_to": c.header})
		}
	}
	for fi, f := range cfg.Fields {
		if !t.fieldMapped(fi) {
			t.missing = append(t.missing, f.Name)
		}
	}
	headerRows := make([]any, len(t.headerRows))
	for i, h := range t.headerRows {
		headerRows[i] = h
	}
	meta := map[string]any{
		"index":          t.index,
		"range":          rng,
		"header_row":     t.headerRows[0],
		"first_data_row": t.headerRows[len(t.headerRows)-1] + 1,
		"last_data_row":  t.lastData,
		"columns":        columns,
		"mapping":        mapping,
		"fields_missing": stringsToAny(t.missing),
		"values_invalid": t.invalidValues,
		"rows_invalid":   t.invalidRows,
		"invalid_values": t.issues,
		"output":         t.output,
	}
	if len(t.headerRows) > 1 {
		meta["header_rows"] = headerRows
	}
	if t.hiddenRows > 0 {
		meta["hidden_rows"] = t.hiddenRows
	}
	if t.issues == nil {
		meta["invalid_values"] = []any{}
	}
	t.result = ports.ExtractedTable{
		Title: title, Sheet: t.sheet, RowCount: t.rows,
		Columns: append([]string{}, t.outNames...), SampleRows: t.samples, Metadata: meta,
	}
	if t.result.SampleRows == nil {
		t.result.SampleRows = []map[string]any{}
	}

	t.log("info", "table found", map[string]any{
		"table": title, "sheet": t.sheet, "range": rng, "header_rows": headerRows, "rows": t.rows,
	})
	if len(renamed) > 0 {
		t.log("info", "blank or duplicate headers renamed", map[string]any{"table": title, "columns": renamed})
	}
	if len(hidden) > 0 {
		t.log("info", "hidden columns read as data", map[string]any{"table": title, "columns": hidden})
	}
	for _, c := range t.cols {
		if c.field >= 0 {
			t.log("info", "field mapped", map[string]any{
				"table": title, "field": cfg.Fields[c.field].Name, "header": c.header,
				"column": columnLetter(c.src), "by": c.by,
			})
		}
	}
	for _, name := range t.missing {
		f := cfg.field(name)
		level := "info"
		if f.Required {
			level = "warn"
		}
		t.log(level, "field not found", map[string]any{"table": title, "field": name, "required": f.Required})
	}
	if !cfg.KeepUnmapped && unmapped > 0 {
		t.log("info", "unmapped columns dropped", map[string]any{"table": title, "columns": unmapped})
	}
	if t.invalidRows > 0 {
		t.log("warn", "rows with invalid values", map[string]any{
			"table": title, "rows": t.invalidRows, "values": t.invalidValues, "first": t.issues,
		})
	}
	t.x.account(t, unmapped)
	return nil
}

func (t *table) log(level, msg string, details map[string]any) {
	t.logs = append(t.logs, domain.LogEntry{Level: level, Message: msg, Details: details})
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// matchesHeader reports whether a column's header names the field: its
// leaf header, or the group and leaf together, equals the field's name,
// label or a synonym once normalized.
func (f *Field) matchesHeader(c column) bool {
	keys := []string{normalizeHeader(c.leaf)}
	if c.group != "" {
		keys = append(keys, normalizeHeader(c.group+" "+c.leaf))
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		for _, s := range f.normSynonyms {
			if s == k {
				return true
			}
		}
	}
	return false
}

// isSynonym reports whether a header cell names any configured field.
func (c *Config) isSynonym(v string) bool {
	if len(v) > 80 {
		return false
	}
	_, ok := c.synonyms[normalizeHeader(v)]
	return ok
}

func (c *Config) field(name string) Field {
	for _, f := range c.Fields {
		if f.Name == name {
			return f
		}
	}
	return Field{}
}
