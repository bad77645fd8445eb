// Command junitsum prints the closing lines of a test run from a JUnit XML
// report: first every failed spec (its suite, name, the failure's first
// lines and where it failed), then "suites: N" and
// "tests: N passed, N failed, N skipped", so the end of a long run's output
// says what failed and not only that something did. It exits non-zero when
// the report counts failures or no test at all.
package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
)

type failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type testcase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Status    string   `xml:"status,attr"`
	Failure   *failure `xml:"failure"`
	Error     *failure `xml:"error"`
}

type testsuites struct {
	Suites []struct {
		Name      string     `xml:"name,attr"`
		Tests     int        `xml:"tests,attr"`
		Failures  int        `xml:"failures,attr"`
		Errors    int        `xml:"errors,attr"`
		Skipped   int        `xml:"skipped,attr"`
		Disabled  int        `xml:"disabled,attr"`
		Testcases []testcase `xml:"testcase"`
	} `xml:"testsuite"`
}

// detailLines bounds how much of each failure's text is printed.
const detailLines = 12

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: junitsum REPORT.xml")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "junitsum:", err)
		os.Exit(1)
	}
	failed, passed, err := summarize(raw, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "junitsum:", err)
		os.Exit(1)
	}
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
}

// summarize writes the failures and the counts of the report in raw to w,
// and returns the failed and passed counts.
func summarize(raw []byte, w io.Writer) (failed, passed int, err error) {
	var r testsuites
	if err := xml.Unmarshal(raw, &r); err != nil {
		return 0, 0, err
	}
	var skipped int
	for _, s := range r.Suites {
		f := s.Failures + s.Errors
		sk := s.Skipped + s.Disabled
		failed += f
		skipped += sk
		passed += s.Tests - f - sk
		for _, c := range s.Testcases {
			problem := c.Failure
			if problem == nil {
				problem = c.Error
			}
			if problem == nil {
				continue
			}
			fmt.Fprintf(w, "FAILED: %s > %s (%s)\n", s.Name, c.Name, c.Status)
			for _, line := range firstLines(problem.Message+"\n"+problem.Text, detailLines) {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	fmt.Fprintf(w, "suites: %d\n", len(r.Suites))
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	return failed, passed, nil
}

// firstLines returns up to n non-blank lines of s, without trailing space.
func firstLines(s string, n int) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(out) == n {
			out = append(out, "...")
			break
		}
		out = append(out, line)
	}
	return out
}
