package tabular

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// normalizeHeader is the key headers and synonyms are compared by: lower
// case, letters and digits only ("E-mail", "email" and "E mail" agree).
func normalizeHeader(s string) string {
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

// appendNormalized appends normalizeHeader(s) to dst.
func appendNormalized(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return append(dst[:0], normalizeHeader(s)...)
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			dst = append(dst, c)
		case c >= 'A' && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		}
	}
	return dst
}

// isBlank reports whether a cell holds nothing but white space.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.TrimSpace(s) == ""
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f' {
			return false
		}
	}
	return true
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
	classCount
)

// classify returns a value's shape.
func classify(s string) cellClass {
	s = strings.TrimSpace(s)
	if s == "" {
		return classEmpty
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
		if looksLikeDate(s) {
			return classDate
		}
		return classCode
	}
	if digits > 0 {
		if letters <= 9 && len(s) <= 30 && hasMonthName(s) {
			if _, ok := parseDate(s); ok { // "Jan 2, 2024"
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

func looksLikeDate(s string) bool {
	if _, _, _, _, ok := splitNumericDate(s); ok {
		return true
	}
	if strings.IndexByte(s, ':') >= 0 {
		if m := timeSuffix.FindStringSubmatch(s); m != nil {
			_, _, _, _, ok := splitNumericDate(m[1])
			return ok
		}
	}
	return false
}

// maybeLabel is a cheap over-approximation of isLabel: the value has a
// letter (or non-ASCII text) and no '@'.
func maybeLabel(s string) bool {
	if strings.IndexByte(s, '@') >= 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || isASCIILetter(c) {
			return true
		}
	}
	return false
}

// isLabel reports whether a value could be a column header: it has a
// letter, is not an e-mail or a date, and is short.
func isLabel(c cellClass, s string) bool {
	return (c == classWord || c == classCode) && len(s) <= 80 && maybeLabel(s)
}

// columnLetter returns the A1 letters of a 0-based column index.
func columnLetter(col int) string {
	col++
	var buf [8]byte
	i := len(buf)
	for col > 0 {
		col--
		i--
		buf[i] = byte('A' + col%26)
		col /= 26
	}
	return string(buf[i:])
}

// cellRef returns the A1 reference of a 0-based column and 1-based row.
func cellRef(col, row int) string {
	return columnLetter(col) + itoa(row)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// safeName keeps letters, digits, '-', '_' and '.' of s for a filename.
func safeName(s string) string {
	var b strings.Builder
	underscore := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
			underscore = false
			continue
		}
		if !underscore {
			b.WriteByte('_')
			underscore = true
		}
	}
	out := strings.Trim(b.String(), "_.")
	if out == "" {
		return "table"
	}
	return out
}
