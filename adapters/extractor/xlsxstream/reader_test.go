package xlsxstream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

var _ = Describe("Workbook", func() {
	It("lists sheets in workbook order with names, visibility and the active one", func() {
		data := book{
			sheets: []string{sheetXML(""), sheetXML(""), sheetXML("")},
			names:  []string{"Zeta &amp; Co", "Alpha", "Mid"},
			states: []string{"", "hidden", "veryHidden"},
			active: 1,
		}.bytes()
		wb, err := open(data, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		sheets := wb.Sheets()
		Expect(sheets).To(HaveLen(3))
		Expect(sheets[0]).To(Equal(xlsxstream.Sheet{Index: 0, Name: "Zeta & Co", Visibility: xlsxstream.Visible,
			Type: "worksheet", Part: "xl/worksheets/sheet1.xml"}))
		Expect(sheets[1].Name).To(Equal("Alpha"))
		Expect(sheets[1].Visibility).To(Equal(xlsxstream.Hidden))
		Expect(sheets[1].Active).To(BeTrue())
		Expect(sheets[0].Active || sheets[2].Active).To(BeFalse())
		Expect(sheets[2].Visibility).To(Equal(xlsxstream.VeryHidden))
		Expect(sheets[2].Visibility.String()).To(Equal("veryHidden"))
	})

	It("resolves sheet parts through the relationships, whatever their names and targets", func() {
		wbXML := `<workbook ` + nsMain + `><sheets>` +
			`<sheet name="Relative" sheetId="7" r:id="a"/>` +
			`<sheet name="Absolute" sheetId="3" r:id="b"/>` +
			`<sheet name="Parent" sheetId="1" r:id="c"/>` +
			`<sheet name="Escaped" sheetId="2" r:id="d"/>` +
			`</sheets></workbook>`
		rels := `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="d" Type="` + relNS + `worksheet" Target="data/with%20space.xml"/>` +
			`<Relationship Id="c" Type="` + relNS + `worksheet" Target="../book/../book/other/p.xml"/>` +
			`<Relationship Id="b" Type="` + relNS + `worksheet" Target="/book/Abs.XML"/>` +
			`<Relationship Id="a" Type="` + relNS + `worksheet" Target="data/first.xml"/>` +
			`</Relationships>`
		row := func(v string) string {
			return sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>` + v + `</t></is></c></row>`)
		}
		data := zipParts(
			part{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="x" Type="` + relNS + `officeDocument" Target="/book/main.xml"/></Relationships>`},
			part{"book/main.xml", wbXML},
			part{"book/_rels/main.xml.rels", rels},
			part{"book/data/first.xml", row("relative")},
			part{"book/abs.xml", row("absolute")},
			part{"book/other/p.xml", row("parent")},
			part{"book/data/with space.xml", row("escaped")},
		)
		wb, err := open(data, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		var got []string
		for _, sh := range wb.Sheets() {
			rows, _, err := readSheet(wb, sh.Index)
			Expect(err).NotTo(HaveOccurred(), sh.Name)
			got = append(got, sh.Name+"="+rows[0].Cells[0].Value+"@"+sh.Part)
		}
		Expect(got).To(Equal([]string{
			"Relative=relative@book/data/first.xml",
			"Absolute=absolute@book/abs.xml",
			"Parent=parent@book/other/p.xml",
			"Escaped=escaped@book/data/with space.xml",
		}))
	})

	It("reads an .xlsm workbook (a macro-enabled package) like any other", func() {
		b := book{sheets: []string{sheetXML(`<row><c t="inlineStr"><is><t>macro book</t></is></c></row>`)}}
		b.extra = []part{{"xl/vbaProject.bin", "\x00\x01binary"}}
		path := filepath.Join(GinkgoT().TempDir(), "book.xlsm")
		Expect(os.WriteFile(path, b.bytes(), 0o600)).To(Succeed())
		wb, err := xlsxstream.OpenFile(context.Background(), path, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		rows, _, err := readSheet(wb, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(values(rows)).To(Equal([]string{"1:0=macro book"}))
	})

	It("refuses a zip without a workbook, and reports a sheet whose part is missing", func() {
		_, err := open(zipParts(part{"hello.txt", "hi"}), xlsxstream.Options{})
		Expect(err).To(MatchError(xlsxstream.ErrNotWorkbook))

		data := book{sheets: []string{sheetXML("")}}.bytes()
		data = withoutPart(data, "xl/worksheets/sheet1.xml")
		wb, err := open(data, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		Expect(wb.Sheets()[0].Part).To(BeEmpty())
		_, err = wb.Rows(context.Background(), 0)
		Expect(err).To(MatchError(xlsxstream.ErrMalformed))
		_, err = wb.Rows(context.Background(), 5)
		Expect(err).To(HaveOccurred())
	})

	It("reads the 1904 date system flag", func() {
		wb, err := open(book{sheets: []string{sheetXML("")}, date1904: true}.bytes(), xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		Expect(wb.Date1904()).To(BeTrue())
	})
})

// withoutPart rebuilds a zip without one entry.
func withoutPart(data []byte, name string) []byte {
	parts := unzip(data)
	var kept []part
	for _, p := range parts {
		if p.name != name {
			kept = append(kept, p)
		}
	}
	return zipParts(kept...)
}

var _ = Describe("Cells", func() {
	It("reads every cell type with its kind and raw value", func() {
		rows := mustRead(book{
			sst: sstXML(`<si><t>shared</t></si>`, `<si><r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh><phoneticPr fontId="1"/></si>`),
			sheets: []string{sheetXML(`<row r="1">` +
				`<c r="A1" t="s"><v>0</v></c>` +
				`<c r="B1" t="s"><v> 1 </v></c>` +
				`<c r="C1" t="inlineStr"><is><r><t xml:space="preserve">in </t></r><r><t>line</t></r><rPh><t>X</t></rPh></is></c>` +
				`<c r="D1" t="str"><f>A1&amp;"!"</f><v>shared!</v></c>` +
				`<c r="E1"><v>-1.50E-7</v></c>` +
				`<c r="F1" t="n"><v>12345678901234567890.123456789</v></c>` +
				`<c r="G1" t="b"><v>1</v></c>` +
				`<c r="H1" t="e"><v>#DIV/0!</v></c>` +
				`<c r="I1" t="d"><v>2024-02-29T13:45:00</v></c>` +
				`<c r="J1"><v>not a number</v></c>` +
				`<c r="K1" s="0"><f>1+1</f></c>` +
				`<c r="L1" t="s"/>` +
				`<c r="M1" t="inlineStr"><is><t></t></is></c>` +
				`</row>`)},
		})
		Expect(rows).To(HaveLen(1))
		type kv struct {
			Col  int
			Kind xlsxstream.Kind
			Val  string
		}
		var got []kv
		for _, c := range rows[0].Cells {
			got = append(got, kv{c.Col, c.Kind, c.Value})
		}
		Expect(got).To(Equal([]kv{
			{0, xlsxstream.KindText, "shared"},
			{1, xlsxstream.KindText, "rich"},
			{2, xlsxstream.KindText, "in line"},
			{3, xlsxstream.KindText, "shared!"},
			{4, xlsxstream.KindNumber, "-1.50E-7"},
			{5, xlsxstream.KindNumber, "12345678901234567890.123456789"},
			{6, xlsxstream.KindBool, "1"},
			{7, xlsxstream.KindError, "#DIV/0!"},
			{8, xlsxstream.KindDate, "2024-02-29T13:45:00"},
			{9, xlsxstream.KindText, "not a number"},
		}))
		Expect(xlsxstream.KindError.String()).To(Equal("error"))
	})

	It("gives cells and rows without references the position after the previous one", func() {
		rows := mustRead(book{sheets: []string{sheetXML(
			`<row><c><v>1</v></c><c><v>2</v></c><c r="E1"><v>5</v></c><c><v>6</v></c></row>` +
				`<row/>` +
				`<row r="7"><c r="C7"><v>3</v></c></row>` +
				`<row><c><v>1</v></c></row>`)}})
		Expect(values(rows)).To(Equal([]string{"1:0=1", "1:1=2", "1:4=5", "1:5=6", "7:2=3", "8:0=1"}))
		Expect(rows[1].Num).To(Equal(2))
		Expect(rows[1].Cells).To(BeEmpty())
	})

	It("decodes entities, CDATA, line ends and Excel's _xHHHH_ escapes as Excel does", func() {
		rows := mustRead(book{
			sst: sstXML(`<si><t>a_x000D__x000A_b _x005F_x0041_ _x0041_ _xD83D__xDE00_ _xD800_ _x12G4_</t></si>`),
			sheets: []string{sheetXML(`<row r="1">` +
				`<c r="A1" t="inlineStr"><is><t>&lt;&amp;&gt;&quot;&apos;&#233;&#x4E2D;</t></is></c>` +
				`<c r="B1" t="inlineStr"><is><t>x<![CDATA[<not a tag> & ]]>y<!-- gone -->z</t></is></c>` +
				"<c r=\"C1\" t=\"inlineStr\"><is><t>one\r\ntwo\rthree&#13;</t></is></c>" +
				`<c r="D1" t="s"><v>0</v></c>` +
				`<c r="E1" t="str"><v>tab_x0009_</v></c>` +
				`</row>`)},
		})
		Expect(values(rows)).To(Equal([]string{
			"1:0=<&>\"'é中",
			"1:1=x<not a tag> & yz",
			"1:2=one\ntwo\nthree\r",
			"1:3=a\r\nb _x0041_ A 😀 \uFFFD _x12G4_",
			"1:4=tab\t",
		}))
	})

	It("reads elements with namespace prefixes, whitespace between tags and attributes in any order", func() {
		rows := mustRead(book{
			sst: `<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
  <x:si>
    <x:t>pre</x:t>
  </x:si>
</x:sst>`,
			sheets: []string{`<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
  <x:sheetData>
    <x:row r = '2' >
      <x:c t="s" r="B2" >
        <x:v>0</x:v>
      </x:c>
      <x:c s='0'   r='C2'><x:v>7</x:v></x:c>
    </x:row>
  </x:sheetData>
</x:worksheet>`},
		})
		Expect(values(rows)).To(Equal([]string{"2:1=pre", "2:2=7"}))
	})

	It("keeps values valid after the next row and replaces bytes that are not UTF-8", func() {
		wb, err := open(book{sheets: []string{sheetXML(
			"<row><c t=\"inlineStr\"><is><t>first</t></is></c></row><row><c t=\"inlineStr\"><is><t>bad\xff\xfeend</t></is></c></row>")}}.bytes(), xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		rows, err := wb.Rows(context.Background(), 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows.Next()).To(BeTrue())
		first := rows.Row().Cells[0].Value
		Expect(rows.Next()).To(BeTrue())
		Expect(rows.Row().Cells[0].Value).To(Equal("bad\uFFFDend"))
		Expect(first).To(Equal("first"))
		Expect(rows.Next()).To(BeFalse())
		Expect(rows.Err()).NotTo(HaveOccurred())
	})

	It("reports hidden rows and columns, and merged ranges before and after the rows", func() {
		data := book{sheets: []string{`<worksheet ` + nsMain + `><cols>` +
			`<col min="2" max="3" hidden="1" width="0"/><col min="5" max="5" hidden="true"/><col min="6" max="9" width="9"/>` +
			`</cols><sheetData>` +
			`<row r="1" hidden="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>` +
			`</sheetData><mergeCells count="2"><mergeCell ref="A1:B2"/><mergeCell ref="D5:C3"/></mergeCells></worksheet>`}}.bytes()
		wb, err := open(data, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		want := []xlsxstream.Range{{FirstCol: 0, FirstRow: 1, LastCol: 1, LastRow: 2}, {FirstCol: 2, FirstRow: 3, LastCol: 3, LastRow: 5}}
		Expect(wb.MergedRanges(context.Background(), 0)).To(Equal(want))
		rows, iter, err := readSheet(wb, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows[0].Hidden).To(BeTrue())
		Expect(rows[1].Hidden).To(BeFalse())
		Expect(iter.HiddenColumns()).To(Equal([]int{1, 2, 4}))
		Expect(iter.ColumnHidden(2)).To(BeTrue())
		Expect(iter.ColumnHidden(5)).To(BeFalse())
		Expect(iter.MergedRanges()).To(Equal(want))
	})

	DescribeTable("classes numbers as dates by their number format",
		func(numFmtID int, code string, date bool) {
			custom := map[int]string{}
			if code != "" {
				custom[numFmtID] = code
			}
			rows := mustRead(book{
				styles: stylesXML(custom, numFmtID),
				sheets: []string{sheetXML(`<row><c s="1"><v>45000.25</v></c><c s="0"><v>45000</v></c></row>`)},
			})
			want := xlsxstream.KindNumber
			if date {
				want = xlsxstream.KindDate
			}
			Expect(rows[0].Cells[0].Kind).To(Equal(want))
			Expect(rows[0].Cells[1].Kind).To(Equal(xlsxstream.KindNumber))
		},
		func(id int, code string, date bool) string { return fmt.Sprintf("%d %q -> date %v", id, code, date) },
		Entry(nil, 0, "", false),
		Entry(nil, 2, "", false),
		Entry(nil, 13, "", false),
		Entry(nil, 14, "", true),
		Entry(nil, 22, "", true),
		Entry(nil, 23, "", false),
		Entry(nil, 27, "", true),
		Entry(nil, 36, "", true),
		Entry(nil, 37, "", false),
		Entry(nil, 44, "", false),
		Entry(nil, 45, "", true),
		Entry(nil, 47, "", true),
		Entry(nil, 48, "", false),
		Entry(nil, 49, "", false),
		Entry(nil, 50, "", true),
		Entry(nil, 58, "", true),
		Entry(nil, 59, "", false),
		Entry(nil, 164, "yyyy-mm-dd", true),
		Entry(nil, 165, `dd/mm/yyyy\ hh:mm`, true),
		Entry(nil, 166, "[h]:mm:ss", true),
		Entry(nil, 167, "[$-409]mmmm d, yyyy;@", true),
		Entry(nil, 168, `d "de" mmmm`, true),
		Entry(nil, 169, "h:mm AM/PM", true),
		Entry(nil, 170, "0.00", false),
		Entry(nil, 171, `#,##0.00 "days"`, false),
		Entry(nil, 172, "0.00E+00", false),
		Entry(nil, 173, "[Red]#,##0;[Blue]-#,##0", false),
		Entry(nil, 174, `_("$"* #,##0.00_)`, false),
		Entry(nil, 175, `\d0`, false),
		Entry(nil, 176, `"yyyy"0`, false),
		Entry(nil, 177, "General", false),
		Entry(nil, 178, "[>=100]0;0.0", false),
		Entry(nil, 14, "0.00", false), // a custom code replacing a built-in id
	)

	It("exposes each cell's number format", func() {
		data := book{styles: stylesXML(map[int]string{164: "0.000"}, 164, 14),
			sheets: []string{sheetXML(`<row><c s="1"><v>1</v></c></row>`)}}.bytes()
		wb, err := open(data, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		_, _, err = readSheet(wb, 0)
		Expect(err).NotTo(HaveOccurred())
		id, code, ok := wb.NumberFormat(1)
		Expect([]any{id, code, ok}).To(Equal([]any{164, "0.000", true}))
		id, code, ok = wb.NumberFormat(2)
		Expect([]any{id, code, ok}).To(Equal([]any{14, "", true}))
		_, _, ok = wb.NumberFormat(3)
		Expect(ok).To(BeFalse())
	})
})

var _ = Describe("DateISO", func() {
	DescribeTable("converts serials exactly",
		func(serial string, date1904 bool, want string) {
			got, err := xlsxstream.DateISO(serial, date1904)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
		},
		Entry(nil, "1", false, "1900-01-01"),
		Entry(nil, "59", false, "1900-02-28"),
		Entry(nil, "61", false, "1900-03-01"),
		Entry(nil, "45352", false, "2024-03-01"),
		Entry(nil, "45352.5", false, "2024-03-01T12:00:00"),
		Entry(nil, "4.5352E4", false, "2024-03-01"),
		Entry(nil, "45352.000011574", false, "2024-03-01T00:00:01"),
		Entry(nil, "45352.99999999999", false, "2024-03-02"),
		Entry(nil, "45352.0000057870", false, "2024-03-01T00:00:00.500"),
		Entry(nil, "45352.333333333333333333333333", false, "2024-03-01T08:00:00"),
		Entry(nil, "0.75", false, "18:00:00"),
		Entry(nil, "0", false, "00:00:00"),
		Entry(nil, "2958465", false, "9999-12-31"),
		Entry(nil, "1", true, "1904-01-02"),
		Entry(nil, "43890.25", true, "2024-03-01T06:00:00"), // 1462 days after the 1900 system
		Entry(nil, "2024-02-29T13:45:00", false, "2024-02-29T13:45:00"),
		Entry(nil, "2024-02-29T00:00:00Z", false, "2024-02-29"),
		Entry(nil, "2024-02-29", true, "2024-02-29"),
		Entry(nil, "13:45:30.5", false, "13:45:30.500"),
	)

	DescribeTable("refuses what is not a date",
		func(v string, want error) {
			_, err := xlsxstream.DateISO(v, false)
			Expect(err).To(MatchError(want))
		},
		Entry(nil, "", xlsxstream.ErrNotDate),
		Entry(nil, "abc", xlsxstream.ErrNotDate),
		Entry(nil, "-1", xlsxstream.ErrDateRange),
		Entry(nil, "60", xlsxstream.ErrDateRange),
		Entry(nil, "2958466", xlsxstream.ErrDateRange),
		Entry(nil, "1E+300", xlsxstream.ErrDateRange),
		Entry(nil, "2024-13-01", xlsxstream.ErrNotDate),
	)
})

var _ = Describe("Malformed sheets", func() {
	DescribeTable("end with a MalformedError naming the part",
		func(rows string) {
			_, err := readBytes(book{sst: sstXML(`<si><t>a</t></si>`), sheets: []string{sheetXML(rows)}}.bytes(), 0, xlsxstream.Options{})
			Expect(err).To(MatchError(xlsxstream.ErrMalformed))
			var me *xlsxstream.MalformedError
			Expect(errors.As(err, &me)).To(BeTrue())
			Expect(me.Part).To(Equal("xl/worksheets/sheet1.xml"))
		},
		Entry("rows out of order", `<row r="2"/><row r="1"/>`),
		Entry("a row past Excel's last", `<row r="1048577"/>`),
		Entry("a row number that is not one", `<row r="x"/>`),
		Entry("cells out of order", `<row><c r="B1"><v>1</v></c><c r="A1"><v>1</v></c></row>`),
		Entry("a column past XFD", `<row><c r="XFE1"><v>1</v></c></row>`),
		Entry("an implicit column past XFD", `<row><c r="XFD1"><v>1</v></c><c><v>2</v></c></row>`),
		Entry("a bad reference", `<row><c r="1A"><v>1</v></c></row>`),
		Entry("an unknown entity", `<row><c t="inlineStr"><is><t>&nbsp;</t></is></c></row>`),
		Entry("a bad character reference", `<row><c t="inlineStr"><is><t>&#1;</t></is></c></row>`),
		Entry("a shared string that does not exist", `<row><c t="s"><v>1</v></c></row>`),
		Entry("a shared string index that is not a number", `<row><c t="s"><v>one</v></c></row>`),
		Entry("an unclosed element", `<row><c><v>1</v></row>`),
		Entry("an element inside a value", `<row><c><v>1<b/></v></c></row>`),
		Entry("a broken attribute", `<row r=2><c><v>1</v></c></row>`),
	)

	It("refuses a document type declaration", func() {
		sheet := `<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><worksheet ` + nsMain + `><sheetData/></worksheet>`
		_, err := readBytes(book{sheets: []string{sheet}}.bytes(), 0, xlsxstream.Options{})
		Expect(err).To(MatchError(xlsxstream.ErrMalformed))
		Expect(err.Error()).To(ContainSubstring("document type declaration"))
	})

	It("refuses two zip entries with the same name", func() {
		b := book{sheets: []string{sheetXML("")}}
		b.extra = []part{{"XL/Worksheets/Sheet1.xml", sheetXML("")}}
		_, err := open(b.bytes(), xlsxstream.Options{})
		Expect(err).To(MatchError(xlsxstream.ErrMalformed))
	})
})

var _ = Describe("Cancellation", func() {
	It("ends the rows with the context's error", func() {
		var rows strings.Builder
		for i := 1; i <= 20000; i++ {
			fmt.Fprintf(&rows, `<row r="%d"><c r="A%d"><v>%d</v></c></row>`, i, i, i)
		}
		wb, err := open(book{sheets: []string{sheetXML(rows.String())}}.bytes(), xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		it, err := wb.Rows(ctx, 0)
		Expect(err).NotTo(HaveOccurred())
		n := 0
		for it.Next() {
			if n++; n == 10 {
				cancel()
			}
		}
		Expect(it.Err()).To(MatchError(context.Canceled))
		Expect(n).To(BeNumerically("<", 20000))
		Expect(it.Close()).To(Succeed())

		_, err = wb.Rows(ctx, 0)
		Expect(err).To(MatchError(context.Canceled))
	})
})
