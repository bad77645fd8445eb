// Command extract-csv measures the tabular extractor on a large CSV file
// against a bare encoding/csv read of the same file. It prints figures and
// never asserts: targets are a throughput ratio of at least 0.5 and a peak
// RSS of at most 64 MiB for the extraction.
//
//	go run ./test/bench/extract-csv [-mb 100] [-runs 5]
//
// The extraction runs in a child process (this program with -child) so its
// peak RSS is measured alone: the child reports its VmHWM from
// /proc/self/status (the rusage of a child started by fork and exec also
// counts the parent's RSS at the fork, which would charge the generator's
// and the baseline's memory to the extraction). The file is read once
// untimed first (page cache warm for both sides), then the baseline and the
// extraction alternate -runs times; the summary gives medians, and the
// ratio of CPU times besides the ratio of wall times (the machine may be
// busy with other work, which wall times feel and CPU times much less).
// The ratios against the target are of the child's whole process, start
// included (exec, the runtime's and every package's set-up: some 50 ms,
// most of it a phone-number library's tables); for reference the child
// also times the extraction alone, and the summary gives those ratios
// beside.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/test/benchkit"
)

func main() {
	mb := flag.Int("mb", 100, "size of the generated CSV in MB")
	child := flag.String("child", "", "internal: extract this file and report")
	out := flag.String("out", "", "internal: output directory of the child")
	profile := flag.String("cpuprofile", "", "write the extraction's CPU profile to this file")
	runs := flag.Int("runs", 5, "how many times each side runs")
	flag.Parse()
	if *child != "" {
		if *profile != "" {
			f, err := os.Create(*profile)
			check(err)
			check(pprof.StartCPUProfile(f))
			defer pprof.StopCPUProfile()
		}
		code := runChild(*child, *out)
		pprof.StopCPUProfile()
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "ade-bench-csv-")
	check(err)
	defer os.RemoveAll(dir)
	input := filepath.Join(dir, "members.csv")
	size := generate(input, int64(*mb)*1e6)
	fmt.Printf("input: %s, %.1f MB, 20 columns, quoted fields\n", input, float64(size)/1e6)

	// Warm the page cache: both sides read the file from memory.
	baseline(input)
	self, err := os.Executable()
	check(err)
	outDir := filepath.Join(dir, "out")

	var baseWall, baseCPU, extWall, extCPU, ratios, alone, aloneCPU []float64
	var rss int64
	for i := range *runs {
		// Baseline: encoding/csv reading every record, every field.
		cpu0 := selfCPU()
		start := time.Now()
		rows := baseline(input)
		base := time.Since(start)
		bcpu := selfCPU() - cpu0
		baseWall, baseCPU = append(baseWall, base.Seconds()), append(baseCPU, bcpu.Seconds())
		fmt.Printf("run %d: baseline encoding/csv: %d records in %v (cpu %v), %.0f MB/s\n", i+1, rows,
			base.Round(time.Millisecond), bcpu.Round(time.Millisecond), float64(size)/1e6/base.Seconds())

		// Extraction, including writing the normalized CSV, in a child process.
		check(os.RemoveAll(outDir))
		args := []string{"-child", input, "-out", outDir}
		if *profile != "" && i == 0 {
			args = append(args, "-cpuprofile", *profile)
		}
		cmd := exec.Command(self, args...)
		cmd.Stderr = os.Stderr
		start = time.Now()
		out, err := cmd.Output()
		check(err)
		report, tail, _ := strings.Cut(strings.TrimSpace(string(out)), "\nvmhwm_kib ")
		var peak int64
		var inWall, inCPU float64 // the extraction alone, measured in the child
		_, err = fmt.Sscanf(tail, "%d inside %g %g", &peak, &inWall, &inCPU)
		check(err)
		alone = append(alone, inWall)
		aloneCPU = append(aloneCPU, inCPU)
		elapsed := time.Since(start)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		rss = max(rss, peak) // KiB
		ecpu := time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
		extWall, extCPU = append(extWall, elapsed.Seconds()), append(extCPU, ecpu.Seconds())
		ratios = append(ratios, base.Seconds()/elapsed.Seconds())
		fmt.Printf("run %d: tabular extraction: %s in %v (process wall time; cpu %v), %.0f MB/s, peak RSS %.1f MiB; without the process's start %.0f ms (cpu %.0f ms)\n",
			i+1, report, elapsed.Round(time.Millisecond), ecpu.Round(time.Millisecond),
			float64(size)/1e6/elapsed.Seconds(), float64(peak)/1024, inWall*1e3, inCPU*1e3)
	}
	mbs := func(sec float64) float64 { return float64(size) / 1e6 / sec }
	fmt.Println("summary (medians):")
	fmt.Printf("  baseline encoding/csv: %.0f MB/s (cpu %.0f MB/s)\n", mbs(median(baseWall)), mbs(median(baseCPU)))
	fmt.Printf("  tabular extraction: %.0f MB/s (cpu %.0f MB/s)\n", mbs(median(extWall)), mbs(median(extCPU)))
	fmt.Printf("  throughput ratio extraction/baseline: %.2f (target >= 0.50); median of per-run ratios %.2f\n",
		median(baseWall)/median(extWall), median(ratios))
	fmt.Printf("  cpu time ratio baseline/extraction: %.2f (target >= 0.50; the steadier figure on a busy machine)\n", median(baseCPU)/median(extCPU))
	fmt.Printf("  extraction peak RSS: %.1f MiB (target <= 64 MiB)\n", float64(rss)/1024)
	fmt.Printf("  for reference, the extraction alone, timed in the child without the process's start (exec, runtime and package set-up): %.0f MB/s (cpu %.0f MB/s), ratios %.2f and cpu %.2f\n",
		mbs(median(alone)), mbs(median(aloneCPU)), median(baseWall)/median(alone), median(baseCPU)/median(aloneCPU))
	ratio := median(baseWall) / median(extWall)
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("%.0f MB CSV extraction, normalized CSV output included", float64(size)/1e6),
		ADE:       fmt.Sprintf("%.0f MB/s, peak RSS %.1f MiB", mbs(median(extWall)), float64(rss)/1024),
		Baseline:  fmt.Sprintf("encoding/csv reading every field: %.0f MB/s", mbs(median(baseWall))),
		Ratio:     benchkit.Ratio(ratio), Target: ">= 0.50", Met: ratio >= 0.5,
	})
	benchkit.Report(benchkit.Result{
		Benchmark: "CSV extraction peak RSS",
		ADE:       fmt.Sprintf("%.1f MiB", float64(rss)/1024),
		Target:    "<= 64 MiB", Met: float64(rss)/1024 <= 64,
	})
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// selfCPU is this process's CPU time so far, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

