package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The instants every store and the API can represent. RFC 3339 has
// four-digit years; PostgreSQL's timestamptz and SQLite's fixed-width time
// text (see adapters/bunstore) keep microseconds. An accepted time lies in
// [MinTime, MaxTime] once converted to UTC.
var (
	// MinTime is the earliest accepted instant, 0001-01-01T00:00:00Z.
	MinTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	// MaxTime is the latest accepted instant, 9999-12-31T23:59:59.999999Z.
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// TimeBounds describes [MinTime, MaxTime] for error messages.
const TimeBounds = "between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z (in UTC)"

// ValidateTime checks that t lies within [MinTime, MaxTime].
func ValidateTime(t time.Time) error {
	if t.Before(MinTime) || t.After(MaxTime) {
		return errString("must be " + TimeBounds)
	}
	return nil
}

// clampTime brings t into [MinTime, MaxTime].
func clampTime(t time.Time) time.Time {
	switch {
	case t.Before(MinTime):
		return MinTime
	case t.After(MaxTime):
		return MaxTime
	}
	return t
}

// ValidateLine checks a single-line text value given by a client (a name,
// a title, an id, a filter): valid UTF-8 without control characters. NUL,
// which no PostgreSQL text column can hold, is one of them.
func ValidateLine(s string) error {
	if !utf8.ValidString(s) {
		return errString("must be valid UTF-8")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return errString("must not contain control characters")
	}
	return nil
}

// ValidateText checks a free text value given by a client (a reason):
// valid UTF-8 without control characters other than tab, line feed and
// carriage return.
func ValidateText(s string) error {
	if !utf8.ValidString(s) {
		return errString("must be valid UTF-8")
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }) >= 0 {
		return errString("must not contain control characters other than tab and line breaks")
	}
	return nil
}

// ScrubText makes text that ADE did not choose (what an extractor read
// from a document) storable everywhere: invalid UTF-8 and NUL become
// U+FFFD, the replacement character. PostgreSQL text and jsonb cannot hold
// NUL; the same rule on every store keeps results identical across them.
func ScrubText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// bidiControls are the Unicode bidirectional formatting characters: in a
// filename they can make "invoice\u202Efdp.exe" display as
// "invoiceexe.pdf".
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F':
		return true
	case r >= '\u202A' && r <= '\u202E':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
