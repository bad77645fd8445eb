package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// Key cache defaults and bounds.
const (
	// DefaultKeyCacheTTL is how long a key looked up in the database is
	// trusted without asking again: the longest a revocation made by
	// another process takes to reach this one.
	DefaultKeyCacheTTL = 5 * time.Second
	// keyCacheMax bounds the cache; unknown keys are cached too (so a
	// client guessing keys costs one lookup per guess per TTL at most),
	// and a flood of guesses must not grow memory without bound.
	keyCacheMax = 10_000
	// touchEvery samples a key's uses: one in this period is recorded
	// for last_used_at.
	touchEvery = time.Second
)

// BootstrapKeyID is the id of the global admin key a first start makes:
// fixed, so processes starting together on an empty database make one
// key between them (the others' inserts conflict).
const BootstrapKeyID = "00000000000000000000000000"

// Labels of the keys ADE makes by itself.
const (
	BootstrapKeyLabel = "bootstrap admin"
	SuppliedKeyLabel  = "bootstrap admin (ADE_BOOTSTRAP_ADMIN_KEY)"
)

// Reasons a key is refused, for metrics and logs (never shown to
// clients, who see one answer for all of them).
const (
	KeyMalformed = "malformed"
	KeyUnknown   = "unknown"
	KeyRevoked   = "revoked"
)

// AuthenticationError says why a key was refused; errors.Is matches
// domain.ErrUnauthenticated. It never holds the key.
type AuthenticationError struct {
	Reason string
}

// Error implements error.
func (e *AuthenticationError) Error() string { return "api key refused: " + e.Reason }

// Is reports whether target is domain.ErrUnauthenticated.
func (e *AuthenticationError) Is(target error) bool { return target == domain.ErrUnauthenticated }

// APIKeyService makes, lists, revokes and checks API keys.
//
// Checking a key is on every request's path, so found keys (and unknown
// ones) are cached for KeyCacheTTL: a revocation made by this process
// takes effect at once, one made by another process sharing the database
// within KeyCacheTTL. Uses of a key are sampled (one a second) and written
// to last_used_at in batches by FlushLastUsed, never on the request path.
type APIKeyService struct {
	c *core

	mu    sync.RWMutex
	cache map[string]*keyEntry // by key hash
	// fetching holds the reads in progress by key hash: when an entry
	// expires under many requests at once (a key holding many event
	// streams), one of them reads the database and the others wait for
	// its answer.
	fetching map[string]*keyFetch

	touchMu sync.Mutex
	touched map[string]time.Time // key id -> last use not yet stored
}

// keyFetch is one database read of a key that concurrent lookups share.
type keyFetch struct {
	done chan struct{}
	key  *domain.APIKey
	err  error
}

