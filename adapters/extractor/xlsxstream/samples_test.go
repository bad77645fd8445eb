package xlsxstream_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
	"github.com/ade-go/ade/ports"
)

var _ = Describe("Sample workbooks", func() {
	files, _ := filepath.Glob(filepath.Join("testdata", "ade-samples", "*.xlsx"))
	It("has the samples", func() {
		Expect(files).To(HaveLen(4))
	})
	for _, name := range files {
		It("reads "+filepath.Base(name)+" exactly as excelize does", func() {
			data, err := os.ReadFile(name)
			Expect(err).NotTo(HaveOccurred())
			compareWithExcelize(GinkgoT(), data, nil, nil)
			rows, err := readBytes(data, 0, xlsxstream.Options{})
			Expect(err).NotTo(HaveOccurred())
			Expect(len(rows)).To(BeNumerically(">", 60))
		})
	}
})

// memSink keeps an extraction's output files in memory.
type memSink struct {
	mu    sync.Mutex
	files map[string][]byte
}

type memFile struct {
	bytes.Buffer
	sink *memSink
	name string
}

func (m *memSink) Create(_ context.Context, name, _ string) (io.WriteCloser, error) {
	return &memFile{sink: m, name: name}, nil
}

func (f *memFile) Close() error {
	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	f.sink.files[f.name] = f.Bytes()
	return nil
}

var _ = Describe("Workbooks the tabular extractor writes", func() {
	It("yields exactly excelize's cells for the extractor's XLSX outputs of random tables", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			_ = w.Write([]string{"Name", "Email", "Notes"})
			n := rapid.IntRange(2, 12).Draw(t, "rows")
			for i := range n {
				_ = w.Write([]string{
					"Member " + rapid.StringOfN(rapid.SampledFrom([]rune("abcXYZé中 -'")), 1, 8, -1).Draw(t, "name"),
					"m" + strings.Repeat("x", i%3) + "@example.org",
					rapid.StringOfN(rapid.SampledFrom([]rune("ab <>&\"'_x0041_\t=+-@é😀")), 0, 12, -1).Draw(t, "notes"),
				})
			}
			w.Flush()
			data := buf.Bytes()
			sink := &memSink{files: map[string][]byte{}}
			_, err := tabular.New().Extract(context.Background(), ports.ExtractionRequest{
				Payload: map[string]any{
					"extractor": "tabular", "output_format": "xlsx", "keep_unmapped_columns": true,
					"fields": []any{
						map[string]any{"name": "name", "synonyms": []any{"name"}},
						map[string]any{"name": "email", "synonyms": []any{"email"}},
					},
				},
				Document: ports.SourceDocument{Filename: "members.csv", Size: int64(len(data)),
					Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }},
				Outputs: sink,
			})
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if len(sink.files) != 1 {
				t.Fatalf("outputs: %d files", len(sink.files))
			}
			for _, out := range sink.files {
				compareWithExcelize(t, out, nil, nil)
				rows, err := readBytes(out, 0, xlsxstream.Options{})
				if err != nil || len(rows) != n+1 {
					t.Fatalf("read %d rows (%v), want %d", len(rows), err, n+1)
				}
			}
		})
	})
})
