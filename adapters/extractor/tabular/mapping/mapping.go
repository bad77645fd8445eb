package mapping

import (
	"regexp"
	"slices"
	"strings"
	"unsafe"

	"github.com/ade-go/ade/adapters/extractor/tabular/detect"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/domain"
)

const (
	// SampleRows is how many data rows the pattern mapping looks at, and
	// how many rows a table holds back until its mapping is decided.
	SampleRows = 50
	// MaxIssues bounds the invalid-value details a table keeps.
	MaxIssues = 50
	// HeldBytes bounds the text of the rows the tables of one Schema hold
	// back (their cells' text and stored values), together: past it, the table a row is added to decides its
	// mapping on the rows it has. Rows of a few KiB never reach it; rows of
	// megabytes, side by side in many tables, would otherwise be held
	// SampleRows times over.
	HeldBytes = 16 << 20
	// SampleBytes bounds the memory of the sample rows of the tables of
	// one Schema, together (their text and sampleValueCost a value): a
	// table whose next sample row would go past it keeps the samples it
	// has.
	SampleBytes = 16 << 20
	// sampleValueCost is the memory of a sample value beside its text (its
	// entry in the row's map and its boxing).
	sampleValueCost = 64
)

// Field is one configured field.
type Field struct {
	Name       string
	Label      string
	Synonyms   []string // as written
	Pattern    *regexp.Regexp
	Required   bool
	Transforms []string
	Validate   *regexp.Regexp
	// Type is the field's value type (values.TypeString by default), and
	// Parser reads it (nil for strings): each value is read after the
	// transforms and written in its canonical form.
	Type   values.Type
	Parser *values.Parser

	keys []string // header keys of the synonyms, the name and the label
}

// Schema is the configured fields, ready to map tables.
type Schema struct {
	Fields       []Field
	KeepUnmapped bool

	synonyms map[string]int // header key -> first field index
	validate []*matcher
	// held and samples are the bytes the tables hold back and keep as
	// samples, against HeldBytes and SampleBytes.
	held, samples int
	// text keeps the strings of the rows the tables write (see
	// Table.emit): one chunk at a time for all the tables, however many
	// are open side by side or kept until the extraction ends.
	text read.Chunks
}

// NewSchema prepares fields (in priority order) for mapping.
func NewSchema(fields []Field, keepUnmapped bool) *Schema {
	s := &Schema{Fields: slices.Clone(fields), KeepUnmapped: keepUnmapped, synonyms: map[string]int{}}
	s.validate = make([]*matcher, len(s.Fields))
	for i := range s.Fields {
		f := &s.Fields[i]
		f.keys = nil
		for _, syn := range f.Synonyms {
			if k := detect.HeaderKey(syn); k != "" && !slices.Contains(f.keys, k) {
				f.keys = append(f.keys, k)
			}
		}
		// The field's own name and label count as synonyms.
		for _, syn := range []string{f.Name, f.Label} {
			if k := detect.HeaderKey(syn); k != "" && !slices.Contains(f.keys, k) {
				f.keys = append(f.keys, k)
			}
		}
		for _, k := range f.keys {
			if _, seen := s.synonyms[k]; !seen {
				s.synonyms[k] = i
			}
		}
		if f.Validate != nil {
			s.validate[i] = newMatcher(f.Validate)
		}
	}
	return s
}

// IsSynonym reports whether a header key names a configured field.
func (s *Schema) IsSynonym(key string) bool {
	_, ok := s.synonyms[key]
	return ok
}

// Field returns the field named name (the zero Field when none is).
func (s *Schema) Field(name string) Field {
	for _, f := range s.Fields {
		if f.Name == name {
			return f
		}
	}
	return Field{}
}

// Writer receives a table's output rows, the header row first.
type Writer interface {
	Write(vals []string) error
	Close() error
}

// PlainWriter is a Writer told which values of a row are plain: bit j of
// plain says that vals[j] is a source cell whose read.Row.Plain bit is
// set, which a CSV writer may copy without looking at it.
type PlainWriter interface {
	WritePlain(vals []string, plain uint64) error
}

