package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The boundaries docs/configuration.md states for configuration authors,
// checked through `ade extract` as an author runs it.

// TestExtractTwoDigitYearPivot: "two-digit years (below 70 is 20xx)": 69 is
// 2069, 70 is 1970, on each side of the pivot and at the century's ends, in
// numeric dates.
func TestExtractTwoDigitYearPivot(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "born.csv", "Name,Born\nAnn,01/31/69\nBob,01/31/70\nCid,12/31/99\nDee,1/1/00\nEve,31.01.69\nFay,31.01.70\n")
	cfg := writeFile(t, dir, "cfg.json", `{"extractor":"tabular","fields":[{"name":"name"},{"name":"born","transforms":["date"]}]}`)
	out := filepath.Join(dir, "out")
	if _, msg, code := runExtract(t, "--config", cfg, "--out", out, in); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	b, err := os.ReadFile(filepath.Join(out, "born-1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := "name,born\nAnn,2069-01-31\nBob,1970-01-31\nCid,1999-12-31\nDee,2000-01-01\nEve,2069-01-31\nFay,1970-01-31\n"
	if got := strings.ReplaceAll(string(b), "\r\n", "\n"); got != want {
		t.Fatalf("dates read as\n%s\nwant\n%s", got, want)
	}
}

// TestExtractFieldNotFoundLevel: "field not found, a warning when the
// field is required": the same missing field logs a warning when required
// and an info line when not.
func TestExtractFieldNotFoundLevel(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "people.csv", "Name,City\nAnn,Oslo\nBob,Rome\n")
	cfg := writeFile(t, dir, "cfg.json", `{"extractor":"tabular","fields":[{"name":"name"},{"name":"email","required":true},{"name":"phone","required":false}]}`)
	stdout, msg, code := runExtract(t, "--config", cfg, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var res struct {
		Logs []struct {
			Level   string         `json:"level"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"logs"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for _, l := range res.Logs {
		if l.Message == "field not found" {
			levels[l.Details["field"].(string)] = l.Level
		}
	}
	if levels["email"] != "warn" || levels["phone"] != "info" || len(levels) != 2 {
		t.Fatalf("field not found levels %v, want email warn and phone info only", levels)
	}
}

// TestVersion: `ade --version` says which build this is and exits 0.
func TestVersion(t *testing.T) {
	root := newRootCommand()
	var stdout bytes.Buffer
	root.SetOut(&stdout)
	root.SetArgs([]string{"--version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	got := stdout.String()
	if !strings.HasPrefix(got, "ade ") || !strings.Contains(got, runtime.Version()) || !strings.HasSuffix(got, ")\n") {
		t.Fatalf("ade --version printed %q", got)
	}
}
