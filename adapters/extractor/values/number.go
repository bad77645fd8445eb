package values

import (
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// MaxDigits bounds a number: a value whose canonical plain form would need
// more than MaxDigits digits (integer and fraction digits together), or
// that is written with more than MaxDigits significant digits, is refused
// with ErrOutOfRange. 1E+99 is accepted (100 digits); 1E+1000000000 is
// refused without allocating anything.
const MaxDigits = 100

// maxInput bounds the length of a numeric value in bytes: MaxDigits digits
// with grouping, a sign, a currency and white space fit easily.
const maxInput = 256

// maxExponent bounds an exponent while it is read, so its digits cannot
// overflow; anything near it is refused by MaxDigits anyway.
const maxExponent = 1_000_000_000

// split is a numeric value cut into its decoration and its body.
type split struct {
	body      string // digits, separators and exponent
	neg       bool   // -, trailing -, U+2212 or parentheses
	pct       bool   // a percent sign
	pre, post marker // currency markers before and after the body
	hasPre    bool
	hasPost   bool
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// spaceLen is the length of the white space at s[i] ("", space, tab,
// no-break space, narrow no-break space, thin space, figure space), or 0.
func spaceLen(s string, i int) int {
	switch s[i] {
	case ' ', '\t':
		return 1
	case 0xC2:
		if i+1 < len(s) && s[i+1] == 0xA0 {
			return 2
		}
	case 0xE2:
		if i+2 < len(s) && s[i+1] == 0x80 {
			switch s[i+2] {
			case 0xAF, 0x89, 0x87: // U+202F, U+2009, U+2007
				return 3
			}
		}
	}
	return 0
}

// groupLen is the length of a grouping mark other than "." and "," at s[i]
// (a space of spaceLen except tab, an apostrophe ' or ’), or 0.
func groupLen(s string, i int) int {
	switch s[i] {
	case '\'':
		return 1
	case '\t':
		return 0
	case 0xE2:
		if i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0x99 { // U+2019
			return 3
		}
	}
	return spaceLen(s, i)
}

// groupClass is the class of the grouping mark at s[i]: all spaces are one
// class (a copied value mixes them), apostrophes another.
func groupClass(s string, i int) (cls byte, n int) {
	switch c := s[i]; c {
	case '.', ',', '\'':
		return c, 1
	case 0xE2:
		if i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0x99 {
			return '\'', 3
		}
	}
	if n := spaceLen(s, i); n > 0 {
		return ' ', n
	}
	return 0, 0
}

// minusLen is the length of a U+2212 minus sign at s[i], or 0.
func minusLen(s string, i int) int {
	if s[i] == 0xE2 && i+2 < len(s) && s[i+1] == 0x88 && s[i+2] == 0x92 {
		return 3
	}
	return 0
}

// tokenLen is the length of a currency token at s[i]: letters, "$" and
// other symbols.
func tokenLen(s string, i int) int {
	j := i
	for j < len(s) {
		c := s[j]
		switch {
		case c == '$' || isLetter(c):
			j++
		case c >= utf8.RuneSelf:
			if spaceLen(s, j) > 0 || minusLen(s, j) > 0 || groupLen(s, j) > 0 {
				return j - i
			}
			_, n := utf8.DecodeRuneInString(s[j:])
			j += n
		default:
			return j - i
		}
	}
	return j - i
}

// trim returns the bounds of s without surrounding white space.
func trim(s string) (int, int) {
	i, j := 0, len(s)
	for i < j {
		n := spaceLen(s, i)
		if n == 0 {
			c := s[i]
			if c != '\n' && c != '\r' && c != '\v' && c != '\f' {
				break
			}
			n = 1
		}
		i += n
	}
	for i < j {
		c := s[j-1]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			j--
		case c == 0xA0 && j-2 >= i && s[j-2] == 0xC2:
			j -= 2
		case j-3 >= i && spaceLen(s, j-3) == 3:
			j -= 3
		default:
			return i, j
		}
	}
	return i, j
}

// splitNumeric cuts a trimmed, non-empty value into sign, currency
// markers, percent sign and body. It checks the decoration: at most one
// sign (leading "-" or "+", trailing "-", or parentheses around the rest),
// at most one marker on each side, at most one percent sign after.
func splitNumeric(s string) (split, error) {
	var sp split
	var sign byte
	i := 0
	for i < len(s) {
		c := s[i]
		if isDigit(c) || c == '.' || c == ',' {
			break
		}
		switch c {
		case '(', '-', '+':
			if sign != 0 {
				return sp, ErrSyntax
			}
			sign = c
			i++
			continue
		}
		if n := spaceLen(s, i); n > 0 {
			i += n
			continue
		}
		if n := minusLen(s, i); n > 0 {
			if sign != 0 {
				return sp, ErrSyntax
			}
			sign = '-'
			i += n
			continue
		}
		n := tokenLen(s, i)
		if n == 0 || sp.hasPre {
			return sp, ErrSyntax
		}
		m, ok := lookupMarker(s[i : i+n])
		if !ok {
			return sp, ErrSyntax
		}
		sp.pre, sp.hasPre = m, true
		i += n
	}
	start := i
	i = bodyEnd(s, i)
	sp.body = s[start:i]
	closed := false
	for i < len(s) {
		c := s[i]
		switch c {
		case ')':
			if sign != '(' || closed {
				return sp, ErrSyntax
			}
			closed = true
			i++
			continue
		case '-':
			if sign != 0 {
				return sp, ErrSyntax
			}
			sign = '-'
			i++
			continue
		case '%':
			if sp.pct || sp.hasPost {
				return sp, ErrSyntax
			}
			sp.pct = true
			i++
			continue
		}
		if n := spaceLen(s, i); n > 0 {
			i += n
			continue
		}
		if n := minusLen(s, i); n > 0 {
			if sign != 0 {
				return sp, ErrSyntax
			}
			sign = '-'
			i += n
			continue
		}
		n := tokenLen(s, i)
		if n == 0 || sp.hasPost {
			return sp, ErrSyntax
		}
		m, ok := lookupMarker(s[i : i+n])
		if !ok {
			return sp, ErrSyntax
		}
		sp.post, sp.hasPost = m, true
		i += n
	}
	if sign == '(' && !closed {
		return sp, ErrSyntax
	}
	sp.neg = sign == '(' || sign == '-'
	return sp, nil
}

// bodyEnd returns where the numeric body starting at s[i] ends: digits,
// "." and ",", grouping spaces and apostrophes followed by a digit, and an
// exponent (e or E, an optional sign, digits).
func bodyEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if isDigit(c) || c == '.' || c == ',' {
			i++
			continue
		}
		if c == 'e' || c == 'E' {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && isDigit(s[j]) {
				for j < len(s) && isDigit(s[j]) {
					j++
				}
				return j
			}
			return i
		}
		if n := groupLen(s, i); n > 0 && i+n < len(s) && isDigit(s[i+n]) {
			i += n
			continue
		}
		return i
	}
	return i
}

