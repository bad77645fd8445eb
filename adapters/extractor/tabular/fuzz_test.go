package tabular_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// fuzzPayload is a small configuration exercising mapping, transforms and
// validation.
var fuzzPayload = map[string]any{
	"fields": []any{
		map[string]any{"name": "name", "synonyms": []any{"name", "full name"}, "transforms": []any{"full_name"}, "required": true},
		map[string]any{"name": "email", "synonyms": []any{"email"}, "pattern": `^\S+@\S+$`,
			"transforms": []any{"trim", "lower"}, "validate": map[string]any{"pattern": `^\S+@\S+\.\S+$`}},
		map[string]any{"name": "when", "synonyms": []any{"date"}, "transforms": []any{"date"}},
	},
}

// fuzzExtract runs one extraction with a deadline; it fails the test on a
// hang and on errors that are not ExtractionErrors.
func fuzzExtract(t *testing.T, name string, data []byte, format string) {
	t.Helper()
	payload := map[string]any{}
	for k, v := range fuzzPayload {
		payload[k] = v
	}
	payload["output_format"] = format
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := tabular.New().Extract(ctx, ports.ExtractionRequest{
		Payload:  payload,
		Document: bytesDoc(name, data),
		Outputs:  newMemSink(),
	})
	if err != nil {
		var ee *ports.ExtractionError
		if !errors.As(err, &ee) {
			t.Fatalf("not an ExtractionError: %v", err)
		}
		if ee.Code == tabular.CodeCancelled {
			t.Fatalf("extraction did not finish in time")
		}
		return
	}
	for _, tb := range res.Tables {
		if tb.RowCount < 1 || len(tb.SampleRows) > 20 {
			t.Fatalf("table %s: %d rows, %d samples", tb.Title, tb.RowCount, len(tb.SampleRows))
		}
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("result is not JSON-compatible: %v", err)
	}
}

func FuzzCSVReader(f *testing.F) {
	seed, _ := os.ReadFile(filepath.Join("testdata", "ade-samples", "S07_contacts_export_quirks.csv"))
	f.Add(seed[:min(len(seed), 2000)])
	f.Add([]byte("Name,Email,Date\nAnn,a@x.org,1/2/2024\nBob,b@x.org,45322\n"))
	f.Add([]byte("\ufeffa,b\n\"x\ny\",2\n\n3,4\n\"unterminated,5\n"))
	f.Add([]byte("Name,,Name\n,1,2\nTotal,3,4\n,,\nName,Email\n1,2\n3,4\n"))
	f.Add([]byte(",,A,B,,C,D\n,,1,2,,3,4\n,,5,6,,7,8\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		fuzzExtract(t, "fuzz.csv", data, "csv")
	})
}

func FuzzXLSXReader(f *testing.F) {
	for _, name := range []string{"S02_two_tables_vertical_same_sheet.xlsx", "S03_preamble_stacked_headers.xlsx"} {
		data, err := os.ReadFile(filepath.Join("testdata", "ade-samples", name))
		if err == nil {
			f.Add(data)
			f.Add(data[:len(data)/3])
		}
	}
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 || !bytes.HasPrefix(data, []byte("PK")) {
			return
		}
		fuzzExtract(t, "fuzz.xlsx", data, "xlsx")
	})
}

func FuzzValidatePayload(f *testing.F) {
	f.Add(`{"extractor":"tabular","fields":[{"name":"a","synonyms":["x"],"pattern":"^a$","transforms":["trim","date"],"validate":{"pattern":"b"}}]}`)
	f.Add(`{"fields":[{"name":"a"},{"name":"a"}],"sheets":["x","x"],"output_format":1}`)
	f.Add(`{"fields":[{"name":"a","pattern":"(","transforms":["nope"]}],"zz":null}`)
	f.Add(`{"fields":{"name":"a"},"keep_unmapped_columns":"no","sheets":"active"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var payload map[string]any
		if json.Unmarshal([]byte(raw), &payload) != nil {
			return
		}
		ext := tabular.New()
		err := ext.ValidatePayload(payload)
		if err == nil {
			if _, perr := tabular.ParseConfig(payload); perr != nil {
				t.Fatalf("ParseConfig disagrees: %v", perr)
			}
			return
		}
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, domain.ErrUnprocessable) || len(ve.Fields) == 0 {
			t.Fatalf("want an unprocessable ValidationError with fields, got %#v", err)
		}
		if again := ext.ValidatePayload(payload); again.Error() != err.Error() {
			t.Fatalf("non-deterministic errors: %q vs %q", err, again)
		}
	})
}

// FuzzCSVOutput checks that the CSV outputs are what encoding/csv writes.
func FuzzCSVOutput(f *testing.F) {
	f.Add("a", " b", "c\"d")
	f.Add("x,y", "line\r\nbreak", "\\.")
	f.Add("lone\rcr", "", "\ttab")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := "H1,H2,H3\n"
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		for range 2 {
			_ = w.Write([]string{"k" + a, b, c})
		}
		w.Flush()
		in += buf.String()
		sink := newMemSink()
		res, err := tabular.New().Extract(context.Background(), ports.ExtractionRequest{
			Payload:  map[string]any{"fields": []any{map[string]any{"name": "zz_unused"}}},
			Document: bytesDoc("o.csv", []byte(in)),
			Outputs:  sink,
		})
		if err != nil || len(res.Tables) != 1 {
			return
		}
		rows := sink.files[res.Tables[0].Metadata["output"].(string)]
		recs, err := csv.NewReader(bytes.NewReader(rows)).ReadAll()
		if err != nil {
			t.Fatalf("output is not CSV: %v\n%q", err, rows)
		}
		var want bytes.Buffer
		ww := csv.NewWriter(&want)
		_ = ww.WriteAll(recs)
		if want.String() != string(rows) {
			t.Fatalf("output differs from encoding/csv:\n%q\n%q", rows, want.String())
		}
	})
}
