package tabular_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/adapters/extractor/tabular/output"
	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/adapters/extractor/values"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// fuzzPayload is a small configuration exercising mapping, transforms,
// validation and typed fields.
var fuzzPayload = map[string]any{
	"fields": []any{
		map[string]any{"name": "name", "synonyms": []any{"name", "full name"}, "transforms": []any{"full_name"}, "required": true},
		map[string]any{"name": "email", "synonyms": []any{"email"}, "pattern": `^\S+@\S+$`,
			"transforms": []any{"trim", "lower"}, "validate": map[string]any{"pattern": `^\S+@\S+\.\S+$`}},
		map[string]any{"name": "when", "synonyms": []any{"date"}, "transforms": []any{"date"}},
		map[string]any{"name": "amount", "synonyms": []any{"amount", "total"}, "type": "money", "currency": "USD"},
		map[string]any{"name": "qty", "synonyms": []any{"qty", "count"}, "type": "integer"},
		map[string]any{"name": "hours", "synonyms": []any{"hours"}, "type": "number", "decimal": ","},
		map[string]any{"name": "rate", "synonyms": []any{"rate"}, "type": "percent"},
		map[string]any{"name": "paid", "synonyms": []any{"paid"}, "type": "boolean", "checkbox": true},
		map[string]any{"name": "phone", "synonyms": []any{"phone"}, "type": "phone", "region": "CA"},
		map[string]any{"name": "day", "synonyms": []any{"day"}, "type": "date"},
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
	f.Add([]byte("Name;Amount;Qty;Hours;Rate;Paid;Phone;Day\nAnn;$1,234.50;1,000;7,5;12%;x;(236) 551-1017;Jan 2, 2024\n" +
		"Bob;(12.00);2;1.234,5;0.5;;+33 1 42 68 53 00;45292\nTotal;1222.50;1002;;;;;\n"))
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
	f.Add(`{"fields":[{"name":"a","type":"money","currency":"eur","decimal":","},{"name":"b","type":"phone","region":"CA"}]}`)
	f.Add(`{"fields":[{"name":"a","type":"number","currency":"USD","checkbox":1},{"name":"b","type":"float"}]}`)
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

// FuzzTypedValues puts any text in a typed column: the extraction never
// fails, and each output value is either the value as written (counted
// invalid) or a canonical value, which reads back as itself.
func FuzzTypedValues(f *testing.F) {
	types := []map[string]any{
		{"type": "number"}, {"type": "integer", "decimal": ","}, {"type": "money", "currency": "USD"},
		{"type": "percent", "percent_scale": "percent"}, {"type": "boolean", "checkbox": true},
		{"type": "phone", "region": "FR"}, {"type": "date"}, {"type": "money"},
	}
	f.Add(uint8(0), "1,234.50", "(1.5E+03)")
	f.Add(uint8(2), "$ -", "1.234,50 €")
	f.Add(uint8(3), "12.5%", "-0")
	f.Add(uint8(4), "x", "☐")
	f.Add(uint8(5), "01 42 68 53 00", "+33 1 42 68 53 00 ext. 5")
	f.Add(uint8(6), "31.01.2024", "45292")
	f.Fuzz(func(t *testing.T, k uint8, a, b string) {
		field := map[string]any{"name": "v", "synonyms": []any{"value"}}
		for key, v := range types[int(k)%len(types)] {
			field[key] = v
		}
		payload := map[string]any{"fields": []any{map[string]any{"name": "line", "synonyms": []any{"line"}}, field}}
		cfg, err := tabular.ParseConfig(payload)
		if err != nil {
			t.Fatal(err)
		}
		var in bytes.Buffer
		w := csv.NewWriter(&in)
		_ = w.Write([]string{"Line", "Value"})
		for i, v := range []string{a, b, a, "1"} {
			_ = w.Write([]string{"L" + strconv.Itoa(i), v})
		}
		w.Flush()
		sink := newMemSink()
		res, err := tabular.New().Extract(context.Background(), ports.ExtractionRequest{
			Payload: payload, Document: bytesDoc("t.csv", in.Bytes()), Outputs: sink,
		})
		if err != nil {
			// Control bytes make the document binary; a value can make
			// the table too sparse to find: refusals, not failures.
			var ee *ports.ExtractionError
			if !errors.As(err, &ee) || ee.Code == tabular.CodeCancelled {
				t.Fatalf("extraction failed: %v", err)
			}
			return
		}
		p := cfg.Fields[1].Parser
		for _, tb := range res.Tables {
			recs, err := csv.NewReader(bytes.NewReader(sink.files[tb.Metadata["output"].(string)])).ReadAll()
			if err != nil {
				t.Fatalf("output is not CSV: %v", err)
			}
			col := -1
			for i, h := range recs[0] {
				if h == "v" {
					col = i
				}
			}
			if col < 0 {
				continue
			}
			for _, r := range recs[1:] {
				// Formula escaping applies to typed values too: a cell a
				// spreadsheet would evaluate comes with a leading "'".
				v := r[col]
				if output.NeedsEscape(v) {
					t.Fatalf("%q is written unescaped", v)
				}
				if strings.HasPrefix(v, "'") && output.NeedsEscape(v[1:]) {
					v = v[1:]
				}
				if again, ok := p.Canonical(v); ok && again != v && v != a && v != b {
					t.Fatalf("%q is neither as written nor canonical (reads as %q)", v, again)
				}
			}
		}
	})
}

// FuzzDateField checks a date field's parser (the read stage's date reader
// behind values.Parser): it never panics, keeps what it cannot read as
// written, writes ISO 8601 that reads back as itself, and agrees with the
// date transform.
func FuzzDateField(f *testing.F) {
	p := values.MustParser(values.TypeDate, values.Options{Date: read.ParseDate})
	for _, s := range []string{"Jan 2, 2024", "1/2/2024", "31.01.2024", "2024-01-02", "45292", "2024-02-30",
		"0", "60", "2958465", "2958466", "1900-02-29", "Feb 29 2023", "12/31/99", "2024-01-02 10:00:00",
		"20240102", "13/13/2024", "", " ", "-1", "1e5", "２０２４-０１-０２"} {
		f.Add(s)
	}
	iso := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := p.Canonical(s)
		transform, tok := read.ParseDate(s)
		if !ok {
			if out != s {
				t.Fatalf("invalid %q changed to %q", s, out)
			}
			if tok && strings.TrimSpace(s) != "" {
				t.Fatalf("%q: the transform reads %q, the type does not", s, transform)
			}
			return
		}
		if strings.TrimSpace(s) == "" {
			return // empty stays empty
		}
		if !iso.MatchString(out) || !tok || transform != out {
			t.Fatalf("%q: type %q, transform %q (%v)", s, out, transform, tok)
		}
		if again, ok := p.Canonical(out); !ok || again != out {
			t.Fatalf("%q: canonical %q reads back as %q (%v)", s, out, again, ok)
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
