package tabular_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"testing"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/ports"
	"github.com/ade-go/ade/test/benchkit"
)

// benchCSV builds the member roster of test/bench/extract-csv, about size
// bytes long.
func benchCSV(size int) []byte {
	var buf bytes.Buffer
	if _, err := benchkit.WriteRosterCSV(&buf, int64(size)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// discardSink counts the bytes written and keeps none.
type discardSink struct{ n int64 }

func (d *discardSink) Create(context.Context, string, string) (io.WriteCloser, error) {
	return nopCloser{d}, nil
}

func (d *discardSink) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func BenchmarkExtractCSV(b *testing.B) {
	data := benchCSV(10 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sink := &discardSink{}
		_, err := tabular.New().Extract(context.Background(), ports.ExtractionRequest{
			Payload: benchkit.RosterPayload(),
			Document: ports.SourceDocument{
				Filename: "members.csv", Size: int64(len(data)),
				Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
			},
			Outputs: sink,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineCSV(b *testing.B) {
	data := benchCSV(10 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