// mantissaEnd is where the exponent of a body starts (len(b) for none).
func mantissaEnd(b string) int {
	for i := 0; i < len(b); i++ {
		if b[i] == 'e' || b[i] == 'E' {
			return i
		}
	}
	return len(b)
}

// Evidence of a value about its column's decimal separator.
const (
	evidenceNone  = 0   // no separator, or only the ambiguous kind
	evidencePoint = '.' // only "." can be its decimal separator
	evidenceComma = ',' // only "," can be its decimal separator
)

// decideSeparator applies the auto rule to a body (see ResolveDecimal). It returns the decimal separator to read it with and
// whether the value itself proved it (false: ambiguous, or no separator).
func decideSeparator(b string) (sep byte, proven bool) {
	m := b[:mantissaEnd(b)]
	exponent := len(m) < len(b)
	nDot, nComma, lastDot, lastComma, other := 0, 0, -1, -1, false
	for i := 0; i < len(m); i++ {
		switch c := m[i]; {
		case c == '.':
			nDot++
			lastDot = i
		case c == ',':
			nComma++
			lastComma = i
		case !isDigit(c):
			other = true
		}
	}
	switch {
	case nDot > 0 && nComma > 0:
		if lastDot > lastComma {
			return '.', true
		}
		return ',', true
	case nDot+nComma == 0:
		return '.', false
	}
	k, n, last := byte('.'), nDot, lastDot
	if nComma > 0 {
		k, n, last = ',', nComma, lastComma
	}
	switch {
	case n >= 2: // repeated: a grouping mark
		if k == '.' {
			return ',', true
		}
		return '.', true
	case other: // grouped by spaces or apostrophes: k is the decimal mark
		return k, true
	case !exponent && ambiguous(m, last):
		// A mantissa is never grouped: with an exponent, k is decimal.
		return '.', false
	}
	return k, true
}

