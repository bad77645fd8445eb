package benchkit

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// RosterXLSXStats describes a workbook WriteRosterXLSX wrote.
type RosterXLSXStats struct {
	Bytes            int64 // the workbook
	SheetXML         int64 // the worksheet part, inflated
	SharedStringsXML int64 // the shared-strings part, inflated
	SharedStrings    int   // distinct strings
}

var (
	rosterFirsts = strings.Fields(`Avery Jordan Taylor Casey Riley Morgan Quinn Jamie Alex Sam Drew Reese Rowan Parker
		Emerson Finley Hayden Kendall Logan Marley Peyton Sawyer Skyler Tatum Blake Cameron Dakota Elliot Harper Jules`)
	rosterSyllables = strings.Fields(`ab ber chal dor en fitz gar hol is jen kir lam mor nel ost pen quin ros sta tor
		ul van wes yor zel`)
	rosterEmployers = []string{"Harborline Electrical", "Prairie Build Systems", "Northshore Mechanical", "Summit Civil",
		"Lakeside Power", "Redriver Utilities", "Granite Works", "Westgate Crane"}
	rosterCities   = []string{"Winnipeg", "Brandon", "Steinbach", "Thompson", "Selkirk", "Portage la Prairie"}
	rosterStatuses = []string{"Active", "Leave", "Probation", "Retired"}
	rosterNotes    = []string{"assigned to, mobile crew", "", "night shift", "union steward", "", "first aid & safety"}
)

// rosterLast is surname number n (distinct for n below 390,625), made of
// four syllables.
func rosterLast(n int) string {
	var b strings.Builder
	for i := 0; i < 4; i++ {
		s := rosterSyllables[n%len(rosterSyllables)]
		n /= len(rosterSyllables)
		if i == 0 {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		b.WriteString(s)
	}
	return b.String()
}

// WriteRosterXLSX writes a member roster of rows data rows under
// RosterHeader the way spreadsheet programs write a workbook: strings in
// a shared-strings table numbered by first appearance (each row has a
// distinct surname and email), hire dates as serials with a built-in date
// format, amounts with a number format, update times with a custom
// date-time format, r attributes on every row and cell. The output is
// deterministic.
func WriteRosterXLSX(out io.Writer, rows int) (RosterXLSXStats, error) {
	var st RosterXLSXStats
	cw := &countingWriter{w: out}
	zw := zip.NewWriter(cw)
	var werr error
	part := func(name string) io.Writer {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil && werr == nil {
			werr = err
		}
		return w
	}
	const hdr = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\r\n"
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	write := func(name, body string) {
		if w := part(name); werr == nil {
			_, werr = io.WriteString(w, hdr+body)
		}
	}
	write("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	write("_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="`+rel+`officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	write("xl/workbook.xml", `<workbook `+ns+`><workbookPr defaultThemeVersion="166925"/><bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300" activeTab="0"/></bookViews><sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets><calcPr calcId="191029"/></workbook>`)
	write("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="`+rel+`styles" Target="styles.xml"/><Relationship Id="rId4" Type="`+rel+`sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId1" Type="`+rel+`worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	// Cell formats: 1 a date (built-in 14), 2 a date-time (custom 164), 3 an amount (built-in 4).
	write("xl/styles.xml", `<styleSheet `+ns+`><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd\ hh:mm"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`)
	if werr != nil {
		return st, werr
	}

	index := map[string]int{}
	var order []string
	uses := 0
	sst := func(s string) int {
		uses++
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(order)
		order = append(order, s)
		return len(order) - 1
	}
	sheet := &countingWriter{w: part("xl/worksheets/sheet1.xml")}
	if werr != nil {
		return st, werr
	}
	w := bufio.NewWriterSize(sheet, 1<<20)
	w.WriteString(hdr + `<worksheet ` + ns + ` xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">`)
	fmt.Fprintf(w, `<dimension ref="A1:T%d"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><cols><col min="1" max="3" width="24" customWidth="1"/><col min="4" max="4" width="11" customWidth="1"/></cols><sheetData>`, rows+1)
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
	start := func(r int) {
		row = append(row[:0], `<row r="`...)
		row = strconv.AppendInt(row, int64(r), 10)
		row = append(row, `" spans="1:20" x14ac:dyDescent="0.25">`...)
	}
	start(1)
	for c, h := range RosterHeader {
		str(c, 1, h)
	}
	w.Write(append(row, `</row>`...))
	for i := range rows {
		r := i + 2
		first, last := rosterFirsts[i%len(rosterFirsts)], rosterLast(i)
		gross := 1309 + float64(i%100)*1.01
		start(r)
		str(0, r, first)
		str(1, r, last)
		str(2, r, strings.ToLower(first+"."+last)+"@ex.org")
		num(3, r, 1, strconv.Itoa(40000+i%5000))
		str(4, r, rosterEmployers[i%len(rosterEmployers)])
		str(5, r, "Apprentice Year "+strconv.Itoa(i%4+1))
		str(6, r, "Local "+strconv.Itoa(100+i%500))
		str(7, r, fmt.Sprintf("(%03d) 555-%04d", 200+i%700, i%10000))
		str(8, r, strconv.Itoa(i%9000+1)+" Main Street")
		str(9, r, rosterCities[i%len(rosterCities)])
		str(10, r, "MB")
		str(11, r, "R3C 4T"+strconv.Itoa(i%10))
		str(12, r, rosterStatuses[i%len(rosterStatuses)])
		num(13, r, 0, strconv.Itoa(30+i%15))
		num(14, r, 0, "32.5")
		num(15, r, 3, strconv.FormatFloat(gross, 'f', -1, 64))
		num(16, r, 3, "212.45")
		num(17, r, 3, strconv.FormatFloat(gross-212.45, 'f', -1, 64))
		str(18, r, rosterNotes[i%len(rosterNotes)])
		num(19, r, 2, strconv.FormatFloat(45000+float64(i%3000)+float64(i%1440)/1440, 'f', -1, 64))
		w.Write(append(row, `</row>`...))
	}
	w.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	if err := w.Flush(); err != nil {
		return st, err
	}

	shared := &countingWriter{w: part("xl/sharedStrings.xml")}
	if werr != nil {
		return st, werr
	}
	w = bufio.NewWriterSize(shared, 1<<20)
	fmt.Fprintf(w, hdr+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, uses, len(order))
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	for _, s := range order {
		w.WriteString(`<si><t>`)
		w.WriteString(esc.Replace(s))
		w.WriteString(`</t></si>`)
	}
	w.WriteString(`</sst>`)
	if err := w.Flush(); err != nil {
		return st, err
	}
	if err := zw.Close(); err != nil {
		return st, err
	}
	return RosterXLSXStats{Bytes: cw.n, SheetXML: sheet.n, SharedStringsXML: shared.n, SharedStrings: len(order)}, nil
}

// GenerateRosterXLSX writes WriteRosterXLSX's workbook of rows data rows
// to path and prints the input line the XLSX benchmarks begin with: its
// shape, sizes and how long it took to write.
func GenerateRosterXLSX(path string, rows int) error {
	start := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	st, err := WriteRosterXLSX(f, rows)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("input: %d rows x 20 columns, %.1f MB (sheet XML %.1f MB, shared strings XML %.1f MB, %d strings), generated in %v\n",
		rows+1, float64(st.Bytes)/1e6, float64(st.SheetXML)/1e6, float64(st.SharedStringsXML)/1e6, st.SharedStrings,
		time.Since(start).Round(time.Millisecond))
	return nil
}
