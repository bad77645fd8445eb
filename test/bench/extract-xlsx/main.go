// Command extract-xlsx measures the tabular extractor on a large XLSX
// workbook written the way spreadsheet programs write one (shared strings
// with a distinct name and email on every row, dates with a date style,
// numbers; benchkit.WriteRosterXLSX), from opening the file to the last
// output byte, against (a) excelize's row iterator reading every cell
// (f.Rows() and Columns(), raw values) and (b) the floor: inflating the
// worksheet and shared-strings parts and one pass over their bytes
// (benchkit.XLSXFloor). It prints figures and never asserts. Targets: the
// extraction at least 5x as fast as excelize, at least 0.25 of the floor's
// speed, peak RSS at most 64 MiB.
//
//	go run ./test/bench/extract-xlsx [-rows 200000] [-runs 3]
//
// Each measurement runs in a child process (this program with -child)
// that reports its own time, CPU time and peak RSS (VmHWM: the rusage of
// a child would also count this process's memory at the fork).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/test/benchkit"
)

// result is what a child reports.
type result struct {
	Rows     int     `json:"rows"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu"`
	VmHWMKiB int64   `json:"vmhwm_kib"`
	Note     string  `json:"note"`
}

func main() {
	rows := flag.Int("rows", 200000, "data rows in the generated workbook")
	runs := flag.Int("runs", 3, "runs of the floor and of the extraction (medians are reported)")
	profile := flag.String("cpuprofile", "", "write the extraction's CPU profile (first run) to this file")
	child := flag.String("child", "", "internal: excelize|floor|extract")
	input := flag.String("input", "", "internal: workbook path")
	out := flag.String("out", "", "internal: output directory")
	flag.Parse()
	if *child != "" {
		os.Exit(runChild(*child, *input, *out, *profile))
	}
	dir, err := os.MkdirTemp("", "ade-bench-xlsx-")
	check(err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "members.xlsx")
	check(benchkit.GenerateRosterXLSX(path, *rows))

	self, err := os.Executable()
	check(err)
	measure := func(mode, prof string) result {
		outDir := filepath.Join(dir, "out")
		check(os.RemoveAll(outDir))
		args := []string{"-child", mode, "-input", path, "-out", outDir}
		if prof != "" {
			args = append(args, "-cpuprofile", prof)
		}
		cmd := exec.Command(self, args...)
		cmd.Stderr = os.Stderr
		b, err := cmd.Output()
		check(err)
		var r result
		check(json.Unmarshal(b, &r))
		return r
	}
	type series struct {
		name string
		runs []result
	}
	med := func(s series, f func(result) float64) float64 {
		var v []float64
		for _, r := range s.runs {
			v = append(v, f(r))
		}
		return benchkit.Median(v)
	}
	secs := func(r result) float64 { return r.Seconds }
	cpu := func(r result) float64 { return r.CPU }
	rss := func(r result) float64 { return float64(r.VmHWMKiB) / 1024 }
	ex := series{name: "(a) excelize f.Rows() + Columns(), raw values"}
	fl := series{name: "(b) floor: inflate sheet + shared strings"}
	xt := series{name: "tabular extraction, CSV output"}
	show := func(s series, r result) {
		fmt.Printf("%-46s %7.3f s (cpu %6.3f s) %9.0f rows/s  peak RSS %6.1f MiB  %s\n",
			s.name, r.Seconds, r.CPU, float64(*rows+1)/r.Seconds, rss(r), r.Note)
	}
	// excelize is slow: one run.
	ex.runs = append(ex.runs, measure("excelize", ""))
	show(ex, ex.runs[0])
	for i := range *runs {
		fl.runs = append(fl.runs, measure("floor", ""))
		show(fl, fl.runs[i])
		prof := ""
		if i == 0 {
			prof = *profile
		}
		xt.runs = append(xt.runs, measure("extract", prof))
		show(xt, xt.runs[i])
	}
	if xt.runs[0].Rows != *rows || ex.runs[0].Rows != *rows+1 {
		fmt.Printf("the extraction found %d rows, excelize read %d; want %d data rows\n", xt.runs[0].Rows, ex.runs[0].Rows, *rows)
		os.Exit(1)
	}
	fmt.Printf("summary (medians of %d runs; excelize one run):\n", *runs)
	fmt.Printf("  %-46s %7s %8s %10s %9s\n", "", "time s", "cpu s", "rows/s", "RSS MiB")
	for _, s := range []series{ex, fl, xt} {
		fmt.Printf("  %-46s %7.3f %8.3f %10.0f %9.1f\n", s.name, med(s, secs), med(s, cpu),
			float64(*rows+1)/med(s, secs), med(s, rss))
	}
	speedEx := med(ex, secs) / med(xt, secs)
	speedFl := med(fl, secs) / med(xt, secs)
	peak := 0.0
	for _, r := range xt.runs {
		peak = max(peak, rss(r))
	}
	fmt.Printf("  speed extraction/excelize: %.1fx (target >= 5x) %s; cpu time ratio %.1fx\n", speedEx,
		benchkit.Verdict(speedEx >= 5), med(ex, cpu)/med(xt, cpu))
	fmt.Printf("  speed extraction/floor: %.2f (target >= 0.25) %s; cpu time ratio %.2f\n", speedFl,
		benchkit.Verdict(speedFl >= 0.25), med(fl, cpu)/med(xt, cpu))
	fmt.Printf("  extraction peak RSS: %.1f MiB (target <= 64 MiB) %s; excelize %.1f MiB\n", peak,
		benchkit.Verdict(peak <= 64), med(ex, rss))
	rate := float64(*rows+1) / med(xt, secs)
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("%dk-row XLSX extraction, CSV output included", *rows/1000),
		ADE:       fmt.Sprintf("%.0f rows/s, peak RSS %.1f MiB", rate, peak),
		Baseline:  fmt.Sprintf("floor (inflate sheet and shared strings, parse nothing): %.0f rows/s", float64(*rows+1)/med(fl, secs)),
		Ratio:     benchkit.Ratio(speedFl), Target: ">= 0.25", Met: speedFl >= 0.25,
	})
	benchkit.Report(benchkit.Result{
		Benchmark: "XLSX extraction against excelize f.Rows()",
		ADE:       fmt.Sprintf("%.0f rows/s", rate),
		Baseline:  fmt.Sprintf("excelize f.Rows() + Columns(): %.0f rows/s", float64(*rows+1)/med(ex, secs)),
		Ratio:     fmt.Sprintf("%.1fx", speedEx), Target: ">= 5x", Met: speedEx >= 5,
	})
}

