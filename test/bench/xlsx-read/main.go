// Command xlsx-read measures the streaming XLSX reader (package
// adapters/extractor/xlsxstream) reading every cell of a large workbook,
// against excelize's row iterator and against the floor: inflating the
// sheet and shared-strings parts and one pass over their bytes. It prints
// figures and ratios and never asserts. Targets: the reader at least 5x
// as fast as excelize, at least 0.25 of the floor's speed, peak RSS at
// most 64 MiB.
//
//	go run ./test/bench/xlsx-read [-rows 200000] [-keep path.xlsx]
//
// The workbook (20 columns) is written the way spreadsheet programs write
// one: strings in a shared-strings table numbered by first appearance,
// with a distinct name and email on every row, numbers, dates with a date
// style and date-times with a custom one, row and cell references on
// every element. Each measurement runs in a child process (this program
// with -child) so that its peak RSS (VmHWM, from the child's rusage) is
// its own; the time is measured inside the child, from opening the file
// to the last cell.
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
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
	child := flag.String("child", "", "internal: excelize|floor|reader|spill")
	input := flag.String("input", "", "internal: workbook path")
	flag.Parse()
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
	start := time.Now()
	sheetBytes, sstBytes, strs := generate(path, *rows)
	fi, err := os.Stat(path)
	check(err)
	fmt.Printf("input: %d rows x 20 columns, %.1f MB (sheet XML %.1f MB, shared strings XML %.1f MB, %d strings), generated in %v\n",
		*rows+1, float64(fi.Size())/1e6, float64(sheetBytes)/1e6, float64(sstBytes)/1e6, strs, time.Since(start).Round(time.Millisecond))

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
		zr, err := zip.OpenReader(input)
		check(err)
		buf := make([]byte, 256<<10)
		for _, f := range zr.File {
			if f.Name != "xl/worksheets/sheet1.xml" && f.Name != "xl/sharedStrings.xml" {
				continue
			}
			rc, err := f.Open()
			check(err)
			for {
				n, err := rc.Read(buf)
				res.Bytes += int64(n)
				res.Cells += bytes.Count(buf[:n], []byte{'<'})
				if err == io.EOF {
					break
				}
				check(err)
			}
			check(rc.Close())
		}
		check(zr.Close())
		res.Cells = 0 // a count of tags, not of cells
	case "reader", "spill":
		opts := xlsxstream.Options{}
		if mode == "spill" {
			opts.SharedStringsMemory = 1 << 20
		}
		wb, err := xlsxstream.OpenFile(input, opts)
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

// selfCPU is this process's CPU time so far, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

// vmHWM is this process's peak resident set size in KiB, from
// /proc/self/status (the rusage of a child started by fork and exec also
// counts the parent's RSS at the fork: the generator's memory).
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	check(err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			check(err)
			return n
		}
	}
	check(fmt.Errorf("no VmHWM in /proc/self/status"))
	return 0
}

var (
	firstNames = strings.Fields(`Avery Jordan Taylor Casey Riley Morgan Quinn Jamie Alex Sam Drew Reese Rowan Parker
		Emerson Finley Hayden Kendall Logan Marley Peyton Sawyer Skyler Tatum Blake Cameron Dakota Elliot Harper Jules`)
	syllables = strings.Fields(`ab ber chal dor en fitz gar hol is jen kir lam mor nel ost pen quin ros sta tor
		ul van wes yor zel`)
	employers = []string{"Harborline Electrical", "Prairie Build Systems", "Northshore Mechanical", "Summit Civil",
		"Lakeside Power", "Redriver Utilities", "Granite Works", "Westgate Crane"}
	classes  = []string{"Apprentice Year 1", "Apprentice Year 2", "Apprentice Year 3", "Journeyperson"}
	cities   = []string{"Winnipeg", "Brandon", "Steinbach", "Thompson", "Selkirk", "Portage la Prairie"}
	statuses = []string{"Active", "Leave", "Probation", "Retired"}
	notes    = []string{"assigned to, mobile crew", "", "night shift", "union steward", "", "first aid & safety"}
)

