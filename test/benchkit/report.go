package benchkit

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ReportPrefix starts every machine-readable result line a benchmark
// program prints; test/tools/benchmd collects them into BENCHMARKS.md.
const ReportPrefix = "BENCHMARK "

// Result is one headline figure of a benchmark program: what ADE did, what
// its baseline (the least work that gets the same result, measured in the
// same run) did, and how they compare against the target.
type Result struct {
	// Benchmark names what is measured, with its conditions: "POST /jobs
	// (stub), 32 clients, PostgreSQL".
	Benchmark string `json:"benchmark"`
	// ADE is ADE's figure with its unit: "903 jobs/s, p99 79 ms".
	ADE string `json:"ade"`
	// Baseline names the baseline and gives its figure: "one-statement
	// Fiber handler: 1347 jobs/s". Empty when the target is absolute.
	Baseline string `json:"baseline,omitempty"`
	// Ratio is the comparison the target is about, as printed: "0.67".
	Ratio string `json:"ratio,omitempty"`
	// Target is the bar: ">= 0.5", "<= 64 MiB".
	Target string `json:"target"`
	// Met says whether the figure meets the target.
	Met bool `json:"met"`
}

// Report prints r as one line: ReportPrefix and r as JSON. Call it once
// per headline figure, after the program's own human-readable output.
func Report(r Result) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // ">= 0.5" reads as written
	if err := enc.Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, "benchkit: report:", err)
		return
	}
	fmt.Print(ReportPrefix + b.String())
}

// Ratio formats a ratio the way results print it.
func Ratio(x float64) string { return fmt.Sprintf("%.2f", x) }
