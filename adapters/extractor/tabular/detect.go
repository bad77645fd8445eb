package tabular

import (
	"context"
	"io"
	"math"
	"math/bits"
	"strings"
)

// Detection constants. They are fixed (never tuned per file) and
// documented in docs/configuration.md.
const (
	// lookahead is how many rows after the cursor a header needs to be
	// confirmed: a leaf header row and two data rows.
	lookahead = 3
	// maxGapRows is the most rows (blank or sparse) a table may hold between
	// two full data rows; a longer gap ends the table.
	maxGapRows = 3
	// maxGapSparse is the most sparse (non-blank but under-filled) rows such
	// a gap may hold.
	maxGapSparse = 2
	// profileRows is how many data rows the per-column value shapes are
	// learnt from.
	profileRows = 50
	// cancelEvery is how often (in rows) row loops look at the context.
	cancelEvery = 256
)

// band is a table's inclusive column range (0-based).
type band struct{ a, b int }

func (b band) width() int { return b.b - b.a + 1 }

// sheetScan detects the tables of one sheet in one streaming pass. The
// cursor row is compared with every open table (continuation) and then, in
// the columns no open table owns, searched for a new header confirmed by
// the rows after it. Rows a table held back and then gave up are replayed.
type sheetScan struct {
	ctx    context.Context
	x      *extraction
	sheet  string
	info   sheetInfo
	src    rowReader
	eof    bool
	read   int
	queue  []*row
	active []*table
	tables []*table
}

