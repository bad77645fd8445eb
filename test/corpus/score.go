package corpus

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ade-go/ade/ports"
)

// Found is one table an extraction reported, in the truth's terms.
type Found struct {
	Sheet      string
	HeaderRows []int
	FirstData  int
	LastData   int
	FirstCol   int
	LastCol    int
}

// FoundTables reads the tables of an extraction result.
func FoundTables(res ports.ExtractionResult) ([]Found, error) {
	var out []Found
	for _, t := range res.Tables {
		f := Found{Sheet: t.Sheet}
		rng, _ := t.Metadata["range"].(string)
		a, b, ok := strings.Cut(rng, ":")
		if !ok {
			return nil, fmt.Errorf("table %s: range %q", t.Title, rng)
		}
		f.FirstCol, f.LastCol = colOf(a), colOf(b)
		if hr, ok := t.Metadata["header_rows"].([]any); ok {
			for _, h := range hr {
				f.HeaderRows = append(f.HeaderRows, h.(int))
			}
		} else {
			f.HeaderRows = []int{t.Metadata["header_row"].(int)}
		}
		f.FirstData, _ = t.Metadata["first_data_row"].(int)
		f.LastData, _ = t.Metadata["last_data_row"].(int)
		out = append(out, f)
	}
	return out, nil
}

func colOf(ref string) int {
	n := 0
	for _, r := range ref {
		if r < 'A' || r > 'Z' {
			break
		}
		n = n*26 + int(r-'A'+1)
	}
	return n - 1
}

// DataRows are the rows a found table holds as data: the rows from its
// first to its last data row with a value in its columns.
func (c Case) DataRows(f Found) []int {
	var out []int
	for r := f.FirstData; r <= f.LastData; r++ {
		for col := f.FirstCol; col <= f.LastCol; col++ {
			if strings.TrimSpace(c.Cell(f.Sheet, r, col)) != "" {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Score counts how well found tables agree with the truth.
type Score struct {
	// Expected and Found count tables; Matched counts expected tables a
	// found table covers; HeadersRight those whose header rows are exact.
	Expected, Found, Matched, HeadersRight int
	// TruthRows and FoundRows count data rows; RightRows those in both.
	TruthRows, FoundRows, RightRows int
}

// Add sums two scores.
func (s Score) Add(o Score) Score {
	return Score{s.Expected + o.Expected, s.Found + o.Found, s.Matched + o.Matched, s.HeadersRight + o.HeadersRight,
		s.TruthRows + o.TruthRows, s.FoundRows + o.FoundRows, s.RightRows + o.RightRows}
}

// Precision is the share of found data rows that are data rows.
func (s Score) Precision() float64 { return ratio(s.RightRows, s.FoundRows) }

// Recall is the share of data rows found.
func (s Score) Recall() float64 { return ratio(s.RightRows, s.TruthRows) }

// HeaderAccuracy is the share of expected tables found with exactly
// their header rows.
func (s Score) HeaderAccuracy() float64 { return ratio(s.HeadersRight, s.Expected) }

// TableAccuracy is the matched tables over the larger of the expected and
// found counts, so missed and extra tables both cost.
func (s Score) TableAccuracy() float64 { return ratio(s.Matched, max(s.Expected, s.Found)) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Score compares found tables with the case's truth.
func (c Case) Score(found []Found) Score {
	truth := c.Tables()
	s := Score{Expected: len(truth), Found: len(found)}
	for _, t := range truth {
		s.TruthRows += len(t.DataRows)
	}
	used := make([]bool, len(found))
	for _, f := range found {
		s.FoundRows += len(c.DataRows(f))
	}
	for _, t := range truth {
		best, bestOverlap := -1, 0
		for i, f := range found {
			if used[i] || f.Sheet != t.Sheet {
				continue
			}
			overlap := 0
			for _, r := range c.DataRows(f) {
				if slices.Contains(t.DataRows, r) && f.FirstCol <= t.LastCol && f.LastCol >= t.FirstCol {
					overlap++
				}
			}
			if overlap > bestOverlap {
				best, bestOverlap = i, overlap
			}
		}
		if best < 0 {
			continue
		}
		used[best] = true
		s.Matched++
		s.RightRows += bestOverlap
		if slices.Equal(found[best].HeaderRows, t.HeaderRows) {
			s.HeadersRight++
		}
	}
	return s
}