// Opener opens a table's output once its output columns are known: their
// names, and the parser of each typed column (nil for text), which a
// writer that stores typed cells (XLSX) needs. It returns the writer (nil
// for none) and the output's name.
type Opener func(columns []string, types []*values.Parser) (Writer, string, error)

// Column is one source column of a mapped table.
type Column struct {
	detect.Column
	// Field is the index of the field the column maps to, or -1.
	Field int
	// By is how it was mapped: "synonym" or "pattern".
	By string
	// Output is the column's output name, "" when it is dropped.
	Output string
	// Inferred is what the column's values say about their type, from the
	// table's first InferRows data rows that are not total rows; final at
	// Finish.
	Inferred values.Inference
}

// Issue is one invalid value.
type Issue struct {
	Row   int
	Field string
	Issue string
}

// outPlan is how one output column is made from its source column,
// resolved once per table.
type outPlan struct {
	col      int    // index in Table.Columns
	field    *Field // nil: written as read
	steps    []transformFunc
	validate *matcher
	// parser reads a typed field's values (nil for strings), with the
	// column's decimal separator resolved; stored says that a number
	// cell is read from its stored number (a numeric type, no transforms).
	parser *values.Parser
	stored bool
	// summed says that the column is added up for the total rows.
	summed bool
	// For the row being written: where its canonical value lies in the
	// row's arena (start < 0: not in it), the value itself when summed
	// (hasVal), and why it is invalid ("" when it is not).
	start, end int
	val        values.Value
	hasVal     bool
	issue      string
}

// pendingRow is a data row kept until the mapping is decided. kinds and
// raw are the band's cell kinds and stored values when the reader knows
// them (nil otherwise).
type pendingRow struct {
	num   int
	vals  []string
	kinds []read.Kind
	raw   []string
	total bool
	plain uint64 // read.Row.Plain of the band, from its first column
}

// Table maps one detected table's rows.
type Table struct {
	// Columns are the band's columns with their mapping; final once the
	// first SampleRows rows are in, or at Finish.
	Columns []Column
	// OutputNames are the output's column names.
	OutputNames []string
	// Output is the output's name from the Opener.
	Output string
	// Samples are the first normalized rows, by output name.
	Samples []map[string]any
	// InvalidValues and InvalidRows count the invalid values and the rows
	// holding them; Issues details the first MaxIssues.
	InvalidValues, InvalidRows int
	Issues                     []Issue
	// Totals is the audit of the table's total rows, final at Finish.
	Totals Totals

	schema  *Schema
	layout  *detect.Table
	band    detect.Band
	open    Opener
	buffer  []pendingRow
	held    int // bytes of buffer's values
	full    bool
	mapped  bool
	rowBuf  []string
	outCols []int
	outBuf  []string
	plan    []outPlan
	writer  Writer
	plainW  PlainWriter // writer, when it is one
	arena   []byte
	infer   inference
	sums    totals
}

// NewTable starts mapping a detected table; open is called once the
// mapping is decided.
func (s *Schema) NewTable(layout *detect.Table, open Opener) *Table {
	t := &Table{schema: s, layout: layout, band: layout.Band, open: open}
	for _, c := range layout.Columns {
		t.Columns = append(t.Columns, Column{Column: c, Field: -1})
	}
	return t
}

