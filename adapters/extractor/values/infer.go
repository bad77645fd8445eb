package values

// InferShare is the share of a column's non-empty values, in percent, that
// must parse as a type for Infer to pick it.
const InferShare = 90

// inferOrder is the order of the candidate types, most specific first: it
// breaks ties between types that read the same share of values.
var inferOrder = []Type{TypeInteger, TypeNumber, TypePercent, TypeMoney, TypeBoolean, TypeDate, TypePhone}

// Inference is what a column's values say about its type.
type Inference struct {
	// Type is the type a configuration author would pick (TypeString when
	// no type reads InferShare percent of the non-empty values).
	Type Type `json:"type"`
	// NonEmpty is the number of values that are not blank.
	NonEmpty int `json:"non_empty"`
	// Parsed is, per candidate type, how many of the non-empty values parse
	// as that type.
	Parsed map[Type]int `json:"parsed"`
	// Decimal is the decimal separator resolved for the column ("." or ",").
	Decimal string `json:"decimal"`
	// Checkbox is true when the column's booleans include check marks ("x",
	// "☑"): a boolean field for it wants "checkbox": true.
	Checkbox bool `json:"checkbox,omitempty"`
}

// Infer looks at a column's values (or a sample of them; every value given
// is parsed, phone numbers at some microseconds each) and says which type
// each share of them parses as. The pick: among the types that read at
// least InferShare percent of the non-empty values, the one that reads the
// most, ties going to the first of integer, number, percent, money,
// boolean, date, phone. So a column of 0 and 1 is integer, "Y"/"N" is
// boolean, "12.5%" is percent, and "$12" (or plain amounts when
// o.Currency is set) is money only when no plain number type reads as
// many.
//
// o gives the column's context: Decimal (else resolved from the values),
// Currency (a default that lets plain numbers count as money), Region
// (national phone numbers), PercentScale, and Date (without it no value
// counts as a date). Options that are invalid for NewParser are ignored.
// The result depends only on the values and o.
func Infer(samples []string, o Options) Inference {
	x := NewInferrer(samples, o)
	for _, s := range samples {
		x.Add(s)
	}
	return x.Result()
}

// Inferrer is Infer one value at a time, for a column too long to hold:
// its decimal separator is resolved from the samples given to
// NewInferrer (unless o.Decimal settles it), and every value added is
// counted. Its memory does not grow with the values. It is not safe for
// concurrent use.
type Inferrer struct {
	inf     Inference
	parsers []*Parser
	parsed  []int // by inferOrder
}

// NewInferrer starts an inference with the column's options (see Infer);
// samples (which are not counted) resolve the decimal separator.
func NewInferrer(samples []string, o Options) *Inferrer {
	x := &Inferrer{inf: Inference{Type: TypeString}, parsed: make([]int, len(inferOrder))}
	switch o.Decimal {
	case DecimalPoint, DecimalComma:
		x.inf.Decimal = o.Decimal
	default:
		x.inf.Decimal = ResolveDecimal(samples)
	}
	x.parsers = make([]*Parser, len(inferOrder))
	for i, t := range inferOrder {
		po := Options{}
		switch t {
		case TypeInteger, TypeNumber:
			po.Decimal = x.inf.Decimal
		case TypePercent:
			po.Decimal, po.PercentScale = x.inf.Decimal, o.PercentScale
		case TypeMoney:
			po.Decimal, po.Currency = x.inf.Decimal, o.Currency
		case TypeBoolean:
			po.Checkbox = true
		case TypeDate:
			if o.Date == nil {
				continue
			}
			po.Date = o.Date
		case TypePhone:
			po.Region = o.Region
		}
		p, err := NewParser(t, po)
		if err != nil {
			// An invalid option is dropped, not fatal.
			p, err = NewParser(t, Options{Decimal: po.Decimal, Checkbox: po.Checkbox, Date: po.Date})
			if err != nil {
				continue
			}
		}
		x.parsers[i] = p
	}
	return x
}

// Add counts one value.
func (x *Inferrer) Add(s string) {
	i, j := trim(s)
	if i == j {
		return
	}
	x.inf.NonEmpty++
	v := s[i:j]
	// Every type but boolean needs a digit, except money's accounting
	// zero ("-", "$ -"): text skips the parsers that cannot read it. The
	// four numeric types share their first step, whose failure is every
	// one's: it is taken once.
	digit, dash := false, false
	for k := 0; k < len(v) && !digit; k++ {
		digit = isDigit(v[k])
		dash = dash || v[k] == '-' || minusLen(v, k) > 0
	}
	numeric := digit || dash
	if numeric {
		var sp split
		numeric = len(v) <= maxInput && splitNumeric(&sp, v) == nil
	}
	for k, p := range x.parsers {
		if p == nil {
			continue
		}
		switch {
		case p.typ == TypeBoolean:
		case p.typ.numeric() && !numeric:
			continue
		case p.typ == TypePhone && !phoneLike(v, p.opts.Region == ""):
			continue
		case !digit && !(p.typ == TypeMoney && dash):
			continue
		}
		if _, err := p.Parse(s); err == nil {
			x.parsed[k]++
			if p.typ == TypeBoolean && !x.inf.Checkbox {
				x.inf.Checkbox = matchWord(v, checkMarks)
			}
		}
	}
}

// Result is the inference of the values added so far.
func (x *Inferrer) Result() Inference {
	inf := x.inf
	inf.Parsed = make(map[Type]int, len(inferOrder))
	for k, n := range x.parsed {
		if n > 0 {
			inf.Parsed[inferOrder[k]] = n
		}
	}
	best := 0
	for _, t := range inferOrder {
		n := inf.Parsed[t]
		if n > best && n*100 >= inf.NonEmpty*InferShare {
			inf.Type, best = t, n
		}
	}
	if inf.Type != TypeBoolean {
		inf.Checkbox = false
	}
	return inf
}

// phoneLike is inference's cheap look at a value before the phone parser
// (some microseconds a value) is tried, which must not change what is
// counted: up to its first letter, '#' or ';' (where an extension may
// start), a phone number is written with 5 to 17 digits and nothing but
// spaces and + ( ) - . / between them, and, without a region (plus), with
// a "+" before its first digit, as the parser then requires. So amounts
// ("$1,309.00", "1,234.50"), small numbers, codes and words are never
// handed to the phone parser. A number written otherwise, with letters in
// front ("Tel: 236 551 1017"), as letters ("1-800-FLOWERS") or with a
// letter inside ("3x0000"), may be read by a phone field but is not
// counted here.
func phoneLike(s string, plus bool) bool {
	digits := 0
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case isDigit(c):
			if digits == 0 && plus {
				return false
			}
			digits++
		case c == '+':
			plus = false
		case c == ' ' || c == '(' || c == ')' || c == '-' || c == '.' || c == '/' || c == '\t':
		case isLetter(c) || c == '#' || c == ';':
			return digits >= 5 && digits <= 17
		case c == 0xc2 && k+1 < len(s) && s[k+1] == 0xa0: // a no-break space
			k++
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 17
}
