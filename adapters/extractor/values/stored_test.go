package values_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/values"
)

var _ = Describe("number cells of a spreadsheet", func() {
	DescribeTable("take the number from the stored value and the rest from the shown text",
		func(t values.Type, o values.Options, shown, stored, want string, wantOK bool) {
			out, ok := values.MustParser(t, o).CanonicalStored(shown, stored)
			Expect(ok).To(Equal(wantOK))
			Expect(out).To(Equal(want))
		},
		Entry("digits the format rounds away", values.TypeNumber, values.Options{}, "1,234.57", "1234.5678", "1234.5678", true),
		Entry("an exponent form", values.TypeNumber, values.Options{}, "0.00", "1.5E-07", "0.00000015", true),
		Entry("a float's digits", values.TypeNumber, values.Options{}, "0.3", "0.30000000000000004", "0.30000000000000004", true),
		Entry("a percentage shown in a number column", values.TypeNumber, values.Options{}, "12%", "0.12", "0.12", true),
		Entry("a decimal comma column reads the stored point", values.TypeNumber, values.Options{Decimal: ","}, "1.234,57", "1234.5678", "1234.5678", true),
		Entry("an integer", values.TypeInteger, values.Options{}, "1,200", "1200", "1200", true),
		Entry("an integer with a hidden fraction", values.TypeInteger, values.Options{}, "12", "12.4", "12", false),
		Entry("money in the shown currency", values.TypeMoney, values.Options{Currency: "USD"}, "€1.234,57", "1234.567", "1234.567 EUR", true),
		Entry("money in an accounting format", values.TypeMoney, values.Options{Currency: "USD"}, "(1,234.50)", "-1234.5", "-1234.50 USD", true),
		Entry("money without a marker takes the column's currency", values.TypeMoney, values.Options{Currency: "CAD"}, "1,234.50", "1234.5", "1234.50 CAD", true),
		Entry("money without any currency", values.TypeMoney, values.Options{}, "1,234.50", "1234.5", "1,234.50", false),
		Entry("a fraction shown as a percentage", values.TypePercent, values.Options{}, "12.5%", "0.125", "0.125", true),
		Entry("points shown as a percentage", values.TypePercent, values.Options{PercentScale: "percent"}, "12.5%", "0.125", "12.5", true),
		Entry("points of a large share", values.TypePercent, values.Options{PercentScale: "percent"}, "500%", "5", "500", true),
		Entry("zero points", values.TypePercent, values.Options{PercentScale: "percent"}, "0%", "0", "0", true),
		Entry("points shown as a plain number", values.TypePercent, values.Options{PercentScale: "percent"}, "12.5", "12.5", "12.5", true),
		Entry("a fraction shown as a plain number", values.TypePercent, values.Options{}, "0.125", "0.125", "0.125", true),
		Entry("a stored value that is no number", values.TypeNumber, values.Options{}, "#N/A", "#N/A", "#N/A", false),
		Entry("booleans read the shown text", values.TypeBoolean, values.Options{}, "TRUE", "1", "true", true),
	)
})

var _ = Describe("canonical values", func() {
	DescribeTable("are told from values that are not, whatever the column's separator",
		func(t values.Type, o values.Options, s string, want bool) {
			Expect(values.MustParser(t, o).IsCanonical(s)).To(Equal(want))
		},
		Entry("money", values.TypeMoney, values.Options{Decimal: ","}, "-1234.50 USD", true),
		Entry("money as written", values.TypeMoney, values.Options{Decimal: ","}, "-1.234,50 USD", false),
		Entry("money without its minor units", values.TypeMoney, values.Options{}, "12 USD", false),
		Entry("a number", values.TypeNumber, values.Options{Decimal: ","}, "-12.5", true),
		Entry("a number with a trailing zero", values.TypeNumber, values.Options{}, "12.50", false),
		Entry("points", values.TypePercent, values.Options{PercentScale: "percent"}, "12.5", true),
		Entry("a phone number with its extension", values.TypePhone, values.Options{}, "+12365511017;ext=12", true),
		Entry("a national phone number", values.TypePhone, values.Options{Region: "CA"}, "(236) 551-1017", false),
		Entry("a boolean", values.TypeBoolean, values.Options{}, "false", true),
		Entry("a boolean as written", values.TypeBoolean, values.Options{}, "N", false),
		Entry("a formula in a number column", values.TypeNumber, values.Options{}, "=1+2", false),
		Entry("any string", values.TypeString, values.Options{}, "=1+2", true),
	)
})
