package domain_test

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
)

var _ = Describe("Time bounds", func() {
	DescribeTable("accepts exactly the instants RFC 3339 and both databases hold",
		func(t time.Time, ok bool) {
			if ok {
				Expect(domain.ValidateTime(t)).To(Succeed())
			} else {
				Expect(domain.ValidateTime(t)).NotTo(Succeed())
			}
		},
		Entry("the first instant", domain.MinTime, true),
		Entry("one microsecond before it", domain.MinTime.Add(-time.Microsecond), false),
		Entry("the last instant", domain.MaxTime, true),
		Entry("one microsecond after it", domain.MaxTime.Add(time.Microsecond), false),
		Entry("year 9999 at -23:59, which is year 10000 in UTC",
			time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(23*3600+59*60))), false),
	)

	It("refuses an expiry past the last instant, and names the bound", func() {
		p := docParams()
		p.ExpiresAt = domain.MaxTime.Add(time.Nanosecond * 1000)
		_, err := domain.NewDocument(p)
		Expect(fieldsOf(err)).To(ConsistOf("expires_at"))
		Expect(err.Error()).To(ContainSubstring("9999-12-31T23:59:59.999999Z"))
		p.ExpiresAt = domain.MaxTime
		_, err = domain.NewDocument(p)
		Expect(err).NotTo(HaveOccurred())
	})

	It("brings a log entry's time into the bounds", func() {
		j := jobIn(domain.JobRunning)
		j.AppendLog(domain.LogEntry{At: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), Message: "late"})
		j.AppendLog(domain.LogEntry{At: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), Message: "early"})
		logs := j.State().Logs
		Expect(logs[len(logs)-2].At).To(Equal(domain.MaxTime))
		Expect(logs[len(logs)-1].At).To(Equal(domain.MinTime))
	})
})

var _ = Describe("Client text", func() {
	DescribeTable("single-line values refuse control characters and invalid UTF-8",
		func(s string, ok bool) {
			if ok {
				Expect(domain.ValidateLine(s)).To(Succeed())
			} else {
				Expect(domain.ValidateLine(s)).NotTo(Succeed())
			}
		},
		Entry("plain", "Acme Ltd.", true),
		Entry("non-ASCII", "Überweisung – 2026", true),
		Entry("NUL", "a\x00b", false),
		Entry("escape", "a\x1b[2Jb", false),
		Entry("line feed", "a\nb", false),
		Entry("DEL", "a\x7f", false),
		Entry("C1 control", "a\u0085b", false),
		Entry("invalid UTF-8", "a\xffb", false),
	)

	It("lets free text keep tabs and line breaks, and nothing else", func() {
		Expect(domain.ValidateText("line one\r\n\tline two")).To(Succeed())
		Expect(domain.ValidateText("a\x00")).NotTo(Succeed())
		Expect(domain.ValidateText("a\x08")).NotTo(Succeed())
	})

	DescribeTable("refuses what no store holds in names, titles and reasons, naming the field",
		func(f func() error, field string) {
			err := f()
			Expect(err).To(MatchError(domain.ErrInvalidInput))
			Expect(fieldsOf(err)).To(ConsistOf(field))
		},
		Entry("workspace name", func() error { _, err := domain.NewWorkspace("w", "acme", "Ac\x00me", t0); return err }, "name"),
		Entry("configuration title", func() error {
			_, err := domain.NewConfiguration(domain.NewConfigurationParams{ID: "c", WorkspaceID: "w", DocumentType: "roster",
				Title: "t\x07", Version: 1, Payload: map[string]any{"extractor": "stub"}, Now: t0})
			return err
		}, "title"),
		Entry("delete reason", func() error {
			d, err := domain.NewDocument(docParams())
			Expect(err).NotTo(HaveOccurred())
			return d.Delete("a", "gone\x00", t0)
		}, "reason"),
		Entry("content type", func() error {
			p := docParams()
			p.ContentType = "text/csv\x00"
			_, err := domain.NewDocument(p)
			return err
		}, "content_type"),
	)
})

var _ = Describe("Filenames", func() {
	It("lose every bidirectional formatting character", func() {
		for _, r := range "\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069" {
			Expect(domain.NormalizeFilename("invoice"+string(r)+"fdp.exe")).To(Equal("invoicefdp.exe"), "U+%04X", r)
		}
		Expect(domain.NormalizeFilename("a\u200Db.csv")).To(Equal("a\u200Db.csv"), "a zero-width joiner is not a bidi control")
	})
})

