package output_test

import (
	"bytes"
	"encoding/csv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
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
