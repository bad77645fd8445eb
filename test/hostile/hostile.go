// Package hostile generates documents built to make an extraction slow
// or large (zip bombs, rows of every column, huge cells, shared-strings
// tables of millions of entries, thousands of tables, deep XML) and runs
// `ade extract` on each in a child process, measuring its peak memory
// (VmHWM, from the child's rusage), its time, and whether it left
// temporary files. The hostile suite (hostile_test.go) asserts the
// outcomes; test/bench/hostile prints them as a table.
//
// The documents are generated, never checked in: several unpack to
// gigabytes.
package hostile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Case is one hostile document and the outcome the extraction must have.
type Case struct {
	// Name names the case in reports.
	Name string
	// File is the document's file name (its extension matters to CSV).
	File string
	// Env sets ADE_* variables for the run (limits lowered to show one).
	Env []string
	// Code is the failure code expected ("" for success).
	Code string
	// Limit is the limit the failure must name, for input_too_large.
	Limit string
	// Write writes the document.
	Write func(w io.Writer) error
}

// Result is what one run of `ade extract` on a case gave.
type Result struct {
	// Code is the failure code ("" on success), Message the message.
	Code, Message string
	// Tables counts the tables of a successful run.
	Tables int
	// PeakKiB is the child's peak resident memory (VmHWM).
	PeakKiB int64
	// Elapsed is the run's wall time, CPU its processor time (user and
	// system).
	Elapsed, CPU time.Duration
	// Left lists the temporary files and outputs left behind (none
	// expected when the run failed; outputs expected on success).
	Left []string
	// Size is the document's size in bytes.
	Size int64
}

// PeakBound is the peak memory an extraction of any document within the
// upload cap must stay under.
const PeakBound = 256 << 20

// Payload is the configuration every case runs with.
const Payload = `{"extractor":"tabular","fields":[
 {"name":"first_name","synonyms":["first name","given name"]},
 {"name":"email","synonyms":["email","e-mail"]},
 {"name":"name","synonyms":["name","full name"]}]}`

