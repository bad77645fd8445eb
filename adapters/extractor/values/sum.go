package values

import (
	"fmt"

	"github.com/cockroachdb/apd/v3"
)

// Sum adds the canonical values of one typed column exactly, for the audit
// of a table's total row. Numbers, integers and money add; money adds
// within one currency. Percentages do not: rates do not add up (a total
// row's cell under a rate is an average, or blank), and the one kind that
// does (shares of a whole) is too rare to tell apart, so checking them
// would raise false mismatches. Strings, booleans, dates and phone numbers
// have no sum. The zero Sum is not usable: call NewSum.
type Sum struct {
	typ      Type
	p        *Parser
	total    apd.Decimal
	currency string
	count    int
	skipped  int
}

// NewSum starts a sum of a column of type t; it fails with ErrNotSummable
// for types that do not add.
func NewSum(t Type) (*Sum, error) {
	switch t {
	case TypeNumber, TypeInteger, TypeMoney:
	default:
		return nil, fmt.Errorf("sum %s: %w", t, ErrNotSummable)
	}
	return &Sum{typ: t, p: MustParser(t, Options{Decimal: DecimalPoint})}, nil
}

// Add adds one canonical value (as Canonical wrote it). Empty values add
// nothing. A value that does not parse, or money in another currency than
// the values before it, is not added: it is counted in Skipped and its
// error returned.
func (s *Sum) Add(canonical string) error {
	v, err := s.p.Parse(canonical)
	if err != nil {
		s.skipped++
		return err
	}
	return s.AddValue(v)
}

// AddValue adds a parsed value of the sum's type (see Add).
func (s *Sum) AddValue(v Value) error {
	if v.empty {
		return nil
	}
	if v.typ != s.typ {
		s.skipped++
		return fmt.Errorf("sum %s: a %s value: %w", s.typ, v.Type(), ErrSyntax)
	}
	if s.typ == TypeMoney {
		if s.count > 0 && v.currency != s.currency {
			s.skipped++
			return fmt.Errorf("sum %s with %s: %w", s.currency, v.currency, ErrMixedCurrency)
		}
		s.currency = v.currency
	}
	// Precision 0 never rounds; MaxDigits keeps exponents far inside
	// apd's range, so no condition can arise.
	if _, err := apd.BaseContext.Add(&s.total, &s.total, v.materialize()); err != nil {
		s.skipped++
		return fmt.Errorf("sum: %w", err)
	}
	s.count++
	return nil
}

// Count is the number of values added.
func (s *Sum) Count() int { return s.count }

// Skipped is the number of values refused by Add and AddValue.
func (s *Sum) Skipped() int { return s.skipped }

// Value is the sum in canonical form (zero, in the column's type, when
// nothing was added; a money sum of nothing has no currency and is empty).
func (s *Sum) Value() Value {
	v := Value{typ: s.typ, currency: s.currency}
	if s.typ == TypeMoney && s.count == 0 {
		v.empty = true
		return v
	}
	v.dec.Reduce(&s.total)
	if v.dec.IsZero() {
		v.dec.Negative = false
		v.dec.Exponent = 0
	}
	if s.typ == TypeMoney {
		scale := int32(currencies[codeOf(s.currency)].minor)
		if v.dec.Exponent > -scale {
			pad := v.dec.Exponent + scale
			for pad > 0 {
				k := min(pad, 19)
				v.dec.Coeff.Mul(&v.dec.Coeff, &bigPow10[k])
				pad -= k
			}
			v.dec.Exponent = -scale
		}
	}
	return v
}

// Check is the outcome of comparing a column's sum with its stated total.
type Check struct {
	// Stated and Computed are canonical texts.
	Stated, Computed string
	// Match is true when both are the same number (1234.5 and 1234.50
	// match) and, for money, the same currency.
	Match bool
	// Count and Skipped are the sum's counts: a mismatch with Skipped > 0
	// may come from values that did not parse.
	Count, Skipped int
}

// Check compares the sum with a total row's canonical value.
func (s *Sum) Check(stated string) (Check, error) {
	v, err := s.p.Parse(stated)
	if err != nil {
		return Check{}, fmt.Errorf("stated total: %w", err)
	}
	if v.empty {
		return Check{}, fmt.Errorf("stated total: %w", ErrSyntax)
	}
	sum := s.Value()
	c := Check{Stated: v.String(), Computed: sum.String(), Count: s.count, Skipped: s.skipped}
	switch {
	case s.typ == TypeMoney && s.count == 0:
		c.Match = v.materialize().IsZero()
	case s.typ == TypeMoney && v.currency != sum.currency:
		c.Match = false
	default:
		c.Match = v.materialize().Cmp(&sum.dec) == 0
	}
	return c, nil
}
