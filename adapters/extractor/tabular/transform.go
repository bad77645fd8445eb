package tabular

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// applyTransforms runs a field's transforms in order. ok is false when a
// transform could not understand the value (an unparsable date); the value
// then keeps what the earlier transforms made of it.
func applyTransforms(transforms []string, v string) (string, bool) {
	return runTransforms(compileTransforms(transforms), v)
}

// transformFunc is one transform; ok is false when it could not
// understand the value.
type transformFunc func(v string) (out string, ok bool)

// compileTransforms resolves transform names once, for every row.
func compileTransforms(names []string) []transformFunc {
	out := make([]transformFunc, 0, len(names))
	for _, n := range names {
		if f, ok := transformFuncs[n]; ok {
			out = append(out, f)
		}
	}
	return out
}

func runTransforms(steps []transformFunc, v string) (string, bool) {
	ok := true
	for _, f := range steps {
		var good bool
		v, good = f(v)
		ok = ok && good
	}
	return v, ok
}

var transformFuncs = map[string]transformFunc{
	TransformTrim:           func(v string) (string, bool) { return strings.TrimSpace(v), true },
	TransformCollapseSpaces: func(v string) (string, bool) { return collapseSpaces(v), true },
	TransformLower:          func(v string) (string, bool) { return strings.ToLower(v), true },
	TransformUpper:          func(v string) (string, bool) { return strings.ToUpper(v), true },
	TransformTitle:          func(v string) (string, bool) { return titleCase(v), true },
	TransformDigits:         func(v string) (string, bool) { return digitsOnly(v), true },
	TransformFullName:       func(v string) (string, bool) { return fullName(v), true },
	TransformDate:           dateTransform,
}

func dateTransform(v string) (string, bool) {
	if strings.TrimSpace(v) == "" {
		return v, true
	}
	if d, ok := parseDate(v); ok {
		return d, true
	}
	return v, false
}

// digitsOnly keeps the ASCII digits of s.
func digitsOnly(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, s)
		}
	}
	return s
}

// collapseSpaces replaces every run of white space with one space.
func collapseSpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// titleCase upper-cases the first letter of every word and lower-cases the
// rest. A hyphen starts a new word (St-Pierre); an apostrophe does only
// after a single letter (O'Connor, but Don't).
func titleCase(s string) string {
	if t, ok := titleCaseASCII(s); ok {
		return t
	}
	return titleCaseRunes(s)
}

// titleCaseRunes is titleCase for any text.
func titleCaseRunes(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	capNext, letters := true, 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			if capNext {
				r = unicode.ToUpper(r)
			} else {
				r = unicode.ToLower(r)
			}
			capNext = false
			letters++
		case r == '\'' || r == '\u2019':
			capNext = letters == 1
			letters = 0
		case unicode.IsDigit(r):
			capNext = false
			letters = 0
		default:
			capNext = true
			letters = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// titleCaseASCII is titleCase for ASCII text; ok is false for other text.
// It returns s itself when nothing changes.
func titleCaseASCII(s string) (string, bool) {
	var buf []byte
	capNext, letters := true, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return "", false
		case isASCIILetter(c):
			want := c | 0x20 // lower case
			if capNext {
				want = c &^ 0x20
			}
			if want != c && buf == nil {
				buf = make([]byte, len(s))
				copy(buf, s[:i])
			}
			c = want
			capNext = false
			letters++
		case c == '\'':
			capNext = letters == 1
			letters = 0
		case c >= '0' && c <= '9':
			capNext = false
			letters = 0
		default:
			capNext = true
			letters = 0
		}
		if buf != nil {
			buf[i] = c
		}
	}
	if buf == nil {
		return s, true
	}
	return string(buf), true
}

// fullName turns "Last, First" into "First Last", collapses white space and
// title-cases the result.
func fullName(s string) string {
	s = strings.TrimSpace(collapseSpaces(s))
	if last, first, ok := strings.Cut(s, ","); ok {
		last, first = strings.TrimSpace(last), strings.TrimSpace(first)
		switch {
		case first == "":
			s = last
		case last == "":
			s = first
		default:
			s = first + " " + last
		}
	}
	return titleCase(s)
}

var (
	timeSuffix = regexp.MustCompile(`^(\S+?)(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)$`)
)

