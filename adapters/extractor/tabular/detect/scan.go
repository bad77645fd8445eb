package detect

import (
	"context"
	"io"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

// Sink receives what the scan finds, in order: Begin when a table's header
// is confirmed, Row for each of its data rows, End when it is over. The
// rows of tables side by side interleave. A row passed to Row is valid
// only during the call.
type Sink interface {
	Begin(t *Table) error
	Row(t *Table, r *read.Row) error
	End(t *Table) error
}

// Options are what a scan learns from outside the sheet.
type Options struct {
	// Synonym reports whether a header key (HeaderKey) names a
	// configured field; nil means none does.
	Synonym func(key string) bool
}

// Reasons a sheet holds no table.
const (
	ReasonEmpty      = "empty"
	ReasonProse      = "prose_only"
	ReasonHeaderOnly = "header_without_data"
)

// Outcome sums up a scanned sheet.
type Outcome struct {
	// Tables counts the tables found.
	Tables int
	// Reason says why no table was found (one of the Reason constants),
	// Detail explains it; both empty when tables were found.
	Reason, Detail string
}

// Scan reads a sheet's rows and reports its tables to sink. It returns
// the sink's first error, a read error, or a cancellation.
func Scan(ctx context.Context, rows read.Rows, opts Options, sink Sink) (Outcome, error) {
	s := &scan{ctx: ctx, src: rows, sink: sink, synonym: opts.Synonym}
	if s.synonym == nil {
		s.synonym = func(string) bool { return false }
	}
	if r, ok := rows.(read.Recycler); ok {
		r.Hold(s.oldestRow)
	}
	if err := s.run(); err != nil {
		return Outcome{}, err
	}
	out := Outcome{Tables: len(s.tables)}
	if out.Tables == 0 {
		out.Reason, out.Detail = s.why()
	}
	return out, nil
}

// scan detects the tables of one sheet in one streaming pass. The cursor
// row is compared with every open table (continuation) and then, in the
// columns no open table owns, searched for a new header confirmed by the
// rows after it. Rows a table held back and then gave up are replayed.
type scan struct {
	ctx     context.Context
	src     read.Rows
	sink    Sink
	synonym func(string) bool
	eof     bool
	read    int
	queue   []*read.Row
	active  []*Table
	tables  []*Table
	// owner[c] is the open table whose band holds column c (nil: none):
	// the bands of open tables never overlap.
	owner []*Table
	// version counts the openings and endings of tables; foreignAt caches
	// foreignOf for one row and version.
	version   int
	foreignAt struct {
		row     *read.Row
		version int
		value   bool
	}

	// what the sheet held, for the reason when no table is found
	nonBlank   int
	labelRows  int
	headerLike int // the last label row that had no data under it
}

func (s *scan) run() error {
	for {
		if err := s.fill(lookahead + 1); err != nil {
			return err
		}
		if len(s.queue) == 0 {
			if len(s.active) == 0 {
				return nil
			}
			if err := s.end(s.active[0], nil, "end of sheet"); err != nil {
				return err
			}
			continue
		}
		r := s.queue[0]
		s.queue = s.queue[1:]
		if err := s.process(r); err != nil {
			return err
		}
	}
}

// fill reads rows until the queue holds n non-blank rows or the sheet ends.
func (s *scan) fill(n int) error {
	for len(s.queue) < n && !s.eof {
		s.read++
		if s.read%cancelEvery == 0 {
			if err := s.ctx.Err(); err != nil {
				return read.Cancelled(err)
			}
		}
		r, err := s.src.Next()
		if err == io.EOF {
			s.eof = true
			break
		}
		if err != nil {
			return err
		}
		if r.Blank() {
			continue
		}
		s.nonBlank++
		s.queue = append(s.queue, r)
	}
	return nil
}

// oldestRow is the number of the oldest row the scan holds (in the
// look-ahead queue or held back by an open table), or MaxInt. Between two
// calls of fill no other row is referenced: the CSV reader reuses the
// memory of older rows. Code that keeps a *read.Row or its cells longer
// must be accounted for here.
func (s *scan) oldestRow() int {
	n := math.MaxInt
	for _, q := range s.queue {
		n = min(n, q.Num)
	}
	for _, t := range s.active {
		for _, p := range t.pending {
			n = min(n, p.Num)
		}
	}
	return n
}

// isSummary reports whether a row's first non-blank cell in the band
// names a total: "Total", "Subtotal", "Grand total", "Total, all
// industries", "Subtotal, durable goods".
func isSummary(cells []string, bd Band) bool {
	for c := bd.First; c <= bd.Last && c < len(cells); c++ {
		if !read.IsBlank(cells[c]) {
			v := strings.TrimSpace(cells[c])
			if len(v) >= 60 || len(v) < 3 || (v[0]|0x20 != 't' && v[0]|0x20 != 's' && v[0]|0x20 != 'g') {
				return false
			}
			var buf [64]byte
			k := appendKey(buf[:0], v)
			for _, p := range [][]byte{[]byte("grandtotal"), []byte("subtotal"), []byte("total")} {
				if len(k) >= len(p) && string(k[:len(p)]) == string(p) {
					// the key word alone, or followed by what it totals
					return len(k) == len(p) || len(k) == len(p)+1 && k[len(p)] == 's' ||
						len(v) > len(p) && !isLetterByte(v[firstLetters(v, len(p))])
				}
			}
			return false
		}
	}
	return false
}

// firstLetters returns the index in v just past its first n letters.
func firstLetters(v string, n int) int {
	i := 0
	for ; i < len(v) && n > 0; i++ {
		if isLetterByte(v[i]) {
			n--
		}
	}
	return min(i, len(v)-1)
}

func isLetterByte(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func (s *scan) process(r *read.Row) error {
	for i := 0; i < len(s.active); i++ {
		t := s.active[i]
		if r.Num <= t.lastSeen {
			continue
		}
		ended, err := s.step(t, r)
		if err != nil || ended {
			return err
		}
	}
	found := s.candidates(r, nil)
	for _, c := range found {
		if err := s.open(c); err != nil {
			return err
		}
	}
	if len(found) == 0 && len(s.tables) == 0 && labelRow(r) {
		s.headerLike = r.Num
	}
	return nil
}

// labelRow reports whether a row outside any table reads like a header:
// two or more distinct labels filling most of the columns they span.
func labelRow(r *read.Row) bool {
	first, last := -1, -1
	for c, v := range r.Cells {
		if !read.IsBlank(v) {
			if first < 0 {
				first = c
			}
			last = c
		}
	}
	if first < 0 || first == last {
		return false
	}
	st := stats(r.Cells, Band{first, last})
	return st.fill*2 >= last-first+1 && headerish(st, 80)
}

// addData hands a data row of t to the sink.
func (s *scan) addData(t *Table, r *read.Row) error {
	t.Rows++
	if t.Rows == 1 {
		t.FirstDataRow = r.Num
	}
	t.LastDataRow = r.Num
	if isSummary(r.Cells, t.Band) {
		t.TotalRows = append(t.TotalRows, r.Num)
	}
	if r.Hidden {
		t.HiddenRows++
	}
	t.profileRow(r)
	return s.sink.Row(t, r)
}

// flush makes the rows t held back data, then r.
func (s *scan) flush(t *Table, r *read.Row) error {
	for _, p := range t.pending {
		if err := s.addData(t, p); err != nil {
			return err
		}
	}
	t.pending, t.gap = t.pending[:0], 0
	return s.addData(t, r)
}

// step feeds row r to table t. It reports true when t ended: r and the
// rows t held back are then back at the front of the queue.
func (s *scan) step(t *Table, r *read.Row) (bool, error) {
	blanks := r.Num - t.lastSeen - 1
	t.lastSeen = r.Num
	t.gap += blanks
	n, spill := t.fill(r)
	blankGap := t.gap > len(t.pending)
	switch {
	case r.Num <= t.confirmed:
		// The rows that confirmed the header are data by construction.
		return false, s.flush(t, r)
	case n == 0 && (spill || (t.gap > 0 && s.foreign(r))):
		// Nothing inside the band but a value right beside it, or after a
		// blank row a value no open table owns: a title or label of
		// something else. The table is over.
		return true, s.end(t, r, "a value outside the table's columns")
	case n >= 2 && !spill && t.gap <= maxGapRows && isSummary(r.Cells, t.Band) && !keyValue(r.Cells, t.Band):
		// A total row (a label and at least one value) is data however
		// few cells it fills: totals usually fill only the amount
		// columns, and a table's closing total is what an audit of its
		// sums needs.
		return false, s.flush(t, r)
	case n > 0 && blankGap && len(t.pending) > 0 && !allCategories(t.pending, t.Band):
		// A note set off by a blank row separates tables.
		return true, s.end(t, r, "a note set off by a blank row")
	case n == 0:
		t.gap++
		if t.gap > maxGapRows {
			return true, s.end(t, r, "a gap of blank rows")
		}
		return false, nil
	case !spill && n*2 >= t.refFill && n >= min(2, t.refFill):
		// A category row set off by a blank row may title the next table:
		// the row after it is then looked at as a header too.
		sectioned := blankGap && len(t.pending) > 0
		if (sectioned || t.headerSignal(r, s.synonym)) && s.headerIn(r, t) {
			return true, s.end(t, r, "a new header")
		}
		if t.gap > maxGapRows {
			return true, s.end(t, r, "a gap of blank rows")
		}
		if blankGap && keyValue(r.Cells, t.Band) {
			return true, s.end(t, r, "a note set off by a blank row")
		}
		return false, s.flush(t, r)
	default:
		if s.headerIn(r, t) {
			return true, s.end(t, r, "a new header")
		}
		t.pending = append(t.pending, r)
		t.gap++
		if t.gap > maxGapRows || len(t.pending) > maxGapSparse || (blankGap && !isCategory(r, t.Band)) {
			why := "rows too sparse to be data"
			if noteRow(r, t.Band) {
				why = "a note, source or footnote line"
			}
			return true, s.end(t, r, why)
		}
		return false, nil
	}
}

// isCategory reports whether a row inside a band is a category or
// section label: one label (not a note) in the band's first column, or
// its second when the band is four or more columns wide (a code column
// first).
func isCategory(r *read.Row, bd Band) bool {
	if rowFill(r, bd) != 1 {
		return false
	}
	for c := bd.First; c <= bd.Last && c < len(r.Cells); c++ {
		v := r.Cells[c]
		if read.IsBlank(v) {
			continue
		}
		if c > bd.First+1 || c == bd.First+1 && bd.Width() < 4 {
			return false
		}
		v = strings.TrimSpace(v)
		return read.HasLetters(v) && !isNote(v) && !strings.HasSuffix(v, ":")
	}
	return false
}

func allCategories(rows []*read.Row, bd Band) bool {
	for _, r := range rows {
		if !isCategory(r, bd) {
			return false
		}
	}
	return true
}

// noteRow reports whether a row's first non-blank cell reads as a note.
func noteRow(r *read.Row, bd Band) bool {
	for c := bd.First; c <= bd.Last && c < len(r.Cells); c++ {
		if !read.IsBlank(r.Cells[c]) {
			return isNote(r.Cells[c])
		}
	}
	return false
}

// keyValue reports whether a row's first non-blank cell in the band is a
// "Key:" label: a line of a form, not a row of data.
func keyValue(cells []string, bd Band) bool {
	for c := bd.First; c <= bd.Last && c < len(cells); c++ {
		if !read.IsBlank(cells[c]) {
			return strings.HasSuffix(strings.TrimSpace(cells[c]), ":")
		}
	}
	return false
}

// end closes table t and puts the rows it held back (and the cursor row r,
// unless nil) back at the front of the queue.
func (s *scan) end(t *Table, r *read.Row, why string) error {
	if i := sort.Search(len(s.active), func(i int) bool { return s.active[i].Band.First >= t.Band.First }); i < len(s.active) && s.active[i] == t {
		s.active = append(s.active[:i], s.active[i+1:]...)
	}
	s.own(t.Band, nil)
	replay := make([]*read.Row, 0, len(t.pending)+1+len(s.queue))
	for _, p := range t.pending {
		if r == nil || p != r {
			replay = append(replay, p)
		}
	}
	if r != nil {
		replay = append(replay, r)
	}
	t.EndReason = why
	if len(replay) > 0 {
		t.EndRow = replay[0].Num
	}
	t.pending = nil
	s.queue = append(replay, s.queue...)
	return s.sink.End(t)
}

// foreign reports whether a row has a value in columns that no open table
// owns (t, open, owns its own). The answer is the same for every open
// table, so it is computed once per row until a table opens or ends.
func (s *scan) foreign(r *read.Row) bool {
	if f := &s.foreignAt; f.row == r && f.version == s.version {
		return f.value
	}
	value := false
	for c, v := range r.Cells {
		if s.free(c, nil) && !read.IsBlank(v) {
			value = true
			break
		}
	}
	s.foreignAt.row, s.foreignAt.version, s.foreignAt.value = r, s.version, value
	return value
}

// own records t (nil: no table) as the owner of a band's columns.
func (s *scan) own(bd Band, t *Table) {
	s.version++
	if t != nil && bd.Last >= len(s.owner) {
		s.owner = append(s.owner, make([]*Table, bd.Last+1-len(s.owner))...)
	}
	for c := bd.First; c <= bd.Last && c < len(s.owner); c++ {
		s.owner[c] = t
	}
}

// headerIn reports whether a new table's header starts at row r in
// columns that overlap table t. Only the run of columns around t's band
// is looked at: a candidate band is a run of occupied columns, so one
// that overlaps t lies in it. (Scanning the whole row for every open
// table made a row of many tables side by side quadratic.)
func (s *scan) headerIn(r *read.Row, t *Table) bool {
	for _, c := range s.candidatesNear(r, t) {
		if c.band.First <= t.Band.Last && c.band.Last >= t.Band.First {
			return true
		}
	}
	return false
}

// candidate is a confirmed header: its band, header rows and the data
// rows that confirmed it (two, or one for a one-row table), with the
// category rows among them.
type candidate struct {
	band     Band
	headers  []*read.Row // one row, or a group row above the leaf row
	data     []*read.Row
	evidence []string
}

// free reports whether column c belongs to no open table other than except.
func (s *scan) free(c int, except *Table) bool {
	return c >= len(s.owner) || s.owner[c] == nil || s.owner[c] == except
}

// anyFree reports whether a column below width belongs to no open table
// other than except.
func (s *scan) anyFree(width int, except *Table) bool {
	if width > len(s.owner) {
		return true
	}
	for c := 0; c < width; c++ {
		if s.free(c, except) {
			return true
		}
	}
	return false
}

// following appends to buf the non-blank rows below r, at most cap(buf)
// of them, from the look-ahead queue, as long as at most maxHeaderGap
// blank rows separate each from the one before.
func (s *scan) following(r *read.Row, buf []*read.Row) []*read.Row {
	out := buf[:0]
	prev := r.Num
	for _, q := range s.queue {
		if q.Num <= r.Num {
			continue
		}
		if q.Num-prev-1 > maxHeaderGap || len(out) == cap(buf) {
			break
		}
		out = append(out, q)
		prev = q.Num
	}
	return out
}

// dataRows picks the rows that confirm a header with hfill cells from the
// rows below it: up to two data rows, with at most maxCategories
// category rows before or between them (which are data too).
func (s *scan) dataRows(next []*read.Row, bd Band, hfill int, except *Table) []*read.Row {
	var out []*read.Row
	data, cats := 0, 0
	for _, q := range next {
		switch {
		case data == 2:
			return out
		case s.dataLike(q, bd, hfill, except):
			data++
		case isCategory(q, bd) && cats < maxCategories && !s.spills(q.Cells, bd, except):
			cats++
		default:
			return trimCategories(out, bd)
		}
		out = append(out, q)
	}
	return trimCategories(out, bd)
}

// trimCategories drops the category rows after the last data row.
func trimCategories(rows []*read.Row, bd Band) []*read.Row {
	for len(rows) > 0 && isCategory(rows[len(rows)-1], bd) && rowFill(rows[len(rows)-1], bd) == 1 {
		rows = rows[:len(rows)-1]
	}
	return rows
}

// dataCount counts the rows of picked data rows that are not categories.
func dataCount(rows []*read.Row, bd Band) int {
	n := 0
	for _, r := range rows {
		if !isCategory(r, bd) {
			n++
		}
	}
	return n
}

// candidates finds the tables whose header starts at row r, in columns no
// open table (except `except`) owns, left to right.
func (s *scan) candidates(r *read.Row, except *Table) []candidate {
	return s.candidatesFrom(r, except, nil)
}

// candidatesNear finds the tables whose header starts at row r in the run
// of columns that holds t's band (t's columns count as free).
func (s *scan) candidatesNear(r *read.Row, t *Table) []candidate {
	return s.candidatesFrom(r, t, t)
}

// candidatesFrom finds the tables whose header starts at row r, in
// columns no open table but except owns, left to right; with near, only
// in the run of occupied columns that holds near's band.
func (s *scan) candidatesFrom(r *read.Row, except, near *Table) []candidate {
	var buf [lookahead]*read.Row
	next := s.following(r, buf[:])
	if len(next) < 1 {
		return nil
	}
	below := next[:min(2, len(next))]
	width := len(r.Cells)
	for _, q := range below {
		width = max(width, len(q.Cells))
	}
	if near == nil && !s.anyFree(width, except) {
		return nil // the common case inside a table: nothing to look at
	}
	occupied := func(c int) bool {
		if !s.free(c, except) {
			return false
		}
		if c < len(r.Cells) && !read.IsBlank(r.Cells[c]) {
			return true
		}
		for _, q := range below {
			if c < len(q.Cells) && !read.IsBlank(q.Cells[c]) {
				return true
			}
		}
		return false
	}
	var out []candidate
	c, stop := 0, width
	if near != nil {
		// Back to the start of the run that holds near's first column.
		for c = near.Band.First; c > 0 && occupied(c-1); c-- {
		}
		stop = min(width, near.Band.Last+1)
	}
	for c < stop {
		if !occupied(c) {
			c++
			continue
		}
		a := c
		for c < width && occupied(c) {
			c++
		}
		bd := Band{a, c - 1}
		if bd.Width() < 2 {
			continue
		}
		if cand, ok := s.stacked(r, next, bd, except); ok {
			out = append(out, cand)
		} else if cand, ok := s.single(r, next, bd, except); ok {
			out = append(out, cand)
		}
	}
	return out
}

// rowStats summarises a row's cells inside a band.
type rowStats struct {
	fill, labels, colons, distinct int
	classes                        []cellClass
}

func stats(cells []string, bd Band) rowStats {
	st := rowStats{classes: make([]cellClass, bd.Width())}
	seen := make(map[string]struct{}, bd.Width())
	for c := bd.First; c <= bd.Last && c < len(cells); c++ {
		v := strings.TrimSpace(cells[c])
		if v == "" {
			continue
		}
		st.fill++
		cl := classify(v)
		if cl == classNumber && isYear(v) {
			cl = classYear
		}
		st.classes[c-bd.First] = cl
		if isLabel(cl, v) {
			st.labels++
		}
		if strings.HasSuffix(v, ":") {
			st.colons++
		}
		k := HeaderKey(v)
		if k == "" {
			k = v
		}
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			st.distinct++
		}
	}
	return st
}

// bandBits is the mask of a band's columns, and false when the band goes
// past column 64.
func bandBits(bd Band) (uint64, bool) {
	if bd.First < 0 || bd.Last >= 64 || bd.Last < bd.First {
		return 0, false
	}
	return (^uint64(0) >> (63 - bd.Last)) &^ (1<<bd.First - 1), true
}

// rowFill counts a row's non-blank cells in a band, from the masks when
// the row has them.
func rowFill(r *read.Row, bd Band) int {
	if m, ok := bandBits(bd); ok && r.Masked {
		return bits.OnesCount64(r.NonBlank & m)
	}
	n := 0
	for c := bd.First; c <= bd.Last && c < len(r.Cells); c++ {
		if !read.IsBlank(r.Cells[c]) {
			n++
		}
	}
	return n
}

// spills reports whether a row has a value right outside the band (in a
// column no other table owns): it then belongs to something wider.
func (s *scan) spills(cells []string, bd Band, except *Table) bool {
	for _, c := range []int{bd.First - 1, bd.Last + 1} {
		if c >= 0 && c < len(cells) && !read.IsBlank(cells[c]) && s.free(c, except) {
			return true
		}
	}
	return false
}

// dataLike reports whether a row can be a data row under a header with
// hfill filled cells.
func (s *scan) dataLike(q *read.Row, bd Band, hfill int, except *Table) bool {
	n := rowFill(q, bd)
	return n*2 >= hfill && n >= min(2, hfill) && !s.spills(q.Cells, bd, except)
}

// mismatches counts the cells of a header candidate whose shape differs
// from the shape two data rows agree on (numbers, dates, e-mails, codes).
func mismatches(h rowStats, d1, d2 rowStats) int {
	n := 0
	for i, hc := range h.classes {
		dc := d1.classes[i]
		if hc == classEmpty || dc != d2.classes[i] || dc == classEmpty || dc == classWord || dc == classMarker {
			continue
		}
		if hc != dc {
			n++
		}
	}
	return n
}

func (s *scan) synonymHits(cells []string, bd Band) int {
	n := 0
	for c := bd.First; c <= bd.Last && c < len(cells); c++ {
		if v := cells[c]; len(v) <= 80 && s.synonym(HeaderKey(v)) {
			n++
		}
	}
	return n
}

// headerish reports whether a row's cells read like column labels.
func headerish(st rowStats, minLabelPct int) bool {
	return st.fill >= 2 && st.labels*100 >= st.fill*minLabelPct &&
		st.colons*2 < st.fill && st.distinct*2 >= st.fill
}

// stacked tries r as a group header row above a leaf header row: a
// sparser row of group labels over a fuller row of labels, or a row of
// labels some of which span several columns of the row of labels (often
// years) under them.
func (s *scan) stacked(r *read.Row, next []*read.Row, bd Band, except *Table) (candidate, bool) {
	if len(next) < 2 || isCategory(next[0], bd) {
		return candidate{}, false
	}
	leaf := next[0]
	g, l := stats(r.Cells, bd), stats(leaf.Cells, bd)
	w := bd.Width()
	if g.fill < 2 || g.labels != g.fill || g.colons > 0 || !headerish(l, 80) ||
		s.spills(leaf.Cells, bd, except) || s.spills(r.Cells, bd, except) {
		return candidate{}, false
	}
	union := 0
	for i := range w {
		if g.classes[i] != classEmpty || l.classes[i] != classEmpty {
			union++
		}
	}
	grouped := g.fill*3 >= w && g.fill < l.fill && l.fill*2 >= w
	spanned := union*2 >= w && l.fill < w && spans(g, l)
	if !grouped && !spanned {
		return candidate{}, false
	}
	fill := l.fill
	if spanned {
		fill = union
	}
	data := s.dataRows(next[1:], bd, fill, except)
	if dataCount(data, bd) < 2 {
		return candidate{}, false
	}
	mis, syn := mismatches(l, stats(data[0].Cells, bd), stats(data[1].Cells, bd)), s.synonymHits(leaf.Cells, bd)
	if d := firstData(data, bd); d >= 0 {
		mis = mismatches(l, stats(data[d].Cells, bd), stats(data[d+1].Cells, bd))
	}
	if mis == 0 && syn == 0 {
		return candidate{}, false
	}
	what := "a group row above a row of labels"
	if spanned && !grouped {
		what = "a row of labels spanning the labels of the row under it"
	}
	return candidate{band: bd, headers: []*read.Row{r, leaf}, data: data,
		evidence: evidence(what, mis, syn, leaf.Num-r.Num-1, data[0].Num-leaf.Num-1)}, true
}

// spans reports whether a group row's labels each stand over leaf labels
// (a label at or left of each leaf cell), one of them over several: the
// shape a merged group cell over sub-columns leaves.
func spans(g, l rowStats) bool {
	group, under, wide := false, 0, false
	for i := range l.classes {
		if g.classes[i] != classEmpty {
			group, under = true, 0
		}
		if l.classes[i] == classEmpty {
			continue
		}
		if !group {
			return false
		}
		under++
		if under >= 2 {
			wide = true
		}
	}
	return wide
}

// firstData is the index of the first of two consecutive data rows (not
// categories) among the picked rows, or -1.
func firstData(rows []*read.Row, bd Band) int {
	for i := 0; i+1 < len(rows); i++ {
		if !isCategory(rows[i], bd) && !isCategory(rows[i+1], bd) {
			return i
		}
	}
	return -1
}

// single tries r as a one-row header over two data rows, or over one data
// row that ends the table (a one-row table: at least three columns or
// two headers naming configured fields, labels over a row that is not
// all labels).
func (s *scan) single(r *read.Row, next []*read.Row, bd Band, except *Table) (candidate, bool) {
	h := stats(r.Cells, bd)
	if h.fill*2 < bd.Width() || !headerish(h, 50) || s.spills(r.Cells, bd, except) {
		return candidate{}, false
	}
	data := s.dataRows(next, bd, h.fill, except)
	syn := s.synonymHits(r.Cells, bd)
	switch dataCount(data, bd) {
	case 0:
		return candidate{}, false
	case 1:
		d := data[len(data)-1]
		ds := stats(d.Cells, bd)
		if len(data) != 1 || bd.Width() < 3 && syn < 2 || !headerish(h, 80) || ds.labels == ds.fill && syn < 2 {
			return candidate{}, false
		}
		return candidate{band: bd, headers: []*read.Row{r}, data: data,
			evidence: append(evidence("a row of labels", 0, syn, 0, d.Num-r.Num-1),
				"one data row: values that are not labels under it, and nothing like data after it")}, true
	}
	d := max(firstData(data, bd), 0)
	s1 := stats(data[d].Cells, bd)
	// A row right below that reads more like a header than r does means r
	// is a title or preamble line, not the header.
	if d == 0 && len(data) == 2 && len(next) >= 3 && headerish(s1, 80) {
		s2, s3 := stats(data[1].Cells, bd), stats(next[2].Cells, bd)
		if mismatches(s1, s2, s3) > mismatches(h, s1, s2) ||
			s.synonymHits(data[0].Cells, bd) > syn {
			return candidate{}, false
		}
	}
	mis := mismatches(h, s1, stats(data[d+1].Cells, bd))
	return candidate{band: bd, headers: []*read.Row{r}, data: data,
		evidence: evidence("a row of labels", mis, syn, 0, data[0].Num-r.Num-1)}, true
}

// evidence describes a confirmed header.
func evidence(what string, mismatched, synonyms, headerGap, dataGap int) []string {
	out := []string{what + " over data rows"}
	if headerGap > 0 {
		out = append(out, itoa(headerGap)+" blank row(s) between the header rows")
	}
	if dataGap > 0 {
		out = append(out, itoa(dataGap)+" blank row(s) between the header and the data")
	}
	if mismatched > 0 {
		out = append(out, itoa(mismatched)+" column(s) whose data differ in shape from their label")
	}
	if synonyms > 0 {
		out = append(out, itoa(synonyms)+" header(s) naming configured fields")
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

// open starts a table from a confirmed candidate.
func (s *scan) open(c candidate) error {
	t := newTable(len(s.tables)+1, c)
	// The open tables stay in band order (bands never overlap).
	at := sort.Search(len(s.active), func(i int) bool { return s.active[i].Band.First > t.Band.First })
	s.active = append(s.active, nil)
	copy(s.active[at+1:], s.active[at:])
	s.active[at] = t
	s.own(t.Band, t)
	s.tables = append(s.tables, t)
	return s.sink.Begin(t)
}

// why explains a sheet without tables.
func (s *scan) why() (string, string) {
	switch {
	case s.nonBlank == 0:
		return ReasonEmpty, "the sheet has no values"
	case s.headerLike > 0:
		return ReasonHeaderOnly, "row " + itoa(s.headerLike) + " reads like a header but no data rows follow it"
	}
	return ReasonProse, "no row of labels over rows of values (text or notes only)"
}
