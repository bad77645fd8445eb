package values

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Type is a field's value type, as written in the payload's "type" key.
type Type string

// The types. TypeString is the default: values pass through as written.
const (
	TypeString  Type = "string"
	TypeNumber  Type = "number"
	TypeInteger Type = "integer"
	TypeMoney   Type = "money"
	TypePercent Type = "percent"
	TypeBoolean Type = "boolean"
	TypeDate    Type = "date"
	TypePhone   Type = "phone"
)

// Types lists every type, in documentation order.
var Types = []Type{TypeString, TypeNumber, TypeInteger, TypeMoney, TypePercent, TypeBoolean, TypeDate, TypePhone}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool {
	for _, x := range Types {
		if t == x {
			return true
		}
	}
	return false
}

// numeric reports whether the type reads decimal numbers.
func (t Type) numeric() bool {
	return t == TypeNumber || t == TypeInteger || t == TypeMoney || t == TypePercent
}

// Values of Options.Decimal.
const (
	DecimalPoint = "."
	DecimalComma = ","
	DecimalAuto  = "auto"
)

// Values of Options.PercentScale.
const (
	// PercentFraction: 12.5% is written 0.125, and a number without a
	// percent sign is a fraction (0.125 is 12.5%), as spreadsheets store
	// percentages.
	PercentFraction = "fraction"
	// PercentPoints: 12.5% is written 12.5, and a number without a percent
	// sign counts percentage points (12.5 is 12.5%).
	PercentPoints = "percent"
)

// DateFunc reads a date and returns it as ISO 8601 (2006-01-02); ok is
// false when it does not understand the value. The caller supplies it (the
// tabular extractor passes its reader's ParseDate, which its date transform
// uses), so date reading lives in one place.
type DateFunc func(s string) (iso string, ok bool)

// Options are a field's type options. The JSON names are the payload keys;
// Date is supplied by the caller, not the payload.
type Options struct {
	// Decimal is the decimal separator of a numeric column: ".", "," or
	// "auto" (the default; see ResolveDecimal).
	Decimal string `json:"decimal,omitempty"`
	// Currency is the ISO 4217 code of money values written without a
	// currency marker, and settles shared symbols ($, ¥, £, kr, Rs).
	Currency string `json:"currency,omitempty"`
	// Region is the ISO 3166-1 alpha-2 region of phone numbers written
	// without a country code ("CA", "FR"). Without it, only numbers written
	// with "+" and a country code parse.
	Region string `json:"region,omitempty"`
	// PercentScale is PercentFraction (the default) or PercentPoints.
	PercentScale string `json:"percent_scale,omitempty"`
	// Checkbox makes a boolean column a column of check marks: "x", "X",
	// "☑" and "☒" are true as well (besides the words, "✓" and "✔" any
	// boolean column reads), and an empty cell (or "☐") is false.
	Checkbox bool `json:"checkbox,omitempty"`
	// Date reads dates for TypeDate and for inference.
	Date DateFunc `json:"-"`
}

// Parser reads the values of one column. It is immutable and safe for
// concurrent use.
type Parser struct {
	typ      Type
	opts     Options
	dec      byte     // 0 (auto), '.' or ','
	currency currency // the default, 0 for none
	points   bool
}

// NewParser validates a field's type and options and returns its parser.
// A refused option gives an *OptionError naming its payload key. Options
// that do not apply to the type are refused, so a misplaced key is caught
// when the configuration is saved, not silently ignored.
func NewParser(t Type, o Options) (*Parser, error) {
	if t == "" {
		t = TypeString
	}
	if !t.Valid() {
		return nil, &OptionError{Key: "type", Message: "must be one of string, number, integer, money, percent, boolean, date, phone"}
	}
	p := &Parser{typ: t, opts: o}
	switch o.Decimal {
	case "", DecimalAuto:
		p.opts.Decimal = DecimalAuto
	case DecimalPoint, DecimalComma:
		if !t.numeric() {
			return nil, &OptionError{Key: "decimal", Message: "applies to number, integer, money and percent only"}
		}
		p.dec = o.Decimal[0]
	default:
		return nil, &OptionError{Key: "decimal", Message: `must be ".", "," or "auto"`}
	}
	if o.Currency != "" {
		if t != TypeMoney {
			return nil, &OptionError{Key: "currency", Message: "applies to money only"}
		}
		p.currency = codeOf(o.Currency)
		if p.currency == 0 {
			return nil, &OptionError{Key: "currency", Message: "must be an active ISO 4217 currency code"}
		}
		p.opts.Currency = currencies[p.currency].code
	}
	if o.Region != "" {
		if t != TypePhone {
			return nil, &OptionError{Key: "region", Message: "applies to phone only"}
		}
		r := strings.ToUpper(o.Region)
		if !phonenumbers.GetSupportedRegions()[r] {
			return nil, &OptionError{Key: "region", Message: "must be a region code that has phone numbers (ISO 3166-1 alpha-2)"}
		}
		p.opts.Region = r
	}
	switch o.PercentScale {
	case "":
		p.opts.PercentScale = PercentFraction
	case PercentFraction, PercentPoints:
		if t != TypePercent {
			return nil, &OptionError{Key: "percent_scale", Message: "applies to percent only"}
		}
		p.points = o.PercentScale == PercentPoints
	default:
		return nil, &OptionError{Key: "percent_scale", Message: `must be "fraction" or "percent"`}
	}
	if o.Checkbox && t != TypeBoolean {
		return nil, &OptionError{Key: "checkbox", Message: "applies to boolean only"}
	}
	if t == TypeDate && o.Date == nil {
		return nil, &OptionError{Key: "type", Message: "date needs a date parser"}
	}
	return p, nil
}

