package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

const samples = "../../adapters/extractor/tabular/testdata"

// runExtract runs `ade extract` in-process and returns stdout and the exit
// status main would use.
func runExtract(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	root := newRootCommand()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(append([]string{"extract"}, args...))
	err := root.Execute()
	if err == nil {
		return stdout.String(), stderr.String(), 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return stdout.String(), err.Error(), ee.code
	}
	return stdout.String(), err.Error(), 2
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtractExitCodes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(samples, "people.json")
	roster := filepath.Join(samples, "ade-samples", "S01_clean_roster_alias_headers.xlsx")
	badCfg := writeFile(t, dir, "bad.json", `{"extractor":"tabular","fields":[{"name":"a","transforms":["shout"]}]}`)
	notJSON := writeFile(t, dir, "x.json", `{"fields":`)
	empty := writeFile(t, dir, "empty.csv", "")
	ole := writeFile(t, dir, "locked.xlsx", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"+string(make([]byte, 600)))
	prose := writeFile(t, dir, "notes.csv", "How to fill in this form\n\nOne member per row.\n")

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"success", []string{"--config", cfg, roster}, 0, ""},
		{"no file argument", []string{"--config", cfg}, 2, "arg"},
		{"no config", []string{roster}, 2, "--config"},
		{"config not JSON", []string{"--config", notJSON, roster}, 2, "configuration"},
		{"invalid configuration", []string{"--config", badCfg, roster}, 2, "fields[0].transforms[0]"},
		{"missing input", []string{"--config", cfg, filepath.Join(dir, "nope.csv")}, 1, "no such file"},
		{"empty input", []string{"--config", cfg, empty}, 1, "empty"},
		{"encrypted workbook", []string{"--config", cfg, ole}, 1, "OLE"},
		{"no table", []string{"--config", cfg, prose}, 1, `no table was found in the document: sheet "notes": prose only`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, msg, code := runExtract(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d (%s)", code, c.code, msg)
			}
			if c.want != "" && !bytes.Contains([]byte(msg), []byte(c.want)) {
				t.Fatalf("message %q does not mention %q", msg, c.want)
			}
			if code != 0 && stdout != "" {
				t.Fatalf("stdout on failure: %q", stdout)
			}
		})
	}
}