var _ = Describe("JSON objects", func() {
	fieldOf := func(err error) string {
		var je *domain.JSONError
		Expect(errors.As(err, &je)).To(BeTrue(), "a JSONError: %v", err)
		return je.Path
	}

	It("refuse NUL in strings and keys at any depth, with the path", func() {
		_, err := domain.ValidateJSONObject(map[string]any{"a": map[string]any{"b": []any{"x", "y\x00"}}}, 0)
		Expect(fieldOf(err)).To(Equal("a.b[1]"))
		_, err = domain.ValidateJSONObject(map[string]any{"a": []any{map[string]any{"k\x00": 1}}}, 0)
		Expect(fieldOf(err)).To(Equal("a[0]"))
		_, err = domain.NewDocument(func() domain.NewDocumentParams {
			p := docParams()
			p.Metadata = map[string]any{"note": "a\x00"}
			return p
		}())
		Expect(fieldsOf(err)).To(ConsistOf("metadata.note"))
	})

	It("scrub NUL into U+FFFD when the data is an extractor's", func() {
		m, err := domain.ScrubJSONObject(map[string]any{"k\x00": []any{"a\x00b"}}, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(m).To(Equal(map[string]any{"k\uFFFD": []any{"a\uFFFDb"}}))
	})

	It("keep numbers as json.Number with every digit", func() {
		m, err := domain.ValidateJSONObject(map[string]any{
			"big": json.Number("12345678901234567890123"), "int": 9007199254740993, "f": 0.1,
		}, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(m).To(Equal(map[string]any{
			"big": json.Number("12345678901234567890123"), "int": json.Number("9007199254740993"), "f": json.Number("0.1"),
		}))
	})

	It("refuse a number too long to keep exactly, and measure size after rewriting numbers", func() {
		_, err := domain.ValidateJSONObject(map[string]any{"n": json.Number("1e1001")}, 0)
		Expect(fieldOf(err)).To(Equal("n"))
		big := map[string]any{}
		for i := range 200 {
			big[strings.Repeat("k", i+1)] = json.Number("1e999")
		}
		_, err = domain.ValidateJSONObject(big, domain.MaxMetadataBytes)
		Expect(err).To(MatchError(ContainSubstring("larger than")))
	})

	DescribeTable("write numbers in plain decimal notation with their scale, as PostgreSQL's numeric does",
		func(in, want string) {
			got, err := domain.CanonicalNumber(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(want))
		},
		Entry(nil, "0", "0"),
		Entry(nil, "-0", "0"),
		Entry(nil, "-0.0", "0.0"),
		Entry(nil, "42", "42"),
		Entry(nil, "-42", "-42"),
		Entry(nil, "12345678901234567890123", "12345678901234567890123"),
		Entry(nil, "1.50", "1.50"),
		Entry(nil, "1e2", "100"),
		Entry(nil, "1E+2", "100"),
		Entry(nil, "1.0e-2", "0.010"),
		Entry(nil, "0.1e1", "1"),
		Entry(nil, "1.5e1", "15"),
		Entry(nil, "1.50e1", "15.0"),
		Entry(nil, "1e-7", "0.0000001"),
		Entry(nil, "123.456e-2", "1.23456"),
		Entry(nil, "0e5", "0"),
		Entry(nil, "0.000e2", "0.0"),
		Entry(nil, "-2.5e-3", "-0.0025"),
	)

	It("are bounded in depth", func() {
		var v any = "leaf"
		for range domain.MaxJSONDepth - 1 {
			v = []any{v}
		}
		_, err := domain.ValidateJSONObject(map[string]any{"a": v}, 0)
		Expect(err).NotTo(HaveOccurred(), "%d levels", domain.MaxJSONDepth)
		_, err = domain.ValidateJSONObject(map[string]any{"a": []any{v}}, 0)
		Expect(err).To(MatchError(ContainSubstring("nested deeper")))
	})
})

var _ = Describe("Extracted text", func() {
	It("is stored with NUL and invalid UTF-8 replaced, never refused", func() {
		tb, err := domain.NewTable(domain.TableState{ID: "t", WorkspaceID: "w", JobID: "j", DocumentID: "d",
			Title: "T\x00", Sheet: "S\xff", Columns: []string{"a\x00"}, RowCount: 1,
			SampleRows: []map[string]any{{"a\x00": "v\x00"}}, Metadata: map[string]any{"m": "x\x00"}, CreatedAt: t0})
		Expect(err).NotTo(HaveOccurred())
		st := tb.State()
		Expect(st.Title).To(Equal("T\uFFFD"))
		Expect(st.Sheet).To(Equal("S\uFFFD"))
		Expect(st.Columns).To(Equal([]string{"a\uFFFD"}))
		Expect(st.SampleRows).To(Equal([]map[string]any{{"a\uFFFD": "v\uFFFD"}}))
		Expect(st.Metadata).To(Equal(map[string]any{"m": "x\uFFFD"}))

		j := jobIn(domain.JobRunning)
		Expect(j.Fail(t0, domain.JobError{Code: "bad\x00", Message: "cell \x00 broke"},
			domain.Outcome{Metrics: map[string]any{"m\x00": "v\x00"}, Logs: []domain.LogEntry{{Message: "m\x00", Details: map[string]any{"d": "\x00"}}}})).To(Succeed())
		js := j.State()
		Expect(js.Error).To(Equal(&domain.JobError{Code: "bad\uFFFD", Message: "cell \uFFFD broke"}))
		Expect(js.Metrics).To(HaveKeyWithValue("m\uFFFD", "v\uFFFD"))
		last := js.Logs[len(js.Logs)-1]
		Expect(last.Message).To(Equal("m\uFFFD"))
		Expect(last.Details).To(Equal(map[string]any{"d": "\uFFFD"}))
	})
})
