package mapping

import (
	"strings"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
)

// Totals is the audit of a table's total rows: each stated total of a
// number, integer or money field compared with the exact sum of the
// detail rows (the data rows that are not total rows) above it.
//
// The check runs only when the table ends with a total row: totals below
// their rows are added bottom-up, while a table whose total rows lead
// their sections (statistical tables often start with "Total, all
// industries") is not a sum of the rows above them. A total row is
// checked against the detail rows since the previous total row; when that
// does not match, or there are none (a grand total right after
// subtotals), against all the detail rows above it. Either matching is a
// match, so subtotals followed by a grand total, and an invoice's
// subtotal, tax line and total, both check out. A total row with no
// detail row above it is not checked.
type Totals struct {
	// Checked is true when the table ends with a total row.
	Checked bool
	// Rows counts the total rows checked; Values the stated totals
	// compared, Mismatched those that differ from their sums.
	Rows, Values, Mismatched int
	// Checks details the comparisons, in row order: every mismatch and
	// every match, each up to MaxIssues.
	Checks []TotalCheck
}

// Scopes of a TotalCheck.
const (
	// ScopeSection: the detail rows since the previous total row.
	ScopeSection = "section"
	// ScopeTable: every detail row above the total row.
	ScopeTable = "table"
)

// TotalCheck is one stated total compared with its sum.
type TotalCheck struct {
	// Row is the total row's number; Col the column's 0-based source
	// column, Field the field mapped to it.
	Row, Col int
	Field    string
	// Stated is the total row's canonical value; Computed the sum it
	// matched or, for a mismatch, the sum over Scope (the section when it
	// has rows); Above, for a mismatch, the sum of all detail rows above
	// when that is a different set of rows ("" otherwise).
	Stated, Computed, Above string
	Scope                   string
	Match                   bool
	// Added counts the values in Computed's sum; Skipped the values of its
	// rows that could not be added (invalid, or money in another
	// currency): a mismatch with Skipped > 0 may come from them.
	Added, Skipped int
}

// colSum is the running sums of one summable output column.
type colSum struct {
	typ       values.Type
	col       int         // the source column
	cur, done *values.Sum // the current section; the closed sections
	// Values of the sections that were not added (invalid, or money in
	// another currency), and the values done holds.
	curSkip, doneSkip int
	doneAdded         int
}

// upTo is the sum of every detail row so far, the values it adds and the
// values it could not. A section in another currency than the sections
// before it is not added: its values count as not added.
func (c *colSum) upTo() (*values.Sum, int, int) {
	sum, _ := values.NewSum(c.typ)
	added, skipped := 0, c.doneSkip+c.curSkip+c.cur.Skipped()
	for _, part := range []struct {
		s *values.Sum
		n int
	}{{c.done, c.doneAdded}, {c.cur, c.cur.Count()}} {
		if part.n == 0 {
			continue
		}
		if sum.AddValue(part.s.Value()) != nil {
			skipped += part.n
			continue
		}
		added += part.n
	}
	return sum, added, skipped
}

// totals keeps the sums of a table's summable columns as rows stream past,
// and the checks of its total rows until the table ends.
type totals struct {
	cols              []*colSum // by output column; nil: not summed
	any               bool
	curRows, doneRows int
	pending           Totals
	matches           int // matches kept in pending.Checks
	mismatches        int
	last              bool // the last row was a total row
}

// start prepares a sum for every number, integer and money column.
func (s *totals) start(plan []outPlan, columns []Column) {
	s.cols = make([]*colSum, len(plan))
	for j := range plan {
		p := &plan[j]
		if p.field == nil || p.parser == nil {
			continue
		}
		cur, err := values.NewSum(p.field.Type)
		if err != nil {
			continue // not summable
		}
		done, _ := values.NewSum(p.field.Type)
		s.cols[j] = &colSum{typ: p.field.Type, col: columns[p.col].Col, cur: cur, done: done}
		p.summed = true
		s.any = true
	}
}

// add counts one written row: a detail row's values are added, a total
// row's values are checked.
func (s *totals) add(plan []outPlan, out []string, row *pendingRow) {
	s.last = row.total
	if !s.any {
		return
	}
	if !row.total {
		s.curRows++
		for j, c := range s.cols {
			if c == nil {
				continue
			}
			if plan[j].start < 0 { // not a value of the type
				if !read.IsBlank(out[j]) {
					c.curSkip++
				}
				continue
			}
			// A refused value (another currency) is counted by the sum.
			if plan[j].hasVal {
				_ = c.cur.AddValue(plan[j].val)
			} else {
				_ = c.cur.Add(out[j])
			}
		}
		return
	}
	if s.curRows+s.doneRows > 0 {
		s.pending.Rows++
		for j, c := range s.cols {
			if c != nil && plan[j].start >= 0 && out[j] != "" {
				s.check(row.num, &plan[j], c, out[j])
			}
		}
	}
	// The section closes: its sum joins the closed sections'.
	for _, c := range s.cols {
		if c == nil {
			continue
		}
		c.done, c.doneAdded, c.doneSkip = c.upTo()
		c.cur, _ = values.NewSum(c.typ)
		c.curSkip = 0
	}
	s.doneRows += s.curRows
	s.curRows = 0
}

// check compares one stated total with the sums above it.
func (s *totals) check(num int, p *outPlan, c *colSum, stated string) {
	stated = strings.Clone(stated) // kept in the check: not the chunk it lies in
	tc := TotalCheck{Row: num, Col: c.col, Field: p.field.Name}
	var section, all values.Check
	var err error
	if s.curRows > 0 {
		if section, err = c.cur.Check(stated); err != nil {
			return
		}
		tc.Stated, tc.Computed, tc.Scope, tc.Match = section.Stated, section.Computed, ScopeSection, section.Match
		tc.Added, tc.Skipped = section.Count, section.Skipped+c.curSkip
	}
	if !tc.Match && s.doneRows > 0 {
		sum, added, skipped := c.upTo()
		if all, err = sum.Check(stated); err != nil {
			return
		}
		switch {
		case s.curRows == 0 || all.Match:
			tc.Stated, tc.Computed, tc.Scope, tc.Match = all.Stated, all.Computed, ScopeTable, all.Match
			tc.Added, tc.Skipped = added, skipped
		default:
			tc.Above = all.Computed
		}
	}
	s.pending.Values++
	if !tc.Match {
		s.pending.Mismatched++
	}
	switch {
	case tc.Match && s.matches < MaxIssues:
		s.matches++
	case !tc.Match && s.mismatches < MaxIssues:
		s.mismatches++
	default:
		return
	}
	s.pending.Checks = append(s.pending.Checks, tc)
}

// finish keeps the checks when the table ended with a total row.
func (s *totals) finish() Totals {
	if !s.last {
		return Totals{}
	}
	t := s.pending
	t.Checked = true
	return t
}
