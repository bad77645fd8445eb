package read_test

import (
	. "github.com/onsi/ginkgo/v2"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

var _ = Describe("Chunks", func() {
	It("give strings that keep their text whatever is made after them", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			var c read.Chunks
			var got, want []string
			buf := make([]byte, 0, 8<<10)
			for range rapid.IntRange(1, 300).Draw(t, "strings") {
				n := rapid.SampledFrom([]int{0, 1, 7, 100, 4095, 4096, 6000}).Draw(t, "length")
				buf = buf[:n]
				fill := rapid.Byte().Draw(t, "fill")
				for i := range buf {
					buf[i] = fill + byte(i)
				}
				got, want = append(got, c.String(buf)), append(want, string(buf))
				clear(buf) // the caller's bytes change: the string must not
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("string %d changed: %q, want %q", i, got[i], want[i])
				}
			}
		})
	})
})
