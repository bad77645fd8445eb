package xlsxstream_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/extractor/xlsxstream"
)

var _ = Describe("Temporary files", func() {
	var (
		dir  string
		data []byte
		opts xlsxstream.Options
	)
	const items = 20_000

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		sst := manyStrings(items, func(i int) string { return "<si><t>string number " + strconv.Itoa(i) + "</t></si>" })
		var rows strings.Builder
		for r := range 2000 {
			fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="s"><v>%d</v></c></row>`,
				r+1, r+1, r*7%items, r+1, items-1-r)
		}
		data = book{sst: sst, sheets: []string{sheetXML(rows.String())}}.bytes()
		// 20,000 strings of ~20 bytes outgrow 64 KiB: they spill.
		opts = xlsxstream.Options{TempDir: dir, SharedStringsMemory: 64 << 10}
	})

	expectNothingLeft := func() {
		GinkgoHelper()
		Expect(dirEntries(dir)).To(BeEmpty())
		Expect(openFiles(dir)).To(BeEmpty())
	}

	It("spill shared strings to a file that is unlinked at once, closed by Close, and read back exactly", func() {
		wb, err := open(data, opts)
		Expect(err).NotTo(HaveOccurred())
		rows, err := wb.Rows(context.Background(), 0)
		Expect(err).NotTo(HaveOccurred())
		// The spill file is open and already gone from the directory.
		Expect(dirEntries(dir)).To(BeEmpty())
		Expect(openFiles(dir)).To(ConsistOf(HaveSuffix("(deleted)")))
		n := 0
		for rows.Next() {
			r := rows.Row()
			Expect(r.Cells).To(HaveLen(2))
			Expect(r.Cells[0].Value).To(Equal("string number " + strconv.Itoa((r.Num-1)*7%items)))
			Expect(r.Cells[1].Value).To(Equal("string number " + strconv.Itoa(items-r.Num)))
			n++
		}
		Expect(rows.Err()).NotTo(HaveOccurred())
		Expect(n).To(Equal(2000))
		Expect(wb.Close()).To(Succeed())
		Expect(wb.Close()).To(Succeed())
		expectNothingLeft()
		_, err = wb.Rows(context.Background(), 0)
		Expect(err).To(HaveOccurred())
	})

	It("read the same spilled as in memory", func() {
		spilled, err := readBytes(data, 0, opts)
		Expect(err).NotTo(HaveOccurred())
		inMemory, err := readBytes(data, 0, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(spilled).To(Equal(inMemory))
		expectNothingLeft()
	})

	It("are gone as soon as reading the shared strings fails", func() {
		opts.Limits.SharedStrings = items - 1
		wb, err := open(data, opts)
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		_, err = wb.Rows(context.Background(), 0)
		Expect(err).To(MatchError(xlsxstream.ErrLimit))
		expectNothingLeft()
	})

	It("are gone when the caller's loop panics and its deferred Close runs", func() {
		func() {
			defer func() { Expect(recover()).To(Equal("boom")) }()
			wb, err := open(data, opts)
			Expect(err).NotTo(HaveOccurred())
			defer wb.Close()
			rows, err := wb.Rows(context.Background(), 0)
			Expect(err).NotTo(HaveOccurred())
			for rows.Next() {
				if rows.Row().Num == 10 {
					panic("boom")
				}
			}
		}()
		expectNothingLeft()
	})

	It("are gone when the context is cancelled while the shared strings are read", func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		wb, err := open(data, opts)
		Expect(err).NotTo(HaveOccurred())
		defer wb.Close()
		_, err = wb.Rows(ctx, 0)
		Expect(err).To(MatchError(context.Canceled))
		expectNothingLeft()
		// A later call with a live context reads them.
		rows, err := wb.Rows(context.Background(), 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows.Next()).To(BeTrue())
	})

	It("are gone when the context is cancelled during the rows, once the workbook is closed", func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		wb, err := open(data, opts)
		Expect(err).NotTo(HaveOccurred())
		rows, err := wb.Rows(ctx, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(rows.Next()).To(BeTrue())
		cancel()
		for rows.Next() {
		}
		Expect(rows.Err()).To(MatchError(context.Canceled))
		Expect(dirEntries(dir)).To(BeEmpty())
		Expect(wb.Close()).To(Succeed())
		expectNothingLeft()
	})
})

var _ = Describe("Background reading", func() {
	It("stops when the rows are closed early, and when the workbook is closed with rows open", func() {
		// Parts over 1 MiB are inflated on a goroutine of their own.
		var rows strings.Builder
		row := `<row><c><v>1234567890</v></c></row>` // 36 bytes: 40,000 rows are 1.4 MB
		rows.WriteString(strings.Repeat(row, 40_000))
		data := stored(book{sheets: []string{sheetXML(rows.String()), sheetXML(rows.String())}}, "")
		before := runtime.NumGoroutine()
		wb, err := open(data, xlsxstream.Options{})
		Expect(err).NotTo(HaveOccurred())
		first, err := wb.Rows(context.Background(), 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(first.Next()).To(BeTrue())
		second, err := wb.Rows(context.Background(), 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(second.Next()).To(BeTrue())
		Expect(runtime.NumGoroutine()).To(BeNumerically(">=", before+2))
		Expect(first.Close()).To(Succeed())
		Expect(first.Next()).To(BeFalse())
		Expect(wb.Close()).To(Succeed())
		Expect(second.Next()).To(BeFalse())
		Eventually(runtime.NumGoroutine).Should(BeNumerically("<=", before))
	})
})

var _ = Describe("Shared strings over several chunks", func() {
	It("are read exactly, in memory and spilled", func() {
		// 30,000 strings of 0 to 255 bytes (3.8 MB) fill several 1 MiB
		// chunks of memory, with empty strings among them.
		want := make([]string, 30_000)
		var sst, rows strings.Builder
		sst.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
		for i := range want {
			want[i] = strings.Repeat(string(rune('a'+i%26)), (i*37)%256)
			sst.WriteString("<si><t>" + want[i] + "</t></si>")
		}
		sst.WriteString(`</sst>`)
		for r := range 300 {
			rows.WriteString("<row>")
			for c := range 100 {
				fmt.Fprintf(&rows, `<c t="s"><v>%d</v></c>`, (r*100+c*7919)%len(want))
			}
			rows.WriteString("</row>")
		}
		data := stored(book{sst: sst.String(), sheets: []string{sheetXML(rows.String())}}, "")
		for _, budget := range []int64{0, 1 << 20} { // in memory (16 MiB), spilled
			got, err := readBytes(data, 0, xlsxstream.Options{SharedStringsMemory: budget, TempDir: GinkgoT().TempDir()})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(300))
			n := 0
			for r, row := range got {
				col := -1
				for c := range 100 {
					s := want[(r*100+c*7919)%len(want)]
					if s == "" {
						continue
					}
					col++
					Expect(row.Cells[col].Value).To(Equal(s), "row %d column %d, budget %d", r+1, c, budget)
					n++
				}
				Expect(row.Cells).To(HaveLen(col + 1))
			}
			Expect(n).To(BeNumerically(">", 29_000))
		}
	})
})
