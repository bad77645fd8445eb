package xlsxstream

import (
	"strconv"
)

// atoi parses a non-negative decimal integer.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		if len(b) > 9 {
			n, err := strconv.Atoi(string(b))
			return n, err == nil && n >= 0
		}
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// parseCol reads the column of a cell reference ("B7" is 1).
func parseCol(ref []byte) (int, bool) {
	col, _, ok := parseRef(ref)
	return col, ok
}

// parseRef parses a cell reference: letters then digits, $ allowed.
func parseRef(ref []byte) (col, row int, ok bool) {
	i := 0
	if i < len(ref) && ref[i] == '$' {
		i++
	}
	c := 0
	j := i
	for ; j < len(ref); j++ {
		ch := ref[j] &^ 0x20
		if ch < 'A' || ch > 'Z' {
			break
		}
		c = c*26 + int(ch-'A'+1)
		if c > MaxColumns {
			return 0, 0, false
		}
	}
	if j == i {
		return 0, 0, false
	}
	if j < len(ref) && ref[j] == '$' {
		j++
	}
	n, ok := atoi(ref[j:])
	if !ok || n < 1 || n > MaxRows {
		return 0, 0, false
	}
	return c - 1, n, true
}

// parseRange parses "A1:B2" (or a single cell "A1").
func parseRange(ref []byte) (Range, bool) {
	ref = trimSpace(ref)
	a, b := ref, ref
	for i, c := range ref {
		if c == ':' {
			a, b = ref[:i], ref[i+1:]
			break
		}
	}
	c1, r1, ok1 := parseRef(a)
	c2, r2, ok2 := parseRef(b)
	if !ok1 || !ok2 {
		return Range{}, false
	}
	return Range{FirstCol: min(c1, c2), FirstRow: min(r1, r2), LastCol: max(c1, c2), LastRow: max(r1, r2)}, true
}

// isNumber reports whether b is a decimal number as XML Schema writes
// one: an optional sign, digits with an optional fraction, an optional
// exponent.
func isNumber(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		exp := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(b)
}