// Add maps and writes one data row.
func (t *Table) Add(r *read.Row) error {
	total := isTotalRow(t.layout, r.Num)
	var vals []string
	switch {
	case t.mapped && len(r.Cells) > t.band.Last:
		// Rows are written at once: the row's own cells serve.
		vals = r.Cells[t.band.First : t.band.Last+1]
	case t.mapped:
		if t.rowBuf == nil {
			t.rowBuf = make([]string, t.band.Width())
		}
		vals = t.rowBuf
		clear(vals)
	default:
		vals = make([]string, t.band.Width())
	}
	kinds, raw := bandKinds(r, t.band, !t.mapped)
	switch {
	case !t.mapped:
		// Held rows are copies: they must not keep the whole source row
		// (a CSV record shares its memory with its neighbours) alive.
		n := 0
		for c := t.band.First; c <= t.band.Last && c < len(r.Cells); c++ {
			vals[c-t.band.First] = strings.Clone(r.Cells[c])
			n += len(r.Cells[c])
		}
		for i, v := range raw { // bandKinds copied the slice, not the text
			raw[i] = strings.Clone(v)
			n += len(v)
		}
		t.held += n
		t.schema.held += n
		t.buffer = append(t.buffer, pendingRow{r.Num, vals, kinds, raw, total, bandPlain(r, t.band)})
		if len(t.buffer) >= SampleRows || t.schema.held > HeldBytes {
			return t.decide()
		}
		return nil
	case len(r.Cells) <= t.band.Last:
		for c := t.band.First; c < len(r.Cells); c++ {
			vals[c-t.band.First] = r.Cells[c]
		}
	}
	return t.emit(&pendingRow{r.Num, vals, kinds, raw, total, bandPlain(r, t.band)})
}

// bandPlain is the row's Plain bits of the band's columns, from its first.
func bandPlain(r *read.Row, b detect.Band) uint64 {
	if !r.Masked || b.First >= 64 {
		return 0
	}
	return r.Plain >> b.First
}

// isTotalRow reports whether row num is one of the layout's total rows
// (the detector lists a row before it hands it on, so it is the last one
// listed).
func isTotalRow(layout *detect.Table, num int) bool {
	n := len(layout.TotalRows)
	return n > 0 && layout.TotalRows[n-1] == num
}

// bandKinds returns the band's cell kinds and stored values of a row whose
// reader knows them (nil, nil otherwise): the row's own slices when they
// cover the band and the row is written at once, copies when it is held
// (a reader may reuse its buffers once the next row is read).
func bandKinds(r *read.Row, b detect.Band, hold bool) ([]read.Kind, []string) {
	if r.Kinds == nil {
		return nil, nil
	}
	raw := r.Raw
	if raw == nil { // every raw value is the cell's text
		raw = r.Cells
	}
	if !hold && len(r.Kinds) > b.Last && len(raw) > b.Last {
		return r.Kinds[b.First : b.Last+1], raw[b.First : b.Last+1]
	}
	kinds, raw := make([]read.Kind, b.Width()), make([]string, b.Width())
	for c := b.First; c <= b.Last; c++ {
		cell := r.Cell(c)
		kinds[c-b.First], raw[c-b.First] = cell.Kind, cell.Raw
	}
	return kinds, raw
}

// mapByPattern maps each field with a pattern that no header matched to
// the untaken column whose buffered non-empty values match it most often
// (more than half of them), marking the column taken.
func (t *Table) mapByPattern(taken []bool) {
	s := t.schema
	for fi, f := range s.Fields {
		if f.Pattern == nil || t.FieldMapped(fi) {
			continue
		}
		best, bestScore := -1, 0.5
		for ci := range t.Columns {
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
			t.Columns[best].Field, t.Columns[best].By, taken[best] = fi, "pattern", true
		}
	}
}

