package repocontract

import (
	"context"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// signalWait bounds how long a spec waits for a feed signal (a PostgreSQL
// notification, or the SQLite tail of another handle).
const signalWait = 5 * time.Second

func describeIdempotency(get func() *world) {
	Describe("IdempotencyRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		record := func(ws, key, hash, resource string, at time.Time) domain.IdempotencyRecord {
			return domain.IdempotencyRecord{WorkspaceID: ws, Key: key, RequestHash: hash, ResourceID: resource, StatusCode: 202, CreatedAt: at}
		}
		claim := func(ctx context.Context, rec domain.IdempotencyRecord, notBefore time.Time) *domain.IdempotencyRecord {
			GinkgoHelper()
			first, err := w.repos.Idempotency.Claim(ctx, rec, notBefore)
			Expect(err).NotTo(HaveOccurred())
			return first
		}

		It("stores a first claim, returns it to later claims of the key, and scopes keys to the workspace", func() {
			at := w.clock.Next()
			first := record(w.ws.ID(), "key-1", "hash-a", "res-1", at)
			Expect(claim(w.ctx, first, at.Add(-time.Hour))).To(BeNil())

			got := claim(w.ctx, record(w.ws.ID(), "key-1", "hash-b", "res-2", w.clock.Next()), at.Add(-time.Hour))
			Expect(got).NotTo(BeNil())
			Expect(*got).To(Equal(first))

			stored, err := w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "key-1", at.Add(-time.Hour))
			Expect(err).NotTo(HaveOccurred())
			Expect(*stored).To(Equal(first))
			Expect(stored.CreatedAt.Location()).To(Equal(time.UTC))

			Expect(claim(w.ctx, record(w.other.ID(), "key-1", "hash-c", "res-3", w.clock.Next()), at.Add(-time.Hour))).To(BeNil(),
				"another workspace's key of the same name is another key")
			_, err = w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "key-2", at.Add(-time.Hour))
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("treats a record older than notBefore as gone and replaces it", func() {
			old := w.clock.Next()
			Expect(claim(w.ctx, record(w.ws.ID(), "k", "hash-a", "res-1", old), old.Add(-time.Hour))).To(BeNil())
			later := w.clock.Next()
			_, err := w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "k", later)
			Expect(err).To(MatchError(domain.ErrNotFound), "expired")

			fresh := record(w.ws.ID(), "k", "hash-b", "res-2", later)
			Expect(claim(w.ctx, fresh, later)).To(BeNil())
			got, err := w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "k", later)
			Expect(err).NotTo(HaveOccurred())
			Expect(*got).To(Equal(fresh))
		})

		It("rolls a claim back with its transaction", func() {
			at := w.clock.Next()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				Expect(claim(ctx, record(w.ws.ID(), "k", "h", "r", at), at.Add(-time.Hour))).To(BeNil())
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			_, err = w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "k", at.Add(-time.Hour))
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("lets exactly one of concurrent claims of a key win", func() {
			at := w.clock.Next()
			const n = 8
			var wg sync.WaitGroup
			wins := make(chan string, n)
			for i := range n {
				wg.Go(func() {
					defer GinkgoRecover()
					res := "res-" + string(rune('a'+i))
					err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
						first, err := w.repos.Idempotency.Claim(ctx, record(w.ws.ID(), "race", "h", res, at), at.Add(-time.Hour))
						if err != nil {
							return err
						}
						if first == nil {
							wins <- res
						}
						return nil
					})
					if err != nil {
						Expect(err).To(Or(MatchError(domain.ErrConflict), MatchError(domain.ErrUnavailable)))
					}
				})
			}
			wg.Wait()
			close(wins)
			var won []string
			for r := range wins {
				won = append(won, r)
			}
			Expect(won).To(HaveLen(1))
			got, err := w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "race", at.Add(-time.Hour))
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ResourceID).To(Equal(won[0]))
		})

		It("deletes the records created before a time, in every workspace", func() {
			t1, t2, t3 := w.clock.Next(), w.clock.Next(), w.clock.Next()
			claim(w.ctx, record(w.ws.ID(), "a", "h", "r", t1), t1.Add(-time.Hour))
			claim(w.ctx, record(w.other.ID(), "b", "h", "r", t2), t1.Add(-time.Hour))
			claim(w.ctx, record(w.ws.ID(), "c", "h", "r", t3), t1.Add(-time.Hour))
			n, err := w.repos.Idempotency.DeleteBefore(w.ctx, t3)
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(2))
			_, err = w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "a", time.Time{})
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Idempotency.Get(w.ctx, w.ws.ID(), "c", time.Time{})
			Expect(err).NotTo(HaveOccurred())
		})
	})
}

