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
	info      bodyInfo
	neg       bool   // -, trailing -, U+2212 or parentheses
	pct       bool   // a percent sign
	pre, post marker // currency markers before and after the body
	marked    bool   // a marker on either side
}

// bodyInfo is what the scan of a body saw: where its mantissa ends, and
// its separators.
type bodyInfo struct {
	mant               int // where the exponent starts (len(body) for none)
	nDot, nComma       int
	lastDot, lastComma int
	other              bool // spaces or apostrophes between digits
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
	if j > 0 && s[0] > ' ' && s[0] < utf8.RuneSelf && s[j-1] > ' ' && s[j-1] < utf8.RuneSelf {
		return 0, j // nothing to trim: the common case
	}
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
func splitNumeric(sp *split, s string) error {
	var sign byte
	var pre, post bool // a marker was read before, after the body
	i := 0
	for i < len(s) {
		c := s[i]
		if isDigit(c) || c == '.' || c == ',' {
			break
		}
		switch c {
		case '(', '-', '+':
			if sign != 0 {
				return ErrSyntax
			}
			sign = c
			i++
			continue
		}
		n, err := decoration(s, i, &sign, &sp.pre, &pre)
		if err != nil {
			return err
		}
		i += n
	}
	start := i
	i = bodyEnd(s, i, &sp.info)
	sp.body = s[start:i]
	closed := false
	for i < len(s) {
		switch s[i] {
		case ')':
			if sign != '(' || closed {
				return ErrSyntax
			}
			closed = true
			i++
			continue
		case '-':
			if sign != 0 {
				return ErrSyntax
			}
			sign = '-'
			i++
			continue
		case '%':
			if sp.pct || post {
				return ErrSyntax
			}
			sp.pct = true
			i++
			continue
		}
		n, err := decoration(s, i, &sign, &sp.post, &post)
		if err != nil {
			return err
		}
		i += n
	}
	if sign == '(' && !closed {
		return ErrSyntax
	}
	sp.neg = sign == '(' || sign == '-'
	sp.marked = pre || post
	return nil
}

// decoration reads the white space, U+2212 minus sign or currency marker at
// s[i] and returns its length; a minus sets *sign, a marker *m and *have
// (a second marker on the same side is refused).
func decoration(s string, i int, sign *byte, m *marker, have *bool) (int, error) {
	if n := spaceLen(s, i); n > 0 {
		return n, nil
	}
	if n := minusLen(s, i); n > 0 {
		if *sign != 0 {
			return 0, ErrSyntax
		}
		*sign = '-'
		return n, nil
	}
	n := tokenLen(s, i)
	if n == 0 || *have {
		return 0, ErrSyntax
	}
	mk, ok := lookupMarker(s[i : i+n])
	if !ok {
		return 0, ErrSyntax
	}
	*m, *have = mk, true
	return n, nil
}

// bodyEnd returns where the numeric body starting at s[i] ends (digits,
// "." and ",", grouping spaces and apostrophes followed by a digit, and an
// exponent: e or E, an optional sign, digits), and what it holds.
func bodyEnd(s string, i int, info *bodyInfo) int {
	start := i
	info.lastDot, info.lastComma = -1, -1
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c):
			i++
			continue
		case c == '.':
			info.nDot++
			info.lastDot = i - start
			i++
			continue
		case c == ',':
			info.nComma++
			info.lastComma = i - start
			i++
			continue
		case c == 'e' || c == 'E':
			info.mant = i - start
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
			info.other = true
			i += n
			continue
		}
		break
	}
	info.mant = i - start
	return i
}

// Evidence of a value about its column's decimal separator.
const (
	evidenceNone  = 0   // no separator, or only the ambiguous kind
	evidencePoint = '.' // only "." can be its decimal separator
	evidenceComma = ',' // only "," can be its decimal separator
)

