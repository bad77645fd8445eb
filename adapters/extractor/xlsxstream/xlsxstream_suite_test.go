package xlsxstream_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

func TestXLSXStream(t *testing.T) {
	// Each property writes and reads whole workbooks twice (excelize is
	// the slow half): 30 random cases per run unless -rapid.checks says
	// otherwise. Every run draws new cases.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	if !explicit {
		_ = flag.Set("rapid.checks", "30")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "XLSX stream reader Suite")
}

// part is one file of a zip package.
type part struct{ name, body string }

// zipParts builds a zip archive from parts, in order.
// unzip returns the parts of a zip archive, in order.
func unzip(data []byte) []part {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		panic(err)
	}
	var out []part
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			panic(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			panic(err)
		}
		rc.Close()
		out = append(out, part{f.Name, string(b)})
	}
	return out
}

func zipParts(parts ...part) []byte {
	var raws []rawPart
	for _, p := range parts {
		raws = append(raws, rawPart{name: p.name, body: []byte(p.body), declared: -1})
	}
	return zipRaw(raws...)
}

// rawPart is a zip entry with control over how it is stored.
type rawPart struct {
	name     string
	body     []byte
	store    bool  // stored, not deflated
	declared int64 // the uncompressed size the directory declares; -1 for the true one
}

// zipRaw builds a zip archive; a part with a declared size is written
// pre-compressed with that size in its headers.
func zipRaw(parts ...rawPart) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		method := zip.Deflate
		if p.store || len(p.body) < 256 { // tiny parts: not worth a compressor
			method = zip.Store
		}

		if p.declared < 0 {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: method})
			if err != nil {
				panic(err)
			}
			if _, err := w.Write(p.body); err != nil {
				panic(err)
			}
			continue
		}
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
		_, _ = fw.Write(p.body)
		_ = fw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(p.body),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(p.declared)})
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(comp.Bytes()); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

const (
	nsMain = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	relNS  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
)

// book describes a workbook to build from raw XML.
type book struct {
	sheets   []string // sheet XML, one per sheet
	names    []string // sheet names (default Sheet1, Sheet2, ...)
	states   []string // sheet state attribute ("" for none)
	sst      string   // shared-strings XML, "" for none
	styles   string   // styles XML, "" for none
	date1904 bool
	active   int
	// prefix of the part paths ("xl/"); targets are written relative.
	extra []part
}

func (b book) bytes() []byte { return zipParts(b.parts()...) }

// parts returns the workbook's parts.
func (b book) parts() []part {
	var sheets, rels, types strings.Builder
	for i := range b.sheets {
		name := fmt.Sprintf("Sheet%d", i+1)
		if i < len(b.names) {
			name = b.names[i]
		}
		state := ""
		if i < len(b.states) && b.states[i] != "" {
			state = ` state="` + b.states[i] + `"`
		}
		fmt.Fprintf(&sheets, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, name, i+1, state, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%sworksheet" Target="worksheets/sheet%d.xml"/>`, i+1, relNS, i+1)
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i+1)
	}
	if b.sst != "" {
		fmt.Fprintf(&rels, `<Relationship Id="rIdS" Type="%ssharedStrings" Target="sharedStrings.xml"/>`, relNS)
	}
	if b.styles != "" {
		fmt.Fprintf(&rels, `<Relationship Id="rIdY" Type="%sstyles" Target="styles.xml"/>`, relNS)
	}
	pr := ""
	if b.date1904 {
		pr = `<workbookPr date1904="1"/>`
	}
	parts := []part{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` + types.String() + `</Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + relNS + `officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><workbook %s>%s<bookViews><workbookView activeTab="%d"/></bookViews><sheets>%s</sheets></workbook>`, nsMain, pr, b.active, sheets.String())},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`},
	}
	for i, s := range b.sheets {
		parts = append(parts, part{fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), s})
	}
	if b.sst != "" {
		parts = append(parts, part{"xl/sharedStrings.xml", b.sst})
	}
	if b.styles != "" {
		parts = append(parts, part{"xl/styles.xml", b.styles})
	}
	return append(parts, b.extra...)
}

// sheetXML wraps sheetData content (rows) in a worksheet.
func sheetXML(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + nsMain + `><sheetData>` + rows + `</sheetData></worksheet>`
}

// sstXML wraps string items.
func sstXML(items ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, it := range items {
		b.WriteString(it)
	}
	b.WriteString(`</sst>`)
	return b.String()
}

// stylesXML declares custom number formats (id -> code) and cell formats
// using the given number format ids, after a default one.
func stylesXML(custom map[int]string, xfs ...int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts>`)
	for id, code := range custom {
		code = strings.NewReplacer("&", "&amp;", `"`, "&quot;", "<", "&lt;").Replace(code)
		fmt.Fprintf(&b, `<numFmt numFmtId="%d" formatCode="%s"/>`, id, code)
	}
	b.WriteString(`</numFmts><cellStyleXfs><xf numFmtId="14"/></cellStyleXfs><cellXfs><xf numFmtId="0"/>`)
	for _, id := range xfs {
		fmt.Fprintf(&b, `<xf numFmtId="%d" applyNumberFormat="1"/>`, id)
	}
	b.WriteString(`</cellXfs></styleSheet>`)
	return b.String()
}

func open(data []byte, opts xlsxstream.Options) (*xlsxstream.Workbook, error) {
	return xlsxstream.Open(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
}

// readSheet reads every row of a sheet, copying the cells.
func readSheet(wb *xlsxstream.Workbook, index int) ([]xlsxstream.Row, *xlsxstream.Rows, error) {
	rows, err := wb.Rows(context.Background(), index)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []xlsxstream.Row
	for rows.Next() {
		r := rows.Row()
		r.Cells = append([]xlsxstream.Cell(nil), r.Cells...)
		out = append(out, r)
	}
	return out, rows, rows.Err()
}

// readBytes opens data and reads sheet index.
func readBytes(data []byte, index int, opts xlsxstream.Options) ([]xlsxstream.Row, error) {
	wb, err := open(data, opts)
	if err != nil {
		return nil, err
	}
	defer wb.Close()
	rows, _, err := readSheet(wb, index)
	return rows, err
}

// mustRead reads sheet 0 of a workbook built from raw rows XML.
func mustRead(b book) []xlsxstream.Row {
	GinkgoHelper()
	rows, err := readBytes(b.bytes(), 0, xlsxstream.Options{})
	Expect(err).NotTo(HaveOccurred())
	return rows
}

// values flattens rows to "row:col=value" for compact expectations.
func values(rows []xlsxstream.Row) []string {
	var out []string
	for _, r := range rows {
		for _, c := range r.Cells {
			out = append(out, fmt.Sprintf("%d:%d=%s", r.Num, c.Col, c.Value))
		}
	}
	return out
}

// openFiles lists this process's open descriptors that point into dir.
func openFiles(dir string) []string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, dir+"/") {
			out = append(out, target)
		}
	}
	return out
}

// dirEntries lists dir.
func dirEntries(dir string) []string {
	ents, err := os.ReadDir(dir)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// peakHeap runs fn and samples the Go heap (live and unswept objects)
// every millisecond; it returns the peak above the heap before fn.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				v := read()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	fn()
	close(stop)
	<-done
	peak = max(peak, read())
	if peak < base {
		return 0
	}
	return peak - base
}
