package mapping_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/detect"
	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
)

var _ = Describe("Transforms", func() {
	DescribeTable("apply in order",
		func(transforms []string, in, want string, wantOK bool) {
			got, ok := mapping.ApplyTransforms(transforms, in)
			Expect(got).To(Equal(want))
			Expect(ok).To(Equal(wantOK))
		},
		Entry("trim", []string{"trim"}, "  a b  ", "a b", true),
		Entry("collapse_spaces", []string{"collapse_spaces"}, " a \t\n b  ", " a b ", true),
		Entry("lower", []string{"lower"}, "ÉCOLE Mixed", "école mixed", true),
		Entry("upper", []string{"upper"}, "abc-d", "ABC-D", true),
		Entry("title", []string{"title"}, "o'connor st-pierre DON'T", "O'Connor St-Pierre Don't", true),
		Entry("digits", []string{"digits"}, "(236) 551-1017 x2", "23655110172", true),
		Entry("full_name Last, First", []string{"full_name"}, "Smith, Avery", "Avery Smith", true),
		Entry("full_name spaces", []string{"full_name"}, "  O'Connor,   Avery  ", "Avery O'Connor", true),
		Entry("full_name hyphen", []string{"full_name"}, "st-pierre, morgan", "Morgan St-Pierre", true),
		Entry("full_name caps", []string{"full_name"}, "  LIAM   JOHNSON   ", "Liam Johnson", true),
		Entry("full_name single", []string{"full_name"}, "Quinn", "Quinn", true),
		Entry("full_name trailing comma", []string{"full_name"}, "Quinn,", "Quinn", true),
		Entry("chain", []string{"trim", "lower", "title"}, "  JANE  ", "Jane", true),
		Entry("date ISO", []string{"date"}, "2024-01-31", "2024-01-31", true),
		Entry("date US", []string{"date"}, "1/31/2024", "2024-01-31", true),
		Entry("date day first when over 12", []string{"date"}, "31/01/2024", "2024-01-31", true),
		Entry("date dotted European", []string{"date"}, "05.02.2024", "2024-02-05", true),
		Entry("date two-digit year", []string{"date"}, "01-17-14", "2014-01-17", true),
		Entry("date month name", []string{"date"}, "Jan 5, 2024", "2024-01-05", true),
		Entry("date long month name", []string{"date"}, "5 February 2024", "2024-02-05", true),
		Entry("date with time", []string{"date"}, "2024-01-31 13:45:00", "2024-01-31", true),
		Entry("date RFC 3339", []string{"date"}, "2024-01-31T13:45:00Z", "2024-01-31", true),
		Entry("date compact", []string{"date"}, "20240131", "2024-01-31", true),
		Entry("date Excel serial", []string{"date"}, "45322", "2024-01-31", true),
		Entry("date Excel serial with time", []string{"date"}, "45322.75", "2024-01-31", true),
		Entry("date Excel serial 1", []string{"date"}, "1", "1900-01-01", true),
		Entry("date empty stays empty", []string{"date"}, "  ", "  ", true),
		Entry("date unparsable keeps value", []string{"trim", "date"}, " soon ", "soon", false),
		Entry("date impossible day", []string{"date"}, "2023-02-30", "2023-02-30", false),
	)

	DescribeTable("normalize headers for synonym matching",
		func(a, b string) { Expect(detect.HeaderKey(a)).To(Equal(detect.HeaderKey(b))) },
		Entry(nil, "E-mail", "email"),
		Entry(nil, "E mail", "EMAIL"),
		Entry(nil, "M.I.", "mi"),
		Entry(nil, " Given_Name ", "given name"),
		Entry(nil, "Prénom", "prénom"),
	)
})

var _ = Describe("Title case", func() {
	It("gives the same text on the ASCII fast path", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			s := rapid.StringOf(rapid.SampledFrom([]rune("aZq' -_.9\t,\u2019Éé"))).Draw(t, "s")
			if got, want := mapping.TitleCase(s), mapping.TitleCaseRunes(s); got != want {
				t.Fatalf("%q: %q, want %q", s, got, want)
			}
		})
	})
})
