package read

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxBook is an XLSX or XLSM workbook read through excelize's streaming
// row iterator (which gives each cell's text as shown, so every non-empty
// cell is Text).
type xlsxBook struct {
	f     *excelize.File
	parts map[string]string // sheet name -> part path in the zip
	zr    *zip.Reader
	file  *os.File
}

// Bounds on what a workbook may unpack to. Worksheets larger than 16 MiB
// are streamed from temporary files, but excelize holds the shared-strings
// table in memory, so it gets its own, tighter bound.
const (
	MaxUnpackedBytes      = 4 << 30
	MaxSharedStringsBytes = 256 << 20
)

// openXLSX opens the spooled zip as a workbook.
func openXLSX(file *os.File, size int64) (doc *Document, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, Fail(CodeCorruptInput, "the XLSX workbook is damaged", fmt.Errorf("%v", p))
		}
	}()
	zr, err := zip.NewReader(file, size)
	if err != nil {
		return nil, Fail(CodeCorruptInput, "the XLSX workbook is not a readable zip archive", err)
	}
	if err := checkUnpackedSize(zr); err != nil {
		return nil, err
	}
	parts, macro, err := sheetParts(zr)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(file.Name(), excelize.Options{UnzipXMLSizeLimit: 16 << 20, UnzipSizeLimit: MaxUnpackedBytes})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, Fail(CodeCorruptInput, "the XLSX workbook cannot be opened", err)
	}
	format := FormatXLSX
	if macro {
		format = FormatXLSM
	}
	return &Document{Format: format, Book: &xlsxBook{f: f, parts: parts, zr: zr, file: file}}, nil
}

// checkUnpackedSize refuses a workbook whose parts, as the zip directory
// declares them, unpack past the bounds (zip.Reader also stops a part that
// unpacks to more than it declared).
func checkUnpackedSize(zr *zip.Reader) error {
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if zipPartName(f.Name) == "xl/sharedstrings.xml" && f.UncompressedSize64 > MaxSharedStringsBytes {
			return Fail(CodeInputTooLarge,
				fmt.Sprintf("the workbook's shared strings unpack to more than %d MiB", MaxSharedStringsBytes>>20), nil)
		}
	}
	if total > MaxUnpackedBytes {
		return Fail(CodeInputTooLarge,
			fmt.Sprintf("the workbook unpacks to more than %d GiB", MaxUnpackedBytes>>30), nil)
	}
	return nil
}

// zipPartName is a zip entry's name as a lowercase part path.
func zipPartName(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "/"))
}

func (w *xlsxBook) Close() error {
	_ = w.f.Close()
	_ = w.file.Close()
	return os.Remove(w.file.Name())
}

func (w *xlsxBook) Sheets() []string { return w.f.GetSheetList() }

func (w *xlsxBook) Active() string {
	name := w.f.GetSheetName(w.f.GetActiveSheetIndex())
	if list := w.f.GetSheetList(); name == "" && len(list) > 0 {
		name = list[0]
	}
	return name
}

// sheetParts maps sheet names to their worksheet parts by reading the
// workbook and its relationships, and reports whether the workbook is
// macro-enabled. A zip without a workbook is not XLSX.
func sheetParts(zr *zip.Reader) (map[string]string, bool, error) {
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[zipPartName(f.Name)] = f
	}
	wbFile, ok := files["xl/workbook.xml"]
	if !ok {
		return nil, false, Fail(CodeUnsupportedFormat, "the zip archive is not an XLSX workbook (no xl/workbook.xml)", nil)
	}
	var wbXML struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodeZipXML(wbFile, &wbXML); err != nil {
		return nil, false, Fail(CodeCorruptInput, "the XLSX workbook part is damaged", err)
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if relFile, ok := files["xl/_rels/workbook.xml.rels"]; ok {
		if err := decodeZipXML(relFile, &rels); err != nil {
			return nil, false, Fail(CodeCorruptInput, "the XLSX workbook relationships are damaged", err)
		}
	}
	macro := false
	if ct, ok := files["[content_types].xml"]; ok {
		var types struct {
			Overrides []struct {
				Part string `xml:"PartName,attr"`
				Type string `xml:"ContentType,attr"`
			} `xml:"Override"`
		}
		if decodeZipXML(ct, &types) == nil {
			for _, o := range types.Overrides {
				if zipPartName(o.Part) == "xl/workbook.xml" && strings.Contains(strings.ToLower(o.Type), "macroenabled") {
					macro = true
				}
			}
		}
	}
	out := map[string]string{}
	for _, s := range wbXML.Sheets {
		for _, r := range rels.Rels {
			if r.ID != s.RID {
				continue
			}
			target := strings.ReplaceAll(r.Target, "\\", "/")
			if strings.HasPrefix(target, "/") {
				target = strings.TrimPrefix(target, "/")
			} else {
				target = path.Join("xl", target)
			}
			out[s.Name] = strings.ToLower(target)
		}
	}
	return out, macro, nil
}

func decodeZipXML(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v)
}

// Sheet reads the worksheet's column settings, which come before its rows,
// and stops at <sheetData>: cheap whatever the sheet's size.
func (w *xlsxBook) Sheet(sheet string) Sheet {
	info := Sheet{Name: sheet}
	p, ok := w.parts[sheet]
	if !ok {
		return info
	}
	var zf *zip.File
	for _, f := range w.zr.File {
		if zipPartName(f.Name) == p {
			zf = f
			break
		}
	}
	if zf == nil {
		return info
	}
	rc, err := zf.Open()
	if err != nil {
		return info
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	for {
		tok, err := dec.Token()
		if err != nil {
			return info
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "sheetData":
			return info
		case "col":
			var lo, hi int
			hidden := false
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "min":
					lo, _ = strconv.Atoi(a.Value)
				case "max":
					hi, _ = strconv.Atoi(a.Value)
				case "hidden":
					hidden = a.Value == "1" || a.Value == "true"
				}
			}
			if !hidden || lo < 1 || hi < lo || lo > excelize.MaxColumns {
				continue
			}
			hi = min(hi, excelize.MaxColumns)
			for len(info.HiddenCols) < hi {
				info.HiddenCols = append(info.HiddenCols, false)
			}
			for c := lo; c <= hi; c++ {
				info.HiddenCols[c-1] = true
			}
		}
	}
}

// xlsxRows streams one worksheet through excelize's row iterator.
type xlsxRows struct {
	rows *excelize.Rows
	num  int
}

func (w *xlsxBook) Rows(sheet string) (Rows, error) {
	rows, err := w.f.Rows(sheet)
	if err != nil {
		return nil, Fail(CodeCorruptInput, fmt.Sprintf("sheet %q cannot be read", sheet), err)
	}
	return &xlsxRows{rows: rows}, nil
}

func (x *xlsxRows) Next() (r *Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, Fail(CodeCorruptInput, "the worksheet is damaged", fmt.Errorf("%v", p))
		}
	}()
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, Fail(CodeCorruptInput, "the worksheet is damaged", err)
		}
		return nil, io.EOF
	}
	x.num++
	cells, err := x.rows.Columns()
	if err != nil {
		return nil, Fail(CodeCorruptInput, "the worksheet is damaged", err)
	}
	return &Row{Num: x.num, Cells: cells, Hidden: x.rows.GetRowOpts().Hidden}, nil
}

func (x *xlsxRows) Close() error { return x.rows.Close() }
