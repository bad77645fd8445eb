package output_test

import (
	"bytes"
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
	"github.com/ade-go/ade/adapters/extractor/tabular/output"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

var _ = Describe("Plain cells", func() {
	It("are those the CSV writer would neither quote nor escape", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			s := rapid.OneOf(
				rapid.StringOf(rapid.SampledFrom([]rune("a1 ,\"\r\n\t\v\f=+-@.\\'é\u00a0\u2003"))),
				rapid.SampledFrom([]string{`\.`, "-12.5", "+3", " a", "=1+1", "@x", "", "a b", "$1,309.00"}),
				rapid.Custom(func(t *rapid.T) string { return string(rapid.SliceOfN(rapid.Byte(), 0, 10).Draw(t, "bytes")) }),
			).Draw(t, "s")
			r := &read.Row{Cells: []string{s}}
			r.Mask()
			if r.Plain&1 != 0 && (output.NeedsEscape(s) || output.CSVNeedsQuotes(s)) {
				t.Fatalf("%q is marked plain, but the writer would escape or quote it", s)
			}
		})
	})

	It("are written as the writer writes them when it looks at them", func() {
		write := func(rows [][]string, plain bool) []byte {
			sink := &memSink{files: map[string]*bytes.Buffer{}}
			set := output.New(context.Background(), sink, output.Options{Format: output.FormatCSV, Base: "in", EscapeFormulas: true})
			DeferCleanup(set.Cleanup)
			w, name, err := set.Open("in", 1, "Table 1", nil)
			Expect(err).NotTo(HaveOccurred())
			pw, ok := w.(mapping.PlainWriter)
			Expect(ok).To(BeTrue(), "a CSV output skips the checks of plain cells")
			for _, cells := range rows {
				r := &read.Row{Cells: cells}
				r.Mask()
				if plain {
					Expect(pw.WritePlain(cells, r.Plain)).To(Succeed())
				} else {
					Expect(w.Write(cells)).To(Succeed())
				}
			}
			Expect(w.Close()).To(Succeed())
			return sink.files[name].Bytes()
		}
		rows := [][]string{
			{"plain", "two words", "-12.5", "=SUM(A1)", "a,b", `say "hi"`, " lead", "", `\.`, "é", "$1,309.00"},
			{"line\nbreak", "+1", "@x", "tab\tinside", "\ttab", "x"},
		}
		Expect(write(rows, true)).To(Equal(write(rows, false)))
		Expect(string(write(rows, true))).To(HavePrefix(`plain,two words,-12.5,'=SUM(A1),"a,b","say ""hi"""," lead",,"\.",é,"$1,309.00"` + "\n"))
	})
})
