// Command extract-xlsx measures the tabular extractor on a large XLSX
// workbook against excelize's own streaming row iterator (f.Rows). It
// prints figures and never asserts: targets are a rows/s ratio of at least
// 0.8 and a bounded peak RSS for the extraction.
//
//	go run ./test/bench/extract-xlsx [-rows 200000]
//
// The workbook is generated with excelize's StreamWriter. Baseline and
// extraction each run in a child process (this program with -child) so each
// peak RSS is measured alone, from the child's rusage.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/test/benchkit"
)

var payload = map[string]any{
	"extractor": "tabular",
	"fields": []any{
		map[string]any{"name": "first_name", "synonyms": []any{"first name"}, "transforms": []any{"trim", "title"}},
		map[string]any{"name": "last_name", "synonyms": []any{"last name"}, "transforms": []any{"trim", "title"}},
		map[string]any{"name": "email", "synonyms": []any{"email"}, "transforms": []any{"trim", "lower"}},
	},
}

func main() {
	rows := flag.Int("rows", 200000, "data rows in the generated workbook")
	child := flag.String("child", "", "internal: baseline|extract")
	input := flag.String("input", "", "internal: workbook path")
	out := flag.String("out", "", "internal: output directory")
	flag.Parse()
	if *child != "" {
		os.Exit(runChild(*child, *input, *out))
	}
	dir, err := os.MkdirTemp("", "ade-bench-xlsx-")
	check(err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "members.xlsx")
	start := time.Now()
	generate(path, *rows)
	fi, err := os.Stat(path)
	check(err)
	fmt.Printf("input: %d rows x 20 columns, %.1f MB, generated in %v\n", *rows, float64(fi.Size())/1e6, time.Since(start).Round(time.Millisecond))

	self, err := os.Executable()
	check(err)
	measure := func(mode string) (time.Duration, float64, string) {
		cmd := exec.Command(self, "-child", mode, "-input", path, "-out", filepath.Join(dir, "out"))
		cmd.Stderr = os.Stderr
		start := time.Now()
		report, err := cmd.Output()
		check(err)
		elapsed := time.Since(start)
		rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
		return elapsed, rss, string(report)
	}
	bt, brss, brep := measure("baseline")
	bRate := float64(*rows+1) / bt.Seconds()
	fmt.Printf("baseline excelize f.Rows(): %s in %v, %.0f rows/s, peak RSS %.1f MiB\n", brep, bt.Round(time.Millisecond), bRate, brss)
	et, erss, erep := measure("extract")
	eRate := float64(*rows+1) / et.Seconds()
	fmt.Printf("tabular extraction: %s in %v, %.0f rows/s, peak RSS %.1f MiB\n", erep, et.Round(time.Millisecond), eRate, erss)
	fmt.Println("summary:")
	fmt.Printf("  rows/s ratio extraction/baseline: %.2f (target >= 0.80)\n", eRate/bRate)
	fmt.Printf("  extraction peak RSS: %.1f MiB (baseline %.1f MiB)\n", erss, brss)
	benchkit.Report(benchkit.Result{
		Benchmark: fmt.Sprintf("%dk-row XLSX extraction, output included", *rows/1000),
		ADE:       fmt.Sprintf("%.0f rows/s, peak RSS %.1f MiB", eRate, erss),
		Baseline:  fmt.Sprintf("excelize f.Rows(), the reader the extractor uses: %.0f rows/s", bRate),
		Ratio:     benchkit.Ratio(eRate / bRate), Target: ">= 0.80", Met: eRate/bRate >= 0.8,
	})
}

func runChild(mode, input, outDir string) int {
	if mode == "baseline" {
		f, err := excelize.OpenFile(input)
		check(err)
		defer f.Close()
		rows, err := f.Rows(f.GetSheetList()[0])
		check(err)
		n, cells := 0, 0
		for rows.Next() {
			cols, err := rows.Columns()
			check(err)
			n++
			cells += len(cols)
		}
		check(rows.Close())
		fmt.Printf("%d rows, %d cells", n, cells)
		return 0
	}
	sink, err := tabular.NewDirSink(outDir)
	check(err)
	res, err := tabular.New().ExtractFile(context.Background(), input, payload, sink)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d table(s), %v rows", len(res.Tables), res.Metrics["rows_extracted"])
	return 0
}

func generate(path string, n int) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	check(err)
	header := []any{"First Name", "Last Name", "Email", "Hire Date", "Employer", "Classification", "Local",
		"Phone", "Street", "City", "Region", "Postal Code", "Status", "Hours", "Rate", "Gross", "Deductions",
		"Net", "Notes", "Member ID"}
	check(sw.SetRow("A1", header))
	row := make([]any, 20)
	for i := range n {
		row[0] = []string{"avery", "JORDAN", "taylor", "Casey"}[i%4]
		row[1] = []string{"Smith", "o'connor", "ST-PIERRE", "Nguyen"}[i%4]
		row[2] = "member." + strconv.Itoa(i) + "@example.org"
		row[3] = fmt.Sprintf("2024-%02d-%02d", i%12+1, i%28+1)
		row[4] = "Harborline Electrical"
		row[5] = "Apprentice Year " + strconv.Itoa(i%4+1)
		row[6] = "Local " + strconv.Itoa(100+i%500)
		row[7] = fmt.Sprintf("(%03d) 555-%04d", 200+i%700, i%10000)
		row[8] = strconv.Itoa(i%9000+1) + " Main Street"
		row[9] = "Winnipeg"
		row[10] = "MB"
		row[11] = "R3C 4T" + strconv.Itoa(i%10)
		row[12] = "Active"
		row[13] = 30 + i%15
		row[14] = 32.5
		row[15] = 1309.0 + float64(i%100)
		row[16] = 212.45
		row[17] = 1096.55
		row[18] = "assigned to, mobile crew"
		row[19] = "M-" + strconv.Itoa(100000+i)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		check(sw.SetRow(cell, row))
	}
	check(sw.Flush())
	check(f.SaveAs(path))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "extract-xlsx:", err)
		os.Exit(1)
	}
}
