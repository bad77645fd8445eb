package tabular

import "regexp"

// Internals the external test package exercises directly.
var (
	ApplyTransforms = applyTransforms
	NormalizeHeader = normalizeHeader
	ParseDate       = parseDate
	ValidDate       = validDate
	TitleCase       = titleCase
	TitleCaseRunes  = titleCaseRunes
)

// NewMatcher returns the extractor's matcher of re as a function.
func NewMatcher(re *regexp.Regexp) func(string) bool { return newMatcher(re).MatchString }

// CellBits checks the one-pass cell test against its definition.
func CellBits(s string) (got, want [2]bool) {
	a, b := cellBits(s)
	return [2]bool{a, b}, [2]bool{!isBlank(s), maybeLabel(s)}
}

// CSVNeedsQuotes is the output's quoting rule.
var CSVNeedsQuotes = csvNeedsQuotes

// RecycleCSVBatches turns the reuse of parsed rows' memory on or off.
func RecycleCSVBatches(on bool) { recycleCSVBatches = on }
