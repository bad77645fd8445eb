package values_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/values"
)

var _ = Describe("sums", func() {
	It("adds money exactly and checks a stated total", func() {
		p := values.MustParser(values.TypeMoney, values.Options{Currency: "USD"})
		s, err := values.NewSum(values.TypeMoney)
		Expect(err).NotTo(HaveOccurred())
		for _, in := range []string{"$1,234.50", "(234.50)", "0.10", "0.20", "", "$ -"} {
			out, ok := p.Canonical(in)
			Expect(ok).To(BeTrue(), in)
			Expect(s.Add(out)).To(Succeed())
		}
		Expect(s.Count()).To(Equal(5))
		Expect(s.Value().String()).To(Equal("1000.30 USD"))
		total, _ := p.Canonical("$1,000.3")
		c, err := s.Check(total)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(values.Check{Stated: "1000.30 USD", Computed: "1000.30 USD", Match: true, Count: 5}))
		c, err = s.Check("1000.31 USD")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Match).To(BeFalse())
		Expect(c.Computed).To(Equal("1000.30 USD"))
		c, err = s.Check("1000.30 EUR")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Match).To(BeFalse(), "a total in another currency does not match")
	})

	It("keeps every digit of long sums", func() {
		s, _ := values.NewSum(values.TypeNumber)
		for range 1000 {
			Expect(s.Add("0.30000000000000004")).To(Succeed())
		}
		Expect(s.Add("123456789012345678901234567890")).To(Succeed())
		Expect(s.Value().String()).To(Equal("123456789012345678901234568190.00000000000004"))
	})

	It("refuses a second currency and values that are not canonical, and counts them", func() {
		s, _ := values.NewSum(values.TypeMoney)
		Expect(s.Add("5.00 USD")).To(Succeed())
		Expect(s.Add("5.00 EUR")).To(MatchError(values.ErrMixedCurrency))
		Expect(s.Add("five dollars")).To(MatchError(values.ErrInvalid))
		Expect(s.Count()).To(Equal(1))
		Expect(s.Skipped()).To(Equal(2))
		c, err := s.Check("5.00 USD")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Match).To(BeTrue())
		Expect(c.Skipped).To(Equal(2))
	})

	It("reduces integer and number sums to canonical form, zero without a sign", func() {
		s, _ := values.NewSum(values.TypeInteger)
		Expect(s.Add("1200")).To(Succeed())
		Expect(s.Add("-1200")).To(Succeed())
		Expect(s.Value().String()).To(Equal("0"))
		n, _ := values.NewSum(values.TypeNumber)
		Expect(n.Add("1.25")).To(Succeed())
		Expect(n.Add("1.75")).To(Succeed())
		Expect(n.Value().String()).To(Equal("3"))
		c, err := n.Check("3.000")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Match).To(BeTrue())
	})

	It("pads money sums to the currency's minor units and keeps extra digits", func() {
		s, _ := values.NewSum(values.TypeMoney)
		Expect(s.Add("1.005 USD")).To(Succeed())
		Expect(s.Add("2.995 USD")).To(Succeed())
		Expect(s.Value().String()).To(Equal("4.00 USD"))
		Expect(s.Add("0.001 USD")).To(Succeed())
		Expect(s.Value().String()).To(Equal("4.001 USD"))
	})

	It("has no sum for percentages and other types", func() {
		for _, t := range []values.Type{values.TypePercent, values.TypeString, values.TypeBoolean, values.TypeDate, values.TypePhone} {
			_, err := values.NewSum(t)
			Expect(err).To(MatchError(values.ErrNotSummable), string(t))
		}
	})

	It("refuses an empty or unreadable stated total", func() {
		s, _ := values.NewSum(values.TypeNumber)
		_, err := s.Check("")
		Expect(err).To(MatchError(values.ErrInvalid))
		_, err = s.Check("lots")
		Expect(err).To(MatchError(values.ErrInvalid))
	})

	It("matches a zero total over an empty money column", func() {
		s, _ := values.NewSum(values.TypeMoney)
		c, err := s.Check("0.00 USD")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Match).To(BeTrue())
		Expect(c.Computed).To(BeEmpty())
	})
})

