package repocontract

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// describeTables registers the contract of ports.TableRepository.
func describeTables(get func() *world) {
	Describe("TableRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("stores tables and lists a job's tables by sequence index", func() {
			j := w.createJob()
			t2, t0, t1 := w.newTable(j, 2), w.newTable(j, 0), w.newTable(j, 1)
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{t2, t0, t1})).To(Succeed())

			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(got)).To(Equal([]string{t0.ID(), t1.ID(), t2.ID()}))
			Expect(got[0].State()).To(Equal(t0.State()))
			Expect(got[0].State().CreatedAt.Location()).To(Equal(time.UTC))
		})

		It("pages a job's tables in sequence order", func() {
			j := w.createJob()
			var all []*domain.Table
			for i := range 5 {
				all = append(all, w.newTable(j, i))
			}
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{all[3], all[0], all[4], all[2], all[1]})).To(Succeed())
			pages := []struct {
				p    ports.Page
				want []*domain.Table
			}{
				{ports.Page{Limit: 2}, all[:2]},
				{ports.Page{Limit: 2, Offset: 2}, all[2:4]},
				{ports.Page{Limit: 2, Offset: 4}, all[4:]},
				{ports.Page{Limit: 2, Offset: 5}, nil},
				{ports.Page{Offset: 3}, all[3:]},
			}
			for _, pg := range pages {
				got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), pg.p)
				Expect(err).NotTo(HaveOccurred())
				Expect(ids(got)).To(Equal(ids(pg.want)), "page %+v", pg.p)
			}
		})

		It("stores extracted text with NUL and numbers with every digit", func() {
			j := w.createJob()
			t, err := domain.NewTable(domain.TableState{ID: newID(), WorkspaceID: w.ws.ID(), JobID: j.ID(), DocumentID: w.doc.ID(),
				Title: "Sheet\x00 1", Sheet: "S\x00", Columns: []string{"na\x00me"}, RowCount: 1,
				SampleRows: []map[string]any{{"na\x00me": "A\x00B", "n": json.Number("123456789012345678901")}},
				Metadata:   map[string]any{"cell": "\x00"}, CreatedAt: w.clock.Next()})
			Expect(err).NotTo(HaveOccurred())
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{t})).To(Succeed())
			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].State()).To(Equal(t.State()))
			Expect(got[0].State().SampleRows[0]).To(HaveKeyWithValue("na\uFFFDme", "A\uFFFDB"))
		})

		It("keeps empty columns and sample rows empty, not nil", func() {
			j := w.createJob()
			t, err := domain.NewTable(domain.TableState{ID: newID(), WorkspaceID: w.ws.ID(), JobID: j.ID(),
				DocumentID: w.doc.ID(), CreatedAt: w.clock.Next()})
			Expect(err).NotTo(HaveOccurred())
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{t})).To(Succeed())
			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].State()).To(Equal(t.State()))
			Expect(got[0].State().Columns).To(Equal([]string{}))
			Expect(got[0].State().SampleRows).To(Equal([]map[string]any{}))
		})

		It("stores all tables or none: a duplicate id fails with ErrConflict", func() {
			j := w.createJob()
			first := w.newTable(j, 0)
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{first})).To(Succeed())
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{w.newTable(j, 1), first})).To(MatchError(domain.ErrConflict))
			got, err := w.repos.Tables.ListByJob(w.ctx, w.ws.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(got)).To(Equal([]string{first.ID()}))
		})

		It("never lists another workspace's tables", func() {
			j := w.createJob()
			Expect(w.repos.Tables.CreateMany(w.ctx, []*domain.Table{w.newTable(j, 0)})).To(Succeed())
			got, err := w.repos.Tables.ListByJob(w.ctx, w.other.ID(), j.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(BeEmpty())
		})
	})
}
