package tabular

import "regexp"

// Internals the external test package exercises directly.
var (
	ApplyTransforms = applyTransforms
	NormalizeHeader = normalizeHeader
	ParseDate       = parseDate
)

// NewMatcher returns the extractor's matcher of re as a function.
func NewMatcher(re *regexp.Regexp) func(string) bool { return newMatcher(re).MatchString }