var _ = Describe("inference", func() {
	date := func(s string) (string, bool) {
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			return s, true
		}
		return "", false
	}
	o := values.Options{Date: date, Region: "CA"}

	DescribeTable("picks the type an author would",
		func(col []string, want values.Type) {
			Expect(values.Infer(col, o).Type).To(Equal(want))
		},
		Entry("counts", []string{"1", "2", "30", "", "4"}, values.TypeInteger),
		Entry("flags of 0 and 1 count as integers", []string{"0", "1", "1", "0"}, values.TypeInteger),
		Entry("hours", []string{"7.5", "8", "6.25"}, values.TypeNumber),
		Entry("mostly integers with some fractions", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10.5"}, values.TypeNumber),
		Entry("rates", []string{"12.5%", "3 %", "0.5\u00a0%"}, values.TypePercent),
		Entry("amounts", []string{"$1,234.50", "($12.00)", "$3"}, values.TypeMoney),
		Entry("amounts without markers stay numbers", []string{"1,234.50", "12.00"}, values.TypeNumber),
		Entry("yes and no", []string{"Y", "N", "yes", "no"}, values.TypeBoolean),
		Entry("check marks", []string{"x", "", "x", ""}, values.TypeBoolean),
		Entry("dates", []string{"2024-01-02", "2024-02-03"}, values.TypeDate),
		Entry("phone numbers", []string{"(236) 551-1017", "+1 236-551-1017", "604 555 0199"}, values.TypePhone),
		Entry("names", []string{"Ann", "Bob"}, values.TypeString),
		Entry("nothing", []string{"", " "}, values.TypeString),
		Entry("decimal points and commas mixed: a third is unreadable", []string{"7.5", "8", "6,25"}, values.TypeString),
		Entry("too mixed", []string{"1", "2", "3", "4", "5", "6", "7", "8", "a", "b"}, values.TypeString),
		Entry("exactly at the threshold", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "b"}, values.TypeInteger),
	)

	It("reports shares, the decimal separator and check marks", func() {
		inf := values.Infer([]string{"1.234,5", "12,5", "7", "", "x"}, values.Options{})
		Expect(inf.NonEmpty).To(Equal(4))
		Expect(inf.Decimal).To(Equal(","))
		Expect(inf.Parsed[values.TypeNumber]).To(Equal(3))
		Expect(inf.Parsed[values.TypeInteger]).To(Equal(1))
		Expect(inf.Parsed[values.TypeBoolean]).To(Equal(1))
		Expect(inf.Type).To(Equal(values.TypeString))
		Expect(inf.Checkbox).To(BeFalse(), "only reported for a boolean pick")
		inf = values.Infer([]string{"x", "", "X"}, values.Options{})
		Expect(inf.Checkbox).To(BeTrue())
	})

	It("counts plain numbers as money with a default currency, and still prefers numbers", func() {
		inf := values.Infer([]string{"12.50", "3"}, values.Options{Currency: "EUR"})
		Expect(inf.Parsed[values.TypeMoney]).To(Equal(2))
		Expect(inf.Type).To(Equal(values.TypeNumber))
	})

	It("ignores invalid options", func() {
		inf := values.Infer([]string{"$5"}, values.Options{Currency: "XXX", Region: "nowhere", PercentScale: "?"})
		Expect(inf.Type).To(Equal(values.TypeMoney))
	})

	It("counts one value at a time as it counts a whole column", func() {
		col := strings.Split("1,234|1,5|2|$3|yes|2024-01-01||x|(236) 551-1017|12,5 %", "|")
		x := values.NewInferrer(col, o)
		for _, s := range col {
			x.Add(s)
		}
		Expect(x.Result()).To(Equal(values.Infer(col, o)))
	})

	It("resolves the decimal separator from its samples alone", func() {
		x := values.NewInferrer([]string{"12,5", "0,75"}, values.Options{})
		x.Add("1,234")
		x.Add("7")
		first := x.Result()
		Expect(first.Decimal).To(Equal(","))
		Expect(first.Parsed[values.TypeNumber]).To(Equal(2))
		Expect(first.Parsed[values.TypeInteger]).To(Equal(1), "1,234 reads as 1.234")
		x.Add("8")
		Expect(first.Parsed[values.TypeNumber]).To(Equal(2), "a result is a copy")
		Expect(x.Result().Parsed[values.TypeNumber]).To(Equal(3))
	})

	It("is deterministic", func() {
		col := strings.Split("1,234|1,5|2|$3|yes|2024-01-01", "|")
		first := values.Infer(col, o)
		for range 20 {
			Expect(values.Infer(col, o)).To(Equal(first))
		}
	})
})

var _ = Describe("column decimal separators", func() {
	It("follows the values that prove it", func() {
		Expect(values.ResolveDecimal([]string{"1,234", "12,5", "3,75"})).To(Equal(","))
		Expect(values.ResolveDecimal([]string{"1,234", "1.5"})).To(Equal("."))
		Expect(values.ResolveDecimal([]string{"1,234", "2,345"})).To(Equal("."), "nothing proven: English")
		Expect(values.ResolveDecimal([]string{"1.5", "2,5"})).To(Equal("."), "a tie goes to the point")
		Expect(values.ResolveDecimal([]string{"1.2.3", "4,5"})).To(Equal(","), "an unreadable value does not vote")
		Expect(values.ResolveDecimal(nil)).To(Equal("."))
	})

	It("reads 1,234 as 1.234 in a column that proves its comma", func() {
		p := values.MustParser(values.TypeNumber, values.Options{})
		col := []string{"1,234", "12,5", "0,75"}
		c := p.ForColumn(col)
		Expect(c.Options().Decimal).To(Equal(","))
		out, _ := c.Canonical("1,234")
		Expect(out).To(Equal("1.234"))
		out, _ = p.Canonical("1,234")
		Expect(out).To(Equal("1234"), "the parser itself is unchanged")
		Expect(values.MustParser(values.TypeNumber, values.Options{Decimal: "."}).ForColumn(col).Options().Decimal).To(Equal("."), "an explicit separator wins")
	})
})
