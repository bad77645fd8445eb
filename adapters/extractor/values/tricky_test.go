package values_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/values"
)

// invalid marks a case whose value must not parse, with the reason.
type invalid struct{ err error }

func newParser(t values.Type, o values.Options) *values.Parser {
	GinkgoHelper()
	p, err := values.NewParser(t, o)
	Expect(err).NotTo(HaveOccurred())
	return p
}

var _ = Describe("reading values", func() {
	usd := values.Options{Currency: "USD"}
	comma := values.Options{Decimal: ","}
	point := values.Options{Decimal: "."}

	DescribeTable("tricky cases",
		func(t values.Type, o values.Options, in string, want any) {
			p := newParser(t, o)
			out, ok := p.Canonical(in)
			switch w := want.(type) {
			case string:
				Expect(ok).To(BeTrue(), "%q did not parse", in)
				Expect(out).To(Equal(w))
			case invalid:
				Expect(ok).To(BeFalse(), "%q parsed as %q", in, out)
				Expect(out).To(Equal(in), "an invalid value is kept as written")
				_, err := p.Parse(in)
				Expect(err).To(MatchError(values.ErrInvalid))
				Expect(err).To(MatchError(w.err))
			}
		},
		// the thousands separator against the decimal comma
		Entry("1,234 reads as thousands when nothing says otherwise", values.TypeNumber, values.Options{}, "1,234", "1234"),
		Entry("1.234 reads as a decimal point when nothing says otherwise", values.TypeNumber, values.Options{}, "1.234", "1.234"),
		Entry("1,234 in a decimal-comma column", values.TypeNumber, comma, "1,234", "1.234"),
		Entry("1.234 in a decimal-comma column groups thousands", values.TypeNumber, comma, "1.234", "1234"),
		Entry("1,234 in a decimal-point column", values.TypeNumber, point, "1,234", "1234"),
		Entry("1,5 is a decimal comma: no group has one digit", values.TypeNumber, values.Options{}, "1,5", "1.5"),
		Entry("0,125 is a decimal comma: no group starts at 0", values.TypeNumber, values.Options{}, "0,125", "0.125"),
		Entry("1234,567 is a decimal comma: 4 digits were not grouped", values.TypeNumber, values.Options{}, "1234,567", "1234.567"),
		Entry("1.234,50 has the last separator as decimal", values.TypeNumber, values.Options{}, "1.234,50", "1234.5"),
		Entry("1,234.50 has the last separator as decimal", values.TypeNumber, values.Options{}, "1,234.50", "1234.5"),
		Entry("1.234.567 repeats its grouping mark", values.TypeNumber, values.Options{}, "1.234.567", "1234567"),
		Entry("1 234,567 groups with a space: the comma is decimal", values.TypeNumber, values.Options{}, "1 234,567", "1234.567"),
		Entry("Swiss apostrophes", values.TypeNumber, values.Options{}, "1'234'567.25", "1234567.25"),
		Entry("a typographic apostrophe", values.TypeNumber, values.Options{}, "1’234.5", "1234.5"),
		Entry("1.234,50 in a decimal-point column", values.TypeNumber, point, "1.234,50", invalid{values.ErrGrouping}),
		Entry("a group of two digits", values.TypeNumber, point, "1,23", invalid{values.ErrGrouping}),
		Entry("a group of four digits", values.TypeNumber, values.Options{}, "1,2345,678", invalid{values.ErrGrouping}),
		Entry("two grouping marks in one value", values.TypeNumber, values.Options{}, "1,234 567.5", invalid{values.ErrGrouping}),
		Entry("a group starting at zero", values.TypeNumber, point, "0,123", invalid{values.ErrGrouping}),
		Entry("grouping in the fraction", values.TypeNumber, point, "1.234,5", invalid{values.ErrGrouping}),
		Entry("two decimal points", values.TypeNumber, point, "1.2.3", invalid{values.ErrGrouping}),
		// negatives and zero
		Entry("a trailing minus", values.TypeNumber, values.Options{}, "1234.50-", "-1234.5"),
		Entry("parentheses", values.TypeNumber, values.Options{}, "(1,234.50)", "-1234.5"),
		Entry("a Unicode minus sign", values.TypeNumber, values.Options{}, "−42", "-42"),
		Entry("negative zero is zero", values.TypeNumber, values.Options{}, "-0", "0"),
		Entry("negative zero with a fraction is zero", values.TypeNumber, values.Options{}, "-0.000", "0"),
		Entry("negative zero money is zero", values.TypeMoney, usd, "(0.00)", "0.00 USD"),
		Entry("a leading plus", values.TypeNumber, values.Options{}, "+5", "5"),
		Entry("two signs", values.TypeNumber, values.Options{}, "-5-", invalid{values.ErrSyntax}),
		Entry("a sign inside parentheses", values.TypeNumber, values.Options{}, "(-5)", invalid{values.ErrSyntax}),
		Entry("an unclosed parenthesis", values.TypeNumber, values.Options{}, "(5", invalid{values.ErrSyntax}),
		Entry("plus and trailing minus", values.TypeNumber, values.Options{}, "+5-", invalid{values.ErrSyntax}),
		// short forms
		Entry(".5", values.TypeNumber, values.Options{}, ".5", "0.5"),
		Entry("5.", values.TypeNumber, values.Options{}, "5.", "5"),
		Entry("5, in a decimal-comma column", values.TypeNumber, comma, "5,", "5"),
		Entry("empty is empty, not invalid", values.TypeNumber, values.Options{}, "", ""),
		Entry("white space is empty", values.TypeNumber, values.Options{}, " \u00a0\t", ""),
		Entry("a lone minus is not a number", values.TypeNumber, values.Options{}, "-", invalid{values.ErrSyntax}),
		Entry("a lone minus is zero money (accounting formats)", values.TypeMoney, usd, "-", "0.00 USD"),
		Entry("a dollar and a dash is zero money", values.TypeMoney, usd, " $ -   ", "0.00 USD"),
		Entry("a lone point", values.TypeNumber, values.Options{}, ".", invalid{values.ErrSyntax}),
		Entry("words", values.TypeNumber, values.Options{}, "n/a", invalid{values.ErrSyntax}),
		// exponents
		Entry("1.2E+03", values.TypeNumber, values.Options{}, "1.2E+03", "1200"),
		Entry("1.2E+03 as money", values.TypeMoney, usd, "1.2E+03", "1200.00 USD"),
		Entry("a small exponent", values.TypeNumber, values.Options{}, "1.5e-7", "0.00000015"),
		Entry("an exponent after a decimal comma", values.TypeNumber, comma, "1,5E2", "150"),
		Entry("the largest exponent allowed", values.TypeNumber, values.Options{}, "1E+99", "1"+zeros(99)),
		Entry("one past it", values.TypeNumber, values.Options{}, "1E+100", invalid{values.ErrOutOfRange}),
		Entry("a huge exponent", values.TypeNumber, values.Options{}, "1E+1000000000", invalid{values.ErrOutOfRange}),
		Entry("a huge negative exponent", values.TypeNumber, values.Options{}, "1E-1000000000", invalid{values.ErrOutOfRange}),
		Entry("an exponent too long to read", values.TypeNumber, values.Options{}, "1E99999999999999999999", invalid{values.ErrOutOfRange}),
		Entry("zero with a huge exponent is zero", values.TypeNumber, values.Options{}, "0E+999999", "0"),
		Entry("101 significant digits", values.TypeNumber, values.Options{}, "1"+zeros(99)+"1", invalid{values.ErrOutOfRange}),
		// exactness
		Entry("a float's digits are kept", values.TypeNumber, values.Options{}, "0.30000000000000004", "0.30000000000000004"),
		Entry("30 significant digits", values.TypeNumber, values.Options{}, "123456789012345678901234567.891", "123456789012345678901234567.891"),
		Entry("beyond 128 bits", values.TypeNumber, values.Options{}, "-1234567890123456789012345678901234567890.5", "-1234567890123456789012345678901234567890.5"),
		// non-breaking spaces
		Entry("a no-break space groups", values.TypeNumber, values.Options{}, "1\u00a0234,50", "1234.5"),
		Entry("a narrow no-break space groups", values.TypeNumber, values.Options{}, "1\u202f234\u202f567,5", "1234567.5"),
		Entry("a thin space groups", values.TypeNumber, values.Options{}, "1\u2009234", "1234"),
		Entry("no-break spaces around", values.TypeMoney, usd, "\u00a012\u00a0€\u202f", "12.00 EUR"),
		Entry("a space after the digits is not grouping", values.TypeNumber, values.Options{}, "12 ", "12"),
		// currency after the number, and other money forms
		Entry("currency code after", values.TypeMoney, values.Options{}, "12 USD", "12.00 USD"),
		Entry("currency code before", values.TypeMoney, values.Options{}, "USD 12", "12.00 USD"),
		Entry("a code in lower case", values.TypeMoney, values.Options{}, "12 eur", "12.00 EUR"),
		Entry("euro sign after", values.TypeMoney, values.Options{}, "12 €", "12.00 EUR"),
		Entry("euro sign before", values.TypeMoney, values.Options{}, "€12", "12.00 EUR"),
		Entry("European money", values.TypeMoney, values.Options{}, "1.234,50 €", "1234.50 EUR"),
		Entry("French money", values.TypeMoney, values.Options{}, "1\u202f234,50\u00a0€", "1234.50 EUR"),
		Entry("dollars", values.TypeMoney, values.Options{}, "$1,234.50", "1234.50 USD"),
		Entry("dollars in a Canadian column", values.TypeMoney, values.Options{Currency: "CAD"}, "$1,234.50", "1234.50 CAD"),
		Entry("dollars in a euro column are US dollars", values.TypeMoney, values.Options{Currency: "EUR"}, "$5", "5.00 USD"),
		Entry("a symbol and a code that agree", values.TypeMoney, values.Options{}, "$5 CAD", "5.00 CAD"),
		Entry("a symbol and a code that disagree", values.TypeMoney, values.Options{}, "€5 USD", invalid{values.ErrCurrencyConflict}),
		Entry("two codes", values.TypeMoney, values.Options{}, "USD 5 EUR", invalid{values.ErrCurrencyConflict}),
		Entry("a minus before the symbol", values.TypeMoney, values.Options{}, "-$5.25", "-5.25 USD"),
		Entry("a minus after the symbol", values.TypeMoney, values.Options{}, "$-5.25", "-5.25 USD"),
		Entry("parentheses inside the symbol", values.TypeMoney, values.Options{}, "$(5.25)", "-5.25 USD"),
		Entry("a trailing minus after the code", values.TypeMoney, values.Options{}, "5.25 USD-", "-5.25 USD"),
		Entry("no marker, no default", values.TypeMoney, values.Options{}, "12.50", invalid{values.ErrNoCurrency}),
		Entry("a plain amount takes the default", values.TypeMoney, usd, "12.5", "12.50 USD"),
		Entry("digits beyond the minor unit are kept", values.TypeMoney, usd, "12.345", "12.345 USD"),
		Entry("zeros beyond the minor unit are not", values.TypeMoney, usd, "12.3400", "12.34 USD"),
		Entry("yen have no minor unit", values.TypeMoney, values.Options{}, "¥1,200", "1200 JPY"),
		Entry("a fraction of a yen is kept", values.TypeMoney, values.Options{}, "JPY 1.5", "1.5 JPY"),
		Entry("dinars have three", values.TypeMoney, values.Options{}, "KWD 1.5", "1.500 KWD"),
		Entry("a krona needs a default", values.TypeMoney, values.Options{}, "5 kr", invalid{values.ErrNoCurrency}),
		Entry("a krona in a Swedish column", values.TypeMoney, values.Options{Currency: "SEK"}, "5 kr", "5.00 SEK"),
		Entry("an unknown code", values.TypeMoney, values.Options{}, "12 ABC", invalid{values.ErrSyntax}),
		Entry("a percent sign in money", values.TypeMoney, usd, "12%", invalid{values.ErrUnexpectedMark}),
		Entry("a currency in a number column", values.TypeNumber, values.Options{}, "$12", invalid{values.ErrUnexpectedMark}),
		Entry("a code glued to the amount", values.TypeMoney, values.Options{}, "USD12", "12.00 USD"),
		Entry("US$", values.TypeMoney, values.Options{}, "US$ 12", "12.00 USD"),
		Entry("R$", values.TypeMoney, values.Options{}, "R$ 1.234,56", "1234.56 BRL"),
		// percent
		Entry("a percentage as a fraction", values.TypePercent, values.Options{}, "12.5%", "0.125"),
		Entry("a spaced percentage", values.TypePercent, values.Options{}, "12 %", "0.12"),
		Entry("a decimal-comma percentage", values.TypePercent, values.Options{}, "12,5\u00a0%", "0.125"),
		Entry("a bare fraction", values.TypePercent, values.Options{}, "0.125", "0.125"),
		Entry("a percentage in points", values.TypePercent, values.Options{PercentScale: "percent"}, "12.5%", "12.5"),
		Entry("a bare number in points", values.TypePercent, values.Options{PercentScale: "percent"}, "12.5", "12.5"),
		Entry("a negative percentage", values.TypePercent, values.Options{}, "(3%)", "-0.03"),
		Entry("a percent sign in a number column", values.TypeNumber, values.Options{}, "12%", invalid{values.ErrUnexpectedMark}),
		Entry("two percent signs", values.TypePercent, values.Options{}, "12%%", invalid{values.ErrSyntax}),
		// integers
		Entry("an integer with a zero fraction", values.TypeInteger, values.Options{}, "12.00", "12"),
		Entry("an integer with grouping", values.TypeInteger, values.Options{}, "1,000,000", "1000000"),
		Entry("an integer in exponent form", values.TypeInteger, values.Options{}, "1.2E+03", "1200"),
		Entry("a fraction in an integer column", values.TypeInteger, values.Options{}, "12.5", invalid{values.ErrFraction}),
		Entry("a small fraction in an integer column", values.TypeInteger, values.Options{}, "12E-1", invalid{values.ErrFraction}),
		// booleans
		Entry("Y", values.TypeBoolean, values.Options{}, "Y", "true"),
		Entry("n", values.TypeBoolean, values.Options{}, "n", "false"),
		Entry("Yes", values.TypeBoolean, values.Options{}, " Yes ", "true"),
		Entry("FALSE", values.TypeBoolean, values.Options{}, "FALSE", "false"),
		Entry("1", values.TypeBoolean, values.Options{}, "1", "true"),
		Entry("0", values.TypeBoolean, values.Options{}, "0", "false"),
		Entry("a check mark", values.TypeBoolean, values.Options{}, "✔", "true"),
		Entry("x outside a checkbox column", values.TypeBoolean, values.Options{}, "x", invalid{values.ErrSyntax}),
		Entry("x in a checkbox column", values.TypeBoolean, values.Options{Checkbox: true}, "X", "true"),
		Entry("an empty checkbox is false", values.TypeBoolean, values.Options{Checkbox: true}, "", "false"),
		Entry("an empty box is false", values.TypeBoolean, values.Options{Checkbox: true}, "☐", "false"),
		Entry("an empty boolean is empty", values.TypeBoolean, values.Options{}, " ", ""),
		Entry("maybe", values.TypeBoolean, values.Options{}, "maybe", invalid{values.ErrSyntax}),
		// phone numbers
		Entry("a North American number", values.TypePhone, values.Options{Region: "CA"}, "(236) 551-1017", "+12365511017"),
		Entry("an international number", values.TypePhone, values.Options{Region: "CA"}, "+1 236-551-1017", "+12365511017"),
		Entry("an extension", values.TypePhone, values.Options{Region: "CA"}, "236.551.1017 ext. 12", "+12365511017;ext=12"),
		Entry("an international number without a region", values.TypePhone, values.Options{}, "+33 1 42 68 53 00", "+33142685300"),
		Entry("a national number without a region", values.TypePhone, values.Options{}, "(236) 551-1017", invalid{values.ErrPhone}),
		Entry("too short", values.TypePhone, values.Options{Region: "US"}, "555-1234", invalid{values.ErrPhone}),
		Entry("a French national number", values.TypePhone, values.Options{Region: "fr"}, "01 42 68 53 00", "+33142685300"),
		// strings
		Entry("a string is kept as written", values.TypeString, values.Options{}, "  Mixed Case  ", "  Mixed Case  "),
	)
})

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}