func describeWebhooks(get func() *world) {
	Describe("WebhookRepository and WebhookDeliveryRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		newWebhook := func(ws string) *domain.Webhook {
			GinkgoHelper()
			h, err := domain.NewWebhook(domain.NewWebhookParams{
				ID: newID(), WorkspaceID: ws, URL: "https://hooks.example.com/ade?x=1",
				Events: []string{domain.EventJobFailed, domain.EventJobSucceeded}, Secret: "whsec_" + newID(),
				CreatedBy: "key-1", Now: w.clock.Next(),
			})
			Expect(err).NotTo(HaveOccurred())
			return h
		}
		create := func(ws string) *domain.Webhook {
			GinkgoHelper()
			h := newWebhook(ws)
			Expect(w.repos.Webhooks.Create(w.ctx, h)).To(Succeed())
			return h
		}

		It("round-trips every field, refuses a duplicate id and hides other workspaces", func() {
			h := create(w.ws.ID())
			got, err := w.repos.Webhooks.Get(w.ctx, w.ws.ID(), h.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(h.State()))
			Expect(w.repos.Webhooks.Create(w.ctx, h)).To(MatchError(domain.ErrConflict))
			_, err = w.repos.Webhooks.Get(w.ctx, w.other.ID(), h.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("lists live webhooks newest first and keeps deleted ones readable by id", func() {
			a := create(w.ws.ID())
			b := create(w.ws.ID())
			create(w.other.ID())
			list := func() []string {
				out, err := w.repos.Webhooks.List(w.ctx, w.ws.ID(), ports.Page{})
				Expect(err).NotTo(HaveOccurred())
				return ids(out)
			}
			Expect(list()).To(Equal([]string{b.ID(), a.ID()}))
			deleted, err := w.repos.Webhooks.Update(w.ctx, w.ws.ID(), a.ID(), func(h *domain.Webhook) error { return h.Delete(w.clock.Next()) })
			Expect(err).NotTo(HaveOccurred())
			Expect(deleted.IsDeleted()).To(BeTrue())
			Expect(list()).To(Equal([]string{b.ID()}))
			got, err := w.repos.Webhooks.Get(w.ctx, w.ws.ID(), a.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.IsDeleted()).To(BeTrue())
			Expect(got.Secret()).To(Equal(a.Secret()), "the secret survives an update")

			_, err = w.repos.Webhooks.Update(w.ctx, w.ws.ID(), a.ID(), func(h *domain.Webhook) error { return h.Delete(w.clock.Next()) })
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("logs deliveries newest first per webhook and deletes old ones", func() {
			h := create(w.ws.ID())
			other := create(w.ws.ID())
			delivery := func(hook *domain.Webhook, attempt, status int, msg string) domain.WebhookDelivery {
				d := domain.WebhookDelivery{ID: newID(), WorkspaceID: hook.WorkspaceID(), WebhookID: hook.ID(), EventID: newID(),
					EventType: domain.EventJobSucceeded, Attempt: attempt, StatusCode: status, Error: msg, DeliveredAt: w.clock.Next()}
				Expect(w.repos.Deliveries.Record(w.ctx, d)).To(Succeed())
				return d
			}
			d1 := delivery(h, 1, 0, "connection refused")
			d2 := delivery(h, 2, 500, "the receiver answered 500")
			delivery(other, 1, 204, "")
			d3 := delivery(h, 3, 204, "")
			Expect(w.repos.Deliveries.Record(w.ctx, d3)).To(MatchError(domain.ErrConflict))

			got, err := w.repos.Deliveries.List(w.ctx, w.ws.ID(), h.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal([]domain.WebhookDelivery{d3, d2, d1}))
			Expect(got[0].DeliveredAt.Location()).To(Equal(time.UTC))
			page, err := w.repos.Deliveries.List(w.ctx, w.ws.ID(), h.ID(), ports.Page{Limit: 1, Offset: 1})
			Expect(err).NotTo(HaveOccurred())
			Expect(page).To(Equal([]domain.WebhookDelivery{d2}))

			n, err := w.repos.Deliveries.DeleteBefore(w.ctx, d2.DeliveredAt)
			Expect(err).NotTo(HaveOccurred())
			Expect(n).To(Equal(1))
			got, err = w.repos.Deliveries.List(w.ctx, w.ws.ID(), h.ID(), ports.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal([]domain.WebhookDelivery{d3, d2}))
		})
	})
}

func describeFeed(get func() *world) {
	Describe("EventFeed", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("signals a subscriber when an event about its entity commits, and only then", func() {
			signals, cancel := w.repos.Feed.Subscribe(w.ws.ID(), "job-1")
			DeferCleanup(cancel)
			otherEntity, cancelOther := w.repos.Feed.Subscribe(w.ws.ID(), "job-2")
			DeferCleanup(cancelOther)

			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				return w.repos.EventSink.Append(ctx, w.newEvent(w.ws.ID(), domain.EventJobRunning, domain.EntityJob, "job-1"))
			})
			Expect(err).NotTo(HaveOccurred())
			Eventually(signals, signalWait).Should(Receive())

			err = w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				Expect(w.repos.EventSink.Append(ctx, w.newEvent(w.ws.ID(), domain.EventJobFailed, domain.EntityJob, "job-1"))).To(Succeed())
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			Consistently(signals, 300*time.Millisecond).ShouldNot(Receive(), "a rolled-back event signals nothing")
			Expect(otherEntity).NotTo(Receive(), "another entity's subscriber hears nothing")
		})

		It("coalesces signals without blocking the writer, and stops after cancel", func() {
			signals, cancel := w.repos.Feed.Subscribe(w.ws.ID(), "job-3")
			for range 20 {
				Expect(w.repos.EventSink.Append(w.ctx, w.newEvent(w.ws.ID(), domain.EventJobRunning, domain.EntityJob, "job-3"))).To(Succeed())
			}
			Eventually(signals, signalWait).Should(Receive())
			cancel()
			cancel() // twice is fine
			Expect(w.repos.EventSink.Append(w.ctx, w.newEvent(w.ws.ID(), domain.EventJobRunning, domain.EntityJob, "job-3"))).To(Succeed())
			Consistently(signals, 300*time.Millisecond).ShouldNot(Receive())
		})
	})
}

// DescribeFeedAcrossHandles registers the cross-process half of the
// EventFeed contract: factory returns two handles on one store (as two
// processes would open it), and an event committed through the first
// must signal a subscriber of the second.
func DescribeFeedAcrossHandles(name string, factory func() (writer, reader ports.Repositories)) bool {
	return Describe(name+" EventFeed across handles", func() {
		It("signals a subscriber of another handle when an event commits", func() {
			wr, rd := factory()
			w := newWorld(wr)
			signals, cancel := rd.Feed.Subscribe(w.ws.ID(), "job-x")
			DeferCleanup(cancel)
			// A signal may come once the feed starts (it cannot know what
			// it missed before); the one that counts comes after the
			// commit.
			time.Sleep(1500 * time.Millisecond)
			for len(signals) > 0 {
				<-signals
			}
			Consistently(signals, 300*time.Millisecond).ShouldNot(Receive())
			Expect(wr.EventSink.Append(w.ctx, w.newEvent(w.ws.ID(), domain.EventJobRunning, domain.EntityJob, "job-x"))).To(Succeed())
			Eventually(signals, signalWait).Should(Receive())
		})
	})
}
