package app_test

import (
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

var _ = Describe("Idempotency keys", func() {
	var (
		e   *env
		doc *domain.Document
		cfg *domain.Configuration
	)
	BeforeEach(func() {
		e = newIdleEnv(app.Config{})
		doc, cfg = setupJobs(e, map[string]any{"extractor": "stub"})
	})
	req := func(key string) app.SubmitJobRequest {
		return app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID(), IdempotencyKey: key}
	}
	jobCount := func() int {
		GinkgoHelper()
		p, err := e.app.Jobs.List(e.ctx, e.ws, ports.JobFilter{}, app.PageRequest{Limit: 200})
		Expect(err).NotTo(HaveOccurred())
		return len(p.Items)
	}

	It("answers a repeated submission with the first job and stores nothing more", func() {
		first, err := e.app.Jobs.Enqueue(e.ctx, req("order-42"))
		Expect(err).NotTo(HaveOccurred())
		again, err := e.app.Jobs.Enqueue(e.ctx, req("order-42"))
		Expect(err).NotTo(HaveOccurred())
		Expect(again.ID()).To(Equal(first.ID()))
		Expect(jobCount()).To(Equal(1))
		Expect(e.queue.Pending()).To(HaveLen(1), "one task")

		// The replay holds even once the references no longer resolve.
		Expect(e.app.Documents.Delete(e.ctx, e.ws, doc.ID(), "")).To(Succeed())
		again, err = e.app.Jobs.Enqueue(e.ctx, req("order-42"))
		Expect(err).NotTo(HaveOccurred())
		Expect(again.ID()).To(Equal(first.ID()))
	})

	It("refuses the key with another request, or the other mode, as a conflict", func() {
		_, err := e.app.Jobs.Enqueue(e.ctx, req("k"))
		Expect(err).NotTo(HaveOccurred())
		other := req("k")
		other.ConfigurationID, other.DocumentType = "", "roster"
		_, err = e.app.Jobs.Enqueue(e.ctx, other)
		Expect(err).To(MatchError(domain.ErrConflict))
		_, err = e.app.Jobs.Submit(e.ctx, req("k"))
		Expect(err).To(MatchError(domain.ErrConflict), "a synchronous submission is another request")
		Expect(jobCount()).To(Equal(1))
	})

	It("forgets a key after 24 hours", func() {
		first, err := e.app.Jobs.Enqueue(e.ctx, req("k"))
		Expect(err).NotTo(HaveOccurred())
		e.clock.jump(domain.IdempotencyKeyTTL + time.Second)
		second, err := e.app.Jobs.Enqueue(e.ctx, req("k"))
		Expect(err).NotTo(HaveOccurred())
		Expect(second.ID()).NotTo(Equal(first.ID()))
		Expect(jobCount()).To(Equal(2))
	})

	It("lets one of concurrent submissions with a key create the job, and answers the others with it", func() {
		var wg sync.WaitGroup
		ids := make(chan string, 20)
		for range 20 {
			wg.Go(func() {
				defer GinkgoRecover()
				j, err := e.app.Jobs.Enqueue(e.ctx, req("burst"))
				Expect(err).NotTo(HaveOccurred())
				ids <- j.ID()
			})
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		Expect(seen).To(HaveLen(1))
		Expect(jobCount()).To(Equal(1))
	})

	It("refuses a malformed key before anything is stored", func() {
		for _, k := range []string{"has space", strings.Repeat("k", 256), "tab\tkey", "ümlaut"} {
			_, err := e.app.Jobs.Enqueue(e.ctx, req(k))
			Expect(err).To(MatchError(domain.ErrInvalidInput), k)
		}
		Expect(jobCount()).To(BeZero())
	})

	Describe("on uploads", func() {
		upload := func(key, body string, meta map[string]any) (*domain.Document, error) {
			return e.app.Documents.Upload(e.ctx, app.UploadRequest{WorkspaceID: e.ws, Filename: "r.csv",
				Body: strings.NewReader(body), Metadata: meta, IdempotencyKey: key})
		}
		docCount := func() int {
			GinkgoHelper()
			p, err := e.app.Documents.List(e.ctx, e.ws, app.PageRequest{Limit: 200})
			Expect(err).NotTo(HaveOccurred())
			return len(p.Items)
		}

		It("answers a repeated upload with the first document and keeps nothing of the repeat", func() {
			before := docCount()
			first, err := upload("up-1", rosterCSV, map[string]any{"a": 1.0})
			Expect(err).NotTo(HaveOccurred())
			puts := len(e.blobs.putKeys())
			again, err := upload("up-1", rosterCSV, map[string]any{"a": 1.0})
			Expect(err).NotTo(HaveOccurred())
			Expect(again.ID()).To(Equal(first.ID()))
			Expect(docCount()).To(Equal(before + 1))
			repeatKey := e.blobs.putKeys()[puts]
			_, err = e.blobs.Open(e.ctx, repeatKey, 0, -1)
			Expect(err).To(MatchError(domain.ErrNotFound), "the repeat's bytes were removed")
		})

		It("refuses the key with other bytes or other details as a conflict, keeping nothing", func() {
			_, err := upload("up-2", rosterCSV, nil)
			Expect(err).NotTo(HaveOccurred())
			before := docCount()
			_, err = upload("up-2", rosterCSV+"Extra,Row,x@example.com\n", nil)
			Expect(err).To(MatchError(domain.ErrConflict))
			_, err = upload("up-2", rosterCSV, map[string]any{"other": true})
			Expect(err).To(MatchError(domain.ErrConflict))
			Expect(docCount()).To(Equal(before))
		})
	})
})

var _ = Describe("Maintenance", func() {
	It("purges expired documents, expired keys and old delivery logs; a dry run only lists", func() {
		e := newIdleEnv(app.Config{DocumentRetention: 48 * time.Hour})
		doc, cfg := setupJobs(e, map[string]any{"extractor": "stub"})
		_, err := e.app.Jobs.Enqueue(e.ctx, app.SubmitJobRequest{WorkspaceID: e.ws, DocumentID: doc.ID(), ConfigurationID: cfg.ID(), IdempotencyKey: "k"})
		Expect(err).NotTo(HaveOccurred())
		Expect(e.mem.Repositories().Deliveries.Record(e.ctx, domain.WebhookDelivery{ID: newULID(), WorkspaceID: e.ws,
			WebhookID: "w", EventID: "e", EventType: domain.EventJobFailed, Attempt: 1, DeliveredAt: e.clock.Now()})).To(Succeed())

		e.clock.jump(49 * time.Hour)
		dry, err := e.app.Maintenance.Sweep(e.ctx, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(ids(dry.Documents)).To(Equal([]string{doc.ID()}))
		Expect(dry.IdempotencyKeys).To(BeZero())
		_, err = e.app.Documents.Get(e.ctx, e.ws, doc.ID())
		Expect(err).NotTo(HaveOccurred(), "a dry run changes nothing")

		r, err := e.app.Maintenance.Sweep(e.ctx, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(ids(r.Documents)).To(Equal([]string{doc.ID()}))
		Expect(r.IdempotencyKeys).To(Equal(1))
		Expect(r.Deliveries).To(Equal(1))
		_, err = e.app.Documents.Get(e.ctx, e.ws, doc.ID())
		Expect(err).To(MatchError(domain.ErrNotFound))

		again, err := e.app.Maintenance.Sweep(e.ctx, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Documents).To(BeEmpty())
		Expect(again.IdempotencyKeys + again.Deliveries + again.StaleJobs).To(BeZero())
	})
})

func ids[T interface{ ID() string }](items []T) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID()
	}
	return out
}
