package output_test

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/output"
)

var _ = Describe("CSV output quoting", func() {
	It("quotes exactly the fields encoding/csv quotes", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			s := rapid.StringOf(rapid.SampledFrom([]rune("ab ,\"\r\n\t.\\\u00a0é,"))).Draw(t, "s")
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			_ = w.Write([]string{s})
			w.Flush()
			quoted := strings.HasPrefix(buf.String(), `"`)
			if got := output.CSVNeedsQuotes(s); got != quoted {
				t.Fatalf("%q: %v, encoding/csv %v", s, got, quoted)
			}
		})
	})
})

var _ = Describe("Formula escaping", func() {
	DescribeTable("neutralises what a spreadsheet would evaluate, and only that",
		func(v string, escape bool) {
			Expect(output.NeedsEscape(v)).To(Equal(escape))
			if escape {
				Expect(output.EscapeFormula(v)).To(Equal("'" + v))
			} else {
				Expect(output.EscapeFormula(v)).To(Equal(v))
			}
		},
		Entry("a formula", `=1+2`, true),
		Entry("a command", `=cmd|' /C calc'!A0`, true),
		Entry("a link", `=HYPERLINK("http://x.test","click")`, true),
		Entry("an at-formula", `@SUM(A1:A9)`, true),
		Entry("a plus formula", `+A1*2`, true),
		Entry("a minus formula", `-A1`, true),
		Entry("a leading tab", "\t=1", true),
		Entry("a leading carriage return", "\r=1", true),
		Entry("a lone minus (a value marker)", `-`, true),
		Entry("a number with a space", `-12.5 `, true),
		Entry("a number with a thousands separator", `-1,234`, true),
		Entry("a signed sign", `+-3`, true),
		Entry("an exponent without digits", `-1e`, true),
		Entry("a negative number", `-12.5`, false),
		Entry("a positive number", `+3`, false),
		Entry("a leading decimal point", `-.5`, false),
		Entry("a trailing decimal point", `-5.`, false),
		Entry("an exponent", `-1.5E-7`, false),
		Entry("text", `Ann`, false),
		Entry("an inner equals sign", `a=b`, false),
		Entry("empty", ``, false),
		Entry("a space first", ` =1`, false),
	)

	It("agrees with the definition of a plain number", func() {
		plain := regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			v := rapid.StringOf(rapid.SampledFrom([]rune("=+-@\t\r0123456789.eE ,a'"))).Draw(t, "v")
			want := v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !plain.MatchString(v)
			if got := output.NeedsEscape(v); got != want {
				t.Fatalf("%q: %v, want %v", v, got, want)
			}
		})
	})
})