func TestExtractJSONShape(t *testing.T) {
	out := t.TempDir()
	stdout, msg, code := runExtract(t, "--config", filepath.Join(samples, "people.json"), "--out", out,
		filepath.Join(samples, "ade-samples", "S02_two_tables_vertical_same_sheet.xlsx"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var doc struct {
		Tables []struct {
			Sheet     string `json:"sheet"`
			Range     string `json:"range"`
			HeaderRow int    `json:"header_row"`
			RowCount  int    `json:"row_count"`
			Columns   []struct {
				Header string  `json:"header"`
				Field  *string `json:"field"`
			} `json:"columns"`
			Output string `json:"output"`
		} `json:"tables"`
		Metrics map[string]any   `json:"metrics"`
		Logs    []map[string]any `json:"logs"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	for _, k := range []string{"tables", "metrics", "logs"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("missing %q in %s", k, stdout)
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tables) != 2 || doc.Tables[0].Range != "A6:G30" || doc.Tables[1].Range != "A37:G70" {
		t.Fatalf("tables: %+v", doc.Tables)
	}
	first := doc.Tables[0]
	if first.Sheet != "Weekly Payroll" || first.HeaderRow != 6 || first.RowCount != 24 {
		t.Fatalf("first table: %+v", first)
	}
	if c := first.Columns[0]; c.Header != "Given Name" || c.Field == nil || *c.Field != "first_name" {
		t.Fatalf("first column: %+v", c)
	}
	if c := first.Columns[4]; c.Header != "Hours" || c.Field != nil {
		t.Fatalf("unmapped column: %+v", c)
	}
	if !bytes.Contains([]byte(stdout), []byte(`"field": null`)) {
		t.Fatalf("unmapped fields must print as null")
	}
	for _, k := range []string{"duration_ms", "sheets_scanned", "tables_detected", "rows_extracted", "fields_mapped",
		"columns_unmapped", "values_invalid", "input_sha256", "configuration_digest", "input_format"} {
		if _, ok := doc.Metrics[k]; !ok {
			t.Fatalf("metric %s missing", k)
		}
	}
	if len(doc.Logs) < 2 || doc.Logs[0]["message"] != "input read as xlsx" || doc.Logs[1]["message"] != "table found" {
		t.Fatalf("logs: %v", doc.Logs)
	}
	for _, tb := range doc.Tables {
		if _, err := os.Stat(filepath.Join(out, tb.Output)); err != nil {
			t.Fatalf("output %s: %v", tb.Output, err)
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Fatalf("want exactly the 2 CSV outputs (no temp files), got %d", len(entries))
	}
}

// TestExtractBinaryDeterministic builds the binary and runs it twice in
// separate processes: stdout and output files must match byte for byte.
func TestExtractBinaryDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ade")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	input := filepath.Join(samples, "ade-samples", "S03_preamble_stacked_headers.xlsx")
	runOnce := func(out string) (string, map[string]string) {
		cmd := exec.Command(bin, "extract", "--config", filepath.Join(samples, "people.json"), "--out", out, input)
		stdout, err := cmd.Output()
		if err != nil {
			t.Fatalf("ade extract: %v", err)
		}
		files := map[string]string{}
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(out, e.Name()))
			files[e.Name()] = string(b)
		}
		return string(stdout), files
	}
	s1, f1 := runOnce(filepath.Join(dir, "a"))
	s2, f2 := runOnce(filepath.Join(dir, "b"))
	if s1 != s2 {
		t.Fatalf("stdout differs between runs")
	}
	if len(f1) != 1 || len(f1) != len(f2) {
		t.Fatalf("outputs: %d vs %d", len(f1), len(f2))
	}
	for k, v := range f1 {
		if f2[k] != v {
			t.Fatalf("output %s differs between runs", k)
		}
	}
	// Exit status 1 through the real main.
	cmd := exec.Command(bin, "extract", "--config", filepath.Join(samples, "people.json"), filepath.Join(dir, "missing.csv"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var xe *exec.ExitError
	if !errors.As(err, &xe) || xe.ExitCode() != 1 || stderr.Len() == 0 {
		t.Fatalf("want exit 1 with a message, got %v (%q)", err, stderr.String())
	}
	cmd = exec.Command(bin, "extract", filepath.Join(dir, "missing.csv"))
	if err := cmd.Run(); !errors.As(err, &xe) || xe.ExitCode() != 2 {
		t.Fatalf("want exit 2 for bad usage, got %v", err)
	}
}

func TestExtractLimitsAndTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	cfg := filepath.Join(samples, "people.json")
	roster := filepath.Join(samples, "ade-samples", "S01_clean_roster_alias_headers.xlsx")
	wide := writeFile(t, dir, "wide.csv", "First Name,Last Name,Email,Phone,City\nAnn,Lee,ann@example.org,555,Oslo\nBob,Ray,bob@example.org,556,Rome\n")

	left := func() []string {
		t.Helper()
		entries, err := os.ReadDir(filepath.Join(tmp, "ade-extract"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}

	if _, msg, code := runExtract(t, "--config", cfg, "--out", t.TempDir(), roster); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if names := left(); len(names) != 0 {
		t.Fatalf("temporary files left after a workbook: %v", names)
	}

	t.Setenv("ADE_MAX_CELLS_PER_ROW", "3")
	_, msg, code := runExtract(t, "--config", cfg, "--out", t.TempDir(), wide)
	if code != 1 || !bytes.Contains([]byte(msg), []byte("over the limit of 3 cells per row at row 1")) {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if names := left(); len(names) != 0 {
		t.Fatalf("temporary files left after a refusal: %v", names)
	}

	t.Setenv("ADE_MAX_TABLES", "none")
	_, msg, code = runExtract(t, "--config", cfg, wide)
	if code != 2 || !bytes.Contains([]byte(msg), []byte("ADE_MAX_TABLES")) {
		t.Fatalf("exit %d: %s", code, msg)
	}
}
