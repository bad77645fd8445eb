package read_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/text/encoding/charmap"
	"pgregory.net/rapid"

	"github.com/ade-go/ade/adapters/extractor/tabular/read"
	"github.com/ade-go/ade/ports"
)

var _ = Describe("Text encodings", func() {
	DescribeTable("are told from the first bytes",
		func(head []byte, want string) { Expect(read.DetectEncoding(head)).To(Equal(want)) },
		Entry("ASCII", []byte("a,b\n"), "utf-8"),
		Entry("UTF-8", []byte("Zürich,Århus\n"), "utf-8"),
		Entry("UTF-8 cut inside a rune at the end", []byte("Z\xc3"), "utf-8"),
		Entry("UTF-8 BOM", []byte("\xef\xbb\xbfa"), "utf-8-bom"),
		Entry("UTF-16 LE BOM", []byte("\xff\xfea\x00"), "utf-16le"),
		Entry("UTF-16 BE BOM", []byte("\xfe\xff\x00a"), "utf-16be"),
		Entry("Latin-1", []byte("Z\xfcrich\n"), "windows-1252"),
	)

	It("pass UTF-8 through unchanged however the reads cut it", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			s := rapid.StringOf(rapid.SampledFrom([]rune("a,;\n\"é€😀Ω "))).Draw(t, "s")
			n := rapid.IntRange(1, 40).Draw(t, "chunk")
			got, replaced, err := read.DecodeAll([]byte(s), "utf-8", n)
			if err != nil || got != s || replaced != 0 {
				t.Fatalf("%q in chunks of %d: %q, %d replaced, %v", s, n, got, replaced, err)
			}
		})
	})

	It("read each byte that is not UTF-8 as Windows-1252", func() {
		rapid.Check(GinkgoT(), func(t *rapid.T) {
			parts := rapid.SliceOf(rapid.SampledFrom([]string{"ab", "é", "\xe9", "\x80", "\xc3", "€", "\xff\xfe"})).Draw(t, "parts")
			var in []byte
			var want strings.Builder
			bad := 0
			for _, p := range parts {
				in = append(in, p...)
			}
			// the expected text: valid sequences as they are, every other byte through the code page
			for b := in; len(b) > 0; {
				r, size := utf8.DecodeRune(b)
				if r == utf8.RuneError && size <= 1 {
					want.WriteRune(charmap.Windows1252.DecodeByte(b[0]))
					bad++
					b = b[1:]
					continue
				}
				want.Write(b[:size])
				b = b[size:]
			}
			n := rapid.IntRange(1, 16).Draw(t, "chunk")
			got, replaced, err := read.DecodeAll(in, "utf-8", n)
			if err != nil || got != want.String() || replaced != bad {
				t.Fatalf("%q in chunks of %d: %q (%d), want %q (%d), %v", in, n, got, replaced, want.String(), bad, err)
			}
		})
	})

	It("strip the UTF-8 byte order mark", func() {
		got, _, err := read.DecodeAll([]byte("\xef\xbb\xbfName\n"), "utf-8-bom", 2)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal("Name\n"))
	})
})

var _ = Describe("CSV delimiters", func() {
	DescribeTable("are the ones that split most records alike",
		func(sample string, tsv bool, want rune) {
			Expect(read.DetectDelimiter([]byte(sample), false, tsv)).To(Equal(want))
		},
		Entry("comma", "a,b,c\n1,2,3\n4,5,6\n", false, ','),
		Entry("semicolon with decimal commas", "Name;Amount\nAnn;1,5\nBob;2,25\n", false, ';'),
		Entry("tab with commas in the text", "Name\tNotes\nAnn\ta, b\nBob\tc\n", false, '\t'),
		Entry("pipe", "a|b\n1|2\n", false, '|'),
		Entry("quoted commas under semicolons", "a;b\n\"x, y\";2\n\"z, w\";3\n", false, ';'),
		Entry("a title line above", "Export\nName;Email;N\nAnn;a@x;1\n", false, ';'),
		Entry("one column: comma", "Name\nAnn\nBob\n", false, ','),
		Entry(".tsv prefers tab", "a,b\tc\n1,2\t3\n", true, '\t'),
	)
})