// decideSeparator applies the auto rule to a body (see ResolveDecimal).
// It returns the decimal separator to read it with and whether the value
// itself proved it (false: ambiguous, or no separator).
func decideSeparator(b string, info *bodyInfo) (sep byte, proven bool) {
	switch {
	case info.nDot > 0 && info.nComma > 0:
		if info.lastDot > info.lastComma {
			return '.', true
		}
		return ',', true
	case info.nDot+info.nComma == 0:
		return '.', false
	}
	k, n, last := byte('.'), info.nDot, info.lastDot
	if info.nComma > 0 {
		k, n, last = ',', info.nComma, info.lastComma
	}
	switch {
	case n >= 2: // repeated: a grouping mark
		if k == '.' {
			return ',', true
		}
		return '.', true
	case info.other: // grouped by spaces or apostrophes: k is the decimal mark
		return k, true
	case info.mant == len(b) && ambiguous(b, last):
		// (A mantissa is never grouped: with an exponent, k is decimal.)
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

// into stores the digits collected as v's coefficient.
func (a *accumulator) into(v *Value) {
	if !a.long {
		v.coef, v.small = a.acc, true
		return
	}
	if a.nacc > 0 {
		a.flush()
	}
	v.dec.Coeff.Set(&a.big)
}

// parsed is what readBody found besides the coefficient: the exponent, the
// number of coefficient digits, and whether the value is zero.
type parsed struct {
	exp    int64
	digits int
	zero   bool
}

// readBody reads a body (whose exponent starts at m) with the decimal
// separator sep into v's coefficient, and checks its grouping. Zeros after
// the last non-zero digit are left out of the coefficient (the exponent
// counts them), so it never has trailing zeros.
func readBody(b string, m int, sep byte, v *Value) (parsed, error) {
	var r parsed
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
				sig++
				if sig > MaxDigits {
					return r, ErrOutOfRange
				}
				for ; pending > 0; pending-- {
					a.push(0)
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
	a.into(v)
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

// parseNumeric reads number, integer, money and percent values into v.
func (p *Parser) parseNumeric(v *Value, s string) error {
	v.typ = p.typ
	i, j := trim(s)
	if i == j {
		v.empty = true
		return nil
	}
	if j-i > maxInput {
		return ErrOutOfRange
	}
	var sp split
	if err := splitNumeric(&sp, s[i:j]); err != nil {
		return err
	}
	var cur currency
	var err error
	switch p.typ {
	case TypeMoney:
		if sp.pct {
			return ErrUnexpectedMark
		}
		if cur, err = resolveCurrency(sp.pre, sp.post, p.currency); err != nil {
			return err
		}
		v.currency = currencies[cur].code
	case TypePercent:
		if sp.marked {
			return ErrUnexpectedMark
		}
	default:
		if sp.marked || sp.pct {
			return ErrUnexpectedMark
		}
	}
	scale := int64(0) // the fewest fraction digits of the canonical form
	if p.typ == TypeMoney {
		scale = int64(currencies[cur].minor)
	}
	if sp.body == "" {
		// "-" alone (or "$ -") is how accounting formats write zero.
		if p.typ == TypeMoney && sp.neg {
			v.small = true
			v.dec.Exponent = int32(-scale)
			return nil
		}
		return ErrSyntax
	}
	sep := p.dec
	if sep == 0 {
		sep, _ = decideSeparator(sp.body, &sp.info)
	}
	r, err := readBody(sp.body, sp.info.mant, sep, v)
	if err != nil {
		return err
	}
	if sp.pct && !p.points {
		r.exp -= 2
	}
	if r.zero {
		v.dec.Exponent = int32(-scale)
		return nil
	}
	fe, nd := r.exp, int64(r.digits)
	if fe > -scale && p.typ == TypeMoney {
		nd, fe = nd+fe+scale, -scale
	}
	if canonicalDigits(nd, fe) > MaxDigits {
		return ErrOutOfRange
	}
	if p.typ == TypeInteger && r.exp < 0 {
		return ErrFraction
	}
	if r.exp > -scale && p.typ == TypeMoney {
		// Pad to the currency's minor units: 12 USD is 12.00 USD.
		pad := r.exp + scale
		if v.small && pad < 19 && v.coef <= (1<<64-1)/pow10[pad] {
			v.coef *= pow10[pad]
			pad = 0
		}
		if pad > 0 {
			v.materialize()
		}
		for pad > 0 {
			k := min(pad, 19)
			v.dec.Coeff.Mul(&v.dec.Coeff, &bigPow10[k])
			pad -= k
		}
		r.exp = -scale
	}
	v.dec.Exponent = int32(r.exp)
	v.dec.Negative = sp.neg
	return nil
}
