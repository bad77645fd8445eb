package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

// The hostile corpus: workbooks shaped to cost memory or time, each read
// with the default limits in a child process that reports its outcome,
// time and peak RSS.

type hostileCase struct {
	name  string
	build func() []byte
}

// hostileReport is what a hostile child reports.
type hostileReport struct {
	Outcome  string  `json:"outcome"`
	Seconds  float64 `json:"seconds"`
	VmHWMKiB int64   `json:"vmhwm_kib"`
	Left     int     `json:"left"` // files left in the temporary directory
}

// zpart is a zip entry; declared, when >= 0, replaces the true
// uncompressed size in the headers.
type zpart struct {
	name     string
	body     []byte
	declared int64
}

func buildZip(parts ...zpart) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		var comp bytes.Buffer
		fw, err := flate.NewWriter(&comp, flate.BestSpeed)
		check(err)
		_, err = fw.Write(p.body)
		check(err)
		check(fw.Close())
		size := uint64(len(p.body))
		if p.declared >= 0 {
			size = uint64(p.declared)
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(p.body),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: size})
		check(err)
		_, err = w.Write(comp.Bytes())
		check(err)
	}
	check(zw.Close())
	return buf.Bytes()
}

const hostileNS = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

// hostileBook is a one-sheet workbook around sheet (and sst, if any).
func hostileBook(sheet, sst []byte, sheetDeclared int64, extra ...zpart) []byte {
	rel := "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	rels := `<Relationship Id="rId1" Type="` + rel + `worksheet" Target="worksheets/sheet1.xml"/>`
	parts := []zpart{
		{"_rels/.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + rel + `officeDocument" Target="xl/workbook.xml"/></Relationships>`), -1},
		{"xl/workbook.xml", []byte(`<workbook ` + hostileNS + `><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`), -1},
		{"xl/worksheets/sheet1.xml", sheet, sheetDeclared},
	}
	if sst != nil {
		rels += `<Relationship Id="rId2" Type="` + rel + `sharedStrings" Target="sharedStrings.xml"/>`
		parts = append(parts, zpart{"xl/sharedStrings.xml", sst, -1})
	}
	parts = append(parts, zpart{"xl/_rels/workbook.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels + `</Relationships>`), -1})
	return buildZip(append(parts, extra...)...)
}

func hostileSheet(rows string) []byte {
	return []byte(`<worksheet ` + hostileNS + `><sheetData>` + rows + `</sheetData></worksheet>`)
}

func repeatedItems(n int, item string) []byte {
	return []byte(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + strings.Repeat(item, n) + `</sst>`)
}

var hostileCases = []hostileCase{
	{"zip bomb: a sheet declared 1 KiB that inflates to 256 MiB", func() []byte {
		return hostileBook(hostileSheet(strings.Repeat("<row/>", 256<<20/6)), nil, 1<<10)
	}},
	{"a sheet declaring 2 GiB", func() []byte {
		return hostileBook(hostileSheet(""), nil, 2<<30)
	}},
	{"a row of 16,384 cells", func() []byte {
		return hostileBook(hostileSheet("<row>"+strings.Repeat(`<c><v>1</v></c>`, xlsxstream.MaxColumns)+"</row>"), nil, -1)
	}},
	{"3 rows of 16,384 cells of a 16 KiB shared string", func() []byte {
		row := "<row>" + strings.Repeat(`<c t="s"><v>0</v></c>`, xlsxstream.MaxColumns) + "</row>"
		return hostileBook(hostileSheet(strings.Repeat(row, 3)), repeatedItems(1, "<si><t>"+strings.Repeat("w", 16<<10)+"</t></si>"), -1)
	}},
	{"one 16 MiB cell", func() []byte {
		return hostileBook(hostileSheet(`<row><c t="inlineStr"><is><t>`+strings.Repeat("x", 16<<20)+`</t></is></c></row>`), nil, -1)
	}},
	{"4,000,000 shared strings (spilled)", func() []byte {
		return hostileBook(hostileSheet(`<row><c t="s"><v>0</v></c><c t="s"><v>3999999</v></c></row>`), repeatedItems(4_000_000, "<si><t>shared</t></si>"), -1)
	}},
	{"17,000,000 shared strings", func() []byte {
		return hostileBook(hostileSheet(""), repeatedItems(17_000_000, "<si><t>x</t></si>"), -1)
	}},
	{"1,000,000 levels of nesting", func() []byte {
		return hostileBook(hostileSheet("<row>"+strings.Repeat("<x>", 1_000_000)+strings.Repeat("</x>", 1_000_000)+"</row>"), nil, -1)
	}},
	{"a sheet with no rows", func() []byte { return hostileBook(hostileSheet(""), nil, -1) }},
	{"1,048,576 empty rows", func() []byte {
		return hostileBook(hostileSheet(strings.Repeat("<row/>", xlsxstream.MaxRows)), nil, -1)
	}},
	{"20,000 zip entries", func() []byte {
		var extra []zpart
		for i := range 20_000 {
			extra = append(extra, zpart{fmt.Sprintf("junk/%d", i), nil, -1})
		}
		return hostileBook(hostileSheet(""), nil, -1, extra...)
	}},
	{"a truncated zip", func() []byte {
		b := hostileBook(hostileSheet(strings.Repeat(`<row><c><v>12345</v></c></row>`, 100_000)), nil, -1)
		return b[:len(b)/2]
	}},
}

// runHostile measures the corpus and prints it as a table.
func runHostile(self, dir string) {
	fmt.Println("hostile workbooks, default limits, each read in a child process:")
	fmt.Printf("  %-58s %9s  %-56s %8s %9s\n", "input", "size", "outcome", "time", "peak RSS")
	worst := 0.0
	for i, c := range hostileCases {
		path := filepath.Join(dir, fmt.Sprintf("hostile-%d.xlsx", i))
		data := c.build()
		check(os.WriteFile(path, data, 0o600))
		cmd := exec.Command(self, "-child", "hostile", "-input", path)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		check(err)
		var r hostileReport
		check(json.Unmarshal(out, &r))
		check(os.Remove(path))
		rss := float64(r.VmHWMKiB) / 1024
		worst = max(worst, rss)
		outcome := r.Outcome
		if r.Left > 0 {
			outcome += fmt.Sprintf(" (%d TEMPORARY FILES LEFT)", r.Left)
		}
		fmt.Printf("  %-58s %7.1f MB  %-56s %7.2fs %6.1f MiB\n", c.name, float64(len(data))/1e6, outcome, r.Seconds, rss)
	}
	fmt.Printf("  worst peak RSS: %.1f MiB\n", worst)
}

// hostileChild reads every sheet of input with the default limits.
func hostileChild(input string) int {
	tmp, err := os.MkdirTemp("", "ade-bench-hostile-")
	check(err)
	defer os.RemoveAll(tmp)
	start := time.Now()
	rows, cells := 0, 0
	err = func() error {
		wb, err := xlsxstream.OpenFile(context.Background(), input, xlsxstream.Options{TempDir: tmp})
		if err != nil {
			return err
		}
		defer wb.Close()
		for _, sh := range wb.Sheets() {
			it, err := wb.Rows(context.Background(), sh.Index)
			if err != nil {
				return err
			}
			for it.Next() {
				rows++
				cells += len(it.Row().Cells)
			}
			if err := it.Err(); err != nil {
				return err
			}
			it.Close()
		}
		return nil
	}()
	r := hostileReport{Seconds: time.Since(start).Seconds(), VmHWMKiB: vmHWM()}
	var le *xlsxstream.LimitError
	switch {
	case err == nil:
		r.Outcome = fmt.Sprintf("read: %d rows, %d cells", rows, cells)
	case errors.As(err, &le):
		r.Outcome = fmt.Sprintf("refused: over %d %s", le.Value, le.Limit)
	case errors.Is(err, xlsxstream.ErrMalformed), errors.Is(err, xlsxstream.ErrNotWorkbook):
		r.Outcome = "refused: malformed"
	default:
		r.Outcome = "error: " + err.Error()
	}
	left, _ := os.ReadDir(tmp)
	r.Left = len(left)
	check(json.NewEncoder(os.Stdout).Encode(r))
	return 0
}
