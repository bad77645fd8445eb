package tabular_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/tabular"
	"github.com/ade-go/ade/ports"
)

func extractionCode(err error) string {
	GinkgoHelper()
	var ee *ports.ExtractionError
	Expect(errors.As(err, &ee)).To(BeTrue(), "want *ports.ExtractionError, got %v", err)
	Expect(ee.Error()).NotTo(BeEmpty())
	return ee.Code
}

func zipOf(files map[string]string) []byte {
	GinkgoHelper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		Expect(err).NotTo(HaveOccurred())
		_, _ = io.WriteString(w, body)
	}
	Expect(zw.Close()).To(Succeed())
	return buf.Bytes()
}

// declaredBook builds a workbook whose part (its sheet or its shared
// strings) declares size bytes in the zip directory over a few stored
// ones: what a zip bomb's directory says, without the test unpacking one.
func declaredBook(part string, size uint64) []byte {
	GinkgoHelper()
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="` + rel + `">` +
			`<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + rel + `/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<worksheet><sheetData/></worksheet>`},
		{"xl/sharedStrings.xml", `<sst/>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		declared := uint64(len(p.body))
		if p.name == part {
			declared = size
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Store,
			CompressedSize64: uint64(len(p.body)), UncompressedSize64: declared})
		Expect(err).NotTo(HaveOccurred())
		_, _ = io.WriteString(w, p.body)
	}
	Expect(zw.Close()).To(Succeed())
	return buf.Bytes()
}

var _ = Describe("Failures", func() {
	s01 := func() []byte {
		data, err := os.ReadFile(fixture("S01_clean_roster_alias_headers.xlsx"))
		Expect(err).NotTo(HaveOccurred())
		return data
	}

	DescribeTable("explain themselves with a stable code, without panicking or hanging",
		func(data func() []byte, code string) {
			sink := newMemSink()
			done := make(chan error, 1)
			go func() {
				_, err := run(bytesDoc("input.bin", data()), peoplePayload(), sink)
				done <- err
			}()
			var err error
			Eventually(done, 10*time.Second).Should(Receive(&err))
			Expect(extractionCode(err)).To(Equal(code))
			Expect(sink.files).To(BeEmpty())
		},
		Entry("empty file", func() []byte { return nil }, "empty_input"),
		Entry("white space only", func() []byte { return []byte("\ufeff \n\n\t\n") }, "empty_input"),
		Entry("password-protected workbook (OLE container)", func() []byte {
			return append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 2048)...)
		}, "unsupported_format"),
		Entry("PNG image", func() []byte {
			return append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 1, 2}, 100)...)
		}, "unsupported_format"),
		Entry("zip that is not a workbook", func() []byte { return zipOf(map[string]string{"readme.txt": "hi"}) }, "unsupported_format"),
		Entry("an unterminated quote swallowing the rest of a large file", func() []byte {
			head := "First Name,Email\nAvery,avery@example.com\nQuinn,quinn@example.com\nLee,\"never closed\n"
			return append([]byte(head), bytes.Repeat([]byte("more text, still inside the quote\n"), (17<<20)/34)...)
		}, "input_too_large"),
		Entry("a workbook whose shared strings declare more than a part may unpack to (zip bomb)", func() []byte {
			return declaredBook("xl/sharedStrings.xml", 3<<30)
		}, "input_too_large"),
		Entry("a workbook that unpacks past the total bound", func() []byte {
			return declaredBook("xl/worksheets/sheet1.xml", 5<<30)
		}, "input_too_large"),
		Entry("truncated workbook", func() []byte { d := s01(); return d[:len(d)/2] }, "corrupt_input"),
		Entry("workbook with a damaged zip directory", func() []byte {
			d := s01()
			for i := len(d) - 22; i < len(d); i++ {
				d[i] ^= 0x5a
			}
			return d
		}, "corrupt_input"),
		Entry("workbook part that is not XML", func() []byte {
			return zipOf(map[string]string{"xl/workbook.xml": "<workbook><sheets><sheet", "[Content_Types].xml": "<Types/>"})
		}, "corrupt_input"),
	)

	It("does not panic on a workbook whose sheet XML is garbage", func() {
		data := zipOf(map[string]string{
			"[Content_Types].xml":        `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
			"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
			"xl/worksheets/sheet1.xml":   `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row><row r="x"><<<`,
		})
		Expect(func() { _, _ = run(bytesDoc("g.xlsx", data), peoplePayload(), nil) }).NotTo(Panic())
	})

	It("stops with cancelled when the context is done", func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := tabular.New().Extract(ctx, ports.ExtractionRequest{
			Payload: peoplePayload(), Document: fileDoc(fixture("S07_contacts_export_quirks.csv")),
		})
		Expect(extractionCode(err)).To(Equal("cancelled"))
	})

	It("stops with cancelled when the context ends mid-file", func() {
		ctx, cancel := context.WithCancel(context.Background())
		var big bytes.Buffer
		big.WriteString("Name,Email,N\n")
		for i := 0; i < 200000; i++ {
			big.WriteString("Ann,ann@x.org,1\n")
		}
		doc := bytesDoc("big.csv", big.Bytes())
		open := doc.Open
		doc.Open = func(c context.Context) (io.ReadCloser, error) {
			rc, err := open(c)
			return &cancelAfter{ReadCloser: rc, n: 64 << 10, cancel: cancel}, err
		}
		_, err := tabular.New().Extract(ctx, ports.ExtractionRequest{Payload: peoplePayload(), Document: doc, Outputs: newMemSink()})
		Expect(extractionCode(err)).To(Equal("cancelled"))
	})

	It("passes an unreadable document's error through", func() {
		boom := errors.New("blob store down")
		_, err := run(ports.SourceDocument{Filename: "x.csv", Open: func(context.Context) (io.ReadCloser, error) { return nil, boom }},
			peoplePayload(), nil)
		Expect(err).To(MatchError(boom))
	})
})

// cancelAfter cancels its context once n bytes have been read.
type cancelAfter struct {
	io.ReadCloser
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n -= n
	if c.n <= 0 {
		c.cancel()
	}
	return n, err
}