// Cases are the hostile documents, cheapest first.
func Cases() []Case {
	return []Case{
		{Name: "CSV: one row of 100,000 columns", File: "wide.csv", Code: "input_too_large", Limit: "cells per row",
			Write: wideCSV(100_000, 3)},
		{Name: "CSV: 16,384 columns (Excel's maximum)", File: "wide16k.csv",
			Write: wideCSV(16_384, 3)},
		{Name: "CSV: 16 MiB of delimiters in one record", File: "commas.csv", Code: "input_too_large", Limit: "bytes per row",
			Write: func(w io.Writer) error { return repeatTo(w, ",", 16<<20) }},
		{Name: "CSV: one 16 MiB cell", File: "cell.csv", Code: "input_too_large", Limit: "bytes per row",
			Write: func(w io.Writer) error {
				if _, err := io.WriteString(w, "Name,Notes\nAnn,"); err != nil {
					return err
				}
				return repeatTo(w, "x", 16<<20)
			}},
		{Name: "CSV: a quote that never closes", File: "quote.csv", Code: "input_too_large", Limit: "bytes per cell",
			Write: func(w io.Writer) error {
				if _, err := io.WriteString(w, "Name,Notes\nAnn,\"open\n"); err != nil {
					return err
				}
				return repeatTo(w, "more text\n", 20<<20)
			}},
		{Name: "CSV: 25,000 tiny tables (1 MB)", File: "tiny.csv", Code: "input_too_large", Limit: "tables per document",
			Write: tinyTables(25_000)},
		{Name: "CSV: 5,000 tables side by side", File: "side.csv", Code: "input_too_large", Limit: "tables per document",
			Write: sideBySide(5_000, 3)},
		{Name: "CSV: 800 tables side by side, 3,000 rows", File: "side800.csv",
			Write: sideBySide(800, 3_000)},
		{Name: "CSV: 1,000 cells with ADE_MAX_CELLS=1000", File: "cells.csv", Env: []string{"ADE_MAX_CELLS=1000"},
			Code: "input_too_large", Limit: "cells", Write: wideCSV(20, 100)},
		{Name: "XLSX: sheet XML without rows", File: "norows.xlsx", Code: "no_tables_found",
			Write: xlsx(sheet(""), nil)},
		{Name: "XLSX: a row of 16,384 cells", File: "wide.xlsx",
			Write: xlsx(wideSheet(16_384, 3, false), nil)},
		{Name: "XLSX: 3 rows of 16,384 cells of 16 KiB (shared)", File: "fat.xlsx", Code: "input_too_large", Limit: "bytes per row",
			Write: xlsx(wideSheet(16_384, 3, true), sst(1, func(int) string { return strings.Repeat("w", 16<<10) }))},
		{Name: "XLSX: one 16 MiB inline cell", File: "cell.xlsx", Code: "input_too_large", Limit: "bytes per cell",
			Write: xlsx(func(w io.Writer) error {
				return sheet(`<row r="1"><c r="A1" t="inlineStr"><is><t>` + strings.Repeat("x", 16<<20) + `</t></is></c></row>`)(w)
			}, nil)},
		{Name: "XLSX: 4,000,000 shared strings", File: "sst.xlsx", Code: "no_tables_found",
			Write: xlsx(sheet(`<row r="1"><c r="A1" t="s"><v>3999999</v></c></row>`), sst(4_000_000, func(i int) string { return "s" + strconv.Itoa(i) }))},
		{Name: "XLSX: 160 MiB of shared strings (spilled)", File: "sstspill.xlsx",
			Write: xlsx(sheet(`<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Notes</t></is></c></row>`+
				`<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c><c r="B2" t="s"><v>0</v></c></row>`+
				`<row r="3"><c r="A3" t="inlineStr"><is><t>Bob</t></is></c><c r="B3" t="s"><v>19999</v></c></row>`),
				sst(20_000, func(i int) string { return strconv.Itoa(i) + strings.Repeat("x", 8<<10) }))},
		{Name: "XLSX: shared strings over the limit (300 MiB)", File: "sstbig.xlsx", Code: "input_too_large", Limit: "bytes of shared strings",
			Write: xlsx(sheet(""), sst(300, func(int) string { return strings.Repeat("y", 1<<20) }))},
		{Name: "XLSX: 100,000 levels of XML nesting", File: "deep.xlsx", Code: "input_too_large", Limit: "levels of XML nesting",
			Write: xlsx(sheet(`<row r="1"><c r="A1"><v>1</v></c></row>`+strings.Repeat("<x>", 100_000)+strings.Repeat("</x>", 100_000)), nil)},
		{Name: "XLSX: zip bomb, 5 GiB declared", File: "bomb.xlsx", Code: "input_too_large", Limit: "unpacked bytes per part",
			Write: bomb(5<<30, 5<<30)},
		{Name: "XLSX: zip bomb, 3 GiB declared as 1 MiB", File: "liar.xlsx", Code: "corrupt_input",
			Write: bomb(3<<30, 1<<20)},
		{Name: "XLSX: 1 GiB of white space in the sheet", File: "spaces.xlsx", Code: "no_tables_found",
			Write: bomb(1<<30, 1<<30)},
		{Name: "XLSX: 90 tables of 16,384 columns", File: "widetables.xlsx", Code: "input_too_large", Limit: "result bytes",
			Write: xlsx(wideTables(90, 16_384), nil)},
		{Name: "XLSX: 400,000 rows of 1 KiB cells (output bound)", File: "output.xlsx", Code: "input_too_large", Limit: "output bytes",
			Write: xlsx(longSheet(400_000), sst(1, func(int) string { return strings.Repeat("z", 1<<10) }))},
	}
}

// Scaling is one shape at two sizes, the larger Factor times the smaller:
// an extraction linear in its input takes about Factor times as long on
// the larger (a quadratic one, Factor squared).
type Scaling struct {
	Name         string
	Small, Large Case
	Factor       float64
}

// Scalings are the shapes that were quadratic: rows of many columns and
// many tables side by side.
func Scalings() []Scaling {
	return []Scaling{
		{Name: "CSV: tables side by side, 200 -> 800 tables of 3,000 rows", Factor: 4,
			Small: Case{File: "side-small.csv", Write: sideBySide(200, 3_000)},
			Large: Case{File: "side-large.csv", Write: sideBySide(800, 3_000)}},
		{Name: "CSV: one table, 4,096 -> 16,384 columns of 200 rows", Factor: 4,
			Small: Case{File: "wide-small.csv", Write: wideCSV(4_096, 200)},
			Large: Case{File: "wide-large.csv", Write: wideCSV(16_384, 200)}},
		{Name: "XLSX: one table, 4,096 -> 16,384 columns of 100 rows", Factor: 4,
			Small: Case{File: "wide-small.xlsx", Write: xlsx(wideSheet(4_096, 100, false), nil)},
			Large: Case{File: "wide-large.xlsx", Write: xlsx(wideSheet(16_384, 100, false), nil)}},
	}
}

