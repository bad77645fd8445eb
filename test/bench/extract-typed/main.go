// Command extract-typed measures what typed fields cost the tabular
// extractor: the same remittance CSV (amounts, hours, rates, dates and
// flags written as payroll exports write them, and a closing Total row) is
// extracted with nine fields typed (number, money, percent, boolean, date)
// and with the same nine fields as strings, in the same run. It prints
// figures and never asserts; there is no target for this ratio, so
// the typed side's throughput is reported as a share of the string side's.
//
//	go run ./test/bench/extract-typed [-mb 50] [-runs 5] [-cpuprofile f]
//
// The string side is the baseline: the least work that maps the same
// columns to the same fields and writes the same rows (as written rather
// than canonical). Both sides run in a child process (this program with
// -child), so each peak RSS is measured alone (VmHWM from
// /proc/self/status), and alternate -runs times; the summary gives medians
// of wall time and of CPU time (the machine may be busy with other work,
// which wall times feel and CPU times much less). Before the figures count,
// the typed run must read every value (values_invalid 0) and its closing
// total must check out (totals_checked 3, totals_mismatched 0).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/test/benchkit"
)

func main() {
	mb := flag.Int("mb", 50, "size of the generated CSV in MB")
	child := flag.String("child", "", "internal: extract this file and report")
	typed := flag.Bool("typed", false, "internal: the child uses typed fields")
	out := flag.String("out", "", "internal: output directory of the child")
	runs := flag.Int("runs", 5, "how many times each side runs")
	profile := flag.String("cpuprofile", "", "write the typed side's CPU profile (first run) to this file")
	flag.Parse()
	if *child != "" {
		if *profile != "" {
			f, err := os.Create(*profile)
			check(err)
			check(pprof.StartCPUProfile(f))
		}
		code := runChild(*child, *out, *typed)
		pprof.StopCPUProfile()
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "ade-bench-typed-")
	check(err)
	defer os.RemoveAll(dir)
	input := filepath.Join(dir, "remittance.csv")
	f, err := os.Create(input)
	check(err)
	size, err := benchkit.WriteRemittanceCSV(f, int64(*mb)*1e6)
	check(err)
	check(f.Close())
	fmt.Printf("input: %s, %.1f MB, %d columns, 9 mapped (6 typed: number, 3 money, percent, boolean, date)\n",
		input, float64(size)/1e6, len(benchkit.RemittanceHeader))
	self, err := os.Executable()
	check(err)

	type side struct {
		name      string
		typed     bool
		wall, cpu []float64
		rss       int64
	}
	sides := []*side{{name: "string fields"}, {name: "typed fields", typed: true}}
	for i := range *runs {
		for _, s := range sides {
			outDir := filepath.Join(dir, "out")
			check(os.RemoveAll(outDir))
			args := []string{"-child", input, "-out", outDir}
			if s.typed {
				args = append(args, "-typed")
				if *profile != "" && i == 0 {
					args = append(args, "-cpuprofile", *profile)
				}
			}
			cmd := exec.Command(self, args...)
			cmd.Stderr = os.Stderr
			start := time.Now()
			stdout, err := cmd.Output()
			check(err)
			elapsed := time.Since(start)
			report, hwm, _ := strings.Cut(strings.TrimSpace(string(stdout)), "\nvmhwm_kib ")
			peak, err := strconv.ParseInt(hwm, 10, 64)
			check(err)
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
			s.wall, s.cpu = append(s.wall, elapsed.Seconds()), append(s.cpu, cpu.Seconds())
			s.rss = max(s.rss, peak)
			fmt.Printf("run %d: %s: %s in %v (cpu %v), %.0f MB/s, peak RSS %.1f MiB\n", i+1, s.name, report,
				elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(size)/1e6/elapsed.Seconds(),
				float64(peak)/1024)
		}
	}
	mbs := func(sec float64) float64 { return float64(size) / 1e6 / sec }
	str, typ := sides[0], sides[1]
	sw, sc, tw, tc := benchkit.Median(str.wall), benchkit.Median(str.cpu), benchkit.Median(typ.wall), benchkit.Median(typ.cpu)
	fmt.Println("summary (medians):")
	fmt.Printf("  string fields (baseline): %.0f MB/s (cpu %.0f MB/s), peak RSS %.1f MiB\n", mbs(sw), mbs(sc), float64(str.rss)/1024)
	fmt.Printf("  typed fields: %.0f MB/s (cpu %.0f MB/s), peak RSS %.1f MiB\n", mbs(tw), mbs(tc), float64(typ.rss)/1024)
	fmt.Printf("  throughput typed/string: %.2f (wall), %.2f (cpu); typing costs %.0f ns per typed value (cpu)\n",
		sw/tw, sc/tc, (tc-sc)*1e9/float64(typedValues(input)))
	benchkit.Report(benchkit.Result{
		Benchmark: "CSV extraction with typed fields",
		ADE:       fmt.Sprintf("%.0f MB/s, typing %.0f ns per value (cpu)", mbs(tw), (tc-sc)*1e9/float64(typedValues(input))),
		Baseline:  fmt.Sprintf("the same extraction with string fields: %.0f MB/s", mbs(sw)),
		Ratio:     benchkit.Ratio(sw / tw), Target: "none (informational)", Met: true,
	})
}

// typedValues is the number of typed values in the input: six per row.
func typedValues(input string) int64 {
	b, err := os.ReadFile(input)
	check(err)
	return int64(strings.Count(string(b), "\n")-1) * 6
}

func runChild(input, outDir string, typed bool) int {
	sink, err := tabular.NewDirSink(outDir)
	check(err)
	res, err := tabular.New().ExtractFile(context.Background(), input, benchkit.RemittancePayload(typed), sink)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	m := res.Metrics
	if typed && (m["values_invalid"] != 0 || m["totals_checked"] != 3 || m["totals_mismatched"] != 0) {
		fmt.Fprintf(os.Stderr, "extract-typed: the typed run is wrong: values_invalid %v, totals_checked %v, totals_mismatched %v\n",
			m["values_invalid"], m["totals_checked"], m["totals_mismatched"])
		return 1
	}
	fmt.Printf("%v rows, %v invalid, %v/%v totals mismatched\nvmhwm_kib %d\n", m["rows_extracted"], m["values_invalid"],
		m["totals_mismatched"], m["totals_checked"], vmHWM())
	return 0
}

// vmHWM is this process's peak resident set size in KiB.
func vmHWM() int64 {
	n, err := benchkit.PeakRSSKiB()
	check(err)
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "extract-typed:", err)
		os.Exit(1)
	}
}
