// Command junitsum prints the closing line of a test run,
// "tests: N passed, N failed, N skipped", from a JUnit XML report, and exits
// non-zero when the report counts failures or no test at all.
package main

import (
	"encoding/xml"
	"fmt"
	"os"
)

type testsuites struct {
	Suites []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Disabled int    `xml:"disabled,attr"`
	} `xml:"testsuite"`
}

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
	var r testsuites
	if err := xml.Unmarshal(raw, &r); err != nil {
		fmt.Fprintln(os.Stderr, "junitsum:", err)
		os.Exit(1)
	}
	var passed, failed, skipped int
	for _, s := range r.Suites {
		f := s.Failures + s.Errors
		sk := s.Skipped + s.Disabled
		failed += f
		skipped += sk
		passed += s.Tests - f - sk
	}
	fmt.Printf("suites: %d\n", len(r.Suites))
	fmt.Printf("tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
}