// repeatTo writes s until n bytes are written.
func repeatTo(w io.Writer, s string, n int) error {
	chunk := strings.Repeat(s, max(1, (64<<10)/len(s)))
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := io.WriteString(w, chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// wideCSV is a header of cols columns over rows rows of numbers.
func wideCSV(cols, rows int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for r := 0; r <= rows; r++ {
			for c := range cols {
				if c > 0 {
					bw.WriteByte(',')
				}
				if r == 0 {
					bw.WriteString("h" + strconv.Itoa(c))
				} else {
					bw.WriteString(strconv.Itoa(c + r))
				}
			}
			bw.WriteByte('\n')
		}
		return bw.Flush()
	}
}

// tinyTables is n tables of a header and two rows, set off by blank lines.
func tinyTables(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for i := range n {
			fmt.Fprintf(bw, "name,amount\nx%d,%d\ny,2\n\n", i, i)
		}
		return bw.Flush()
	}
}

// sideBySide is n two-column tables in one band of rows, each set off by
// an empty column.
func sideBySide(n, rows int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for r := 0; r <= rows; r++ {
			for i := range n {
				if i > 0 {
					bw.WriteString(",,")
				}
				if r == 0 {
					bw.WriteString("name,amount")
				} else {
					fmt.Fprintf(bw, "n%d,%d", r, i)
				}
			}
			bw.WriteByte('\n')
		}
		return bw.Flush()
	}
}

// An XLSX package, written part by part.
const (
	nsMain      = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	contentType = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` +
		`</Types>`
	rootRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	workbook = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="` + nsMain + `" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`
	workbookRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
		`</Relationships>`
)

// xlsx writes a one-sheet workbook; sharedStrings may be nil.
func xlsx(sheetXML, sharedStrings func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		parts := []struct {
			name string
			body func(io.Writer) error
		}{
			{"[Content_Types].xml", text(contentType)},
			{"_rels/.rels", text(rootRels)},
			{"xl/workbook.xml", text(workbook)},
			{"xl/_rels/workbook.xml.rels", text(workbookRels)},
			{"xl/worksheets/sheet1.xml", sheetXML},
		}
		if sharedStrings != nil {
			parts = append(parts, struct {
				name string
				body func(io.Writer) error
			}{"xl/sharedStrings.xml", sharedStrings})
		}
		for _, p := range parts {
			fw, err := zw.Create(p.name)
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(fw, 1<<20)
			if err := p.body(bw); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		return zw.Close()
	}
}

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// sheet is a worksheet whose sheetData holds rows (XML).
func sheet(rows string) func(io.Writer) error {
	return text(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="` + nsMain + `"><sheetData>` + rows + `</sheetData></worksheet>`)
}

// sst is a shared-strings table of n strings.
func sst(n int, item func(i int) string) func(io.Writer) error {
	return func(w io.Writer) error {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s" count="%d" uniqueCount="%d">`, nsMain, n, n)
		for i := range n {
			if _, err := io.WriteString(w, "<si><t>"+item(i)+"</t></si>"); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, `</sst>`)
		return err
	}
}

// colName is the A1 letters of a 0-based column.
func colName(c int) string {
	s := ""
	for c++; c > 0; c = (c - 1) / 26 {
		s = string(rune('A'+(c-1)%26)) + s
	}
	return s
}

// wideSheet is rows rows of cols cells: a header of labels, then numbers;
// with shared, every cell is shared string 0.
func wideSheet(cols, rows int, shared bool) func(io.Writer) error {
	return func(w io.Writer) error {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="`+nsMain+`"><sheetData>`)
		for r := 1; r <= rows; r++ {
			fmt.Fprintf(w, `<row r="%d">`, r)
			for c := range cols {
				ref := colName(c) + strconv.Itoa(r)
				switch {
				case shared:
					io.WriteString(w, `<c r="`+ref+`" t="s"><v>0</v></c>`)
				case r == 1:
					io.WriteString(w, `<c r="`+ref+`" t="inlineStr"><is><t>h`+strconv.Itoa(c)+`</t></is></c>`)
				default:
					io.WriteString(w, `<c r="`+ref+`"><v>`+strconv.Itoa(c*r)+`</v></c>`)
				}
			}
			io.WriteString(w, `</row>`)
		}
		_, err := io.WriteString(w, `</sheetData></worksheet>`)
		return err
	}
}

// wideTables is n tables of cols columns stacked, each a header and two
// rows, set off by two blank rows.
func wideTables(n, cols int) func(io.Writer) error {
	return func(w io.Writer) error {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="`+nsMain+`"><sheetData>`)
		for t := range n {
			for k := range 3 {
				r := t*5 + k + 1
				fmt.Fprintf(w, `<row r="%d">`, r)
				for c := range cols {
					ref := colName(c) + strconv.Itoa(r)
					if k == 0 {
						io.WriteString(w, `<c r="`+ref+`" t="inlineStr"><is><t>Label `+strconv.Itoa(c)+`</t></is></c>`)
					} else {
						io.WriteString(w, `<c r="`+ref+`"><v>`+strconv.Itoa(c+k)+`</v></c>`)
					}
				}
				io.WriteString(w, `</row>`)
			}
		}
		_, err := io.WriteString(w, `</sheetData></worksheet>`)
		return err
	}
}