// fetch reads a key by hash, sharing the read with the lookups of the same
// hash that arrive while it is in progress.
func (s *APIKeyService) fetch(ctx context.Context, hash string) (*domain.APIKey, error) {
	s.mu.Lock()
	if f, ok := s.fetching[hash]; ok {
		s.mu.Unlock()
		select {
		case <-f.done:
			return f.key, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if s.fetching == nil {
		s.fetching = map[string]*keyFetch{}
	}
	f := &keyFetch{done: make(chan struct{})}
	s.fetching[hash] = f
	s.mu.Unlock()
	f.key, f.err = s.c.Repos.APIKeys.GetByHash(context.WithoutCancel(ctx), hash)
	s.mu.Lock()
	delete(s.fetching, hash)
	s.mu.Unlock()
	close(f.done)
	return f.key, f.err
}

// keyEntry is one cached lookup: the key, or nil for a hash that names
// no key.
type keyEntry struct {
	key     *domain.APIKey
	fetched time.Time
	// seen is when a use was last recorded (unix nanoseconds).
	seen atomicTime
}

// CreateAPIKeyRequest asks for a new key.
type CreateAPIKeyRequest struct {
	// WorkspaceID is the key's workspace; empty makes a global admin key
	// (whose role must be admin).
	WorkspaceID string
	Role        domain.Role
	Label       string
}

// CreatedAPIKey is a new key and its text. The text is shown once and
// stored nowhere; only its hash is kept.
type CreatedAPIKey struct {
	Key  *domain.APIKey
	Text string
}

// newKeyText returns a new key: the prefix and 256 bits from the
// operating system's secure random source, in base32.
func newKeyText() string {
	return domain.APIKeyPrefix + rand.Text() + rand.Text()
}

// Create makes a key, with its api_key.created event when it belongs to a
// workspace (global admin keys have no workspace to record events in).
func (s *APIKeyService) Create(ctx context.Context, req CreateAPIKeyRequest) (CreatedAPIKey, error) {
	text := newKeyText()
	k, err := s.store(ctx, s.c.IDs.NewID(), req, text)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	return CreatedAPIKey{Key: k, Text: text}, nil
}

func (s *APIKeyService) store(ctx context.Context, id string, req CreateAPIKeyRequest, text string) (*domain.APIKey, error) {
	k, err := domain.NewAPIKey(domain.NewAPIKeyParams{
		ID: id, WorkspaceID: req.WorkspaceID, Role: req.Role, Label: req.Label, Key: text, Now: s.c.Clock.Now(),
	})
	if err != nil {
		return nil, err
	}
	err = s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		if err := s.c.Repos.APIKeys.Create(ctx, k); err != nil {
			return err
		}
		return s.recordKeyEvent(ctx, k, domain.EventAPIKeyCreated)
	})
	if err != nil {
		return nil, fmt.Errorf("create api key: %w", err)
	}
	return k, nil
}

func (s *APIKeyService) recordKeyEvent(ctx context.Context, k *domain.APIKey, eventType string) error {
	if k.WorkspaceID() == "" {
		return nil
	}
	return s.c.record(ctx, k.WorkspaceID(), eventType, domain.EntityAPIKey, k.ID(),
		map[string]any{"role": string(k.Role()), "label": k.Label()})
}

// Get returns a key of the workspace.
func (s *APIKeyService) Get(ctx context.Context, workspaceID, id string) (*domain.APIKey, error) {
	k, err := s.c.Repos.APIKeys.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if k.WorkspaceID() != workspaceID {
		return nil, fmt.Errorf("api key %s: %w", id, domain.ErrNotFound)
	}
	return k, nil
}

// List returns the keys matching f, newest first, revoked ones included.
func (s *APIKeyService) List(ctx context.Context, f ports.APIKeyFilter, p PageRequest) (Page[*domain.APIKey], error) {
	return list(p, func(pp ports.Page) ([]*domain.APIKey, error) {
		return s.c.Repos.APIKeys.List(ctx, f, pp)
	})
}

// Revoke revokes a key of the workspace, with its api_key.revoked event. A
// key of another workspace is domain.ErrNotFound; a revoked one
// domain.ErrConflict.
func (s *APIKeyService) Revoke(ctx context.Context, workspaceID, id string) (*domain.APIKey, error) {
	if workspaceID == "" {
		return nil, fmt.Errorf("revoke api key: %w", domain.ErrNotFound)
	}
	return s.revoke(ctx, workspaceID, id)
}

// RevokeAny revokes any key, global admin keys included: for operators
// (`ade keys revoke`), never for API requests.
func (s *APIKeyService) RevokeAny(ctx context.Context, id string) (*domain.APIKey, error) {
	return s.revoke(ctx, "", id)
}

