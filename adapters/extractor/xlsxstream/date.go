package xlsxstream

import (
	"errors"
	"math/big"
	"math/bits"
	"strings"
	"time"
)

// Errors of DateISO.
var (
	// ErrNotDate is returned for a value that is neither a serial number
	// nor an ISO 8601 date.
	ErrNotDate = errors.New("xlsx: not a date value")
	// ErrDateRange is returned for a serial outside Excel's calendar
	// (negative, after 9999-12-31, or the 1900 system's day 60, the
	// 29 February 1900 that Excel counts and the calendar does not have).
	ErrDateRange = errors.New("xlsx: date serial outside the calendar")
)

const msPerDay = 86_400_000

// DateISO converts a date cell's value to ISO 8601 text:
// "2024-03-01" when it has no time of day, "2024-03-01T13:45:00" when it
// has one (with ".250" when the time has milliseconds), and "13:45:00"
// for a time alone (a serial below 1).
//
// A serial ("45352.5729166667") counts days from 1899-12-30 (serial 1 is
// 1900-01-01, and serials 1 to 59 follow Excel's calendar, which has a
// 29 February 1900 at 60), or from 1904-01-01 when date1904 is set. The
// conversion is exact decimal arithmetic on the digits as stored: the
// time of day is rounded to the nearest millisecond, never through a
// float. An ISO 8601 value (a cell stored with t="d") is normalised to the
// same form; its zone, if any, is dropped, keeping the wall time.
func DateISO(value string, date1904 bool) (string, error) {
	if isISODate(value) {
		return isoValue(value)
	}
	days, ms, err := splitSerial(value)
	if err != nil {
		return "", err
	}
	if days == 0 {
		return string(appendClock(nil, ms)), nil
	}
	var t time.Time
	switch {
	case date1904:
		t = time.Date(1904, 1, 1+days, 0, 0, 0, 0, time.UTC)
	case days < 60:
		t = time.Date(1899, 12, 31+days, 0, 0, 0, 0, time.UTC)
	case days == 60:
		return "", ErrDateRange
	default:
		t = time.Date(1899, 12, 30+days, 0, 0, 0, 0, time.UTC)
	}
	if t.Year() > 9999 {
		return "", ErrDateRange
	}
	return string(appendDate(nil, t, ms)), nil
}

// splitSerial splits a non-negative decimal serial into whole days and
// the time of day in milliseconds (rounded half up).
func splitSerial(v string) (days int, ms int64, err error) {
	if v == "" || !isNumber([]byte(v)) {
		return 0, 0, ErrNotDate
	}
	neg := false
	if v[0] == '+' || v[0] == '-' {
		neg = v[0] == '-'
		v = v[1:]
	}
	mant, exp := v, 0
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		mant = v[:i]
		e := v[i+1:]
		esign := 1
		if e[0] == '+' || e[0] == '-' {
			if e[0] == '-' {
				esign = -1
			}
			e = e[1:]
		}
		e = strings.TrimLeft(e, "0")
		if len(e) > 6 {
			if esign < 0 {
				return 0, 0, nil // vanishingly small: 0
			}
			if strings.Trim(mant, "0.") != "" {
				return 0, 0, ErrDateRange
			}
			return 0, 0, nil
		}
		for _, c := range e {
			exp = exp*10 + int(c-'0')
		}
		exp *= esign
	}
	intPart, fracPart := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, fracPart = mant[:i], mant[i+1:]
	}
	digits := intPart + fracPart
	point := len(intPart) + exp // digits[:point] are whole days
	var whole, frac string
	switch {
	case point <= 0:
		frac = strings.Repeat("0", min(-point, 64)) + digits
		if -point > 64 {
			frac = "0"
		}
	case point >= len(digits):
		whole = digits + strings.Repeat("0", min(point-len(digits), 16))
	default:
		whole, frac = digits[:point], digits[point:]
	}
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	if neg && (whole != "" || frac != "") {
		return 0, 0, ErrDateRange
	}
	if len(whole) > 7 {
		return 0, 0, ErrDateRange
	}
	for _, c := range whole {
		days = days*10 + int(c-'0')
	}
	ms = fracToMillis(frac)
	if ms == msPerDay {
		days, ms = days+1, 0
	}
	return days, ms, nil
}

// pow10 are the powers of ten that fit in a uint64.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// fracToMillis rounds 0.frac days to milliseconds, half up, exactly.
func fracToMillis(frac string) int64 {
	if frac == "" {
		return 0
	}
	if len(frac) <= 19 {
		var f uint64
		for _, c := range frac {
			f = f*10 + uint64(c-'0')
		}
		den := pow10[len(frac)]
		// (f * msPerDay + den/2) / den in 128 bits.
		hi, lo := bits.Mul64(f, msPerDay)
		var carry uint64
		lo, carry = bits.Add64(lo, den/2, 0)
		hi += carry
		q, _ := bits.Div64(hi, lo, den)
		return int64(q)
	}
	f, _ := new(big.Int).SetString(frac, 10)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	f.Mul(f, big.NewInt(msPerDay))
	f.Add(f, new(big.Int).Rsh(den, 1))
	return f.Quo(f, den).Int64()
}

// isISODate reports whether v looks like an ISO 8601 date or time rather
// than a serial.
func isISODate(v string) bool {
	switch {
	case len(v) >= 10 && v[4] == '-' && v[7] == '-':
		return true
	case len(v) >= 8 && (v[2] == ':' || v[0] == 'T'):
		return true
	}
	return false
}

var isoLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02Z07:00",
	"2006-01-02",
	"T15:04:05.999999999",
	"15:04:05.999999999",
}

func isoValue(v string) (string, error) {
	for i, layout := range isoLayouts {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		ms := int64(t.Hour())*3_600_000 + int64(t.Minute())*60_000 + int64(t.Second())*1000 + int64((t.Nanosecond()+500_000)/1_000_000)
		if ms == msPerDay { // rounding reached midnight
			t, ms = t.AddDate(0, 0, 1), 0
		}
		if i >= len(isoLayouts)-2 {
			return string(appendClock(nil, ms)), nil
		}
		return string(appendDate(nil, t, ms)), nil
	}
	return "", ErrNotDate
}

// appendDate appends YYYY-MM-DD, and THH:MM:SS[.mmm] when ms > 0.
func appendDate(b []byte, t time.Time, ms int64) []byte {
	y, m, d := t.Date()
	b = appendPad(b, y, 4)
	b = append(b, '-')
	b = appendPad(b, int(m), 2)
	b = append(b, '-')
	b = appendPad(b, d, 2)
	if ms == 0 {
		return b
	}
	return appendClock(append(b, 'T'), ms)
}

// appendClock appends HH:MM:SS[.mmm].
func appendClock(b []byte, ms int64) []byte {
	s := ms / 1000
	b = appendPad(b, int(s/3600), 2)
	b = append(b, ':')
	b = appendPad(b, int(s/60%60), 2)
	b = append(b, ':')
	b = appendPad(b, int(s%60), 2)
	if r := ms % 1000; r != 0 {
		b = append(b, '.')
		b = appendPad(b, int(r), 3)
	}
	return b
}

func appendPad(b []byte, v, width int) []byte {
	var tmp [8]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for n := len(tmp) - i; n < width; n++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}
