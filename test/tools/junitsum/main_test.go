package main

import (
	"bytes"
	"strings"
	"testing"
)

const report = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" disabled="0" errors="0" failures="1" time="1">
  <testsuite name="Multi-process Suite" package="/x" tests="3" disabled="0" skipped="1" errors="0" failures="1" time="1">
    <testcase name="[It] runs a thousand jobs" classname="Multi-process Suite" status="failed" time="1">
      <failure message="picked up within the rescue delay&#xA;Expected 9s to be &lt;= 8s" type="failed">[FAILED] picked up within the rescue delay&#xA;In [It] at: /repo/test/multiprocess/flow_test.go:300 @ 11/30/26</failure>
    </testcase>
    <testcase name="[It] purges" classname="Multi-process Suite" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>
    <testcase name="[It] cancels" classname="Multi-process Suite" status="passed" time="1"></testcase>
  </testsuite>
  <testsuite name="Domain Suite" package="/y" tests="1" disabled="0" skipped="0" errors="0" failures="0" time="1">
    <testcase name="[It] works" classname="Domain Suite" status="passed" time="1"></testcase>
  </testsuite>
</testsuites>`

func TestSummarizeNamesEachFailureBeforeTheCounts(t *testing.T) {
	var out bytes.Buffer
	failed, passed, err := summarize([]byte(report), &out)
	if err != nil {
		t.Fatal(err)
	}
	if failed != 1 || passed != 2 {
		t.Fatalf("failed %d passed %d, want 1 and 2", failed, passed)
	}
	got := out.String()
	for _, want := range []string{
		"FAILED: Multi-process Suite > [It] runs a thousand jobs (failed)\n",
		"    Expected 9s to be <= 8s\n",
		"    In [It] at: /repo/test/multiprocess/flow_test.go:300 @ 11/30/26\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if !strings.HasSuffix(got, "suites: 2\ntests: 2 passed, 1 failed, 1 skipped\n") {
		t.Errorf("the counts are not the last lines:\n%s", got)
	}
	if strings.Contains(got, "purges") || strings.Contains(got, "cancels") {
		t.Errorf("a skipped or passed spec was listed as failed:\n%s", got)
	}
}

func TestSummarizeBoundsEachFailure(t *testing.T) {
	long := strings.Repeat("line\n", 50)
	xml := `<testsuites><testsuite name="S" tests="1" failures="1"><testcase name="x" status="failed"><failure message="m">` + long + `</failure></testcase></testsuite></testsuites>`
	var out bytes.Buffer
	if _, _, err := summarize([]byte(xml), &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "    line\n"); n != detailLines-1 {
		t.Errorf("%d detail lines printed, want %d (the message and then the text up to the bound)", n, detailLines-1)
	}
	if !strings.Contains(out.String(), "    ...\n") {
		t.Errorf("a cut failure does not say so:\n%s", out.String())
	}
}

func TestSummarizeRefusesAReportThatIsNotXML(t *testing.T) {
	if _, _, err := summarize([]byte("not xml"), &bytes.Buffer{}); err == nil {
		t.Fatal("no error for a report that is not XML")
	}
}
