// Command xlsx-read measures the streaming XLSX reader (package
// adapters/extractor/xlsxstream) reading every cell of a large workbook,
// against excelize's row iterator and against the floor: inflating the
// sheet and shared-strings parts with one pass over their bytes. It prints
// figures and ratios and never asserts. Targets: the reader at least 5x
// as fast as excelize, at least 0.25 of the floor's speed, peak RSS at
// most 64 MiB.
//
//	go run ./test/bench/xlsx-read [-rows 200000] [-runs 3] [-hostile=true] [-keep path.xlsx] [-cpuprofile reader.prof]
//
// The workbook (benchkit.WriteRosterXLSX, 20 columns) is written the way
// spreadsheet programs write one: strings in a shared-strings table
// numbered by first appearance, with a distinct surname and email on
// every row, numbers, dates with a date format and date-times with a
// custom one, references on every row and cell. Its shared strings stay
// under 16 MiB of XML: past that excelize reads each shared string from a
// temporary file, many times slower, and the baseline would flatter the
// reader.
//
// Each measurement runs in a child process (this program with -child)
// that reports its own time (from opening the file to the last cell), CPU
// time and peak RSS (VmHWM from /proc/self/status: the rusage of a child
// started by fork and exec also counts the parent's memory at the fork).
// excelize reads raw values (Options{RawCellValue: true}), its least work.
// The reader also runs with its shared strings spilled to a temporary
// file (a 1 MiB budget), the path a table past the default 16 MiB takes.
//
// Then comes the hostile corpus (hostile.go): workbooks shaped to cost
// memory or time, each read with the default limits in a child process,
// printed as a table of input, outcome, time and peak RSS.
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

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
	"github.com/ade-go/ade/test/benchkit"
)

// result is what a child reports.
type result struct {
	Rows     int     `json:"rows"`
	Cells    int     `json:"cells"`
	Bytes    int64   `json:"bytes"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu"`
	VmHWMKiB int64   `json:"vmhwm_kib"`
}

