package tabular_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/ade-go/ade/adapters/extractor/tabular"
)

var _ = Describe("Input formats", func() {
	const roster = "Name,Email,City\nJürgen Müller,jm@example.org,Zürich\nZoë Lefèvre,zl@example.org,Montréal\nSøren Ærø,sa@example.org,Århus\n"

	DescribeTable("read text in each encoding and delimiter, and say so",
		func(name string, data func() []byte, encoding, delimiter string) {
			sink := newMemSink()
			res := mustRun(bytesDoc(name, data()), simplePayload(nil), sink)
			Expect(res.Metrics).To(HaveKeyWithValue("input_format", "csv"))
			Expect(res.Metrics).To(HaveKeyWithValue("input_encoding", encoding))
			Expect(res.Metrics).To(HaveKeyWithValue("csv_delimiter", delimiter))
			Expect(res.Logs[0].Message).To(Equal("input read as csv"))
			Expect(res.Logs[0].Details).To(Equal(map[string]any{"format": "csv", "encoding": encoding, "delimiter": delimiter}))
			Expect(res.Tables).To(HaveLen(1))
			rows := sink.csvRows(res.Tables[0].Metadata["output"].(string))
			Expect(rows).To(Equal([][]string{{"name", "email", "City"},
				{"Jürgen Müller", "jm@example.org", "Zürich"}, {"Zoë Lefèvre", "zl@example.org", "Montréal"},
				{"Søren Ærø", "sa@example.org", "Århus"}}))
		},
		Entry("UTF-8", "r.csv", func() []byte { return []byte(roster) }, "utf-8", ","),
		Entry("UTF-8 with a BOM", "r.csv", func() []byte { return append([]byte("\ufeff"), roster...) }, "utf-8-bom", ","),
		Entry("UTF-16 LE with a BOM", "r.csv", func() []byte {
			b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(roster))
			return b
		}, "utf-16le", ","),
		Entry("UTF-16 BE with a BOM, tab-separated", "r.csv", func() []byte {
			b, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(strings.ReplaceAll(roster, ",", "\t")))
			return b
		}, "utf-16be", "tab"),
		Entry("Windows-1252 (Latin-1), semicolons", "r.csv", func() []byte {
			b, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(strings.ReplaceAll(roster, ",", ";")))
			return b
		}, "windows-1252", ";"),
		Entry("pipes", "r.txt", func() []byte { return []byte(strings.ReplaceAll(roster, ",", "|")) }, "utf-8", "|"),
		Entry("a .tsv file", "r.tsv", func() []byte { return []byte(strings.ReplaceAll(roster, ",", "\t")) }, "utf-8", "tab"),
	)

	It("keeps decimal commas whole in a semicolon file", func() {
		sink := newMemSink()
		res := mustRun(bytesDoc("s.csv", []byte("Name;Amount\nAnn;1.234,50\nBob;12,5\nCy;7,25\n")), simplePayload(nil), sink)
		Expect(res.Metrics).To(HaveKeyWithValue("csv_delimiter", ";"))
		Expect(sink.csvRows(res.Tables[0].Metadata["output"].(string))[1]).To(Equal([]string{"Ann", "1.234,50"}))
	})

	It("prefers tab for a .tsv file whose text holds commas", func() {
		res := mustRun(bytesDoc("t.tsv", []byte("Name\tNotes\nAnn\tlikes a, b\nBob\tx, y, z\nCy\tnone\n")), simplePayload(nil), nil)
		Expect(res.Metrics).To(HaveKeyWithValue("csv_delimiter", "tab"))
		Expect(res.Tables[0].Columns).To(Equal([]string{"name", "Notes"}))
	})

	It("reads bytes that are not UTF-8 past the first 64 KiB as Windows-1252 and warns", func() {
		var b bytes.Buffer
		b.WriteString("Name,Email,City\n")
		for b.Len() < 70<<10 {
			b.WriteString("Ann,ann@example.org,Paris\n")
		}
		b.WriteString("J\xfcrgen,j@example.org,Z\xfcrich\n")
		sink := newMemSink()
		res := mustRun(bytesDoc("late.csv", b.Bytes()), simplePayload(nil), sink)
		Expect(res.Metrics).To(HaveKeyWithValue("input_encoding", "utf-8"))
		rows := sink.csvRows(res.Tables[0].Metadata["output"].(string))
		Expect(rows[len(rows)-1]).To(Equal([]string{"Jürgen", "j@example.org", "Zürich"}))
		Expect(res.Logs).To(ContainElement(And(HaveField("Message", "bytes that are not UTF-8 read as Windows-1252"),
			HaveField("Details", HaveKeyWithValue("bytes", 2)))))
	})

	It("reads a macro-enabled workbook (.xlsm)", func() {
		f := excelize.NewFile()
		DeferCleanup(f.Close)
		for i, r := range [][]any{{"Name", "Email", "Hours"}, {"Ann", "ann@x.org", 3}, {"Bob", "bob@x.org", 4}} {
			for j, v := range r {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
				Expect(f.SetCellValue("Sheet1", ref, v)).To(Succeed())
			}
		}
		path := filepath.Join(GinkgoT().TempDir(), "book.xlsm")
		Expect(f.SaveAs(path)).To(Succeed())
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		res := mustRun(bytesDoc("book.xlsm", data), simplePayload(nil), nil)
		Expect(res.Metrics).To(HaveKeyWithValue("input_format", "xlsm"))
		Expect(res.Metrics).NotTo(HaveKey("input_encoding"))
		Expect(ranges(res)).To(Equal([]string{"A1:C3"}))
	})

	It("reads a legacy .xls workbook's sheets, numbers as shown", func() {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "test", "corpus", "testdata", "workbook.xls"))
		Expect(err).NotTo(HaveOccurred())
		sink := newMemSink()
		res := mustRun(bytesDoc("workbook.xls", data), simplePayload(nil), sink)
		Expect(res.Metrics).To(HaveKeyWithValue("input_format", "xls"))
		Expect(res.Metrics).To(HaveKeyWithValue("sheets_scanned", 2))
		Expect(ranges(res)).To(Equal([]string{"A1:C9", "A5:F13"}))
		rows := sink.csvRows(res.Tables[1].Metadata["output"].(string))
		Expect(rows[1]).To(Equal([]string{"M-1001", "Smith", "Avery", "160", "5120", "76.8"}))
		Expect(res.Tables[1].Metadata["total_rows"]).To(Equal([]any{13}))
	})

	It("fails a header-only document with no_tables_found, naming the header row", func() {
		res, err := run(bytesDoc("template.csv", []byte("First Name,Last Name,Email,Hours\n")), simplePayload(nil), nil)
		Expect(extractionCode(err)).To(Equal("no_tables_found"))
		Expect(err.Error()).To(ContainSubstring("header without data"))
		Expect(res.Logs).To(ContainElement(HaveField("Details", HaveKeyWithValue("reason", "header_without_data"))))
	})

	It("refuses allow_empty that is not a boolean", func() {
		err := tabular.New().ValidatePayload(simplePayload(map[string]any{"allow_empty": "yes"}))
		Expect(err).To(MatchError(ContainSubstring("allow_empty: must be a boolean")))
	})
})
