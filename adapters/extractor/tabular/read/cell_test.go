package read_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
)

var _ = Describe("Calendar dates", func() {
	It("accepts exactly the days package time knows", func() {
		for _, y := range []int{0, 1, 99, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999, 10000} {
			for m := 0; m <= 13; m++ {
				for d := 0; d <= 32; d++ {
					want, wantOK := "", false
					if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); y >= 1 && y <= 9999 &&
						m >= 1 && m <= 12 && d >= 1 && t.Day() == d && int(t.Month()) == m {
						want, wantOK = t.Format(time.DateOnly), true
					}
					got, ok := read.ValidDate(y, m, d)
					Expect(ok).To(Equal(wantOK), "%d-%d-%d", y, m, d)
					Expect(got).To(Equal(want), "%d-%d-%d", y, m, d)
				}
			}
		}
	})
})

var _ = Describe("Cell masks", func() {
	It("say what IsBlank and HasLetters say", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			s := rapid.StringOf(rapid.SampledFrom([]rune(" \t\n\r\v\fa@Z1.,-\u00a0\u2003é"))).Draw(t, "s")
			nonBlank, letters := read.CellBits(s)
			if got, want := [2]bool{nonBlank, letters}, [2]bool{!read.IsBlank(s), read.HasLetters(s)}; got != want {
				t.Fatalf("%q: %v, want %v", s, got, want)
			}
		})
	})

	It("give each cell of a row what IsBlank and HasLetters say", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			cells := rapid.SliceOfN(rapid.OneOf(
				rapid.StringOf(rapid.SampledFrom([]rune(" \t\n\r\v\fa@Z1.,-\u00a0\u2003é"))),
				rapid.Custom(func(t *rapid.T) string { return string(rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "bytes")) }),
			), 0, 64).Draw(t, "cells")
			r := &read.Row{Cells: cells}
			r.Mask()
			Expect(r.Masked).To(BeTrue())
			for c, s := range cells {
				got := [2]bool{r.NonBlank>>c&1 == 1, r.Letters>>c&1 == 1}
				if want := [2]bool{!read.IsBlank(s), read.HasLetters(s)}; got != want {
					t.Fatalf("cell %d %q: %v, want %v", c, s, got, want)
				}
			}
			if n := len(cells); n < 64 && (r.NonBlank|r.Letters|r.Plain)>>n != 0 {
				t.Fatalf("bits past the row's %d cells", n)
			}
		})
	})
})
