package tabular_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/test/corpus"
)

// corpusPayload is the one general configuration the corpus is read with.
var corpusPayload = map[string]any{
	"allow_empty": true,
	"fields": []any{
		map[string]any{"name": "first_name", "synonyms": []any{"first name", "given name"}},
		map[string]any{"name": "last_name", "synonyms": []any{"last name", "surname"}},
		map[string]any{"name": "email", "synonyms": []any{"email", "e-mail"}},
	},
}

var _ = Describe("The corpus of real-world layouts", func() {
	var entries []TableEntry
	for _, c := range corpus.All() {
		entries = append(entries, Entry(c.Family+": "+c.Name, c))
	}
	DescribeTable("finds exactly the true tables: sheets, header rows, data rows and columns",
		func(c corpus.Case) {
			data, err := c.Bytes()
			Expect(err).NotTo(HaveOccurred())
			res := mustRun(bytesDoc(c.Filename, data), corpusPayload, nil)
			found, err := corpus.FoundTables(res)
			Expect(err).NotTo(HaveOccurred())
			describe := func(sheet string, headers, rows []int, first, last int) string {
				return fmt.Sprintf("%s headers %v columns %d-%d data %v", sheet, headers, first, last, rows)
			}
			var got, want []string
			for _, f := range found {
				got = append(got, describe(f.Sheet, f.HeaderRows, c.DataRows(f), f.FirstCol, f.LastCol))
			}
			for _, t := range c.Tables() {
				want = append(want, describe(t.Sheet, t.HeaderRows, t.DataRows, t.FirstCol, t.LastCol))
			}
			Expect(got).To(Equal(want))
			Expect(res.Metrics["input_format"]).To(Equal(c.Format))
		},
		entries,
	)
})
