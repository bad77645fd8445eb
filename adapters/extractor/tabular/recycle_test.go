package tabular_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/ports"
)

// stackedCSV is a long CSV document with many tables: preambles, blank
// gaps, totals lines, notes, side-by-side tables and repeated headers, so
// that rows are held back and replayed across the parser's batches.
func stackedCSV(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for tbl := range 40 {
		_ = w.Write([]string{fmt.Sprintf("Report %d", tbl)})
		for range rng.IntN(3) {
			_ = w.Write([]string{})
		}
		side := rng.IntN(3) == 0
		header := []string{"Name", "Email", "Date", "Hours"}
		if side {
			header = append(header, "", "Code", "Amount")
		}
		_ = w.Write(header)
		for i := range 20 + rng.IntN(400) {
			rec := []string{fmt.Sprintf("person %d", i), fmt.Sprintf("P%d@Example.org", i),
				fmt.Sprintf("%d/%d/2024", i%12+1, i%28+1), fmt.Sprint(i % 40)}
			if side {
				rec = append(rec, "", fmt.Sprintf("C-%d", i), fmt.Sprintf("%d.50", i))
			}
			switch rng.IntN(60) {
			case 0:
				_ = w.Write([]string{})
			case 1:
				_ = w.Write([]string{"", "note: see below"})
			case 2:
				_ = w.Write(header)
			}
			_ = w.Write(rec)
		}
		if rng.IntN(2) == 0 {
			_ = w.Write([]string{"Total", "", "", "123"})
		}
		_ = w.Write([]string{})
	}
	w.Flush()
	return buf.Bytes()
}

var _ = Describe("CSV row memory reuse", func() {
	AfterEach(func() { read.RecycleCSVBatches = true })

	It("gives the same tables and outputs as fresh memory", func() {
		for seed := range uint64(4) {
			data := stackedCSV(seed)
			run := func(recycle bool) (ports.ExtractionResult, map[string][]byte) {
				read.RecycleCSVBatches = recycle
				sink := newMemSink()
				res, err := tabular.New().Extract(context.Background(), ports.ExtractionRequest{
					Payload: fuzzPayload, Document: bytesDoc("stacked.csv", data), Outputs: sink,
				})
				Expect(err).NotTo(HaveOccurred())
				return res, sink.files
			}
			fresh, freshFiles := run(false)
			reused, reusedFiles := run(true)
			Expect(len(fresh.Tables)).To(BeNumerically(">", 20))
			Expect(reused).To(Equal(fresh))
			Expect(reusedFiles).To(Equal(freshFiles))
		}
	})
})
