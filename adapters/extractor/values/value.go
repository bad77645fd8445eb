package values

import (
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// Value is one parsed value in its canonical form. The zero Value is an
// empty string value.
type Value struct {
	typ      Type
	empty    bool
	boolean  bool
	dec      apd.Decimal // number, integer, money (amount), percent
	small    bool        // the coefficient is coef, not dec.Coeff
	coef     uint64
	currency string // money
	text     string // string, date (ISO 8601), phone (E.164)
	ext      string // phone extension
}

// Type is the value's type.
func (v *Value) Type() Type {
	if v.typ == "" {
		return TypeString
	}
	return v.typ
}

// IsEmpty reports whether the cell held nothing (white space at most). A
// checkbox column's empty cell is not empty: it is false.
func (v *Value) IsEmpty() bool { return v.empty }

// Decimal sets d to the value's number (the amount of money, the fraction or
// points of a percentage, as the column's scale says) and returns d. It is
// exact: the digits written, without rounding. For other types d is zero.
func (v *Value) Decimal(d *apd.Decimal) *apd.Decimal {
	if !v.typ.numeric() || v.empty {
		return d.SetInt64(0)
	}
	d.Set(&v.dec)
	if v.small {
		d.Coeff.SetUint64(v.coef)
	}
	return d
}

// materialize moves a small coefficient into dec, for apd arithmetic.
func (v *Value) materialize() *apd.Decimal {
	if v.small {
		v.dec.Coeff.SetUint64(v.coef)
		v.small = false
	}
	return &v.dec
}

// Currency is the ISO 4217 code of a money value ("" otherwise).
func (v *Value) Currency() string { return v.currency }

// Bool is a boolean value.
func (v *Value) Bool() bool { return v.boolean }

// Extension is a phone number's extension, digits only ("" for none).
func (v *Value) Extension() string { return v.ext }

// String is the canonical text (see AppendText).
func (v Value) String() string {
	switch v.typ {
	case TypeNumber, TypeInteger, TypeMoney, TypePercent, TypeBoolean:
		var buf [64]byte
		return string(v.AppendText(buf[:0]))
	case TypePhone:
		if v.ext != "" && !v.empty {
			return v.text + ";ext=" + v.ext
		}
	}
	return v.text
}

// AppendText appends the canonical text to dst. Empty values append
// nothing. The canonical forms:
//   - number, integer, percent: a plain decimal, "-" for negatives, "." for
//     the decimal separator, no exponent, no grouping, no trailing
//     fractional zeros, "0" for zero (never "-0");
//   - money: the amount as a plain decimal with at least the currency's
//     minor-unit digits (12 -> 12.00; 12.345 stays 12.345), a space, and
//     the ISO 4217 code: "-1234.50 USD";
//   - boolean: "true" or "false";
//   - date: ISO 8601 (2006-01-02), as the date parser returned it;
//   - phone: E.164 (+12365551017), then ";ext=" and the extension if any;
//   - string: the text as written.
func (v *Value) AppendText(dst []byte) []byte {
	if v.empty {
		return dst
	}
	switch v.typ {
	case TypeNumber, TypeInteger, TypePercent:
		return v.appendDecimal(dst)
	case TypeMoney:
		dst = v.appendDecimal(dst)
		dst = append(dst, ' ')
		return append(dst, v.currency...)
	case TypeBoolean:
		return strconv.AppendBool(dst, v.boolean)
	case TypePhone:
		dst = append(dst, v.text...)
		if v.ext != "" {
			dst = append(dst, ";ext="...)
			dst = append(dst, v.ext...)
		}
		return dst
	}
	return append(dst, v.text...)
}

// appendDecimal writes the value's number (normalised by the parser) as a
// plain decimal.
func (v *Value) appendDecimal(dst []byte) []byte {
	if v.small {
		if e := int(v.dec.Exponent); e <= 0 && e >= -20 {
			return appendSmall(dst, v.dec.Negative, v.coef, -e)
		}
		var digits [20]byte
		return appendPlain(dst, v.dec.Negative, strconv.AppendUint(digits[:0], v.coef, 10), int(v.dec.Exponent))
	}
	var digits [MaxDigits + 24]byte
	return appendPlain(dst, v.dec.Negative, v.dec.Coeff.Append(digits[:0], 10), int(v.dec.Exponent))
}

// appendSmall writes c / 10^frac (frac <= 20) in one pass, from the last
// digit back.
func appendSmall(dst []byte, neg bool, c uint64, frac int) []byte {
	var buf [44]byte
	i := len(buf)
	if frac > 0 {
		for range frac {
			i--
			buf[i] = byte('0' + c%10)
			c /= 10
		}
		i--
		buf[i] = '.'
	}
	for {
		i--
		buf[i] = byte('0' + c%10)
		c /= 10
		if c == 0 {
			break
		}
	}
	if neg && !(i == len(buf)-1 && buf[i] == '0') {
		i--
		buf[i] = '-'
	}
	return append(dst, buf[i:]...)
}

// appendPlain writes the coefficient ds (decimal digits) times 10^e.
func appendPlain(dst []byte, neg bool, ds []byte, e int) []byte {
	zero := len(ds) == 1 && ds[0] == '0'
	if neg && !zero {
		dst = append(dst, '-')
	}
	if e >= 0 {
		dst = append(dst, ds...)
		if !zero {
			for ; e > 0; e-- {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	frac := -e
	if len(ds) > frac {
		dst = append(dst, ds[:len(ds)-frac]...)
		dst = append(dst, '.')
		return append(dst, ds[len(ds)-frac:]...)
	}
	dst = append(dst, '0', '.')
	for i := len(ds); i < frac; i++ {
		dst = append(dst, '0')
	}
	return append(dst, ds...)
}
