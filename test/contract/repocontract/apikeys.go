package repocontract

import (
	"context"
	"crypto/rand"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// newKeyText returns a fresh key text of the generated shape.
func newKeyText() string { return domain.APIKeyPrefix + rand.Text() + rand.Text() }

func (w *world) newAPIKey(workspaceID string, role domain.Role) *domain.APIKey {
	k, err := domain.NewAPIKey(domain.NewAPIKeyParams{
		ID: newID(), WorkspaceID: workspaceID, Role: role, Label: "key " + string(role),
		Key: newKeyText(), Now: w.clock.Next(),
	})
	Expect(err).NotTo(HaveOccurred())
	return k
}

func (w *world) createAPIKey(workspaceID string, role domain.Role) *domain.APIKey {
	k := w.newAPIKey(workspaceID, role)
	Expect(w.repos.APIKeys.Create(w.ctx, k)).To(Succeed())
	return k
}

func describeAPIKeys(get func() *world) {
	Describe("APIKeyRepository", func() {
		var w *world
		BeforeEach(func() { w = get() })

		It("round-trips every field of workspace and global keys, by id and by hash", func() {
			for _, k := range []*domain.APIKey{w.createAPIKey(w.ws.ID(), domain.RoleViewer), w.createAPIKey("", domain.RoleAdmin)} {
				got, err := w.repos.APIKeys.Get(w.ctx, k.ID())
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State()).To(Equal(k.State()))
				Expect(got.State().CreatedAt.Location()).To(Equal(time.UTC))
				byHash, err := w.repos.APIKeys.GetByHash(w.ctx, k.Hash())
				Expect(err).NotTo(HaveOccurred())
				Expect(byHash.State()).To(Equal(k.State()))
			}
		})

		It("answers ErrNotFound for an unknown id or hash", func() {
			_, err := w.repos.APIKeys.Get(w.ctx, newID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.APIKeys.GetByHash(w.ctx, domain.HashAPIKey(newKeyText()))
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = w.repos.APIKeys.Update(w.ctx, newID(), func(*domain.APIKey) error { return nil })
			Expect(err).To(MatchError(domain.ErrNotFound))
		})

		It("refuses a duplicate id or hash with ErrConflict", func() {
			k := w.createAPIKey(w.ws.ID(), domain.RoleEditor)
			Expect(w.repos.APIKeys.Create(w.ctx, k)).To(MatchError(domain.ErrConflict))
			s := w.newAPIKey(w.other.ID(), domain.RoleViewer).State()
			s.Hash = k.Hash()
			Expect(w.repos.APIKeys.Create(w.ctx, domain.RehydrateAPIKey(s))).To(MatchError(domain.ErrConflict))
		})

		It("refuses a key of a workspace that does not exist", func() {
			err := w.repos.APIKeys.Create(w.ctx, w.newAPIKey(newID(), domain.RoleViewer))
			Expect(err).To(Or(MatchError(domain.ErrUnprocessable), MatchError(domain.ErrNotFound)))
		})

		It("lists newest first, by workspace or global only", func() {
			a1 := w.createAPIKey(w.ws.ID(), domain.RoleViewer)
			g := w.createAPIKey("", domain.RoleAdmin)
			b1 := w.createAPIKey(w.other.ID(), domain.RoleAdmin)
			a2 := w.createAPIKey(w.ws.ID(), domain.RoleAdmin)
			list := func(f ports.APIKeyFilter, p ports.Page) []string {
				out, err := w.repos.APIKeys.List(w.ctx, f, p)
				Expect(err).NotTo(HaveOccurred())
				return ids(out)
			}
			all := ports.Page{Limit: 50}
			Expect(list(ports.APIKeyFilter{}, all)).To(Equal([]string{a2.ID(), b1.ID(), g.ID(), a1.ID()}))
			Expect(list(ports.APIKeyFilter{WorkspaceID: w.ws.ID()}, all)).To(Equal([]string{a2.ID(), a1.ID()}))
			Expect(list(ports.APIKeyFilter{GlobalOnly: true}, all)).To(Equal([]string{g.ID()}))
			Expect(list(ports.APIKeyFilter{}, ports.Page{Limit: 2, Offset: 1})).To(Equal([]string{b1.ID(), g.ID()}))
			Expect(list(ports.APIKeyFilter{WorkspaceID: newID()}, all)).To(BeEmpty())
		})

		It("revokes through Update, keeping the revocation", func() {
			k := w.createAPIKey(w.ws.ID(), domain.RoleEditor)
			at := w.clock.Next()
			revoked, err := w.repos.APIKeys.Update(w.ctx, k.ID(), func(k *domain.APIKey) error { return k.Revoke(at) })
			Expect(err).NotTo(HaveOccurred())
			Expect(*revoked.State().RevokedAt).To(Equal(at))
			got, err := w.repos.APIKeys.GetByHash(w.ctx, k.Hash())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State()).To(Equal(revoked.State()))
			Expect(got.State().RevokedAt.Location()).To(Equal(time.UTC))
			_, err = w.repos.APIKeys.Update(w.ctx, k.ID(), func(k *domain.APIKey) error { return k.Revoke(w.clock.Next()) })
			Expect(err).To(MatchError(domain.ErrConflict))
		})

		It("returns fn's error and stores nothing when fn fails", func() {
			k := w.createAPIKey(w.ws.ID(), domain.RoleEditor)
			_, err := w.repos.APIKeys.Update(w.ctx, k.ID(), func(k *domain.APIKey) error {
				Expect(k.Revoke(w.clock.Next())).To(Succeed())
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			got, err := w.repos.APIKeys.Get(w.ctx, k.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Revoked()).To(BeFalse())
		})

		It("lets exactly one of many concurrent revocations win", func() {
			k := w.createAPIKey(w.ws.ID(), domain.RoleEditor)
			revokes := make([]func() error, 20)
			for i := range revokes {
				revokes[i] = func() error {
					_, err := w.repos.APIKeys.Update(w.ctx, k.ID(), func(k *domain.APIKey) error { return k.Revoke(time.Now()) })
					return err
				}
			}
			expectOneWinner(revokes)
		})

		It("moves last_used_at forward only, ignoring unknown ids and leaving the rest as it was", func() {
			k := w.createAPIKey(w.ws.ID(), domain.RoleViewer)
			other := w.createAPIKey(w.ws.ID(), domain.RoleViewer)
			t1 := w.clock.Next()
			t2 := w.clock.Next()
			Expect(w.repos.APIKeys.TouchLastUsed(w.ctx, map[string]time.Time{k.ID(): t2, newID(): t2})).To(Succeed())
			Expect(w.repos.APIKeys.TouchLastUsed(w.ctx, map[string]time.Time{k.ID(): t1})).To(Succeed())
			got, err := w.repos.APIKeys.Get(w.ctx, k.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().LastUsedAt).NotTo(BeNil())
			Expect(*got.State().LastUsedAt).To(Equal(t2))
			want := k.State()
			want.LastUsedAt = got.State().LastUsedAt
			Expect(got.State()).To(Equal(want))
			untouched, err := w.repos.APIKeys.Get(w.ctx, other.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(untouched.State()).To(Equal(other.State()))
			Expect(w.repos.APIKeys.TouchLastUsed(w.ctx, nil)).To(Succeed())
		})

		It("does not undo a revocation when last use is recorded afterwards", func() {
			k := w.createAPIKey(w.ws.ID(), domain.RoleViewer)
			_, err := w.repos.APIKeys.Update(w.ctx, k.ID(), func(k *domain.APIKey) error { return k.Revoke(w.clock.Next()) })
			Expect(err).NotTo(HaveOccurred())
			Expect(w.repos.APIKeys.TouchLastUsed(w.ctx, map[string]time.Time{k.ID(): w.clock.Next()})).To(Succeed())
			got, err := w.repos.APIKeys.Get(w.ctx, k.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Revoked()).To(BeTrue())
		})

		It("rolls back a key created in a failed transaction", func() {
			k := w.newAPIKey(w.ws.ID(), domain.RoleAdmin)
			err := w.repos.Tx.WithinTx(w.ctx, func(ctx context.Context) error {
				if err := w.repos.APIKeys.Create(ctx, k); err != nil {
					return err
				}
				return errBoom
			})
			Expect(err).To(MatchError(errBoom))
			_, err = w.repos.APIKeys.GetByHash(w.ctx, k.Hash())
			Expect(err).To(MatchError(domain.ErrNotFound))
		})
	})
}