func main() {
	rows := flag.Int("rows", 200000, "data rows in the generated workbook")
	runs := flag.Int("runs", 3, "runs of the floor and of the reader (medians are reported)")
	keep := flag.String("keep", "", "also write the generated workbook to this path")
	profile := flag.String("cpuprofile", "", "write the reader's CPU profile (first run) to this file")
	hostile := flag.Bool("hostile", true, "also read the hostile corpus")
	child := flag.String("child", "", "internal: excelize|floor|reader|spill|hostile")
	input := flag.String("input", "", "internal: workbook path")
	flag.Parse()
	if *child == "hostile" {
		os.Exit(hostileChild(*input))
	}
	if *child != "" {
		os.Exit(runChild(*child, *input, *profile))
	}
	dir, err := os.MkdirTemp("", "ade-bench-xlsx-read-")
	check(err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "members.xlsx")
	if *keep != "" {
		path = *keep
	}
	check(benchkit.GenerateRosterXLSX(path, *rows))

	self, err := os.Executable()
	check(err)
	measure := func(mode, prof string) result {
		args := []string{"-child", mode, "-input", path}
		if prof != "" {
			args = append(args, "-cpuprofile", prof)
		}
		cmd := exec.Command(self, args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		check(err)
		var r result
		check(json.Unmarshal(out, &r))
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
	rd := series{name: "(c) xlsxstream, every cell"}
	sp := series{name: "(d) xlsxstream, shared strings spilled"}
	show := func(s series, r result) {
		fmt.Printf("%-46s %7.3f s (cpu %6.3f s) %9.0f rows/s  peak RSS %6.1f MiB  [%d rows, %d cells]\n",
			s.name, r.Seconds, r.CPU, float64(r.Rows)/r.Seconds, rss(r), r.Rows, r.Cells)
	}
	// excelize is slow: one run.
	ex.runs = append(ex.runs, measure("excelize", ""))
	show(ex, ex.runs[0])
	for i := range *runs {
		prof := ""
		if i == 0 {
			prof = *profile
		}
		for _, s := range []*series{&fl, &rd, &sp} {
			mode := map[*series]string{&fl: "floor", &rd: "reader", &sp: "spill"}[s]
			p := ""
			if s == &rd {
				p = prof
			}
			r := measure(mode, p)
			s.runs = append(s.runs, r)
			show(*s, r)
		}
	}
	for _, s := range []series{rd, sp} {
		if s.runs[0].Cells != ex.runs[0].Cells || s.runs[0].Bytes != ex.runs[0].Bytes {
			fmt.Printf("%s read %d cells (%d bytes), excelize %d (%d bytes)\n", s.name,
				s.runs[0].Cells, s.runs[0].Bytes, ex.runs[0].Cells, ex.runs[0].Bytes)
			os.Exit(1)
		}
	}
	fmt.Printf("summary (medians of %d runs; excelize one run):\n", *runs)
	fmt.Printf("  %-46s %7s %8s %10s %9s\n", "", "time s", "cpu s", "rows/s", "RSS MiB")
	for _, s := range []series{ex, fl, rd, sp} {
		fmt.Printf("  %-46s %7.3f %8.3f %10.0f %9.1f\n", s.name, med(s, secs), med(s, cpu),
			float64(s.runs[0].Rows)/med(s, secs), med(s, rss))
	}
	speedEx := med(ex, secs) / med(rd, secs)
	speedFl := med(fl, secs) / med(rd, secs)
	peak := 0.0
	for _, r := range rd.runs {
		peak = max(peak, rss(r))
	}
	fmt.Printf("  speed xlsxstream/excelize: %.1fx (target >= 5x) %s; spilled %.1fx\n", speedEx, benchkit.Verdict(speedEx >= 5),
		med(ex, secs)/med(sp, secs))
	fmt.Printf("  speed xlsxstream/floor: %.2f (target >= 0.25) %s; spilled %.2f; cpu time ratio %.2f\n", speedFl,
		benchkit.Verdict(speedFl >= 0.25), med(fl, secs)/med(sp, secs), med(fl, cpu)/med(rd, cpu))
	fmt.Printf("  xlsxstream peak RSS: %.1f MiB (target <= 64 MiB) %s; spilled %.1f MiB; excelize %.1f MiB\n", peak,
		benchkit.Verdict(peak <= 64), med(sp, rss), med(ex, rss))
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("reading every cell of a %d-row XLSX", rd.runs[0].Rows),
		ADE:       fmt.Sprintf("xlsxstream %.0f rows/s, peak RSS %.1f MiB", float64(rd.runs[0].Rows)/med(rd, secs), peak),
		// The floor parses no rows: its speed is the workbook's rows over its time.
		Baseline: fmt.Sprintf("the floor (inflating the parts, one pass over their bytes): %.0f rows/s", float64(rd.runs[0].Rows)/med(fl, secs)),
		Ratio:    benchkit.Ratio(speedFl), Target: ">= 0.25", Met: speedFl >= 0.25,
	})
	benchkit.Report(benchkit.Result{
		Benchmark: "XLSX reading speed against excelize",
		ADE:       fmt.Sprintf("xlsxstream %.3f s", med(rd, secs)),
		Baseline:  fmt.Sprintf("excelize row iterator, raw values: %.3f s", med(ex, secs)),
		Ratio:     fmt.Sprintf("%.1fx", speedEx), Target: ">= 5x", Met: speedEx >= 5,
	})
	if *hostile {
		runHostile(self, dir)
	}
}

func runChild(mode, input, profile string) int {
	if profile != "" {
		f, err := os.Create(profile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	start, cpu0 := time.Now(), selfCPU()
	var res result
	switch mode {
	case "excelize":
		f, err := excelize.OpenFile(input)
		check(err)
		rows, err := f.Rows(f.GetSheetList()[0])
		check(err)
		for rows.Next() {
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			check(err)
			res.Rows++
			for _, c := range cols {
				if c != "" {
					res.Cells++
					res.Bytes += int64(len(c))
				}
			}
		}
		check(rows.Close())
		check(f.Close())
	case "floor":
		n, err := benchkit.XLSXFloor(input)
		check(err)
		res.Bytes = n
	case "reader", "spill":
		opts := xlsxstream.Options{}
		if mode == "spill" {
			opts.SharedStringsMemory = 1 << 20
		}
		wb, err := xlsxstream.OpenFile(context.Background(), input, opts)
		check(err)
		rows, err := wb.Rows(context.Background(), 0)
		check(err)
		for rows.Next() {
			res.Rows++
			for _, c := range rows.Row().Cells {
				res.Cells++
				res.Bytes += int64(len(c.Value))
			}
		}
		check(rows.Err())
		check(wb.Close())
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		return 2
	}
	res.Seconds = time.Since(start).Seconds()
	res.CPU = (selfCPU() - cpu0).Seconds()
	res.VmHWMKiB = vmHWM()
	check(json.NewEncoder(os.Stdout).Encode(res))
	return 0
}

// selfCPU is this process's CPU time so far.
func selfCPU() time.Duration {
	d, err := benchkit.SelfCPU()
	check(err)
	return d
}

// vmHWM is this process's peak resident set size in KiB.
func vmHWM() int64 {
	n, err := benchkit.PeakRSSKiB()
	check(err)
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlsx-read:", err)
		os.Exit(1)
	}
}
