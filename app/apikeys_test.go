package app_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ade-go/ade/adapters/blobstore"
	"github.com/ade-go/ade/adapters/extractor/stub"
	"github.com/ade-go/ade/adapters/memory"
	"github.com/ade-go/ade/adapters/system"
	"github.com/ade-go/ade/app"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// countingKeys counts the lookups and writes that reach the key
// repository, and can fail like a database that went away.
type countingKeys struct {
	ports.APIKeyRepository
	lookups, touches atomic.Int64
	down             atomic.Bool
	// slow, when set, makes each lookup take that long.
	slow atomic.Int64
}

var errStoreDown = errors.New("connection refused: " + domain.ErrUnavailable.Error())

func (c *countingKeys) GetByHash(ctx context.Context, hash string) (*domain.APIKey, error) {
	c.lookups.Add(1)
	if c.down.Load() {
		return nil, errors.Join(domain.ErrUnavailable, errStoreDown)
	}
	time.Sleep(time.Duration(c.slow.Load()))
	return c.APIKeyRepository.GetByHash(ctx, hash)
}

func (c *countingKeys) TouchLastUsed(ctx context.Context, used map[string]time.Time) error {
	c.touches.Add(1)
	if c.down.Load() {
		return errors.Join(domain.ErrUnavailable, errStoreDown)
	}
	return c.APIKeyRepository.TouchLastUsed(ctx, used)
}

// keysEnv is an application whose key repository is counted, over one
// memory store that a second application ("another process") can share.
type keysEnv struct {
	*env
	keys *countingKeys
	mem  *memory.Store
}

func newKeysEnv(store *memory.Store, clock *stepClock) *keysEnv {
	ctx := context.Background()
	bs, err := blobstore.Open(ctx, "mem://")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(bs.Close)
	exs, err := app.NewExtractors(stub.Extractor{})
	Expect(err).NotTo(HaveOccurred())
	repos := store.Repositories()
	keys := &countingKeys{APIKeyRepository: repos.APIKeys}
	repos.APIKeys = keys
	queue := memory.NewQueue(store, memory.QueueOptions{Workers: 1})
	a, err := app.New(app.Deps{Repos: repos, Queue: queue, Blobs: bs, Extractors: exs, Clock: clock, IDs: system.NewULIDs()})
	Expect(err).NotTo(HaveOccurred())
	queue.Start(a.Tasks)
	DeferCleanup(queue.Stop)
	ws, err := a.Workspaces.EnsureDefault(ctx)
	Expect(err).NotTo(HaveOccurred())
	return &keysEnv{env: &env{app: a, repos: repos, clock: clock, ws: ws.ID(), ctx: ctx}, keys: keys, mem: store}
}

