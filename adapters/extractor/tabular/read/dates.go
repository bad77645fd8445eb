package read

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var timeSuffix = regexp.MustCompile(`^(\S+?)(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)$`)

// namedLayouts are the month-name forms ParseDate accepts (Go's parser
// matches month names case-insensitively).
var namedLayouts = []string{
	"Jan 2, 2006", "January 2, 2006", "Jan 2 2006", "January 2 2006",
	"2 Jan 2006", "2 January 2006", "02-Jan-2006", "2-Jan-2006", "02-Jan-06", "2-Jan-06",
	"Mon, Jan 2, 2006", "Monday, January 2, 2006", "Mon Jan 2 2006", "2006-Jan-02",
}

// ParseDate reads a date written as text and returns it as ISO 8601
// (YYYY-MM-DD). It understands ISO dates, numeric dates (a 4-digit first
// part is year-month-day; "." separates day.month.year; otherwise
// month/day/year unless the first number is over 12), month-name dates, an
// optional time suffix, compact yyyymmdd and Excel serial numbers (1900
// date system).
func ParseDate(v string) (string, bool) {
	var buf [10]byte
	d, ok := AppendDate(buf[:0], v)
	if !ok {
		return "", false
	}
	return string(d), true
}

// AppendDate is ParseDate appending the date to dst (dst as it was when v
// is not a date).
func AppendDate(dst []byte, v string) ([]byte, bool) {
	s := strings.TrimSpace(v)
	if strings.IndexByte(s, ':') >= 0 {
		if m := timeSuffix.FindStringSubmatch(s); m != nil {
			s = m[1]
		}
	}
	if s == "" {
		return dst, false
	}
	if AllDigits(s) && len(s) == 8 {
		if t, err := time.Parse("20060102", s); err == nil && t.Year() >= 1 {
			return t.AppendFormat(dst, time.DateOnly), true
		}
	}
	if isSerial(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && f >= 1 && f < 2958466 {
			return SerialDate(f).AppendFormat(dst, time.DateOnly), true
		}
		return dst, false
	}
	if a, sep, b, c, ok := SplitNumericDate(s); ok {
		return appendNumericDate(dst, a, sep, b, c)
	}
	if !HasMonthName(s) {
		return dst, false
	}
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range namedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1 { // year 0 is no day, as ValidDate says
				return dst, false
			}
			return t.AppendFormat(dst, time.DateOnly), true
		}
	}
	return dst, false
}

// SerialDate is the time of an Excel serial number (1900 date system).
func SerialDate(f float64) time.Time {
	days := math.Floor(f)
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if days < 60 { // Excel counts a 29 February 1900 that never was
		base = base.AddDate(0, 0, 1)
	}
	secs := math.Round((f - days) * 86400)
	return base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
}

// LooksLikeDate reports whether s is a numeric date, optionally with a
// time ("1/31/2024", "2024-01-31 13:45").
func LooksLikeDate(s string) bool {
	if _, _, _, _, ok := SplitNumericDate(s); ok {
		return true
	}
	if strings.IndexByte(s, ':') >= 0 {
		if m := timeSuffix.FindStringSubmatch(s); m != nil {
			_, _, _, _, ok := SplitNumericDate(m[1])
			return ok
		}
	}
	return false
}

// AllDigits reports whether s is a non-empty run of ASCII digits.
func AllDigits(s string) bool {
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
	return len(intPart) >= 1 && len(intPart) <= 7 && AllDigits(intPart) && (!dot || AllDigits(frac))
}

// SplitNumericDate splits "a<sep>b<sep>c" (digits, one separator among
// - / .) into its parts.
func SplitNumericDate(s string) (string, byte, string, string, bool) {
	i := 0 // strings.IndexAny(s, "-/."), without building its set each time
	for i < len(s) && s[i] != '-' && s[i] != '/' && s[i] != '.' {
		i++
	}
	if i == 0 || i == len(s) {
		return "", 0, "", "", false
	}
	sep := s[i]
	a, rest := s[:i], s[i+1:]
	j := strings.IndexByte(rest, sep)
	if j < 0 {
		return "", 0, "", "", false
	}
	b, c := rest[:j], rest[j+1:]
	if !AllDigits(a) || len(a) > 4 || !AllDigits(b) || len(b) > 2 || !AllDigits(c) || len(c) > 4 {
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

func appendNumericDate(dst []byte, first string, sep byte, second, third string) ([]byte, bool) {
	a, b, c := atoiDigits(first), atoiDigits(second), atoiDigits(third)
	var y, mo, d int
	switch {
	case len(first) == 4:
		y, mo, d = a, b, c
	case len(first) > 2 || (len(third) != 4 && len(third) != 2):
		return dst, false
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
	return appendValidDate(dst, y, mo, d)
}

var monthPrefixes = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// HasMonthName reports whether s has a word starting like a month name.
func HasMonthName(s string) bool {
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

// ValidDate returns y-m-d as ISO 8601 when it is a day of the proleptic
// Gregorian calendar (as package time counts).
func ValidDate(y, m, d int) (string, bool) {
	var buf [10]byte
	b, ok := appendValidDate(buf[:0], y, m, d)
	if !ok {
		return "", false
	}
	return string(b), true
}

// appendValidDate is ValidDate appending to dst.
func appendValidDate(dst []byte, y, m, d int) ([]byte, bool) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return dst, false
	}
	return append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10)), true
}

// daysIn is the number of days of month m (1-12) of year y.
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