func runChild(input, outDir string) int {
	cpu0, start := selfCPU(), time.Now()
	sink, err := tabular.NewDirSink(outDir)
	check(err)
	res, err := tabular.New().ExtractFile(context.Background(), input, benchkit.RosterPayload(), sink)
	wall, cpu := time.Since(start), selfCPU()-cpu0
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var outBytes int64
	for _, f := range sink.Files() {
		if fi, err := os.Stat(f); err == nil {
			outBytes += fi.Size()
		}
	}
	fmt.Printf("%d table(s), %v rows, %.1f MB written\nvmhwm_kib %d inside %g %g\n", len(res.Tables), res.Metrics["rows_extracted"],
		float64(outBytes)/1e6, vmHWM(), wall.Seconds(), cpu.Seconds())
	return 0
}

// vmHWM is this process's peak resident set size in KiB.
func vmHWM() int64 {
	n, err := benchkit.PeakRSSKiB()
	check(err)
	return n
}

func generate(path string, target int64) int64 {
	f, err := os.Create(path)
	check(err)
	defer f.Close()
	n, err := benchkit.WriteRosterCSV(f, target)
	check(err)
	return n
}

func baseline(path string) int {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			return n
		}
		check(err)
		n++
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "extract-csv:", err)
		os.Exit(1)
	}
}
