package hostile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

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
		bw := bufio.NewWriter(w)
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="` + nsMain + `"><sheetData>`)
		for r := 1; r <= rows; r++ {
			fmt.Fprintf(bw, `<row r="%d">`, r)
			for c := range cols {
				ref := colName(c) + strconv.Itoa(r)
				switch {
				case shared:
					bw.WriteString(`<c r="` + ref + `" t="s"><v>0</v></c>`)
				case r == 1:
					bw.WriteString(`<c r="` + ref + `" t="inlineStr"><is><t>h` + strconv.Itoa(c) + `</t></is></c>`)
				default:
					bw.WriteString(`<c r="` + ref + `"><v>` + strconv.Itoa(c*r) + `</v></c>`)
				}
			}
			bw.WriteString(`</row>`)
		}
		bw.WriteString(`</sheetData></worksheet>`)
		return bw.Flush()
	}
}

// wideTables is n tables of cols columns stacked, each a header and two
// rows, set off by two blank rows.
func wideTables(n, cols int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="` + nsMain + `"><sheetData>`)
		for t := range n {
			for k := range 3 {
				r := t*5 + k + 1
				fmt.Fprintf(bw, `<row r="%d">`, r)
				for c := range cols {
					ref := colName(c) + strconv.Itoa(r)
					if k == 0 {
						bw.WriteString(`<c r="` + ref + `" t="inlineStr"><is><t>Label ` + strconv.Itoa(c) + `</t></is></c>`)
					} else {
						bw.WriteString(`<c r="` + ref + `"><v>` + strconv.Itoa(c+k) + `</v></c>`)
					}
				}
				bw.WriteString(`</row>`)
			}
		}
		bw.WriteString(`</sheetData></worksheet>`)
		return bw.Flush()
	}
}

// longSheet is a header over rows rows of five cells, four of them shared
// string 0.
func longSheet(rows int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="` + nsMain + `"><sheetData>`)
		bw.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Notes</t></is></c>` +
			`<c r="C1" t="inlineStr"><is><t>More</t></is></c><c r="D1" t="inlineStr"><is><t>Still more</t></is></c><c r="E1" t="inlineStr"><is><t>Amount</t></is></c></row>`)
		for r := 2; r <= rows+1; r++ {
			n := strconv.Itoa(r)
			bw.WriteString(`<row r="` + n + `"><c r="A` + n + `" t="s"><v>0</v></c><c r="B` + n + `" t="s"><v>0</v></c><c r="C` + n + `" t="s"><v>0</v></c><c r="D` + n + `" t="s"><v>0</v></c><c r="E` + n + `"><v>` + n + `</v></c></row>`)
		}
		bw.WriteString(`</sheetData></worksheet>`)
		return bw.Flush()
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
			_, _ = fw.Write(p) // into a bytes.Buffer: cannot fail
			if final {
				_ = fw.Close()
			} else {
				_ = fw.Flush()
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
			if _, err := io.WriteString(fw, p.body); err != nil {
				return err
			}
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