// ambiguous reports whether the single separator at m[i] could be a
// thousands separator as well as a decimal one: 1 to 3 digits before it,
// not starting with 0, and exactly 3 digits after it ("1,234", "12.500").
func ambiguous(m string, i int) bool {
	return i >= 1 && i <= 3 && m[0] != '0' && len(m)-i-1 == 3
}

// pow10 holds 10^0 .. 10^19.
var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < 20; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// bigPow10 holds 10^0 .. 10^19 as apd.BigInt for the long path.
var bigPow10 = func() [20]apd.BigInt {
	var p [20]apd.BigInt
	for i := range p {
		p[i].SetUint64(pow10[i])
	}
	return p
}()

// accumulator collects significant digits: in a uint64 while they fit
// (19 digits), then in an apd.BigInt (inline, without allocating, up to
// 128 bits).
type accumulator struct {
	acc  uint64
	nacc int
	big  apd.BigInt
	long bool
}

func (a *accumulator) push(d byte) {
	if a.nacc == 19 {
		a.flush()
	}
	a.acc = a.acc*10 + uint64(d)
	a.nacc++
}

func (a *accumulator) flush() {
	if a.long {
		a.big.Mul(&a.big, &bigPow10[a.nacc])
		var t apd.BigInt
		t.SetUint64(a.acc)
		a.big.Add(&a.big, &t)
	} else {
		a.big.SetUint64(a.acc)
		a.long = true
	}
	a.acc, a.nacc = 0, 0
}

// into stores the digits collected as d's coefficient.
func (a *accumulator) into(d *apd.Decimal) {
	if !a.long {
		d.Coeff.SetUint64(a.acc)
		return
	}
	if a.nacc > 0 {
		a.flush()
	}
	d.Coeff.Set(&a.big)
}

// parsed is a body read into digits: coefficient (without trailing zeros),
// exponent and number of coefficient digits.
type parsed struct {
	exp    int64
	digits int
	zero   bool
}

// readBody reads a body with the decimal separator sep into d's
// coefficient, and checks its grouping.
func readBody(b string, sep byte, d *apd.Decimal) (parsed, error) {
	var r parsed
	m := mantissaEnd(b)
	var a accumulator
	sig, pending, frac := 0, 0, 0
	inFrac, grouped, seen, leadZero := false, false, false, false
	var grp byte
	run := 0 // digits since the last mark
	for i := 0; i < m; {
		c := b[i]
		if isDigit(c) {
			if !seen && c == '0' && !inFrac {
				leadZero = true
			}
			seen = true
			run++
			if inFrac {
				frac++
			}
			switch {
			case c == '0' && sig == 0:
				// a leading zero is not significant
			case c == '0':
				pending++
				sig++
			default:
				for ; pending > 0; pending-- {
					a.push(0)
				}
				sig++
				if sig > MaxDigits {
					return r, ErrOutOfRange
				}
				a.push(c - '0')
			}
			i++
			continue
		}
		if c == sep {
			if inFrac || (grouped && run != 3) {
				return r, ErrGrouping
			}
			inFrac, run = true, 0
			i++
			continue
		}
		cls, n := groupClass(b, i)
		switch {
		case n == 0:
			return r, ErrSyntax
		case inFrac:
			return r, ErrGrouping
		case !grouped:
			if run < 1 || run > 3 || leadZero {
				return r, ErrGrouping
			}
			grp, grouped = cls, true
		case cls != grp || run != 3:
			return r, ErrGrouping
		}
		run = 0
		i += n
	}
	if !seen {
		return r, ErrSyntax
	}
	if grouped && !inFrac && run != 3 {
		return r, ErrGrouping
	}
	var exp int64
	if m < len(b) {
		j := m + 1
		neg := false
		if b[j] == '+' || b[j] == '-' {
			neg = b[j] == '-'
			j++
		}
		for ; j < len(b); j++ {
			exp = exp*10 + int64(b[j]-'0')
			if exp > maxExponent {
				return r, ErrOutOfRange
			}
		}
		if neg {
			exp = -exp
		}
	}
	a.into(d)
	r.digits = sig - pending
	r.zero = r.digits == 0
	r.exp = exp - int64(frac) + int64(pending)
	return r, nil
}