// longSheet is a header over rows rows of five cells, four of them shared
// string 0.
func longSheet(rows int) func(io.Writer) error {
	return func(w io.Writer) error {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="`+nsMain+`"><sheetData>`)
		io.WriteString(w, `<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Notes</t></is></c>`+
			`<c r="C1" t="inlineStr"><is><t>More</t></is></c><c r="D1" t="inlineStr"><is><t>Still more</t></is></c><c r="E1" t="inlineStr"><is><t>Amount</t></is></c></row>`)
		for r := 2; r <= rows+1; r++ {
			n := strconv.Itoa(r)
			io.WriteString(w, `<row r="`+n+`"><c r="A`+n+`" t="s"><v>0</v></c><c r="B`+n+`" t="s"><v>0</v></c><c r="C`+n+`" t="s"><v>0</v></c><c r="D`+n+`" t="s"><v>0</v></c><c r="E`+n+`"><v>`+n+`</v></c></row>`)
		}
		_, err := io.WriteString(w, `</sheetData></worksheet>`)
		return err
	}
}

// bomb is a workbook whose sheet part inflates to size bytes of white
// space inside sheetData while its zip directory declares declared bytes.
// The deflate stream is one compressed block of 64 KiB repeated, so the
// document stays small and quick to build whatever size says.
func bomb(size, declared int64) func(io.Writer) error {
	return func(w io.Writer) error {
		const chunk = 64 << 10
		head := []byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="` + nsMain + `"><sheetData>`)
		tail := []byte(`</sheetData></worksheet>`)
		blanks := bytes.Repeat([]byte(" "), chunk)
		n := (size - int64(len(head)) - int64(len(tail))) / chunk
		block := func(p []byte, final bool) []byte {
			var b bytes.Buffer
			fw, _ := flate.NewWriter(&b, flate.BestCompression)
			fw.Write(p)
			if final {
				fw.Close()
			} else {
				fw.Flush()
			}
			return b.Bytes()
		}
		headBlock, blankBlock, tailBlock := block(head, false), block(blanks, false), block(tail, true)
		crc := crc32.Update(0, crc32.IEEETable, head)
		for range n {
			crc = crc32.Update(crc, crc32.IEEETable, blanks)
		}
		crc = crc32.Update(crc, crc32.IEEETable, tail)
		compressed := int64(len(headBlock)) + n*int64(len(blankBlock)) + int64(len(tailBlock))
		real := int64(len(head)) + n*chunk + int64(len(tail))

		zw := zip.NewWriter(w)
		for _, p := range []struct{ name, body string }{
			{"[Content_Types].xml", contentType}, {"_rels/.rels", rootRels},
			{"xl/workbook.xml", workbook}, {"xl/_rels/workbook.xml.rels", workbookRels},
		} {
			fw, err := zw.Create(p.name)
			if err != nil {
				return err
			}
			io.WriteString(fw, p.body)
		}
		if declared == size {
			declared = real
		}
		fw, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
			CRC32: crc, CompressedSize64: uint64(compressed), UncompressedSize64: uint64(declared)})
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(fw, 1<<20)
		bw.Write(headBlock)
		for range n {
			bw.Write(blankBlock)
		}
		bw.Write(tailBlock)
		if err := bw.Flush(); err != nil {
			return err
		}
		return zw.Close()
	}
}

