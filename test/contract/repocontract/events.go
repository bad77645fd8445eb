package repocontract

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// describeEvents registers the contract of ports.EventSink and ports.EventRepository.
func describeEvents(get func() *world) {
	Describe("EventSink and EventRepository", func() {
		var (
			w                     *world
			uploaded, created, ok *domain.Event
			foreign               *domain.Event
		)
		BeforeEach(func() {
			w = get()
			uploaded = w.newEvent(w.ws.ID(), domain.EventDocumentUploaded, domain.EntityDocument, w.doc.ID())
			created = w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, "job-1")
			ok = w.newEvent(w.ws.ID(), domain.EventJobSucceeded, domain.EntityJob, "job-1")
			foreign = w.newEvent(w.other.ID(), domain.EventJobCreated, domain.EntityJob, "job-1")
			Expect(w.repos.EventSink.Append(w.ctx, uploaded, created)).To(Succeed())
			Expect(w.repos.EventSink.Append(w.ctx, ok)).To(Succeed())
			Expect(w.repos.EventSink.Append(w.ctx, foreign)).To(Succeed())
		})

		list := func(f ports.EventFilter, p ports.Page) []*domain.Event {
			out, err := w.repos.Events.List(w.ctx, w.ws.ID(), f, p)
			Expect(err).NotTo(HaveOccurred())
			return out
		}
		all := ports.Page{Limit: 50}

		It("round-trips every field", func() {
			got := list(ports.EventFilter{EventType: domain.EventDocumentUploaded}, all)
			Expect(got).To(HaveLen(1))
			Expect(got[0].State()).To(Equal(uploaded.State()))
			Expect(got[0].State().OccurredAt.Location()).To(Equal(time.UTC))
		})

		It("lists newest first by default and oldest first when ascending", func() {
			Expect(ids(list(ports.EventFilter{}, all))).To(Equal([]string{ok.ID(), created.ID(), uploaded.ID()}))
			Expect(ids(list(ports.EventFilter{Ascending: true}, all))).To(Equal([]string{uploaded.ID(), created.ID(), ok.ID()}))
			Expect(ids(list(ports.EventFilter{}, ports.Page{Limit: 1, Offset: 1}))).To(Equal([]string{created.ID()}))
			Expect(ids(list(ports.EventFilter{Ascending: true}, ports.Page{Limit: 2}))).To(Equal([]string{uploaded.ID(), created.ID()}))
		})

		It("orders events of the same instant by id", func() {
			at := w.clock.Next()
			mk := func() *domain.Event {
				s := w.newEvent(w.ws.ID(), domain.EventJobRunning, domain.EntityJob, "job-2").State()
				s.OccurredAt = at
				e, err := domain.NewEvent(s)
				Expect(err).NotTo(HaveOccurred())
				return e
			}
			a, b := mk(), mk()
			Expect(w.repos.EventSink.Append(w.ctx, b, a)).To(Succeed())
			f := ports.EventFilter{EntityID: "job-2"}
			Expect(ids(list(f, all))).To(Equal([]string{b.ID(), a.ID()}))
			f.Ascending = true
			Expect(ids(list(f, all))).To(Equal([]string{a.ID(), b.ID()}))
		})

		It("finds one event by id", func() {
			Expect(ids(list(ports.EventFilter{ID: created.ID()}, all))).To(Equal([]string{created.ID()}))
			Expect(list(ports.EventFilter{ID: foreign.ID()}, all)).To(BeEmpty(), "another workspace's event")
		})

		It("filters by entity type, entity id and event type", func() {
			Expect(ids(list(ports.EventFilter{EntityType: domain.EntityJob}, all))).To(Equal([]string{ok.ID(), created.ID()}))
			Expect(ids(list(ports.EventFilter{EntityType: domain.EntityDocument, EntityID: w.doc.ID()}, all))).To(Equal([]string{uploaded.ID()}))
			Expect(ids(list(ports.EventFilter{EntityID: "job-1", EventType: domain.EventJobSucceeded}, all))).To(Equal([]string{ok.ID()}))
			Expect(list(ports.EventFilter{EventType: domain.EventDocumentDeleted}, all)).To(BeEmpty())
		})

		It("resumes after an id", func() {
			Expect(ids(list(ports.EventFilter{AfterID: uploaded.ID(), Ascending: true}, all))).To(Equal([]string{created.ID(), ok.ID()}))
			Expect(ids(list(ports.EventFilter{AfterID: created.ID(), EntityID: "job-1", Ascending: true}, all))).To(Equal([]string{ok.ID()}))
			Expect(list(ports.EventFilter{AfterID: ok.ID()}, all)).To(BeEmpty())
		})

		It("never lists another workspace's events", func() {
			Expect(ids(list(ports.EventFilter{}, all))).NotTo(ContainElement(foreign.ID()))
			other, err := w.repos.Events.List(w.ctx, w.other.ID(), ports.EventFilter{}, all)
			Expect(err).NotTo(HaveOccurred())
			Expect(ids(other)).To(Equal([]string{foreign.ID()}))
		})

		It("refuses a duplicate id with ErrConflict", func() {
			Expect(w.repos.EventSink.Append(w.ctx, ok)).To(MatchError(domain.ErrConflict))
		})
	})
}
