package detect

import (
	"context"
	"errors"
	"io"
	"math"
	"sort"
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
		if errors.Is(err, io.EOF) {
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
