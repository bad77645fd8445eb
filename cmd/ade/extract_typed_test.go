package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const remittances = samples + "/remittance"

// typedReport is the part of the report the typed specs read.
type typedReport struct {
	Tables []struct {
		Columns []struct {
			Header   string  `json:"header"`
			Field    *string `json:"field"`
			Type     string  `json:"type"`
			Inferred string  `json:"inferred_type"`
		} `json:"columns"`
		Output string `json:"output"`
	} `json:"tables"`
	Metrics map[string]any `json:"metrics"`
	Logs    []struct {
		Level   string         `json:"level"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"logs"`
}

func extractTyped(t *testing.T, config, input string) (typedReport, string) {
	t.Helper()
	out := t.TempDir()
	stdout, msg, code := runExtract(t, "--config", config, "--out", out, input)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var rep typedReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout)
	}
	return rep, out
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExtractTypedTotalMismatch(t *testing.T) {
	rep, out := extractTyped(t, filepath.Join(remittances, "remittance.json"), filepath.Join(remittances, "remittance-short.csv"))
	if rep.Metrics["totals_checked"] != 3.0 || rep.Metrics["totals_mismatched"] != 1.0 || rep.Metrics["values_invalid"] != 0.0 {
		t.Fatalf("metrics: %v", rep.Metrics)
	}
	var warned []map[string]any
	for _, l := range rep.Logs {
		if l.Message == "total mismatch" && l.Level == "warn" {
			warned = append(warned, l.Details)
		}
	}
	if len(warned) != 1 || warned[0]["column"] != "F" || warned[0]["stated"] != "411.11 EUR" || warned[0]["computed"] != "411.12 EUR" {
		t.Fatalf("mismatch warnings: %v", warned)
	}
	types := map[string]string{}
	for _, c := range rep.Tables[0].Columns {
		types[c.Header] = c.Type + "/" + c.Inferred
	}
	want := map[string]string{"Member ID": "string/string", "Member Name": "string/string", "Phone": "phone/phone",
		"Hours": "number/number", "Gross Wages": "money/money", "Dues Deducted": "money/money"}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("column types (declared/inferred): %v", types)
	}
	rows := readCSV(t, filepath.Join(out, rep.Tables[0].Output))
	// escape_formulas (the default) prefixes the negative amounts; the
	// plain number -8 stays as it is.
	if got := strings.Join(rows[8], ","); got != "M-3008,Hannah Richter,+4930901827,-8,'-256.00 EUR,'-3.84 EUR" {
		t.Fatalf("row 8: %s", got)
	}
}

func TestExtractTypedXLSXOutput(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join(remittances, "remittance.json"))
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(cfg, &payload); err != nil {
		t.Fatal(err)
	}
	payload["output_format"] = "xlsx"
	b, _ := json.Marshal(payload)
	config := writeFile(t, t.TempDir(), "xlsx.json", string(b))
	rep, out := extractTyped(t, config, filepath.Join(remittances, "remittance-balanced.xlsx"))
	if rep.Metrics["totals_checked"] != 9.0 || rep.Metrics["totals_mismatched"] != 0.0 {
		t.Fatalf("metrics: %v", rep.Metrics)
	}
	f, err := excelize.OpenFile(filepath.Join(out, "remittance-balanced-tables.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	cases := []struct{ ref, raw, shown string }{
		{"E2", "160", "160"},                   // hours
		{"G2", "6800.00", "6,800.00 USD"},      // gross wages
		{"H2", "0.0125", "1.25%"},              // dues rate
		{"D2", "45382", "2024-03-31"},          // period end
		{"J2", "1", "TRUE"},                    // initiation paid
		{"G9", "-474.00", "-474.00 USD"},       // a negative amount
		{"I11", "469.94", "469.94 USD"},        // the grand total
		{"C2", "+12365511017", "+12365511017"}, // phone numbers are text
	}
	for _, c := range cases {
		raw, err := f.GetCellValue(sheet, c.ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		shown, err := f.GetCellValue(sheet, c.ref)
		if err != nil {
			t.Fatal(err)
		}
		if raw != c.raw || shown != c.shown {
			t.Errorf("%s: stored %q shown %q, want %q and %q", c.ref, raw, shown, c.raw, c.shown)
		}
	}
}

func TestExtractTypedConfigurationErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.json", `{"extractor":"tabular","fields":[{"name":"a"},
		{"name":"amount","type":"money","region":"CA","decimal":";"},{"name":"b","type":"float"}]}`)
	_, msg, code := runExtract(t, "--config", bad, filepath.Join(remittances, "remittance-short.csv"))
	if code != 2 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, path := range []string{"fields[1].decimal", "fields[1].region", "fields[2].type"} {
		if !strings.Contains(msg, path) {
			t.Errorf("message %q does not name %s", msg, path)
		}
	}
}

// TestExtractTypedTrickyCases runs the ambiguous and decorated forms
// through the binary's command, as a configuration author would.
func TestExtractTypedTrickyCases(t *testing.T) {
	dir := t.TempDir()
	input := writeFile(t, dir, "tricky.csv", "Ref;Amount;Hours;Paid\n"+
		"1;1.234,50 €;1,234;x\n"+
		"2;(12,00 €);12,5;\n"+
		"3;7,25-;\u00a00,75;☑\n"+
		"4;-0,00;1\u00a0234,5;x\n")
	// The CSV is read as data: escape_formulas false writes negative
	// amounts without the leading "'".
	config := writeFile(t, dir, "tricky.json", `{"extractor":"tabular","escape_formulas":false,"fields":[
		{"name":"ref","synonyms":["ref"]},
		{"name":"amount","synonyms":["amount"],"type":"money","currency":"EUR"},
		{"name":"hours","synonyms":["hours"],"type":"number"},
		{"name":"paid","synonyms":["paid"],"type":"boolean","checkbox":true}]}`)
	rep, out := extractTyped(t, config, input)
	got := readCSV(t, filepath.Join(out, rep.Tables[0].Output))
	want := [][]string{
		{"ref", "amount", "hours", "paid"},
		{"1", "1234.50 EUR", "1.234", "true"},
		{"2", "-12.00 EUR", "12.5", "false"},
		{"3", "-7.25 EUR", "0.75", "true"},
		{"4", "0.00 EUR", "1234.5", "true"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("output:\n%v\nwant:\n%v", got, want)
	}
	if rep.Metrics["values_invalid"] != 0.0 {
		t.Fatalf("invalid values: %v", rep.Metrics)
	}
}
