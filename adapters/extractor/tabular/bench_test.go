package tabular_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/ports"
)

// benchPayload is the configuration of test/bench/extract-csv.
var benchPayload = map[string]any{
	"extractor": "tabular",
	"fields": []any{
		map[string]any{"name": "first_name", "synonyms": []any{"first name"}, "transforms": []any{"trim", "title"}},
		map[string]any{"name": "last_name", "synonyms": []any{"last name"}, "transforms": []any{"trim", "title"}},
		map[string]any{"name": "email", "synonyms": []any{"email"}, "transforms": []any{"trim", "lower"},
			"validate": map[string]any{"pattern": `^[^@\s]+@[^@\s]+\.[^@\s]+$`}},
		map[string]any{"name": "hired", "synonyms": []any{"hire date"}, "transforms": []any{"date"}},
	},
}

// benchCSV builds the member roster of test/bench/extract-csv, about size
// bytes long.
func benchCSV(size int) []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"First Name", "Last Name", "Email", "Hire Date", "Employer", "Classification", "Local",
		"Phone", "Street", "City", "Region", "Postal Code", "Status", "Hours", "Rate", "Gross", "Deductions",
		"Net", "Notes", "Member ID"})
	firsts := []string{"avery", "JORDAN", " taylor", "casey ", "Morgan", "riley"}
	lasts := []string{"Smith", "o'connor", "ST-PIERRE", "Nguyen", "Patel", "Kim"}
	rec := make([]string, 20)
	for i := 0; buf.Len() < size; i++ {
		rec[0] = firsts[i%len(firsts)]
		rec[1] = lasts[i%len(lasts)]
		rec[2] = "Member." + strconv.Itoa(i) + "@Example.org"
		rec[3] = fmt.Sprintf("%d/%d/20%02d", i%12+1, i%28+1, i%25)
		rec[4] = "Harborline Electrical, Ltd."
		rec[5] = "Apprentice Year " + strconv.Itoa(i%4+1)
		rec[6] = "Local " + strconv.Itoa(100+i%500)
		rec[7] = fmt.Sprintf("(%03d) 555-%04d", 200+i%700, i%10000)
		rec[8] = strconv.Itoa(i%9000+1) + " Main Street, Unit " + strconv.Itoa(i%40)
		rec[9] = "Winnipeg"
		rec[10] = "MB"
		rec[11] = "R3C 4T" + strconv.Itoa(i%10)
		rec[12] = "Active"
		rec[13] = strconv.Itoa(30 + i%15)
		rec[14] = "32.50"
		rec[15] = "$1,309.00"
		rec[16] = "$212.45"
		rec[17] = "$1,096.55"
		rec[18] = "assigned to, mobile crew; \"priority\" follow-up"
		rec[19] = "M-" + strconv.Itoa(100000+i)
		_ = cw.Write(rec)
		if i%1000 == 0 {
			cw.Flush()
		}
	}
	cw.Flush()
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
			Payload: benchPayload,
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