var _ = Describe("API keys", func() {
	var e *keysEnv
	BeforeEach(func() { e = newKeysEnv(memory.New(), &stepClock{}) })

	create := func(ws string, role domain.Role) app.CreatedAPIKey {
		GinkgoHelper()
		k, err := e.app.Keys.Create(e.ctx, app.CreateAPIKeyRequest{WorkspaceID: ws, Role: role, Label: "ci " + string(role)})
		Expect(err).NotTo(HaveOccurred())
		return k
	}

	It("makes 256-bit keys with the ade_ prefix, shown once and stored as a hash", func() {
		a, b := create(e.ws, domain.RoleEditor), create(e.ws, domain.RoleEditor)
		Expect(a.Text).To(MatchRegexp(`^ade_[A-Z2-7]{52}$`))
		Expect(a.Text).NotTo(Equal(b.Text))
		stored, err := e.mem.Repositories().APIKeys.Get(e.ctx, a.Key.ID())
		Expect(err).NotTo(HaveOccurred())
		Expect(stored.Hash()).To(Equal(domain.HashAPIKey(a.Text)))
		Expect(stored.State().Label).To(Equal("ci editor"))
	})

	It("records api_key.created and api_key.revoked without any key material", func() {
		ctx := app.WithActor(e.ctx, domain.Actor{Type: domain.ActorAPIKey, ID: "01ACTOR", Label: "the admin"})
		k, err := e.app.Keys.Create(ctx, app.CreateAPIKeyRequest{WorkspaceID: e.ws, Role: domain.RoleViewer, Label: "reader"})
		Expect(err).NotTo(HaveOccurred())
		_, err = e.app.Keys.Revoke(ctx, e.ws, k.Key.ID())
		Expect(err).NotTo(HaveOccurred())
		evs, err := e.app.Events.List(e.ctx, e.ws, ports.EventFilter{EntityID: k.Key.ID(), Ascending: true}, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(evs.Items).To(HaveLen(2))
		for i, want := range []string{domain.EventAPIKeyCreated, domain.EventAPIKeyRevoked} {
			s := evs.Items[i].State()
			Expect(s.EventType).To(Equal(want))
			Expect(s.EntityType).To(Equal(domain.EntityAPIKey))
			Expect(s.ActorID).To(Equal("01ACTOR"))
			Expect(s.Payload).To(Equal(map[string]any{"role": "viewer", "label": "reader"}))
			Expect(strings.Contains(s.Payload["label"].(string)+s.ActorLabel, k.Text[4:])).To(BeFalse())
		}
	})

	It("refuses a global key that is not admin and a key of a missing workspace", func() {
		_, err := e.app.Keys.Create(e.ctx, app.CreateAPIKeyRequest{Role: domain.RoleViewer})
		Expect(err).To(MatchError(domain.ErrInvalidInput))
		_, err = e.app.Keys.Create(e.ctx, app.CreateAPIKeyRequest{WorkspaceID: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Role: domain.RoleViewer})
		Expect(err).To(MatchError(domain.ErrUnprocessable))
	})

	Describe("authentication", func() {
		It("accepts a valid key and refuses malformed, unknown and revoked ones, saying why only to the caller", func() {
			k := create(e.ws, domain.RoleViewer)
			got, err := e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ID()).To(Equal(k.Key.ID()))

			reason := func(text string) string {
				GinkgoHelper()
				_, err := e.app.Keys.Authenticate(e.ctx, text)
				Expect(err).To(MatchError(domain.ErrUnauthenticated))
				var ae *app.AuthenticationError
				Expect(errors.As(err, &ae)).To(BeTrue())
				Expect(err.Error()).NotTo(ContainSubstring(text))
				return ae.Reason
			}
			Expect(reason("Bearer nonsense")).To(Equal(app.KeyMalformed))
			Expect(reason(k.Text[:20])).To(Equal(app.KeyMalformed))
			Expect(reason(k.Text + "A")).To(Equal(app.KeyUnknown))
			_, err = e.app.Keys.Revoke(e.ctx, e.ws, k.Key.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(reason(k.Text)).To(Equal(app.KeyRevoked), "a revocation in this process takes effect at once")
			Expect(e.app.Keys.Recheck(e.ctx, got)).To(MatchError(domain.ErrUnauthenticated))
		})

		It("keeps the hot path off the database: one lookup per key per TTL, unknown keys included", func() {
			k := create(e.ws, domain.RoleViewer)
			for range 100 {
				_, err := e.app.Keys.Authenticate(e.ctx, k.Text)
				Expect(err).NotTo(HaveOccurred())
				_, err = e.app.Keys.Authenticate(e.ctx, "ade_"+strings.Repeat("X", 40))
				Expect(err).To(MatchError(domain.ErrUnauthenticated))
				_, err = e.app.Keys.Authenticate(e.ctx, "not a key")
				Expect(err).To(MatchError(domain.ErrUnauthenticated))
			}
			Expect(e.keys.lookups.Load()).To(Equal(int64(2)))
			Expect(e.keys.touches.Load()).To(BeZero(), "no write on the request path")
			e.clock.jump(app.DefaultKeyCacheTTL)
			_, err := e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).NotTo(HaveOccurred())
			Expect(e.keys.lookups.Load()).To(Equal(int64(3)))
		})

		It("reads an expired key once however many requests (event streams) check it at that moment", func() {
			k := create(e.ws, domain.RoleViewer)
			key, err := e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).NotTo(HaveOccurred())
			before := e.keys.lookups.Load()
			e.clock.jump(app.DefaultKeyCacheTTL)
			e.keys.slow.Store(int64(50 * time.Millisecond))
			var wg sync.WaitGroup
			for range 200 {
				wg.Go(func() {
					defer GinkgoRecover()
					Expect(e.app.Keys.Recheck(e.ctx, key)).To(Succeed())
				})
			}
			wg.Wait()
			Expect(e.keys.lookups.Load() - before).To(Equal(int64(1)))
		})

		It("sees a revocation made by another process within the cache TTL, not before the TTL from its last lookup", func() {
			other := newKeysEnv(e.mem, e.clock) // a second process on the same database
			k := create(e.ws, domain.RoleEditor)
			key, err := e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).NotTo(HaveOccurred())
			_, err = other.app.Keys.Revoke(e.ctx, e.ws, k.Key.ID())
			Expect(err).NotTo(HaveOccurred())

			e.clock.jump(app.DefaultKeyCacheTTL / 2)
			_, err = e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).NotTo(HaveOccurred(), "cached: the documented delay has not passed")
			Expect(e.app.Keys.Recheck(e.ctx, key)).To(Succeed())

			e.clock.jump(app.DefaultKeyCacheTTL / 2)
			_, err = e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).To(MatchError(domain.ErrUnauthenticated))
			Expect(e.app.Keys.Recheck(e.ctx, key)).To(MatchError(domain.ErrUnauthenticated))
		})

		It("answers ErrUnavailable, not a refusal, when the database does not answer", func() {
			k := create(e.ws, domain.RoleViewer)
			e.keys.down.Store(true)
			_, err := e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).To(MatchError(domain.ErrUnavailable))
			Expect(err).NotTo(MatchError(domain.ErrUnauthenticated))
		})

		It("keeps working after a flood of unknown keys outgrows the cache", func() {
			for i := range 12_000 {
				_, err := e.app.Keys.Authenticate(e.ctx, "ade_"+strings.Repeat("Q", 36)+strconv.Itoa(i))
				Expect(err).To(MatchError(domain.ErrUnauthenticated))
			}
			k := create(e.ws, domain.RoleViewer)
			_, err := e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).NotTo(HaveOccurred())
		})
	})

	Describe("last use", func() {
		It("is recorded in batches, sampled, and never moves back", func() {
			a, b := create(e.ws, domain.RoleViewer), create(e.ws, domain.RoleEditor)
			for range 10 {
				_, err := e.app.Keys.Authenticate(e.ctx, a.Text)
				Expect(err).NotTo(HaveOccurred())
			}
			Expect(e.keys.touches.Load()).To(BeZero())
			Expect(e.app.Keys.FlushLastUsed(e.ctx)).To(Succeed())
			Expect(e.keys.touches.Load()).To(Equal(int64(1)))
			got, err := e.mem.Repositories().APIKeys.Get(e.ctx, a.Key.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().LastUsedAt).NotTo(BeNil())
			first := *got.State().LastUsedAt
			unused, err := e.mem.Repositories().APIKeys.Get(e.ctx, b.Key.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(unused.State().LastUsedAt).To(BeNil())

			// Nothing new: no write at all.
			Expect(e.app.Keys.FlushLastUsed(e.ctx)).To(Succeed())
			Expect(e.keys.touches.Load()).To(Equal(int64(1)))

			e.clock.jump(time.Minute)
			_, err = e.app.Keys.Authenticate(e.ctx, a.Text)
			Expect(err).NotTo(HaveOccurred())
			Expect(e.app.Keys.FlushLastUsed(e.ctx)).To(Succeed())
			got, err = e.mem.Repositories().APIKeys.Get(e.ctx, a.Key.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().LastUsedAt.After(first.Add(59 * time.Second))).To(BeTrue())
		})

		It("keeps uses whose write failed for the next flush", func() {
			a := create(e.ws, domain.RoleViewer)
			_, err := e.app.Keys.Authenticate(e.ctx, a.Text)
			Expect(err).NotTo(HaveOccurred())
			e.keys.down.Store(true)
			Expect(e.app.Keys.FlushLastUsed(e.ctx)).To(MatchError(domain.ErrUnavailable))
			e.keys.down.Store(false)
			Expect(e.app.Keys.FlushLastUsed(e.ctx)).To(Succeed())
			got, err := e.mem.Repositories().APIKeys.Get(e.ctx, a.Key.ID())
			Expect(err).NotTo(HaveOccurred())
			Expect(got.State().LastUsedAt).NotTo(BeNil())
		})
	})

	Describe("revocation", func() {
		It("answers 404 for another workspace's key and 409 for a revoked one", func() {
			otherWS, err := e.app.Workspaces.Create(e.ctx, "other", "Other")
			Expect(err).NotTo(HaveOccurred())
			k := create(otherWS.ID(), domain.RoleAdmin)
			_, err = e.app.Keys.Revoke(e.ctx, e.ws, k.Key.ID())
			Expect(err).To(MatchError(domain.ErrNotFound))
			_, err = e.app.Keys.Authenticate(e.ctx, k.Text)
			Expect(err).NotTo(HaveOccurred(), "a refused revocation leaves the key valid")
			_, err = e.app.Keys.Revoke(e.ctx, otherWS.ID(), k.Key.ID())
			Expect(err).NotTo(HaveOccurred())
			_, err = e.app.Keys.Revoke(e.ctx, otherWS.ID(), k.Key.ID())
			Expect(err).To(MatchError(domain.ErrConflict))
			_, err = e.app.Keys.Revoke(e.ctx, "", k.Key.ID())
			Expect(err).To(MatchError(domain.ErrNotFound), "an empty workspace is no wildcard")
		})

		It("lets operators revoke global keys", func() {
			g := create("", domain.RoleAdmin)
			_, err := e.app.Keys.RevokeAny(e.ctx, g.Key.ID())
			Expect(err).NotTo(HaveOccurred())
			_, err = e.app.Keys.Authenticate(e.ctx, g.Text)
			Expect(err).To(MatchError(domain.ErrUnauthenticated))
		})
	})

	Describe("bootstrap", func() {
		It("generates one global admin key on a database without any, and none afterwards", func() {
			r, err := e.app.Keys.Bootstrap(e.ctx, "")
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Created).To(BeTrue())
			Expect(r.Text).To(HavePrefix("ade_"))
			k, err := e.app.Keys.Authenticate(e.ctx, r.Text)
			Expect(err).NotTo(HaveOccurred())
			Expect(k.IsGlobalAdmin()).To(BeTrue())
			Expect(k.ID()).To(Equal(app.BootstrapKeyID))

			again, err := e.app.Keys.Bootstrap(e.ctx, "")
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(Equal(app.BootstrapResult{}))

			// Revoking it does not make the next start print a new one.
			_, err = e.app.Keys.RevokeAny(e.ctx, k.ID())
			Expect(err).NotTo(HaveOccurred())
			again, err = e.app.Keys.Bootstrap(e.ctx, "")
			Expect(err).NotTo(HaveOccurred())
			Expect(again.Text).To(BeEmpty())
		})

		It("makes one key between processes starting together", func() {
			var wg sync.WaitGroup
			texts := make(chan string, 8)
			for range 8 {
				p := newKeysEnv(e.mem, e.clock)
				wg.Go(func() {
					defer GinkgoRecover()
					r, err := p.app.Keys.Bootstrap(e.ctx, "")
					Expect(err).NotTo(HaveOccurred())
					texts <- r.Text
				})
			}
			wg.Wait()
			close(texts)
			var printed []string
			for t := range texts {
				if t != "" {
					printed = append(printed, t)
				}
			}
			Expect(printed).To(HaveLen(1))
			all, err := e.app.Keys.List(e.ctx, ports.APIKeyFilter{GlobalOnly: true}, app.PageRequest{})
			Expect(err).NotTo(HaveOccurred())
			Expect(all.Items).To(HaveLen(1))
		})

		It("makes a supplied key the global admin key, once, and prints nothing", func() {
			supplied := "ade_" + strings.Repeat("0123456789abcdef", 2)
			r, err := e.app.Keys.Bootstrap(e.ctx, supplied)
			Expect(err).NotTo(HaveOccurred())
			Expect(r).To(Equal(app.BootstrapResult{Created: true}))
			k, err := e.app.Keys.Authenticate(e.ctx, supplied)
			Expect(err).NotTo(HaveOccurred())
			Expect(k.IsGlobalAdmin()).To(BeTrue())
			Expect(k.Label()).To(Equal(app.SuppliedKeyLabel))

			r, err = e.app.Keys.Bootstrap(e.ctx, supplied)
			Expect(err).NotTo(HaveOccurred())
			Expect(r).To(Equal(app.BootstrapResult{}))
			// No generated key either: a global admin key exists.
			r, err = e.app.Keys.Bootstrap(e.ctx, "")
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Text).To(BeEmpty())

			_, err = e.app.Keys.RevokeAny(e.ctx, k.ID())
			Expect(err).NotTo(HaveOccurred())
			r, err = e.app.Keys.Bootstrap(e.ctx, supplied)
			Expect(err).NotTo(HaveOccurred())
			Expect(r).To(Equal(app.BootstrapResult{SuppliedRevoked: true}), "a revoked key is not brought back")
			_, err = e.app.Keys.Authenticate(e.ctx, supplied)
			Expect(err).To(MatchError(domain.ErrUnauthenticated))
		})

		It("refuses a weak or malformed supplied key", func() {
			for _, bad := range []string{"secret", "ade_short", "ade_" + strings.Repeat("a", 31), "ade_" + strings.Repeat("a", 32) + " "} {
				_, err := e.app.Keys.Bootstrap(e.ctx, bad)
				Expect(err).To(MatchError(domain.ErrInvalidInput), bad)
				Expect(err.Error()).NotTo(ContainSubstring(bad))
			}
		})
	})

	It("lists every workspace to a global admin and only its own to another key", func() {
		second, err := e.app.Workspaces.Create(e.ctx, "second", "Second")
		Expect(err).NotTo(HaveOccurred())
		g := create("", domain.RoleAdmin)
		v := create(second.ID(), domain.RoleViewer)
		all, err := e.app.Workspaces.ListVisible(e.ctx, g.Key, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(all.Items).To(HaveLen(2))
		mine, err := e.app.Workspaces.ListVisible(e.ctx, v.Key, app.PageRequest{})
		Expect(err).NotTo(HaveOccurred())
		Expect(mine.Items).To(HaveLen(1))
		Expect(mine.Items[0].ID()).To(Equal(second.ID()))
		Expect(mine.HasMore).To(BeFalse())
		skipped, err := e.app.Workspaces.ListVisible(e.ctx, v.Key, app.PageRequest{Offset: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(skipped.Items).To(BeEmpty())
		_, err = e.app.Workspaces.ListVisible(e.ctx, v.Key, app.PageRequest{Limit: 500})
		Expect(err).To(MatchError(domain.ErrInvalidInput))
	})
})
