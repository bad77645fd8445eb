package detect

import (
	"math/bits"
	"strings"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

// Band is a table's inclusive column range (0-based).
type Band struct{ First, Last int }

// Width is the number of columns of the band.
func (b Band) Width() int { return b.Last - b.First + 1 }

// Column is one column of a table's header.
type Column struct {
	// Col is the 0-based source column.
	Col int
	// Leaf is the header cell right above the data.
	Leaf string
	// Group is the group header above it (stacked headers), carried
	// rightwards like a merged cell; "" without one.
	Group string
	// Header is the display header: unique within the table, column_<X>
	// when blank, the group and leaf joined under a group.
	Header string
}

// Table is one detected table. Its layout is known when the Sink's Begin
// sees it; its row counts and ending grow while rows stream past and are
// final at End.
type Table struct {
	// Index counts tables within the sheet, from 1, in the order they
	// were found (top to bottom, then left to right).
	Index int
	// Band is the table's column range.
	Band Band
	// HeaderRows are the header's row numbers (two for stacked headers).
	HeaderRows []int
	// Columns are the header's columns, one per column of the band.
	Columns []Column
	// Rows counts the data rows; FirstDataRow and LastDataRow are the
	// first and last one's numbers.
	Rows, FirstDataRow, LastDataRow int
	// HiddenRows counts the data rows that were hidden.
	HiddenRows int
	// TotalRows are the data rows whose first cell names a total
	// ("Total", "Subtotal", "Grand total"...).
	TotalRows []int
	// Evidence says why the header was taken for one.
	Evidence []string
	// EndReason says why the table ended, EndRow at which row (0 for the
	// end of the sheet).
	EndReason string
	EndRow    int

	headerKeys []string
	headerSet  map[string]bool
	normBuf    []byte
	refFill    int

	lastSeen  int
	confirmed int // last row of the header's confirmation
	gap       int
	pending   []*read.Row

	profile  [][classCount]int32
	profiled int
}

// Detection constants. They are fixed (never tuned per file) and
// documented in docs/configuration.md.
const (
	// lookahead is how many non-blank rows after the cursor a header may
	// look at to be confirmed: a leaf header row, two category rows and
	// two data rows.
	lookahead = 5
	// maxHeaderGap is the most blank rows between the rows that confirm a
	// header: between stacked header rows, between the header and the
	// data, and between the first two data rows.
	maxHeaderGap = 2
	// maxCategories is the most category rows (a label alone in the first
	// columns) before or between the two rows that confirm a header.
	maxCategories = 2
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

func newTable(index int, c candidate) *Table {
	t := &Table{
		Index: index, Band: c.band, Evidence: c.evidence,
		profile: make([][classCount]int32, c.band.Width()),
	}
	for _, h := range c.headers {
		t.HeaderRows = append(t.HeaderRows, h.Num)
	}
	t.lastSeen = c.headers[len(c.headers)-1].Num
	for _, d := range c.data {
		t.confirmed = d.Num
		t.refFill = max(t.refFill, rowFill(d, c.band))
	}
	leafRow := c.headers[len(c.headers)-1]
	var groupRow *read.Row
	if len(c.headers) > 1 {
		groupRow = c.headers[0]
	}
	group := ""
	seen := map[string]int{}
	for col := c.band.First; col <= c.band.Last; col++ {
		cl := Column{Col: col}
		cl.Leaf = cellText(leafRow.Cells, col)
		if groupRow != nil {
			if g := cellText(groupRow.Cells, col); g != "" {
				group = g
			}
			cl.Group = group
		}
		h := cl.Leaf
		switch {
		case h == "" && cl.Group != "":
			h = cl.Group
		case h == "":
			h = "column_" + read.ColumnLetter(col)
		case cl.Group != "" && !strings.Contains(strings.ToLower(h), strings.ToLower(cl.Group)):
			h = cl.Group + " " + h
		}
		cl.Header = UniqueName(h, seen)
		t.Columns = append(t.Columns, cl)
		t.headerKeys = append(t.headerKeys, HeaderKey(cl.Leaf))
	}
	t.headerSet = map[string]bool{}
	for _, h := range t.headerKeys {
		if h != "" {
			t.headerSet[h] = true
		}
	}
	return t
}

// fill counts the table's non-blank cells in a row and reports whether the
// row spills into the columns right outside the band.
func (t *Table) fill(r *read.Row) (int, bool) {
	cells := r.Cells
	n := rowFill(r, t.Band)
	spill := false
	for _, c := range []int{t.Band.First - 1, t.Band.Last + 1} {
		if c >= 0 && c < len(cells) && !read.IsBlank(cells[c]) {
			spill = true
		}
	}
	return n, spill
}

// dominant is the value shape most of a column's profiled data shares
// (numbers, dates, e-mails or codes), or classEmpty.
func (t *Table) dominant(i int) cellClass {
	var total, best int32
	bestClass := classEmpty
	for cl := classWord; cl < classCount; cl++ {
		if cl == classMarker {
			continue // a marker fits any column
		}
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
func (t *Table) headerSignal(r *read.Row, synonym func(string) bool) bool {
	// Cheap first look: a cell without letters, or with an '@', is no
	// label; more than a fifth of those and the row is data.
	fill, nonLabels := 0, 0
	if m, ok := bandBits(t.Band); ok && r.Masked {
		fill = bits.OnesCount64(r.NonBlank & m)
		nonLabels = bits.OnesCount64(r.NonBlank &^ r.Letters & m)
	} else {
		fill, nonLabels = t.labelFill(r)
	}
	if fill < 2 || nonLabels*5 > fill {
		return false
	}
	fill, labels, k, m := 0, 0, 0, 0
	for i := 0; i < t.Band.Width() && t.Band.First+i < len(r.Cells); i++ {
		v := r.Cells[t.Band.First+i]
		if read.IsBlank(v) {
			continue
		}
		fill++
		cl := classify(v)
		if isLabel(cl, v) {
			labels++
		}
		if d := t.dominant(i); d != classEmpty && cl != classMarker {
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
		for i := 0; i < t.Band.Width() && t.Band.First+i < len(r.Cells); i++ {
			v := r.Cells[t.Band.First+i]
			if read.IsBlank(v) || len(v) > 80 {
				continue
			}
			t.normBuf = appendKey(t.normBuf[:0], v)
			if len(t.normBuf) == 0 {
				continue
			}
			if t.headerSet[string(t.normBuf)] {
				rep++
			}
			if synonym(string(t.normBuf)) {
				syn++
			}
		}
		signal = rep*2 >= fill || syn >= 2
	}
	return signal && headerish(stats(r.Cells, t.Band), 80)
}

// labelFill counts a row's non-blank cells in the band, and those of them
// that cannot be labels (it may stop counting once those are more than a
// fifth of the band).
func (t *Table) labelFill(r *read.Row) (fill, nonLabels int) {
	for i := 0; i < t.Band.Width() && t.Band.First+i < len(r.Cells); i++ {
		v := r.Cells[t.Band.First+i]
		if read.IsBlank(v) {
			continue
		}
		fill++
		if !read.HasLetters(v) {
			nonLabels++
			if nonLabels*5 > t.Band.Width() {
				return fill, nonLabels // more than a fifth of any fill
			}
		}
	}
	return fill, nonLabels
}

// profileRow learns the column shapes from the first data rows.
func (t *Table) profileRow(r *read.Row) {
	if t.profiled >= profileRows {
		return
	}
	for i := 0; i < t.Band.Width(); i++ {
		v := ""
		if c := t.Band.First + i; c < len(r.Cells) {
			v = r.Cells[c]
		}
		t.profile[i][classify(v)]++
	}
	t.profiled++
}
