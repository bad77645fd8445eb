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

// describeConfigurations registers the contract of ports.ConfigurationRepository.
func describeConfigurations(get func() *world) {
	Describe("ConfigurationRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		activate := func(workspaceID, id string) (*domain.Configuration, error) {
			return w.repos.Configurations.Update(w.ctx, workspaceID, id, func(c *domain.Configuration) error {
				c.Activate(w.clock.Next())
				return nil
			})
		}

		It("round-trips every field", func() {
			got, err := w.repos.Configurations.Get(w.ctx, w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(w.config.State()))
			Expect(got.State().ActivatedAt).To(BeNil())

			active, err := activate(w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())
			got, err = w.repos.Configurations.Get(w.ctx, w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(active.State()))
			Expect(got.IsActive()).To(BeTrue())
			Expect(got.State().ActivatedAt).NotTo(BeNil())
			Expect(got.State().ActivatedAt.Location()).To(Equal(time.UTC))
		})

		It("answers ErrNotFound for unknown ids and other workspaces' configurations", func() {
			_, err := w.repos.Configurations.Get(w.ctx, w.ws.ID(), newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.Configurations.Get(w.ctx, w.ws.ID(), w.otherConf.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = activate(w.ws.ID(), w.otherConf.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("tracks the highest version per document type and workspace", func() {
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.ws.ID(), "receipt")).To(Equal(0))
			w.createConfiguration(w.ws.ID(), "invoice", 2)
			w.createConfiguration(w.ws.ID(), "invoice", 3)
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.ws.ID(), "invoice")).To(Equal(3))
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.other.ID(), "invoice")).To(Equal(1))
		})

		It("serialises the transactions that lock one document type, so read-then-insert versions never collide", func() {
			var wg sync.WaitGroup
			errs := make(chan error, 12)
			for range 12 {
				wg.Go(func() {
					defer GinkgoRecover()
					errs <- w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
						if err := w.repos.Configurations.LockDocumentType(ctx, w.ws.ID(), "receipt"); err != nil {
							return err
						}
						v, err := w.repos.Configurations.MaxVersion(ctx, w.ws.ID(), "receipt")
						if err != nil {
							return err
						}
						return w.repos.Configurations.Create(ctx, w.newConfiguration(w.ws.ID(), "receipt", v+1))
					})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
			Expect(w.repos.Configurations.MaxVersion(w.ctx, w.ws.ID(), "receipt")).To(Equal(12))
		})

		It("refuses to lock a document type outside a transaction", func() {
			Expect(w.repos.Configurations.LockDocumentType(w.ctx, w.ws.ID(), "receipt")).NotTo(Succeed())
		})

		It("refuses a duplicate id or version with ErrConflict", func() {
			Expect(w.repos.Configurations.Create(w.ctx, w.config)).To(MatchError(domain.ErrConflict))
			dup := w.newConfiguration(w.ws.ID(), "invoice", 1)
			Expect(w.repos.Configurations.Create(w.ctx, dup)).To(MatchError(domain.ErrConflict))
			// The same version in another workspace or of another type is fine.
			Expect(w.repos.Configurations.Create(w.ctx, w.newConfiguration(w.ws.ID(), "receipt", 1))).To(Succeed())
		})

		It("keeps at most one active configuration per document type", func() {
			_, err := activate(w.ws.ID(), w.config.ID())
			Expect(err).NotTo(HaveOccurred())

			second := w.newConfiguration(w.ws.ID(), "invoice", 2)
			second.Activate(w.clock.Next())
			Expect(w.repos.Configurations.Create(w.ctx, second)).To(MatchError(domain.ErrConflict))

			third := w.createConfiguration(w.ws.ID(), "invoice", 3)
			_, err = activate(w.ws.ID(), third.ID())
			Expect(err).To(MatchError(domain.ErrConflict))

			active, err := w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).NotTo(HaveOccurred())
			Expect(active.ID()).To(Equal(w.config.ID()))

			// Switching in one transaction works.
			Expect(w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if _, err := w.repos.Configurations.Update(ctx, w.ws.ID(), w.config.ID(), func(c *domain.Configuration) error {
					c.Deactivate(w.clock.Next())
					return nil
				}); err != nil {
					return err
				}
				_, err := w.repos.Configurations.Update(ctx, w.ws.ID(), third.ID(), func(c *domain.Configuration) error {
					c.Activate(w.clock.Next())
					return nil
				})
				return err
			})).To(Succeed())
			active, err = w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).NotTo(HaveOccurred())
			Expect(active.ID()).To(Equal(third.ID()))
		})

		It("answers ErrNotFound from GetActive when no version is active", func() {
			_, err := w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = activate(w.other.ID(), w.otherConf.ID())
			Expect(err).NotTo(HaveOccurred())
			_, err = w.repos.Configurations.GetActive(w.ctx, w.ws.ID(), "invoice")
			Expect(err).To(MatchError(domain.ErrNotFound), "another workspace's active version is invisible")
		})

		It("lists newest first and filters by document type and active flag", func() {
			c2 := w.createConfiguration(w.ws.ID(), "invoice", 2)
			r1 := w.createConfiguration(w.ws.ID(), "receipt", 1)
			_, err := activate(w.ws.ID(), c2.ID())
			Expect(err).NotTo(HaveOccurred())

			list := func(f ports.ConfigurationFilter, p ports.Page) []string {
				out, err := w.repos.Configurations.List(w.ctx, w.ws.ID(), f, p)
				Expect(err).NotTo(HaveOccurred())
				return ids(out)
			}
			all := ports.Page{Limit: 50}
			Expect(list(ports.ConfigurationFilter{}, all)).To(Equal([]string{r1.ID(), c2.ID(), w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{}, ports.Page{Limit: 1, Offset: 2})).To(Equal([]string{w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{DocumentType: "invoice"}, all)).To(Equal([]string{c2.ID(), w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{IsActive: ptr(true)}, all)).To(Equal([]string{c2.ID()}))
			Expect(list(ports.ConfigurationFilter{IsActive: ptr(false)}, all)).To(Equal([]string{r1.ID(), w.config.ID()}))
			Expect(list(ports.ConfigurationFilter{DocumentType: "receipt", IsActive: ptr(true)}, all)).To(BeEmpty())
		})
	})
}