// decide maps fields to columns from the headers and the buffered sample,
// opens the table's output and writes the buffered rows.
func (t *Table) decide() error {
	t.mapped = true
	s := t.schema
	taken := make([]bool, len(t.Columns))
	// The columns' header keys, once: fields times columns comparisons
	// stay cheap on a wide table.
	keys := make([][2]string, len(t.Columns))
	for ci, c := range t.Columns {
		keys[ci] = headerKeys(c.Column)
	}
	for fi, f := range s.Fields {
		for ci := range t.Columns {
			if !taken[ci] && f.matchesHeader(keys[ci]) {
				t.Columns[ci].Field, t.Columns[ci].By, taken[ci] = fi, "synonym", true
				break
			}
		}
	}
	t.mapByPattern(taken)
	seen := map[string]int{}
	for _, f := range s.Fields {
		seen[strings.ToLower(f.Name)] = 1
	}
	for ci, c := range t.Columns {
		switch {
		case c.Field >= 0:
			t.Columns[ci].Output = s.Fields[c.Field].Name
		case s.KeepUnmapped:
			t.Columns[ci].Output = detect.UniqueName(c.Header, seen)
		default:
			continue
		}
		t.outCols = append(t.outCols, ci)
		t.OutputNames = append(t.OutputNames, t.Columns[ci].Output)
	}
	t.outBuf = make([]string, len(t.outCols))
	t.plan = make([]outPlan, len(t.outCols))
	types := make([]*values.Parser, len(t.outCols))
	for j, ci := range t.outCols {
		p := outPlan{col: ci}
		if fi := t.Columns[ci].Field; fi >= 0 {
			p.field = &s.Fields[fi]
			p.steps = compileTransforms(p.field.Transforms)
			p.validate = s.validate[fi]
			if p.field.Parser != nil {
				p.parser = p.field.Parser.ForColumn(t.sample(ci))
				p.stored = isNumeric(p.field.Type) && len(p.steps) == 0
				types[j] = p.parser
			}
		}
		t.plan[j] = p
	}
	t.startInference()
	t.sums.start(t.plan, t.Columns)
	w, name, err := t.open(t.OutputNames, types)
	if err != nil {
		return err
	}
	t.writer, t.Output = w, name
	t.plainW, _ = w.(PlainWriter)
	if t.writer != nil {
		if err := t.writer.Write(t.OutputNames); err != nil {
			return err
		}
	}
	for i := range t.buffer {
		if err := t.emit(&t.buffer[i]); err != nil {
			return err
		}
	}
	t.buffer = nil
	t.schema.held -= t.held
	t.held = 0
	return nil
}

// sample is column ci's values in the held rows other than total rows,
// which settle a typed column's decimal separator.
func (t *Table) sample(ci int) []string {
	out := make([]string, 0, len(t.buffer))
	for _, p := range t.buffer {
		if !p.total {
			out = append(out, p.vals[ci])
		}
	}
	return out
}

// FieldMapped reports whether field fi maps to a column of the table.
func (t *Table) FieldMapped(fi int) bool {
	for _, c := range t.Columns {
		if c.Field == fi {
			return true
		}
	}
	return false
}

// emit normalizes one data row and writes it out.
func (t *Table) emit(row *pendingRow) error {
	t.infer.add(row)
	// Typed and transformed values are written into one arena per row,
	// turned into one string carved from shared chunks: no allocation per
	// value, nor one per row.
	t.arena = t.arena[:0]
	for j := range t.plan {
		p := &t.plan[j]
		p.start, p.issue, p.hasVal = -1, "", false
		v := row.vals[p.col]
		if p.field != nil {
			v = t.transform(p, v)
			switch {
			case p.issue != "":
			case p.parser != nil && !t.typed(p, row, v):
				p.issue = "unparsable " + string(p.field.Type)
			}
		}
		t.outBuf[j] = v
	}
	if len(t.plan) > 0 {
		text := ""
		if len(t.arena) > 0 {
			text = t.schema.text.String(t.arena)
		}
		for j := range t.plan {
			if p := &t.plan[j]; p.start >= 0 {
				t.outBuf[j] = text[p.start:p.end]
			}
		}
	}
	bad := 0
	for j := range t.plan {
		p := &t.plan[j]
		f := p.field
		if f == nil {
			continue
		}
		v := t.outBuf[j]
		switch {
		case p.issue != "":
		case f.Required && read.IsBlank(v):
			p.issue = "required value missing"
		case p.validate != nil && !read.IsBlank(v) && !p.validate.MatchString(v):
			p.issue = "fails validate.pattern"
		default:
			continue
		}
		bad++
		if len(t.Issues) < MaxIssues {
			t.Issues = append(t.Issues, Issue{Row: row.num, Field: f.Name, Issue: p.issue})
		}
	}
	if bad > 0 {
		t.InvalidValues += bad
		t.InvalidRows++
	}
	t.sums.add(t.plan, t.outBuf, row)
	if len(t.Samples) < domain.MaxSampleRows && !t.full {
		size := len(t.outBuf) * sampleValueCost
		for _, v := range t.outBuf {
			size += len(v)
		}
		if t.schema.samples+size > SampleBytes {
			t.full = true // the samples stay the table's first rows
		} else {
			t.schema.samples += size
			m := make(map[string]any, len(t.OutputNames))
			for j, n := range t.OutputNames {
				m[n] = strings.Clone(t.outBuf[j])
			}
			t.Samples = append(t.Samples, m)
		}
	}
	if t.plainW != nil {
		return t.plainW.WritePlain(t.outBuf, t.plainOut(row))
	}
	if t.writer != nil {
		return t.writer.Write(t.outBuf)
	}
	return nil
}