func runChild(mode, input, outDir, profile string) int {
	if profile != "" {
		f, err := os.Create(profile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	cpu0, err := benchkit.SelfCPU()
	check(err)
	var res result
	switch mode {
	case "excelize":
		f, err := excelize.OpenFile(input)
		check(err)
		rows, err := f.Rows(f.GetSheetList()[0])
		check(err)
		cells := 0
		for rows.Next() {
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			check(err)
			res.Rows++
			cells += len(cols)
		}
		check(rows.Close())
		check(f.Close())
		res.Note = fmt.Sprintf("[%d cells]", cells)
	case "floor":
		n, err := benchkit.XLSXFloor(input)
		check(err)
		res.Note = fmt.Sprintf("[%.1f MB inflated]", float64(n)/1e6)
	case "extract":
		sink, err := tabular.NewDirSink(outDir)
		check(err)
		ex := &tabular.Extractor{TempDir: filepath.Dir(outDir)}
		r, err := ex.ExtractFile(context.Background(), input, benchkit.RosterPayload(), sink)
		check(err)
		rows, _ := r.Metrics["rows_extracted"].(int)
		res.Rows = rows
		res.Note = fmt.Sprintf("[%d table(s), %v, input %v]", len(r.Tables), r.Metrics["rows_extracted"], r.Metrics["input_format"])
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		return 2
	}
	res.Seconds = time.Since(start).Seconds()
	cpu1, err := benchkit.SelfCPU()
	check(err)
	res.CPU = (cpu1 - cpu0).Seconds()
	res.VmHWMKiB, err = benchkit.PeakRSSKiB()
	check(err)
	check(json.NewEncoder(os.Stdout).Encode(res))
	return 0
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "extract-xlsx:", err)
		os.Exit(1)
	}
}
