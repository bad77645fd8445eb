package detect

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

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
