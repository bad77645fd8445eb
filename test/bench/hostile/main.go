// Command hostile prints how `ade extract` fares on the hostile documents
// of test/hostile (zip bombs, rows of every column, huge cells and
// shared-strings tables, thousands of tables, deep XML): for each, its
// size, the outcome (the failure code and the limit named, or the tables
// found), the peak resident memory of the extraction process (VmHWM, from
// its rusage) and the wall time; then the shapes that used to take
// quadratic time at two sizes, with the ratio of their times. It never
// asserts (the hostile suite does); the targets are a peak under 256 MiB
// for every document and times in proportion to the input.
//
//	go run ./test/bench/hostile [-run substring]
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/ade-go/ade/test/benchkit"
	"github.com/ade-go/ade/test/hostile"
)

func main() {
	hostile.Launcher()
	only := flag.String("run", "", "only the cases whose name contains this")
	flag.Parse()
	dir, err := os.MkdirTemp("", "ade-bench-hostile-")
	check(err)
	defer os.RemoveAll(dir)
	bin, err := benchkit.BuildAde(dir)
	check(err)

	limit := regexp.MustCompile(`over the limit of \d+ ([a-zA-Z ]+?)( at | \(|$)`)
	fmt.Printf("%-52s %10s  %-44s %9s %9s\n", "input", "size", "outcome", "peak RSS", "time")
	worst, misses := int64(0), 0
	for _, c := range hostile.Cases() {
		if *only != "" && !strings.Contains(c.Name, *only) {
			continue
		}
		res, err := hostile.Run(bin, dir, c)
		check(err)
		outcome := fmt.Sprintf("ok, %d table(s)", res.Tables)
		if res.Code != "" {
			outcome = res.Code
			if m := limit.FindStringSubmatch(res.Message); m != nil {
				outcome += ": " + m[1]
			}
		}
		if res.Code != c.Code || len(res.Left) > 0 {
			outcome += " [UNEXPECTED]"
			misses++
		}
		worst = max(worst, res.PeakKiB)
		fmt.Printf("%-52s %10s  %-44s %6.1f MiB %9s\n", c.Name, size(res.Size), outcome,
			float64(res.PeakKiB)/1024, res.Elapsed.Round(time.Millisecond))
	}
	fmt.Println()
	fmt.Printf("%-56s %16s %16s %s\n", "scaling (the same shape at two sizes)", "small: wall/cpu", "large: wall/cpu", "ratios wall, cpu (input)")
	worstRatio := 0.0
	for _, sc := range hostile.Scalings() {
		if *only != "" && !strings.Contains(sc.Name, *only) {
			continue
		}
		small, err := hostile.Run(bin, dir, sc.Small)
		check(err)
		large, err := hostile.Run(bin, dir, sc.Large)
		check(err)
		if small.Code != "" || large.Code != "" {
			check(fmt.Errorf("%s: %s %s", sc.Name, small.Message, large.Message))
		}
		input := float64(large.Size) / float64(small.Size)
		cpu := large.CPU.Seconds() / small.CPU.Seconds()
		worstRatio = max(worstRatio, cpu/input)
		fmt.Printf("%-56s %7s/%-8s %7s/%-8s %.1f, %.1f (%.1f)\n", sc.Name,
			small.Elapsed.Round(10*time.Millisecond), small.CPU.Round(10*time.Millisecond),
			large.Elapsed.Round(10*time.Millisecond), large.CPU.Round(10*time.Millisecond),
			large.Elapsed.Seconds()/small.Elapsed.Seconds(), cpu, input)
	}
	fmt.Println("summary:")
	fmt.Printf("  worst peak RSS: %.1f MiB (target < %d MiB) %s\n", float64(worst)/1024, hostile.PeakBound>>20,
		benchkit.Verdict(worst < hostile.PeakBound>>10))
	fmt.Printf("  unexpected outcomes or files left behind: %d\n", misses)
	fmt.Printf("  worst CPU time ratio over input ratio: %.2f (linear: about 1; quadratic: about 4) %s\n", worstRatio,
		benchkit.Verdict(worstRatio < 2))
	benchkit.Report(benchkit.Result{
		Benchmark: "`ade extract` on the hostile documents within the upload cap (zip bombs, 16,384-column rows, 16 MiB cells, huge shared strings, thousands of tables)",
		ADE:       fmt.Sprintf("worst peak RSS %.1f MiB; %d unexpected outcomes or files left behind", float64(worst)/1024, misses),
		Target:    fmt.Sprintf("< %d MiB, every one its expected outcome", hostile.PeakBound>>20),
		Met:       worst < hostile.PeakBound>>10 && misses == 0,
	})
	benchkit.Report(benchkit.Result{
		Benchmark: "hostile shapes at two sizes: CPU time ratio over input ratio, the worst shape",
		ADE:       fmt.Sprintf("%.2f", worstRatio),
		Baseline:  "linear: about 1; quadratic: about 4",
		Ratio:     fmt.Sprintf("%.2f", worstRatio),
		Target:    "< 2",
		Met:       worstRatio < 2,
	})
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}
