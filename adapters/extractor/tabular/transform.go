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
	ok := true
	for _, t := range transforms {
		var good bool
		v, good = applyTransform(t, v)
		ok = ok && good
	}
	return v, ok
}

func applyTransform(name, v string) (string, bool) {
	switch name {
	case TransformTrim:
		return strings.TrimSpace(v), true
	case TransformCollapseSpaces:
		return collapseSpaces(v), true
	case TransformLower:
		return strings.ToLower(v), true
	case TransformUpper:
		return strings.ToUpper(v), true
	case TransformTitle:
		return titleCase(v), true
	case TransformDigits:
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v), true
	case TransformFullName:
		return fullName(v), true
	case TransformDate:
		if strings.TrimSpace(v) == "" {
			return v, true
		}
		if d, ok := parseDate(v); ok {
			return d, true
		}
		return v, false
	}
	return v, true
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
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return "", 0, "", "", false
	}
	for j, n := range []int{4, 2, 4} {
		if !allDigits(parts[j]) || len(parts[j]) > n {
			return "", 0, "", "", false
		}
	}
	return parts[0], sep, parts[1], parts[2], true
}

func numericDateValue(first string, sep byte, second, third string) (string, bool) {
	a, _ := strconv.Atoi(first)
	b, _ := strconv.Atoi(second)
	c, _ := strconv.Atoi(third)
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
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return "", false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m {
		return "", false
	}
	return t.Format(time.DateOnly), true
}
