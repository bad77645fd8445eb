package repocontract

import (
	"context"
	"errors"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

func describeBlobIntents(get func() *world) {
	Describe("BlobIntentRepository and InstanceRepository", func() {
		var w *world
		var t0 time.Time
		BeforeEach(func() {
			w = get()
			t0 = w.clock.Next()
		})
		intent := func(key, owner string, at time.Time) ports.BlobIntent {
			return ports.BlobIntent{Key: key, WorkspaceID: w.ws.ID(), Owner: owner, CreatedAt: at}
		}
		keys := func(in []ports.BlobIntent) []string {
			out := make([]string, len(in))
			for i, x := range in {
				out[i] = x.Key
			}
			return out
		}
		abandoned := func(now time.Time) []string {
			GinkgoHelper()
			in, err := w.repos.BlobIntents.Abandoned(w.ctx, now, now.Add(-24*time.Hour), 0)
			Expect(err).NotTo(HaveOccurred())
			return keys(in)
		}

		It("records an intent once and resolves it once", func() {
			Expect(w.repos.BlobIntents.Add(w.ctx, intent("documents/a", "p1", t0))).To(Succeed())
			Expect(w.repos.BlobIntents.Add(w.ctx, intent("documents/a", "p2", t0))).To(MatchError(domain.ErrConflict))
			Expect(w.repos.BlobIntents.Resolve(w.ctx, "documents/a")).To(Succeed())
			Expect(w.repos.BlobIntents.Resolve(w.ctx, "documents/a")).To(MatchError(domain.ErrNotFound))
			Expect(w.repos.BlobIntents.Resolve(w.ctx, "documents/never")).To(MatchError(domain.ErrNotFound))
		})

		It("lists as abandoned the intents of owners without a live lease, oldest first, and of live owners only when stale", func() {
			Expect(w.repos.Instances.Renew(w.ctx, "alive", t0.Add(time.Minute))).To(Succeed())
			Expect(w.repos.Instances.Renew(w.ctx, "lapsed", t0.Add(-time.Second))).To(Succeed())
			Expect(w.repos.BlobIntents.Add(w.ctx, intent("k/alive", "alive", t0))).To(Succeed())
			Expect(w.repos.BlobIntents.Add(w.ctx, intent("k/lapsed", "lapsed", t0.Add(2*time.Millisecond)))).To(Succeed())
			Expect(w.repos.BlobIntents.Add(w.ctx, intent("k/gone", "gone", t0.Add(time.Millisecond)))).To(Succeed())
			Expect(w.repos.BlobIntents.Add(w.ctx, intent("k/stale", "alive", t0.Add(-25*time.Hour)))).To(Succeed())

			Expect(abandoned(t0)).To(Equal([]string{"k/stale", "k/gone", "k/lapsed"}))
			// The lease is renewed: still alive at its old end.
			Expect(w.repos.Instances.Renew(w.ctx, "lapsed", t0.Add(time.Hour))).To(Succeed())
			Expect(abandoned(t0)).To(Equal([]string{"k/stale", "k/gone"}))
			// A lease lasts until, not past, its end.
			Expect(abandoned(t0.Add(time.Minute))).To(Equal([]string{"k/stale", "k/alive", "k/gone"}))
			// A released lease is gone at once.
			Expect(w.repos.Instances.Release(w.ctx, "lapsed")).To(Succeed())
			Expect(w.repos.Instances.Release(w.ctx, "never-held")).To(Succeed())
			Expect(abandoned(t0)).To(Equal([]string{"k/stale", "k/gone", "k/lapsed"}))

			limited, err := w.repos.BlobIntents.Abandoned(w.ctx, t0, t0.Add(-24*time.Hour), 2)
			Expect(err).NotTo(HaveOccurred())
			Expect(keys(limited)).To(Equal([]string{"k/stale", "k/gone"}))
			Expect(limited[1]).To(Equal(intent("k/gone", "gone", t0.Add(time.Millisecond))))
			Expect(limited[1].CreatedAt.Location()).To(Equal(time.UTC))
		})

		It("adds and resolves inside the caller's transaction", func() {
			boom := errors.New("boom")
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				Expect(w.repos.BlobIntents.Add(ctx, intent("k/rolled-back", "p", t0))).To(Succeed())
				return boom
			})
			Expect(err).To(MatchError(boom))
			Expect(w.repos.BlobIntents.Resolve(w.ctx, "k/rolled-back")).To(MatchError(domain.ErrNotFound))

			Expect(w.repos.BlobIntents.Add(w.ctx, intent("k/kept", "p", t0))).To(Succeed())
			err = w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				Expect(w.repos.BlobIntents.Resolve(ctx, "k/kept")).To(Succeed())
				return boom
			})
			Expect(err).To(MatchError(boom))
			Expect(abandoned(t0)).To(ContainElement("k/kept"), "the resolution was rolled back")
		})

		It("lets exactly one of concurrent resolutions of a key succeed", func() {
			const n = 8
			for round := range 5 {
				key := "k/race-" + string(rune('a'+round))
				Expect(w.repos.BlobIntents.Add(w.ctx, intent(key, "p", t0))).To(Succeed())
				var wg sync.WaitGroup
				var mu sync.Mutex
				won, lost := 0, 0
				for range n {
					wg.Go(func() {
						defer GinkgoRecover()
						err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
							return w.repos.BlobIntents.Resolve(ctx, key)
						})
						mu.Lock()
						defer mu.Unlock()
						switch {
						case err == nil:
							won++
						case errors.Is(err, domain.ErrNotFound):
							lost++
						default:
							Fail("resolve: " + err.Error())
						}
					})
				}
				wg.Wait()
				Expect(won).To(Equal(1))
				Expect(lost).To(Equal(n - 1))
			}
		})
	})
}
