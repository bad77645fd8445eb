package mapping_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/mapping"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
)

// The transforms write changed values into a row's arena; these are the
// plain string forms they must agree with, byte for byte (the standard
// library's, or the general paths the fast ones stand in for).
var referenceTransforms = map[string]func(string) (string, bool){
	mapping.TransformTrim:  func(v string) (string, bool) { return strings.TrimSpace(v), true },
	mapping.TransformLower: func(v string) (string, bool) { return strings.ToLower(v), true },
	mapping.TransformUpper: func(v string) (string, bool) { return strings.ToUpper(v), true },
	mapping.TransformTitle: func(v string) (string, bool) { return mapping.TitleCaseRunes(v), true },
	mapping.TransformDigits: func(v string) (string, bool) {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v), true
	},
	mapping.TransformCollapseSpaces: func(v string) (string, bool) { return mapping.CollapseSpaces(v), true },
	// Its title case is the fast one, held to the general one above.
	mapping.TransformFullName: func(v string) (string, bool) { return mapping.FullName(v), true },
	mapping.TransformDate: func(v string) (string, bool) {
		if strings.TrimSpace(v) == "" {
			return v, true
		}
		if d, ok := read.ParseDate(v); ok {
			return d, true
		}
		return v, false
	},
}

func referenceChain(chain []string, v string) (string, bool) {
	ok := true
	for _, name := range chain {
		var good bool
		v, good = referenceTransforms[name](v)
		ok = ok && good
	}
	return v, ok
}

// transformText draws cell text rich in what the transforms look at:
// cases, white space of every kind, apostrophes, digits, date parts,
// non-ASCII letters and bytes that are not UTF-8.
func transformText(t *rapid.T, label string) string {
	return rapid.OneOf(
		rapid.StringOf(rapid.SampledFrom([]rune("aZq' -_.9\t\n,\u2019Éé\u00a0/:1"))),
		rapid.SampledFrom([]string{"1/31/2024", " 2024-01-31 ", "31.01.2024", "Jan 5, 2024", "45322", "20240131",
			"soon", "o'connor", "ST-PIERRE", "  JANE  ", "Member.1@Example.org", "a\xffB", "\xc3", ""}),
		rapid.Custom(func(t *rapid.T) string {
			return string(rapid.SliceOfN(rapid.Byte(), 0, 12).Draw(t, "bytes"))
		}),
	).Draw(t, label)
}

var _ = Describe("Transforms on the arena", func() {
	names := mapping.Transforms

	It("give what the plain string transforms give, chained in any order", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			chain := rapid.SliceOfN(rapid.SampledFrom(names), 1, 4).Draw(t, "chain")
			v := transformText(t, "v")
			got, ok := mapping.ApplyTransforms(chain, v)
			want, wantOK := referenceChain(chain, v)
			if got != want || ok != wantOK {
				t.Fatalf("%v %q: %q %v, want %q %v", chain, v, got, ok, want, wantOK)
			}
		})
	})

	It("write, row after row, what the plain string transforms give", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			chains := rapid.SliceOfN(rapid.SliceOfN(rapid.SampledFrom(names), 0, 3), 1, 4).Draw(t, "chains")
			headers := make([]string, len(chains))
			fields := make([]mapping.Field, len(chains))
			for i, c := range chains {
				headers[i] = "col" + string(rune('a'+i))
				fields[i] = mapping.Field{Name: headers[i], Synonyms: []string{headers[i]}, Transforms: c}
			}
			w := &rowsWriter{}
			tbl := mapping.NewSchema(fields, true).NewTable(layout(headers...),
				func([]string, []*values.Parser) (mapping.Writer, string, error) { return w, "out", nil })
			var want [][]string
			n := rapid.IntRange(1, mapping.SampleRows+5).Draw(t, "rows")
			for r := range n {
				cells := make([]string, len(chains))
				out := make([]string, len(chains))
				for i, c := range chains {
					cells[i] = transformText(t, "cell")
					out[i], _ = referenceChain(c, cells[i])
				}
				want = append(want, out)
				if err := tbl.Add(&read.Row{Num: r + 2, Cells: cells}); err != nil {
					t.Fatal(err)
				}
			}
			if err := tbl.Finish(); err != nil {
				t.Fatal(err)
			}
			if len(w.rows) != n+1 {
				t.Fatalf("%d rows written, want %d", len(w.rows), n+1)
			}
			for r, row := range w.rows[1:] {
				for i := range row {
					if row[i] != want[r][i] {
						t.Fatalf("row %d column %d %v: %q, want %q", r, i, chains[i], row[i], want[r][i])
					}
				}
			}
		})
	})
})