// plainOut is the plain bits of the row being written (see PlainWriter):
// a value is plain when it is its source cell, unchanged, and that cell is.
func (t *Table) plainOut(row *pendingRow) uint64 {
	if row.plain == 0 {
		return 0
	}
	var out uint64
	for j := range t.plan[:min(len(t.plan), 64)] {
		p := &t.plan[j]
		if p.col >= 64 || row.plain>>p.col&1 == 0 {
			continue
		}
		v, src := t.outBuf[j], row.vals[p.col]
		if len(v) == len(src) && (v == "" || unsafe.StringData(v) == unsafe.StringData(src)) {
			out |= 1 << j
		}
	}
	return out
}

// transform runs a column's transforms on v. A value they change is
// written into the row's arena (p.start and p.end say where), with no
// allocation of its own; an unparsable value sets p.issue.
func (t *Table) transform(p *outPlan, v string) string {
	ok, fresh, at := true, false, 0 // fresh: v lies in the arena from at
	for _, step := range p.steps {
		n := len(t.arena)
		out, arena, good := step(t.arena, v)
		switch {
		case len(arena) > n:
			fresh, at = true, n
		case fresh && len(out) > 0:
			at += partOffset(v, out)
		}
		t.arena, v, ok = arena, out, ok && good
	}
	if !ok {
		p.issue = "unparsable " + TransformDate
	}
	if !fresh {
		return v
	}
	if p.parser != nil {
		// A parser may keep parts of the text in its value: give it a
		// string of its own, not the arena's bytes.
		return strings.Clone(v)
	}
	p.start, p.end = at, at+len(v)
	return v
}

// partOffset is where part, a substring of s, starts in s.
func partOffset(s, part string) int {
	return int(uintptr(unsafe.Pointer(unsafe.StringData(part))) - uintptr(unsafe.Pointer(unsafe.StringData(s))))
}

// Finish decides the mapping if the table was too short to fill the
// sample, and closes the output.
func (t *Table) Finish() error {
	if !t.mapped {
		if err := t.decide(); err != nil {
			return err
		}
	}
	t.finishInference()
	t.Totals = t.sums.finish()
	if t.writer != nil {
		return t.writer.Close()
	}
	return nil
}

// headerKeys are the keys a column's header is matched by: its leaf
// header, and the group and leaf together ("" without a group).
func headerKeys(c detect.Column) [2]string {
	k := [2]string{detect.HeaderKey(c.Leaf)}
	if c.Group != "" {
		k[1] = detect.HeaderKey(c.Group + " " + c.Leaf)
	}
	return k
}

// matchesHeader reports whether a column's header keys (headerKeys) name
// the field: its leaf header, or the group and leaf together, equals the
// field's name, label or a synonym once normalized.
func (f *Field) matchesHeader(keys [2]string) bool {
	for _, k := range keys {
		if k != "" && slices.Contains(f.keys, k) {
			return true
		}
	}
	return false
}