// lastName is the distinct surname number n, made of syllables.
func lastName(n int) string {
	var b strings.Builder
	for i := 0; i < 3; i++ {
		s := syllables[n%len(syllables)]
		n /= len(syllables)
		if i == 0 {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		b.WriteString(s)
	}
	return b.String()
}

// generate writes the workbook and returns the sizes of its sheet and
// shared-strings XML and the number of shared strings.
func generate(path string, n int) (int64, int64, int) {
	out, err := os.Create(path)
	check(err)
	defer out.Close()
	zw := zip.NewWriter(out)
	part := func(name string) io.Writer {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		check(err)
		return w
	}
	const hdr = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n"
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	write := func(name, body string) {
		_, err := io.WriteString(part(name), hdr+body)
		check(err)
	}
	write("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	write("_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	write("xl/workbook.xml", `<workbook `+ns+`><workbookPr defaultThemeVersion="166925"/><bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300" activeTab="0"/></bookViews><sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets><calcPr calcId="191029"/></workbook>`)
	write("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	write("xl/styles.xml", `<styleSheet `+ns+`><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd\ hh:mm"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`)

	index := map[string]int{}
	var order []string
	count := 0
	sst := func(s string) int {
		count++
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(order)
		order = append(order, s)
		return len(order) - 1
	}
	cw := &countWriter{w: part("xl/worksheets/sheet1.xml")}
	w := bufio.NewWriterSize(cw, 1<<20)
	w.WriteString(hdr + `<worksheet ` + ns + ` xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">`)
	fmt.Fprintf(w, `<dimension ref="A1:T%d"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><cols><col min="1" max="2" width="24" customWidth="1"/><col min="3" max="3" width="11" customWidth="1"/></cols><sheetData>`, n+1)
	header := []string{"Name", "Email", "Hire Date", "Employer", "Classification", "Local", "Phone", "Street", "City",
		"Region", "Postal Code", "Status", "Hours", "Rate", "Gross", "Deductions", "Net", "Notes", "Member ID", "Updated"}
	var row []byte
	cell := func(col, r int) {
		row = append(row, `<c r="`...)
		row = append(row, byte('A'+col))
		row = strconv.AppendInt(row, int64(r), 10)
		row = append(row, '"')
	}
	str := func(col, r int, s string) {
		if s == "" {
			return
		}
		cell(col, r)
		row = append(row, ` t="s"><v>`...)
		row = strconv.AppendInt(row, int64(sst(s)), 10)
		row = append(row, `</v></c>`...)
	}
	num := func(col, r, style int, v string) {
		cell(col, r)
		if style > 0 {
			row = append(row, ` s="`...)
			row = strconv.AppendInt(row, int64(style), 10)
			row = append(row, '"')
		}
		row = append(row, `><v>`...)
		row = append(row, v...)
		row = append(row, `</v></c>`...)
	}
	rowStart := func(r int) {
		row = append(row[:0], `<row r="`...)
		row = strconv.AppendInt(row, int64(r), 10)
		row = append(row, `" spans="1:20" x14ac:dyDescent="0.25">`...)
	}
	rowStart(1)
	for c, h := range header {
		str(c, 1, h)
	}
	w.Write(append(row, `</row>`...))
	for i := range n {
		r := i + 2
		first, last := firstNames[i%len(firstNames)], lastName(i/len(firstNames))
		rowStart(r)
		str(0, r, first+" "+last)
		str(1, r, strings.ToLower(first+"."+last)+"@ex.org")
		num(2, r, 1, strconv.Itoa(40000+i%5000))
		str(3, r, employers[i%len(employers)])
		str(4, r, classes[i%len(classes)])
		str(5, r, "Local "+strconv.Itoa(100+i%500))
		str(6, r, fmt.Sprintf("(%03d) 555-%04d", 200+i%700, i%10000))
		str(7, r, strconv.Itoa(i%9000+1)+" Main Street")
		str(8, r, cities[i%len(cities)])
		str(9, r, "MB")
		str(10, r, "R3C 4T"+strconv.Itoa(i%10))
		str(11, r, statuses[i%len(statuses)])
		num(12, r, 0, strconv.Itoa(30+i%15))
		num(13, r, 0, "32.5")
		num(14, r, 3, strconv.FormatFloat(1309+float64(i%100)*1.01, 'f', -1, 64))
		num(15, r, 3, "212.45")
		num(16, r, 3, strconv.FormatFloat((1309+float64(i%100)*1.01)-212.45, 'f', -1, 64))
		str(17, r, notes[i%len(notes)])
		num(18, r, 0, strconv.Itoa(100000+i))
		num(19, r, 2, strconv.FormatFloat(45000+float64(i%3000)+float64(i%1440)/1440, 'f', -1, 64))
		w.Write(append(row, `</row>`...))
	}
	w.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	check(w.Flush())

	sw := &countWriter{w: part("xl/sharedStrings.xml")}
	w = bufio.NewWriterSize(sw, 1<<20)
	fmt.Fprintf(w, hdr+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, count, len(order))
	for _, s := range order {
		w.WriteString(`<si><t>`)
		w.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s))
		w.WriteString(`</t></si>`)
	}
	w.WriteString(`</sst>`)
	check(w.Flush())
	check(zw.Close())
	return cw.n, sw.n, len(order)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlsx-read:", err)
		os.Exit(1)
	}
}
