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

const sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func docParams() domain.NewDocumentParams {
	return domain.NewDocumentParams{ID: "01DOC", WorkspaceID: "01WS", Filename: "roster.csv", ContentType: "text/csv",
		ByteSize: 0, SHA256: sha, Metadata: map[string]any{"team": "ops"}, BlobKey: "k", ExpiresAt: t0.Add(time.Hour), Now: t0}
}

func fieldsOf(err error) []string {
	var ve *domain.ValidationError
	Expect(errors.As(err, &ve)).To(BeTrue(), "a ValidationError: %v", err)
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

var _ = Describe("NormalizeFilename", func() {
	DescribeTable("keeps only a safe last path element",
		func(in, want string) { Expect(domain.NormalizeFilename(in)).To(Equal(want)) },
		Entry("plain", "roster.csv", "roster.csv"),
		Entry("unix traversal", "../../etc/passwd", "passwd"),
		Entry("windows path", `C:\Users\me\book.xlsx`, "book.xlsx"),
		Entry("control characters", "a\x00b\nc\x7f.csv", "abc.csv"),
		Entry("empty", "", "upload"),
		Entry("only dots", "..", "upload"),
		Entry("trailing slash", "dir/", "dir"),
		Entry("spaces", "  report.csv  ", "report.csv"),
		Entry("non-ASCII kept", "Übersicht 2026.xlsx", "Übersicht 2026.xlsx"),
		Entry("invalid UTF-8 dropped", "a\xffb.csv", "ab.csv"),
	)

	It("cuts long names to 255 bytes on a rune boundary", func() {
		got := domain.NormalizeFilename(strings.Repeat("é", 300))
		Expect(len(got)).To(BeNumerically("<=", domain.MaxFilenameBytes))
		Expect(strings.ToValidUTF8(got, "?")).To(Equal(got))
	})
})

var _ = Describe("Document", func() {
	It("is created from valid input with a normalised name", func() {
		p := docParams()
		p.Filename = "../x/Book.xlsx"
		d, err := domain.NewDocument(p)
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Filename()).To(Equal("Book.xlsx"))
		Expect(d.State().Metadata).To(Equal(map[string]any{"team": "ops"}))
		Expect(d.IsDeleted()).To(BeFalse())
	})

	DescribeTable("refuses invalid input",
		func(mutate func(*domain.NewDocumentParams), field string) {
			p := docParams()
			mutate(&p)
			_, err := domain.NewDocument(p)
			Expect(err).To(MatchError(domain.ErrInvalidInput))
			Expect(fieldsOf(err)).To(ContainElement(field))
		},
		Entry("expiry in the past", func(p *domain.NewDocumentParams) { p.ExpiresAt = t0.Add(-time.Second) }, "expires_at"),
		Entry("expiry now", func(p *domain.NewDocumentParams) { p.ExpiresAt = t0 }, "expires_at"),
		Entry("no expiry", func(p *domain.NewDocumentParams) { p.ExpiresAt = time.Time{} }, "expires_at"),
		Entry("metadata too large", func(p *domain.NewDocumentParams) {
			p.Metadata = map[string]any{"x": strings.Repeat("a", domain.MaxMetadataBytes)}
		}, "metadata"),
		Entry("metadata not JSON", func(p *domain.NewDocumentParams) { p.Metadata = map[string]any{"f": func() {}} }, "metadata"),
		Entry("bad sha256", func(p *domain.NewDocumentParams) { p.SHA256 = "ABC" }, "sha256"),
		Entry("negative size", func(p *domain.NewDocumentParams) { p.ByteSize = -1 }, "byte_size"),
		Entry("no id", func(p *domain.NewDocumentParams) { p.ID = "" }, "document_id"),
		Entry("no blob key", func(p *domain.NewDocumentParams) { p.BlobKey = "" }, "blob_key"),
	)

	It("is deleted once", func() {
		d, err := domain.NewDocument(docParams())
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Delete("alice", "duplicate", t0.Add(time.Minute))).To(Succeed())
		st := d.State()
		Expect(st.DeletedBy).To(Equal("alice"))
		Expect(st.DeleteReason).To(Equal("duplicate"))
		Expect(*st.DeletedAt).To(Equal(t0.Add(time.Minute)))
		Expect(d.Delete("bob", "", t0.Add(2*time.Minute))).To(MatchError(domain.ErrNotFound))
		Expect(d.State().DeletedBy).To(Equal("alice"))
	})

	It("refuses a delete reason over 1024 characters", func() {
		d, _ := domain.NewDocument(docParams())
		Expect(d.Delete("a", strings.Repeat("x", 1025), t0)).To(MatchError(domain.ErrInvalidInput))
		Expect(d.IsDeleted()).To(BeFalse())
	})

	It("takes a delete reason of exactly 1024 characters, counted as characters, not bytes", func() {
		d, _ := domain.NewDocument(docParams())
		Expect(d.Delete("a", strings.Repeat("é", domain.MaxDeleteReasonChars+1), t0)).To(MatchError(domain.ErrInvalidInput))
		reason := strings.Repeat("é", domain.MaxDeleteReasonChars) // 2048 bytes
		Expect(d.Delete("a", reason, t0)).To(Succeed())
		Expect(d.State().DeleteReason).To(Equal(reason))
	})

	It("takes metadata of exactly 64 KiB as JSON and refuses one byte more", func() {
		p := docParams()
		// {"x":"aaa..."} is 8 bytes of JSON around the string.
		p.Metadata = map[string]any{"x": strings.Repeat("a", domain.MaxMetadataBytes-8)}
		_, err := domain.NewDocument(p)
		Expect(err).NotTo(HaveOccurred())
		p.Metadata = map[string]any{"x": strings.Repeat("a", domain.MaxMetadataBytes-7)}
		_, err = domain.NewDocument(p)
		Expect(err).To(MatchError(domain.ErrInvalidInput))
	})

	It("does not share metadata with callers", func() {
		p := docParams()
		d, _ := domain.NewDocument(p)
		p.Metadata["team"] = "changed"
		st := d.State()
		st.Metadata["team"] = "changed"
		Expect(d.State().Metadata["team"]).To(Equal("ops"))
	})
})

