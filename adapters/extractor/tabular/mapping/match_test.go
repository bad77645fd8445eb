package mapping_test

import (
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
)

// genPattern draws a small regular expression over a few letters, classes
// and operators, anchors and assertions included.
func genPattern(t *rapid.T, depth int) string {
	atoms := []string{"a", "b", "@", `\.`, ".", `\s`, `[^@\s]`, `[a-c]`, `[^a]`, `\d`, `(?i)a`, "^", "$", `\b`, `\A`, `\z`, "é", ""}
	if depth <= 0 {
		return rapid.SampledFrom(atoms).Draw(t, "atom")
	}
	switch rapid.IntRange(0, 5).Draw(t, "op") {
	case 0:
		return genPattern(t, depth-1) + genPattern(t, depth-1)
	case 1:
		return "(?:" + genPattern(t, depth-1) + "|" + genPattern(t, depth-1) + ")"
	case 2:
		return "(?:" + genPattern(t, depth-1) + ")" + rapid.SampledFrom([]string{"*", "+", "?", "{2}", "{1,3}", "*?", "+?"}).Draw(t, "rep")
	case 3:
		return "(" + genPattern(t, depth-1) + ")"
	default:
		return rapid.SampledFrom(atoms).Draw(t, "atom")
	}
}

var _ = Describe("Validate matcher", func() {
	It("agrees with regexp.MatchString", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			pat := genPattern(t, rapid.IntRange(0, 4).Draw(t, "depth"))
			re, err := regexp.Compile(pat)
			if err != nil {
				t.Skip("not a regexp")
			}
			match := mapping.NewMatcher(re)
			for i := range 20 {
				s := rapid.StringOf(rapid.SampledFrom([]rune("ab@. \tc1\nAé"))).Draw(t, "s"+strings.Repeat("'", i))
				if got, want := match(s), re.MatchString(s); got != want {
					t.Fatalf("pattern %q on %q: matcher %v, regexp %v", pat, s, got, want)
				}
			}
		})
	})

	DescribeTable("known patterns",
		func(pat string, values ...string) {
			re := regexp.MustCompile(pat)
			match := mapping.NewMatcher(re)
			for _, v := range values {
				Expect(match(v)).To(Equal(re.MatchString(v)), "%q on %q", pat, v)
			}
		},
		Entry("e-mail", `^[^@\s]+@[^@\s]+\.[^@\s]+$`, "a@b.c", "member.1@example.org", "a@b", "a b@c.d", "@b.c",
			"a@b.c ", "a@@b.c", "é@b.c", "a@b.c\n", "x"),
		Entry("unanchored", `b+c`, "abbc", "ac", "bc", "", "xxbbbcx"),
		Entry("begin only", `^ab`, "abc", "cab", ""),
		Entry("end only", `ab$`, "cab", "abc", "ab\n"),
		Entry("empty", ``, "", "a"),
		Entry("word boundary (regexp)", `\bab\b`, "x ab y", "xab"),
		Entry("case folding", `(?i)^member\.\d+@`, "MEMBER.12@x", "member.@x"),
		Entry("alternation of anchors", `^a|b$|^$`, "", "ax", "xb", "xx"),
	)
})
