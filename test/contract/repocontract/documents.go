package repocontract

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// describeDocuments registers the contract of ports.DocumentRepository.
func describeDocuments(get func() *world) {
	Describe("DocumentRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("round-trips every field, nested metadata included", func() {
			meta := map[string]any{"customer": "ACME", "tags": []any{"a", "b"}, "n": 3.5,
				"nested": map[string]any{"deep": map[string]any{"ok": true}, "empty": map[string]any{}}, "null": nil}
			d := w.newDocument(w.ws.ID(), meta)
			Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())

			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), d.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(d.State()))
			Expect(got.State().DeletedAt).To(BeNil())
			Expect(got.State().ExpiresAt.Location()).To(Equal(time.UTC))
		})

		It("returns every number with the digits the domain wrote, the database's own notation included", func() {
			meta := map[string]any{"big": json.Number("12345678901234567890123"), "max_safe_plus_one": json.Number("9007199254740993"),
				"scale": json.Number("1.50"), "exp": json.Number("1.5e3"), "tiny": json.Number("1.0e-7"), "neg_zero": json.Number("-0.0"),
				"float": 0.1, "list": []any{json.Number("1e2"), json.Number("-2.5e-3")}}
			d := w.createDocument(w.ws.ID(), meta)
			Expect(d.State().Metadata).To(HaveKeyWithValue("exp", json.Number("1500")))
			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), d.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().Metadata).To(Equal(d.State().Metadata))
		})

		It("keeps empty metadata an empty object", func() {
			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), w.doc.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().Metadata).NotTo(BeNil())
			Expect(got.State().Metadata).To(BeEmpty())
		})

		It("round-trips a produced document and a deletion", func() {
			job := w.createJob()
			d := w.newDocument(w.ws.ID(), nil)
			s := d.State()
			s.ProducedByJobID = job.ID()
			d = domain.RehydrateDocument(s)
			Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())

			deletedAt := w.clock.Next()
			updated, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), d.ID(), func(d *domain.Document) error {
				return d.Delete("key-1", "no longer needed", deletedAt)
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(*updated.State().DeletedAt).To(Equal(deletedAt))

			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), d.ID())
			Expect(err).NotTo(HaveOccurred(), "Get returns deleted documents too")
			Expect(got.State()).To(Equal(updated.State()))
			Expect(got.State().ProducedByJobID).To(Equal(job.ID()))
			Expect(got.State().DeletedBy).To(Equal("key-1"))
			Expect(got.State().DeleteReason).To(Equal("no longer needed"))
			Expect(got.State().DeletedAt.Location()).To(Equal(time.UTC))
		})

		It("answers ErrNotFound for unknown ids and other workspaces' documents", func() {
			_, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Documents.Get(w.ctx, w.ws.ID(), w.otherDoc.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))

			called := false
			_, err = w.repos.Documents.Update(w.ctx, w.ws.ID(), w.otherDoc.ID(), func(*domain.Document) error {
				called = true
				return nil
			})
			Expect(err).To(MatchError(domain.ErrNotFound))
			Expect(called).To(BeFalse())
		})

		It("refuses a duplicate id with ErrConflict", func() {
			Expect(w.repos.Documents.Create(w.ctx, w.doc)).To(MatchError(domain.ErrConflict))
		})

		It("lists newest first with limit and offset, never another workspace's documents", func() {
			d2 := w.createDocument(w.ws.ID(), nil)
			d3 := w.createDocument(w.ws.ID(), nil)
			all, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50}, all)
			Expect(ids(all)).To(Equal([]string{d3.ID(), d2.ID(), w.doc.ID()}))

			page, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 2, Offset: 1})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 2, Offset: 1}, page)
			Expect(ids(page)).To(Equal([]string{d2.ID(), w.doc.ID()}))
		})

		It("hides deleted documents unless asked, and filters by producing job", func() {
			job := w.createJob()
			s := w.newDocument(w.ws.ID(), nil).State()
			s.ProducedByJobID = job.ID()
			produced := domain.RehydrateDocument(s)
			Expect(w.repos.Documents.Create(w.ctx, produced)).To(Succeed())
			_, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), w.doc.ID(), func(d *domain.Document) error {
				return d.Delete("key-1", "", w.clock.Next())
			})
			Expect(err).NotTo(HaveOccurred())

			live, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{}, ports.Page{Limit: 50}, live)
			Expect(ids(live)).To(Equal([]string{produced.ID()}))

			all, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{IncludeDeleted: true}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{IncludeDeleted: true}, ports.Page{Limit: 50}, all)
			Expect(ids(all)).To(Equal([]string{produced.ID(), w.doc.ID()}))

			byJob, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{ProducedByJobID: job.ID(), IncludeDeleted: true}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{ProducedByJobID: job.ID(), IncludeDeleted: true}, ports.Page{Limit: 50}, byJob)
			Expect(ids(byJob)).To(Equal([]string{produced.ID()}))
		})

		It("filters by name, ignoring the case of ASCII letters only, with no wildcards", func() {
			mk := func(name string) *domain.Document {
				s := w.newDocument(w.ws.ID(), nil).State()
				s.OriginalFilename = name
				d := domain.RehydrateDocument(s)
				Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())
				return d
			}
			roster := mk("March ROSTER.xlsx")
			lower := mk("roster-april.csv")
			accented := mk("Élève_100%.csv")
			plain := mk("Eleve_1000.csv")
			other := w.createWorkspace("names-elsewhere")
			s := w.newDocument(other.ID(), nil).State()
			s.OriginalFilename = "roster.csv"
			Expect(w.repos.Documents.Create(w.ctx, domain.RehydrateDocument(s))).To(Succeed())

			find := func(text string) []string {
				got, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{NameContains: text}, ports.Page{Limit: 50})
				Expect(err).NotTo(HaveOccurred())
				return ids(got)
			}
			Expect(find("Roster")).To(Equal([]string{lower.ID(), roster.ID()}))
			Expect(find("ROSTER.XLSX")).To(Equal([]string{roster.ID()}))
			Expect(find("%")).To(Equal([]string{accented.ID()}), "a percent sign is a character, not a wildcard")
			Expect(find("_1")).To(Equal([]string{plain.ID(), accented.ID()}))
			Expect(find("e_1")).To(Equal([]string{plain.ID(), accented.ID()}))
			Expect(find("ve_1_")).To(BeEmpty(), "_ is a character, not a wildcard")
			Expect(find("élève")).To(BeEmpty(), "letters outside ASCII match exactly")
			Expect(find("Élève")).To(Equal([]string{accented.ID()}))
			Expect(find(`\`)).To(BeEmpty())
			Expect(find("nothing like it")).To(BeEmpty())
		})

		It("filters by origin: uploads or the outputs of jobs", func() {
			job := w.createJob()
			s := w.newDocument(w.ws.ID(), nil).State()
			s.ProducedByJobID = job.ID()
			produced := domain.RehydrateDocument(s)
			Expect(w.repos.Documents.Create(w.ctx, produced)).To(Succeed())

			uploads, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{Origin: ports.OriginUpload}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(uploads)).To(Equal([]string{w.doc.ID()}))
			outputs, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{Origin: ports.OriginOutput}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(outputs)).To(Equal([]string{produced.ID()}))
		})

		It("filters by expiry strictly before a time, hiding deleted ones", func() {
			mk := func(expires time.Time) *domain.Document {
				s := w.newDocument(w.ws.ID(), nil).State()
				s.ExpiresAt = expires
				d := domain.RehydrateDocument(s)
				Expect(w.repos.Documents.Create(w.ctx, d)).To(Succeed())
				return d
			}
			cut := w.doc.ExpiresAt().Add(-time.Hour)
			early := mk(cut.Add(-time.Minute))
			mk(cut) // expiring exactly at the cut is not before it
			gone := mk(cut.Add(-2 * time.Minute))
			_, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), gone.ID(), func(d *domain.Document) error {
				return d.Delete("key-1", "", w.clock.Next())
			})
			Expect(err).NotTo(HaveOccurred())
			other := w.createWorkspace("expiry-elsewhere")
			s := w.newDocument(other.ID(), nil).State()
			s.ExpiresAt = cut.Add(-time.Hour)
			Expect(w.repos.Documents.Create(w.ctx, domain.RehydrateDocument(s))).To(Succeed())

			expired, err := w.repos.Documents.List(w.ctx, w.ws.ID(), ports.DocumentFilter{ExpiresBefore: cut}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			w.sameIDs(w.ws.ID(), ports.DocumentFilter{ExpiresBefore: cut}, ports.Page{Limit: 50}, expired)
			Expect(ids(expired)).To(Equal([]string{early.ID()}))
		})

		It("returns fn's error and stores nothing when fn fails", func() {
			_, err := w.repos.Documents.Update(w.ctx, w.ws.ID(), w.doc.ID(), func(d *domain.Document) error {
				Expect(d.Delete("key-1", "", w.clock.Next())).To(Succeed())
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			got, err := w.repos.Documents.Get(w.ctx, w.ws.ID(), w.doc.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.IsDeleted()).To(BeFalse())
		})
	})
}