// canonicalDigits is how many digits the plain form of a coefficient of n
// digits with exponent e has.
func canonicalDigits(n, e int64) int64 {
	if e >= 0 {
		return n + e
	}
	f := -e
	return max(n-f, 1) + f
}

// parseNumeric reads number, integer, money and percent values.
func (p *Parser) parseNumeric(s string) (Value, error) {
	v := Value{typ: p.typ}
	i, j := trim(s)
	if i == j {
		v.empty = true
		return v, nil
	}
	if j-i > maxInput {
		return Value{}, ErrOutOfRange
	}
	sp, err := splitNumeric(s[i:j])
	if err != nil {
		return Value{}, err
	}
	switch p.typ {
	case TypeMoney:
		if sp.pct {
			return Value{}, ErrUnexpectedMark
		}
		var a, b *marker
		if sp.hasPre {
			a = &sp.pre
		}
		if sp.hasPost {
			b = &sp.post
		}
		if v.currency, err = resolveCurrency(a, b, p.currency); err != nil {
			return Value{}, err
		}
	case TypePercent:
		if sp.hasPre || sp.hasPost {
			return Value{}, ErrUnexpectedMark
		}
	default:
		if sp.hasPre || sp.hasPost || sp.pct {
			return Value{}, ErrUnexpectedMark
		}
	}
	if sp.body == "" {
		// "-" alone (or "$ -") is how accounting formats write zero.
		if p.typ == TypeMoney && sp.neg {
			v.dec.Exponent = -int32(minorUnits[v.currency])
			return v, nil
		}
		return Value{}, ErrSyntax
	}
	sep := p.dec
	if sep == 0 {
		sep, _ = decideSeparator(sp.body)
	}
	r, err := readBody(sp.body, sep, &v.dec)
	if err != nil {
		return Value{}, err
	}
	if sp.pct && !p.points {
		r.exp -= 2
	}
	scale := int64(0) // the fewest fraction digits of the canonical form
	if p.typ == TypeMoney {
		scale = int64(minorUnits[v.currency])
	}
	if r.zero {
		v.dec.Exponent = int32(-scale)
		return v, nil
	}
	fe, nd := r.exp, int64(r.digits)
	if fe > -scale && p.typ == TypeMoney {
		nd, fe = nd+fe+scale, -scale
	}
	if canonicalDigits(nd, fe) > MaxDigits {
		return Value{}, ErrOutOfRange
	}
	if p.typ == TypeInteger && r.exp < 0 {
		return Value{}, ErrFraction
	}
	if r.exp > -scale && p.typ == TypeMoney {
		// Pad to the currency's minor units: 12 USD is 12.00 USD.
		pad := r.exp + scale
		for pad > 0 {
			k := min(pad, 19)
			v.dec.Coeff.Mul(&v.dec.Coeff, &bigPow10[k])
			pad -= k
		}
		r.exp = -scale
	}
	v.dec.Exponent = int32(r.exp)
	v.dec.Negative = sp.neg
	return v, nil
}
