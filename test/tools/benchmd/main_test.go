package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/ade-go/ade/test/benchkit"
)

func TestReplaceSectionKeepsTheRestOfTheDocument(t *testing.T) {
	doc := "# ADE\n\nbefore\n" + readmeBegin + "\nold table\nold line\n" + readmeEnd + "\nafter\n"
	got, err := replaceSection(doc, "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# ADE\n\nbefore\n" + readmeBegin + "\nnew table\n" + readmeEnd + "\nafter\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	again, err := replaceSection(got, "new table\n")
	if err != nil || again != got {
		t.Fatalf("a second run changed the document: %q, %v", again, err)
	}
}

func TestReplaceSectionRefusesWithoutMarkers(t *testing.T) {
	for name, doc := range map[string]string{
		"none":     "# ADE\n",
		"no end":   readmeBegin + "\n",
		"no begin": readmeEnd + "\n",
		"reversed": readmeEnd + "\n" + readmeBegin + "\n",
	} {
		if _, err := replaceSection(doc, "x\n"); err == nil {
			t.Errorf("%s: replaced a section in %q", name, doc)
		}
	}
}

func TestReadmeSectionNamesTheRunAndEveryResult(t *testing.T) {
	m := machine{date: "2026-11-29 23:00 UTC", commit: "abc123", cpu: "Test CPU", cores: 2, memory: "24.0 GiB", loadStart: "0.10 0.20 0.30", loadEnd: "1.00 1.10 1.20"}
	runs := []program{
		{name: "blob", results: []benchkit.Result{{Benchmark: "blob put", ADE: "900 MB/s", Baseline: "io.Copy: 850 MB/s", Ratio: "1.06", Target: ">= 0.8", Met: true}}},
		{name: "queue", results: []benchkit.Result{{Benchmark: "async | jobs", ADE: "100 jobs/s", Ratio: "0.30", Target: ">= 0.4"}}},
		{name: "broken", err: errors.New("exit status 1")},
	}
	s := readmeSection(m, runs, "BENCHMARKS.md")
	for _, want := range []string{
		"2026-11-29 23:00 UTC", "abc123", "Test CPU, 2 cores", "0.10 0.20 0.30 at the start", "1.00 1.10 1.20 at the end", "[BENCHMARKS.md](BENCHMARKS.md)",
		"| blob | blob put | 900 MB/s | io.Copy: 850 MB/s | 1.06 | >= 0.8 | meets |",
		`| queue | async \| jobs | 100 jobs/s |  | 0.30 | >= 0.4 | **misses** |`,
		"| broken | FAILED: exit status 1 |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("section lacks %q:\n%s", want, s)
		}
	}
}

func TestSkippedProgramIsListedNotFailed(t *testing.T) {
	if got := skipReason("queue: starting\nqueue: SKIPPED (no -db)\n"); got != "queue: SKIPPED (no -db)" {
		t.Fatalf("skip reason %q", got)
	}
	if got := skipReason("queue: 12 jobs/s\n"); got != "" {
		t.Fatalf("skip reason %q for a program that ran", got)
	}
	s := table([]program{{name: "queue", skipped: "queue: SKIPPED (no -db)"}})
	if !strings.Contains(s, "| queue | queue: SKIPPED (no -db) | | | | | not run |") || strings.Contains(s, "FAILED") {
		t.Fatalf("table:\n%s", s)
	}
}
