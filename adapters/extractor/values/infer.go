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
	inf := Inference{Type: TypeString, Parsed: map[Type]int{}}
	switch o.Decimal {
	case DecimalPoint, DecimalComma:
		inf.Decimal = o.Decimal
	default:
		inf.Decimal = ResolveDecimal(samples)
	}
	parsers := make([]*Parser, len(inferOrder))
	for i, t := range inferOrder {
		po := Options{}
		switch t {
		case TypeInteger, TypeNumber:
			po.Decimal = inf.Decimal
		case TypePercent:
			po.Decimal, po.PercentScale = inf.Decimal, o.PercentScale
		case TypeMoney:
			po.Decimal, po.Currency = inf.Decimal, o.Currency
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
		parsers[i] = p
	}
	for _, s := range samples {
		if i, j := trim(s); i == j {
			continue
		}
		inf.NonEmpty++
		for k, p := range parsers {
			if p == nil {
				continue
			}
			if p.typ == TypePhone && !hasDigit(s) {
				continue
			}
			if _, err := p.Parse(s); err == nil {
				inf.Parsed[inferOrder[k]]++
				if p.typ == TypeBoolean && !inf.Checkbox {
					i, j := trim(s)
					inf.Checkbox = matchWord(s[i:j], checkMarks)
				}
			}
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

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}
