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
