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
	currency string      // money
	text     string      // string, date (ISO 8601), phone (E.164)
	ext      string      // phone extension
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
	return d.Set(&v.dec)
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
		return appendDecimal(dst, &v.dec)
	case TypeMoney:
		dst = appendDecimal(dst, &v.dec)
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

// appendDecimal writes d (finite, normalised by the parser) as a plain
// decimal.
func appendDecimal(dst []byte, d *apd.Decimal) []byte {
	var digits [MaxDigits + 24]byte
	var ds []byte
	if d.Coeff.IsUint64() {
		ds = strconv.AppendUint(digits[:0], d.Coeff.Uint64(), 10)
	} else {
		ds = d.Coeff.Append(digits[:0], 10)
	}
	if d.Negative && !(len(ds) == 1 && ds[0] == '0') {
		dst = append(dst, '-')
	}
	e := int(d.Exponent)
	if e >= 0 {
		dst = append(dst, ds...)
		if !(len(ds) == 1 && ds[0] == '0') {
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
