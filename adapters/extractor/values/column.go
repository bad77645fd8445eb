package values

// ResolveDecimal decides the decimal separator of a column from its values
// (or a sample of them), for Decimal "auto":
//
//   - each value that proves its separator (see below) and reads with it
//     votes for it: "1.234,50", "12,5", "0,125", "1.234.567" and "1 234,5"
//     vote ","; "1,234.50", "1234.5", "1,234,567" and "0.125" vote ".";
//   - values with no separator, or with one that is ambiguous (a single "."
//     or "," with 1 to 3 digits before it, not starting with 0, and exactly
//     3 after: "1,234", "12.500") do not vote;
//   - the separator with more votes wins; a tie (no votes at all included)
//     gives ".".
//
// A value proves its separator when: it has both "." and "," (the last one
// is the decimal separator); or one of them repeated (it groups thousands:
// the other is the decimal separator); or one of them once, beside spaces
// or apostrophes grouping thousands (it is the decimal separator); or one
// of them once, unambiguously (it is the decimal separator).
//
// Within a value, without the column's resolution, an ambiguous separator
// is read in the English way: "1,234" is 1234 and "1.234" is 1.234. A
// single separator before an exponent is always decimal ("1,234E+3" is
// 1234): nobody groups the digits of a mantissa.
func ResolveDecimal(samples []string) string {
	point, comma := 0, 0
	for _, s := range samples {
		switch decimalEvidence(s) {
		case evidencePoint:
			point++
		case evidenceComma:
			comma++
		}
	}
	if comma > point {
		return DecimalComma
	}
	return DecimalPoint
}

// decimalEvidence is what one value says about its column's decimal
// separator (evidenceNone when it says nothing, or does not scan as a
// decorated number).
func decimalEvidence(s string) byte {
	i, j := trim(s)
	if i == j || j-i > maxInput {
		return evidenceNone
	}
	var sp split
	if err := splitNumeric(&sp, s[i:j]); err != nil || sp.body == "" {
		return evidenceNone
	}
	sep, proven := decideSeparator(sp.body, &sp.info)
	if !proven {
		return evidenceNone
	}
	var v Value
	if _, err := readBody(sp.body, sp.info.mant, sep, &v); err != nil {
		return evidenceNone
	}
	return sep
}