var _ = Describe("Documents", func() {
	open := func(name string, data []byte) (*read.Document, error) {
		return read.Open(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), 256<<10), read.Options{Filename: name, TempDir: GinkgoT().TempDir()})
	}
	code := func(err error) string {
		var ee *ports.ExtractionError
		Expect(errors.As(err, &ee)).To(BeTrue(), "%v", err)
		return ee.Code
	}

	It("are CSV text as one sheet named after the file, cells as text", func() {
		doc, err := open("dir/members.csv", []byte("Name;Hours\nAnn;3\n"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(doc.Book.Close)
		Expect(doc.Format).To(Equal(read.FormatCSV))
		Expect(doc.Delimiter).To(Equal(';'))
		Expect(doc.Book.Sheets()).To(Equal([]string{"members"}))
		rows, err := doc.Book.Rows(context.Background(), "members")
		Expect(err).NotTo(HaveOccurred())
		r, err := rows.Next()
		Expect(err).NotTo(HaveOccurred())
		r, err = rows.Next()
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Num).To(Equal(2))
		Expect(r.Cell(1)).To(Equal(read.Cell{Kind: read.Text, Text: "3", Raw: "3"}))
		Expect(r.Cell(5)).To(Equal(read.Cell{}))
		_, err = rows.Next()
		Expect(err).To(MatchError(io.EOF))
	})

	It("refuse empty text and binary files", func() {
		_, err := open("e.csv", []byte(" \n\t"))
		Expect(code(err)).To(Equal(read.CodeEmptyInput))
		_, err = open("b.bin", append([]byte{1, 2, 3, 0}, make([]byte, 100)...))
		Expect(code(err)).To(Equal(read.CodeUnsupportedFormat))
	})

	It("refuse an encrypted legacy workbook (a FILEPASS record in the globals)", func() {
		rec := func(typ uint16, data []byte) []byte {
			b := binary.LittleEndian.AppendUint16(nil, typ)
			b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
			return append(b, data...)
		}
		stream := append(rec(0x0809, make([]byte, 16)), rec(0x002F, make([]byte, 6))...)
		_, err := read.ScanBIFF(stream, read.DefaultXLSCells)
		Expect(code(err)).To(Equal(read.CodeUnsupportedFormat))
		sheets, err := read.ScanBIFF(append(rec(0x0809, make([]byte, 16)), rec(0x000A, nil)...), read.DefaultXLSCells)
		Expect(err).NotTo(HaveOccurred())
		Expect(sheets).To(BeEmpty())

		// A sheet of one MULRK record of 4 cells and one NUMBER record:
		// 5 cells, counted before the workbook is loaded.
		sheetAt := func(offset int) []byte {
			d := binary.LittleEndian.AppendUint32(nil, uint32(offset))
			return rec(0x0085, append(d, 0, 0, 1, 0, 'S'))
		}
		head := append(rec(0x0809, make([]byte, 16)), sheetAt(0)...)
		head = append(head, rec(0x000A, nil)...)
		globals := len(head)
		head = append(rec(0x0809, make([]byte, 16)), sheetAt(globals)...)
		head = append(head, rec(0x000A, nil)...)
		book := append(head, rec(0x0809, make([]byte, 16))...)
		book = append(book, rec(0x00BD, make([]byte, 6+4*6))...)
		book = append(book, rec(0x0203, make([]byte, 14))...)
		book = append(book, rec(0x000A, nil)...)
		_, err = read.ScanBIFF(book, 5)
		Expect(err).NotTo(HaveOccurred())
		_, err = read.ScanBIFF(book, 4)
		Expect(code(err)).To(Equal(read.CodeInputTooLarge))
		Expect(err).To(MatchError(ContainSubstring(`over the limit of 4 cells of an XLS workbook at sheet "S"`)))
	})
})