func (s *APIKeyService) revoke(ctx context.Context, workspaceID, id string) (*domain.APIKey, error) {
	var out *domain.APIKey
	err := s.c.Repos.Tx.WithinTx(ctx, func(ctx context.Context) error {
		k, err := s.c.Repos.APIKeys.Update(ctx, id, func(k *domain.APIKey) error {
			if workspaceID != "" && k.WorkspaceID() != workspaceID {
				return fmt.Errorf("api key %s: %w", id, domain.ErrNotFound)
			}
			return k.Revoke(s.c.Clock.Now())
		})
		if err != nil {
			return err
		}
		out = k
		return s.recordKeyEvent(ctx, k, domain.EventAPIKeyRevoked)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke api key: %w", err)
	}
	// This process stops accepting the key at once; others within the
	// cache TTL.
	s.mu.Lock()
	delete(s.cache, out.Hash())
	s.mu.Unlock()
	return out, nil
}

// Authenticate returns the key whose text is text. A malformed, unknown or
// revoked key is an *AuthenticationError (matching
// domain.ErrUnauthenticated); a database that does not answer is
// domain.ErrUnavailable. The lookup goes by the hash of the text; the
// found key's hash is compared again in constant time.
func (s *APIKeyService) Authenticate(ctx context.Context, text string) (*domain.APIKey, error) {
	if !domain.WellFormedAPIKey(text) {
		return nil, &AuthenticationError{Reason: KeyMalformed}
	}
	hash := domain.HashAPIKey(text)
	e, err := s.lookup(ctx, hash)
	if err != nil {
		return nil, err
	}
	if e.key == nil || !domain.MatchesHash(e.key.Hash(), hash) {
		return nil, &AuthenticationError{Reason: KeyUnknown}
	}
	if e.key.Revoked() {
		return nil, &AuthenticationError{Reason: KeyRevoked}
	}
	s.touch(e)
	return e.key, nil
}

// Recheck confirms that a key authenticated earlier is still valid (long
// responses call it periodically); it answers like Authenticate.
func (s *APIKeyService) Recheck(ctx context.Context, k *domain.APIKey) error {
	e, err := s.lookup(ctx, k.Hash())
	if err != nil {
		return err
	}
	switch {
	case e.key == nil:
		return &AuthenticationError{Reason: KeyUnknown}
	case e.key.Revoked():
		return &AuthenticationError{Reason: KeyRevoked}
	}
	return nil
}

// lookup returns the cached entry for hash, reading the database when
// there is none or it is older than the TTL.
func (s *APIKeyService) lookup(ctx context.Context, hash string) (*keyEntry, error) {
	now := s.c.Clock.Now()
	s.mu.RLock()
	e, ok := s.cache[hash]
	s.mu.RUnlock()
	if ok && now.Sub(e.fetched) < s.c.Config.KeyCacheTTL {
		return e, nil
	}
	k, err := s.fetch(ctx, hash)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	fresh := &keyEntry{key: k, fetched: now}
	if ok {
		fresh.seen.store(e.seen.load())
	}
	s.mu.Lock()
	if len(s.cache) >= keyCacheMax {
		s.evict(now)
	}
	s.cache[hash] = fresh
	s.mu.Unlock()
	return fresh, nil
}

// evict drops expired entries, then unknown keys, then everything: the
// cache is only a shortcut. Called with mu held.
func (s *APIKeyService) evict(now time.Time) {
	for h, e := range s.cache {
		if now.Sub(e.fetched) >= s.c.Config.KeyCacheTTL {
			delete(s.cache, h)
		}
	}
	if len(s.cache) < keyCacheMax {
		return
	}
	for h, e := range s.cache {
		if e.key == nil {
			delete(s.cache, h)
		}
	}
	if len(s.cache) >= keyCacheMax {
		clear(s.cache)
	}
}

// touch records a use of the entry's key, at most once per touchEvery.
func (s *APIKeyService) touch(e *keyEntry) {
	now := s.c.Clock.Now()
	last := e.seen.load()
	if now.Sub(last) < touchEvery || !e.seen.swap(last, now) {
		return
	}
	s.touchMu.Lock()
	s.touched[e.key.ID()] = now
	s.touchMu.Unlock()
}

// FlushLastUsed writes the recorded uses to last_used_at in one batch. On
// failure the uses are kept for the next flush.
func (s *APIKeyService) FlushLastUsed(ctx context.Context) error {
	s.touchMu.Lock()
	batch := s.touched
	s.touched = map[string]time.Time{}
	s.touchMu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := s.c.Repos.APIKeys.TouchLastUsed(ctx, batch); err != nil {
		s.touchMu.Lock()
		for id, at := range batch {
			if later, ok := s.touched[id]; !ok || later.Before(at) {
				s.touched[id] = at
			}
		}
		s.touchMu.Unlock()
		return fmt.Errorf("record api key use: %w", err)
	}
	return nil
}

// BootstrapResult says what Bootstrap did.
type BootstrapResult struct {
	// Text is a key Bootstrap generated, to be shown once; empty when it
	// made none.
	Text string
	// Created reports whether a key was stored.
	Created bool
	// SuppliedRevoked reports that the supplied key exists but was
	// revoked: it stays revoked.
	SuppliedRevoked bool
}

// Bootstrap makes sure the server can be administered. With a supplied
// key text (ADE_BOOTSTRAP_ADMIN_KEY), that key becomes a global admin key
// unless it exists already; a revoked one stays revoked. Without one, a
// global admin key is generated when the database holds none at all
// (revoked ones count: an operator who revoked every global key meant it;
// `ade keys create --global` makes a new one), and its text returned to be
// printed once. Processes starting together make one key between them.
func (s *APIKeyService) Bootstrap(ctx context.Context, supplied string) (BootstrapResult, error) {
	ctx = WithActor(WithSource(ctx, "bootstrap"), domain.SystemActor)
	req := CreateAPIKeyRequest{Role: domain.RoleAdmin}
	if supplied != "" {
		if !domain.WellFormedAPIKey(supplied) {
			return BootstrapResult{}, fmt.Errorf("bootstrap admin key: %w", domain.NewInvalid("invalid bootstrap key",
				domain.FieldError{Field: "ADE_BOOTSTRAP_ADMIN_KEY", Message: "must be \"ade_\" followed by at least 32 letters, digits, '_' or '-'"}))
		}
		k, err := s.c.Repos.APIKeys.GetByHash(ctx, domain.HashAPIKey(supplied))
		switch {
		case err == nil:
			return BootstrapResult{SuppliedRevoked: k.Revoked()}, nil
		case !errors.Is(err, domain.ErrNotFound):
			return BootstrapResult{}, fmt.Errorf("bootstrap admin key: %w", err)
		}
		req.Label = SuppliedKeyLabel
		_, err = s.store(ctx, s.c.IDs.NewID(), req, supplied)
		if errors.Is(err, domain.ErrConflict) {
			return BootstrapResult{}, nil // another process stored it first
		}
		return BootstrapResult{Created: err == nil}, err
	}
	existing, err := s.c.Repos.APIKeys.List(ctx, ports.APIKeyFilter{GlobalOnly: true}, ports.Page{Limit: 1})
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("bootstrap admin key: %w", err)
	}
	if len(existing) > 0 {
		return BootstrapResult{}, nil
	}
	text := newKeyText()
	req.Label = BootstrapKeyLabel
	_, err = s.store(ctx, BootstrapKeyID, req, text)
	if errors.Is(err, domain.ErrConflict) {
		return BootstrapResult{}, nil
	}
	if err != nil {
		return BootstrapResult{}, err
	}
	return BootstrapResult{Text: text, Created: true}, nil
}

// atomicTime is a time read and written without a lock (unix
// nanoseconds; zero is the zero time).
type atomicTime struct{ n atomic.Int64 }

func (a *atomicTime) load() time.Time {
	n := a.n.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (a *atomicTime) store(t time.Time) { a.n.Store(unixNano(t)) }

// swap stores now if the value is still old, and reports whether it did.
func (a *atomicTime) swap(old, now time.Time) bool {
	return a.n.CompareAndSwap(unixNano(old), unixNano(now))
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