// Run writes a case's document into dir and runs `ade extract` (the binary
// at bin) on it in a child process with TMPDIR set to a directory of its
// own, which must be empty again after.
func Run(bin, dir string, c Case) (Result, error) {
	var res Result
	input := filepath.Join(dir, c.File)
	f, err := os.Create(input)
	if err != nil {
		return res, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := c.Write(bw); err != nil {
		f.Close()
		return res, fmt.Errorf("write %s: %w", c.File, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return res, err
	}
	if err := f.Close(); err != nil {
		return res, err
	}
	defer os.Remove(input)
	if fi, err := os.Stat(input); err == nil {
		res.Size = fi.Size()
	}
	payload := filepath.Join(dir, "payload.json")
	if err := os.WriteFile(payload, []byte(Payload), 0o600); err != nil {
		return res, err
	}
	tmp := filepath.Join(dir, "tmp")
	out := filepath.Join(dir, "out")
	for _, d := range []string{tmp, out} {
		if err := os.RemoveAll(d); err != nil {
			return res, err
		}
		if err := os.MkdirAll(d, 0o750); err != nil {
			return res, err
		}
	}

	// ade runs under a small launcher process (this program again), which
	// measures it: the peak RSS a child reports also counts the memory of
	// the process it was started from, up to its exec, and the caller may
	// be large (it generated the documents).
	spec, err := json.Marshal(launch{Args: []string{bin, "extract", "--config", payload, "--out", out, input},
		Env: append(append(cleanEnv(), "TMPDIR="+tmp), c.Env...), Stdout: filepath.Join(dir, "stdout"), Stderr: filepath.Join(dir, "stderr")})
	if err != nil {
		return res, err
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), launchEnv+"="+string(spec))
	var report bytes.Buffer
	cmd.Stdout, cmd.Stderr = &report, &limited{w: &report, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("launcher: %v: %s", err, report.String())
	}
	var m measured
	if err := json.Unmarshal(report.Bytes(), &m); err != nil {
		return res, fmt.Errorf("launcher: %v: %s", err, report.String())
	}
	res.Elapsed, res.CPU, res.PeakKiB = time.Duration(m.Seconds*float64(time.Second)), time.Duration(m.CPU*float64(time.Second)), m.PeakKiB
	stdout, _ := os.ReadFile(filepath.Join(dir, "stdout"))
	stderr, _ := os.ReadFile(filepath.Join(dir, "stderr"))
	switch m.Exit {
	case 0:
		var rep struct {
			Tables []json.RawMessage `json:"tables"`
		}
		if jerr := json.Unmarshal(stdout, &rep); jerr != nil {
			return res, fmt.Errorf("report: %w", jerr)
		}
		res.Tables = len(rep.Tables)
	case 1:
		res.Message = strings.TrimSpace(string(stderr))
		res.Code = codeOf(res.Message)
	default:
		return res, fmt.Errorf("ade extract: exit %d: %s", m.Exit, stderr)
	}
	// Nothing may be left in the spool root; outputs only on success.
	_ = filepath.WalkDir(tmp, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			res.Left = append(res.Left, p)
		}
		return nil
	})
	if res.Code != "" {
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			res.Left = append(res.Left, filepath.Join(out, e.Name()))
		}
	}
	return res, nil
}

// launchEnv carries a launch to the launcher process.
const launchEnv = "HOSTILE_TEST_LAUNCH"

// launch is a command for the launcher to run and measure.
type launch struct {
	Args, Env      []string
	Stdout, Stderr string
}

// measured is what the launcher reports of the command it ran.
type measured struct {
	Exit    int     `json:"exit"`
	PeakKiB int64   `json:"peak_kib"`
	Seconds float64 `json:"seconds"`
	CPU     float64 `json:"cpu"`
}

// Launcher makes this process the launcher when the environment asks for
// it: it runs the command, writes its output to files and prints what it
// measured, then exits. Programs that call Run call Launcher first thing.
func Launcher() {
	spec := os.Getenv(launchEnv)
	if spec == "" {
		return
	}
	var l launch
	if err := json.Unmarshal([]byte(spec), &l); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	stdout, err1 := os.Create(l.Stdout)
	stderr, err2 := os.Create(l.Stderr)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	cmd := exec.Command(l.Args[0], l.Args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = l.Env, stdout, stderr
	start := time.Now()
	err := cmd.Run()
	m := measured{Seconds: time.Since(start).Seconds()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		m.Exit = exit.ExitCode()
	default:
		fmt.Println(err)
		os.Exit(3)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.PeakKiB = ru.Maxrss
		m.CPU = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)).Seconds()
	}
	_ = json.NewEncoder(os.Stdout).Encode(m)
	os.Exit(0)
}

// codeOf reads the failure code in `ade extract`'s message
// ("ade: extract: <code>: <message>").
func codeOf(msg string) string {
	rest, ok := strings.CutPrefix(msg, "ade: extract: ")
	if !ok {
		return "unknown"
	}
	code, _, _ := strings.Cut(rest, ":")
	return code
}

// cleanEnv is the environment without ADE_ variables, so each case sets
// only its own.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADE_") && !strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return env
}

// limited keeps the first n bytes written.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
