package detect

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

// HeaderKey is the key headers and synonyms are compared by: lower case,
// letters and digits only ("E-mail", "email" and "E mail" agree).
func HeaderKey(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		buf := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				buf = append(buf, c)
			case c >= 'A' && c <= 'Z':
				buf = append(buf, c+'a'-'A')
			}
		}
		return string(buf)
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// appendKey appends HeaderKey(s) to dst.
func appendKey(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return append(dst[:0], HeaderKey(s)...)
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			dst = append(dst, c)
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		}
	}
	return dst
}

// UniqueName returns name, or name_2, name_3... when a name equal to it
// ignoring case is already taken, and records the result.
func UniqueName(name string, seen map[string]int) string {
	key := strings.ToLower(name)
	if _, taken := seen[key]; !taken {
		seen[key] = 1
		return name
	}
	for n := seen[key] + 1; ; n++ {
		cand := fmt.Sprintf("%s_%d", name, n)
		if _, taken := seen[strings.ToLower(cand)]; !taken {
			seen[key] = n
			seen[strings.ToLower(cand)] = 1
			return cand
		}
	}
}

// cellText is a cell's value with white space trimmed and collapsed, in
// memory of its own: a header outlives its row.
func cellText(cells []string, col int) string {
	if col >= len(cells) {
		return ""
	}
	return strings.Clone(strings.Join(strings.Fields(cells[col]), " "))
}

// cellClass is the coarse shape of a value, used to tell header rows from
// data rows.
type cellClass uint8

const (
	classEmpty  cellClass = iota
	classWord             // letters, spaces and punctuation, no digits
	classCode             // letters mixed with digits ("Local 212", "M-2021-1")
	classNumber           // 12, -3.5, $1,309.00, 45%, (12.00)
	classDate             // 2024-01-31, 1/31/2024, 31.01.2024
	classEmail            // a@b.c
	classMarker           // a statistical value marker: (NA), (X), (D), -, Z
	classYear             // a year (1800-2100) in a header row; data read it as a number
	classCount
)

// classify returns a value's shape.
func classify(s string) cellClass {
	s = strings.TrimSpace(s)
	if s == "" {
		return classEmpty
	}
	if isMarker(s) {
		return classMarker
	}
	var letters, digits, at, dots, seps, other int
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '@':
			at++
		case r == '.':
			dots++
		case r == '-' || r == '/':
			seps++
		case unicode.IsLetter(r):
			letters++
		default:
			other++
		}
	}
	if at == 1 && dots > 0 && !strings.ContainsAny(s, " \t") {
		return classEmail
	}
	if digits > 0 && letters == 0 {
		if isNumberLike(s) {
			return classNumber
		}
		if read.LooksLikeDate(s) {
			return classDate
		}
		return classCode
	}
	if digits > 0 {
		if letters <= 9 && len(s) <= 30 && read.HasMonthName(s) {
			if _, ok := read.ParseDate(s); ok { // "Jan 2, 2024"
				return classDate
			}
		}
		return classCode
	}
	return classWord
}

// isNumberLike accepts numbers with grouping, currency, sign, percent and
// accounting parentheses.
func isNumberLike(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "(")
	s = strings.TrimSuffix(s, ")")
	s = strings.TrimLeft(s, "+-")
	s = strings.TrimLeft(s, "$€£¥ ")
	s = strings.TrimLeft(s, "+-")
	s = strings.TrimSuffix(s, "%")
	if s == "" {
		return false
	}
	dot := false
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ',' && !dot && digits > 0:
		case c == '.' && !dot:
			dot = true
		case (c == 'e' || c == 'E') && digits > 0 && i+1 < len(s):
			// scientific notation from a number format
		default:
			return false
		}
	}
	return digits > 0
}

// isLabel reports whether a value could be a column header: it has a
// letter, is not an e-mail or a date, and is short; or it is a year.
func isLabel(c cellClass, s string) bool {
	return (c == classWord || c == classCode) && len(s) <= 80 && read.HasLetters(s) || c == classYear
}

// markers are the value markers of published statistical tables: not
// available, not applicable, withheld, zero or rounds to zero, and the
// like. They count as values, never as labels.
var markers = map[string]bool{
	"(na)": true, "(x)": true, "(d)": true, "(s)": true, "(z)": true, "(b)": true, "(ns)": true, "(nn)": true,
	"(r)": true, "(p)": true, "(e)": true, "(*)": true, "na": true, "n/a": true, "n.a.": true, "x": true,
	"z": true, "d": true, "s": true, "-": true, "--": true, "---": true, "\u2013": true, "\u2014": true,
	".": true, "..": true, "...": true, "\u2026": true, "*": true, "**": true, "(-)": true, "nil": true,
}

// isMarker reports whether a trimmed value is a value marker.
func isMarker(s string) bool {
	if len(s) > 4 {
		return false
	}
	return markers[strings.ToLower(s)]
}

// isYear reports whether a trimmed value reads as a year from 1800 to
// 2100 ("1990", "2000.0"), as headers of statistical tables hold them.
func isYear(s string) bool {
	s = strings.TrimSuffix(s, ".0")
	if len(s) != 4 {
		return false
	}
	n := 0
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n >= 1800 && n <= 2100
}

// notePrefixes start the lines under (or above) a table that are neither
// header nor data: notes, sources, footnotes.
var notePrefixes = []string{"source:", "sources:", "source ", "note:", "notes:", "note ", "notes ",
	"footnote", "see ", "n.b.", "nb:", "*", "\u2020", "\u2021", "\u00a7"}

// isNote reports whether a cell reads as a note, a source line or a
// footnote: a known prefix, a footnote marker ("1/", "\1", "(1)"), a
// value marker explained ("(NA) Not available", "Z Fewer than 10"), or a
// sentence longer than a label.
func isNote(v string) bool {
	t := strings.TrimSpace(v)
	if len(t) > 60 {
		return true
	}
	lower := strings.ToLower(t)
	for _, p := range notePrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	first, rest, ok := strings.Cut(t, " ")
	if !ok || strings.TrimSpace(rest) == "" {
		return false
	}
	switch {
	case isMarker(first):
		return true
	case strings.HasPrefix(first, "\\") && len(first) > 1 && first[1] >= '0' && first[1] <= '9':
		return true
	case strings.HasSuffix(first, "/") && read.AllDigits(strings.TrimSuffix(first, "/")):
		return true
	case strings.HasPrefix(first, "(") && strings.HasSuffix(first, ")") && read.AllDigits(first[1:len(first)-1]):
		return true
	}
	return false
}