var _ = Describe("Configuration", func() {
	params := func() domain.NewConfigurationParams {
		return domain.NewConfigurationParams{ID: "c", WorkspaceID: "w", DocumentType: "roster", Title: "Roster",
			Version: 1, Payload: map[string]any{"extractor": "stub"}, Now: t0}
	}

	It("starts inactive and switches active state", func() {
		c, err := domain.NewConfiguration(params())
		Expect(err).NotTo(HaveOccurred())
		Expect(c.IsActive()).To(BeFalse())
		Expect(c.ExtractorName()).To(Equal("stub"))
		c.Activate(t0.Add(time.Second))
		Expect(c.IsActive()).To(BeTrue())
		Expect(*c.State().ActivatedAt).To(Equal(t0.Add(time.Second)))
		c.Deactivate(t0.Add(2 * time.Second))
		Expect(c.IsActive()).To(BeFalse())
	})

	DescribeTable("refuses invalid input",
		func(mutate func(*domain.NewConfigurationParams), field string) {
			p := params()
			mutate(&p)
			_, err := domain.NewConfiguration(p)
			Expect(err).To(MatchError(domain.ErrInvalidInput))
			Expect(fieldsOf(err)).To(ContainElement(field))
		},
		Entry("no document type", func(p *domain.NewConfigurationParams) { p.DocumentType = "" }, "document_type"),
		Entry("document type with slash", func(p *domain.NewConfigurationParams) { p.DocumentType = "a/b" }, "document_type"),
		Entry("blank title", func(p *domain.NewConfigurationParams) { p.Title = "  " }, "title"),
		Entry("version 0", func(p *domain.NewConfigurationParams) { p.Version = 0 }, "version"),
		Entry("no payload", func(p *domain.NewConfigurationParams) { p.Payload = nil }, "payload"),
		Entry("no extractor", func(p *domain.NewConfigurationParams) { p.Payload = map[string]any{} }, "payload.extractor"),
	)
})

var _ = Describe("Workspace, Table and Event", func() {
	It("validates workspace slugs", func() {
		_, err := domain.NewWorkspace("w", "ops-team", "Ops", t0)
		Expect(err).NotTo(HaveOccurred())
		_, err = domain.NewWorkspace("w", "Ops Team", "Ops", t0)
		Expect(fieldsOf(err)).To(ContainElement("slug"))
		_, err = domain.NewWorkspace("w", "ops", "", t0)
		Expect(fieldsOf(err)).To(ContainElement("name"))
	})

	It("keeps at most 20 sample rows", func() {
		rows := make([]map[string]any, 30)
		for i := range rows {
			rows[i] = map[string]any{"i": float64(i)}
		}
		tb, err := domain.NewTable(domain.TableState{ID: "t", WorkspaceID: "w", JobID: "j", DocumentID: "d", RowCount: 30, SampleRows: rows})
		Expect(err).NotTo(HaveOccurred())
		Expect(tb.State().SampleRows).To(HaveLen(domain.MaxSampleRows))
		_, err = domain.NewTable(domain.TableState{ID: "t", WorkspaceID: "w", JobID: "j", DocumentID: "d", RowCount: -1})
		Expect(fieldsOf(err)).To(ContainElement("row_count"))
	})

	It("requires an event's identity and a JSON payload", func() {
		e, err := domain.NewEvent(domain.EventState{ID: "e", WorkspaceID: "w", EventType: domain.EventJobCreated,
			EntityType: domain.EntityJob, EntityID: "j", OccurredAt: t0, Payload: map[string]any{"n": 1}})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.State().Payload["n"]).To(Equal(json.Number("1")), "numbers are kept as json.Number")
		_, err = domain.NewEvent(domain.EventState{ID: "e"})
		Expect(fieldsOf(err)).To(ContainElements("workspace_id", "event_type", "entity_type", "entity_id"))
	})

	It("prefixes validation paths", func() {
		ve := domain.NewUnprocessable("bad", domain.FieldError{Field: "fields[2].transforms[0]", Message: "unknown"},
			domain.FieldError{Field: "[0]", Message: "x"})
		out := ve.WithPrefix("payload")
		Expect(out.Fields[0].Field).To(Equal("payload.fields[2].transforms[0]"))
		Expect(out.Fields[1].Field).To(Equal("payload[0]"))
		Expect(out).To(MatchError(domain.ErrUnprocessable))
		Expect(out).NotTo(MatchError(domain.ErrInvalidInput))
	})

	It("reports too-large bodies with their limit", func() {
		err := error(&domain.TooLargeError{LimitBytes: 10})
		Expect(err).To(MatchError(domain.ErrTooLarge))
		Expect(err.Error()).To(ContainSubstring("10"))
	})
})