// namedLayouts are the month-name forms parseDate accepts (Go's parser
// matches month names case-insensitively).
var namedLayouts = []string{
	"Jan 2, 2006", "January 2, 2006", "Jan 2 2006", "January 2 2006",
	"2 Jan 2006", "2 January 2006", "02-Jan-2006", "2-Jan-2006", "02-Jan-06", "2-Jan-06",
	"Mon, Jan 2, 2006", "Monday, January 2, 2006", "Mon Jan 2 2006", "2006-Jan-02",
}

// parseDate understands ISO dates, numeric dates (a 4-digit first part is
// year-month-day; "." separates day.month.year; otherwise month/day/year
// unless the first number is over 12), month-name dates, an optional time
// suffix, compact yyyymmdd and Excel serial numbers (1900 date system).
func parseDate(v string) (string, bool) {
	s := strings.TrimSpace(v)
	if strings.IndexByte(s, ':') >= 0 {
		if m := timeSuffix.FindStringSubmatch(s); m != nil {
			s = m[1]
		}
	}
	if s == "" {
		return "", false
	}
	if allDigits(s) && len(s) == 8 {
		if t, err := time.Parse("20060102", s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	if isSerial(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && f >= 1 && f < 2958466 {
			days := int(math.Floor(f))
			base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
			if days < 60 { // Excel counts a 29 February 1900 that never was
				base = base.AddDate(0, 0, 1)
			}
			return base.AddDate(0, 0, days).Format(time.DateOnly), true
		}
		return "", false
	}
	if a, sep, b, c, ok := splitNumericDate(s); ok {
		return numericDateValue(a, sep, b, c)
	}
	if !hasMonthName(s) {
		return "", false
	}
	s = collapseSpaces(s)
	for _, layout := range namedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isSerial matches up to 7 digits with an optional decimal part.
func isSerial(s string) bool {
	intPart, frac, dot := strings.Cut(s, ".")
	return len(intPart) >= 1 && len(intPart) <= 7 && allDigits(intPart) && (!dot || allDigits(frac))
}

// splitNumericDate splits "a<sep>b<sep>c" (digits, one separator among
// - / .) into its parts.
func splitNumericDate(s string) (string, byte, string, string, bool) {
	i := strings.IndexAny(s, "-/.")
	if i <= 0 {
		return "", 0, "", "", false
	}
	sep := s[i]
	a, rest := s[:i], s[i+1:]
	j := strings.IndexByte(rest, sep)
	if j < 0 {
		return "", 0, "", "", false
	}
	b, c := rest[:j], rest[j+1:]
	if !allDigits(a) || len(a) > 4 || !allDigits(b) || len(b) > 2 || !allDigits(c) || len(c) > 4 {
		return "", 0, "", "", false
	}
	return a, sep, b, c, true
}

// atoiDigits is the value of a short run of ASCII digits.
func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func numericDateValue(first string, sep byte, second, third string) (string, bool) {
	a, b, c := atoiDigits(first), atoiDigits(second), atoiDigits(third)
	var y, mo, d int
	switch {
	case len(first) == 4:
		y, mo, d = a, b, c
	case len(first) > 2 || (len(third) != 4 && len(third) != 2):
		return "", false
	case sep == '.', a > 12:
		d, mo, y = a, b, c
	default:
		mo, d, y = a, b, c
	}
	if len(first) != 4 && len(third) == 2 {
		if y < 70 {
			y += 2000
		} else {
			y += 1900
		}
	}
	return validDate(y, mo, d)
}

var monthPrefixes = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// hasMonthName reports whether s has a word starting like a month name.
func hasMonthName(s string) bool {
	for i := 0; i+3 <= len(s); i++ {
		if !isASCIILetter(s[i]) || (i > 0 && isASCIILetter(s[i-1])) {
			continue
		}
		a, b, c := s[i]|0x20, s[i+1]|0x20, s[i+2]|0x20
		for _, m := range monthPrefixes {
			if a == m[0] && b == m[1] && c == m[2] {
				return true
			}
		}
	}
	return false
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func validDate(y, m, d int) (string, bool) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return "", false
	}
	b := [10]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10),
	}
	return string(b[:]), true
}

// daysIn is the number of days of month m (1-12) of year y (proleptic
// Gregorian calendar, as package time counts).
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
