package values

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Boolean words, compared without regard to ASCII letter case.
var (
	trueWords  = []string{"true", "t", "yes", "y", "1", "on", "✓", "✔"}
	falseWords = []string{"false", "f", "no", "n", "0", "off"}
	// checkMarks are true in a checkbox column only: elsewhere "x" may as
	// well mean "no".
	checkMarks = []string{"x", "☑", "☒"}
)

func matchWord(s string, words []string) bool {
	for _, w := range words {
		if len(s) == len(w) && strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// parseBoolean reads yes/no values, and check marks in a checkbox column.
func (p *Parser) parseBoolean(s string) (Value, error) {
	v := Value{typ: TypeBoolean}
	i, j := trim(s)
	w := s[i:j]
	switch {
	case w == "" || (p.opts.Checkbox && w == "☐"):
		if !p.opts.Checkbox {
			v.empty = true
		}
		return v, nil
	case matchWord(w, trueWords), p.opts.Checkbox && matchWord(w, checkMarks):
		v.boolean = true
		return v, nil
	case matchWord(w, falseWords):
		return v, nil
	}
	return Value{}, ErrSyntax
}

// maxPhone bounds a phone value (phonenumbers refuses more than 250).
const maxPhone = 250

// parsePhone reads a phone number through phonenumbers: it must be a valid
// number (not merely a possible one) for the column's region, or carry its
// country code.
func (p *Parser) parsePhone(s string) (Value, error) {
	v := Value{typ: TypePhone}
	i, j := trim(s)
	if i == j {
		v.empty = true
		return v, nil
	}
	if j-i > maxPhone {
		return Value{}, ErrPhone
	}
	region := p.opts.Region
	if region == "" {
		region = "ZZ" // unknown: only +country numbers parse
	}
	num, err := phonenumbers.Parse(s[i:j], region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return Value{}, ErrPhone
	}
	v.text = phonenumbers.Format(num, phonenumbers.E164)
	v.ext = num.GetExtension()
	return v, nil
}

// parseDate reads a date through the caller's date parser.
func (p *Parser) parseDate(s string) (Value, error) {
	v := Value{typ: TypeDate}
	i, j := trim(s)
	if i == j {
		v.empty = true
		return v, nil
	}
	iso, ok := p.opts.Date(s[i:j])
	if !ok {
		return Value{}, ErrDate
	}
	v.text = iso
	return v, nil
}
