package mapping

import "regexp"

// Internals the external test package exercises directly.
var (
	TitleCase      = titleCase
	TitleCaseRunes = titleCaseRunes
	CollapseSpaces = collapseSpaces
	FullName       = fullName
)

// NewMatcher returns the matcher of re as a function.
func NewMatcher(re *regexp.Regexp) func(string) bool { return newMatcher(re).MatchString }