func (s *sheetScan) run() error {
	for {
		if err := s.fill(lookahead + 1); err != nil {
			return err
		}
		if len(s.queue) == 0 {
			if len(s.active) == 0 {
				return nil
			}
			if err := s.end(s.active[0], nil); err != nil {
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
func (s *sheetScan) fill(n int) error {
	for len(s.queue) < n && !s.eof {
		s.read++
		if s.read%cancelEvery == 0 {
			if err := s.ctx.Err(); err != nil {
				return cancelled(err)
			}
		}
		r, err := s.src.next()
		if err == io.EOF {
			s.eof = true
			break
		}
		if err != nil {
			return err
		}
		if r.masked && r.nonBlank == 0 || !r.masked && rowBlank(r.cells) {
			continue
		}
		s.queue = append(s.queue, r)
	}
	return nil
}

// oldestRow is the number of the oldest row the scan holds (in the
// look-ahead queue or held back by an open table), or MaxInt. Between two
// calls of fill no other row is referenced: the CSV reader reuses the
// memory of older rows. Code that keeps a *row or its cells longer must
// be accounted for here.
func (s *sheetScan) oldestRow() int {
	n := math.MaxInt
	for _, q := range s.queue {
		n = min(n, q.num)
	}
	for _, t := range s.active {
		for _, p := range t.pending {
			n = min(n, p.num)
		}
	}
	return n
}

// summaryKeys are the normalized first cells of a totals line.
var summaryKeys = map[string]bool{
	"total": true, "totals": true, "subtotal": true, "subtotals": true,
	"grandtotal": true, "grandtotals": true,
}

// isSummary reports whether a row's first non-blank cell in the band
// names a total.
func isSummary(cells []string, bd band) bool {
	for c := bd.a; c <= bd.b && c < len(cells); c++ {
		if !isBlank(cells[c]) {
			v := strings.TrimSpace(cells[c])
			if len(v) >= 40 || len(v) < 3 || (v[0]|0x20 != 't' && v[0]|0x20 != 's' && v[0]|0x20 != 'g') {
				return false
			}
			var buf [48]byte
			return summaryKeys[string(appendNormalized(buf[:0], v))]
		}
	}
	return false
}

func rowBlank(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

func (s *sheetScan) process(r *row) error {
	for i := 0; i < len(s.active); i++ {
		t := s.active[i]
		if r.num <= t.lastSeen {
			continue
		}
		ended, err := s.step(t, r)
		if err != nil || ended {
			return err
		}
	}
	for _, c := range s.candidates(r, nil) {
		if err := s.open(c); err != nil {
			return err
		}
	}
	return nil
}

// step feeds row r to table t. It reports true when t ended: r and the
// rows t held back are then back at the front of the queue.
func (s *sheetScan) step(t *table, r *row) (bool, error) {
	blanks := r.num - t.lastSeen - 1
	t.lastSeen = r.num
	t.gap += blanks
	n, spill := t.fill(r)
	blankGap := t.gap > len(t.pending)
	switch {
	case r.num <= t.confirmed:
		// The rows that confirmed the header are data by construction.
		for _, p := range t.pending {
			if err := t.addData(p); err != nil {
				return false, err
			}
		}
		t.pending, t.gap = t.pending[:0], 0
		return false, t.addData(r)
	case n == 0 && (spill || (t.gap > 0 && s.foreign(r.cells, t))):
		// Nothing inside the band but a value right beside it, or after a
		// blank row a value no open table owns: a title or label of
		// something else. The table is over.
		return true, s.end(t, r)
	case n > 0 && isSummary(r.cells, t.band):
		// A totals line closes the table; it is not data.
		return true, s.end(t, r)
	case n > 0 && blankGap && len(t.pending) > 0:
		// A note set off by a blank row separates tables.
		return true, s.end(t, r)
	case n == 0:
		t.gap++
		if t.gap > maxGapRows {
			return true, s.end(t, r)
		}
		return false, nil
	case !spill && n*2 >= t.refFill && n >= min(2, t.refFill):
		if t.headerSignal(r, s.x.cfg) && s.headerIn(r, t) {
			return true, s.end(t, r)
		}
		if t.gap > maxGapRows {
			return true, s.end(t, r)
		}
		for _, p := range t.pending {
			if err := t.addData(p); err != nil {
				return false, err
			}
		}
		t.pending, t.gap = t.pending[:0], 0
		return false, t.addData(r)
	default:
		if s.headerIn(r, t) {
			return true, s.end(t, r)
		}
		t.pending = append(t.pending, r)
		t.gap++
		if t.gap > maxGapRows || len(t.pending) > maxGapSparse || blankGap {
			return true, s.end(t, r)
		}
		return false, nil
	}
}

// end closes table t and puts the rows it held back (and the cursor row r,
// unless nil) back at the front of the queue.
func (s *sheetScan) end(t *table, r *row) error {
	for i, a := range s.active {
		if a == t {
			s.active = append(s.active[:i], s.active[i+1:]...)
			break
		}
	}
	replay := make([]*row, 0, len(t.pending)+1+len(s.queue))
	for _, p := range t.pending {
		if r == nil || p != r {
			replay = append(replay, p)
		}
	}
	if r != nil {
		replay = append(replay, r)
	}
	t.pending = nil
	s.queue = append(replay, s.queue...)
	return t.finish()
}

// foreign reports whether a row has a value in columns that neither t nor
// any other open table owns.
func (s *sheetScan) foreign(cells []string, t *table) bool {
	for c, v := range cells {
		if (c < t.band.a || c > t.band.b) && !isBlank(v) && s.free(c, nil) {
			return true
		}
	}
	return false
}

// headerIn reports whether a new table's header starts at row r in
// columns that overlap table t.
func (s *sheetScan) headerIn(r *row, t *table) bool {
	for _, c := range s.candidates(r, t) {
		if c.band.a <= t.band.b && c.band.b >= t.band.a {
			return true
		}
	}
	return false
}

// candidate is a confirmed header: its band and header rows.
type candidate struct {
	band    band
	headers []*row // one row, or a group row above the leaf row
	data    [2]*row
}

// free reports whether column c belongs to no open table other than except.
func (s *sheetScan) free(c int, except *table) bool {
	for _, t := range s.active {
		if t != except && c >= t.band.a && c <= t.band.b {
			return false
		}
	}
	return true
}

// anyFree reports whether a column below width belongs to no open table
// other than except.
func (s *sheetScan) anyFree(width int, except *table) bool {
	for c := 0; c < width; c++ {
		if s.free(c, except) {
			return true
		}
	}
	return false
}

// following appends to buf the rows right below r (contiguous, non-blank),
// at most cap(buf) of them, from the look-ahead queue.
func (s *sheetScan) following(r *row, buf []*row) []*row {
	out := buf[:0]
	want := r.num + 1
	for _, q := range s.queue {
		if q.num < want {
			continue
		}
		if q.num != want || len(out) == cap(buf) {
			break
		}
		out = append(out, q)
		want++
	}
	return out
}

// candidates finds the tables whose header starts at row r, in columns no
// open table (except `except`) owns, left to right.
func (s *sheetScan) candidates(r *row, except *table) []candidate {
	var buf [lookahead]*row
	next := s.following(r, buf[:])
	if len(next) < 2 {
		return nil
	}
	width := len(r.cells)
	for _, q := range next[:2] {
		width = max(width, len(q.cells))
	}
	if !s.anyFree(width, except) {
		return nil // the common case inside a table: nothing to look at
	}
	occupied := func(c int) bool {
		if !s.free(c, except) {
			return false
		}
		if c < len(r.cells) && !isBlank(r.cells[c]) {
			return true
		}
		for _, q := range next[:2] {
			if c < len(q.cells) && !isBlank(q.cells[c]) {
				return true
			}
		}
		return false
	}
	var out []candidate
	for c := 0; c < width; {
		if !occupied(c) {
			c++
			continue
		}
		a := c
		for c < width && occupied(c) {
			c++
		}
		bd := band{a, c - 1}
		if bd.width() < 2 {
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

func stats(cells []string, bd band) rowStats {
	st := rowStats{classes: make([]cellClass, bd.width())}
	seen := make(map[string]struct{}, bd.width())
	for c := bd.a; c <= bd.b && c < len(cells); c++ {
		v := strings.TrimSpace(cells[c])
		if v == "" {
			continue
		}
		st.fill++
		cl := classify(v)
		st.classes[c-bd.a] = cl
		if isLabel(cl, v) {
			st.labels++
		}
		if strings.HasSuffix(v, ":") {
			st.colons++
		}
		k := normalizeHeader(v)
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

// rowFill is fillOf(r.cells, bd), from the masks when the row has them.
func rowFill(r *row, bd band) int {
	if m, ok := bandBits(bd); ok && r.masked {
		return bits.OnesCount64(r.nonBlank & m)
	}
	return fillOf(r.cells, bd)
}

func fillOf(cells []string, bd band) int {
	n := 0
	for c := bd.a; c <= bd.b && c < len(cells); c++ {
		if !isBlank(cells[c]) {
			n++
		}
	}
	return n
}

// spills reports whether a row has a value right outside the band (in a
// column no other table owns): it then belongs to something wider.
func (s *sheetScan) spills(cells []string, bd band, except *table) bool {
	for _, c := range []int{bd.a - 1, bd.b + 1} {
		if c >= 0 && c < len(cells) && !isBlank(cells[c]) && s.free(c, except) {
			return true
		}
	}
	return false
}

// dataLike reports whether a row can be a data row under a header with
// hfill filled cells.
func (s *sheetScan) dataLike(q *row, bd band, hfill int, except *table) bool {
	n := rowFill(q, bd)
	return n*2 >= hfill && n >= min(2, hfill) && !s.spills(q.cells, bd, except)
}

// mismatches counts the cells of a header candidate whose shape differs
// from the shape two data rows agree on (numbers, dates, e-mails, codes).
func mismatches(h rowStats, d1, d2 rowStats) int {
	n := 0
	for i, hc := range h.classes {
		dc := d1.classes[i]
		if hc == classEmpty || dc != d2.classes[i] || dc == classEmpty || dc == classWord {
			continue
		}
		if hc != dc {
			n++
		}
	}
	return n
}

func (s *sheetScan) synonymHits(cells []string, bd band) int {
	n := 0
	for c := bd.a; c <= bd.b && c < len(cells); c++ {
		if s.x.cfg.isSynonym(cells[c]) {
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

// stacked tries r as a group header row above a leaf header row.
func (s *sheetScan) stacked(r *row, next []*row, bd band, except *table) (candidate, bool) {
	if len(next) < 3 {
		return candidate{}, false
	}
	leaf, d1, d2 := next[0], next[1], next[2]
	g, l := stats(r.cells, bd), stats(leaf.cells, bd)
	w := bd.width()
	if g.fill < 2 || g.fill*3 < w || g.fill >= l.fill || l.fill*2 < w ||
		g.labels != g.fill || g.colons > 0 || !headerish(l, 80) {
		return candidate{}, false
	}
	if !s.dataLike(d1, bd, l.fill, except) || !s.dataLike(d2, bd, l.fill, except) ||
		s.spills(leaf.cells, bd, except) || s.spills(r.cells, bd, except) {
		return candidate{}, false
	}
	if mismatches(l, stats(d1.cells, bd), stats(d2.cells, bd)) == 0 && s.synonymHits(leaf.cells, bd) == 0 {
		return candidate{}, false
	}
	return candidate{band: bd, headers: []*row{r, leaf}, data: [2]*row{d1, d2}}, true
}

// single tries r as a one-row header.
func (s *sheetScan) single(r *row, next []*row, bd band, except *table) (candidate, bool) {
	h := stats(r.cells, bd)
	if h.fill*2 < bd.width() || !headerish(h, 50) || s.spills(r.cells, bd, except) {
		return candidate{}, false
	}
	d1, d2 := next[0], next[1]
	if !s.dataLike(d1, bd, h.fill, except) || !s.dataLike(d2, bd, h.fill, except) {
		return candidate{}, false
	}
	// A row right below that reads more like a header than r does means r
	// is a title or preamble line, not the header.
	if len(next) >= 3 {
		s1 := stats(d1.cells, bd)
		if headerish(s1, 80) {
			s2, s3 := stats(d2.cells, bd), stats(next[2].cells, bd)
			if mismatches(s1, s2, s3) > mismatches(h, s1, s2) ||
				s.synonymHits(d1.cells, bd) > s.synonymHits(r.cells, bd) {
				return candidate{}, false
			}
		}
	}
	return candidate{band: bd, headers: []*row{r}, data: [2]*row{d1, d2}}, true
}

// open starts a table from a confirmed candidate.
func (s *sheetScan) open(c candidate) error {
	t := s.x.newTable(s, c)
	at := len(s.active)
	for i, a := range s.active {
		if a.band.a > t.band.a {
			at = i
			break
		}
	}
	s.active = append(s.active, nil)
	copy(s.active[at+1:], s.active[at:])
	s.active[at] = t
	s.tables = append(s.tables, t)
	return nil
}
