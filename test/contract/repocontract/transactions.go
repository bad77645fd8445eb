package repocontract

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// describeTransactions registers the contract of ports.Transactor across the repositories.
func describeTransactions(get func() *world) {
	Describe("Transactor", func() {
		var w *world
		BeforeEach(func() { w = get() })

		// createWithEvent creates a job and its event in ctx's transaction.
		createWithEvent := func(ctx context.Context, j *domain.Job) error {
			if err := w.repos.Jobs.Create(ctx, j); err != nil {
				return err
			}
			return w.repos.EventSink.Append(ctx, w.newEvent(w.ws.ID(), domain.EventJobCreated, domain.EntityJob, j.ID()))
		}
		jobEvents := func(jobID string) []*domain.Event {
			out, err := w.repos.Events.List(w.ctx, w.ws.ID(), ports.EventFilter{EntityID: jobID}, ports.Page{Limit: 50})
			Expect(err).NotTo(HaveOccurred())
			return out
		}

		It("commits the change and its event together", func() {
			j := w.newJob()
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error { return createWithEvent(ctx, j) })).To(Succeed())
			_, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(jobEvents(j.ID())).To(HaveLen(1))
		})

		It("sees its own writes inside the transaction", func() {
			j := w.newJob()
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, j); err != nil {
					return err
				}
				got, err := w.repos.Jobs.Get(ctx, w.ws.ID(), j.ID())
				if err != nil {
					return err
				}
				Expect(got.ID()).To(Equal(j.ID()))
				_, err = w.repos.Jobs.Update(ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error { return j.Start(w.clock.Next()) })
				return err
			})).To(Succeed())
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status()).To(Equal(domain.JobRunning))
		})

		It("leaves neither the row nor its event when fn fails", func() {
			j := w.newJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, j); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			Expect(jobEvents(j.ID())).To(BeEmpty())
		})

		It("rolls back an Update made in a failed transaction", func() {
			j := w.createJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if _, err := w.repos.Jobs.Update(ctx, w.ws.ID(), j.ID(), func(j *domain.Job) error { return j.Start(w.clock.Next()) }); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			got, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status()).To(Equal(domain.JobPending))
		})

		It("rolls back and re-panics when fn panics", func() {
			j := w.newJob()
			Expect(func() {
				_ = w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
					Expect(createWithEvent(ctx, j)).To(Succeed())
					panic("kaboom")
				})
			}).To(PanicWith("kaboom"))
			_, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			Expect(jobEvents(j.ID())).To(BeEmpty())
			// The store still works after the panic.
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error { return createWithEvent(ctx, j) })).To(Succeed())
		})

		It("joins the outer transaction from a nested call", func() {
			inner, outer := w.newJob(), w.newJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, outer); err != nil {
					return err
				}
				if err := w.repos.Tx.WithinTx(ctx, func(ctx context.Context) error { return createWithEvent(ctx, inner) }); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			for _, j := range []*domain.Job{inner, outer} {
				_, err := w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
				Expect(err).To(MatchError(domain.ErrNotFound))
				Expect(jobEvents(j.ID())).To(BeEmpty())
			}

			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				return w.repos.Tx.WithinTx(ctx, func(ctx context.Context) error { return createWithEvent(ctx, inner) })
			})).To(Succeed())
			_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), inner.ID())
			Expect(err).NotTo(HaveOccurred())
		})

		It("rolls back a failed unique insert's transaction entirely", func() {
			j := w.newJob()
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := createWithEvent(ctx, j); err != nil {
					return err
				}
				return w.repos.Documents.Create(ctx, w.doc)
			})
			Expect(err).To(MatchError(domain.ErrConflict))
			_, err = w.repos.Jobs.Get(w.ctx, w.ws.ID(), j.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
		})
	})
}