// MustParser is NewParser for options known to be valid; it panics on an
// error.
func MustParser(t Type, o Options) *Parser {
	p, err := NewParser(t, o)
	if err != nil {
		panic(err)
	}
	return p
}

// Type is the parser's type.
func (p *Parser) Type() Type { return p.typ }

// Options are the parser's options, normalised (defaults filled in, codes
// upper-cased, the decimal separator resolved by ForColumn).
func (p *Parser) Options() Options { return p.opts }

// ForColumn returns the parser to use for a column whose values (or a
// sample of them) are given: with Decimal "auto", the decimal separator is
// resolved from the column (see ResolveDecimal); otherwise p itself.
func (p *Parser) ForColumn(samples []string) *Parser {
	if p.dec != 0 || !p.typ.numeric() {
		return p
	}
	q := *p
	q.opts.Decimal = ResolveDecimal(samples)
	q.dec = q.opts.Decimal[0]
	return &q
}

// Parse reads one value. An empty value (nothing but white space) gives an
// empty Value and no error, except in a checkbox column, where it is
// false. A value that does not parse gives an error matching ErrInvalid.
func (p *Parser) Parse(s string) (Value, error) {
	switch p.typ {
	case TypeNumber, TypeInteger, TypeMoney, TypePercent:
		var v Value
		if err := p.parseNumeric(&v, s); err != nil {
			return Value{}, err
		}
		return v, nil
	case TypeBoolean:
		return p.parseBoolean(s)
	case TypePhone:
		return p.parsePhone(s)
	case TypeDate:
		return p.parseDate(s)
	}
	return Value{typ: TypeString, text: s, empty: s == ""}, nil
}

// Canonical returns the canonical text of s; ok is false (and out is s
// unchanged) when s does not parse. Its shape is the tabular extractor's
// transform signature, so a typed field is one more step of its pipeline.
func (p *Parser) Canonical(s string) (out string, ok bool) {
	if p.typ == TypeString {
		return s, true
	}
	v, err := p.Parse(s)
	if err != nil {
		return s, false
	}
	if v.typ.numeric() || v.typ == TypeBoolean {
		var buf [64]byte
		b := v.AppendText(buf[:0])
		return string(b), true
	}
	return v.String(), true
}

// AppendCanonical appends the canonical text of s to dst; ok is false (and
// dst unchanged) when s does not parse. With a reused dst it allocates
// nothing for numbers, integers, money, percentages and booleans.
func (p *Parser) AppendCanonical(dst []byte, s string) ([]byte, bool) {
	if p.typ == TypeString {
		return append(dst, s...), true
	}
	if p.typ.numeric() {
		var v Value
		if p.parseNumeric(&v, s) != nil {
			return dst, false
		}
		return v.AppendText(dst), true
	}
	v, err := p.Parse(s)
	if err != nil {
		return dst, false
	}
	return v.AppendText(dst), true
}

// IsCanonical reports whether s is a value of the parser's type written in
// its canonical form, as Canonical writes it whatever the column's decimal
// separator ("1234.50 USD" in a decimal-comma column too). Every string is
// a canonical string. An empty value is canonical.
func (p *Parser) IsCanonical(s string) bool {
	if p.typ == TypeString {
		return true
	}
	q := *p
	if q.typ.numeric() {
		q.dec, q.opts.Decimal = '.', DecimalPoint
	}
	out, ok := q.Canonical(s)
	return ok && out == s
}
